package consent

import (
	"context"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
)

// staff reports whether who changes consents on a subscriber's behalf: an
// actor with the subscriber role acts for its subject (or, with a guardian,
// for the minor); any other (agents, admins, the portal's own jobs) is
// staff.
func staff(who actor.Actor) bool { return !who.IsSubscriber() }

// madeBy is who a change is recorded as made by.
type madeBy struct {
	kind ActorKind
	id   string
}

// Staff rules (docs/LAW.md "who may ask": an agent needs a power of attorney; the
// portal's equivalent is an open request of the subscriber assigned to
// them): staff name the subscriber and give a reason.
func staffChange(subscriberID, reason string) error {
	if subscriberID == "" {
		return apperr.BadInput("subscriberId", "staff must name the subscriber they act for")
	}
	if reason == "" {
		return apperr.BadInput("reason", "a change made by staff on a subscriber's behalf needs a reason")
	}
	return nil
}

// staffMayOnlyWithdraw refuses a consent staff would give: consent is the
// subscriber's own act (법 22; 정보통신망법 50), so staff may withdraw
// consents for a subscriber who asks them to, never grant one.
func staffMayOnlyWithdraw(changes []Change) error {
	for i, c := range changes {
		if c.Granted {
			return apperr.Forbidden("staff may withdraw a subscriber's consents, never grant them (change %d): the subscriber, or the guardian of a child under 14, grants consent in the portal or the app", i)
		}
	}
	return nil
}

// Delegation is what consent needs of the rule of staff agency: whether a
// staff member may act for a subscriber (in the portal, while an open
// request of the subscriber is assigned to them). The requests package owns
// the rule (requests.Agency); consent reads it through this interface,
// given at construction. Without one every staff change is refused.
type Delegation interface {
	MayActFor(ctx context.Context, staffID, subscriberID string) (bool, error)
}

func (s *Service) mayAct(ctx context.Context, staffID, subscriberID string) error {
	if s.delegation != nil {
		ok, err := s.delegation.MayActFor(ctx, staffID, subscriberID)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return apperr.Forbidden("staff change a subscriber's consents only through an open request of the subscriber assigned to them; the subscriber (or the guardian of a child under 14) can change consents in the portal or the app")
}

// subscriberScope checks that a subscriber's token names no one else and
// picks the channel a subscriber may use.
func subscriberScope(who actor.Actor, subscriberID string, via Via) (Via, error) {
	if subscriberID != "" && subscriberID != who.Subject {
		return "", apperr.Forbidden("a subscriber changes only their own consents")
	}
	switch via {
	case "":
		return ViaWeb, nil
	case ViaAgentDesk:
		return "", apperr.BadInput("via", "AGENT_DESK is for staff acting on a subscriber's behalf; use WEB or APP")
	}
	if !via.Valid() {
		return "", apperr.BadInput("via", "must be WEB or APP")
	}
	return via, nil
}

// authorize decides who a change by a subscriber's own or a guardian's token
// is made by (개인정보 보호법 제22조의2, 제38조): a child under 14 cannot
// change their consents, only the legal guardian on record can, and a
// guardian's token is honoured only while the subscriber is under 14.
func authorize(who actor.Actor, sub *models.Subscriber, now time.Time) (madeBy, error) {
	if who.Guardian != "" {
		if err := inventory.GuardianMayAct(sub, who.Guardian, now); err != nil {
			return madeBy{}, err
		}
		return madeBy{kind: ActorGuardian, id: who.Guardian}, nil
	}
	if sub.IsMinorAt(now) {
		return madeBy{}, apperr.Forbidden("this subscriber is under 14: only their legal guardian can change their consents (개인정보 보호법 제22조의2); the guardian signs in and acts for them")
	}
	return madeBy{kind: ActorSubscriber, id: who.Subject}, nil
}
