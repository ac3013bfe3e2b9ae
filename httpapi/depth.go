package httpapi

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than max, which the
// complexity limit alone does not stop cheaply (a deep chain of cheap
// fields).
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || d.max <= 0 {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0, d.max+1); depth > d.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation is nested deeper than %d levels", d.max),
			Extensions: map[string]any{"code": errcode.ValidationFailed},
		}
	}
	return nil
}

// selectionDepth returns the depth of set, stopping once it passes limit so
// a hostile query costs no more than limit levels to measure.
func selectionDepth(set ast.SelectionSet, depth, limit int) int {
	if depth >= limit {
		return depth
	}
	max := depth
	for _, s := range set {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				// Introspection is exempt: graphql-js's standard query
				// nests ofType nine levels deep under __schema, and
				// gqlparser's MaxIntrospectionDepth rule already bounds
				// these fields. Introspection runs only in development
				// (the cost gate refuses it in production).
				d = depth + 1
			} else if len(s.SelectionSet) == 0 {
				d = depth + 1
			} else {
				d = selectionDepth(s.SelectionSet, depth+1, limit)
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, depth, limit)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, depth, limit)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}
