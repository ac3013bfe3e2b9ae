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
