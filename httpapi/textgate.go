package httpapi

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/textin"
)

// textGate applies the one text rule (package textin) to every string an
// operation carries, in its variables and in the literal arguments of its
// document, before anything runs: a NUL byte in a subscriber id, a
// request reason or a comment is BAD_USER_INPUT naming the field on both
// stores, instead of INTERNAL on PostgreSQL and stored on SQLite. The
// services' own checks (feed, and so `portal import`) call the same rule.
type textGate struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = textGate{}

func (textGate) ExtensionName() string                   { return "TextGate" }
func (textGate) Validate(graphql.ExecutableSchema) error { return nil }

func (textGate) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	for name, v := range oc.Variables {
		if err := textin.Walk(name, v); err != nil {
			return inputError(err)
		}
	}
	if oc.Operation == nil {
		return nil
	}
	seen := map[string]bool{}
	var walkSet func(ast.SelectionSet) error
	walkSet = func(set ast.SelectionSet) error {
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					if err := walkValue(a.Name, a.Value); err != nil {
						return err
					}
				}
				if err := walkSet(s.SelectionSet); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if err := walkSet(s.SelectionSet); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if s.Definition != nil && !seen[s.Name] {
					seen[s.Name] = true
					if err := walkSet(s.Definition.SelectionSet); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := walkSet(oc.Operation.SelectionSet); err != nil {
		return inputError(err)
	}
	return nil
}

// walkValue checks the string literals of an argument's value.
func walkValue(field string, v *ast.Value) error {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue, ast.EnumValue:
		return textin.Check(field, v.Raw)
	case ast.ListValue:
		for i, c := range v.Children {
			if err := walkValue(field+"["+itoa(i)+"]", c.Value); err != nil {
				return err
			}
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			if err := walkValue(field+"."+c.Name, c.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// inputError turns a textin error into the GraphQL error the client sees:
// BAD_USER_INPUT with extensions.field.
func inputError(err error) *gqlerror.Error {
	return &gqlerror.Error{Message: apperr.Message(err), Extensions: map[string]any{"code": apperr.CodeBadUserInput, "field": apperr.FieldOf(err)}}
}
