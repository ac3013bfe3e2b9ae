package httpapi

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// docWeightPerByte estimates what a parsed, validated document costs in
// memory per byte of its normalized text: the AST holds a node with
// positions and names for every few bytes of source. Measured on the
// portal's own queries at about 20; rounded up so the budget errs towards
// fewer entries.
const docWeightPerByte = 32

// docCache is the parsed-query cache, bounded in bytes rather than entries
// (250 entries of 900 kB each took 227 MB when it counted entries). It is
// keyed by the query's normalized text, so comments and white space do not
// make new entries.
type docCache struct {
	c *otter.Cache[string, *ast.QueryDocument]
}

func newDocCache(maxBytes uint64) *docCache {
	return &docCache{c: otter.Must(&otter.Options[string, *ast.QueryDocument]{
		MaximumWeight: maxBytes,
		Weigher: func(k string, _ *ast.QueryDocument) uint32 {
			return weight(len(k)*docWeightPerByte + 1024)
		},
	})}
}

var _ graphql.Cache[*ast.QueryDocument] = (*docCache)(nil)

// Get implements graphql.Cache. The exact text is tried first: a client
// sends the same text every time, and lexing it costs more than the
// lookup.
func (d *docCache) Get(_ context.Context, query string) (*ast.QueryDocument, bool) {
	if doc, ok := d.c.GetIfPresent(query); ok {
		return doc, true
	}
	return d.c.GetIfPresent(normalizeQuery(query))
}

// Add implements graphql.Cache; gqlgen calls it only for a document that
// parsed and validated. It is stored under its normalized text and, when
// that differs, under the exact text too (each entry weighed apart). A
// mutation written with its values inline is not stored at all (see
// carriesValues).
func (d *docCache) Add(_ context.Context, query string, doc *ast.QueryDocument) {
	if carriesValues(doc) {
		return
	}
	key := normalizeQuery(query)
	d.c.Set(key, doc)
	if key != query {
		d.c.Set(query, doc)
	}
}

// Has reports whether query is cached, without counting as a use.
func (d *docCache) Has(query string) bool {
	if _, ok := d.c.GetEntryQuietly(query); ok {
		return true
	}
	_, ok := d.c.GetEntryQuietly(normalizeQuery(query))
	return ok
}

// carriesValues reports whether doc holds a mutation written with values
// inline: a string, number or custom-scalar literal in an argument, in a
// directive or as a variable's default, in the mutation or in any fragment
// of the document. Such a text is the subscriber's input itself (a
// comment's body, a reason, a phone number), and neither cache keeps it:
// cached, it would stay in memory as long as the entry lives, beyond the
// request and beyond an erasure of what it carried. Enum values, booleans
// and null name choices, not values, and do not count; queries carry ids
// and codes, and stay cached. Clients that send mutations with variables,
// as every generated client does, keep the cache's benefit.
func carriesValues(doc *ast.QueryDocument) bool {
	if doc == nil {
		return false
	}
	mutation := false
	for _, op := range doc.Operations {
		if op.Operation != ast.Mutation {
			continue
		}
		mutation = true
		for _, v := range op.VariableDefinitions {
			if literal(v.DefaultValue) || directivesLiteral(v.Directives) {
				return true
			}
		}
		if directivesLiteral(op.Directives) || selectionLiteral(op.SelectionSet) {
			return true
		}
	}
	if !mutation {
		return false
	}
	for _, f := range doc.Fragments {
		if directivesLiteral(f.Directives) || selectionLiteral(f.SelectionSet) {
			return true
		}
	}
	return false
}

func selectionLiteral(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if literal(a.Value) {
					return true
				}
			}
			if directivesLiteral(s.Directives) || selectionLiteral(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if directivesLiteral(s.Directives) || selectionLiteral(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if directivesLiteral(s.Directives) {
				return true
			}
		}
	}
	return false
}

func directivesLiteral(ds ast.DirectiveList) bool {
	for _, d := range ds {
		for _, a := range d.Arguments {
			if literal(a.Value) {
				return true
			}
		}
	}
	return false
}

// literal reports whether v is, or holds in a list or input object, a
// value other than a variable, an enum value, a boolean or null.
func literal(v *ast.Value) bool {
	if v == nil {
		return false
	}
	switch v.Kind {
	case ast.Variable, ast.EnumValue, ast.BooleanValue, ast.NullValue:
		return false
	case ast.ListValue, ast.ObjectValue:
		for _, c := range v.Children {
			if literal(c.Value) {
				return true
			}
		}
		return false
	default:
		return true
	}
}

func weight(n int) uint32 {
	if n > 1<<31 {
		return 1 << 31
	}
	return uint32(n)
}

// apqPendingKey names the operation-context slot where a persisted query
// waits until the document has passed validation and every limit.
const apqPendingKey = "portal.apq.pending"

type apqPending struct{ hash, query string }

// apqCache holds automatic persisted queries (hash → normalized text),
// bounded in bytes. gqlgen's extension calls Add as soon as the hash
// matches, before the text is even parsed, so 650 registrations of 1 MB of
// garbage took the heap to 665 MB; Add here only notes the query on the
// operation, and apqCommit stores it once the operation is known good.
type apqCache struct {
	c *otter.Cache[string, string]
}

func newAPQCache(maxBytes uint64) *apqCache {
	return &apqCache{c: otter.Must(&otter.Options[string, string]{
		MaximumWeight: maxBytes,
		Weigher:       func(k, v string) uint32 { return weight(len(k) + len(v) + 64) },
	})}
}

var _ graphql.Cache[string] = (*apqCache)(nil)

// Get implements graphql.Cache.
func (a *apqCache) Get(_ context.Context, hash string) (string, bool) {
	return a.c.GetIfPresent(hash)
}

// Add implements graphql.Cache by deferring the registration to apqCommit.
func (a *apqCache) Add(ctx context.Context, hash, query string) {
	if !graphql.HasOperationContext(ctx) {
		return
	}
	graphql.GetOperationContext(ctx).Stats.SetExtension(apqPendingKey, apqPending{hash: hash, query: query})
}

// apqCommit registers the pending persisted query of an operation that
// parsed, validated and passed every limit. It must be the last operation
// context mutator.
type apqCommit struct{ cache *apqCache }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = apqCommit{}

func (apqCommit) ExtensionName() string                   { return "APQCommit" }
func (apqCommit) Validate(graphql.ExecutableSchema) error { return nil }
func (a apqCommit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if p, ok := oc.Stats.GetExtension(apqPendingKey).(apqPending); ok && !carriesValues(oc.Doc) {
		a.cache.c.Set(p.hash, normalizeQuery(p.query))
	}
	return nil
}
