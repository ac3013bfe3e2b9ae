package httpapi

import (
	"net/http"
	"strconv"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/reqctx"
)

// RateLimit bounds how fast one client may call the API: per token subject
// when authenticated, per address otherwise. Zero PerSecond turns it off.
type RateLimit struct {
	PerSecond float64
	Burst     int
	// Clients is how many clients' buckets are remembered (LRU).
	Clients int
}

// DefaultRateLimit suits the portal's clients: a person in the app or the
// portal makes a few calls a second; a feeding system batches.
var DefaultRateLimit = RateLimit{PerSecond: 50, Burst: 100, Clients: 100_000}

// withRateLimit answers 429 with a RATE_LIMITED GraphQL error and
// Retry-After when a client exceeds its rate. It sits after authentication,
// so a subscriber's budget follows their token, not their address.
func withRateLimit(rl RateLimit, next http.Handler) http.Handler {
	if rl.PerSecond <= 0 {
		return next
	}
	if rl.Burst <= 0 {
		rl.Burst = int(rl.PerSecond) * 2
	}
	if rl.Clients <= 0 {
		rl.Clients = DefaultRateLimit.Clients
	}
	buckets, _ := lru.New[string, *rate.Limiter](rl.Clients)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" {
			next.ServeHTTP(w, r)
			return
		}
		key := "addr:" + reqctx.ClientAddr(r.Context())
		if p, ok := auth.FromContext(r.Context()); ok && p != nil {
			key = "sub:" + p.Subject
		}
		l, ok := buckets.Get(key)
		if !ok {
			l = rate.NewLimiter(rate.Limit(rl.PerSecond), rl.Burst)
			buckets.Add(key, l)
		}
		if !l.Allow() {
			w.Header().Set("Retry-After", strconv.Itoa(1))
			writeError(w, r, http.StatusTooManyRequests, apperr.CodeRateLimited, "too many requests; slow down and retry after a second")
			return
		}
		next.ServeHTTP(w, r)
	})
}
