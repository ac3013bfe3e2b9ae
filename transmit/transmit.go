// Package transmit owns transmission requests (전송요구, 법 35조의2; 영
// 42조의2): a subscriber, or the guardian of a child under 14, asks for the
// data processed on their consent or contract — profile items, fee and
// payment records, usage records — to be sent in a machine-readable format
// with a published schema (schema/transmission.v1.json), to themselves as a
// download or to a recipient they choose from the registry the operator
// admits, once or monthly until a date, and may withdraw the request at any
// time.
//
// # Rules, in one place
//
//   - Scope is chosen item by item: profile category codes and the record
//     kinds the catalog marks transmissible (policy.RecordKind.Transmissible,
//     so a catalog change changes what may be asked for). A recipient
//     receives only the codes the operator admitted it for. Data kept only
//     because a statute requires it (RETAINED_BY_STATUTE) is stored apart
//     and used for nothing else (법 21③): it is never transmitted, and a
//     scope naming a category the subscriber holds only that way is refused.
//   - A request is answered when filed, so within the 10-day deadline of
//     every right (requests.DueIn); bad input is refused at once with the
//     field at fault. A request accepted earlier is refused later, with its
//     reason code and a notice to the subscriber, when its recipient is
//     suspended or no longer admitted for its scope. Staff (an admin, or an
//     agent with an open request of the subscriber assigned: requests.Agency)
//     may refuse a request, or stop its transmissions, with a reason of the
//     catalog (법 35조의2⑥; policy.TransmissionRefusal): audited, and the
//     subscriber told in both languages through the outbox.
//   - Deliveries: the scheduler (Worker) makes the request's delivery of
//     each period — period n at StartsAt plus n-1 calendar months (민법
//     160) — as one row whose id never changes, with the document built at
//     that moment and kept encrypted until it is done with. A document
//     carries the records in scope that no earlier document of the request
//     carried, whatever their date (what each carried is recorded), so a
//     record fed late is carried by the next one and none is sent twice; a
//     period with more records than a document holds (WorkerConfig.
//     MaxRecords) continues in further documents of the same period, made
//     at once, so nothing in scope is dropped. A delivery to
//     a recipient is posted signed (Standard Webhooks, the notify package's
//     secrets and headers), at least once, retried with backoff, every
//     attempt recorded and audited; after MaxAttempts it is FAILED and the
//     subscriber is told through the outbox. A download is READY for
//     DownloadTTL, each download audited, then expires.
//   - Withdrawal stops future deliveries at once: the request's next
//     delivery is cleared and its pending deliveries cancelled in the same
//     transaction.
package transmit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/notify"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/requests"
	"github.com/xroshot/portal/shred"
)

// DownloadTTL is how long a transmission to the subscriber themselves can
// be downloaded, as long as an access export.
const DownloadTTL = requests.ExportTTL

// OnceExpiry is how long a one-time request waits for its start date
// when no expiry is given.
const OnceExpiry = 30 * 24 * time.Hour

// Outbox kinds of the notices this package sends the subscriber.
const (
	NoticeFailed  = "TRANSMISSION_FAILED"
	NoticeRefused = "TRANSMISSION_REFUSED"
)

// Refusal reason codes the portal gives itself, when a request's recipient
// is no longer admitted for its scope; staff give the catalog's others.
const (
	ReasonRecipientNotAdmitted = policy.RefusalRecipientNotAdmitted
	ReasonNotTransmissible     = policy.RefusalNotTransmissible
)

// Audit actions.
const (
	ActionRecipientSave = "transmit.recipient_save"
	ActionFile          = "transmit.file"
	ActionWithdraw      = "transmit.withdraw"
	ActionRefuse        = "transmit.refuse"
	ActionDelivery      = "transmit.delivery_attempt"
	ActionFailed        = "transmit.delivery_failed"
	ActionDownload      = "transmit.download"
)

// Store is what transmission requests read and write; the gorm store
// implements it (store.DB.ForTransmit).
type Store interface {
	audit.Store
	shred.KeyReader
	InTx(ctx context.Context, fn func(tx Store) error) error
	EnqueueOutbox(ctx context.Context, m *models.OutboxRow) error

	CreateRecipient(ctx context.Context, r *models.TransmissionRecipient) error
	SaveRecipient(ctx context.Context, r *models.TransmissionRecipient) error
	GetRecipient(ctx context.Context, id string) (*models.TransmissionRecipient, error)
	ListRecipients(ctx context.Context) ([]*models.TransmissionRecipient, error)

	CreateTransmission(ctx context.Context, r *models.TransmissionRequest) error
	GetTransmission(ctx context.Context, id string) (*models.TransmissionRequest, error)
	GetTransmissionByKey(ctx context.Context, subscriberID, key string) (*models.TransmissionRequest, error)
	ListTransmissions(ctx context.Context, subscriberID string) ([]*models.TransmissionRequest, error)
	// WithdrawTransmission ends an active request at at and cancels its
	// pending deliveries; it reports whether the request was active.
	WithdrawTransmission(ctx context.Context, subscriberID, id string, at time.Time) (bool, error)
	// RefuseTransmission is WithdrawTransmission for a refusal by staff
	// member by, for reason.
	RefuseTransmission(ctx context.Context, subscriberID, id, reason, by string, at time.Time) (bool, error)
	// ClaimDueTransmissions leases up to limit active requests whose next
	// delivery is due at now to token until leaseUntil, skipping requests
	// another scheduler holds.
	ClaimDueTransmissions(ctx context.Context, now time.Time, limit int, token string, leaseUntil time.Time) ([]*models.TransmissionRequest, error)
	// AdvanceTransmission records that token's delivery of the request was
	// made: deliveries+1, the next delivery (nil: none), the status and
	// reason; only while token still holds the active request.
	AdvanceTransmission(ctx context.Context, r *models.TransmissionRequest, token string) (bool, error)

	CreateDelivery(ctx context.Context, d *models.TransmissionDelivery) error
	// MarkSent records the records a delivery carries: the inventory
	// leaves them out of the request's later documents
	// (inventory.Service.UnsentRecords).
	MarkSent(ctx context.Context, rows []models.TransmissionSent) error
	GetDelivery(ctx context.Context, id string) (*models.TransmissionDelivery, error)
	ListDeliveries(ctx context.Context, subscriberID string, requestIDs []string) ([]*models.TransmissionDelivery, error)
	ClaimDeliveries(ctx context.Context, now time.Time, limit int, token string, leaseUntil time.Time) ([]*models.TransmissionDelivery, error)
	RecordAttempt(ctx context.Context, a *models.TransmissionAttempt) error
	ListAttempts(ctx context.Context, subscriberID, deliveryID string) ([]*models.TransmissionAttempt, error)
	// FinishDelivery sets a claimed delivery's outcome: DELIVERED or
	// FAILED (the payload removed) or PENDING again at next; only while
	// token holds it (a DELIVERED is recorded whoever holds it).
	FinishDelivery(ctx context.Context, d *models.TransmissionDelivery, token string, status models.DeliveryStatus, at, next time.Time) (bool, error)
	// ExpireDownloads removes the payloads of downloads expired at now.
	ExpireDownloads(ctx context.Context, now time.Time) (int64, error)
}

// Service files, lists and withdraws transmission requests and keeps the
// recipient registry.
type Service struct {
	store  Store
	inv    *inventory.Service
	cat    *policy.Catalog
	keys   *protect.Keyring
	agency requests.Agency
	clock  clock.Clock
	rec    *audit.Recorder
}

// New returns the transmission service; agency is the rule by which an
// agent acts for a subscriber (requests.Agency).
func New(s Store, inv *inventory.Service, keys *protect.Keyring, agency requests.Agency, c clock.Clock) *Service {
	if c == nil {
		c = clock.Real{}
	}
	return &Service{store: s, inv: inv, cat: inv.Catalog(), keys: keys, agency: agency, clock: c, rec: audit.NewRecorder(c)}
}

// ---- the recipient registry (admins) ----

// RecipientInput is what an admin gives to admit or change a recipient.
// Secret is the Standard Webhooks verification secret ("whsec_…"); empty
// on a change keeps the current one.
type RecipientInput struct {
	Name       string
	Endpoint   string
	Secret     string
	Categories []string
}

// CheckEndpoint refuses an endpoint that is not an absolute https URL with
// a host: personal data travels only encrypted in transit.
func CheckEndpoint(field, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return apperr.BadInput(field, "the endpoint must be an absolute https URL")
	}
	if u.Scheme != "https" {
		return apperr.BadInput(field, "the endpoint must use https, not %q", u.Scheme)
	}
	if u.User != nil {
		return apperr.BadInput(field, "the endpoint must not carry credentials")
	}
	return nil
}

// checkCodes refuses codes that are neither a profile category nor a
// transmissible record kind of the catalog.
func (s *Service) checkCodes(field string, codes []string, wantCategory, wantKind bool) error {
	kinds := s.cat.TransmissibleRecordKinds()
	for _, c := range codes {
		_, isCat := s.cat.Category(c)
		isKind := slices.Contains(kinds, c)
		if _, known := s.cat.RecordKind(c); known && !isKind && wantKind {
			return apperr.BadInput(field, "record kind %q is not transmissible (only %s)", c, strings.Join(kinds, ", "))
		}
		if !(wantCategory && isCat) && !(wantKind && isKind) {
			return apperr.BadInput(field, "unknown code %q", c)
		}
	}
	return nil
}

// SaveRecipient admits a new recipient (id empty) or changes one. The
// secret is stored encrypted and never returned. Audited.
func (s *Service) SaveRecipient(ctx context.Context, id string, in RecipientInput) (*models.TransmissionRecipient, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return nil, apperr.BadInput("input.name", "a name of 1 to 200 characters is required")
	}
	if err := CheckEndpoint("input.endpoint", in.Endpoint); err != nil {
		return nil, err
	}
	if len(in.Categories) == 0 {
		return nil, apperr.BadInput("input.categories", "name at least one category or record kind")
	}
	if err := s.checkCodes("input.categories", in.Categories, true, true); err != nil {
		return nil, err
	}
	cats := slices.Clone(in.Categories)
	slices.Sort(cats)
	cats = slices.Compact(cats)
	now := s.clock.Now()
	r := &models.TransmissionRecipient{ID: id}
	if id != "" {
		cur, err := s.store.GetRecipient(ctx, id)
		if err != nil {
			if apperr.IsNotFound(err) {
				return nil, apperr.NotFound("no recipient %s", id)
			}
			return nil, err
		}
		r = cur
	} else {
		if in.Secret == "" {
			return nil, apperr.BadInput("input.secret", "a verification secret (whsec_…) is required")
		}
		r.ID, r.Status, r.CreatedAt = uuid.NewString(), models.RecipientActive, now
	}
	if in.Secret != "" {
		if !strings.HasPrefix(in.Secret, notify.SecretPrefix) {
			return nil, apperr.BadInput("input.secret", "the secret must be in the Standard Webhooks form %s<base64>", notify.SecretPrefix)
		}
		key, err := notify.CheckSecret(in.Secret)
		if err != nil {
			return nil, apperr.BadInput("input.secret", "the secret %v: generate %s and the base64 of %d or more random bytes", err, notify.SecretPrefix, notify.MinKeyBytes)
		}
		ct, kid, err := s.keys.Encrypt(key, recipientAAD(r.ID))
		if err != nil {
			return nil, err
		}
		r.SecretCipher, r.KeyID = ct, kid
	}
	r.Name, r.Endpoint, r.Categories, r.UpdatedAt = in.Name, in.Endpoint, cats, now
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if id == "" {
			err = tx.CreateRecipient(ctx, r)
		} else {
			err = tx.SaveRecipient(ctx, r)
		}
		if err != nil {
			return err
		}
		return s.rec.Record(ctx, tx, audit.Event{Action: ActionRecipientSave, TargetType: "transmit_recipient", TargetID: r.ID,
			Details: map[string]any{"status": string(r.Status), "scope": cats}})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// SetRecipientStatus admits (ACTIVE) or suspends a recipient. A suspended
// recipient receives nothing: new requests naming it are refused, and the
// scheduler refuses the active requests naming it at their next delivery.
func (s *Service) SetRecipientStatus(ctx context.Context, id string, st models.RecipientStatus) (*models.TransmissionRecipient, error) {
	if st != models.RecipientActive && st != models.RecipientSuspended {
		return nil, apperr.BadInput("status", "unknown status %q", st)
	}
	var r *models.TransmissionRecipient
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		r, err = tx.GetRecipient(ctx, id)
		if err != nil {
			if apperr.IsNotFound(err) {
				return apperr.NotFound("no recipient %s", id)
			}
			return err
		}
		r.Status, r.UpdatedAt = st, s.clock.Now()
		if err := tx.SaveRecipient(ctx, r); err != nil {
			return err
		}
		return s.rec.Record(ctx, tx, audit.Event{Action: ActionRecipientSave, TargetType: "transmit_recipient", TargetID: r.ID,
			Details: map[string]any{"status": string(st)}})
	})
	return r, err
}

// Recipients lists the registry: subscribers choose from it.
func (s *Service) Recipients(ctx context.Context) ([]*models.TransmissionRecipient, error) {
	return s.store.ListRecipients(ctx)
}

// Recipient returns one recipient, or NOT_FOUND.
func (s *Service) Recipient(ctx context.Context, id string) (*models.TransmissionRecipient, error) {
	r, err := s.store.GetRecipient(ctx, id)
	if apperr.IsNotFound(err) {
		return nil, apperr.NotFound("no recipient %s", id)
	}
	return r, err
}

func recipientAAD(id string) []byte { return []byte("transmit-recipient:" + id) }

func payloadAAD(subscriberID, deliveryID string) []byte {
	return []byte("transmit-delivery:" + subscriberID + ":" + deliveryID)
}

// SubscriberKey is the key_id of a payload sealed with the subscriber's
// data key (package shred) rather than a master key of the keyring.
const SubscriberKey = "subscriber-data-key"

// payloadKind names a delivery's document among the subscriber's sealed
// documents.
const payloadKind = "transmission"

// seal stores the delivery's document sealed with the subscriber's data
// key, read in st: erasing the subscriber makes every stored copy
// unreadable, as it does the values the document copies. A subscriber
// written before data keys has none, and a master key seals it instead.
func (s *Service) seal(ctx context.Context, st Store, d *models.TransmissionDelivery, body []byte) error {
	sealed, keyed, err := s.inv.SealDocumentIfKeyed(ctx, st, d.SubscriberID, payloadKind, d.ID, body)
	if err != nil {
		return err
	}
	kid := SubscriberKey
	if !keyed {
		if sealed, kid, err = s.keys.Encrypt(body, payloadAAD(d.SubscriberID, d.ID)); err != nil {
			return err
		}
	}
	d.PayloadCipher, d.KeyID = sealed, &kid
	return nil
}

// open opens what seal stored.
func (s *Service) open(ctx context.Context, d *models.TransmissionDelivery) ([]byte, error) {
	if d.KeyID == nil {
		return nil, errors.New("transmit: the delivery has no payload")
	}
	if *d.KeyID == SubscriberKey {
		return s.inv.OpenDocument(ctx, s.store, d.SubscriberID, payloadKind, d.ID, d.PayloadCipher)
	}
	return s.keys.Decrypt(*d.KeyID, d.PayloadCipher, payloadAAD(d.SubscriberID, d.ID))
}

// secret decrypts a recipient's signing key.
func (s *Service) secret(r *models.TransmissionRecipient) ([]byte, error) {
	return s.keys.Decrypt(r.KeyID, r.SecretCipher, recipientAAD(r.ID))
}

// ---- requests (subscribers and guardians) ----

// FileInput is a transmission request as the subscriber files it.
type FileInput struct {
	Destination    models.TransmissionDestination
	RecipientID    string
	Categories     []string
	RecordKinds    []string
	Schedule       models.TransmissionSchedule
	StartsAt       *time.Time
	Until          *time.Time
	ExpiresAt      *time.Time
	IdempotencyKey string
}

// File files and answers a transmission request of the actor's own data.
// Filing is idempotent on the key.
func (s *Service) File(ctx context.Context, who actor.Actor, in FileInput) (*models.TransmissionRequest, error) {
	subj, err := s.inv.LoadOwn(ctx, who)
	if err != nil {
		return nil, err
	}
	sub := subj.Subscriber
	if n := len(in.IdempotencyKey); n < 8 || n > 128 {
		return nil, apperr.BadInput("input.idempotencyKey", "the idempotency key must be 8 to 128 characters")
	}
	if prev, err := s.store.GetTransmissionByKey(ctx, sub.ID, in.IdempotencyKey); err == nil {
		return prev, nil
	} else if !apperr.IsNotFound(err) {
		return nil, err
	}
	now := s.clock.Now()
	r := &models.TransmissionRequest{
		ID: uuid.NewString(), SubscriberID: sub.ID, FiledBy: models.FiledBySubscriber, FiledByID: who.Subject,
		Destination: in.Destination, Schedule: in.Schedule, Status: models.TransmissionActive,
		FiledAt: now, DueAt: now.Add(requests.DueIn), AnsweredAt: &now, IdempotencyKey: in.IdempotencyKey, UpdatedAt: now,
	}
	if who.Guardian != "" {
		r.FiledBy, r.FiledByID = models.FiledByGuardian, who.Guardian
	}
	if err := s.checkFile(ctx, subj, in, r, now); err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateTransmission(ctx, r); err != nil {
			return err
		}
		return s.rec.Record(ctx, tx, audit.Event{Action: ActionFile, Subject: sub.ID, TargetType: "transmission_request", TargetID: r.ID,
			Details: map[string]any{"type": string(r.Schedule), "via": string(r.Destination), "filedBy": string(r.FiledBy), "scope": scopeCodes(r)}})
	})
	if apperr.IsConflict(err) {
		// A concurrent filing with the same key won the race.
		if prev, gerr := s.store.GetTransmissionByKey(ctx, sub.ID, in.IdempotencyKey); gerr == nil {
			return prev, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func scopeCodes(r *models.TransmissionRequest) []string {
	return append(slices.Clone(r.Categories), r.RecordKinds...)
}

// checkFile validates the input against the catalog, the registry and the
// subscriber's data, and fills r's scope and dates.
func (s *Service) checkFile(ctx context.Context, subj *inventory.Subject, in FileInput, r *models.TransmissionRequest, now time.Time) error {
	if len(in.Categories)+len(in.RecordKinds) == 0 {
		return apperr.BadInput("input.scope", "choose at least one category or record kind")
	}
	if err := s.checkCodes("input.scope.categories", in.Categories, true, false); err != nil {
		return err
	}
	if err := s.checkCodes("input.scope.recordKinds", in.RecordKinds, false, true); err != nil {
		return err
	}
	r.Categories, r.RecordKinds = uniq(in.Categories), uniq(in.RecordKinds)
	switch in.Destination {
	case models.DestinationSelf:
		if in.RecipientID != "" {
			return apperr.BadInput("input.recipientId", "a transmission to yourself names no recipient")
		}
	case models.DestinationRecipient:
		if in.RecipientID == "" {
			return apperr.BadInput("input.recipientId", "choose a recipient from the registry")
		}
		rc, err := s.store.GetRecipient(ctx, in.RecipientID)
		if apperr.IsNotFound(err) {
			return apperr.BadInput("input.recipientId", "no admitted recipient %s", in.RecipientID)
		}
		if err != nil {
			return err
		}
		if rc.Status != models.RecipientActive {
			return apperr.BadInput("input.recipientId", "recipient %s is suspended and receives nothing", rc.ID)
		}
		if err := CheckEndpoint("input.recipientId", rc.Endpoint); err != nil {
			return err
		}
		for _, c := range r.Categories {
			if !slices.Contains(rc.Categories, c) {
				return apperr.BadInput("input.scope.categories", "recipient %s may not receive %q", rc.ID, c)
			}
		}
		for _, k := range r.RecordKinds {
			if !slices.Contains(rc.Categories, k) {
				return apperr.BadInput("input.scope.recordKinds", "recipient %s may not receive %q", rc.ID, k)
			}
		}
		r.RecipientID = &rc.ID
	default:
		return apperr.BadInput("input.destination", "unknown destination %q", in.Destination)
	}
	start := now
	if in.StartsAt != nil && in.StartsAt.After(now) {
		start = *in.StartsAt
	}
	r.StartsAt = start
	switch in.Schedule {
	case models.ScheduleOnce:
		if in.Until != nil {
			return apperr.BadInput("input.until", "a one-time transmission has no end date")
		}
		r.ExpiresAt = start.Add(OnceExpiry)
	case models.ScheduleMonthly:
		if in.Until == nil {
			return apperr.BadInput("input.until", "a monthly transmission runs until a date")
		}
		if in.Until.Before(start) {
			return apperr.BadInput("input.until", "the period ends (%s) before it starts (%s)", in.Until.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
		}
		r.Until = in.Until
		r.ExpiresAt = *in.Until
	default:
		return apperr.BadInput("input.schedule", "unknown schedule %q", in.Schedule)
	}
	if in.ExpiresAt != nil {
		if in.ExpiresAt.Before(start) {
			return apperr.BadInput("input.expiresAt", "the request expires (%s) before it starts (%s)", in.ExpiresAt.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
		}
		r.ExpiresAt = *in.ExpiresAt
	}
	next := start
	r.NextDeliveryAt = &next
	return s.checkNotStatuteOnly(ctx, subj, r)
}

// checkNotStatuteOnly refuses a scope naming a category or record kind
// whose data the subscriber holds only because a statute requires it: that
// data is kept apart and used for nothing else (법 21③).
func (s *Service) checkNotStatuteOnly(ctx context.Context, subj *inventory.Subject, r *models.TransmissionRequest) error {
	if len(r.Categories) > 0 {
		hs, err := s.inv.Holdings(ctx, subj, inventory.HoldingFilter{})
		if err != nil {
			return err
		}
		for _, c := range r.Categories {
			held, usable := 0, 0
			for _, h := range hs {
				if h.Category.Code != c {
					continue
				}
				held++
				if h.Assessment.State.Usable() {
					usable++
				}
			}
			if held > 0 && usable == 0 {
				return apperr.BadInput("input.scope.categories", "%q is kept only because a statute requires it, and is not transmissible", c)
			}
		}
	}
	for _, k := range r.RecordKinds {
		page, err := s.inv.Records(ctx, subj, k, 100, nil)
		if err != nil {
			return err
		}
		usable := 0
		for _, rec := range page.Records {
			if rec.Assessment.State.Usable() {
				usable++
			}
		}
		if len(page.Records) > 0 && usable == 0 {
			return apperr.BadInput("input.scope.recordKinds", "%q records are kept only because a statute requires it, and are not transmissible", k)
		}
	}
	return nil
}

func uniq(codes []string) []string {
	out := slices.Clone(codes)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Withdraw ends the actor's request at once: no further delivery is made,
// and pending ones are cancelled. Audited.
func (s *Service) Withdraw(ctx context.Context, who actor.Actor, id string) (*models.TransmissionRequest, error) {
	r, err := s.own(ctx, who, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err = s.store.InTx(ctx, func(tx Store) error {
		ok, err := tx.WithdrawTransmission(ctx, r.SubscriberID, r.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Conflict("the transmission request is %s and cannot be withdrawn", r.Status)
		}
		return s.rec.Record(ctx, tx, audit.Event{Action: ActionWithdraw, Subject: r.SubscriberID, TargetType: "transmission_request", TargetID: r.ID})
	})
	if err != nil {
		return nil, err
	}
	return s.store.GetTransmission(ctx, r.ID)
}

// Refuse refuses a transmission request, or stops its transmissions, for
// a reason of the catalog a staff member may give (법 35조의2⑥): no further
// delivery is made, pending ones are cancelled, the subscriber is told in
// both languages through the outbox, and the refusal is audited. An admin
// may refuse any request; an agent only one of a subscriber with an open
// request assigned to them (requests.Agency).
func (s *Service) Refuse(ctx context.Context, who actor.Actor, id, reasonCode string) (*models.TransmissionRequest, error) {
	reasonCode = strings.TrimSpace(reasonCode)
	reason, ok := s.cat.TransmissionRefusal(reasonCode)
	if reasonCode == "" || !ok || !reason.Staff {
		what := "a reason is required"
		if reasonCode != "" {
			what = fmt.Sprintf("%q is not a reason staff may give", reasonCode)
		}
		return nil, apperr.BadInput("reasonCode", "%s: one of %s", what, strings.Join(s.staffReasons(), ", "))
	}
	r, err := s.store.GetTransmission(ctx, id)
	if apperr.IsNotFound(err) {
		return nil, apperr.NotFound("no transmission request %s", id)
	}
	if err != nil {
		return nil, err
	}
	if err := s.actsFor(ctx, who, r.SubscriberID); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err = s.store.InTx(ctx, func(tx Store) error {
		ok, err := tx.RefuseTransmission(ctx, r.SubscriberID, r.ID, reason.Code, who.Subject, now)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Conflict("the transmission request is %s and cannot be refused", r.Status)
		}
		return s.tellRefused(ctx, tx, r, reason, audit.By(ctx, who), now)
	})
	if err != nil {
		return nil, err
	}
	return s.store.GetTransmission(ctx, r.ID)
}

// actsFor refuses staff who may not act for the subscriber: an admin may,
// an agent only with an open request of theirs assigned (requests.Agency).
func (s *Service) actsFor(ctx context.Context, who actor.Actor, subscriberID string) error {
	if who.IsAdmin() {
		return nil
	}
	if who.Has(actor.RoleAgent) {
		ok, err := s.agency.MayActFor(ctx, who.Subject, subscriberID)
		if err != nil || ok {
			return err
		}
		return apperr.Forbidden("an agent acts for a subscriber only while an open request of theirs is assigned to them")
	}
	return apperr.Forbidden("only staff act on a subscriber's transmission requests")
}

// ListFor returns a subscriber's transmission requests to staff who may
// act for them; the read is audited, as every staff read of a
// subscriber's data.
func (s *Service) ListFor(ctx context.Context, who actor.Actor, subscriberID string) ([]*models.TransmissionRequest, error) {
	if err := s.actsFor(ctx, who, subscriberID); err != nil {
		return nil, err
	}
	rs, err := s.store.ListTransmissions(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		return s.rec.Record(ctx, tx, audit.Event{Actor: audit.By(ctx, who), Action: audit.ActionSubscriberRead, Subject: subscriberID, TargetType: "transmission_requests", TargetID: subscriberID})
	})
	return rs, err
}

// staffReasons lists the refusal reasons staff may give.
func (s *Service) staffReasons() []string {
	var out []string
	for _, r := range s.cat.TransmissionRefusals {
		if r.Staff {
			out = append(out, r.Code)
		}
	}
	return out
}

// tellRefused queues the notice telling the subscriber that r was refused
// for reason, in the catalog's words in both languages, and audits the
// refusal as done by, in the refusal's transaction.
func (s *Service) tellRefused(ctx context.Context, tx Store, r *models.TransmissionRequest, reason *policy.TransmissionRefusal, by audit.Actor, now time.Time) error {
	msg, err := json.Marshal(map[string]any{
		"kind": NoticeRefused, "subscriberId": r.SubscriberID, "requestId": r.ID, "reasonCode": reason.Code,
		"reason": text(reason.Label), "text": text(reason.Text), "howToObject": requestsHowToObject, "at": now, "sender": text(s.cat.Controller),
	})
	if err != nil {
		return err
	}
	if err := tx.EnqueueOutbox(ctx, &models.OutboxRow{SubscriberID: r.SubscriberID, Kind: NoticeRefused, Payload: string(msg), DueBy: now, CreatedAt: now}); err != nil {
		return err
	}
	return s.rec.Record(ctx, tx, audit.Event{Actor: by, Action: ActionRefuse, Subject: r.SubscriberID,
		TargetType: "transmission_request", TargetID: r.ID, Details: map[string]any{"outcome": reason.Code}})
}

// own returns the actor's request, NOT_FOUND for anyone else's.
func (s *Service) own(ctx context.Context, who actor.Actor, id string) (*models.TransmissionRequest, error) {
	subj, err := s.inv.LoadOwn(ctx, who)
	if err != nil {
		return nil, err
	}
	r, err := s.store.GetTransmission(ctx, id)
	if err != nil || r.SubscriberID != subj.Subscriber.ID {
		if err == nil || apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no transmission request %s", id)
		}
		return nil, err
	}
	return r, nil
}

// List returns the subscriber's transmission requests, newest first.
func (s *Service) List(ctx context.Context, subscriberID string) ([]*models.TransmissionRequest, error) {
	return s.store.ListTransmissions(ctx, subscriberID)
}

// Deliveries returns the deliveries of the subscriber's requests, by
// request id, in sequence.
func (s *Service) Deliveries(ctx context.Context, subscriberID string, requestIDs []string) (map[string][]*models.TransmissionDelivery, error) {
	ds, err := s.store.ListDeliveries(ctx, subscriberID, requestIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*models.TransmissionDelivery, len(requestIDs))
	for _, d := range ds {
		out[d.RequestID] = append(out[d.RequestID], d)
	}
	return out, nil
}

// Attempts returns the recorded attempts at one of the actor's deliveries.
func (s *Service) Attempts(ctx context.Context, subscriberID, deliveryID string) ([]*models.TransmissionAttempt, error) {
	return s.store.ListAttempts(ctx, subscriberID, deliveryID)
}

// Download returns a ready download of the actor's own transmission, while
// it has not expired. Every download is audited.
func (s *Service) Download(ctx context.Context, who actor.Actor, deliveryID string) (*models.TransmissionDownload, error) {
	subj, err := s.inv.LoadOwn(ctx, who)
	if err != nil {
		return nil, err
	}
	d, err := s.store.GetDelivery(ctx, deliveryID)
	if err != nil || d.SubscriberID != subj.Subscriber.ID {
		if err == nil || apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no transmission %s", deliveryID)
		}
		return nil, err
	}
	now := s.clock.Now()
	if d.Status != models.DeliveryReady || d.ExpiresAt == nil || !now.Before(*d.ExpiresAt) || d.KeyID == nil {
		return nil, apperr.NotFound("transmission %s is not available for download (%s)", deliveryID, d.Status)
	}
	b, err := s.open(ctx, d)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		return s.rec.Record(ctx, tx, audit.Event{Action: ActionDownload, Subject: d.SubscriberID, TargetType: "transmission_delivery", TargetID: d.ID,
			Details: map[string]any{"items": d.Items, "records": d.Records}})
	})
	if err != nil {
		return nil, err
	}
	return &models.TransmissionDownload{DeliveryID: d.ID, Format: Format, ExpiresAt: *d.ExpiresAt, Payload: string(b)}, nil
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("transmit: claim token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
