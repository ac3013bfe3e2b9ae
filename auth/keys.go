package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

const (
	defaultJWKSRefresh = 5 * time.Minute
	// jwksFetchTimeout bounds one JWKS fetch, at start-up and on refetch.
	jwksFetchTimeout = 10 * time.Second
	// unknownKIDRefetchEvery is how often an unseen kid may make us refetch
	// the JWKS: often enough to pick up a rotation at once, rarely enough
	// that made-up kids cannot turn us into a load generator on the issuer.
	unknownKIDRefetchEvery = 10 * time.Second
)

// parsePublicKeyPEM reads the issuer's public key and returns the algorithms
// its family allows.
func parsePublicKeyPEM(data []byte) (any, []string, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, nil, errors.New("auth: public key: no PEM block found")
	}
	if strings.Contains(block.Type, "PRIVATE") {
		return nil, nil, errors.New("auth: public key: got a private key; configure the public key only")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, nil, fmt.Errorf("auth: public key: unsupported PEM block %q", block.Type)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("auth: public key: %w", err)
	}

	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, nil, fmt.Errorf("auth: public key: RSA key of %d bits, need at least %d", k.N.BitLen(), minRSABits)
		}
		return k, []string{"RS256", "RS384", "RS512"}, nil
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 256:
			return k, []string{"ES256"}, nil
		case 384:
			return k, []string{"ES384"}, nil
		case 521:
			return k, []string{"ES512"}, nil
		}
		return nil, nil, fmt.Errorf("auth: public key: unsupported ECDSA curve %s", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return k, []string{"EdDSA"}, nil
	}
	return nil, nil, fmt.Errorf("auth: public key: unsupported key type %T", key)
}

// newJWKS fetches the key set once, starts its background refresh and
// returns the key lookup for the parser plus the function that stops it all.
func newJWKS(ctx context.Context, cfg Config) (func(context.Context) jwt.Keyfunc, context.CancelFunc, error) {
	if err := checkJWKSURL(cfg.JWKSURL); err != nil {
		return nil, nil, err
	}
	refresh := cfg.JWKSRefresh
	switch {
	case refresh == 0:
		refresh = defaultJWKSRefresh
	case refresh < 0:
		return nil, nil, fmt.Errorf("auth: JWKS refresh interval %v is negative", refresh)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: jwksFetchTimeout}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}

	bg, cancel := context.WithCancel(ctx)
	fetched, err := jwkset.NewStorageFromHTTP(cfg.JWKSURL, jwkset.HTTPClientStorageOptions{
		Client:          client,
		Ctx:             bg,
		HTTPTimeout:     jwksFetchTimeout,
		RefreshInterval: refresh,
		RefreshErrorHandler: func(ctx context.Context, err error) {
			if bg.Err() != nil {
				return // cut short by Close, not a failure of the issuer
			}
			logger.WarnContext(ctx, "JWKS refresh failed; keeping the last key set", "url", cfg.JWKSURL, "error", err)
		},
	})
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	// The gate below does the rate limiting; this client only performs the
	// refetch it lets through, so its own limiter never makes anyone wait.
	refetching, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs:          map[string]jwkset.Storage{cfg.JWKSURL: fetched},
		RateLimitWaitMax:  jwksFetchTimeout,
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
	})
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	gate := &refetchGate{
		Storage: refetching,
		fetched: fetched,
		limiter: rate.NewLimiter(rate.Every(unknownKIDRefetchEvery), 1),
		sem:     make(chan struct{}, 1),
	}
	kf, err := keyfunc.New(keyfunc.Options{
		Ctx:     bg,
		Storage: gate,
		// Keys published for encryption must never verify a signature.
		UseWhitelist: []jwkset.USE{jwkset.UseSig, ""},
	})
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("auth: JWKS: %w", err)
	}

	keyFor := func(ctx context.Context) jwt.Keyfunc {
		lookup := kf.KeyfuncCtx(ctx)
		return func(t *jwt.Token) (any, error) {
			key, err := lookup(t)
			if err != nil {
				return nil, err
			}
			set, ok := key.(jwt.VerificationKeySet)
			if !ok {
				return fitKey(t.Method, key)
			}
			// No kid: try only the keys of the token's family.
			var fit jwt.VerificationKeySet
			for _, k := range set.Keys {
				if keyFits(t.Method, k) {
					fit.Keys = append(fit.Keys, k)
				}
			}
			if len(fit.Keys) == 0 {
				return nil, errKeyMismatch
			}
			return fit, nil
		}
	}
	return keyFor, cancel, nil
}

// checkJWKSURL refuses plain HTTP beyond the local machine: whoever can alter
// the key set in transit can mint any token they like.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("auth: JWKS URL: %w", err)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return errors.New("auth: JWKS URL must use https outside localhost")
	}
	return fmt.Errorf("auth: JWKS URL: unsupported scheme %q", u.Scheme)
}

// refetchGate decides when an unseen kid may refetch the JWKS. The issuer may
// have just rotated, so the first such token refetches at once; tokens
// arriving meanwhile wait for that fetch instead of starting their own; after
// that, an unknown kid is refused without waiting until the limiter allows
// another fetch. jwkset's own limiter would instead park every such request
// until its turn, which a flood of made-up kids would turn into a stall.
type refetchGate struct {
	// Storage refetches the set on KeyRead; every other method passes through.
	jwkset.Storage
	fetched jwkset.Storage // the last fetched set, read without network
	limiter *rate.Limiter
	sem     chan struct{} // one refetch at a time
}

func (g *refetchGate) KeyRead(ctx context.Context, kid string) (jwkset.JWK, error) {
	jwk, err := g.fetched.KeyRead(ctx, kid)
	if !errors.Is(err, jwkset.ErrKeyNotFound) {
		return jwk, err
	}
	select {
	case g.sem <- struct{}{}:
		defer func() { <-g.sem }()
	case <-ctx.Done():
		return jwkset.JWK{}, err
	}
	// A refetch that finished while we waited may have brought the key.
	if jwk, err = g.fetched.KeyRead(ctx, kid); !errors.Is(err, jwkset.ErrKeyNotFound) {
		return jwk, err
	}
	if !g.limiter.Allow() {
		return jwkset.JWK{}, err
	}
	return g.Storage.KeyRead(ctx, kid)
}
