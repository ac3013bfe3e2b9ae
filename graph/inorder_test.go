package graph

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The executor (tools/gqlgen) marshals a list of objects in order only
// when the selection on its elements reaches no concurrently resolved
// field, directly, through a nested object or through a fragment; any
// such field makes the list fan out as gqlgen does, so that data loaders
// below it still batch.
func TestListsFanOutOnlyForConcurrentFields(t *testing.T) {
	es := NewExecutableSchema(Config{}).(*executableSchema)
	for _, c := range []struct {
		name, holdings, fragments string
		concurrent                bool
	}{
		{"plain fields", `id value category { code label } purposes { code }`, "", false},
		{"nested objects of plain fields", `retention { state purgeAfter clauses { clause { code } since active } governingClause { code } }`, "", false},
		{"plain fields behind a named fragment", `...F`, `fragment F on Holding { id value }`, false},
		{"a field resolver", `id correctionRequested`, "", true},
		{"a field resolver behind an inline fragment", `id ... on Holding { correctionRequested }`, "", true},
		{"a field resolver behind a named fragment", `id ...F`, `fragment F on Holding { correctionRequested }`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(es.Schema(), `{ me { holdings { `+c.holdings+` } } } `+c.fragments)
			if errs != nil {
				t.Fatalf("%v", errs)
			}
			ec := newExecutionContext(&graphql.OperationContext{Doc: doc, Variables: map[string]any{}}, es, nil)
			me := doc.Operations[0].SelectionSet[0].(*ast.Field)
			holdings := me.SelectionSet[0].(*ast.Field)
			if got := ec._Holding_concurrentIn(holdings.SelectionSet); got != c.concurrent {
				t.Errorf("_Holding_concurrentIn = %v, want %v", got, c.concurrent)
			}
		})
	}
}
