package httpapi

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// countingSchema costs a list field `items(first:)` at first×children and
// counts how often the walk asks it.
type countingSchema struct {
	schema *ast.Schema
	asked  int
}

func (s *countingSchema) Schema() *ast.Schema { return s.schema }
func (s *countingSchema) Exec(context.Context) graphql.ResponseHandler {
	panic("not executed in this test")
}

func (s *countingSchema) Complexity(_ context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	s.asked++
	if typeName == "Query" && field == "items" {
		if n, ok := args["first"].(int64); ok {
			return 1 + int(n)*child, true
		}
	}
	return 0, false
}

// The cost of an operation without variables is walked once and then
// remembered; one with variables is walked on every request, since its
// cost follows its values, which are not kept.
func TestComplexityRememberedForOperationsWithoutVariables(t *testing.T) {
	es := &countingSchema{schema: gqlparser.MustLoadSchema(&ast.Source{Input: `
		type Query { items(first: Int): [Item!]! }
		type Item { a: Int b: Int }`})}
	c := newComplexityLimit(1000)
	if err := c.Validate(es); err != nil {
		t.Fatal(err)
	}
	load := func(q string) *ast.QueryDocument {
		doc, err := gqlparser.LoadQuery(es.schema, q)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	ctx := context.Background()

	fixed := load(`{ items(first: 10) { a b } }`)
	op := fixed.Operations[0]
	first := c.cost(ctx, fixed, op, nil)
	if first != 1+10*2 {
		t.Fatalf("cost %d, want %d", first, 1+10*2)
	}
	asked := es.asked
	if again := c.cost(ctx, fixed, op, nil); again != first || es.asked != asked {
		t.Errorf("second cost %d (first %d), the schema asked %d more times; want the remembered cost and no walk",
			again, first, es.asked-asked)
	}

	varied := load(`query($n: Int) { items(first: $n) { a b } }`)
	vop := varied.Operations[0]
	small := c.cost(ctx, varied, vop, map[string]any{"n": int64(2)})
	asked = es.asked
	large := c.cost(ctx, varied, vop, map[string]any{"n": int64(50)})
	if small != 1+2*2 || large != 1+50*2 {
		t.Errorf("costs %d and %d for first 2 and 50, want %d and %d", small, large, 1+2*2, 1+50*2)
	}
	if es.asked == asked {
		t.Error("an operation with variables was not walked again")
	}
}
