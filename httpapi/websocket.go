package httpapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/xroshot/portal/actor"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/reqctx"
)

// WebSocketLimits bound what one WebSocket connection may hold.
type WebSocketLimits struct {
	// MaxSubscriptions is how many subscriptions one connection may run at
	// once (each holds a goroutine and a broker slot).
	MaxSubscriptions int
	// MaxConnsPerSubject is how many connections one token subject (or,
	// without a valid token, one client address) may hold open at once on
	// this replica.
	MaxConnsPerSubject int
	// InitTimeout is how long a connection may wait before connection_init.
	InitTimeout time.Duration
}

// DefaultWebSocketLimits suit the app and the desk: a screen watches a
// handful of requests; a person has a phone, a browser or two.
var DefaultWebSocketLimits = WebSocketLimits{MaxSubscriptions: 20, MaxConnsPerSubject: 10, InitTimeout: 10 * time.Second}

// Close codes of the graphql-transport-ws protocol.
const (
	closeForbidden   = 4403 // the token expired or is refused
	closeInitTimeout = 4408 // no connection_init in time
	closeTooMany     = 4429 // too many connections for this subject
)

// wsConn is the edge's state for one WebSocket connection: the close code
// to send instead of gqlgen's, the subscriptions it runs and the subject
// holding it.
type wsConn struct {
	mu          sync.Mutex
	closeCode   int
	closeReason string
	subs        atomic.Int32
	subject     string
}

func (c *wsConn) setClose(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeCode == 0 {
		c.closeCode, c.closeReason = code, reason
	}
}

type wsConnKey struct{}

func wsConnFrom(ctx context.Context) *wsConn {
	c, _ := ctx.Value(wsConnKey{}).(*wsConn)
	return c
}

// wsEdge applies HTTP's rules to WebSocket connections: the token's expiry
// ends the connection, every operation takes a token from the same rate
// limiter as an HTTP request, and subscriptions and connections are
// capped.
type wsEdge struct {
	limits   WebSocketLimits
	verifier *auth.Verifier
	limiter  *limiter
	now      func() time.Time
	origins  []string

	mu        sync.Mutex
	perSubjet map[string]int
}

func newWSEdge(cfg Config, l *limiter) *wsEdge {
	lim := cfg.WebSocket
	if lim == (WebSocketLimits{}) {
		lim = DefaultWebSocketLimits
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &wsEdge{limits: lim, verifier: cfg.Verifier, limiter: l, now: now, origins: originPatterns(cfg.AllowedOrigins), perSubjet: map[string]int{}}
}

// originPatterns turns allowed origins into coder/websocket's patterns,
// which match scheme://host when they contain "://". The same origin is
// always allowed.
func originPatterns(origins []string) []string {
	out := make([]string, 0, len(origins))
	for _, o := range origins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// transport is gqlgen's WebSocket transport configured by the edge.
func (e *wsEdge) transport() transport.Websocket {
	return transport.Websocket{
		Implementation:        wsImplementation{inner: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{OriginPatterns: e.origins}}},
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           e.limits.InitTimeout,
		InitFunc:              e.init,
	}
}

// wrap gives every upgrade request its connection state and releases the
// subject's slot when the connection ends (the handler returns).
func (e *wsEdge) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		if !e.originAllowed(r) {
			writeError(w, r, http.StatusForbidden, apperr.CodeForbidden, "this origin may not open WebSockets here; see PORTAL_ALLOWED_ORIGINS")
			return
		}
		c := &wsConn{}
		defer e.release(c)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), wsConnKey{}, c)))
	})
}

func (e *wsEdge) acquire(c *wsConn, subject string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.limits.MaxConnsPerSubject > 0 && e.perSubjet[subject] >= e.limits.MaxConnsPerSubject {
		return false
	}
	e.perSubjet[subject]++
	c.subject = subject
	return true
}

func (e *wsEdge) release(c *wsConn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.subject == "" {
		return
	}
	if e.perSubjet[c.subject]--; e.perSubjet[c.subject] <= 0 {
		delete(e.perSubjet, c.subject)
	}
	c.subject = ""
}

// errTooManyConnections is the connection_error of a subject over its cap.
var errTooManyConnections = errors.New("too many open connections for this token; close one and retry")

// init authenticates a connection from its connection_init payload
// (browsers cannot set headers on a WebSocket upgrade). The acknowledgement
// carries no payload: echoing connection_init would send the bearer token
// back down the wire, into whatever logs the client's frames.
func (e *wsEdge) init(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	var p *auth.Principal
	if e.verifier != nil {
		var err error
		p, err = auth.FromWebSocketInit(e.verifier, payload)
		switch {
		case err == nil && p != nil:
			ctx = actor.Attach(auth.WithPrincipal(ctx, p))
		case err != nil:
			ctx = auth.WithAuthError(ctx, err)
			p = nil
		}
	}
	c := wsConnFrom(ctx)
	if c == nil {
		return ctx, nil, nil
	}
	// Connections without a valid token are counted per address, like
	// anonymous HTTP requests.
	holder := "addr:" + reqctx.ClientAddr(ctx)
	if p != nil {
		holder = "sub:" + p.Subject
	}
	if !e.acquire(c, holder) {
		c.setClose(closeTooMany, "too many connections")
		return transport.WithWebsocketCloseCode(ctx, closeTooMany), nil, errTooManyConnections
	}
	if p != nil && !p.ExpiresAt.IsZero() {
		// The connection lives no longer than its token: at expiry the
		// transport's context is cancelled, which ends every subscription
		// and closes the socket with 4403, as an HTTP request with the
		// same token would be refused.
		ctx, cancel := context.WithCancel(ctx)
		t := time.AfterFunc(p.ExpiresAt.Sub(e.now()), func() {
			c.setClose(closeForbidden, "Forbidden: token expired")
			cancel()
		})
		context.AfterFunc(ctx, func() { t.Stop() })
		return ctx, nil, nil
	}
	return ctx, nil, nil
}

// wsImplementation wraps gqlgen's coder/websocket adapter so the edge can
// choose the close code: gqlgen closes a cancelled connection with 1000
// and a missed connection_init with 1002, where graphql-transport-ws
// gives 4403 and 4408.
type wsImplementation struct {
	inner transport.CoderWebsocketImplementation
}

func (i wsImplementation) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := i.inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	return &wsCodedConn{WebsocketConn: conn, state: wsConnFrom(r.Context())}, nil
}

type wsCodedConn struct {
	transport.WebsocketConn
	state *wsConn
}

func (c *wsCodedConn) WriteClose(code int, msg string) error {
	if c.state != nil {
		c.state.mu.Lock()
		if c.state.closeCode != 0 {
			code, msg = c.state.closeCode, c.state.closeReason
		}
		c.state.mu.Unlock()
	}
	if msg == "connection initialisation timeout" {
		code = closeInitTimeout
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

// SetReadLimit keeps gqlgen's message size cap working through the wrapper.
func (c *wsCodedConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

// SetReadDeadline keeps gqlgen's pong deadline working through the wrapper.
func (c *wsCodedConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// operationGate runs before anything else of an operation: on a WebSocket,
// the operation takes a token from the client's rate limit bucket, as an
// HTTP request does in withRateLimit.
type operationGate struct{ ws *wsEdge }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = operationGate{}

func (operationGate) ExtensionName() string                   { return "OperationGate" }
func (operationGate) Validate(graphql.ExecutableSchema) error { return nil }

func (g operationGate) MutateOperationParameters(ctx context.Context, _ *graphql.RawParams) *gqlerror.Error {
	if wsConnFrom(ctx) != nil && !g.ws.limiter.allow(ctx) {
		return &gqlerror.Error{Message: rateLimitedMessage, Extensions: map[string]any{"code": apperr.CodeRateLimited}}
	}
	return nil
}

// MutateOperationContext refuses a subscription that did not come over a
// WebSocket: over POST or GET it would hold the request open until an
// event arrives, and the GraphQL-over-HTTP spec leaves subscriptions to
// other transports. It is a request error (400 under
// application/graphql-response+json).
func (g operationGate) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription && wsConnFrom(ctx) == nil {
		return validationError("subscriptions are served over WebSocket (graphql-transport-ws) at this endpoint, not over plain HTTP")
	}
	return nil
}

// capSubscriptions refuses a subscription past the connection's cap and
// frees its slot when it ends, however it ends.
func (e *wsEdge) capSubscriptions(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	c := wsConnFrom(ctx)
	oc := graphql.GetOperationContext(ctx)
	if c == nil || oc.Operation == nil || oc.Operation.Operation != ast.Subscription || e.limits.MaxSubscriptions <= 0 {
		return next(ctx)
	}
	if n := c.subs.Add(1); int(n) > e.limits.MaxSubscriptions {
		c.subs.Add(-1)
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    fmt.Sprintf("too many subscriptions on this connection (limit %d); complete one first", e.limits.MaxSubscriptions),
			Extensions: map[string]any{"code": apperr.CodeRateLimited},
		}}})
	}
	var once sync.Once
	context.AfterFunc(ctx, func() { once.Do(func() { c.subs.Add(-1) }) })
	return next(ctx)
}

// originAllowed reports whether a WebSocket upgrade may proceed: no Origin
// (not a browser), the server's own host, or an allowed origin. coder's
// Accept checks the same, but a refusal there is logged by gqlgen with
// log.Printf, outside the structured log; refusing here answers 403
// cleanly.
func (e *wsEdge) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range e.origins {
		if ok, _ := path.Match(strings.ToLower(o), strings.ToLower(u.Scheme+"://"+u.Host)); ok {
			return true
		}
	}
	return false
}
