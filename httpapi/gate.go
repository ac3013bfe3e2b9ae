package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
)

// costGate refuses a document whose size, once its fragments are expanded,
// would make validation or the complexity walk expensive. It runs as an
// operation-parameter mutator, before gqlgen parses and validates: several
// validation rules follow every fragment spread without memoising
// (2^n work for n nested fragments that spread the next one twice), and
// OverlappingFieldsCanBeMerged compares every pair of fields sharing a
// response name (1,000 such fields cost 15 s of CPU). The gate's own walk
// memoises each fragment, so it is linear in the document's text.
//
// A document the query cache already holds passed the gate before and is
// not walked again.
type costGate struct {
	limits        Limits
	introspection bool
	docs          *docCache
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = costGate{}

func (costGate) ExtensionName() string                   { return "CostGate" }
func (costGate) Validate(graphql.ExecutableSchema) error { return nil }

func (g costGate) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // gqlgen answers "no operation provided"
	}
	if g.docs != nil && g.docs.Has(p.Query) {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, g.limits.ParserTokens)
	if err != nil {
		// Let gqlgen's own parse report the error, with its code.
		return nil
	}
	return g.check(doc)
}

// docCost is what a selection set costs once every fragment in it is
// expanded. Counts saturate at satLimit so a fragment fan-out of 2^60 does
// not overflow.
type docCost struct {
	fields, aliases, spreads int
	introspection            bool
	// names counts the fields of the set itself (with inline fragments and
	// spreads merged in) per response name: what the overlapping-fields rule
	// compares pairwise.
	names map[string]int
}

const satLimit = 1 << 40

func sat(a, b int) int {
	if s := a + b; s < satLimit {
		return s
	}
	return satLimit
}

type costWalker struct {
	doc     *ast.QueryDocument
	memo    map[string]*docCost
	active  map[string]bool
	maxSame int
	// worst is the largest count of one response name in any selection set
	// and the name, for the error message.
	worst     int
	worstName string
}

// check measures every operation and fragment of doc against the limits.
func (g costGate) check(doc *ast.QueryDocument) *gqlerror.Error {
	w := &costWalker{doc: doc, memo: map[string]*docCost{}, active: map[string]bool{}}
	var total docCost
	add := func(c *docCost) {
		total.fields = sat(total.fields, c.fields)
		total.aliases = sat(total.aliases, c.aliases)
		total.spreads = sat(total.spreads, c.spreads)
		total.introspection = total.introspection || c.introspection
	}
	for _, op := range doc.Operations {
		add(w.set(op.SelectionSet))
	}
	for _, f := range doc.Fragments {
		add(w.fragment(f.Name))
	}
	l := g.limits
	switch {
	case total.introspection && !g.introspection:
		return validationError("introspection is disabled on this server")
	case l.MaxFields > 0 && total.fields > l.MaxFields:
		return validationError(fmt.Sprintf("the document selects too many fields once its fragments are expanded (limit %d)", l.MaxFields))
	case l.MaxAliases > 0 && total.aliases > l.MaxAliases:
		return validationError(fmt.Sprintf("the document uses too many aliases (limit %d)", l.MaxAliases))
	case l.MaxSpreads > 0 && total.spreads > l.MaxSpreads:
		return validationError(fmt.Sprintf("the document spreads too many fragments once expanded (limit %d)", l.MaxSpreads))
	case l.MaxSameName > 0 && w.worst > l.MaxSameName:
		return validationError(fmt.Sprintf("the response name %q is selected %d times in one selection set (limit %d)", truncate(w.worstName, 64), w.worst, l.MaxSameName))
	}
	return nil
}

func (w *costWalker) fragment(name string) *docCost {
	if c, ok := w.memo[name]; ok {
		return c
	}
	def := w.doc.Fragments.ForName(name)
	if def == nil || w.active[name] {
		// Unknown fragments and cycles are validation errors of their own;
		// counting them as empty keeps this walk finite.
		return &docCost{}
	}
	w.active[name] = true
	c := w.set(def.SelectionSet)
	delete(w.active, name)
	w.memo[name] = c
	return c
}

func (w *costWalker) set(set ast.SelectionSet) *docCost {
	c := &docCost{names: map[string]int{}}
	merge := func(sub *docCost, mergeNames bool) {
		c.fields = sat(c.fields, sub.fields)
		c.aliases = sat(c.aliases, sub.aliases)
		c.spreads = sat(c.spreads, sub.spreads)
		c.introspection = c.introspection || sub.introspection
		if mergeNames {
			for n, k := range sub.names {
				c.names[n] = sat(c.names[n], k)
			}
		}
	}
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			c.fields = sat(c.fields, 1)
			if s.Alias != "" && s.Alias != s.Name {
				c.aliases = sat(c.aliases, 1)
			}
			if s.Name == "__schema" || s.Name == "__type" {
				c.introspection = true
			}
			resp := s.Alias
			if resp == "" {
				resp = s.Name
			}
			c.names[resp] = sat(c.names[resp], 1)
			if len(s.SelectionSet) > 0 {
				merge(w.set(s.SelectionSet), false)
			}
		case *ast.InlineFragment:
			merge(w.set(s.SelectionSet), true)
		case *ast.FragmentSpread:
			c.spreads = sat(c.spreads, 1)
			merge(w.fragment(s.Name), true)
		}
	}
	for n, k := range c.names {
		if k > w.worst {
			w.worst, w.worstName = k, n
		}
	}
	return c
}

func validationError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": errcode.ValidationFailed}}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// normalizeQuery returns the query's tokens joined by single spaces:
// comments, commas and runs of white space do not change what a query
// means, so they must not make a new cache entry. String literals keep
// their source text. A query that does not lex is returned as it is (it
// will fail to parse and never be cached).
func normalizeQuery(q string) string {
	lx := lexer.New(&ast.Source{Input: q})
	var b strings.Builder
	b.Grow(len(q))
	for {
		tok, err := lx.ReadToken()
		if err != nil {
			return q
		}
		switch tok.Kind {
		case lexer.EOF:
			return b.String()
		case lexer.Comment:
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(q[tok.Pos.Start:tok.Pos.End])
	}
}
