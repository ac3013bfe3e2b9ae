package consent

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// The kinds of notice consents put in the outbox for the operator's
// messaging gateway.
const (
	// NoticeResult tells the subscriber the result of a consent, refusal
	// or withdrawal (정보통신망법 시행령 제62조의2), within 14 days.
	NoticeResult = "CONSENT_RESULT"
	// NoticeReconfirmation asks the subscriber to keep or withdraw their
	// marketing consents, every two years (시행령 제62조의3).
	NoticeReconfirmation = "MARKETING_RECONFIRMATION"
)

// resultNotice is the payload of a NoticeResult message: the sender, the
// date and what was consented to, refused or withdrawn.
type resultNotice struct {
	Kind         string         `json:"kind"`
	SubscriberID string         `json:"subscriberId"`
	Sender       policy.Text    `json:"sender"`
	PolicyURL    string         `json:"policyUrl"`
	Changes      []noticeChange `json:"changes"`
}

type noticeChange struct {
	Topic       string      `json:"topic"`
	Label       policy.Text `json:"label"`
	Action      string      `json:"action"`
	From        string      `json:"from"`
	To          string      `json:"to"`
	At          time.Time   `json:"at"`
	ReceiptID   string      `json:"receiptId"`
	ReconfirmBy *time.Time  `json:"reconfirmBy,omitempty"`
}

// reconfirmationNotice is the payload of a NoticeReconfirmation message:
// the sender, each consent with its date, and how to keep or withdraw it.
type reconfirmationNotice struct {
	Kind          string             `json:"kind"`
	SubscriberID  string             `json:"subscriberId"`
	Sender        policy.Text        `json:"sender"`
	PolicyURL     string             `json:"policyUrl"`
	Consents      []reconfirmConsent `json:"consents"`
	HowToKeep     policy.Text        `json:"howToKeep"`
	HowToWithdraw policy.Text        `json:"howToWithdraw"`
}

type reconfirmConsent struct {
	Topic       string      `json:"topic"`
	Label       policy.Text `json:"label"`
	ConsentedAt time.Time   `json:"consentedAt"`
	ReconfirmBy time.Time   `json:"reconfirmBy"`
}

var (
	howToKeep = policy.Text{
		Ko: "동의를 유지하시려면 별도의 조치가 필요 없습니다. 포털이나 앱에서 다시 확인하실 수도 있습니다.",
		En: "To keep your consent you need do nothing; you may also reconfirm it in the portal or the app.",
	}
	howToWithdraw = policy.Text{
		Ko: "포털이나 앱의 동의 설정에서 언제든지 철회하실 수 있으며, 철회는 즉시 적용됩니다.",
		En: "You can withdraw at any time in the consent settings of the portal or the app; withdrawal takes effect at once.",
	}
)

// queueResultNotice puts one result notice for a request's changes in the
// outbox, due 14 days from the change.
func (s *Service) queueResultNotice(ctx context.Context, tx Store, subscriberID string, evs []*models.ConsentEventRow, now time.Time) error {
	n := resultNotice{Kind: NoticeResult, SubscriberID: subscriberID, Sender: s.cat.Controller, PolicyURL: s.cat.PolicyURL}
	for _, ev := range evs {
		c := noticeChange{
			Topic: ev.Topic, Action: ev.Action, From: ev.FromState, To: ev.ToState,
			At: ev.OccurredAt, ReceiptID: ev.ReceiptID, ReconfirmBy: ev.ReconfirmBy,
		}
		if t, ok := s.cat.ConsentTopic(ev.Topic); ok {
			c.Label = t.Label
		}
		n.Changes = append(n.Changes, c)
	}
	return s.enqueue(ctx, tx, subscriberID, NoticeResult, n, NoticeWithin.AddTo(now), now)
}

func (s *Service) enqueue(ctx context.Context, tx Store, subscriberID, kind string, payload any, due, now time.Time) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("%s notice: %w", kind, err)
	}
	return tx.EnqueueOutbox(ctx, &models.OutboxRow{SubscriberID: subscriberID, Kind: kind, Payload: string(b), DueBy: due, CreatedAt: now})
}
