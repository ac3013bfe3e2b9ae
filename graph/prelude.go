package graph

import (
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// gqlparser's prelude lets @deprecated stand on DIRECTIVE_DEFINITION, a
// location of a proposal that no edition of the GraphQL specification has.
// Introspection reported it, and graphql-js 16 (under GraphQL Code
// Generator, GraphiQL's SDL export, Apollo's tooling) cannot read it back:
// generating types from the live endpoint failed with `Syntax Error:
// Unexpected Name "DIRECTIVE_DEFINITION"`. The schema served keeps the
// specification's locations; no directive of ours is deprecated.
func init() {
	d := parsedSchema.Directives["deprecated"]
	if d == nil {
		return
	}
	d.Locations = slices.DeleteFunc(d.Locations, func(l ast.DirectiveLocation) bool {
		return l == ast.LocationDirectiveDefinition
	})
}
