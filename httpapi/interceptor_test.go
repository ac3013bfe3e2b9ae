package httpapi

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
)

// fieldSpy is a field interceptor, which the server must refuse.
type fieldSpy struct{}

func (fieldSpy) ExtensionName() string                   { return "fieldSpy" }
func (fieldSpy) Validate(graphql.ExecutableSchema) error { return nil }
func (fieldSpy) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// TestNoFieldInterceptor: the generated executor marshals the plain fields
// of the models without gqlgen's field middleware (tools/gqlgen), so the
// server installs no field interceptor, and refuses one.
func TestNoFieldInterceptor(t *testing.T) {
	srv := handler.New(nil)
	if err := useExtensions(srv, depthLimit{max: 3}); err != nil {
		t.Fatalf("an operation extension was refused: %v", err)
	}
	err := useExtensions(srv, fieldSpy{})
	if err == nil || !strings.Contains(err.Error(), "fieldSpy") {
		t.Fatalf("a field interceptor was installed (err %v); want it refused", err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), ".AroundFields(") {
			t.Errorf("%s calls AroundFields, which the generated executor bypasses for plain fields", f)
		}
	}
}
