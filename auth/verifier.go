package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

const (
	// maxTokenLen bounds the work an unauthenticated caller can make us do:
	// real access tokens are a few hundred bytes to a few KiB.
	maxTokenLen = 8 << 10

	defaultLeeway = 30 * time.Second
	maxLeeway     = 60 * time.Second

	// minSecretLen is the HS256 key size RFC 7518 §3.2 requires.
	minSecretLen = 32
	// minRSABits refuses keys that no longer resist factoring.
	minRSABits = 2048
)

// Config says where verification keys come from and what a token must claim.
// Exactly one of Secret, PublicKeyPEM and JWKSURL is set; the choice also fixes
// the accepted algorithms, which closes algorithm-confusion attacks.
type Config struct {
	// Issuer and Audience must equal the token's iss and be among its aud;
	// both are required so a token minted for another service is refused.
	Issuer, Audience string
	// Secret is an HS256 key for development and tests (at least 32 bytes).
	Secret []byte
	// PublicKeyPEM is the issuer's RSA, ECDSA or Ed25519 public key (PKIX,
	// PKCS#1 or a certificate). Private keys are refused: they have no
	// business on an API replica.
	PublicKeyPEM []byte
	// JWKSURL is the issuer's key set, fetched at start-up and refreshed in
	// the background, which is how key rotation reaches us without a deploy.
	// It must be https, except on a loopback host for local development.
	JWKSURL string
	// Leeway absorbs clock skew on exp, nbf and iat; 0 means 30s, and more
	// than 60s is refused because it silently extends every token's life.
	Leeway time.Duration
	// HTTPClient fetches the JWKS; nil means a client with a 10s timeout.
	HTTPClient *http.Client
	// JWKSRefresh is how often the JWKS is refetched; 0 means 5 minutes, so
	// revoked keys stop working soon after the issuer drops them.
	JWKSRefresh time.Duration
	// Now is the verifier's clock, so tests can check exp and nbf at chosen
	// instants; nil means time.Now.
	Now func() time.Time
	// Logger receives JWKS refresh failures (never tokens); nil means
	// slog.Default().
	Logger *slog.Logger
}

// Verifier checks bearer tokens against one key source. It is safe for
// concurrent use; Close stops its background work.
type Verifier struct {
	parser *jwt.Parser
	algs   []string
	keyFor func(ctx context.Context) jwt.Keyfunc
	cancel context.CancelFunc
}

// NewVerifier checks cfg and prepares the key source. For a JWKS it fetches the
// set once before returning, so a wrong URL stops start-up instead of refusing
// every request later; ctx bounds that fetch and the background refresh.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("auth: issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("auth: audience is required")
	}
	sources := 0
	for _, set := range []bool{len(cfg.Secret) > 0, len(cfg.PublicKeyPEM) > 0, cfg.JWKSURL != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, fmt.Errorf("auth: exactly one of secret, public key and JWKS URL must be set, got %d", sources)
	}
	leeway := cfg.Leeway
	switch {
	case leeway == 0:
		leeway = defaultLeeway
	case leeway < 0:
		return nil, fmt.Errorf("auth: leeway %v is negative", leeway)
	case leeway > maxLeeway:
		return nil, fmt.Errorf("auth: leeway %v is above the maximum %v", leeway, maxLeeway)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}

	v := &Verifier{cancel: func() {}}
	switch {
	case len(cfg.Secret) > 0:
		if len(cfg.Secret) < minSecretLen {
			return nil, fmt.Errorf("auth: HS256 secret must be at least %d bytes", minSecretLen)
		}
		secret := slices.Clone(cfg.Secret)
		v.algs = []string{jwt.SigningMethodHS256.Alg()}
		v.keyFor = func(context.Context) jwt.Keyfunc {
			return func(*jwt.Token) (any, error) { return secret, nil }
		}
	case len(cfg.PublicKeyPEM) > 0:
		key, algs, err := parsePublicKeyPEM(cfg.PublicKeyPEM)
		if err != nil {
			return nil, err
		}
		v.algs = algs
		v.keyFor = func(context.Context) jwt.Keyfunc {
			return func(t *jwt.Token) (any, error) { return fitKey(t.Method, key) }
		}
	default:
		keyFor, cancel, err := newJWKS(ctx, cfg)
		if err != nil {
			return nil, err
		}
		v.algs = []string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg(), jwt.SigningMethodEdDSA.Alg()}
		v.keyFor = keyFor
		v.cancel = cancel
	}

	v.parser = jwt.NewParser(
		jwt.WithValidMethods(v.algs),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
	)
	return v, nil
}

// Close stops the JWKS background refresh. It is safe to call more than once
// and a no-op for static keys; Verify keeps working on the last fetched set.
func (v *Verifier) Close() {
	v.cancel()
}

// Verify is VerifyContext without a request context, for callers such as the
// WebSocket handshake that have none at hand.
func (v *Verifier) Verify(raw string) (*Principal, error) {
	return v.VerifyContext(context.Background(), raw)
}

// VerifyContext checks raw and returns the principal it speaks for. Every
// refusal wraps ErrInvalidToken with a reason safe to show the client. ctx
// bounds a JWKS refetch triggered by an unseen key id.
func (v *Verifier) VerifyContext(ctx context.Context, raw string) (*Principal, error) {
	if raw == "" {
		return nil, ErrNoToken
	}
	if len(raw) > maxTokenLen {
		return nil, invalid("token too large")
	}
	var c claims
	tok, err := v.parser.ParseWithClaims(raw, &c, v.keyFor(ctx))
	if err != nil {
		return nil, invalid(v.reason(tok, &c, err))
	}
	return c.principal()
}

// reason maps a parse failure to a fixed phrase. Several claim checks can fail
// at once; the order puts the one the client can act on first.
func (v *Verifier) reason(tok *jwt.Token, c *claims, err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if tok != nil && tok.Method != nil && !slices.Contains(v.algs, tok.Method.Alg()) {
			return "algorithm not allowed"
		}
		return "invalid signature"
	case errors.Is(err, jwkset.ErrKeyNotFound):
		return "unknown signing key"
	case errors.Is(err, errKeyMismatch):
		return "no key for this algorithm"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		if tok == nil || tok.Method == nil {
			return "algorithm not allowed"
		}
		return "unverifiable token"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not yet valid"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		switch {
		case c.ExpiresAt == nil:
			return "missing exp"
		case c.Issuer == "":
			return "missing iss"
		case len(c.Audience) == 0:
			return "missing aud"
		}
		return "missing required claim"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	}
	return "invalid claims"
}

// claims is the token contract (README, API: "Bearer JWTs"): registered
// claims, roles, and the RFC 8693 actor for a guardian.
type claims struct {
	jwt.RegisteredClaims
	Roles []string   `json:"roles,omitempty"`
	Act   *actClaims `json:"act,omitempty"`
}

type actClaims struct {
	Subject string `json:"sub"`
}

// principal applies the portal's own rules on top of the registered claims.
// Unknown role strings are dropped rather than refused so an issuer can add
// roles for other services; a token left with no role we know is refused.
func (c *claims) principal() (*Principal, error) {
	if c.Subject == "" {
		return nil, invalid("missing sub")
	}
	if len(c.Roles) == 0 {
		return nil, invalid("missing roles")
	}
	var roles []Role
	for _, s := range c.Roles {
		r, err := ParseRole(s)
		if err == nil && !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return nil, invalid("no known role")
	}
	p := &Principal{
		Subject: c.Subject,
		Roles:   roles,
		TokenID: c.ID,
	}
	if c.Act != nil {
		if c.Act.Subject == "" {
			return nil, invalid("act claim without sub")
		}
		p.Actor = c.Act.Subject
	}
	if c.ExpiresAt != nil {
		p.ExpiresAt = c.ExpiresAt.UTC()
	}
	return p, nil
}

var errKeyMismatch = errors.New("key does not fit the token's algorithm")

// fitKey hands the parser a key only if it belongs to the family of the
// token's algorithm (and, for ECDSA, its curve). The allow-list already does
// this for static keys; for a JWKS, which may mix key types or even carry
// symmetric keys, it is the check that stops cross-family confusion.
func fitKey(m jwt.SigningMethod, key any) (any, error) {
	if keyFits(m, key) {
		return key, nil
	}
	return nil, errKeyMismatch
}

func keyFits(m jwt.SigningMethod, key any) bool {
	switch m := m.(type) {
	case *jwt.SigningMethodRSA:
		k, ok := key.(*rsa.PublicKey)
		return ok && k.N.BitLen() >= minRSABits
	case *jwt.SigningMethodECDSA:
		k, ok := key.(*ecdsa.PublicKey)
		return ok && k.Curve.Params().BitSize == m.CurveBits
	case *jwt.SigningMethodEd25519:
		_, ok := key.(ed25519.PublicKey)
		return ok
	}
	return false
}
