package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestCachesBoundedInBytes: filling either cache with large entries keeps
// it within its byte budget, where counting entries let 250 texts of
// 900 kB take 227 MB.
func TestCachesBoundedInBytes(t *testing.T) {
	t.Parallel()
	const budget = 4 << 20
	docs := newDocCache(budget)
	apq := newAPQCache(budget)
	big := strings.Repeat("x", 100_000)
	for i := range 200 {
		q := fmt.Sprintf(`{ policy { version } } # %d`, i) + "\n" + fmt.Sprintf(`query Q%d { a(s: "%s") }`, i, big)
		docs.Add(context.Background(), q, &ast.QueryDocument{})
		oc := &graphql.OperationContext{}
		ctx := graphql.WithOperationContext(context.Background(), oc)
		apq.Add(ctx, fmt.Sprint(i), q)
		_ = apqCommit{cache: apq}.MutateOperationContext(ctx, oc)
	}
	docs.c.CleanUp()
	apq.c.CleanUp()
	if w := docs.c.WeightedSize(); w > budget {
		t.Errorf("query cache holds %d weighted bytes, budget %d", w, budget)
	}
	if w := apq.c.WeightedSize(); w > budget || w == 0 {
		t.Errorf("persisted-query cache holds %d bytes, budget %d", w, budget)
	}
}

// TestCacheKeyIgnoresCommentsAndSpace: a unique comment or other white
// space does not make a new query-cache entry; string contents do.
func TestCacheKeyIgnoresCommentsAndSpace(t *testing.T) {
	t.Parallel()
	a := normalizeQuery("query Q {\n  policy(lang: EN) { version } # 1\n}")
	b := normalizeQuery("# unique 2\nquery Q { policy( lang : EN ) , { version } }")
	if a != b {
		t.Errorf("%q != %q", a, b)
	}
	if normalizeQuery(`{ a(s: "x  y") }`) == normalizeQuery(`{ a(s: "x y") }`) {
		t.Error("white space inside a string was dropped")
	}
	docs := newDocCache(1 << 20)
	docs.Add(context.Background(), "{ policy { version } } # one", &ast.QueryDocument{})
	if !docs.Has("# two\n{policy{version}}") {
		t.Error("the same query with another comment missed the cache")
	}
}
