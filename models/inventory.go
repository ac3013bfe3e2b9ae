package models

import "time"

// Holding is one item of personal data about a subscriber, from the profile
// the notice lists (applicant, payer, guardian, optional items).
type Holding struct {
	ID           string `gorm:"primaryKey"`
	SubscriberID string `gorm:"not null"`
	// Category is a category code of the policy catalog.
	Category string `gorm:"not null"`
	// ValueText holds the value in the clear: in the domain before it is
	// sealed (shred.SealHolding) and after it is opened, and at rest only
	// on rows written before data keys.
	ValueText *string
	// ValueCipher holds the value sealed with AES-256-GCM under KeyID:
	// protect.DataKeyID for the subscriber's data key, or a master key id
	// on rows written before data keys.
	ValueCipher []byte
	KeyID       *string
	// Source is how the item was collected (docs/POLICY.md §2(2)).
	Source      string    `gorm:"not null"`
	CollectedAt time.Time `gorm:"not null"`
	// PurgeAfter is the retention calculus' answer, kept on the row so the
	// purge finds due items by index; nil while open-ended.
	PurgeAfter *time.Time
	// PurgeClause is the clause deciding PurgeAfter, the one the item is
	// erased under; written with PurgeAfter.
	PurgeClause string `gorm:"not null"`
	// StatuteFrom is when only statute-only clauses keep the item
	// (retention.Assessment.StatuteFrom), written with PurgeAfter: from
	// then on the purge moves it apart. Nil while not dated.
	StatuteFrom *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Record is one item of generated data (usage, access logs, payments, call
// details, message content, …). Records come in volume, so they are paged and
// their purge date is kept on the row like a holding's.
type Record struct {
	ID           int64  `gorm:"primaryKey;autoIncrement"`
	SubscriberID string `gorm:"not null"`
	// Kind is a record kind code of the policy catalog.
	Kind       string    `gorm:"not null"`
	OccurredAt time.Time `gorm:"not null"`
	// ExternalID is the feeding system's id; it makes appending idempotent.
	ExternalID string `gorm:"not null"`
	// Summary is the record's text as stored before data keys (rows
	// written since carry it in SummaryCipher and leave it empty); in the
	// domain, after shred.OpenRecord, the plain text.
	Summary string `gorm:"not null"`
	// SummaryCipher is the summary sealed with the subscriber's data key.
	SummaryCipher []byte
	PurgeAfter    *time.Time
	// PurgeClause is the clause deciding PurgeAfter, as on a Holding.
	PurgeClause string `gorm:"not null"`
	// StatuteFrom is as on a Holding.
	StatuteFrom *time.Time
	CreatedAt   time.Time
}

// FeeIssueKind is why fees are not settled (docs/POLICY.md §3(1)나).
type FeeIssueKind string

// The conditions that stop the post-termination clock.
const (
	FeeUnpaid   FeeIssueKind = "UNPAID_FEES"
	FeeOverpaid FeeIssueKind = "OVERPAID_FEES"
	FeeDispute  FeeIssueKind = "FEE_DISPUTE"
)

// FeeIssue is one period of unpaid or overpaid fees, or one fee dispute;
// open while ResolvedAt is nil.
type FeeIssue struct {
	ID           int64        `gorm:"primaryKey;autoIncrement"`
	SubscriberID string       `gorm:"not null"`
	Kind         FeeIssueKind `gorm:"not null"`
	Since        time.Time    `gorm:"not null"`
	ResolvedAt   *time.Time
	// SourceRef points at what opened it: a billing feed event or a request.
	SourceRef *string
	CreatedAt time.Time
}

// RecordPage selects one page of a subscriber's records, newest first.
type RecordPage struct {
	SubscriberID string
	Kind         string // empty for every kind
	// After is the (occurred_at, id) of the last record of the previous
	// page; nil for the first page.
	After *RecordKey
	Limit int
	// Apart includes the records kept apart because only a statute keeps
	// them (법 21③): for the subscriber's own view and the purge, never for
	// other uses.
	Apart bool
	// UnsentFor, when set, leaves out the records a document of that
	// transmission request already carried (TransmissionSent).
	UnsentFor string
}

// RecordKey is a record's position in newest-first order.
type RecordKey struct {
	OccurredAt time.Time
	ID         int64
}

// RecordKeyRow is what rescheduling needs of a record: no summary.
type RecordKeyRow struct {
	ID         int64
	Kind       string
	OccurredAt time.Time
	PurgeAfter *time.Time
	// PurgeClause is the clause stored with PurgeAfter.
	PurgeClause string
	StatuteFrom *time.Time
}
