package apitest_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/xroshot/portal/apitest"
	"github.com/xroshot/portal/auth"
)

// TestListsAnswerAlikeInOrderAndConcurrently: the generated executor
// (tools/gqlgen) marshals a list's elements one after another when the
// selection on them reaches no concurrently resolved field, and fans them
// out as gqlgen does when it does (Holding.correctionRequested is a field
// resolver reading through a data loader). Both ways give the same answer
// for the same fields, and the fanned-out list still reads the loader's
// rows once for any number of elements.
func TestListsAnswerAlikeInOrderAndConcurrently(t *testing.T) {
	t.Parallel()
	const inOrder = `{ me { holdings {
	  id value encrypted source collectedAt category { code label class sensitive } purposes { code }
	  retention { state purgeAfter openReason explanation governingClause { code citation }
	    clauses { clause { code law article } since until openReason active } } } } }`
	const fannedOut = `{ me { holdings {
	  id value encrypted source collectedAt category { code label class sensitive } purposes { code }
	  retention { state purgeAfter openReason explanation governingClause { code citation }
	    clauses { clause { code law article } since until openReason active } }
	  correctionRequested } } }`
	for _, d := range []string{"postgres", "sqlite"} {
		t.Run(d, func(t *testing.T) {
			env := apitest.New(t, d)
			subscriber(t, env, "small", apitest.Start.AddDate(-2, 0, 0), 0, 3)
			subscriber(t, env, "large", apitest.Start.AddDate(-2, 0, 0), 12, 30)
			type holdings struct {
				Me struct{ Holdings []map[string]any }
			}
			read := func(sub, query string) (holdings, int64) {
				t.Helper()
				tok := env.Token(t, sub, "", auth.RoleSubscriber)
				before := env.DB.Statements()
				res := env.Query(t, tok, query, nil)
				if len(res.Errors) > 0 {
					t.Fatalf("errors: %+v", res.Errors)
				}
				var h holdings
				if err := json.Unmarshal(res.Data, &h); err != nil {
					t.Fatal(err)
				}
				return h, env.DB.Statements() - before
			}
			a, _ := read("large", inOrder)
			b, largeStatements := read("large", fannedOut)
			_, smallStatements := read("small", fannedOut)
			if len(a.Me.Holdings) < 10 {
				t.Fatalf("%d holdings; the test needs a long list", len(a.Me.Holdings))
			}
			for _, h := range b.Me.Holdings {
				if _, ok := h["correctionRequested"]; !ok {
					t.Fatalf("correctionRequested missing from %v", h)
				}
				delete(h, "correctionRequested")
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("the list marshalled in order differs from the list fanned out:\n%v\n%v", a, b)
			}
			if largeStatements != smallStatements {
				t.Errorf("correctionRequested: %d statements for %d holdings, %d for a few; want the loader's one read for any number",
					largeStatements, len(b.Me.Holdings), smallStatements)
			}
		})
	}
}
