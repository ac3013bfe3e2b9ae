package httpapi

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/xroshot/portal/loadtest"
)

// BenchmarkGateHomeScreen is what the cost gate adds to the home screen
// (loadtest.MeQuery): a cache hit (the steady state) normalizes the text
// to look it up; a miss parses and walks it once more before gqlgen does.
func BenchmarkGateHomeScreen(b *testing.B) {
	docs := newDocCache(DefaultLimits.QueryCacheBytes)
	g := costGate{limits: DefaultLimits, docs: docs}
	ctx := context.Background()
	b.Run("cached", func(b *testing.B) {
		docs.Add(ctx, loadtest.MeQuery, &ast.QueryDocument{})
		b.ReportAllocs()
		for b.Loop() {
			if err := g.MutateOperationParameters(ctx, &graphql.RawParams{Query: loadtest.MeQuery}); err != nil {
				b.Fatal(err)
			}
			if _, ok := docs.Get(ctx, loadtest.MeQuery); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("first", func(b *testing.B) {
		g := costGate{limits: DefaultLimits}
		b.ReportAllocs()
		for b.Loop() {
			if err := g.MutateOperationParameters(ctx, &graphql.RawParams{Query: loadtest.MeQuery}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
