// Package retention is the retention calculus of the notice (docs/POLICY.md §3
// "Reading of the rules", docs/LAW.md "Retention and destruction"): for each item
// of personal data about a subscriber, the clauses it is held under, from when
// to when, the date it may be purged and its state now.
//
// It is pure: the subscriber's facts and the clock come in as arguments, no
// database is read. Holds are taken into account for the state only; they
// never change a clause's dates, since a hold is kept apart from retention.
package retention

import (
	"fmt"
	"slices"
	"time"

	"github.com/xroshot/portal/policy"
)

// Subject is what the calculus needs to know about a subscriber.
type Subject struct {
	SignedUpAt time.Time
	// TerminatedAt is nil while the subscription is active.
	TerminatedAt *time.Time
	// FeeIssues are the billing states and fee disputes, open and resolved,
	// from the operator's billing feed and DISPUTE requests.
	FeeIssues []FeeIssue
	// LastFeeRecordAt is the date of the subscriber's latest fee record
	// (a record kind the tax clause keeps), nil if none: the tax clause
	// keeps a terminated customer's listed profile fields counted from it.
	LastFeeRecordAt *time.Time
}

// FeeIssue is a period during which the subscriber's fees were unpaid or
// overpaid, or disputed.
type FeeIssue struct {
	// Kind is UNPAID_FEES, OVERPAID_FEES or FEE_DISPUTE.
	Kind  policy.Condition
	Since time.Time
	// ResolvedAt is nil while the issue is open.
	ResolvedAt *time.Time
}

// Item is one item or record of personal data about the subject.
type Item struct {
	// Category is the category code of a holding, or "".
	Category string
	// RecordKind is the record kind code of a record, or "".
	RecordKind string
	// CollectedAt is when a holding was collected, or a record's own date.
	CollectedAt time.Time
	// ConsentWithdrawnAt is, for an optional item, when the consent topic
	// covering it was withdrawn; nil while the consent is in force.
	ConsentWithdrawnAt *time.Time
	// Holds are the active holds covering the item; the caller resolves
	// which holds cover it.
	Holds []Hold
}

// Hold pauses the purge of what it covers.
type Hold struct {
	ID string
	// Reason is why, such as HoldDispute or HoldUnpaidFees.
	Reason string
}

// The hold reasons explanations know by name.
const (
	HoldDispute         = "DISPUTE"
	HoldDeletionRequest = "DELETION_REQUEST"
	HoldUnpaidFees      = "UNPAID_FEES"
	HoldOverpaidFees    = "OVERPAID_FEES"
	HoldFeeDispute      = "FEE_DISPUTE"
	HoldLegal           = "LEGAL"
)

// State is where an item stands at a moment.
type State string

// The states of an item. Purged is the store's business, not the calculus'.
const (
	// StateInUse: a clause that is not statute-only still keeps the item.
	StateInUse State = "IN_USE"
	// StateRetainedByStatute: only statute-only clauses keep it; it is kept
	// apart and used for nothing else (법 21③).
	StateRetainedByStatute State = "RETAINED_BY_STATUTE"
	// StateHeld: an active hold covers the item. Any hold makes an item
	// HELD, whatever its clauses say, because a hold is the last gate
	// before erasure and the subscriber should see that it is there.
	StateHeld State = "HELD"
	// StateDue: every clause has ended and no hold covers the item: the
	// next purge erases it.
	StateDue State = "DUE"
)

// Usable reports whether an item in the state may still be used for the
// purposes it was collected for — sent in a transmission, or used to reach
// the subscriber: in use, or held (a hold freezes an item, it does not make
// it statute-kept). An item kept only because a statute requires it is
// kept apart and used for nothing else (법 21③), and a due one is about to
// be erased. Every rule that asks "statute-kept only?" asks this.
func (s State) Usable() bool { return s == StateInUse || s == StateHeld }

// Reason says why a clause, or an item, has no end date yet.
type Reason string

// The reasons for an open end.
const (
	// ReasonActiveSubscription: the subscription has not been terminated.
	ReasonActiveSubscription Reason = "ACTIVE_SUBSCRIPTION"
	// ReasonFeesUnresolved: unpaid or overpaid fees, or a fee dispute,
	// keep the clause running until resolved.
	ReasonFeesUnresolved Reason = "FEES_UNRESOLVED"
)

// ClauseSpan is one clause's hold on an item.
type ClauseSpan struct {
	Clause *policy.Clause
	// Start is when the clause began to keep the item, never before the
	// item was collected; zero while it has not started (clauses counted
	// from termination, for an active subscriber).
	Start time.Time
	// End is when the clause stops keeping the item; nil while open-ended.
	End *time.Time
	// OpenReason says why End is nil.
	OpenReason Reason
	// EndedBy is the event that cut the clause short (TERMINATION for the
	// service period, CONSENT_WITHDRAWAL for an optional item), or "" when
	// it runs its course.
	EndedBy policy.Anchor
	// Unresolved lists, when OpenReason is FEES_UNRESOLVED, the conditions
	// still open. It is shared between assessments: do not modify it.
	Unresolved []policy.Condition
	// Active reports whether the clause keeps the item at the time of the
	// assessment.
	Active bool
}

// Assessment is the retention of one item at one moment.
type Assessment struct {
	// Clauses are all clauses of the item, ended ones included, in the
	// order of the catalog entry, so the subscriber sees the full story.
	Clauses []ClauseSpan
	// PurgeAfter is the end of the longest clause: the item may be erased
	// from then on. Ends are counted as the Civil Act counts (policy.Period
	// Elapse): the first instant after the last day kept, midnight KST, so
	// the "kept until" date shown is the day before (policy.LastDay). Nil
	// while any clause is open-ended.
	PurgeAfter *time.Time
	// OpenReason says why PurgeAfter is nil.
	OpenReason Reason
	State      State
	// Governing points into Clauses at the clause that decides PurgeAfter
	// (or keeps it open).
	Governing *ClauseSpan
	// Holds are the item's holds, as given.
	Holds []Hold
	// Purpose is, for an item not in use for the service itself, the
	// purpose it is in use for (advertising records: marketing); nil
	// otherwise.
	Purpose *policy.Purpose
}

// Engine computes assessments for one catalog. It is safe for concurrent use.
type Engine struct {
	cat         *policy.Catalog
	categories  map[string]entry
	recordKinds map[string]entry
	maxRules    int
	feeKinds    []string
}

// entry is a category or record kind with its clauses resolved.
type entry struct {
	clauses []clauseRef
	// consent is set for optional items, which consent withdrawal ends.
	consent bool
	// purpose is, for an item not used for the service itself (such as
	// advertising records, kept for marketing), the purpose explanations
	// name; nil for items in use for the service.
	purpose *policy.Purpose
	// ownClause is set for a record kind with a clause of its own, counted
	// from each record (message content, an E-Commerce or Credit Act
	// record), that is not a fee record: unsettled fees do not stop its
	// post-termination clock (docs/POLICY.md: "records whose own clause has
	// ended ... still go on time"). Fee records are what settling the fees
	// needs, so the fees keep them in use.
	ownClause bool
}

type clauseRef struct {
	clause *policy.Clause
	idx    int // position in the catalog, for the per-subject cache
}

// New returns an engine for the catalog, which must come from policy.Load or
// policy.Default: New panics on a reference the catalog does not resolve,
// which validation rules out.
func New(cat *policy.Catalog) *Engine {
	e := &Engine{
		cat:         cat,
		categories:  make(map[string]entry, len(cat.Categories)),
		recordKinds: make(map[string]entry, len(cat.RecordKinds)),
	}
	byCode := make(map[string]int, len(cat.Clauses))
	for i, cl := range cat.Clauses {
		byCode[cl.Code] = i
	}
	resolve := func(what, code string, codes []string) []clauseRef {
		refs := make([]clauseRef, len(codes))
		for i, cc := range codes {
			idx, ok := byCode[cc]
			if !ok {
				panic(fmt.Sprintf("retention: %s %s: unknown clause %s (catalog not validated?)", what, code, cc))
			}
			refs[i] = clauseRef{clause: &cat.Clauses[idx], idx: idx}
		}
		e.maxRules = max(e.maxRules, len(refs))
		return refs
	}
	for _, c := range cat.Categories {
		e.categories[c.Code] = entry{clauses: resolve("category", c.Code, c.Clauses), consent: c.ConsentTopic != "", purpose: namedPurpose(cat, c.Purposes)}
	}
	for _, r := range cat.RecordKinds {
		ent := entry{clauses: resolve("record kind", r.Code, r.Clauses), purpose: namedPurpose(cat, r.Purposes)}
		fee := false
		for _, ref := range ent.clauses {
			switch ref.clause.Role {
			case policy.RoleTax:
				fee = true
			case policy.RoleStatute, policy.RoleMessage:
				ent.ownClause = true
			}
		}
		if fee {
			// A fee record is what settling the fees needs: unsettled
			// fees keep it in use.
			e.feeKinds = append(e.feeKinds, r.Code)
			ent.ownClause = false
		}
		e.recordKinds[r.Code] = ent
	}
	return e
}

// servicePurpose is the purpose of providing the service (docs/POLICY.md §1 가).
const servicePurpose = "SERVICE"

// namedPurpose is the purpose an explanation names for an item that is not
// used for the service itself, or nil.
func namedPurpose(cat *policy.Catalog, codes []string) *policy.Purpose {
	if len(codes) == 0 || slices.Contains(codes, servicePurpose) {
		return nil
	}
	p, _ := cat.Purpose(codes[0])
	return p
}

// FeeRecordKinds returns the record kinds the tax clause keeps record by
// record: the subscriber's fee records.
func (e *Engine) FeeRecordKinds() []string { return e.feeKinds }

// Catalog returns the catalog the engine was built for.
func (e *Engine) Catalog() *policy.Catalog { return e.cat }

// Assess computes the retention of one item at now. It fails for an unknown
// category or record kind, and for an item that is not of exactly one of
// them.
func (e *Engine) Assess(s Subject, it Item, now time.Time) (Assessment, error) {
	r := e.newRun(s, now, 1)
	var a Assessment
	if err := e.assess(r, &it, &a); err != nil {
		return Assessment{}, err
	}
	return a, nil
}

// AssessAll computes the retention of a subscriber's whole inventory at now,
// in the order of items. Per-subscriber work (termination, fee issues) is
// done once, and the assessments share a few backing arrays rather than
// allocating per item: the pointers in them must be treated as read-only.
func (e *Engine) AssessAll(s Subject, items []Item, now time.Time) ([]Assessment, error) {
	r := e.newRun(s, now, len(items))
	out := make([]Assessment, len(items))
	for i := range items {
		if err := e.assess(r, &items[i], &out[i]); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
	}
	return out, nil
}

// newRun prepares the backing arrays for n items: sized once, they never
// grow, so pointers into them stay valid.
func (e *Engine) newRun(s Subject, now time.Time, n int) *run {
	n *= e.maxRules
	return &run{
		e:       e,
		s:       s,
		now:     now,
		subject: make([]cached, len(e.cat.Clauses)),
		spans:   make([]ClauseSpan, 0, n),
		ends:    make([]time.Time, 0, n),
	}
}

// run is the state of one AssessAll call.
type run struct {
	e       *Engine
	s       Subject
	now     time.Time
	subject []cached     // per clause of the catalog: windows that depend on the subject only
	settled []cached     // per clause, made when first needed: post-termination windows without fee issues, for records with a clause of their own
	spans   []ClauseSpan // backing array of every assessment's Clauses
	ends    []time.Time  // backing array of the End pointers
}

type cached struct {
	done bool
	w    window
}

func (e *Engine) assess(r *run, it *Item, a *Assessment) error {
	var ent entry
	var ok bool
	switch {
	case it.Category != "" && it.RecordKind != "":
		return fmt.Errorf("retention: item names both category %s and record kind %s", it.Category, it.RecordKind)
	case it.Category != "":
		if ent, ok = e.categories[it.Category]; !ok {
			return fmt.Errorf("retention: unknown category %s", it.Category)
		}
		if it.ConsentWithdrawnAt != nil && !ent.consent {
			return fmt.Errorf("retention: category %s is not held under a consent topic; it cannot have a consent withdrawal", it.Category)
		}
	case it.RecordKind != "":
		if ent, ok = e.recordKinds[it.RecordKind]; !ok {
			return fmt.Errorf("retention: unknown record kind %s", it.RecordKind)
		}
		if it.ConsentWithdrawnAt != nil {
			return fmt.Errorf("retention: record kind %s is not held under a consent topic; it cannot have a consent withdrawal", it.RecordKind)
		}
	default:
		return fmt.Errorf("retention: item names neither a category nor a record kind")
	}

	first := len(r.spans)
	for _, ref := range ent.clauses {
		w := r.window(ref, it, ent.ownClause)
		if it.ConsentWithdrawnAt != nil && !ref.clause.StatuteOnly {
			w = consentWithdrawn(w, *it.ConsentWithdrawnAt)
		}
		r.spans = append(r.spans, r.span(ref.clause, w, it.CollectedAt))
	}
	a.Clauses = r.spans[first:len(r.spans):len(r.spans)]
	a.Holds = it.Holds
	a.Purpose = ent.purpose
	a.Governing = governing(a.Clauses)
	if a.Governing.End != nil {
		a.PurgeAfter = a.Governing.End
	} else {
		a.OpenReason = a.Governing.OpenReason
	}
	a.State = state(a.Clauses, a.Holds, r.now)
	return nil
}

// window computes one clause for one item by the rule of its role. own is
// set for a record with a clause of its own, whose post-termination clock
// unsettled fees do not stop.
func (r *run) window(ref clauseRef, it *Item, own bool) window {
	cl := ref.clause
	switch cl.Role {
	case policy.RoleService:
		return servicePeriod(r.s)
	case policy.RoleMessage:
		return messageContent(cl, it.CollectedAt)
	case policy.RoleStatute:
		return statuteRecord(cl, it.CollectedAt)
	case policy.RoleTax:
		if it.RecordKind != "" {
			return taxRecord(cl, &r.e.cat.Tax, it.CollectedAt)
		}
	}
	if own && cl.Role == policy.RolePostTermination {
		if r.settled == nil {
			r.settled = make([]cached, len(r.e.cat.Clauses))
		}
		c := &r.settled[ref.idx]
		if !c.done {
			c.w, c.done = postTermination(cl, Subject{SignedUpAt: r.s.SignedUpAt, TerminatedAt: r.s.TerminatedAt}), true
		}
		return c.w
	}
	c := &r.subject[ref.idx]
	if !c.done {
		switch {
		case cl.Role == policy.RolePostTermination:
			c.w = postTermination(cl, r.s)
		case cl.Role == policy.RoleTax:
			c.w = taxProfile(cl, &r.e.cat.Tax, r.s)
		default:
			panic(fmt.Sprintf("retention: clause %s: unknown role %s (catalog not validated?)", cl.Code, cl.Role))
		}
		c.done = true
	}
	return c.w
}

// span turns a window into the ClauseSpan shown for an item. A clause cannot
// keep an item before the item exists, so a span starts no earlier than the
// item was collected (nor later than it ends).
func (r *run) span(cl *policy.Clause, w window, collected time.Time) ClauseSpan {
	if w.started && collected.After(w.start) {
		w.start = collected
		if !w.open && w.start.After(w.end) {
			w.start = w.end
		}
	}
	sp := ClauseSpan{Clause: cl, OpenReason: w.reason, EndedBy: w.endedBy, Unresolved: w.unresolved}
	if w.started {
		sp.Start = w.start
	}
	if !w.open {
		r.ends = append(r.ends, w.end)
		sp.End = &r.ends[len(r.ends)-1]
	}
	sp.Active = w.started && !r.now.Before(w.start) && (w.open || r.now.Before(w.end))
	return sp
}

// governing picks the span that decides the purge date: an open-ended one if
// any (preferring one in force now), else the one that ends last (preferring
// a statute on a tie, as the stronger reason to keep).
func governing(spans []ClauseSpan) *ClauseSpan {
	var g *ClauseSpan
	for i := range spans {
		sp := &spans[i]
		switch {
		case g == nil:
			g = sp
		case sp.End == nil:
			if g.End != nil || (sp.Active && !g.Active) {
				g = sp
			}
		case g.End == nil:
			// An open-ended clause outlasts any dated one.
		case sp.End.After(*g.End),
			sp.End.Equal(*g.End) && sp.Clause.StatuteOnly && !g.Clause.StatuteOnly:
			g = sp
		}
	}
	return g
}

// state decides the state at now (docs/POLICY.md §3 "Reading of the rules").
func state(spans []ClauseSpan, holds []Hold, now time.Time) State {
	if len(holds) > 0 {
		return StateHeld
	}
	st := StateDue
	for _, sp := range spans {
		if sp.End != nil && !now.Before(*sp.End) {
			continue
		}
		if !sp.Clause.StatuteOnly {
			return StateInUse
		}
		st = StateRetainedByStatute
	}
	return st
}

// StatuteFrom is when only statute-only clauses keep the item: from then
// on, unless a hold covers it, its state is RETAINED_BY_STATUTE and it is
// stored apart and used for nothing else (법 21③). It is the end of the
// item's last clause that is not statute-only, or collected when it has
// none. Nil while such a clause is open-ended, and when no statute-only
// clause outlasts them: the item then goes from use straight to erasure.
// It reads the clauses' dates only, so it does not change with the moment
// assessed: state agrees with it at any moment without a hold.
func (a Assessment) StatuteFrom(collected time.Time) *time.Time {
	from := collected
	for _, sp := range a.Clauses {
		if sp.Clause.StatuteOnly {
			continue
		}
		if sp.End == nil {
			return nil
		}
		if sp.End.After(from) {
			from = *sp.End
		}
	}
	for _, sp := range a.Clauses {
		if sp.Clause.StatuteOnly && (sp.End == nil || sp.End.After(from)) {
			return &from
		}
	}
	return nil
}
