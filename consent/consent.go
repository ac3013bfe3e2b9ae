// Package consent keeps the subscriber's separate consents (docs/LAW.md
// "Consent", docs/POLICY.md "Consent topics"): the optional items of the notice and
// advertising per channel, with night-time sending apart. Every change is an
// event appended to a history that is never rewritten, each event yields a
// receipt in the shape of the Kantara consent receipt / ISO/IEC 27560
// record, and each change queues the result notice the law asks for within
// 14 days. Withdrawing an optional item's consent ends the clauses that kept
// the item, so the inventory schedules it for the next purge in the same
// transaction. Marketing consents are reconfirmed every two years.
//
// Who may change a consent is decided here: the subscriber, or for a child
// under 14 only the recorded legal guardian. Staff act only through an
// assigned request (not built yet), so their calls are refused.
package consent

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// State is where a consent topic stands.
type State string

// The states of a topic.
const (
	// Granted: the subscriber consented.
	Granted State = "GRANTED"
	// Withdrawn: the subscriber withdrew or refused.
	Withdrawn State = "WITHDRAWN"
	// NotRecorded: no change was ever recorded in the portal. For
	// marketing that means no consent, since advertising needs prior
	// opt-in; an optional item held without a recorded consent was
	// collected at sign-up under the operator's paper or CRM form.
	NotRecorded State = "NOT_RECORDED"
)

// Action is what a change did.
type Action string

// The actions of the history.
const (
	Grant     Action = "GRANT"
	Withdraw  Action = "WITHDRAW"
	Reconfirm Action = "RECONFIRM"
)

// ActorKind is who made a change.
type ActorKind string

// The actors the history records.
const (
	ActorSubscriber ActorKind = "SUBSCRIBER"
	// ActorGuardian is the legal guardian of a child under 14.
	ActorGuardian ActorKind = "GUARDIAN"
	// ActorAgent is staff acting on the subscriber's behalf.
	ActorAgent ActorKind = "AGENT"
)

// Via is where a change was made: the receipt's method of collection.
type Via string

// The channels a change can come through.
const (
	ViaWeb       Via = "WEB"
	ViaApp       Via = "APP"
	ViaAgentDesk Via = "AGENT_DESK"
)

// Valid reports whether v is a known channel.
func (v Via) Valid() bool { return v == ViaWeb || v == ViaApp || v == ViaAgentDesk }

// Store is what consents read and write. It includes the inventory's store,
// because a withdrawal reschedules the data it covered in the same
// transaction.
type Store interface {
	inventory.Store
	// audit.Store records each change in the audit trail, in the change's
	// own transaction.
	audit.Store
	// LockSubscriberFacts serialises changes of the facts the retention
	// calculus reads for one subscriber (a no-op where the database has a
	// single writer).
	LockSubscriberFacts(ctx context.Context, id string) error
	// SaveConsent writes a topic's current state, provided its stored Seq
	// is still readSeq (0: no row yet); otherwise ErrConflict.
	SaveConsent(ctx context.Context, c *models.ConsentRow, readSeq int64) error
	// NoteReconfirmNotice records a reconfirmation notice and moves the
	// consent's ReconfirmBy to next, provided the consent is still at seq
	// with ReconfirmBy was; otherwise ErrConflict.
	NoteReconfirmNotice(ctx context.Context, subscriberID, topic string, seq int64, was, next, at time.Time) error
	// ProcessingSuspended reports whether the subscriber suspended
	// processing for a purpose (법 37): nothing is sent under it.
	ProcessingSuspended(ctx context.Context, subscriberID, purpose string) (bool, error)
	AppendConsentEvents(ctx context.Context, evs []*models.ConsentEventRow) error
	ListConsentEvents(ctx context.Context, p models.ConsentEventPage) ([]*models.ConsentEventRow, bool, error)
	GetConsentEvents(ctx context.Context, subscriberID string, receiptIDs []string) ([]*models.ConsentEventRow, error)
	ConsentEventsByRequest(ctx context.Context, subscriberID, clientRequestID string) ([]*models.ConsentEventRow, error)
	GetConsentRequest(ctx context.Context, subscriberID, clientRequestID string) (*models.ConsentRequestRow, error)
	// CreateConsentRequest records a request id; ErrConflict if the
	// subscriber already used it.
	CreateConsentRequest(ctx context.Context, r *models.ConsentRequestRow) error
	EnqueueOutbox(ctx context.Context, m *models.OutboxRow) error
	ListReconfirmationsDue(ctx context.Context, p models.ReconfirmPage) ([]*models.ConsentRow, bool, error)
	InTx(ctx context.Context, fn func(tx Store) error) error
}

// Service applies and reports consents.
type Service struct {
	rec   *audit.Recorder
	store Store
	cat   *policy.Catalog
	inv   *inventory.Service
	clock clock.Clock
	// reconfirmable lists the topics with a reconfirmation period.
	reconfirmable []*policy.ConsentTopic
	delegation    Delegation
}

// New returns the consent service for the inventory's catalog. Staff
// changes are checked against d, the rule of who may act for a subscriber
// (the requests package owns it: requests.Agency).
func New(s Store, inv *inventory.Service, c clock.Clock, d Delegation) *Service {
	cat := inv.Catalog()
	svc := &Service{rec: audit.NewRecorder(c), store: s, cat: cat, inv: inv, clock: c, delegation: d}
	for i := range cat.ConsentTopics {
		if t := &cat.ConsentTopics[i]; !t.Reconfirm.IsZero() {
			svc.reconfirmable = append(svc.reconfirmable, t)
		}
	}
	return svc
}

// Catalog is the policy consents are given under.
func (s *Service) Catalog() *policy.Catalog { return s.cat }

// Consent is where one topic stands for a subscriber.
type Consent struct {
	Topic *policy.ConsentTopic
	State State
	// Since is the consent's date: when the state was recorded (granted,
	// reconfirmed or withdrawn); nil when never recorded.
	Since *time.Time
	// ReconfirmBy is when a granted marketing consent must next be
	// reconfirmed: two years from its date.
	ReconfirmBy *time.Time
	// ReconfirmNoticeAt is when the last reconfirmation notice was issued.
	ReconfirmNoticeAt *time.Time
	PolicyVersion     string
	// ReceiptID names the receipt of the change that set the state.
	ReceiptID string
}

// Granted reports whether the subscriber consents now.
func (c Consent) Granted() bool { return c.State == Granted }

// Current returns every topic of the catalog, in catalog order, with where
// it stands for the subscriber.
func (s *Service) Current(ctx context.Context, subscriberID string) ([]Consent, error) {
	rows, err := s.store.ListConsents(ctx, subscriberID)
	if err != nil {
		return nil, err
	}
	byTopic := indexRows(rows)
	out := make([]Consent, len(s.cat.ConsentTopics))
	for i := range s.cat.ConsentTopics {
		t := &s.cat.ConsentTopics[i]
		out[i] = consentOf(t, byTopic[t.Code])
	}
	return out, nil
}

// consentOf is the domain view of a stored row; nil is "never recorded".
func consentOf(t *policy.ConsentTopic, r *models.ConsentRow) Consent {
	if r == nil {
		return Consent{Topic: t, State: NotRecorded}
	}
	since := r.DatedAt
	return Consent{
		Topic: t, State: State(r.State), Since: &since, ReconfirmBy: r.ReconfirmBy,
		ReconfirmNoticeAt: r.ReconfirmNoticeAt, PolicyVersion: r.PolicyVersion, ReceiptID: r.ReceiptID,
	}
}

func indexRows(rows []*models.ConsentRow) map[string]*models.ConsentRow {
	m := make(map[string]*models.ConsentRow, len(rows))
	for _, r := range rows {
		m[r.Topic] = r
	}
	return m
}

// topic resolves a topic code, or reports it as bad input at field.
func (s *Service) topic(field, code string) (*policy.ConsentTopic, error) {
	t, ok := s.cat.ConsentTopic(code)
	if !ok {
		return nil, apperr.BadInput(field, "unknown consent topic %q", code)
	}
	return t, nil
}

// now is the clock at the precision the store keeps, so a receipt's
// timestamp reads back equal from the history.
func (s *Service) now() time.Time { return clock.Stored(s.clock.Now()) }

// newReceiptID returns a time-ordered UUID (RFC 9562 version 7).
func newReceiptID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("receipt id: %w", err)
	}
	return id.String(), nil
}
