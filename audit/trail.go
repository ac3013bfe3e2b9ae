package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/paging"
)

// LogStore is what the trail reads and prunes, beyond recording.
type LogStore interface {
	Store
	// AuditAnchor returns where verification starts.
	AuditAnchor(ctx context.Context) (models.AuditAnchor, error)
	// AuditHead returns the newest event ever appended (seq 0 before the
	// first), as the database keeps it apart from the events.
	AuditHead(ctx context.Context) (models.AuditLink, error)
	// AuditEvent returns the event with seq, or apperr.ErrNotFound.
	AuditEvent(ctx context.Context, seq int64) (*models.AuditEvent, error)
	// AuditChain returns up to limit events with seq >= from, by seq.
	AuditChain(ctx context.Context, from int64, limit int) ([]*models.AuditEvent, error)
	// ListAuditEvents returns up to q.Limit events matching q, newest
	// (highest seq) first.
	ListAuditEvents(ctx context.Context, q models.AuditQuery) ([]*models.AuditEvent, error)
	// PruneAuditEvents removes the events before the first one that
	// occurred at or after before — always keeping the newest — moves the
	// anchor to the first kept event, and returns how many it removed.
	PruneAuditEvents(ctx context.Context, before time.Time) (int64, error)
	// InTx runs fn in one transaction.
	InTx(ctx context.Context, fn func(tx LogStore) error) error
}

// Trail is the audit trail: recording outside a caller's transaction,
// verification, listing for admins and retention pruning.
type Trail struct {
	store LogStore
	rec   *Recorder
	clock clock.Clock
}

// New returns the trail kept in s, stamping events with c.
func New(s LogStore, c clock.Clock) *Trail {
	if c == nil {
		c = clock.Real{}
	}
	return &Trail{store: s, rec: NewRecorder(c), clock: c}
}

// Recorder returns the recorder services use inside their transactions.
func (t *Trail) Recorder() *Recorder { return t.rec }

// Record appends e in a transaction of its own: for a read (a staff member
// opening a subscriber), which has no write to commit with. Serve the data
// only after it succeeds.
func (t *Trail) Record(ctx context.Context, e Event) error {
	return t.store.InTx(ctx, func(tx LogStore) error { return t.rec.Record(ctx, tx, e) })
}

// Filter selects events; empty fields do not filter.
type Filter struct {
	// Actor matches the actor id (the guardian, for a delegated token).
	Actor string
	// Subject matches the subscriber whose data was acted on.
	Subject string
	// Action matches the dotted verb exactly.
	Action string
	// From is inclusive and To exclusive.
	From, To *time.Time
}

// Page is one page of events, newest first.
type Page struct {
	// Events are the page's events, highest seq first.
	Events []*models.AuditEvent
	// Cursors[i] is the cursor of Events[i], to resume after it.
	Cursors []string
	// HasNextPage says whether older events match.
	HasNextPage bool
}

// EndCursor is the cursor of the last event, "" for an empty page.
func (p *Page) EndCursor() string {
	if len(p.Cursors) == 0 {
		return ""
	}
	return p.Cursors[len(p.Cursors)-1]
}

// Page sizes of List.
const (
	DefaultPageSize = paging.DefaultSize
	MaxPageSize     = paging.MaxSize
)

// List returns up to first events matching f (DefaultPageSize for 0, at
// most MaxPageSize), newest first, after the event whose cursor is after
// ("" for the first page). The trail is for admins only: anyone else is
// FORBIDDEN.
func (t *Trail) List(ctx context.Context, who actor.Actor, f Filter, first int, after string) (*Page, error) {
	if !who.Known() {
		return nil, apperr.Unauthenticated("a bearer token is required")
	}
	if !who.IsAdmin() {
		return nil, apperr.Forbidden("the audit trail is for admins")
	}
	switch {
	case first < 0:
		return nil, apperr.BadInput("first", "must not be negative")
	case first == 0:
		first = DefaultPageSize
	case first > MaxPageSize:
		first = MaxPageSize
	}
	before, err := decodeCursor(after)
	if err != nil {
		return nil, err
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return nil, apperr.BadInput("filter.to", "must be after filter.from")
	}
	q := models.AuditQuery{ActorID: f.Actor, SubjectID: f.Subject, Action: f.Action, BeforeSeq: before, Limit: first + 1}
	if f.From != nil {
		t := clock.Stored(*f.From)
		q.From = &t
	}
	if f.To != nil {
		t := clock.Stored(*f.To)
		q.To = &t
	}
	rows, err := t.store.ListAuditEvents(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &Page{HasNextPage: len(rows) > first}
	if page.HasNextPage {
		rows = rows[:first]
	}
	page.Events = rows
	page.Cursors = make([]string, len(rows))
	for i, e := range rows {
		page.Cursors[i] = encodeCursor(e.Seq)
	}
	return page, nil
}

// cursorTag marks audit cursors (package paging), so a cursor of another
// list is refused rather than misread.
const cursorTag = "audit"

func encodeCursor(seq int64) string { return paging.Encode(cursorTag, paging.ID(seq)) }

func decodeCursor(s string) (int64, error) {
	f, err := paging.Decode(s, cursorTag, 1)
	if f == nil || err != nil {
		return 0, err
	}
	return paging.ParseID(f[0])
}

// Prune removes the events that occurred before olderThan, which must be
// at least RetentionYears ago, and records that it did (audit.prune). It
// first verifies the whole chain and refuses to prune a broken one: the
// events around a break are evidence. Events recorded out of time order
// are kept with everything after the first event not due, and the newest
// event is always kept, so the anchor always points at a stored event.
func (t *Trail) Prune(ctx context.Context, olderThan time.Time) (int64, error) {
	limit := t.clock.Now().AddDate(-RetentionYears, 0, 0)
	if olderThan.After(limit) {
		return 0, apperr.BadInput("olderThan", "audit events are kept %d years: nothing after %s may be pruned", RetentionYears, limit.Format(time.DateOnly))
	}
	// Verifying the whole chain is the expensive part: skip it when not
	// even the oldest kept event is due, as on most scheduled runs.
	if due, err := t.anyBefore(ctx, olderThan); err != nil || !due {
		return 0, err
	}
	rep, err := t.Verify(ctx, 0, DefaultBatch)
	if err != nil {
		return 0, err
	}
	if !rep.OK() {
		return 0, apperr.Conflict("the audit chain is broken at %s; pruning refused so that the evidence is kept", rep.Break)
	}
	var n int64
	err = t.store.InTx(ctx, func(tx LogStore) error {
		var err error
		if n, err = tx.PruneAuditEvents(ctx, olderThan); err != nil || n == 0 {
			return err
		}
		anchor, err := tx.AuditAnchor(ctx)
		if err != nil {
			return err
		}
		return t.rec.Record(ctx, tx, Event{
			Actor:      System(ctx, "retention"),
			Action:     ActionAuditPrune,
			TargetType: "audit_chain",
			Details: map[string]any{
				"removed":   n,
				"before":    olderThan.UTC().Format(time.RFC3339),
				"anchorSeq": anchor.Seq,
			},
		})
	})
	if err != nil {
		return 0, fmt.Errorf("prune audit events: %w", err)
	}
	return n, nil
}

// anyBefore reports whether the oldest stored event occurred before cutoff:
// one read, as nothing before the anchor is stored.
func (t *Trail) anyBefore(ctx context.Context, cutoff time.Time) (bool, error) {
	first, err := t.store.AuditChain(ctx, 0, 1)
	if err != nil || len(first) == 0 {
		return false, err
	}
	return first[0].OccurredAt.Before(cutoff), nil
}

// PruneExpired removes the events older than the retention period.
func (t *Trail) PruneExpired(ctx context.Context) (int64, error) {
	return t.Prune(ctx, t.clock.Now().AddDate(-RetentionYears, 0, 0))
}
