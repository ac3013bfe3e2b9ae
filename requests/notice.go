package requests

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// NoticeStatus is the outbox kind of a request's status notice: the
// operator's gateway tells the subscriber by SMS or e-mail that their
// request was filed, taken up, extended (with the reason), or decided.
const NoticeStatus = "REQUEST_STATUS"

type statusNotice struct {
	Kind         string `json:"kind"`
	SubscriberID string `json:"subscriberId"`
	RequestID    string `json:"requestId"`
	Type         string `json:"type"`
	Status       string `json:"status"`
	Event        string `json:"event"`
	// FiledBy tells the subscriber who filed the request in their name.
	FiledBy         string      `json:"filedBy"`
	Resolution      *string     `json:"resolution,omitempty"`
	ResolutionText  *string     `json:"resolutionText,omitempty"`
	HowToObject     *string     `json:"howToObject,omitempty"`
	DueAt           time.Time   `json:"dueAt"`
	ExtensionReason *string     `json:"extensionReason,omitempty"`
	At              time.Time   `json:"at"`
	Sender          policy.Text `json:"sender"`
}

// notifiedEvents are the steps the subscriber is told of; comments are read
// in the portal.
var notifiedEvents = map[string]bool{"FILED": true, "ASSIGNED": true, "EXTENDED": true, "RESOLVED": true, "WITHDRAWN": true}

// notify queues the status notice of a visible step in the request's own
// transaction, due at once: it must reach the subscriber well within the
// request's answer period.
func (s *Service) notify(ctx context.Context, tx Store, r *models.Request, event string, now time.Time) error {
	if !notifiedEvents[event] {
		return nil
	}
	n := statusNotice{
		Kind: NoticeStatus, SubscriberID: r.SubscriberID, RequestID: r.ID, Type: string(r.Type), Status: string(r.Status),
		Event: event, FiledBy: string(r.FiledByKind), ResolutionText: r.ResolutionText, HowToObject: r.HowToObject, DueAt: r.DueAt,
		ExtensionReason: r.ExtensionReason, At: now, Sender: s.cat.Controller,
	}
	if r.Resolution != nil {
		res := string(*r.Resolution)
		n.Resolution = &res
	}
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("request notice: %w", err)
	}
	return tx.EnqueueOutbox(ctx, &models.OutboxRow{SubscriberID: r.SubscriberID, Kind: NoticeStatus, Payload: string(b), DueBy: now, CreatedAt: now})
}
