package resolvers

import (
	"context"
	"encoding/json"
	"math"

	"github.com/99designs/gqlgen/graphql"

	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/requests"
)

// meAhead decodes what the `me` being resolved will show besides the
// subscriber — which of its list fields its selection asks for, with
// their arguments decoded as their resolvers decode them — so that the
// inventory reads it all with the subject (inventory.LoadOwnAhead). A
// list whose arguments do not decode is left to its resolver, which
// reports the error.
func meAhead(ctx context.Context) inventory.Ahead {
	var a inventory.Ahead
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return a
	}
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, []string{"Me"}) {
		args := f.ArgumentMap(oc.Variables)
		switch f.Name {
		case "holdings":
			a.Holdings = true
		case "consents":
			a.Consents = true
		case "records":
			kind, kok := stringArg(args["kind"])
			first, fok := intArg(args["first"])
			after, aok := stringArg(args["after"])
			if !kok || !fok || !aok {
				continue
			}
			if p, err := recordsArgs(kind, first, after); err == nil {
				a.Records = append(a.Records, p)
			}
		case "requests":
			first, fok := intArg(args["first"])
			after, aok := stringArg(args["after"])
			if !fok || !aok {
				continue
			}
			if p, err := ownRequestsArgs(first, after); err == nil {
				a.Requests = append(a.Requests, p)
			}
		}
	}
	return a
}

// recordsArgs decodes the arguments of `me { records }`.
func recordsArgs(kind *string, first *int, after *string) (inventory.RecordsAhead, error) {
	n, err := pageSize(first, inventory.DefaultPage, inventory.MaxPage)
	if err != nil {
		return inventory.RecordsAhead{}, err
	}
	cur, err := decodeRecordCursor(after)
	if err != nil {
		return inventory.RecordsAhead{}, err
	}
	return inventory.RecordsAhead{Kind: deref(kind), First: n, After: cur}, nil
}

// ownRequestsArgs decodes the arguments of `me { requests }`.
func ownRequestsArgs(first *int, after *string) (models.RequestPage, error) {
	n, err := pageSize(first, requests.DefaultPage, requests.MaxPage)
	if err != nil {
		return models.RequestPage{}, err
	}
	t, id, ok, err := decodeTimeCursor(ownCursorTag, after)
	if err != nil {
		return models.RequestPage{}, err
	}
	p := models.RequestPage{Limit: n}
	if ok {
		p.After = &models.RequestKey{FiledAt: t, ID: id}
	}
	return p, nil
}

// intArg is an Int argument as the selection holds it: an int64 literal
// or a variable's JSON number; nil when absent or null. ok is false for
// anything else, which the field's resolver will refuse.
func intArg(v any) (n *int, ok bool) {
	var i int64
	switch x := v.(type) {
	case nil:
		return nil, true
	case int64:
		i = x
	case json.Number:
		var err error
		if i, err = x.Int64(); err != nil {
			return nil, false
		}
	default:
		return nil, false
	}
	if i > math.MaxInt32 || i < math.MinInt32 {
		return nil, false
	}
	r := int(i)
	return &r, true
}

// stringArg is a String argument as the selection holds it; nil when
// absent or null.
func stringArg(v any) (s *string, ok bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return &x, true
	}
	return nil, false
}
