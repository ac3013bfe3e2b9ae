package consent

import (
	"context"
	"fmt"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/paging"
	"github.com/xroshot/portal/policy"
)

// Page sizes of the history.
const (
	DefaultPage = paging.DefaultSize
	MaxPage     = paging.MaxSize
)

// Event is one change in a subscriber's history, with its receipt.
type Event struct {
	Row     *models.ConsentEventRow
	Topic   *policy.ConsentTopic
	Receipt *Receipt
}

// HistoryPage is one page of the history, newest first.
type HistoryPage struct {
	Events  []Event
	HasNext bool
}

// History returns one page of the subscriber's consent changes, newest
// first.
func (s *Service) History(ctx context.Context, subscriberID string, first int, after *models.ConsentEventKey) (HistoryPage, error) {
	rows, more, err := s.store.ListConsentEvents(ctx, models.ConsentEventPage{SubscriberID: subscriberID, After: after, Limit: first})
	if err != nil {
		return HistoryPage{}, err
	}
	page := HistoryPage{Events: make([]Event, len(rows)), HasNext: more}
	for i, r := range rows {
		ev, err := s.eventOf(r)
		if err != nil {
			return HistoryPage{}, err
		}
		page.Events[i] = ev
	}
	return page, nil
}

// Receipt returns one of the subscriber's receipts, checked against the
// stored history (Receipt.Verified). Another subscriber's receipt id is
// NOT_FOUND, like an unknown one.
func (s *Service) Receipt(ctx context.Context, subscriberID, receiptID string) (*Receipt, error) {
	rows, err := s.store.GetConsentEvents(ctx, subscriberID, []string{receiptID})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, apperr.NotFound("no consent receipt %q for this subscriber", receiptID)
	}
	return ReceiptOf(rows[0])
}

func (s *Service) eventOf(r *models.ConsentEventRow) (Event, error) {
	t, ok := s.cat.ConsentTopic(r.Topic)
	if !ok {
		// Topic codes are never renamed or dropped (docs/POLICY.md); a missing
		// one means the catalog in use is not the one the data was made
		// under.
		return Event{}, fmt.Errorf("consent event %s: topic %q is not in policy %s", r.ReceiptID, r.Topic, s.cat.Version)
	}
	rc, err := ReceiptOf(r)
	if err != nil {
		return Event{}, err
	}
	return Event{Row: r, Topic: t, Receipt: rc}, nil
}
