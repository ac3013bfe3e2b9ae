package auth

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkVerify is the cost of checking one bearer token, which every API
// request pays: signature, algorithm allow-list, iss, aud, exp and the
// portal's claims. HS256 is the development and test key; RS256 what an
// operator's identity provider typically signs with.
func BenchmarkVerify(b *testing.B) {
	der, err := x509.MarshalPKIXPublicKey(&rsaKey().PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		cfg    Config
		method jwt.SigningMethod
		key    any
	}{
		{"HS256", Config{Secret: testSecret}, jwt.SigningMethodHS256, testSecret},
		{"RS256", Config{PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}, jwt.SigningMethodRS256, rsaKey()},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := c.cfg
			cfg.Issuer, cfg.Audience, cfg.Now = testIssuer, testAudience, fixedNow
			v, err := NewVerifier(b.Context(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(v.Close)
			tok, err := jwt.NewWithClaims(c.method, validClaims()).SignedString(c.key)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
