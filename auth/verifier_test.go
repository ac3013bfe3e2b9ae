package auth

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

func TestVerifyHS256(t *testing.T) {
	t.Parallel()
	v := newHSVerifier(t)
	hs := func(c jwt.MapClaims) func(*testing.T) string {
		return func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, testSecret, c, nil) }
	}
	subscriber := &Principal{
		Subject:   "sub-1001",
		Roles:     []Role{RoleSubscriber},
		TokenID:   "tok-1",
		ExpiresAt: testNow.Add(time.Hour),
	}

	tests := []struct {
		name    string
		token   func(t *testing.T) string
		want    *Principal
		wantErr string
	}{
		{
			name:  "valid subscriber token",
			token: hs(validClaims()),
			want:  subscriber,
		},
		{
			name: "guardian acting for a minor",
			token: hs(with(map[string]any{
				"sub": "minor-7",
				"act": map[string]any{"sub": "guardian-3"},
			})),
			want: &Principal{Subject: "minor-7", Roles: []Role{RoleSubscriber}, Actor: "guardian-3", TokenID: "tok-1", ExpiresAt: testNow.Add(time.Hour)},
		},
		{
			name:  "staff with unknown and repeated roles keeps the known ones once",
			token: hs(with(map[string]any{"sub": "staff-9", "roles": []string{"agent", "billing-viewer", "admin", "agent"}, "jti": nil})),
			want:  &Principal{Subject: "staff-9", Roles: []Role{RoleAgent, RoleAdmin}, ExpiresAt: testNow.Add(time.Hour)},
		},
		{
			name:  "audience list containing ours",
			token: hs(with(map[string]any{"aud": []string{"billing", testAudience}})),
			want:  subscriber,
		},
		{
			name:  "expired within leeway",
			token: hs(with(map[string]any{"exp": testNow.Add(-10 * time.Second).Unix()})),
			want:  &Principal{Subject: "sub-1001", Roles: []Role{RoleSubscriber}, TokenID: "tok-1", ExpiresAt: testNow.Add(-10 * time.Second)},
		},
		{
			name:  "nbf within leeway",
			token: hs(with(map[string]any{"nbf": testNow.Add(20 * time.Second).Unix()})),
			want:  subscriber,
		},
		{
			name: "alg none",
			token: func(t *testing.T) string {
				return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(), nil)
			},
			wantErr: "invalid token: algorithm not allowed",
		},
		{
			name: "wrong HMAC key",
			token: func(t *testing.T) string {
				return sign(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef!"), validClaims(), nil)
			},
			wantErr: "invalid token: invalid signature",
		},
		{
			name: "unlisted algorithm HS512",
			token: func(t *testing.T) string {
				return sign(t, jwt.SigningMethodHS512, testSecret, validClaims(), nil)
			},
			wantErr: "invalid token: algorithm not allowed",
		},
		{
			name: "RS256 token against the HS256 verifier",
			token: func(t *testing.T) string {
				return sign(t, jwt.SigningMethodRS256, rsaKey(), validClaims(), nil)
			},
			wantErr: "invalid token: algorithm not allowed",
		},
		{
			name: "alg the library does not know",
			token: func(t *testing.T) string {
				return rawToken(`{"alg":"XS999","typ":"JWT"}`, `{"sub":"x"}`, "sig")
			},
			wantErr: "invalid token: algorithm not allowed",
		},
		{
			name: "payload swapped under a valid signature",
			token: func(t *testing.T) string {
				good := strings.Split(sign(t, jwt.SigningMethodHS256, testSecret, validClaims(), nil), ".")
				evil := strings.Split(sign(t, jwt.SigningMethodHS256, testSecret, with(map[string]any{"roles": []string{"admin"}}), nil), ".")
				return good[0] + "." + evil[1] + "." + good[2]
			},
			wantErr: "invalid token: invalid signature",
		},
		{
			name:    "expired",
			token:   hs(with(map[string]any{"exp": testNow.Add(-time.Minute).Unix()})),
			wantErr: "invalid token: token expired",
		},
		{
			name:    "no exp",
			token:   hs(with(map[string]any{"exp": nil})),
			wantErr: "invalid token: missing exp",
		},
		{
			name:    "nbf in the future beyond leeway",
			token:   hs(with(map[string]any{"nbf": testNow.Add(2 * time.Minute).Unix()})),
			wantErr: "invalid token: token not yet valid",
		},
		{
			name:    "iat in the future beyond leeway",
			token:   hs(with(map[string]any{"nbf": nil, "iat": testNow.Add(2 * time.Minute).Unix()})),
			wantErr: "invalid token: token issued in the future",
		},
		{
			name:    "wrong iss",
			token:   hs(with(map[string]any{"iss": "https://evil.test"})),
			wantErr: "invalid token: wrong issuer",
		},
		{
			name:    "no iss",
			token:   hs(with(map[string]any{"iss": nil})),
			wantErr: "invalid token: missing iss",
		},
		{
			name:    "wrong aud",
			token:   hs(with(map[string]any{"aud": "billing"})),
			wantErr: "invalid token: wrong audience",
		},
		{
			name:    "no aud",
			token:   hs(with(map[string]any{"aud": nil})),
			wantErr: "invalid token: missing aud",
		},
		{
			name:    "no sub",
			token:   hs(with(map[string]any{"sub": nil})),
			wantErr: "invalid token: missing sub",
		},
		{
			name:    "no roles",
			token:   hs(with(map[string]any{"roles": nil})),
			wantErr: "invalid token: missing roles",
		},
		{
			name:    "empty roles",
			token:   hs(with(map[string]any{"roles": []string{}})),
			wantErr: "invalid token: missing roles",
		},
		{
			name:    "only unknown roles",
			token:   hs(with(map[string]any{"roles": []string{"root", "Admin"}})),
			wantErr: "invalid token: no known role",
		},
		{
			name:    "roles not an array",
			token:   hs(with(map[string]any{"roles": "admin"})),
			wantErr: "invalid token: malformed token",
		},
		{
			name:    "act without sub",
			token:   hs(with(map[string]any{"act": map[string]any{"iss": "x"}})),
			wantErr: "invalid token: act claim without sub",
		},
		{
			name:    "garbage",
			token:   func(*testing.T) string { return "this is not a token" },
			wantErr: "invalid token: malformed token",
		},
		{
			name:    "three garbage segments",
			token:   func(*testing.T) string { return "a.b.c" },
			wantErr: "invalid token: malformed token",
		},
		{
			name: "1 MB header",
			token: func(*testing.T) string {
				return rawToken(`{"alg":"HS256","pad":"`+strings.Repeat("A", 1<<20)+`"}`, `{}`, "sig")
			},
			wantErr: "invalid token: token too large",
		},
		{
			name:    "correctly signed but over 8 KiB",
			token:   hs(with(map[string]any{"pad": strings.Repeat("x", 8<<10)})),
			wantErr: "invalid token: token too large",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Verify(tt.token(t))
			if diff := cmp.Diff(tt.wantErr, errText(err)); diff != "" {
				t.Fatalf("Verify error mismatch (-want +got):\n%s", diff)
			}
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Verify error %v does not wrap ErrInvalidToken", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Verify principal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyEmptyTokenIsNoToken(t *testing.T) {
	t.Parallel()
	_, err := newHSVerifier(t).Verify("")
	if !errors.Is(err, ErrNoToken) {
		t.Fatalf("Verify(\"\") error = %v, want ErrNoToken", err)
	}
}

// rawToken assembles a token by hand, for headers no signer would produce.
func rawToken(header, payload, sig string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte(sig))
}

func TestVerifyPublicKeyPEM(t *testing.T) {
	t.Parallel()
	rsaPEM := publicPEM(t, rsaKey().Public())
	certPEM := selfSignedPEM(t, rsaKey())
	ecPEM := publicPEM(t, ecKey().Public())
	ec384PEM := publicPEM(t, ec384Key().Public())
	edPEM := publicPEM(t, edKey().Public())
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey().PublicKey)})

	tests := []struct {
		name    string
		pem     []byte
		method  jwt.SigningMethod
		key     any
		wantErr string
	}{
		{name: "RS256", pem: rsaPEM, method: jwt.SigningMethodRS256, key: rsaKey()},
		{name: "RS512 with the same RSA key", pem: rsaPEM, method: jwt.SigningMethodRS512, key: rsaKey()},
		{name: "RS256 from a PKCS#1 PEM", pem: pkcs1PEM, method: jwt.SigningMethodRS256, key: rsaKey()},
		{name: "RS256 from a certificate", pem: certPEM, method: jwt.SigningMethodRS256, key: rsaKey()},
		{name: "ES256", pem: ecPEM, method: jwt.SigningMethodES256, key: ecKey()},
		{name: "ES384 on a P-384 key", pem: ec384PEM, method: jwt.SigningMethodES384, key: ec384Key()},
		{name: "EdDSA", pem: edPEM, method: jwt.SigningMethodEdDSA, key: edKey()},
		{
			name: "algorithm confusion: HS256 keyed with the RSA public key PEM",
			pem:  rsaPEM, method: jwt.SigningMethodHS256, key: rsaPEM,
			wantErr: "invalid token: algorithm not allowed",
		},
		{
			name: "algorithm confusion: HS256 keyed with the Ed25519 public key PEM",
			pem:  edPEM, method: jwt.SigningMethodHS256, key: edPEM,
			wantErr: "invalid token: algorithm not allowed",
		},
		{name: "PS256 is not in the RSA allow-list", pem: rsaPEM, method: jwt.SigningMethodPS256, key: rsaKey(), wantErr: "invalid token: algorithm not allowed"},
		{name: "RS256 signed by another RSA key", pem: rsaPEM, method: jwt.SigningMethodRS256, key: rsaKey2(), wantErr: "invalid token: invalid signature"},
		{name: "ES256 signed by another EC key", pem: ecPEM, method: jwt.SigningMethodES256, key: ecKey2(), wantErr: "invalid token: invalid signature"},
		{name: "EdDSA signed by another Ed25519 key", pem: edPEM, method: jwt.SigningMethodEdDSA, key: edKey2(), wantErr: "invalid token: invalid signature"},
		{name: "ES256 against an RSA key", pem: rsaPEM, method: jwt.SigningMethodES256, key: ecKey(), wantErr: "invalid token: algorithm not allowed"},
		{name: "RS256 against an EC key", pem: ecPEM, method: jwt.SigningMethodRS256, key: rsaKey(), wantErr: "invalid token: algorithm not allowed"},
		{name: "ES256 against a P-384 key", pem: ec384PEM, method: jwt.SigningMethodES256, key: ecKey(), wantErr: "invalid token: algorithm not allowed"},
		{name: "EdDSA against an RSA key", pem: rsaPEM, method: jwt.SigningMethodEdDSA, key: edKey(), wantErr: "invalid token: algorithm not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier(t.Context(), Config{Issuer: testIssuer, Audience: testAudience, PublicKeyPEM: tt.pem, Now: fixedNow})
			if err != nil {
				t.Fatalf("NewVerifier: %v", err)
			}
			t.Cleanup(v.Close)
			got, err := v.Verify(sign(t, tt.method, tt.key, validClaims(), nil))
			if diff := cmp.Diff(tt.wantErr, errText(err)); diff != "" {
				t.Fatalf("Verify error mismatch (-want +got):\n%s", diff)
			}
			var want *Principal
			if tt.wantErr == "" {
				want = &Principal{Subject: "sub-1001", Roles: []Role{RoleSubscriber}, TokenID: "tok-1", ExpiresAt: testNow.Add(time.Hour)}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Verify principal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func selfSignedPEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestNewVerifierRefusesBadConfig(t *testing.T) {
	t.Parallel()
	rsaPEM := publicPEM(t, rsaKey().Public())
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(edKey()))})
	weak := must(rsaGenerate1024())
	weakPEM := publicPEM(t, weak.Public())
	base := Config{Issuer: testIssuer, Audience: testAudience}
	withCfg := func(edit func(*Config)) Config {
		c := base
		edit(&c)
		return c
	}

	tests := []struct {
		name    string
		cfg     Config
		wantErr string // a fragment of the error
	}{
		{name: "no key source", cfg: base, wantErr: "exactly one of"},
		{name: "two key sources", cfg: withCfg(func(c *Config) { c.Secret = testSecret; c.PublicKeyPEM = rsaPEM }), wantErr: "exactly one of"},
		{name: "three key sources", cfg: withCfg(func(c *Config) {
			c.Secret = testSecret
			c.PublicKeyPEM = rsaPEM
			c.JWKSURL = "https://id.example/jwks"
		}), wantErr: "exactly one of"},
		{name: "leeway above 60s", cfg: withCfg(func(c *Config) { c.Secret = testSecret; c.Leeway = 61 * time.Second }), wantErr: "above the maximum"},
		{name: "negative leeway", cfg: withCfg(func(c *Config) { c.Secret = testSecret; c.Leeway = -time.Second }), wantErr: "negative"},
		{name: "no issuer", cfg: withCfg(func(c *Config) { c.Secret = testSecret; c.Issuer = "" }), wantErr: "issuer is required"},
		{name: "no audience", cfg: withCfg(func(c *Config) { c.Secret = testSecret; c.Audience = "" }), wantErr: "audience is required"},
		{name: "short secret", cfg: withCfg(func(c *Config) { c.Secret = []byte("too-short") }), wantErr: "at least 32 bytes"},
		{name: "private key instead of public", cfg: withCfg(func(c *Config) { c.PublicKeyPEM = privPEM }), wantErr: "got a private key"},
		{name: "not PEM", cfg: withCfg(func(c *Config) { c.PublicKeyPEM = []byte("ssh-ed25519 AAAA") }), wantErr: "no PEM block"},
		{name: "weak RSA key", cfg: withCfg(func(c *Config) { c.PublicKeyPEM = weakPEM }), wantErr: "at least 2048"},
		{name: "plain HTTP JWKS off localhost", cfg: withCfg(func(c *Config) { c.JWKSURL = "http://id.example/jwks" }), wantErr: "must use https"},
		{name: "JWKS URL without scheme", cfg: withCfg(func(c *Config) { c.JWKSURL = "id.example/jwks" }), wantErr: "unsupported scheme"},
		{name: "negative JWKS refresh", cfg: withCfg(func(c *Config) { c.JWKSURL = "https://id.example/jwks"; c.JWKSRefresh = -time.Minute }), wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier(t.Context(), tt.cfg)
			if err == nil {
				v.Close()
				t.Fatalf("NewVerifier accepted the config, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewVerifier error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLeeway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		leeway  time.Duration
		expired time.Duration // how long ago the token expired
		wantErr string
	}{
		{name: "default 30s accepts 29s", expired: 29 * time.Second},
		{name: "default 30s refuses 31s", expired: 31 * time.Second, wantErr: "invalid token: token expired"},
		{name: "60s is the maximum and allowed", leeway: 60 * time.Second, expired: 59 * time.Second},
		{name: "5s refuses 6s", leeway: 5 * time.Second, expired: 6 * time.Second, wantErr: "invalid token: token expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier(t.Context(), Config{Issuer: testIssuer, Audience: testAudience, Secret: testSecret, Leeway: tt.leeway, Now: fixedNow})
			if err != nil {
				t.Fatalf("NewVerifier: %v", err)
			}
			_, err = v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, with(map[string]any{"exp": testNow.Add(-tt.expired).Unix()}), nil))
			if diff := cmp.Diff(tt.wantErr, errText(err)); diff != "" {
				t.Errorf("Verify error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
