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
	"github.com/99designs/gqlgen/graphql/playground"
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
// (the app's home screen) has about 60 fields, 4 aliases and 3 spreads;
// graphql-js's introspection query about 250 fields once expanded.
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
	// RateLimit bounds each client's request rate; the zero value means
	// DefaultRateLimit, a negative PerSecond none.
	RateLimit RateLimit
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
	gql := newGraphQL(cfg, log, m)

	mux := http.NewServeMux()
	mux.Handle("/graphql", graphqlGuard(cfg.Limits.MaxBodyBytes, gql))
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
	if cfg.Registry != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry}))
	}
	if cfg.Development {
		mux.Handle("GET /{$}", playground.Handler("Privacy portal — GraphiQL", "/graphql"))
	}

	var h http.Handler = mux
	h = withLanguage(h)
	if cfg.RateLimit == (RateLimit{}) {
		cfg.RateLimit = DefaultRateLimit
	}
	h = withRateLimit(cfg.RateLimit, h)
	if cfg.Verifier != nil {
		h = auth.Middleware(cfg.Verifier)(h)
	}
	h = withAccessLog(log, m, h)
	h = withRequestID(h)
	h = withRecover(log, h)
	return h
}

func init() {
	// A query over the complexity limit is refused before execution, like
	// a validation failure: 400 under application/graphql-response+json.
	errcode.RegisterErrorType("COMPLEXITY_LIMIT_EXCEEDED", errcode.KindProtocol)
}

func newGraphQL(cfg Config, log *slog.Logger, m *metrics) *handler.Server {
	srv := handler.New(cfg.Schema)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           10 * time.Second,
		InitFunc:              websocketInit(cfg.Verifier),
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})

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
	srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	srv.Use(costGate{limits: cfg.Limits, introspection: cfg.Development, docs: docs})
	srv.Use(extension.FixedComplexityLimit(cfg.Limits.ComplexityLimit))
	srv.Use(depthLimit{max: cfg.Limits.MaxDepth})
	srv.Use(apqCommit{cache: apq})
	srv.AroundResponses(capErrors(cfg.Limits.MaxErrors))
	srv.AroundOperations(m.aroundOperations)
	for _, f := range cfg.Around {
		srv.AroundOperations(f)
	}
	srv.SetErrorPresenter(errorPresenter(log))
	srv.SetRecoverFunc(recoverFunc(log))
	return srv
}

// websocketInit authenticates a subscription from its connection_init
// payload: browsers cannot set headers on a WebSocket upgrade.
func websocketInit(v *auth.Verifier) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		if v == nil {
			return ctx, &payload, nil
		}
		p, err := auth.FromWebSocketInit(v, payload)
		switch {
		case err == nil && p != nil:
			ctx = auth.WithPrincipal(ctx, p)
		case err != nil:
			ctx = auth.WithAuthError(ctx, err)
		}
		return ctx, &payload, nil
	}
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
