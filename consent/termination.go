package consent

import (
	"context"
	"time"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/models"
)

// TerminationActor is the staff subject termination's consent changes are
// recorded under: the operator's systems ending the contract, not a person.
const TerminationActor = "system:termination"

// EndMarketing ends the subscriber's marketing consents at termination
// (docs/POLICY.md "Reading of the rules": on termination, marketing consents
// end): every granted topic of the purpose MARKETING is withdrawn, each
// change in the history with the termination as the reason and a receipt,
// through the agent desk as the operator's act. Once is enough: the client
// request id names the termination, so a repeat changes nothing, and a
// subscriber with no marketing consent writes nothing.
func (s *Service) EndMarketing(ctx context.Context, subscriberID string, terminatedAt time.Time) error {
	rows, err := s.store.ListConsents(ctx, subscriberID)
	if err != nil {
		return err
	}
	day := models.DateOf(terminatedAt).String()
	req := Request{
		SubscriberID: subscriberID, Via: ViaAgentDesk,
		Reason:          "termination of the subscription on " + day,
		ClientRequestID: "termination:" + day,
	}
	for _, r := range rows {
		t, ok := s.cat.ConsentTopic(r.Topic)
		if !ok || t.Purpose != marketingPurpose || State(r.State) != Granted {
			continue
		}
		req.Changes = append(req.Changes, Change{Topic: t.Code})
	}
	if len(req.Changes) == 0 {
		return nil
	}
	_, err = s.set(ctx, actor.System(TerminationActor), req, false)
	return err
}
