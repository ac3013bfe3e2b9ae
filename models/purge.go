package models

import "time"

// ItemType tells a profile item (holding) from a generated record.
type ItemType string

// The two kinds of personal-data rows the purge erases, and the two kinds
// of copies it erases with them (counted in a run's tally, never shown as
// items): a request's texts or the request itself, and an outbox notice.
const (
	ItemHolding ItemType = "HOLDING"
	ItemRecord  ItemType = "RECORD"
	ItemRequest ItemType = "REQUEST"
	ItemNotice  ItemType = "NOTICE"
)

// Schedule is what the retention calculus stores on a holding or record:
// the date it may be purged, and the clause deciding that date (the clause
// it will be erased under, or that keeps it open-ended).
type Schedule struct {
	PurgeAfter *time.Time
	Clause     string
	// StatuteFrom is when only statute-only clauses keep the item, or nil
	// (retention.Assessment.StatuteFrom).
	StatuteFrom *time.Time
}

// PurgeOutcome is how a purge run ended.
type PurgeOutcome string

// The outcomes of a purge run. A run whose process died stays RUNNING
// until the next run finds its heartbeat stale and marks it ABORTED; its
// erasures are recorded, batch by batch, under its id either way.
const (
	PurgeRunning     PurgeOutcome = "RUNNING"
	PurgeFinished    PurgeOutcome = "FINISHED"
	PurgeInterrupted PurgeOutcome = "INTERRUPTED"
	PurgeFailed      PurgeOutcome = "FAILED"
	PurgeAborted     PurgeOutcome = "ABORTED"
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
	// HeartbeatAt is when the running process last said it was alive (its
	// wall clock); a RUNNING run whose heartbeat is older than the lease
	// has died.
	HeartbeatAt *time.Time
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
