package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// jwksServer plays the issuer's key endpoint: its key set can be swapped to
// simulate rotation, and it counts fetches to show we do not hammer it.
type jwksServer struct {
	srv  *httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	body []byte
}

func newJWKSServer(t *testing.T, keys ...jwkset.JWK) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.set(t, keys...)
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		body := s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *jwksServer) set(t *testing.T, keys ...jwkset.JWK) {
	t.Helper()
	store := jwkset.NewMemoryStorage()
	for _, k := range keys {
		if err := store.KeyWrite(t.Context(), k); err != nil {
			t.Fatalf("write JWK: %v", err)
		}
	}
	// Private, only so a symmetric key (which has no public half) can be
	// published to test that it is never used; the other keys are public.
	body, err := store.JSONPrivate(t.Context())
	if err != nil {
		t.Fatalf("marshal JWKS: %v", err)
	}
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

func (s *jwksServer) verifier(t *testing.T, refresh time.Duration) *Verifier {
	t.Helper()
	v, err := NewVerifier(t.Context(), Config{
		Issuer:      testIssuer,
		Audience:    testAudience,
		JWKSURL:     s.srv.URL + "/.well-known/jwks.json",
		HTTPClient:  s.srv.Client(),
		JWKSRefresh: refresh,
		Now:         fixedNow,
	})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// publicJWK publishes the public half of priv under kid (or, for a []byte,
// the symmetric key itself).
func publicJWK(t *testing.T, priv any, kid string, alg jwkset.ALG, use jwkset.USE) jwkset.JWK {
	t.Helper()
	var pub any
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		pub = &k.PublicKey
	case ed25519.PrivateKey:
		pub = k.Public()
	default:
		pub = priv
	}
	_, symmetric := priv.([]byte)
	jwk, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{
		Marshal:  jwkset.JWKMarshalOptions{Private: symmetric},
		Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: alg, USE: use},
	})
	if err != nil {
		t.Fatalf("NewJWKFromKey: %v", err)
	}
	return jwk
}

func TestVerifyJWKS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		jwks    func(t *testing.T) []jwkset.JWK
		method  jwt.SigningMethod
		key     any
		header  map[string]any
		wantErr string
	}{
		{
			name: "RS256 by kid",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{publicJWK(t, rsaKey(), "rsa-1", jwkset.AlgRS256, jwkset.UseSig)}
			},
			method: jwt.SigningMethodRS256, key: rsaKey(), header: map[string]any{"kid": "rsa-1"},
		},
		{
			name: "ES256 by kid among several keys",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{
					publicJWK(t, rsaKey(), "rsa-1", jwkset.AlgRS256, jwkset.UseSig),
					publicJWK(t, ecKey(), "ec-1", jwkset.AlgES256, ""),
				}
			},
			method: jwt.SigningMethodES256, key: ecKey(), header: map[string]any{"kid": "ec-1"},
		},
		{
			name: "EdDSA by kid",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{publicJWK(t, edKey(), "ed-1", jwkset.AlgEdDSA, jwkset.UseSig)}
			},
			method: jwt.SigningMethodEdDSA, key: edKey(), header: map[string]any{"kid": "ed-1"},
		},
		{
			name: "no kid: the key of the token's family is found",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{
					publicJWK(t, ecKey(), "ec-1", "", ""),
					publicJWK(t, rsaKey(), "rsa-1", "", ""),
				}
			},
			method: jwt.SigningMethodRS256, key: rsaKey(),
		},
		{
			name: "signed by a key that is not the published one",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{publicJWK(t, rsaKey(), "rsa-1", jwkset.AlgRS256, jwkset.UseSig)}
			},
			method: jwt.SigningMethodRS256, key: rsaKey2(), header: map[string]any{"kid": "rsa-1"},
			wantErr: "invalid token: invalid signature",
		},
		{
			name: "HS256 keyed with a published symmetric key",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{publicJWK(t, []byte(testSecret), "oct-1", "", jwkset.UseSig)}
			},
			method: jwt.SigningMethodHS256, key: testSecret, header: map[string]any{"kid": "oct-1"},
			wantErr: "invalid token: algorithm not allowed",
		},
		{
			name: "ES256 token naming an RSA kid",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{publicJWK(t, rsaKey(), "rsa-1", "", jwkset.UseSig)}
			},
			method: jwt.SigningMethodES256, key: ecKey(), header: map[string]any{"kid": "rsa-1"},
			wantErr: "invalid token: no key for this algorithm",
		},
		{
			name: "key published for encryption",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{publicJWK(t, rsaKey(), "rsa-enc", "", jwkset.UseEnc)}
			},
			method: jwt.SigningMethodRS256, key: rsaKey(), header: map[string]any{"kid": "rsa-enc"},
			wantErr: "invalid token: unverifiable token",
		},
		{
			name: "token alg differs from the JWK alg",
			jwks: func(t *testing.T) []jwkset.JWK {
				return []jwkset.JWK{publicJWK(t, ecKey(), "ec-1", jwkset.AlgES384, jwkset.UseSig)}
			},
			method: jwt.SigningMethodES256, key: ecKey(), header: map[string]any{"kid": "ec-1"},
			wantErr: "invalid token: unverifiable token",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newJWKSServer(t, tt.jwks(t)...)
			v := s.verifier(t, 0)
			got, err := v.Verify(sign(t, tt.method, tt.key, validClaims(), tt.header))
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

// TestJWKSRotation walks a key rotation: the first token with the new kid
// makes the verifier refetch at once; after that, a kid nobody publishes any
// more is refused without another fetch.
func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, publicJWK(t, rsaKey(), "2026-01", jwkset.AlgRS256, jwkset.UseSig))
	v := s.verifier(t, time.Hour)
	oldToken := sign(t, jwt.SigningMethodRS256, rsaKey(), validClaims(), map[string]any{"kid": "2026-01"})
	newToken := sign(t, jwt.SigningMethodRS256, rsaKey2(), validClaims(), map[string]any{"kid": "2026-02"})

	steps := []struct {
		name     string
		rotate   bool
		token    string
		wantErr  string
		wantHits int64
	}{
		{name: "old kid verifies from the start-up fetch", token: oldToken, wantHits: 1},
		{name: "issuer rotates; new kid triggers one refetch and verifies", rotate: true, token: newToken, wantHits: 2},
		{name: "new kid is now cached", token: newToken, wantHits: 2},
		{name: "retired kid is refused without a refetch", token: oldToken, wantErr: "invalid token: unknown signing key", wantHits: 2},
	}
	// The steps share one verifier and run in order.
	for _, st := range steps {
		if st.rotate {
			s.set(t, publicJWK(t, rsaKey2(), "2026-02", jwkset.AlgRS256, jwkset.UseSig))
		}
		_, err := v.Verify(st.token)
		if diff := cmp.Diff(st.wantErr, errText(err)); diff != "" {
			t.Errorf("%s: Verify error mismatch (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.wantHits, s.hits.Load()); diff != "" {
			t.Errorf("%s: JWKS fetches mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}

func TestJWKSUnknownKIDDoesNotHammerIssuer(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, publicJWK(t, rsaKey(), "rsa-1", jwkset.AlgRS256, jwkset.UseSig))
	v := s.verifier(t, time.Hour)

	const attempts = 50
	errs := make([]string, attempts)
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Go(func() {
			token := sign(t, jwt.SigningMethodRS256, rsaKey(), validClaims(), map[string]any{"kid": "made-up"})
			_, err := v.Verify(token)
			errs[i] = errText(err)
		})
	}
	wg.Wait()

	for i, got := range errs {
		if diff := cmp.Diff("invalid token: unknown signing key", got); diff != "" {
			t.Errorf("attempt %d: Verify error mismatch (-want +got):\n%s", i, diff)
		}
	}
	// One fetch at start-up, at most one refetch for the whole burst.
	if got := s.hits.Load(); got > 2 {
		t.Errorf("JWKS fetched %d times for %d unknown-kid tokens, want at most 2", got, attempts)
	}
}

func TestJWKSBackgroundRefreshStopsOnClose(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, publicJWK(t, rsaKey(), "rsa-1", jwkset.AlgRS256, jwkset.UseSig))
	v := s.verifier(t, 10*time.Millisecond)

	deadline := time.Now().Add(5 * time.Second)
	for s.hits.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("background refresh fetched %d times in 5s, want at least 3", s.hits.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	v.Close()
	time.Sleep(50 * time.Millisecond) // let a fetch already in flight finish
	before := s.hits.Load()
	time.Sleep(100 * time.Millisecond)
	if diff := cmp.Diff(before, s.hits.Load()); diff != "" {
		t.Errorf("JWKS fetched after Close (-want +got):\n%s", diff)
	}
	// The last fetched set still verifies.
	if _, err := v.Verify(sign(t, jwt.SigningMethodRS256, rsaKey(), validClaims(), map[string]any{"kid": "rsa-1"})); err != nil {
		t.Errorf("Verify after Close: %v", err)
	}
}

func TestNewVerifierJWKSUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	url := srv.URL + "/jwks.json"
	client := srv.Client()
	srv.Close()
	v, err := NewVerifier(t.Context(), Config{Issuer: testIssuer, Audience: testAudience, JWKSURL: url, HTTPClient: client})
	if err == nil {
		v.Close()
		t.Fatal("NewVerifier succeeded with an unreachable JWKS, want an error at start-up")
	}
}
