package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
	"github.com/xroshot/portal/telemetry"
)

// The edge traces every request as a child of the caller's traceparent,
// and every GraphQL operation as a child of its request, named by
// operation type and name; an operation with errors carries their codes,
// and no span holds the query text or a value from it.
func TestRequestsAndOperationsAreTraced(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	env := apitest.New(t, "sqlite")
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	post := func(token, query string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		env.Do(t, req)
	}
	post(env.Token(t, "admin-1", "", auth.RoleAdmin), `query Queue { requests(first: 5) { edges { node { id } } } }`)
	post("", `query Secretive { subscriber(id: "김민준-010-2345-6789") { id } }`)

	spans := rec.Ended()
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = s
		if s.SpanContext().TraceID().String() != traceID {
			t.Errorf("span %q is in trace %s, want the caller's %s", s.Name(), s.SpanContext().TraceID(), traceID)
		}
		for _, a := range s.Attributes() {
			if v := a.Value.Emit(); strings.Contains(v, "김민준") || strings.Contains(v, "2345") || strings.Contains(v, "subscriber(id") {
				t.Errorf("span %q attribute %s = %q carries query text or a value", s.Name(), a.Key, v)
			}
		}
	}
	httpSpan, ok := byName["POST /graphql"]
	if !ok {
		t.Fatalf("no HTTP span; spans: %v", names(spans))
	}
	if httpSpan.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("HTTP span's parent = %s, want the traceparent's span", httpSpan.Parent().SpanID())
	}
	q, ok := byName["query Queue"]
	if !ok {
		t.Fatalf("no span for the Queue operation; spans: %v", names(spans))
	}
	if q.Status().Code == codes.Error {
		t.Errorf("Queue span status = %v, want no error", q.Status())
	}
	bad, ok := byName["query Secretive"]
	if !ok {
		t.Fatalf("no span for the Secretive operation; spans: %v", names(spans))
	}
	if bad.Status().Code != codes.Error || !strings.Contains(bad.Status().Description, "UNAUTHENTICATED") {
		t.Errorf("Secretive span status = %+v, want an error with code UNAUTHENTICATED", bad.Status())
	}
	if bad.Parent().TraceID().String() != traceID || !bad.Parent().SpanID().IsValid() {
		t.Errorf("operation span has no parent in the request's trace")
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

func TestTracingIsOffUnlessAnEndpointIsSet(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{name: "nothing set", want: false},
		{name: "endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, want: true},
		{name: "traces endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, want: true},
		{name: "exporter otlp without endpoint", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, want: false},
		{name: "exporter none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, want: false},
		{name: "sdk disabled", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := telemetry.TracingEnabled(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("TracingEnabled = %v, want %v", got, tc.want)
			}
		})
	}
}

// On PostgreSQL the statements an operation runs are spans under the
// operation's, in the caller's trace: an operator sees where a slow query
// spent its time without any statement text or value.
func TestStatementsAreTracedUnderTheirOperation(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	env := apitest.New(t, "postgres")
	if r := env.Query(t, env.Token(t, "admin-1", "", auth.RoleAdmin), `query Queue { requests(first: 5) { edges { node { id } } } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	spans := rec.Ended()
	var op sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == "query Queue" {
			op = s
		}
	}
	if op == nil {
		t.Fatalf("no span for the Queue operation; spans: %v", names(spans))
	}
	statements := 0
	for _, s := range spans {
		if s.Parent().SpanID() != op.SpanContext().SpanID() {
			continue
		}
		if s.Name() != "SELECT" {
			t.Errorf("under the operation, span %q: want the statements' (SELECT)", s.Name())
		}
		for _, a := range s.Attributes() {
			if a.Key == "db.query.text" || strings.Contains(a.Value.Emit(), "request") {
				t.Errorf("statement span attribute %s = %q", a.Key, a.Value.Emit())
			}
		}
		statements++
	}
	if statements == 0 {
		t.Errorf("no statement spans under the operation; spans: %v", names(spans))
	}
}
