package httpapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"github.com/xroshot/portal/actor"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"time"

	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/reqctx"
)

// RequestID returns the id of the request being served, for logs and
// audit events. The value lives in reqctx, so that the audit trail can read
// it without importing the HTTP edge.
func RequestID(ctx context.Context) string { return reqctx.RequestID(ctx) }

// ClientAddr returns the address the request came from, for audit events.
func ClientAddr(ctx context.Context) string { return reqctx.ClientAddr(ctx) }

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withRequestID takes a well-formed X-Request-Id from the caller (a gateway
// that already assigned one) or makes one, and echoes it.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		ctx := reqctx.WithRequestID(r.Context(), id)
		ctx = reqctx.WithClientAddr(ctx, host)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withRecover turns a panic outside GraphQL execution into a 500 without a
// stack trace in the response; the trace goes to the log.
func withRecover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic serving request", "panic", v, "path", r.URL.Path, "request_id", RequestID(r.Context()))
				writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withLanguage puts the language the client prefers (Accept-Language) in the
// context; a field's lang argument still wins.
func withLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := policy.NegotiateLang(r.Header.Get("Accept-Language"))
		next.ServeHTTP(w, r.WithContext(policy.WithLang(r.Context(), lang)))
	})
}

// withAccessLog logs one line per request — method, path, status, duration,
// request id — and never bodies, tokens or query strings.
func withAccessLog(log *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		m.observeHTTP(r, rec.status, d)
		if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
			return
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", d),
			slog.String("request_id", RequestID(r.Context())),
		)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush passes streaming responses through.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets the WebSocket upgrade take the connection.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := s.ResponseWriter.(http.Hijacker); ok {
		s.status = http.StatusSwitchingProtocols
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack not supported")
}

// withActor builds the request's actor once from the principal the auth
// middleware verified (actor.Attach); everything after it reads the actor.
func withActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(actor.Attach(r.Context())))
	})
}
