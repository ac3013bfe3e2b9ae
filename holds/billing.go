package holds

import (
	"context"
	"time"

	"github.com/xroshot/portal/models"
)

// BillingPlacer is the PlacedBy of holds the billing feed places.
const BillingPlacer = "billing"

// billingReason is the hold a billing state places; "" for SETTLED.
func billingReason(s models.BillingState) models.HoldReason {
	switch s {
	case models.BillingUnpaid:
		return models.HoldUnpaidFees
	case models.BillingOverpaid:
		return models.HoldOverpaidFees
	}
	return ""
}

// SyncBilling makes the subscriber's billing holds follow the billing state,
// inside the caller's transaction: UNPAID or OVERPAID keeps one active hold
// of that reason on everything of the subscriber, effective since; any other
// billing hold is released at since (never before it was placed). SETTLED
// releases them all. Feeding the same state twice changes nothing.
func SyncBilling(ctx context.Context, tx Tx, subscriberID string, state models.BillingState, since time.Time) error {
	want := billingReason(state)
	if err := tx.LockSubscriberForHold(ctx, subscriberID); err != nil {
		return err
	}
	active, err := tx.ActiveHolds(ctx, subscriberID)
	if err != nil {
		return err
	}
	since = since.UTC().Truncate(time.Microsecond)
	have := false
	for _, h := range active {
		if h.Reason != models.HoldUnpaidFees && h.Reason != models.HoldOverpaidFees {
			continue
		}
		if h.Reason == want {
			have = true
			continue
		}
		at := since
		if at.Before(h.PlacedAt) {
			at = h.PlacedAt
		}
		if _, err := tx.ReleaseHold(ctx, h.ID, at); err != nil {
			return err
		}
	}
	if want == "" || have {
		return nil
	}
	_, err = PlaceIn(ctx, tx, Placement{
		SubscriberID: subscriberID, Reason: want, AllItems: true, PlacedBy: BillingPlacer,
		SourceRef: "billing:" + string(state) + ":" + since.Format(time.RFC3339),
	}, since)
	return err
}
