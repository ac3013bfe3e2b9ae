package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// Each PostgreSQL statement is a client span under the caller's span,
// named by its operation, and no span carries the statement's text, a
// parameter, the connection's details or the text of PostgreSQL's error
// (which quotes the bad value); the caller still gets the whole error.
func TestPostgresStatementsAreSpansWithoutTextOrValues(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	url := storetest.PostgresURL(t)
	db, err := store.Open(context.Background(), store.Options{URL: url, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	var n int
	if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM subscribers WHERE id = $1", "sub-secret-7").Scan(&n); err != nil {
		t.Fatal(err)
	}
	_, err = db.SQL().ExecContext(ctx, "SELECT $1::uuid", "not-a-uuid-secret-42")
	if err == nil || !strings.Contains(err.Error(), "not-a-uuid-secret-42") {
		t.Fatalf("the caller's error = %v, want PostgreSQL's own message", err)
	}
	parent.End()

	var children, failed int
	for _, s := range rec.Ended() {
		text := s.Name() + fmt.Sprint(s.Attributes()) + s.Status().Description
		for _, e := range s.Events() {
			text += e.Name + fmt.Sprint(e.Attributes)
		}
		for _, leak := range []string{"secret", "subscribers", "count(", "$1", "127.0.0.1", "5432", "invalid input"} {
			if strings.Contains(text, leak) {
				t.Errorf("span %q shows %q: %s", s.Name(), leak, text)
			}
		}
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			continue
		}
		children++
		if s.Name() != "SELECT" {
			t.Errorf("a statement's span is named %q, want its operation", s.Name())
		}
		if s.Status().Code == otelcodes.Error {
			failed++
			if !strings.Contains(fmt.Sprint(s.Attributes()), "22P02") {
				t.Errorf("the failed statement's span lacks its SQLSTATE: %v", s.Attributes())
			}
		}
	}
	if children < 2 || failed != 1 {
		t.Errorf("%d statement spans under the request's, %d failed; want at least 2, 1 failed", children, failed)
	}
}
