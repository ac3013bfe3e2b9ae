package httpapi

import (
	"context"
	"net/http"
	"strconv"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/reqctx"
)

// RateLimit bounds how fast one client may call the API: per token subject
// when authenticated, per address otherwise. Zero PerSecond turns it off.
//
// Anonymous clients behind one address (a carrier's NAT, an office proxy)
// share that address's bucket. That is deliberate: the only anonymous
// operations are reading the policy and starting a login elsewhere, which
// the burst covers for many people at once, and a per-client key an
// anonymous caller chooses (a header, a cookie) would let one client mint
// itself unlimited buckets. Behind a reverse proxy, the proxy must set the
// client address (RemoteAddr) or every anonymous client shares the
// proxy's one bucket; see the deployment guide.
type RateLimit struct {
	PerSecond float64
	Burst     int
	// Clients is how many clients' buckets are remembered (LRU).
	Clients int
}

// DefaultRateLimit suits the portal's clients: a person in the app or the
// portal makes a few calls a second; a feeding system batches.
var DefaultRateLimit = RateLimit{PerSecond: 50, Burst: 100, Clients: 100_000}

// limiter holds the clients' token buckets. One limiter serves HTTP
// requests and every operation on a WebSocket, so a connection is no way
// around the rate.
type limiter struct {
	rl      RateLimit
	buckets *lru.Cache[string, *rate.Limiter]
}

// newLimiter returns nil when rl turns limiting off.
func newLimiter(rl RateLimit) *limiter {
	if rl.PerSecond <= 0 {
		return nil
	}
	if rl.Burst <= 0 {
		rl.Burst = int(rl.PerSecond) * 2
	}
	if rl.Clients <= 0 {
		rl.Clients = DefaultRateLimit.Clients
	}
	buckets, _ := lru.New[string, *rate.Limiter](rl.Clients)
	return &limiter{rl: rl, buckets: buckets}
}

// allow takes one token from the bucket of the client of ctx.
func (l *limiter) allow(ctx context.Context) bool {
	if l == nil {
		return true
	}
	key := "addr:" + reqctx.ClientAddr(ctx)
	if a, ok := actor.From(ctx); ok {
		key = "sub:" + a.Subject
	}
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(rate.Limit(l.rl.PerSecond), l.rl.Burst)
		if prev, found, _ := l.buckets.PeekOrAdd(key, b); found {
			b = prev // another request made it first
		}
	}
	return b.Allow()
}

const rateLimitedMessage = "too many requests; slow down and retry after a second"

// withRateLimit answers 429 with a RATE_LIMITED GraphQL error and
// Retry-After when a client exceeds its rate. It sits after authentication,
// so a subscriber's budget follows their token, not their address.
func withRateLimit(l *limiter, next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" {
			next.ServeHTTP(w, r)
			return
		}
		if !l.allow(r.Context()) {
			w.Header().Set("Retry-After", strconv.Itoa(1))
			writeError(w, r, http.StatusTooManyRequests, apperr.CodeRateLimited, rateLimitedMessage)
			return
		}
		next.ServeHTTP(w, r)
	})
}
