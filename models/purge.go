package models

import "time"

// ItemType tells a profile item (holding) from a generated record.
type ItemType string

// The two kinds of personal-data rows the purge erases.
const (
	ItemHolding ItemType = "HOLDING"
	ItemRecord  ItemType = "RECORD"
)

// Schedule is what the retention calculus stores on a holding or record:
// the date it may be purged, and the clause deciding that date (the clause
// it will be erased under, or that keeps it open-ended).
type Schedule struct {
	PurgeAfter *time.Time
	Clause     string
}

// PurgeOutcome is how a purge run ended.
type PurgeOutcome string

// The outcomes of a purge run. A run whose process died stays RUNNING; its
// erasures are still recorded, batch by batch, under its id.
const (
	PurgeRunning     PurgeOutcome = "RUNNING"
	PurgeFinished    PurgeOutcome = "FINISHED"
	PurgeInterrupted PurgeOutcome = "INTERRUPTED"
	PurgeFailed      PurgeOutcome = "FAILED"
)

// PurgeRun is the proof of one purge run: when, by whom, what was asked and
// how much went; never the erased values.
type PurgeRun struct {
	ID         int64 `gorm:"primaryKey;autoIncrement"`
	StartedAt  time.Time
	FinishedAt *time.Time
	Outcome    PurgeOutcome
	Actor      string
	DryRun     bool
	// Clauses is the comma-separated clause filter; empty for all clauses.
	Clauses     string
	BatchSize   int
	Erased      int64
	SkippedHeld int64
	CreatedAt   time.Time
}

// PurgeRunCount is one line of a run's tally: per clause and per category
// (holdings) or kind (records), how many items were erased (or, in a dry
// run, would be) and how many were due but skipped because held.
type PurgeRunCount struct {
	RunID       int64    `gorm:"primaryKey"`
	Clause      string   `gorm:"primaryKey"`
	ItemType    ItemType `gorm:"primaryKey"`
	Code        string   `gorm:"primaryKey"`
	Erased      int64
	SkippedHeld int64
}

// Erasure tells a subscriber that Count items of one category or record
// kind were erased under Clause at ErasedAt; kept as long as its purge run
// is kept, and never carrying the erased values.
type Erasure struct {
	ID           int64 `gorm:"primaryKey;autoIncrement"`
	SubscriberID string
	RunID        int64
	ItemType     ItemType
	Code         string
	Clause       string
	Count        int64
	ErasedAt     time.Time
}
