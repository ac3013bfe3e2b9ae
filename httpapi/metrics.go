package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus series of the edge: HTTP requests by path and
// status, GraphQL operations by name and outcome, with latency histograms.
type metrics struct {
	httpRequests *prometheus.CounterVec
	httpLatency  *prometheus.HistogramVec
	gqlOps       *prometheus.CounterVec
	gqlLatency   *prometheus.HistogramVec
	names        nameSet
}

// maxOperationNames bounds the operation label: clients choose operation
// names, so past this many distinct ones the rest count as "other" and the
// series stay few whatever is sent.
const maxOperationNames = 200

// nameSet remembers the operation names already given a series.
type nameSet struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

func (s *nameSet) bound(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[name]; ok {
		return name
	}
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	if len(s.seen) >= maxOperationNames {
		return "other"
	}
	s.seen[name] = struct{}{}
	return name
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_http_requests_total", Help: "HTTP requests by path and status.",
		}, []string{"path", "status"}),
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portal_http_request_duration_seconds", Help: "HTTP request latency by path.",
			Buckets: prometheus.DefBuckets,
		}, []string{"path"}),
		gqlOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_graphql_operations_total", Help: "GraphQL operations by name, type and whether they had errors.",
		}, []string{"operation", "type", "errors"}),
		gqlLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portal_graphql_operation_duration_seconds", Help: "GraphQL operation latency by name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"operation"}),
	}
	if reg != nil {
		reg.MustRegister(m.httpRequests, m.httpLatency, m.gqlOps, m.gqlLatency)
	}
	return m
}

// knownPaths keeps the path label's cardinality fixed whatever clients send.
var knownPaths = map[string]bool{"/graphql": true, "/healthz": true, "/readyz": true, "/metrics": true, "/": true}

func (m *metrics) observeHTTP(r *http.Request, status int, d time.Duration) {
	path := r.URL.Path
	if !knownPaths[path] {
		path = "other"
	}
	m.httpRequests.WithLabelValues(path, strconv.Itoa(status)).Inc()
	m.httpLatency.WithLabelValues(path).Observe(d.Seconds())
}

func (m *metrics) aroundOperations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	name, typ := oc.OperationName, "unknown"
	if name == "" {
		name = "anonymous"
	}
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
	}
	if len(name) > 64 {
		name = name[:64]
	}
	name = m.names.bound(name)
	start := time.Now()
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if typ != "subscription" {
			m.gqlLatency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}
		hasErr := "false"
		if resp != nil && len(resp.Errors) > 0 {
			hasErr = "true"
		}
		m.gqlOps.WithLabelValues(name, typ, hasErr).Inc()
		return resp
	}
}
