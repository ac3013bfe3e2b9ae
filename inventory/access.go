package inventory

import (
	"context"

	"github.com/xroshot/portal/apperr"
)

// Requester is who asks for a subscriber's own data: the token's subject,
// and the guardian acting for them (act.sub), if any.
type Requester struct {
	Subject  string
	Guardian string
}

// LoadOwn loads the requester's own subject, with what is kept apart
// under a statute (LoadOwnData). A guardian's token is honoured
// only while its act.sub is the recorded guardian of a subscriber who is
// still under 14 (PIPA 22-2, 38); otherwise FORBIDDEN. A token whose subject
// is unknown gets NOT_FOUND.
func (s *Service) LoadOwn(ctx context.Context, r Requester) (*Subject, error) {
	subj, err := s.LoadOwnData(ctx, r.Subject)
	if err != nil {
		if apperr.IsNotFound(err) {
			return nil, apperr.NotFound("no data is held for this subscriber")
		}
		return nil, err
	}
	if r.Guardian != "" {
		sub := subj.Subscriber
		if sub.GuardianID == nil || *sub.GuardianID != r.Guardian {
			return nil, apperr.Forbidden("the acting guardian is not the recorded legal guardian of this subscriber")
		}
		if !sub.IsMinorAt(s.clock.Now()) {
			return nil, apperr.Forbidden("the subscriber is 14 or older and acts for themselves")
		}
	}
	return subj, nil
}
