package requests

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// The outcomes of a deletion, item by item; their words are retention's.
const (
	OutcomeErased    = retention.OutcomeErased
	OutcomeRetained  = retention.OutcomeRetained
	OutcomeHeld      = retention.OutcomeHeld
	OutcomeWithdrawn = retention.OutcomeWithdrawn
)

// heldNotePrefix starts the note of a HELD outcome; the hold's reason
// follows, so the words can name it.
const heldNotePrefix = "held by "

// HoldReasonOfNote returns the hold reason a HELD outcome's note names, or
// "".
func HoldReasonOfNote(note string) string {
	r, _ := strings.CutPrefix(note, heldNotePrefix)
	if r == note {
		return ""
	}
	return r
}

// decideDeletion decides every item in a deletion request's scope, erases
// what may go at once, and records each outcome (PIPA 36):
//   - an item another hold covers (a dispute, a legal claim) is HELD by it,
//     and carried out when that hold ends (carryOutDeferred);
//   - an item a statute still keeps is RETAINED under that clause until its
//     end — the refusal 36① 단서 requires, naming the law;
//   - a required profile item of a subscription still running is RETAINED
//     under the service clause: the contract needs it; after termination
//     its own clauses decide (retention.ExplainOutcome says which);
//   - everything else — optional items, records no statute keeps, data of a
//     terminated subscriber whose clauses ended — is ERASED now.
//
// Optional items in scope also have their consent withdrawn, and a request
// for everything withdraws the marketing consents; the topics are returned
// for the consent service.
//
// A refusal (refusing) erases nothing and withdraws nothing; it is allowed
// only when every item in scope is kept by a hold or a clause, and is
// otherwise ErrNoLegalGround: the law allows refusing a deletion only where
// something requires keeping the data (법 36① 단서).
func (s *Service) decideDeletion(ctx context.Context, tx Store, r *models.Request, now time.Time, refusing bool) (kept bool, topics []string, err error) {
	scope, err := DecodeScope(r.Scope)
	if err != nil {
		return false, nil, err
	}
	// Serialise with hold placement and the purge, as the purge does.
	if err := tx.LockSubscriberForHold(ctx, r.SubscriberID); err != nil {
		return false, nil, err
	}
	snap, err := s.inv.Snapshot(ctx, tx, r.SubscriberID)
	if err != nil {
		return false, nil, err
	}
	active, err := tx.ActiveHolds(ctx, r.SubscriberID)
	if err != nil {
		return false, nil, err
	}
	var blocking []*models.Hold
	for _, h := range active {
		if h.SourceRef != r.ID {
			blocking = append(blocking, h)
		}
	}
	heldBy := func(itemType, ref string) *models.Hold {
		for _, h := range blocking {
			if covers(h, itemType, ref) {
				return h
			}
		}
		return nil
	}
	subscriptionRuns := snap.Subscriber.TerminatedAt == nil

	var (
		outcomes      []*models.RequestOutcome
		eraseHoldings []string
		eraseRecords  []int64
		seen          = map[string]bool{}
	)
	decide := func(itemType, ref, category string, id int64, a retention.Assessment, required bool) {
		o := &models.RequestOutcome{SubscriberID: r.SubscriberID, RequestID: r.ID, ItemType: itemType, ItemRef: ref, Category: category, DecidedAt: now}
		judge(o, heldBy(itemType, ref), a, required && subscriptionRuns)
		if o.Outcome == OutcomeErased {
			if itemType == "HOLDING" {
				eraseHoldings = append(eraseHoldings, ref)
			} else {
				eraseRecords = append(eraseRecords, id)
			}
		} else {
			kept = true
		}
		outcomes = append(outcomes, o)
	}
	for _, h := range snap.Holdings {
		if !scope.CoversHolding(h.Category) {
			continue
		}
		cat, _ := s.cat.Category(h.Category)
		required := cat == nil || cat.Class == policy.ClassRequired
		decide("HOLDING", h.ID, h.Category, 0, h.Assessment, required)
		if cat != nil && cat.ConsentTopic != "" && !seen[cat.ConsentTopic] {
			seen[cat.ConsentTopic] = true
			topics = append(topics, cat.ConsentTopic)
		}
	}
	for _, rec := range snap.Records {
		if !scope.CoversRecord(rec.Kind, rec.ID) {
			continue
		}
		decide("RECORD", strconv.FormatInt(rec.ID, 10), rec.Kind, rec.ID, rec.Assessment, false)
	}
	if scope.All {
		for _, t := range s.cat.ConsentTopics {
			if !seen[t.Code] {
				seen[t.Code] = true
				topics = append(topics, t.Code)
			}
		}
	}
	for _, t := range topics {
		outcomes = append(outcomes, &models.RequestOutcome{SubscriberID: r.SubscriberID, RequestID: r.ID, ItemType: "CONSENT", ItemRef: t, Category: t, Outcome: OutcomeWithdrawn, DecidedAt: now})
	}
	if refusing {
		if err := refusable(outcomes); err != nil {
			return false, nil, err
		}
		// A refusal withdraws nothing: no consent outcome is recorded.
		topics = nil
		outcomes = slices.DeleteFunc(outcomes, func(o *models.RequestOutcome) bool { return o.ItemType == "CONSENT" })
	}
	// Erased irrecoverably: the rows go; the outcomes keep what and under
	// which clause, never the values.
	if _, err := tx.DeleteHoldingsByID(ctx, r.SubscriberID, eraseHoldings); err != nil {
		return false, nil, err
	}
	if _, err := tx.DeleteRecordsByID(ctx, r.SubscriberID, eraseRecords); err != nil {
		return false, nil, err
	}
	if err := tx.AddOutcomes(ctx, outcomes); err != nil {
		return false, nil, err
	}
	return kept, topics, nil
}

// judge decides one item of a deletion, the same way when the deletion is
// decided and when a hold that paused it ends: HELD by a hold that still
// covers it (a dispute or legal claim: the deletion is carried out when it
// ends); RETAINED under a statute that still keeps it, until its end, the
// refusal 36① 단서 requires; RETAINED under the service clause while the
// subscription runs and the item is required for it; otherwise ERASED.
func judge(o *models.RequestOutcome, hold *models.Hold, a retention.Assessment, neededForService bool) {
	o.Outcome, o.Clause, o.UntilAt, o.HoldID, o.Note = "", nil, nil, nil, nil
	switch {
	case hold != nil:
		o.Outcome, o.HoldID = OutcomeHeld, &hold.ID
		note := heldNotePrefix + string(hold.Reason)
		o.Note = &note
	case statuteSpan(a) != nil:
		span := statuteSpan(a)
		o.Outcome, o.Clause, o.UntilAt = OutcomeRetained, &span.Clause.Code, span.End
	case neededForService && roleSpan(a, policy.RoleService) != nil:
		o.Outcome, o.Clause = OutcomeRetained, &roleSpan(a, policy.RoleService).Clause.Code
	default:
		o.Outcome = OutcomeErased
		if a.Governing != nil {
			clause := a.Governing.Clause.Code
			o.Clause = &clause
		}
	}
}

// NoticeOutcomes is the outbox kind of the notice that tells a subscriber
// that items their deletion request found held have now been decided.
const NoticeOutcomes = "REQUEST_OUTCOMES_UPDATED"

// outcomesNotice names the request and counts what became of the items;
// never their values.
type outcomesNotice struct {
	Kind         string         `json:"kind"`
	SubscriberID string         `json:"subscriberId"`
	RequestID    string         `json:"requestId"`
	Outcomes     map[string]int `json:"outcomes"`
	At           time.Time      `json:"at"`
	Sender       policy.Text    `json:"sender"`
}

// carryOutDeferred carries out what deletions found held, once the holds
// are gone (a deletion's intent survives its holds): every HELD outcome of
// the subscriber is judged again — erased now unless a law or another hold
// still keeps it — its outcome updated, and the subscriber told, per
// request, in the same transaction.
func (s *Service) carryOutDeferred(ctx context.Context, tx Store, subscriberID string, now time.Time) error {
	pending, err := tx.ListHeldOutcomes(ctx, subscriberID)
	if err != nil || len(pending) == 0 {
		return err
	}
	if err := tx.LockSubscriberForHold(ctx, subscriberID); err != nil {
		return err
	}
	active, err := tx.ActiveHolds(ctx, subscriberID)
	if err != nil {
		return err
	}
	snap, err := s.inv.Snapshot(ctx, tx, subscriberID)
	if err != nil {
		return err
	}
	holdings := make(map[string]inventory.AssessedHolding, len(snap.Holdings))
	for _, h := range snap.Holdings {
		holdings[h.ID] = h
	}
	records := make(map[string]inventory.AssessedRecord, len(snap.Records))
	for _, r := range snap.Records {
		records[strconv.FormatInt(r.ID, 10)] = r
	}
	subscriptionRuns := snap.Subscriber.TerminatedAt == nil
	var (
		eraseHoldings []string
		eraseRecords  []int64
		changed       = map[string]map[string]int{}
	)
	for _, o := range pending {
		var hold *models.Hold
		for _, h := range active {
			if covers(h, o.ItemType, o.ItemRef) {
				hold = h
				break
			}
		}
		if hold != nil {
			continue // still held: decided when that hold ends
		}
		before := o.Outcome
		o.DecidedAt = now
		switch o.ItemType {
		case "HOLDING":
			h, ok := holdings[o.ItemRef]
			if !ok {
				// Gone already: the purge erased it when it fell due.
				judge(o, nil, retention.Assessment{}, false)
				break
			}
			cat, _ := s.cat.Category(h.Category)
			judge(o, nil, h.Assessment, subscriptionRuns && (cat == nil || cat.Class == policy.ClassRequired))
			if o.Outcome == OutcomeErased {
				eraseHoldings = append(eraseHoldings, h.ID)
			}
		case "RECORD":
			rec, ok := records[o.ItemRef]
			if !ok {
				judge(o, nil, retention.Assessment{}, false)
				break
			}
			judge(o, nil, rec.Assessment, false)
			if o.Outcome == OutcomeErased {
				eraseRecords = append(eraseRecords, rec.ID)
			}
		default:
			continue
		}
		if err := tx.UpdateOutcome(ctx, o); err != nil {
			return err
		}
		if o.Outcome != before {
			if changed[o.RequestID] == nil {
				changed[o.RequestID] = map[string]int{}
			}
			changed[o.RequestID][o.Outcome]++
		}
	}
	if _, err := tx.DeleteHoldingsByID(ctx, subscriberID, eraseHoldings); err != nil {
		return err
	}
	if _, err := tx.DeleteRecordsByID(ctx, subscriberID, eraseRecords); err != nil {
		return err
	}
	for id, counts := range changed {
		b, err := json.Marshal(outcomesNotice{Kind: NoticeOutcomes, SubscriberID: subscriberID, RequestID: id, Outcomes: counts, At: now, Sender: s.cat.Controller})
		if err != nil {
			return fmt.Errorf("outcomes notice: %w", err)
		}
		if err := tx.EnqueueOutbox(ctx, &models.OutboxRow{SubscriberID: subscriberID, Kind: NoticeOutcomes, Payload: string(b), DueBy: now, CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// statuteSpan is the running statute-only clause that keeps an item
// longest, if any.
func statuteSpan(a retention.Assessment) *retention.ClauseSpan {
	var best *retention.ClauseSpan
	for i := range a.Clauses {
		c := &a.Clauses[i]
		if !c.Active || !c.Clause.StatuteOnly {
			continue
		}
		if best == nil || (c.End != nil && best.End != nil && c.End.After(*best.End)) {
			best = c
		}
	}
	return best
}

// roleSpan is the running clause of a role, if any.
func roleSpan(a retention.Assessment, role policy.Role) *retention.ClauseSpan {
	for i := range a.Clauses {
		if a.Clauses[i].Active && a.Clauses[i].Clause.Role == role {
			return &a.Clauses[i]
		}
	}
	return nil
}
