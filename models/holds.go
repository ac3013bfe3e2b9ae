package models

import "time"

// HoldReason is why a hold pauses the purge of what it covers.
type HoldReason string

// The reasons a hold is placed (docs/POLICY.md §3, "until resolved"): open
// requests, the billing state, and legal claims.
const (
	HoldDispute         HoldReason = "DISPUTE"
	HoldDeletionRequest HoldReason = "DELETION_REQUEST"
	HoldUnpaidFees      HoldReason = "UNPAID_FEES"
	HoldOverpaidFees    HoldReason = "OVERPAID_FEES"
	HoldFeeDispute      HoldReason = "FEE_DISPUTE"
	HoldLegal           HoldReason = "LEGAL"
)

// HoldReasons lists every reason, in a stable order.
var HoldReasons = []HoldReason{HoldDispute, HoldDeletionRequest, HoldUnpaidFees, HoldOverpaidFees, HoldFeeDispute, HoldLegal}

// Valid reports whether r is a known reason.
func (r HoldReason) Valid() bool {
	for _, x := range HoldReasons {
		if r == x {
			return true
		}
	}
	return false
}

// Hold pauses the purge of a scope of one subscriber's data until released.
// It never changes a retention clause: it is the last gate before erasure.
// Its scope is either everything of the subscriber (AllItems), or the
// holdings and records its HoldItem rows link.
type Hold struct {
	ID           string     `gorm:"primaryKey"`
	SubscriberID string     `gorm:"not null"`
	Reason       HoldReason `gorm:"not null"`
	// AllItems covers every holding and record of the subscriber, present
	// and future, without linking them one by one.
	AllItems bool `gorm:"not null"`
	// SourceRef is what placed the hold: a request id, or a billing event.
	SourceRef string `gorm:"not null"`
	// PlacedBy is the subject (staff, system, feed) that placed it.
	PlacedBy string `gorm:"not null"`
	// PlacedAt is when the hold took effect; CreatedAt when it was written.
	PlacedAt time.Time `gorm:"not null"`
	// ReleasedAt is nil while the hold is active.
	ReleasedAt *time.Time
	CreatedAt  time.Time
	// Items are the links of a hold that is not AllItems.
	Items []HoldItem `gorm:"-"`
}

// Active reports whether the hold still pauses the purge.
func (h *Hold) Active() bool { return h.ReleasedAt == nil }

// HoldItem links a hold to one holding or one record it covers; exactly one
// of HoldingID and RecordID is set. Links outlive the items they name, so a
// hold's history still says what it covered after a later erasure.
type HoldItem struct {
	HoldID       string `gorm:"not null"`
	SubscriberID string `gorm:"not null"`
	HoldingID    *string
	RecordID     *int64
}
