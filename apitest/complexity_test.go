package apitest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/httpapi"
	"github.com/xroshot/portal/loadtest"
)

// fanout is issue 15's fragment fan-out: each level spreads the one below
// twice, so the operation holds 2^levels copies of the last fragment's
// fields in a document of a few hundred bytes.
func fanout(levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query { policy { ...F%d } }\nfragment F0 on Policy { version hash }\n", levels)
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on Policy { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	return b.String()
}

// The complexity limit costs each fragment once (issue 15): its figures
// are gqlgen's own (complexity.Calculate, which re-walks every spread) on
// the home screen and on fan-outs small enough for gqlgen to walk, and its
// work does not double with each level of fan-out as gqlgen's does.
func TestComplexityWalkMemoisesFragments(t *testing.T) {
	env := apitest.New(t, "sqlite")
	ctx := context.Background()
	parse := func(t *testing.T, q string) (*ast.QueryDocument, *ast.OperationDefinition) {
		t.Helper()
		doc, err := gqlparser.LoadQuery(env.Schema.Schema(), q)
		if err != nil {
			t.Fatalf("%v", err)
		}
		return doc, doc.Operations[0]
	}
	// The same figures as gqlgen's walk.
	for name, q := range map[string]string{
		"home screen":      loadtest.MeQuery,
		"fan-out 2^10":     fanout(10),
		"inline and alias": `query { a: policy { version } b: policy { ... on Policy { hash purposes { code } } } }`,
	} {
		doc, op := parse(t, q)
		vars := map[string]any{}
		if want, got := complexity.Calculate(ctx, env.Schema, op, vars), httpapi.Complexity(ctx, env.Schema, doc, op, vars); got != want {
			t.Errorf("%s: complexity %d, gqlgen's walk says %d", name, got, want)
		}
	}
	if _, op := parse(t, fanout(10)); complexity.Calculate(ctx, env.Schema, op, nil) < 1<<11 {
		t.Fatal("the fan-out is not what the test means it to be")
	}

	// Work grows with the document, not with what its fragments expand to:
	// 2^12 and 2^24 copies take allocations within a few per added level,
	// where gqlgen's walk allocates per copy.
	allocs := func(levels int) float64 {
		doc, op := parse(t, fanout(levels))
		return testing.AllocsPerRun(5, func() { httpapi.Complexity(ctx, env.Schema, doc, op, nil) })
	}
	small, large := allocs(12), allocs(24)
	_, op12 := parse(t, fanout(12))
	gq := testing.AllocsPerRun(2, func() { complexity.Calculate(ctx, env.Schema, op12, nil) })
	t.Logf("allocations: memoised walk %v at 2^12 and %v at 2^24; gqlgen's walk %v at 2^12", small, large, gq)
	if large > small+12*8 {
		t.Errorf("2^24 copies took %v allocations against %v for 2^12: the walk follows spreads anew", large, small)
	}
	if gq < 100*small {
		t.Errorf("gqlgen's walk took %v allocations against %v: the comparison no longer shows anything", gq, small)
	}

	// And the limit still refuses: five pages of 100 records with their
	// retention, under a token, are over 5,000.
	dear := `query { me { ` + strings.Repeat(`r%d: records(first: 100) { edges { node { kind { code label } occurredAt summary retention { state purgeAfter explanation } } } } `, 5) + `} }`
	dear = fmt.Sprintf(dear, 1, 2, 3, 4, 5)
	doc, op := parse(t, dear)
	if n := httpapi.Complexity(ctx, env.Schema, doc, op, nil); n <= httpapi.DefaultLimits.ComplexityLimit {
		t.Fatalf("the dear query costs %d, not over the limit", n)
	}
	h, _ := productionEdge(t, env, httpapi.Limits{})
	res := post(t, h, map[string]any{"query": dear})
	if len(res.Errors) != 1 || res.Errors[0].Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["reason"] != "COMPLEXITY_LIMIT_EXCEEDED" || res.Data != nil {
		t.Errorf("want one BAD_USER_INPUT error for COMPLEXITY_LIMIT_EXCEEDED, got %+v", res)
	}
}
