// Package feed takes the operator's data in: subscribers with their profile
// items, generated records and billing state, from the CRM, billing and
// messaging systems (role system) and from bulk imports. Everything it
// writes passes the same rules as the rest of the portal: codes checked
// against the catalog, values validated by format, sensitive values
// encrypted, and purge dates computed by the retention calculus in the same
// transaction.
package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/shred"
	"github.com/xroshot/portal/textin"
)

// Store is what the feed writes, inside one transaction per call.
type Store interface {
	inventory.Store
	UpsertSubscriber(ctx context.Context, s *models.Subscriber) error
	// UpsertHoldings is UpsertHolding for many holdings in one statement.
	UpsertHoldings(ctx context.Context, hs []*models.Holding) error
	DeleteHoldingsExcept(ctx context.Context, subscriberID string, categories, keep []string) (int64, error)
	AppendRecords(ctx context.Context, recs []*models.Record) (int64, error)
	OpenFeeIssue(ctx context.Context, fi *models.FeeIssue) (bool, error)
	ResolveFeeIssues(ctx context.Context, subscriberID string, kinds []models.FeeIssueKind, at time.Time) (int64, error)
	// holds.Tx: the subscriber lock the feed's writes serialise on.
	holds.Tx
	// audit.Store records each feed change in the audit trail, in the
	// change's own transaction, with the feeding system as actor.
	audit.Store
	// shred.Store keeps the subscribers' data keys, which seal every value
	// the feed writes.
	shred.Store
	InTx(ctx context.Context, fn func(tx Store) error) error
}

// Service applies feeds.
type Service struct {
	rec   *audit.Recorder
	store Store
	cat   *policy.Catalog
	inv   *inventory.Service
	keys  *shred.Keys
	clock clock.Clock
	// marketing ends marketing consents at termination; nil in tools that
	// feed no consents.
	marketing MarketingEnder
}

// MarketingEnder ends a subscriber's marketing consents when the contract
// ends (docs/POLICY.md: on termination, marketing consents end, recorded in the
// consent history with the termination as the reason). The consent
// service is one.
type MarketingEnder interface {
	EndMarketing(ctx context.Context, subscriberID string, terminatedAt time.Time) error
}

// Option configures the feed service.
type Option func(*Service)

// WithMarketingEnder makes termination end the subscriber's marketing
// consents through m, after the termination commits.
func WithMarketingEnder(m MarketingEnder) Option { return func(s *Service) { s.marketing = m } }

// New returns the feed service; keys is the master keyring that wraps the
// subscribers' data keys.
func New(s Store, inv *inventory.Service, keys *protect.Keyring, c clock.Clock, opts ...Option) *Service {
	svc := &Service{rec: audit.NewRecorder(c), store: s, cat: inv.Catalog(), inv: inv, keys: shred.New(keys), clock: c}
	for _, o := range opts {
		o(svc)
	}
	return svc
}

// endMarketing ends the marketing consents of a subscriber whose contract
// has ended. It runs after the feed's own transaction: consents keep their
// own history and receipts. Should it fail, the termination stands and the
// reconfirmation job ends them instead of sending a notice.
func (s *Service) endMarketing(ctx context.Context, sub *models.Subscriber) error {
	if s.marketing == nil || sub == nil || sub.TerminatedAt == nil {
		return nil
	}
	return s.marketing.EndMarketing(ctx, sub.ID, *sub.TerminatedAt)
}

// SubscriberInput is the schema's SubscriberInput (graph/feed.graphqls): the operator's view of
// one subscriber. Items replace what is held under their categories.
type SubscriberInput struct {
	ID           string
	Status       models.SubscriberStatus
	SignedUpAt   time.Time
	TerminatedAt *time.Time
	BirthDate    *string
	GuardianID   *string
	Items        []ItemInput
}

// ItemInput is one profile item.
type ItemInput struct {
	Category    string
	Value       string
	CollectedAt *time.Time
	Source      string
}

// RecordInput is one generated record; ExternalID makes appending it
// idempotent.
type RecordInput struct {
	Kind       string
	OccurredAt time.Time
	ExternalID string
	Summary    string
}

// MaxRecordsPerCall bounds one appendRecords call.
const MaxRecordsPerCall = 1000

// Sources are the collection methods a fed item may name (docs/POLICY.md §2(2)).
var Sources = map[string]bool{"APPLICATION_FORM": true, "WEBSITE": true, "PHONE": true, "FAX": true, "CONSULTATION": true, "EVENT": true, "DELIVERY": true, "AFFILIATE": true, "GENERATED": true, "AGENT_DESK": true, "APP": true}

// UpsertSubscriber creates or updates a subscriber and their profile items,
// and reschedules their data, in one transaction: a bad item leaves the
// subscriber untouched.
func (s *Service) UpsertSubscriber(ctx context.Context, in SubscriberInput) (*models.Subscriber, error) {
	sub, holdings, err := s.prepareSubscriber(in)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := s.upsertTx(ctx, tx, sub, holdings); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.ActionFeedUpsertSub, sub.ID, map[string]any{"items": len(holdings)})
	})
	if err != nil {
		return nil, err
	}
	return sub, s.endMarketing(ctx, sub)
}

// prepareSubscriber validates the input before any transaction starts. The
// items keep their values in the clear (ValueText) until upsertTx or
// Prepare seals them with the subscriber's data key.
func (s *Service) prepareSubscriber(in SubscriberInput) (*models.Subscriber, []*models.Holding, error) {
	now := s.clock.Now()
	if err := s.validateSubscriber(in, now); err != nil {
		return nil, nil, err
	}
	birth, err := s.birthDate(in, now)
	if err != nil {
		return nil, nil, err
	}
	sub := &models.Subscriber{
		ID: in.ID, Status: in.Status, SignedUpAt: in.SignedUpAt, TerminatedAt: in.TerminatedAt,
		BirthDate: birth, GuardianID: in.GuardianID, BillingState: models.BillingSettled,
	}
	holdings := make([]*models.Holding, 0, len(in.Items))
	perCategory := map[string]int{}
	for i, it := range in.Items {
		h, err := s.holding(in.ID, i, perCategory[it.Category], it, in.SignedUpAt, now)
		if err != nil {
			return nil, nil, err
		}
		perCategory[it.Category]++
		holdings = append(holdings, h)
	}
	return sub, holdings, nil
}

// BirthDateCategory is the profile item that also carries the birth date.
const BirthDateCategory = "applicant.birth_date"

// birthDate is the subscriber's birth date however it is fed — the
// birthDate field or the applicant.birth_date item, which must agree — and
// refuses a child under 14 without a recorded guardian (법 22조의2): nobody
// could consent for them.
func (s *Service) birthDate(in SubscriberInput, now time.Time) (*string, error) {
	birth, field := in.BirthDate, "birthDate"
	for i, it := range in.Items {
		if it.Category != BirthDateCategory {
			continue
		}
		v := it.Value
		if err := protect.Validate(protect.FormatDate, v, now.In(clock.KST)); err != nil {
			return nil, apperr.BadInput(fmt.Sprintf("items[%d].value", i), "not a valid date: %s", reason(err))
		}
		switch {
		case birth == nil:
			birth, field = &v, fmt.Sprintf("items[%d].value", i)
		case *birth != v:
			return nil, apperr.BadInput(fmt.Sprintf("items[%d].value", i), "the applicant.birth_date item disagrees with %s: feed one birth date", field)
		}
	}
	if birth == nil {
		return nil, nil
	}
	minor, err := models.MinorOn(*birth, now)
	if err != nil {
		return nil, apperr.BadInput(field, "not a valid date")
	}
	if minor && in.GuardianID == nil {
		return nil, apperr.BadInput("guardianId", "the subscriber is under 14 (by %s): a child's data is accepted only with their legal guardian recorded (PIPA 22-2)", field)
	}
	return birth, nil
}

// upsertTx writes a prepared subscriber and their items, sealed with the
// subscriber's data key (drawn now for a new subscriber), and reschedules
// their data, inside tx.
func (s *Service) upsertTx(ctx context.Context, tx Store, sub *models.Subscriber, holdings []*models.Holding) error {
	existing, err := tx.GetSubscriber(ctx, sub.ID)
	if err == nil {
		sub.BillingState, sub.BillingSince, sub.CreatedAt = existing.BillingState, existing.BillingSince, existing.CreatedAt
	} else if !isNotFound(err) {
		return err
	}
	dk, err := s.keys.ForRead(ctx, tx, sub.ID)
	if err != nil {
		return err
	}
	var newKey *models.SubscriberKey
	if dk == nil {
		if dk, newKey, err = s.keys.Fresh(sub.ID); err != nil {
			return err
		}
	}
	for _, h := range holdings {
		shred.SealHolding(dk, h)
	}
	// A new subscriber has no fee issues, consents, records or older items
	// yet: their items are scheduled before they are written, as
	// Reschedule would, and there is nothing to reschedule or delete.
	fresh := existing == nil
	if fresh {
		if err := s.inv.ScheduleNew(inventory.Facts(sub, nil), holdings, nil); err != nil {
			return err
		}
	}
	if err := tx.UpsertSubscriber(ctx, shred.SealSubscriber(dk, sub)); err != nil {
		return err
	}
	if newKey != nil {
		created, err := tx.CreateSubscriberKey(ctx, newKey)
		if err != nil {
			return err
		}
		if !created {
			// A concurrent feed of the same new subscriber stored its key
			// first; what this one sealed would not open.
			return apperr.Conflict("subscriber %q is being written by another feed at the same time; retry", sub.ID)
		}
	}
	if err := tx.UpsertHoldings(ctx, holdings); err != nil {
		return err
	}
	if fresh {
		return nil
	}
	seen := map[string]bool{}
	categories := make([]string, 0, len(holdings))
	keep := make([]string, 0, len(holdings))
	for _, h := range holdings {
		if !seen[h.Category] {
			seen[h.Category] = true
			categories = append(categories, h.Category)
		}
		keep = append(keep, h.ID)
	}
	if len(categories) > 0 {
		if _, err := tx.DeleteHoldingsExcept(ctx, sub.ID, categories, keep); err != nil {
			return err
		}
	}
	return s.inv.Reschedule(ctx, tx, sub.ID)
}

func (s *Service) validateSubscriber(in SubscriberInput, now time.Time) error {
	if err := textin.Check("id", in.ID); err != nil {
		return err
	}
	if in.GuardianID != nil {
		if err := textin.Check("guardianId", *in.GuardianID); err != nil {
			return err
		}
	}
	for i, it := range in.Items {
		field := fmt.Sprintf("items[%d]", i)
		if err := textin.CheckAll(field+".category", it.Category, field+".value", it.Value, field+".source", it.Source); err != nil {
			return err
		}
	}
	if in.ID == "" || len(in.ID) > 64 {
		return apperr.BadInput("id", "a subscriber id of 1 to 64 characters is required")
	}
	if !in.Status.Valid() {
		return apperr.BadInput("status", "must be ACTIVE, SUSPENDED or TERMINATED")
	}
	if in.SignedUpAt.IsZero() {
		return apperr.BadInput("signedUpAt", "is required")
	}
	if in.SignedUpAt.After(now) {
		return apperr.BadInput("signedUpAt", "is in the future")
	}
	switch {
	case in.Status == models.StatusTerminated && in.TerminatedAt == nil:
		return apperr.BadInput("terminatedAt", "is required when the status is TERMINATED")
	case in.Status != models.StatusTerminated && in.TerminatedAt != nil:
		return apperr.BadInput("terminatedAt", "is only allowed when the status is TERMINATED")
	case in.TerminatedAt != nil && in.TerminatedAt.Before(in.SignedUpAt):
		return apperr.BadInput("terminatedAt", "is before signedUpAt")
	case in.TerminatedAt != nil && in.TerminatedAt.After(now):
		return apperr.BadInput("terminatedAt", "is in the future")
	}
	if in.BirthDate != nil {
		if err := protect.Validate(protect.FormatDate, *in.BirthDate, now.In(clock.KST)); err != nil {
			return apperr.BadInput("birthDate", "%s", reason(err))
		}
	}
	if in.GuardianID != nil && (*in.GuardianID == "" || len(*in.GuardianID) > 64) {
		return apperr.BadInput("guardianId", "must be 1 to 64 characters")
	}
	if len(in.Items) > 100 {
		return apperr.BadInput("items", "at most 100 items per subscriber")
	}
	return nil
}

// holding validates and seals one item. Its id is derived from the
// subscriber, category and position, so feeding the same subscriber twice
// updates rather than duplicates.
func (s *Service) holding(subscriberID string, i, ordinal int, it ItemInput, signedUp, now time.Time) (*models.Holding, error) {
	field := fmt.Sprintf("items[%d]", i)
	cat, ok := s.cat.Category(it.Category)
	if !ok {
		return nil, apperr.BadInput(field+".category", "unknown category %q", it.Category)
	}
	if cat.Class == policy.ClassGenerated {
		return nil, apperr.BadInput(field+".category", "%q is generated data: append it as records", it.Category)
	}
	if err := protect.Validate(cat.Format, it.Value, now.In(clock.KST)); err != nil {
		return nil, apperr.BadInput(field+".value", "not a valid %s value: %s", cat.Format, reason(err))
	}
	source := it.Source
	if source == "" {
		source = "APPLICATION_FORM"
	}
	if !Sources[source] {
		return nil, apperr.BadInput(field+".source", "unknown source %q", it.Source)
	}
	collected := signedUp
	if it.CollectedAt != nil {
		collected = *it.CollectedAt
	}
	if collected.After(now) {
		return nil, apperr.BadInput(field+".collectedAt", "is in the future")
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d", subscriberID, it.Category, ordinal)))
	h := &models.Holding{
		ID: hex.EncodeToString(sum[:16]), SubscriberID: subscriberID, Category: it.Category,
		Source: source, CollectedAt: collected,
	}
	// Every value, sensitive or not, is sealed with the subscriber's data
	// key on its way to the store (shred.SealHolding).
	v := it.Value
	h.ValueText = &v
	return h, nil
}

// AppendRecords adds up to MaxRecordsPerCall records to a subscriber,
// skipping those already appended (same kind and external id), and returns
// how many were new. Each record gets its purge date on the way in.
func (s *Service) AppendRecords(ctx context.Context, subscriberID string, recs []RecordInput) (int64, error) {
	if err := s.validateRecords(recs); err != nil {
		return 0, err
	}
	var n int64
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if n, err = s.appendTx(ctx, tx, subscriberID, recs); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.ActionFeedAppendRecords, subscriberID, map[string]any{"submitted": len(recs), "appended": n})
	})
	return n, err
}

// validateRecords checks a batch of records before any transaction starts.
func (s *Service) validateRecords(recs []RecordInput) error {
	if len(recs) > MaxRecordsPerCall {
		return apperr.BadInput("records", "at most %d records per call", MaxRecordsPerCall)
	}
	now := s.clock.Now()
	for i, r := range recs {
		field := fmt.Sprintf("records[%d]", i)
		if err := textin.CheckAll(field+".kind", r.Kind, field+".externalId", r.ExternalID, field+".summary", r.Summary); err != nil {
			return err
		}
		if _, ok := s.cat.RecordKind(r.Kind); !ok {
			return apperr.BadInput(field+".kind", "unknown record kind %q", r.Kind)
		}
		if r.ExternalID == "" || len(r.ExternalID) > 128 {
			return apperr.BadInput(field+".externalId", "an external id of 1 to 128 characters is required")
		}
		if r.OccurredAt.IsZero() || r.OccurredAt.After(now) {
			return apperr.BadInput(field+".occurredAt", "is missing or in the future")
		}
		if len(r.Summary) > 2000 {
			return apperr.BadInput(field+".summary", "at most 2000 bytes")
		}
	}
	return nil
}

// appendTx appends validated records inside tx, each with its purge date.
func (s *Service) appendTx(ctx context.Context, tx Store, subscriberID string, recs []RecordInput) (int64, error) {
	sub, err := tx.GetSubscriber(ctx, subscriberID)
	if err != nil {
		if isNotFound(err) {
			return 0, apperr.NotFound("no subscriber %q", subscriberID)
		}
		return 0, err
	}
	issues, err := tx.ListFeeIssues(ctx, subscriberID)
	if err != nil {
		return 0, err
	}
	f := inventory.Facts(sub, issues)
	dk, err := s.keys.ForWrite(ctx, tx, subscriberID)
	if err != nil {
		return 0, err
	}
	rows := make([]*models.Record, len(recs))
	for i, r := range recs {
		if err := checkRecordDate(sub, i, r.OccurredAt); err != nil {
			return 0, err
		}
		sch, err := s.inv.ScheduleForRecord(f, r.Kind, r.OccurredAt)
		if err != nil {
			return 0, err
		}
		rows[i] = &models.Record{SubscriberID: subscriberID, Kind: r.Kind, OccurredAt: r.OccurredAt, ExternalID: r.ExternalID, Summary: r.Summary, PurgeAfter: sch.PurgeAfter, PurgeClause: sch.Clause, StatuteFrom: sch.StatuteFrom}
		shred.SealRecord(dk, rows[i])
	}
	n, err := tx.AppendRecords(ctx, rows)
	if err != nil || sub.TerminatedAt == nil {
		return n, err
	}
	// A fee record after termination (a final bill, a late settlement)
	// moves the tax clause's hold on the listed profile fields.
	for _, r := range recs {
		if slices.Contains(s.inv.FeeRecordKinds(), r.Kind) {
			return n, s.inv.Reschedule(ctx, tx, subscriberID)
		}
	}
	return n, nil
}

// Terminate records the end of a subscription; the date may be in the past
// (back-fill), and the calculus counts from it.
func (s *Service) Terminate(ctx context.Context, subscriberID string, at time.Time) (*models.Subscriber, error) {
	now := s.clock.Now()
	if at.After(now) {
		return nil, apperr.BadInput("at", "is in the future")
	}
	var out *models.Subscriber
	err := s.store.InTx(ctx, func(tx Store) error {
		sub, err := tx.GetSubscriber(ctx, subscriberID)
		if err != nil {
			if isNotFound(err) {
				return apperr.NotFound("no subscriber %q", subscriberID)
			}
			return err
		}
		if at.Before(sub.SignedUpAt) {
			return apperr.BadInput("at", "is before the subscriber signed up")
		}
		sub.Status, sub.TerminatedAt = models.StatusTerminated, &at
		if err := tx.UpsertSubscriber(ctx, sub); err != nil {
			return err
		}
		out = sub
		if err := s.inv.Reschedule(ctx, tx, subscriberID); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.ActionFeedTerminateSub, subscriberID, nil)
	})
	if err != nil {
		return nil, err
	}
	return out, s.endMarketing(ctx, out)
}

// SetBillingState records the billing system's fee position. Unpaid or
// overpaid fees open a fee issue that stops the post-termination clock;
// SETTLED resolves the open ones as of since.
func (s *Service) SetBillingState(ctx context.Context, subscriberID string, state models.BillingState, since time.Time) (*models.Subscriber, error) {
	if !state.Valid() {
		return nil, apperr.BadInput("state", "must be SETTLED, UNPAID or OVERPAID")
	}
	if since.After(s.clock.Now()) {
		return nil, apperr.BadInput("since", "is in the future")
	}
	var out *models.Subscriber
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if out, err = s.billingTx(ctx, tx, subscriberID, state, since); err != nil {
			return err
		}
		// The state itself (UNPAID, …) is a value about the subscriber: the
		// event says only that it was set; the subscriber's row holds it.
		return s.audit(ctx, tx, audit.ActionFeedSetBillingState, subscriberID, nil)
	})
	return out, err
}

// billingTx applies a billing state inside tx: fee issues opened or
// resolved, the subscriber's state updated, their data rescheduled.
func (s *Service) billingTx(ctx context.Context, tx Store, subscriberID string, state models.BillingState, since time.Time) (*models.Subscriber, error) {
	sub, err := tx.GetSubscriber(ctx, subscriberID)
	if err != nil {
		if isNotFound(err) {
			return nil, apperr.NotFound("no subscriber %q", subscriberID)
		}
		return nil, err
	}
	// Fees of a subscription arise after it began: a state dated before
	// sign-up would stop the post-termination clock on a date the
	// subscriber had no fees.
	if since.Before(sub.SignedUpAt) {
		return nil, apperr.BadInput("since", "is before the subscriber signed up (%s)", models.DateOf(sub.SignedUpAt))
	}
	// An open fee issue cannot be resolved before it began: the feed has
	// its dates the wrong way round.
	issues, err := tx.ListFeeIssues(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	for _, fi := range issues {
		if fi.ResolvedAt == nil && fi.Kind != models.FeeDispute && fi.Kind != feeKindOf(state) && since.Before(fi.Since) {
			return nil, apperr.BadInput("since", "is before the open %s issue began (%s)", fi.Kind, models.DateOf(fi.Since))
		}
	}
	switch state {
	case models.BillingSettled:
		if _, err := tx.ResolveFeeIssues(ctx, subscriberID, []models.FeeIssueKind{models.FeeUnpaid, models.FeeOverpaid}, since); err != nil {
			return nil, err
		}
	case models.BillingUnpaid, models.BillingOverpaid:
		kind, other := models.FeeUnpaid, models.FeeOverpaid
		if state == models.BillingOverpaid {
			kind, other = models.FeeOverpaid, models.FeeUnpaid
		}
		if _, err := tx.ResolveFeeIssues(ctx, subscriberID, []models.FeeIssueKind{other}, since); err != nil {
			return nil, err
		}
		if _, err := tx.OpenFeeIssue(ctx, &models.FeeIssue{SubscriberID: subscriberID, Kind: kind, Since: since}); err != nil {
			return nil, err
		}
	}
	sub.BillingState, sub.BillingSince = state, &since
	if err := tx.UpsertSubscriber(ctx, sub); err != nil {
		return nil, err
	}
	// Unpaid or overpaid fees stop the clock of the post-termination
	// clause and nothing else (docs/POLICY.md "until resolved"): rescheduling
	// applies them; they place no hold on everything.
	return sub, s.inv.Reschedule(ctx, tx, subscriberID)
}

// audit records a feed change, last in its transaction. The actor is the
// feeding system's token, or the portal itself for imports and seeding.
func (s *Service) audit(ctx context.Context, tx Store, action, subscriberID string, details map[string]any) error {
	return s.rec.Record(ctx, tx, audit.Event{Actor: audit.System(ctx, "feed"), Action: action, Subject: subscriberID, TargetType: "subscriber", TargetID: subscriberID, Details: details})
}

// feeKindOf is the fee issue a billing state opens; "" for SETTLED.
func feeKindOf(state models.BillingState) models.FeeIssueKind {
	switch state {
	case models.BillingUnpaid:
		return models.FeeUnpaid
	case models.BillingOverpaid:
		return models.FeeOverpaid
	}
	return ""
}

func reason(err error) string {
	var ve *protect.ValidationError
	if errorsAs(err, &ve) {
		return ve.Reason
	}
	return "invalid"
}
