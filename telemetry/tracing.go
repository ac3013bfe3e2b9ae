// Package telemetry is what operators see of a running portal beyond its
// logs: OpenTelemetry traces (HTTP requests and GraphQL operations, joined
// to the caller's trace by its traceparent header; the store adds one span
// a PostgreSQL statement, store/tracing.go) and the Prometheus
// series of the jobs behind the API (purge runs, the outbox and its
// webhook, the database pool, the build).
//
// Tracing is off unless an OTLP endpoint is configured through the standard
// OpenTelemetry variables; the SDK reads them itself (OTEL_EXPORTER_OTLP_*,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, …).
// Spans carry operation names and types, never variables, query text or
// values: a literal in a query may be personal data.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// ServiceName is the service.name spans carry unless OTEL_SERVICE_NAME
// says otherwise.
const ServiceName = "xroshot-portal"

// TracingEnabled reads the standard variables: tracing is on when an OTLP
// endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and neither OTEL_SDK_DISABLED=true
// nor OTEL_TRACES_EXPORTER=none turns it off. Unlike the SDK's own default
// (OTLP to localhost), nothing is exported unless asked for.
func TracingEnabled(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	switch exp := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); exp {
	case "", "otlp":
	default:
		// "none", or an exporter this build does not carry.
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// SetupTracing installs the W3C trace-context propagator (so an incoming
// traceparent is honoured and passed on) and, when enabled, a tracer
// provider exporting over OTLP/HTTP in batches. The returned function
// flushes and stops the exporter; call it on shutdown.
func SetupTracing(ctx context.Context, enabled bool, version string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !enabled {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(ServiceName), semconv.ServiceVersion(version)))
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	// The environment's resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES)
	// wins over the defaults above.
	if env, envErr := resource.New(ctx, resource.WithFromEnv()); envErr == nil {
		if merged, mErr := resource.Merge(res, env); mErr == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// untraced are the paths probes and scrapers hit every few seconds: spans
// for them would drown the ones that matter.
var untraced = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// HTTP wraps the edge so that every request is a server span, a child of
// the caller's traceparent when it sends one. Span names are the method and
// a fixed path, never a query string.
func HTTP(next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "http",
		otelhttp.WithFilter(func(r *http.Request) bool { return !untraced[r.URL.Path] }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			path := r.URL.Path
			if path != "/graphql" && path != "/" {
				path = "other"
			}
			return r.Method + " " + path
		}),
	)
}
