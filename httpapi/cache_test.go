package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
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

// TestMutationValuesAreNotCached: a mutation written with its values
// inline (a phone number in a comment, an e-mail in a reason) is kept by
// neither the parsed-query cache nor the persisted-query cache, so the
// values do not outlive the request; the same mutation with variables, and
// queries with ids and enum values, are cached as before.
func TestMutationValuesAreNotCached(t *testing.T) {
	t.Parallel()
	const phone = "010-5555-4444"
	tests := []struct {
		name   string
		query  string
		cached bool
	}{
		{"mutation, string literal", `mutation { addRequestComment(id: "r1", body: "call me at ` + phone + `") { id } }`, false},
		{"mutation, literal in an input object", `mutation { fileRequest(input: {type: DELETION, reason: "` + phone + `"}) { id } }`, false},
		{"mutation, literal in a list", `mutation { m(input: {tags: [A, "` + phone + `"]}) { id } }`, false},
		{"mutation, number literal", `mutation { m(amount: 1055554444) { id } }`, false},
		{"mutation, literal in a fragment", `mutation { ...F } fragment F on Mutation { addRequestComment(id: "r1", body: "` + phone + `") { id } }`, false},
		{"mutation, literal in a directive", `mutation { m(x: $x) @include(if: true) { id @skip(if: false) a: b(c: "` + phone + `") } }`, false},
		{"mutation, literal as a variable's default", `mutation($b: String = "` + phone + `") { addRequestComment(id: $id, body: $b) { id } }`, false},
		{"mutation, variables only", `mutation($id: ID!, $b: String!) { addRequestComment(id: $id, body: $b, internal: false) { id status } }`, true},
		{"mutation, enums, booleans and null", `mutation($id: ID!) { setConsent(id: $id, granted: true, channel: SMS, note: null) { id } }`, true},
		{"query with an id and an int", `{ request(id: "r1") { id } me { records(first: 5) { totalCount } } }`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := parser.ParseQuery(&ast.Source{Input: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			docs := newDocCache(1 << 20)
			docs.Add(context.Background(), tc.query, doc)
			if got := docs.Has(tc.query); got != tc.cached {
				t.Errorf("query cache holds it: %v, want %v", got, tc.cached)
			}

			apq := newAPQCache(1 << 20)
			oc := &graphql.OperationContext{Doc: doc, Stats: graphql.Stats{}}
			ctx := graphql.WithOperationContext(context.Background(), oc)
			apq.Add(ctx, "hash", tc.query)
			_ = apqCommit{cache: apq}.MutateOperationContext(ctx, oc)
			if _, got := apq.Get(ctx, "hash"); got != tc.cached {
				t.Errorf("persisted-query cache holds it: %v, want %v", got, tc.cached)
			}
			if !tc.cached {
				for k := range docs.c.All() {
					if strings.Contains(k, phone) {
						t.Errorf("the query cache holds the value under %q", k)
					}
				}
			}
		})
	}
}
