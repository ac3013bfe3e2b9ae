package holds

import "github.com/xroshot/portal/models"

// Item names one holding or one record of a subscriber, as the hold rule
// sees it.
type Item struct {
	SubscriberID string
	// HoldingID is set for a holding, RecordID for a record.
	HoldingID string
	RecordID  int64
}

// Covers is the hold rule, the last gate before any erasure: an active
// hold of the item's subscriber covers the item when it is on everything of
// the subscriber or linked to the item itself. A released hold covers
// nothing. The purge's SQL gate (store's itemTable.held) states the same
// rule for rows, and the inventory's index (inventory.Holds) for the
// assessment; inventory's TestTheHoldRuleIsOneRule pins the three to the
// same fixtures on both stores.
func Covers(h *models.Hold, it Item) bool {
	if h.SubscriberID != it.SubscriberID || h.ReleasedAt != nil {
		return false
	}
	if h.AllItems {
		return true
	}
	for _, x := range h.Items {
		switch {
		case it.HoldingID != "" && x.HoldingID != nil && *x.HoldingID == it.HoldingID:
			return true
		case it.HoldingID == "" && x.RecordID != nil && *x.RecordID == it.RecordID:
			return true
		}
	}
	return false
}
