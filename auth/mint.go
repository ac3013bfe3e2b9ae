package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Minter issues HS256 tokens in the shape the Verifier expects, so that
// development, demo seeding and tests need no identity provider. Production
// tokens come from the operator's issuer; never give a Minter a production
// secret.
type Minter struct {
	// Issuer and Audience must match the verifier's Config.
	Issuer, Audience string
	// Secret is the HS256 key shared with the verifier (at least 32 bytes).
	Secret []byte
	// Now is the minting clock, so tests can mint expired or future tokens;
	// nil means time.Now.
	Now func() time.Time
}

// Mint signs a token for subject with the given roles, valid for ttl from now.
// A non-empty actor is recorded as act.sub: the guardian acting for a minor.
// Unknown roles are refused here rather than silently dropped by the
// verifier, so a typo shows up when the token is made.
func (m Minter) Mint(subject string, roles []Role, actor string, ttl time.Duration) (string, error) {
	if len(m.Secret) < minSecretLen {
		return "", fmt.Errorf("auth: mint: secret must be at least %d bytes", minSecretLen)
	}
	if m.Issuer == "" || m.Audience == "" {
		return "", errors.New("auth: mint: issuer and audience are required")
	}
	if subject == "" {
		return "", errors.New("auth: mint: subject is required")
	}
	if len(roles) == 0 {
		return "", errors.New("auth: mint: at least one role is required")
	}
	if ttl <= 0 {
		return "", errors.New("auth: mint: ttl must be positive")
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		if _, err := ParseRole(string(r)); err != nil {
			return "", fmt.Errorf("auth: mint: %w", err)
		}
		names[i] = string(r)
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	t := now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    m.Issuer,
			Audience:  jwt.ClaimStrings{m.Audience},
			Subject:   subject,
			IssuedAt:  jwt.NewNumericDate(t),
			NotBefore: jwt.NewNumericDate(t),
			ExpiresAt: jwt.NewNumericDate(t.Add(ttl)),
			ID:        rand.Text(),
		},
		Roles: names,
	}
	if actor != "" {
		c.Act = &actClaims{Subject: actor}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(m.Secret)
}
