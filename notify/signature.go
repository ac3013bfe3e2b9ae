package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/xroshot/portal/auth"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The Standard Webhooks headers every request carries (see the package
// documentation): stock verifiers in any language check them.
const (
	// HeaderWebhookID carries the outbox id, stable across attempts: the
	// gateway's de-duplication key.
	HeaderWebhookID = standardwebhooks.HeaderWebhookID
	// HeaderWebhookTimestamp carries the Unix time in seconds the attempt
	// was signed at.
	HeaderWebhookTimestamp = standardwebhooks.HeaderWebhookTimestamp
	// HeaderWebhookSignature carries "v1," and the base64 HMAC-SHA256 of
	// "<id>.<timestamp>.<body>".
	HeaderWebhookSignature = standardwebhooks.HeaderWebhookSignature
	// HeaderAttempt carries the attempt number, from 1 (informational,
	// not signed).
	HeaderAttempt = "X-Portal-Attempt"
)

// The legacy headers, sent besides the standard ones only when
// Config.LegacyHeaders is set (PORTAL_WEBHOOK_LEGACY_HEADERS=true), for a
// gateway still verifying the portal's earlier home-made scheme.
const (
	// HeaderMessageID is the legacy copy of webhook-id.
	HeaderMessageID = "X-Portal-Message-Id"
	// HeaderTimestamp is the legacy copy of webhook-timestamp.
	HeaderTimestamp = "X-Portal-Timestamp"
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of
	// "<timestamp>.<body>".
	HeaderSignature = "X-Portal-Signature"
)

// SecretPrefix marks a Standard Webhooks secret: "whsec_" and the base64 of
// the key bytes.
const SecretPrefix = "whsec_"

// ParseSecret returns the HMAC key of a configured webhook secret. A
// "whsec_…" secret is the Standard Webhooks form, the base64 of the key;
// any other text is taken as the key's bytes, as the portal's earlier
// scheme did (a stock verifier is then given "whsec_" + base64 of those
// bytes: see EncodeSecret).
func ParseSecret(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(s, SecretPrefix); ok {
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, fmt.Errorf("a %s secret must be base64 after the prefix", SecretPrefix)
		}
		if len(key) == 0 {
			return nil, fmt.Errorf("the %s secret is empty", SecretPrefix)
		}
		return key, nil
	}
	return []byte(s), nil
}

// MinKeyBytes is the shortest key a "whsec_" secret may encode: the
// Standard Webhooks minimum, 24 bytes (192 bits).
const MinKeyBytes = 24

// CheckSecret parses a webhook secret and puts it through the portal's one
// rule for secrets, the JWT secret's (auth.CheckSecret: length, distinct
// characters, estimated entropy), applied to the secret as written: the
// base64 text after "whsec_", or the raw text. It refuses "whsec_" and the
// base64 of 24 zero bytes as it refuses 32 × "a" for PORTAL_JWT_SECRET.
// Production configuration and the transmission recipients' registry use
// it; the error names no value.
func CheckSecret(s string) ([]byte, error) {
	key, err := ParseSecret(s)
	if err != nil {
		return nil, err
	}
	written, std := strings.CutPrefix(s, SecretPrefix)
	if std && len(key) < MinKeyBytes {
		return nil, fmt.Errorf("must be %s and the base64 of at least %d random bytes", SecretPrefix, MinKeyBytes)
	}
	if err := auth.CheckSecret([]byte(written)); err != nil {
		return nil, err
	}
	return key, nil
}

// EncodeSecret is the Standard Webhooks form of key, for the gateway's
// verifier.
func EncodeSecret(key []byte) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Signer signs requests under one key, on the Standard Webhooks scheme
// and, when asked, the legacy one: the outbox deliverer and the
// transmission worker sign with it.
type Signer struct {
	key    []byte
	wh     *standardwebhooks.Webhook
	legacy bool
}

// NewSigner returns the signer of key; legacy adds the X-Portal-* headers.
func NewSigner(key []byte, legacy bool) (*Signer, error) {
	wh, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return nil, fmt.Errorf("notify: webhook secret: %w", err)
	}
	return &Signer{key: key, wh: wh, legacy: legacy}, nil
}

// Sign sets the webhook-id, timestamp and signature headers of one
// attempt, made at at, of message id.
func (s *Signer) Sign(h http.Header, id string, at time.Time, body []byte) error {
	sig, err := s.wh.Sign(id, at, body)
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, ts)
	h.Set(HeaderWebhookSignature, sig)
	if s.legacy {
		h.Set(HeaderMessageID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, Sign(s.key, ts, body))
	}
	return nil
}

// signaturePrefix names the legacy scheme's MAC.
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

// Sign returns the legacy X-Portal-Signature value for a request signed at
// timestamp (the exact X-Portal-Timestamp text) with body: "sha256=" and the
// lowercase hex HMAC-SHA256 of timestamp + "." + body, keyed with secret.
// Only sent with Config.LegacyHeaders.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a request's legacy headers as a gateway written in Go
// would: the signature in h matches the timestamp in h and body under
// secret (compared in constant time), and the timestamp is within
// tolerance of now (zero selects DefaultTolerance). New gateways verify the
// standard headers with a Standard Webhooks library instead (in Go,
// github.com/standard-webhooks/standard-webhooks/libraries/go).
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
