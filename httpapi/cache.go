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
// that differs, under the exact text too (each entry weighed apart).
func (d *docCache) Add(_ context.Context, query string, doc *ast.QueryDocument) {
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
	if p, ok := oc.Stats.GetExtension(apqPendingKey).(apqPending); ok {
		a.cache.c.Set(p.hash, normalizeQuery(p.query))
	}
	return nil
}
