package feed

import (
	"fmt"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/shred"
)

// PreparedSubscriber is what one import line becomes in a store that does
// not hold its subscriber yet: the rows ImportSubscriber would leave behind,
// computed by the same rules but without a store or a transaction, so that a
// bulk loader (the seed command) can write thousands of subscribers at once.
// Sensitive values are sealed, and every holding and record carries the
// purge date the retention calculus gives it with the subscriber's final
// facts (termination and billing state).
type PreparedSubscriber struct {
	Subscriber *models.Subscriber
	Holdings   []*models.Holding
	// Records are the line's records, each (kind, external id) once: a
	// repeated one is skipped, as appending skips it.
	Records []*models.Record
	// FeeIssues holds the open issue an UNPAID or OVERPAID billing state
	// opens; empty otherwise.
	FeeIssues []*models.FeeIssue
	// Holds are the holds the billing state places (on everything of the
	// subscriber, so without item links).
	Holds []*models.Hold
	// Key is the subscriber's new data key, wrapped: every value above is
	// sealed with it.
	Key *models.SubscriberKey
	// Audit is the event an import of the line records; a bulk loader
	// records it in the transaction that writes the rows, naming itself as
	// the actor.
	Audit audit.Event
}

// Prepare checks an import line and computes the rows it becomes, as if
// ImportSubscriber wrote it into a store without that subscriber. It fails
// with the same BAD_USER_INPUT errors as ImportSubscriber. It reads and
// writes no store: the caller must make sure the subscriber is new (a line
// for an existing subscriber must go through ImportSubscriber, which merges).
//
// When the feed learns to write more for a line (holds for unpaid fees,
// consents, audit events), Prepare must yield those rows too; the seedgen
// tests compare a bulk load with an import, table by table, to catch it.
func (s *Service) Prepare(l ImportLine) (*PreparedSubscriber, error) {
	c, err := s.checkLine(l)
	if err != nil {
		return nil, err
	}
	p := &PreparedSubscriber{Subscriber: c.sub, Holdings: c.holdings}
	if c.billing != "" {
		since := *l.BillingSince
		// As billingTx: a fresh subscriber has no issue to resolve, and
		// UNPAID or OVERPAID opens one of its kind.
		if kind, ok := feeIssueKind(c.billing); ok {
			p.FeeIssues = append(p.FeeIssues, &models.FeeIssue{SubscriberID: l.ID, Kind: kind, Since: since})
		}
		p.Subscriber.BillingState, p.Subscriber.BillingSince = c.billing, &since
	}
	type key struct{ kind, ext string }
	seen := make(map[key]bool, len(c.recs))
	p.Records = make([]*models.Record, 0, len(c.recs))
	for i, r := range c.recs {
		if err := checkRecordDate(c.sub, i, r.OccurredAt); err != nil {
			return nil, err
		}
		k := key{r.Kind, r.ExternalID}
		if seen[k] {
			continue
		}
		seen[k] = true
		p.Records = append(p.Records, &models.Record{SubscriberID: l.ID, Kind: r.Kind, OccurredAt: r.OccurredAt, ExternalID: r.ExternalID, Summary: r.Summary})
	}
	if err := s.inv.ScheduleNew(inventory.Facts(p.Subscriber, p.FeeIssues), p.Holdings, p.Records); err != nil {
		return nil, err
	}
	// One fresh key per subscriber, and one AES-GCM seal per value: no
	// store round trip, so bulk loading stays as fast as the COPY.
	dk, wrapped, err := s.keys.Fresh(l.ID)
	if err != nil {
		return nil, err
	}
	p.Key, p.Subscriber = wrapped, shred.SealSubscriber(dk, p.Subscriber)
	for _, h := range p.Holdings {
		shred.SealHolding(dk, h)
	}
	for _, r := range p.Records {
		shred.SealRecord(dk, r)
	}
	p.Audit = audit.Event{Action: audit.ActionFeedUpsertSub, Subject: l.ID, TargetType: "subscriber", TargetID: l.ID,
		Details: map[string]any{"items": len(p.Holdings), "records": len(p.Records), "via": "bulk"}}
	return p, nil
}

// checkedLine is an import line that passed every check needing no store.
type checkedLine struct {
	sub      *models.Subscriber
	holdings []*models.Holding
	recs     []RecordInput
	billing  models.BillingState
}

// checkLine validates an import line and seals its items, before any
// transaction starts: what ImportSubscriber and Prepare share.
func (s *Service) checkLine(l ImportLine) (*checkedLine, error) {
	in := SubscriberInput{
		ID: l.ID, Status: models.SubscriberStatus(l.Status), SignedUpAt: l.SignedUpAt, TerminatedAt: l.TerminatedAt,
		BirthDate: l.BirthDate, GuardianID: l.GuardianID,
	}
	for _, it := range l.Items {
		in.Items = append(in.Items, ItemInput(it))
	}
	sub, holdings, err := s.prepareSubscriber(in)
	if err != nil {
		return nil, err
	}
	if len(l.Records) > MaxRecordsPerLine {
		return nil, apperr.BadInput("records", "at most %d records per line", MaxRecordsPerLine)
	}
	recs := make([]RecordInput, len(l.Records))
	for i, r := range l.Records {
		recs[i] = RecordInput(r)
	}
	for start := 0; start < len(recs); start += MaxRecordsPerCall {
		if err := s.validateRecords(recs[start:min(start+MaxRecordsPerCall, len(recs))]); err != nil {
			return nil, offsetField(err, start)
		}
	}
	var billing models.BillingState
	if l.BillingState != nil {
		billing = models.BillingState(*l.BillingState)
		if !billing.Valid() {
			return nil, apperr.BadInput("billingState", "must be SETTLED, UNPAID or OVERPAID")
		}
		if l.BillingSince == nil || l.BillingSince.After(s.clock.Now()) {
			return nil, apperr.BadInput("billingSince", "is required with billingState and must not be in the future")
		}
		if l.BillingSince.Before(sub.SignedUpAt) {
			return nil, apperr.BadInput("billingSince", "is before the subscriber signed up")
		}
	}
	return &checkedLine{sub: sub, holdings: holdings, recs: recs, billing: billing}, nil
}

// checkRecordDate refuses a record dated before its subscriber signed up,
// with a day's grace for clocks and time zones of the feeding systems.
func checkRecordDate(sub *models.Subscriber, i int, occurredAt time.Time) error {
	if occurredAt.Before(sub.SignedUpAt.Add(-24 * time.Hour)) {
		return apperr.BadInput(fmt.Sprintf("records[%d].occurredAt", i), "is before the subscriber signed up")
	}
	return nil
}

// feeIssueKind is the fee issue a billing state keeps open, as billingTx
// opens it; SETTLED keeps none.
func feeIssueKind(state models.BillingState) (models.FeeIssueKind, bool) {
	switch state {
	case models.BillingUnpaid:
		return models.FeeUnpaid, true
	case models.BillingOverpaid:
		return models.FeeOverpaid, true
	}
	return "", false
}
