// Package httpapi is the portal's HTTP edge: the GraphQL endpoint with its
// transports and limits, GraphiQL in development, health, readiness and
// metrics, and the middleware every request passes (request id, logging,
// body cap, authentication, language).
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/xroshot/portal/auth"
)

// Limits bound what one request may cost.
type Limits struct {
	MaxBodyBytes    int64 // request body cap
	ParserTokens    int   // tokens one query may have
	MaxDepth        int   // selection nesting
	ComplexityLimit int   // gqlgen complexity, with per-field costs for lists

	// The cost gate's limits, counted with fragments expanded before the
	// validation rules run (see costGate).
	MaxFields   int // fields in the document
	MaxAliases  int // aliased fields
	MaxSpreads  int // fragment spreads
	MaxSameName int // fields sharing one response name in one selection set
	// MaxErrors caps the errors of one response; the rest are summarised
	// in one last error.
	MaxErrors int
	// QueryCacheBytes and APQCacheBytes bound the parsed-query and
	// persisted-query caches by (estimated) memory, not entry count.
	QueryCacheBytes uint64
	APQCacheBytes   uint64
}

// DefaultLimits are generous for the portal's own clients and tight for
// anything hand-crafted to be expensive. The portal's largest client query
// (the app's home screen, loadtest.MeQuery) has 80 fields, no alias and no
// fragment; graphql-js's introspection query counts 453 fields and 18
// spreads as the gate counts them (each fragment once per use and once as
// a definition). Each hostile query of issue 15 is refused by the gate in
// under 15 ms of CPU and 4 MB (apitest's TestHostileQueriesRefusedCheaply).
var DefaultLimits = Limits{
	MaxBodyBytes: 1 << 20, ParserTokens: 10_000, MaxDepth: 12, ComplexityLimit: 5_000,
	MaxFields: 1_000, MaxAliases: 50, MaxSpreads: 200, MaxSameName: 16, MaxErrors: 100,
	QueryCacheBytes: 64 << 20, APQCacheBytes: 16 << 20,
}

// Config is what the edge needs from server.go.
type Config struct {
	Schema      graphql.ExecutableSchema
	Development bool
	Logger      *slog.Logger
	Verifier    *auth.Verifier
	// Ready reports whether the database answers; /readyz turns an error
	// into 503.
	Ready    func(context.Context) error
	Registry *prometheus.Registry
	Limits   Limits
	// Around runs around every operation, e.g. to give it dataloaders.
	Around []graphql.OperationMiddleware
	// RateLimit bounds each client's request rate, over HTTP and on
	// WebSockets alike; the zero value means DefaultRateLimit, a negative
	// PerSecond none.
	RateLimit RateLimit
	// WebSocket caps subscriptions and connections; the zero value means
	// DefaultWebSocketLimits.
	WebSocket WebSocketLimits
	// AllowedOrigins are the browser origins ("https://app.example.com")
	// other than the server's own that may call /graphql (CORS) and open
	// WebSockets on it. Empty means the same origin only.
	AllowedOrigins []string
	// MetricsApart leaves /metrics off this handler, for a server that
	// serves MetricsHandler on a separate (internal) address.
	MetricsApart bool
	// RequestTimeout bounds one HTTP request to /graphql (WebSockets
	// excepted); the zero value means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// GraphiQL prefills the development explorer's headers.
	GraphiQL GraphiQLDefaults
	// Now is the clock token expiry is measured against (time.Now when
	// nil); the verifier must use the same one.
	Now func() time.Time
}

// New builds the portal's HTTP handler.
func New(cfg Config) http.Handler {
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := newMetrics(cfg.Registry)
	if cfg.RateLimit == (RateLimit{}) {
		cfg.RateLimit = DefaultRateLimit
	}
	lim := newLimiter(cfg.RateLimit)
	ws := newWSEdge(cfg, lim)
	gql := newGraphQL(cfg, log, m, ws)

	mux := http.NewServeMux()
	mux.Handle("/graphql", ws.wrap(graphqlGuard(cfg.Limits.MaxBodyBytes, gql)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if cfg.Ready != nil {
			if err := cfg.Ready(ctx); err != nil {
				log.WarnContext(r.Context(), "not ready", "err", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"status":"unavailable","database":"unreachable"}`))
				return
			}
		}
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	})
	if cfg.Registry != nil && !cfg.MetricsApart {
		mux.Handle("GET /metrics", MetricsHandler(cfg.Registry))
	}
	if cfg.Development {
		page, assets := graphiqlHandler(cfg.GraphiQL)
		mux.Handle("GET /{$}", page)
		mux.Handle("GET /graphiql/", assets)
	}

	var h http.Handler = mux
	h = withLanguage(h)
	h = withRateLimit(lim, h)
	h = withDeadline(cfg.RequestTimeout, h)
	h = withActor(h)
	if cfg.Verifier != nil {
		h = auth.Middleware(cfg.Verifier)(h)
	}
	h = withCORS(cfg.AllowedOrigins, h)
	h = withAccessLog(log, m, h)
	h = withRequestID(h)
	h = withRecover(log, h)
	return h
}

// MetricsHandler serves the registry's metrics in the Prometheus format.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// DefaultRequestTimeout is how long one GraphQL request over HTTP may take.
// The store's own bounds are shorter (PostgreSQL's lock_timeout 5 s and
// statement_timeout 10 s), so a slow statement fails with its own error
// first; this deadline also ends waits those do not cover (a connection
// that never answers, a pool exhausted by them). A request cut short
// answers INTERNAL; the person may retry.
const DefaultRequestTimeout = 15 * time.Second

// withDeadline gives every /graphql request over HTTP a deadline.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	if d == 0 {
		d = DefaultRequestTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d < 0 || r.URL.Path != "/graphql" || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func init() {
	// A query over the complexity limit is refused before execution, like
	// a validation failure: 400 under application/graphql-response+json.
	errcode.RegisterErrorType("COMPLEXITY_LIMIT_EXCEEDED", errcode.KindProtocol)
}

// useExtensions installs the server's handler extensions, in order,
// refusing a field interceptor: the executor (tools/gqlgen) marshals the
// plain fields of the models without gqlgen's field middleware, so an
// interceptor would not see them. Nothing here calls srv.AroundFields for
// the same reason (TestNoFieldInterceptor).
func useExtensions(srv *handler.Server, exts ...graphql.HandlerExtension) error {
	for _, ext := range exts {
		if _, ok := ext.(graphql.FieldInterceptor); ok {
			return fmt.Errorf("httpapi: %s is a field interceptor, which the generated executor bypasses for plain fields (tools/gqlgen)", ext.ExtensionName())
		}
		srv.Use(ext)
	}
	return nil
}

func newGraphQL(cfg Config, log *slog.Logger, m *metrics, ws *wsEdge) *handler.Server {
	srv := handler.New(cfg.Schema)
	srv.AddTransport(ws.transport())
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postOnce{})

	docs := newDocCache(cfg.Limits.QueryCacheBytes)
	apq := newAPQCache(cfg.Limits.APQCacheBytes)
	srv.SetQueryCache(docs)
	srv.SetParserTokenLimit(cfg.Limits.ParserTokens)
	srv.SetDisableSuggestion(!cfg.Development)
	srv.SetValidationRulesFn(validationRules(cfg.Development))
	if cfg.Development {
		srv.Use(extension.Introspection{})
	}
	// Order matters: the persisted query is looked up, then the cost gate
	// measures the text before gqlgen parses and validates it; the limits
	// run on the validated operation, and only then is a new persisted
	// query registered.
	if err := useExtensions(srv,
		operationGate{ws: ws},
		extension.AutomaticPersistedQuery{Cache: apq},
		costGate{limits: cfg.Limits, introspection: cfg.Development, docs: docs},
		newComplexityLimit(cfg.Limits.ComplexityLimit),
		depthLimit{max: cfg.Limits.MaxDepth},
		textGate{},
		apqCommit{cache: apq},
	); err != nil {
		panic(err)
	}
	srv.AroundResponses(capErrors(cfg.Limits.MaxErrors))
	srv.AroundOperations(ws.capSubscriptions)
	srv.AroundOperations(m.aroundOperations)
	for _, f := range cfg.Around {
		srv.AroundOperations(f)
	}
	srv.SetErrorPresenter(errorPresenter(log))
	srv.SetRecoverFunc(recoverFunc(log))
	return srv
}

// validationRules is gqlparser's rule set; in production every rule that
// can suggest names ("Did you mean …") is swapped for its variant without
// suggestions, since suggestions map the schema for a client that may not
// introspect it. gqlgen itself swaps only FieldsOnCorrectType and
// ScalarLeafs.
func validationRules(development bool) func() *rules.Rules {
	return func() *rules.Rules {
		r := rules.NewDefaultRules()
		if development {
			return r
		}
		for _, swap := range []struct {
			old string
			new core.Rule
		}{
			{rules.ValuesOfCorrectTypeRule.Name, rules.ValuesOfCorrectTypeRuleWithoutSuggestions},
			{rules.KnownArgumentNamesRule.Name, rules.KnownArgumentNamesRuleWithoutSuggestions},
			{rules.KnownTypeNamesRule.Name, rules.KnownTypeNamesRuleWithoutSuggestions},
		} {
			r.RemoveRule(swap.old)
			r.AddRule(swap.new.Name, swap.new.RuleFunc)
		}
		return r
	}
}

// capErrors keeps a response to max errors: a document with thousands of
// faults would otherwise be answered with thousands of errors (250,000 for
// 1,000 conflicting fields, 72 MB).
func capErrors(max int) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || max <= 0 || len(resp.Errors) <= max {
			return resp
		}
		n := len(resp.Errors)
		resp.Errors = append(resp.Errors[:max:max], &gqlerror.Error{
			Message:    fmt.Sprintf("%d more errors not shown", n-max),
			Extensions: resp.Errors[0].Extensions,
		})
		return resp
	}
}
