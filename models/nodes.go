package models

import (
	"time"

	"github.com/xroshot/portal/policy"
)

// HoldingNode is a profile item as the API shows it: value masked,
// retention assessed.
type HoldingNode struct {
	ID string
	// SubscriberID is whose item it is, for fields that look up the
	// subscriber's open requests.
	SubscriberID string
	Category     *CategoryView
	Value        string
	Encrypted    bool
	Source       string
	CollectedAt  time.Time
	Purposes     []*PurposeView
	Retention    *Retention
}

// RecordNode is a generated record as the API shows it.
type RecordNode struct {
	ID         string
	Kind       *RecordKindView
	OccurredAt time.Time
	Summary    string
	Retention  *Retention
}

// ErasedNode is what the purge erased of a subscriber's data, as the API
// shows it.
type ErasedNode struct {
	// Lang is the language of the me query the node was read through:
	// the explanation's default.
	Lang     policy.Lang
	ItemType string
	Code     string
	Clause   *ClauseView
	Count    int
	ErasedAt time.Time
}

// IsNode marks a request as a Relay Node: its id (a random UUID) is unique
// across the API, so Query.node can refetch it by that id alone.
func (Request) IsNode() {}
