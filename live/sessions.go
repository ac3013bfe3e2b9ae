package live

import (
	"context"
	"net/http"
	"strings"
	"sync"
)

// Sessions tracks the WebSocket connections an HTTP handler has taken over,
// so that shutdown can close them with a close frame. http.Server.Shutdown
// neither waits for nor closes hijacked connections: without this a
// subscriber's socket would just drop when the process exits, and clients
// could not tell a deploy from a network fault.
type Sessions struct {
	mu      sync.Mutex
	next    uint64
	cancels map[uint64]context.CancelFunc
	closing bool
	wg      sync.WaitGroup
}

// NewSessions returns an empty tracker.
func NewSessions() *Sessions {
	return &Sessions{cancels: map[uint64]context.CancelFunc{}}
}

// Wrap gives every WebSocket upgrade through next a context that Close
// cancels; gqlgen's WebSocket transport answers a cancelled connection
// context with a normal-closure frame. Other requests pass untouched.
func (s *Sessions) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		id := s.next
		s.next++
		s.cancels[id] = cancel
		s.wg.Add(1)
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.cancels, id)
			s.mu.Unlock()
			s.wg.Done()
		}()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Open counts the connections being served.
func (s *Sessions) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cancels)
}

// Close refuses new upgrades, closes every open connection and waits until
// their handlers returned or ctx ends.
func (s *Sessions) Close(ctx context.Context) {
	s.mu.Lock()
	s.closing = true
	for _, cancel := range s.cancels {
		cancel()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
