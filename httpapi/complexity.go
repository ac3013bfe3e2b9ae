package httpapi

import (
	"context"
	"errors"
	"weak"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// complexityLimit is gqlgen's ComplexityLimit extension (same name, same
// stats, same error and code) over Complexity, which walks each fragment
// once. gqlgen's walker (complexity.Calculate) follows every spread anew,
// so a fragment spread twice per level costs 2^levels: the cost gate caps
// spreads before this runs, but the limit should not depend on that.
type complexityLimit struct {
	limit int
	es    graphql.ExecutableSchema
	// costs remembers the cost of operations that declare no variables,
	// which is a function of the operation alone: the document cache hands
	// every request of the same text the same parsed operation, so the home
	// screen is walked once, not on every request (the walk was 8 % of the
	// handler's CPU and 250 allocations a home screen). The keys are weak:
	// an operation the document cache has dropped is not kept alive here.
	// An operation with variables is walked every time, and its variables,
	// which may carry a subscriber's input, are never kept.
	costs *otter.Cache[weak.Pointer[ast.OperationDefinition], int]
}

// costsCached bounds the operations whose cost is remembered; an entry is
// a few words.
const costsCached = 4096

func newComplexityLimit(limit int) *complexityLimit {
	return &complexityLimit{limit: limit, costs: otter.Must(&otter.Options[weak.Pointer[ast.OperationDefinition], int]{
		MaximumSize: costsCached,
	})}
}

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = &complexityLimit{}

// ExtensionName is gqlgen's, so extension.GetComplexityStats reads the
// figures this records.
func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	if es == nil {
		return errors.New("complexity limit: no schema")
	}
	c.es = es
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil
	}
	n := c.cost(ctx, oc.Doc, op, oc.Variables)
	oc.Stats.SetExtension(c.ExtensionName(), &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.limit})
	if n > c.limit {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", n, c.limit)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	return nil
}

// cost is Complexity, remembered for an operation without variables.
func (c *complexityLimit) cost(ctx context.Context, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) int {
	if len(op.VariableDefinitions) > 0 {
		return Complexity(ctx, c.es, doc, op, vars)
	}
	key := weak.Make(op)
	if n, ok := c.costs.GetIfPresent(key); ok {
		return n
	}
	n := Complexity(ctx, c.es, doc, op, vars)
	c.costs.Set(key, n)
	return n
}

// Complexity is the cost of a validated operation as gqlgen's
// complexity.Calculate counts it (the schema's per-field costs, 1 for a
// field without one plus its children, interfaces at their dearest
// implementation, __schema free), with each fragment of doc costed once and
// remembered: a fragment's cost does not depend on where it is spread,
// since validation has resolved its fields against its type condition. The
// walk is linear in the document's size, however its fragments fan out.
func Complexity(ctx context.Context, es graphql.ExecutableSchema, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) int {
	w := complexityWalk{ctx: ctx, es: es, schema: es.Schema(), vars: vars, fragments: map[string]int{}}
	return w.selectionSet(op.SelectionSet)
}

type complexityWalk struct {
	ctx       context.Context
	es        graphql.ExecutableSchema
	schema    *ast.Schema
	vars      map[string]any
	fragments map[string]int // fragment name → its cost, once walked
}

func (w *complexityWalk) selectionSet(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = saturatingAdd(total, w.field(s))
		case *ast.FragmentSpread:
			total = saturatingAdd(total, w.fragment(s))
		case *ast.InlineFragment:
			total = saturatingAdd(total, w.selectionSet(s.SelectionSet))
		}
	}
	return total
}

func (w *complexityWalk) fragment(s *ast.FragmentSpread) int {
	if s.Definition == nil {
		return 0
	}
	if n, ok := w.fragments[s.Name]; ok {
		return n
	}
	// A cycle is a validation error, so none reaches here; the provisional
	// zero only guarantees the walk ends whatever it is given.
	w.fragments[s.Name] = 0
	n := w.selectionSet(s.Definition.SelectionSet)
	w.fragments[s.Name] = n
	return n
}

func (w *complexityWalk) field(s *ast.Field) int {
	if s.Definition == nil || s.ObjectDefinition == nil {
		return 0
	}
	typ := w.schema.Types[s.Definition.Type.Name()]
	if typ == nil || typ.Name == "__Schema" {
		return 0
	}
	children := 0
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
		children = w.selectionSet(s.SelectionSet)
	}
	args := s.ArgumentMap(w.vars)
	if s.ObjectDefinition.Kind != ast.Interface {
		return w.cost(s.ObjectDefinition, typ.Kind, s.Name, children, args)
	}
	// An interface has no costs of its own: its dearest implementation's.
	most := 0
	for _, impl := range w.schema.GetPossibleTypes(s.ObjectDefinition) {
		most = max(most, w.cost(impl, typ.Kind, s.Name, children, args))
	}
	return most
}

func (w *complexityWalk) cost(def *ast.Definition, kind ast.DefinitionKind, field string, children int, args map[string]any) int {
	if n, ok := w.es.Complexity(w.ctx, def.Name, field, children, args); ok && n >= 1 {
		return n
	}
	return saturatingAdd(1, children)
}

// saturatingAdd adds two costs, ignoring a negative one and stopping at the
// largest int rather than wrapping, as gqlgen does, so that no document can
// overflow its way under the limit.
func saturatingAdd(a, b int) int {
	switch {
	case a < 0 && b < 0:
		return 1
	case a < 0:
		return b
	case b < 0:
		return a
	}
	if c := a + b; c >= a {
		return c
	}
	return int(^uint(0) >> 1)
}
