package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a webhook request (see the package documentation).
const (
	// HeaderMessageID carries the outbox id, stable across attempts: the
	// gateway's de-duplication key.
	HeaderMessageID = "X-Portal-Message-Id"
	// HeaderAttempt carries the attempt number, from 1.
	HeaderAttempt = "X-Portal-Attempt"
	// HeaderTimestamp carries the Unix time in seconds the attempt was
	// signed at.
	HeaderTimestamp = "X-Portal-Timestamp"
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of
	// "<timestamp>.<body>".
	HeaderSignature = "X-Portal-Signature"
)

// signaturePrefix names the MAC, so another can be introduced beside it.
const signaturePrefix = "sha256="

// DefaultTolerance is how far a request's timestamp may be from the
// verifier's clock: five minutes, as the contract tells gateways.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns.
var (
	// ErrBadSignature: the signature is missing, malformed or does not
	// match the timestamp and body under the secret.
	ErrBadSignature = errors.New("notify: bad webhook signature")
	// ErrStaleTimestamp: the timestamp is missing, malformed or too far
	// from the verifier's clock.
	ErrStaleTimestamp = errors.New("notify: webhook timestamp outside the tolerance")
)

// Sign returns the X-Portal-Signature value for a request signed at
// timestamp (the exact X-Portal-Timestamp text) with body: "sha256=" and the
// lowercase hex HMAC-SHA256 of timestamp + "." + body, keyed with secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook request as a gateway written in Go would: the
// signature in h matches the timestamp in h and body under secret (compared
// in constant time), and the timestamp is within tolerance of now (zero
// selects DefaultTolerance). It does not de-duplicate: the gateway keeps the
// message ids it accepted.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrStaleTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStaleTimestamp
	}
	got := h.Get(HeaderSignature)
	if !strings.HasPrefix(got, signaturePrefix) {
		return ErrBadSignature
	}
	if !hmac.Equal([]byte(got), []byte(Sign(secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}
