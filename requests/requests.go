// Package requests owns the data-subject requests of PIPA 35–38: deletion,
// dispute and access (and correction and suspension), filed by the
// subscriber, the guardian of a child under 14 or an agent on their behalf;
// their lifecycle with its statutory due date; the holds that pause purging
// of their scope while they are open; and their resolution, item by item.
package requests

import (
	"context"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// DueIn is the statutory answer period: 10 days (PIPA 35③, 36, 37; 영 41,
// 43, 44). It is the strictest deadline that governs these requests (GDPR
// allows a month).
const DueIn = 10 * 24 * time.Hour

// ExtensionLength is how far the one allowed postponement of an access
// request moves its due date.
const ExtensionLength = 10 * 24 * time.Hour

// Extendable reports whether a request of type t may be postponed: only
// access (영 42); deletion, correction and suspension have no extension
// (영 43, 44), and neither has a dispute, which the desk answers within the
// same 10 days.
func Extendable(t models.RequestType) bool { return t == models.RequestAccess }

// Overdue reports whether r is open past its due date at now: the one
// definition the desk, the queue filter and the metrics use.
func Overdue(r *models.Request, now time.Time) bool {
	return r.Status.Open() && now.After(r.DueAt)
}

// ExportTTL is how long an access export can be downloaded.
const ExportTTL = 7 * 24 * time.Hour

// Late reports whether r was answered after its due date, or is still open
// past it: an overdue request stays late once answered.
func Late(r *models.Request, now time.Time) bool {
	if r.ResolvedAt != nil {
		return r.ResolvedAt.After(r.DueAt)
	}
	return Overdue(r, now)
}

// IsOverdue reports whether r is overdue now, by the service's clock.
func (s *Service) IsOverdue(r *models.Request) bool { return Overdue(r, s.clock.Now()) }

// IsLate reports whether r was (or is being) answered late, by the
// service's clock.
func (s *Service) IsLate(r *models.Request) bool { return Late(r, s.clock.Now()) }

// Backlog is the desk's load of one request type: open requests, and how
// many of them are overdue.
type Backlog struct {
	Type    models.RequestType
	Open    int64
	Overdue int64
}

// Types are the request types, in the schema's order.
var Types = []models.RequestType{models.RequestDeletion, models.RequestDispute, models.RequestAccess, models.RequestCorrection, models.RequestSuspension}

// Backlog counts open and overdue requests per type, every type listed:
// an overdue request stays counted until it is answered, for the metrics
// the operator alerts on.
func (s *Service) Backlog(ctx context.Context) ([]Backlog, error) {
	got, err := s.store.RequestBacklog(ctx, s.now())
	if err != nil {
		return nil, err
	}
	by := map[models.RequestType]Backlog{}
	for _, b := range got {
		by[b.Type] = b
	}
	out := make([]Backlog, len(Types))
	for i, t := range Types {
		out[i] = by[t]
		out[i].Type = t
	}
	return out, nil
}

// Store is what requests read and write. It includes the inventory's
// store, so a request can reschedule a subscriber's data in its own
// transaction.
type Store interface {
	inventory.Store
	holds.Tx
	audit.Store
	// DeleteHoldingsByID and DeleteRecordsByID erase items now.
	DeleteHoldingsByID(ctx context.Context, subscriberID string, ids []string) (int64, error)
	DeleteRecordsByID(ctx context.Context, subscriberID string, ids []int64) (int64, error)
	CreateRequest(ctx context.Context, r *models.Request) error
	GetRequest(ctx context.Context, id string) (*models.Request, error)
	GetRequestByKey(ctx context.Context, subscriberID, key string) (*models.Request, error)
	// ClaimRequest bumps the request's version if it is still version, and
	// returns ErrConflict if someone changed it meanwhile; on PostgreSQL it
	// also locks the row until the transaction ends.
	ClaimRequest(ctx context.Context, id string, version int) error
	// SaveRequest writes a claimed request.
	SaveRequest(ctx context.Context, r *models.Request) error
	AppendRequestEvent(ctx context.Context, e *models.RequestEvent) error
	ListRequestEvents(ctx context.Context, requestIDs []string, withInternal bool) ([]*models.RequestEvent, error)
	ListSubscriberRequests(ctx context.Context, subscriberID string, after *models.RequestKey, limit int) ([]*models.Request, bool, error)
	QueueRequests(ctx context.Context, f models.QueueFilter, after *models.QueueKey, limit int) ([]*models.Request, bool, error)
	AddOutcomes(ctx context.Context, out []*models.RequestOutcome) error
	ListOutcomes(ctx context.Context, requestIDs []string) ([]*models.RequestOutcome, error)
	// ListHeldOutcomes returns the subscriber's HELD deletion outcomes,
	// waiting for their holds to end; UpdateOutcome rewrites one.
	ListHeldOutcomes(ctx context.Context, subscriberID string) ([]*models.RequestOutcome, error)
	UpdateOutcome(ctx context.Context, o *models.RequestOutcome) error
	SaveExport(ctx context.Context, e *models.RequestExport) error
	GetExport(ctx context.Context, requestID string) (*models.RequestExport, error)
	// DeleteExpiredExports deletes the exports that expired by now.
	DeleteExpiredExports(ctx context.Context, now time.Time) (int64, error)
	// ListConsentEvents pages through a subscriber's consent history,
	// newest first, for the access export.
	ListConsentEvents(ctx context.Context, p models.ConsentEventPage) ([]*models.ConsentEventRow, bool, error)
	HasAssignedRequest(ctx context.Context, agentID, subscriberID string) (bool, error)
	// RequestBacklog counts open requests per type, and those due before
	// now (Overdue).
	RequestBacklog(ctx context.Context, now time.Time) ([]Backlog, error)
	// ListOpenOfType pages by id through the open requests of a type, of
	// one subscriber or, with "", of all.
	ListOpenOfType(ctx context.Context, t models.RequestType, subscriberID, afterID string, limit int) ([]*models.Request, bool, error)
	// ListActiveSuspensions pages by id through the suspensions in force
	// (SuspensionActive), of one subscriber or, with "", of all.
	ListActiveSuspensions(ctx context.Context, subscriberID, afterID string, limit int) ([]*models.Request, bool, error)
	OpenFeeIssue(ctx context.Context, fi *models.FeeIssue) (bool, error)
	ResolveFeeIssueBySource(ctx context.Context, subscriberID, sourceRef string, at time.Time) (int64, error)
	// EnqueueOutbox queues a notice for the operator's gateway.
	EnqueueOutbox(ctx context.Context, m *models.OutboxRow) error
	InTx(ctx context.Context, fn func(tx Store) error) error
}

// Consents withdraws consents a deletion request covers: what requests
// needs of the consent service (consent.Service implements it), given at
// construction.
type Consents interface {
	WithdrawForRequest(ctx context.Context, by actor.Actor, subscriberID string, topics []string) error
}

// Service runs requests.
type Service struct {
	rec      *audit.Recorder
	store    Store
	consents Consents
	inv      *inventory.Service
	cat      *policy.Catalog
	clock    clock.Clock
	bus      *Broker
	agency   Agency
}

// Deps are the services requests work with.
type Deps struct {
	Store     Store
	Consents  Consents
	Inventory *inventory.Service
	Clock     clock.Clock
	Broker    *Broker
}

// New returns the requests service.
func New(d Deps) *Service {
	if d.Broker == nil {
		d.Broker = NewBroker()
	}
	return &Service{rec: audit.NewRecorder(d.Clock), store: d.Store, consents: d.Consents, inv: d.Inventory, cat: d.Inventory.Catalog(), clock: d.Clock, bus: d.Broker, agency: NewAgency(d.Store)}
}

// Broker is the service's change feed, for subscriptions.
func (s *Service) Broker() *Broker { return s.bus }

func (s *Service) now() time.Time { return clock.Stored(s.clock.Now()) }

// inventoryAll is the inventory filter that matches every holding.
var inventoryAll = inventory.HoldingFilter{}

// retentionAssessment is the calculus' answer for one item.
type retentionAssessment = retention.Assessment

// audit records an action on a request in tx, last: the change and its
// audit event commit together or not at all.
func (s *Service) audit(ctx context.Context, tx Store, who actor.Actor, action string, r *models.Request, details map[string]any) error {
	a := audit.FromContext(ctx)
	if a.ID == "" {
		a = audit.By(ctx, who)
	}
	if details == nil {
		details = map[string]any{}
	}
	details["type"], details["status"] = string(r.Type), string(r.Status)
	return s.rec.Record(ctx, tx, audit.Event{Actor: a, Action: action, Subject: r.SubscriberID, TargetType: "request", TargetID: r.ID, Details: details})
}
