package inventory

import (
	"context"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
)

// LoadOwn loads the actor's own subject, with what is kept apart under a
// statute (LoadOwnData). A guardian's token is honoured only while its
// act.sub is the recorded guardian of a subscriber who is still under 14
// (PIPA 22-2, 38); otherwise FORBIDDEN. A token whose subject is unknown
// gets NOT_FOUND.
func (s *Service) LoadOwn(ctx context.Context, r actor.Actor) (*Subject, error) {
	subj, err := s.LoadOwnData(ctx, r.Subject)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no data is held for this subscriber")
		}
		return nil, err
	}
	if r.Guardian != "" {
		if err := GuardianMayAct(subj.Subscriber, r.Guardian, s.clock.Now()); err != nil {
			return nil, err
		}
	}
	return subj, nil
}

// Ahead is what a response will show of the subscriber's own view besides
// the subject: LoadOwnAhead reads it together with the subject.
type Ahead struct {
	// Holdings is the subscriber's inventory (Holdings).
	Holdings bool
	// Consents is the list of their current consents
	// (consent.Service.Current).
	Consents bool
	// Records are pages of their records (Records).
	Records []RecordsAhead
	// Requests are pages of their requests (requests.Service.ListOwn:
	// up to Limit after After).
	Requests []models.RequestPage
}

// RecordsAhead is a page of records as Records is asked for it.
type RecordsAhead struct {
	Kind  string
	First int
	After *models.RecordKey
}

// LoadOwnAhead is LoadOwn for a response that will show more of the
// subscriber's own view (the home screen): the reads of what it shows are
// made together with the subject's, in one round trip where the store
// can, and the methods that show it get their rows from there. The
// guardian rule is LoadOwn's, before anything read is shown.
func (s *Service) LoadOwnAhead(ctx context.Context, r actor.Actor, a Ahead) (*Subject, error) {
	s.store.ReadAhead(ctx, s.ownReads(r.Subject, a))
	return s.LoadOwn(ctx, r)
}

// ownReads are the store's reads behind the subscriber's own view: Load's
// (the subscriber with their key, fee issues, active holds; a terminated
// subscriber's last fee record is read after, only for them), Holdings'
// for the own view (every holding, kept apart too, and the consents that
// end optional items), Records' pages with the records kept apart, and
// the lists of the other services the view shows: the consents and the
// requests.
func (s *Service) ownReads(subscriberID string, a Ahead) models.Reads {
	rs := models.Reads{
		SubscriberID:      subscriberID,
		SubscriberWithKey: true, FeeIssues: true, ActiveHolds: true,
		AllHoldings: a.Holdings,
		Consents:    a.Holdings || a.Consents,
		Requests:    a.Requests,
	}
	for _, p := range a.Records {
		rs.Records = append(rs.Records, models.RecordPage{SubscriberID: subscriberID, Kind: p.Kind, After: p.After, Limit: p.First, Apart: true})
	}
	return rs
}

// GuardianMayAct is the one guardian rule (PIPA art. 22-2, 38): a guardian's
// token is honoured only while its act.sub is the recorded legal guardian
// of a subscriber still under 14 at now; otherwise FORBIDDEN.
func GuardianMayAct(sub *models.Subscriber, guardian string, now time.Time) error {
	if sub.GuardianID == nil || *sub.GuardianID != guardian {
		return apperr.Forbidden("the acting guardian is not the recorded legal guardian of this subscriber")
	}
	if !sub.IsMinorAt(now) {
		return apperr.Forbidden("the subscriber is 14 or older and acts for themselves")
	}
	return nil
}
