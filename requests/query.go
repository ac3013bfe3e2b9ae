package requests

import (
	"context"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/paging"
)

// MaxPage caps every page of requests; DefaultPage is used when a client
// gives none.
const (
	MaxPage     = paging.MaxSize
	DefaultPage = paging.DefaultSize
)

// Page is one page of requests.
type Page struct {
	Requests []*models.Request
	HasNext  bool
}

// ListOwn pages through a subscriber's own requests, newest first.
func (s *Service) ListOwn(ctx context.Context, subscriberID string, first int, after *models.RequestKey) (Page, error) {
	rs, more, err := s.store.ListSubscriberRequests(ctx, subscriberID, after, first)
	return Page{Requests: rs, HasNext: more}, err
}

// QueueFilter is the desk's view of the queue.
type QueueFilter struct {
	Status   *models.RequestStatus
	Type     *models.RequestType
	Assignee *string
	Overdue  bool
}

// Queue pages through the request queue, oldest due first. Admins see every
// request; an agent sees the requests assigned to them, in any status, and
// the open unassigned ones they may take — never a closed request that was
// not theirs.
func (s *Service) Queue(ctx context.Context, who actor.Actor, f QueueFilter, first int, after *models.QueueKey) (Page, error) {
	if !who.IsStaff() {
		return Page{}, apperr.Forbidden("the request queue is for staff")
	}
	mf := models.QueueFilter{}
	if f.Status != nil {
		mf.Statuses = []models.RequestStatus{*f.Status}
	} else {
		mf.Statuses = []models.RequestStatus{models.RequestSubmitted, models.RequestInReview}
	}
	if f.Type != nil {
		mf.Type = *f.Type
	}
	if f.Overdue {
		now := s.now()
		mf.OverdueAt = &now
		mf.Statuses = []models.RequestStatus{models.RequestSubmitted, models.RequestInReview}
	}
	if f.Assignee != nil {
		if !who.IsAdmin() && *f.Assignee != who.Subject && *f.Assignee != "" {
			return Page{}, apperr.Forbidden("an agent sees only their own and unassigned requests")
		}
		if *f.Assignee == "" {
			mf.Unassigned = true
		} else {
			mf.Assignee = *f.Assignee
		}
	} else if !who.IsAdmin() {
		// Agents: theirs and the unassigned.
		mf.Assignee, mf.Unassigned = who.Subject, true
	}
	// An agent takes unassigned requests from the open queue; a resolved or
	// withdrawn request that was never theirs is none of their business.
	mf.UnassignedOpenOnly = !who.IsAdmin()
	rs, more, err := s.store.QueueRequests(ctx, mf, after, first)
	return Page{Requests: rs, HasNext: more}, err
}

// VisibleAssignee is who works a request as who may see it: staff see the
// assignee; the subscriber sees only that someone does (Request.assigned).
func VisibleAssignee(who actor.Actor, r *models.Request) *string {
	if who.IsStaff() {
		return r.AssigneeID
	}
	return nil
}

// VisibleVerification is how staff verified who asked, for staff only: the
// reference may name documents of the subscriber's.
func VisibleVerification(who actor.Actor, r *models.Request) *Verification {
	if !who.IsStaff() || r.VerificationMethod == nil {
		return nil
	}
	v := &Verification{Method: *r.VerificationMethod}
	if r.VerificationRef != nil {
		v.Reference = *r.VerificationRef
	}
	return v
}

// SeesInternal reports whether who sees a request's internal events: staff
// do; the subscriber and the guardian never.
func SeesInternal(who actor.Actor) bool { return who.IsStaff() }

// Events returns the history of requests, for those who may see them: the
// subscriber sees visible events, staff all.
func (s *Service) Events(ctx context.Context, requestIDs []string, withInternal bool) (map[string][]*models.RequestEvent, error) {
	evs, err := s.store.ListRequestEvents(ctx, requestIDs, withInternal)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*models.RequestEvent, len(requestIDs))
	for _, e := range evs {
		out[e.RequestID] = append(out[e.RequestID], e)
	}
	return out, nil
}

// Outcomes returns what resolved requests did, item by item.
func (s *Service) Outcomes(ctx context.Context, requestIDs []string) (map[string][]*models.RequestOutcome, error) {
	os, err := s.store.ListOutcomes(ctx, requestIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*models.RequestOutcome, len(requestIDs))
	for _, o := range os {
		out[o.RequestID] = append(out[o.RequestID], o)
	}
	return out, nil
}

// OpenSubscriber is staff opening a subscriber's data: an admin always, an
// agent only while an open request of the subscriber is assigned to them.
// The read is recorded in the audit trail before anything is shown; if it
// cannot be recorded, nothing is shown.
func (s *Service) OpenSubscriber(ctx context.Context, who actor.Actor, subscriberID string) (*inventory.Subject, error) {
	switch {
	case who.IsAdmin():
	case who.Has(actor.RoleAgent):
		ok, err := s.agency.MayActFor(ctx, who.Subject, subscriberID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, apperr.Forbidden("an agent sees a subscriber only while a request of theirs is assigned to the agent")
		}
	default:
		return nil, apperr.Forbidden("only staff open other subscribers' data")
	}
	subj, err := s.inv.Load(ctx, subscriberID)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no subscriber %q", subscriberID)
		}
		return nil, err
	}
	a := audit.FromContext(ctx)
	if a.ID == "" {
		a = audit.By(ctx, who)
	}
	if err := s.rec.Record(ctx, s.store, audit.Event{Actor: a, Action: audit.ActionSubscriberRead, Subject: subscriberID, TargetType: "subscriber", TargetID: subscriberID}); err != nil {
		return nil, err
	}
	return subj, nil
}
