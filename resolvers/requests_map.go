package resolvers

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/paging"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/reqctx"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/retention"
)

func fileInput(in models.FileRequestInput) (requests.FileInput, error) {
	out := requests.FileInput{Type: in.Type, IdempotencyKey: in.IdempotencyKey}
	if in.SubscriberID != nil {
		out.SubscriberID = *in.SubscriberID
	}
	if in.Reason != nil {
		out.Reason = *in.Reason
	}
	if in.FeeRelated != nil {
		out.FeeRelated = *in.FeeRelated
	}
	if in.Via != nil {
		out.Via = string(*in.Via)
	}
	out.Purposes = in.Purposes
	if c := in.Correction; c != nil {
		out.Correction = &requests.Correction{Category: c.Category, Value: c.Value}
	}
	if v := in.Verification; v != nil {
		out.Verification = &requests.Verification{Method: v.Method, Reference: v.Reference}
	}
	if sc := in.Scope; sc != nil {
		out.Scope = requests.Scope{All: sc.All != nil && *sc.All, Categories: sc.Categories, RecordKinds: sc.RecordKinds}
		for i, id := range sc.RecordIds {
			n, err := strconv.ParseInt(strings.TrimPrefix(id, "Record:"), 10, 64)
			if err != nil || n <= 0 {
				return out, apperr.BadInput("input.scope.recordIds["+strconv.Itoa(i)+"]", "not a record id")
			}
			out.Scope.RecordIDs = append(out.Scope.RecordIDs, n)
		}
	}
	return out, nil
}

func requestConnection(p requests.Page, hasPrev bool, cursor func(*models.Request) string) *models.RequestConnection {
	c := &models.RequestConnection{Edges: make([]*models.RequestEdge, len(p.Requests)), PageInfo: &models.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: hasPrev}}
	for i, r := range p.Requests {
		c.Edges[i] = &models.RequestEdge{Cursor: cursor(r), Node: r}
	}
	if n := len(c.Edges); n > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &c.Edges[0].Cursor, &c.Edges[n-1].Cursor
	}
	return c
}

// Cursors of the request lists: tagged, so one list's cursor given to the
// other is refused.
const (
	ownCursorTag   = "reqown"
	queueCursorTag = "reqqueue"
)

func encodeTimeCursor(tag string, t time.Time, id string) string {
	return paging.Encode(tag, paging.Micros(t), id)
}

// decodeTimeCursor reads a cursor of tag; ok is false for no cursor.
func decodeTimeCursor(tag string, s *string) (time.Time, string, bool, error) {
	f, err := paging.Decode(deref(s), tag, 2)
	if f == nil || err != nil {
		return time.Time{}, "", false, err
	}
	t, err := paging.ParseMicros(f[0])
	if err != nil {
		return time.Time{}, "", false, err
	}
	return t, f[1], true, nil
}

func ownCursor(r *models.Request) string   { return encodeTimeCursor(ownCursorTag, r.FiledAt, r.ID) }
func queueCursor(r *models.Request) string { return encodeTimeCursor(queueCursorTag, r.DueAt, r.ID) }

// loaders batch the per-request lists of one operation into one query each.
type loaders struct {
	events   *dataloadgen.Loader[string, []*models.RequestEvent]
	outcomes *dataloadgen.Loader[string, []*models.RequestOutcome]
	// corrections maps a subscriber to the categories of their items with
	// a correction open.
	corrections *dataloadgen.Loader[string, map[string]bool]
}

type loadersKey struct{}

// WithLoaders gives each response its own dataloaders; staff's event
// loader includes internal comments, a subscriber's does not. A query or
// mutation has one response, a subscription one per push: loaders made once
// per operation would cache the first push's lists and repeat them in every
// later push.
func (r *Resolver) WithLoaders(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	who, err := actor.Require(ctx)
	staff := requests.SeesInternal(who)
	// A subscription's pushes are authorised when their change arrives
	// (follow), but the lists are read a moment later: internal comments
	// read for staff are checked again after the read, so a reassignment
	// committed in between cannot leak the next assignee's comments.
	var recheck func(context.Context, string) error
	query := false
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			query = op.Operation == ast.Query
			if staff && err == nil && op.Operation == ast.Subscription {
				recheck = func(ctx context.Context, id string) error {
					_, err := r.RequestSvc.Get(ctx, who, id)
					return err
				}
			}
		}
	}
	respond := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		ctx = context.WithValue(ctx, loadersKey{}, r.newLoaders(staff, recheck))
		if query {
			// A query writes nothing it reads back, so what its fields read
			// more than once (the home screen's consents) is read once.
			ctx = reqctx.WithMemo(ctx)
		}
		return respond(ctx)
	}
}

func (r *Resolver) newLoaders(staff bool, recheck func(context.Context, string) error) *loaders {
	return &loaders{
		events: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string][]*models.RequestEvent, error) {
			m, err := r.RequestSvc.Events(ctx, ids, staff)
			if err == nil && recheck != nil {
				for _, id := range ids {
					if err := recheck(ctx, id); err != nil {
						return nil, err
					}
				}
			}
			return fill(ids, m), err
		}, dataloadgen.WithWait(time.Millisecond)),
		outcomes: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string][]*models.RequestOutcome, error) {
			m, err := r.RequestSvc.Outcomes(ctx, ids)
			return fill(ids, m), err
		}, dataloadgen.WithWait(time.Millisecond)),
		corrections: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]map[string]bool, error) {
			out := make(map[string]map[string]bool, len(ids))
			for _, id := range ids {
				// One subscriber per `me` or `subscriber(id)`: one query.
				m, err := r.RequestSvc.CorrectionsRequested(ctx, id)
				if err != nil {
					return nil, err
				}
				out[id] = m
			}
			return out, nil
		}, dataloadgen.WithWait(time.Millisecond)),
	}
}

func loadersFrom(ctx context.Context) *loaders {
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	return l
}

// fill gives every key a value, so a request without events is an empty
// list rather than a not-found.
func fill[V any](ids []string, m map[string][]V) map[string][]V {
	if m == nil {
		m = map[string][]V{}
	}
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			m[id] = []V{}
		}
	}
	return m
}

// outcomeExplanation maps a stored outcome to the words retention owns.
func (r *Resolver) outcomeExplanation(o *models.RequestOutcome, l policy.Lang) string {
	out := retention.Outcome{Kind: o.Outcome, DecidedAt: o.DecidedAt, Category: o.Category, Until: o.UntilAt}
	if o.Clause != nil {
		out.Clause, _ = r.Catalog.Clause(*o.Clause)
	}
	if o.Note != nil {
		out.HoldReason = requests.HoldReasonOfNote(*o.Note)
	}
	return retention.ExplainOutcome(r.Catalog, out, l)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// suspensionCursorTag tags the cursors of the suspensions list.
const suspensionCursorTag = "susp"

func encodeIDCursor(tag, id string) string { return paging.Encode(tag, id) }

func decodeIDCursor(tag string, s *string) (string, error) {
	f, err := paging.Decode(deref(s), tag, 1)
	if f == nil || err != nil {
		return "", err
	}
	return f[0], nil
}

func suspensionView(r *models.Request) *models.Suspension {
	return &models.Suspension{RequestID: r.ID, SubscriberID: r.SubscriberID, Purposes: requests.SuspendedPurposes(r), Since: r.FiledAt, Status: r.Status}
}

func suspensionConnection(p requests.Page, hasPrev bool) *models.SuspensionConnection {
	c := &models.SuspensionConnection{Edges: make([]*models.SuspensionEdge, len(p.Requests)), PageInfo: &models.PageInfo{HasNextPage: p.HasNext, HasPreviousPage: hasPrev}}
	for i, r := range p.Requests {
		c.Edges[i] = &models.SuspensionEdge{Cursor: encodeIDCursor(suspensionCursorTag, r.ID), Node: suspensionView(r)}
	}
	if n := len(c.Edges); n > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &c.Edges[0].Cursor, &c.Edges[n-1].Cursor
	}
	return c
}

// correctionCursorTag tags the cursors of the correction tasks.
const correctionCursorTag = "corr"

func correctionConnection(tasks []requests.CorrectionTask, more, hasPrev bool) *models.CorrectionTaskConnection {
	c := &models.CorrectionTaskConnection{Edges: make([]*models.CorrectionTaskEdge, len(tasks)), PageInfo: &models.PageInfo{HasNextPage: more, HasPreviousPage: hasPrev}}
	for i, t := range tasks {
		r := t.Request
		cat := ""
		if r.CorrectionCategory != nil {
			cat = *r.CorrectionCategory
		}
		c.Edges[i] = &models.CorrectionTaskEdge{Cursor: encodeIDCursor(correctionCursorTag, r.ID), Node: &models.CorrectionTask{
			RequestID: r.ID, SubscriberID: r.SubscriberID, Category: cat, Value: t.Value, FiledAt: r.FiledAt, DueAt: r.DueAt,
		}}
	}
	if n := len(c.Edges); n > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &c.Edges[0].Cursor, &c.Edges[n-1].Cursor
	}
	return c
}
