package requests

import (
	"context"
	"strconv"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// The outcomes of a deletion, item by item.
const (
	OutcomeErased    = "ERASED"
	OutcomeRetained  = "RETAINED"
	OutcomeHeld      = "HELD"
	OutcomeWithdrawn = "WITHDRAWN"
)

// decideDeletion decides every item in a deletion request's scope, erases
// what may go at once, and records each outcome (PIPA 36):
//   - an item another hold covers (a dispute, unsettled fees) is HELD by it;
//   - an item a statute still keeps is RETAINED under that clause until its
//     end — the refusal 36① 단서 requires, naming the law;
//   - a required profile item of a subscription still running is RETAINED
//     under the service clause: the contract needs it, and it goes
//     6 months after termination;
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
		if h := heldBy(itemType, ref); h != nil {
			o.Outcome, o.HoldID = OutcomeHeld, &h.ID
			note := "held by " + string(h.Reason)
			o.Note = &note
		} else if span := statuteSpan(a); span != nil {
			o.Outcome, o.Clause, o.UntilAt = OutcomeRetained, &span.Clause.Code, span.End
		} else if required && subscriptionRuns {
			if span := roleSpan(a, policy.RoleService); span != nil {
				o.Outcome, o.Clause = OutcomeRetained, &span.Clause.Code
				note := "needed to perform the subscription; erased 6 months after termination"
				o.Note = &note
			}
		}
		if o.Outcome == "" {
			o.Outcome = OutcomeErased
			clause := ""
			if a.Governing != nil {
				clause = a.Governing.Clause.Code
				o.Clause = &clause
			}
			if itemType == "HOLDING" {
				eraseHoldings = append(eraseHoldings, ref)
			} else {
				eraseRecords = append(eraseRecords, id)
			}
		}
		if o.Outcome != OutcomeErased {
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
		topics = nil
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
