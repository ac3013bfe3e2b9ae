package models

import "time"

// ConsentRow is where one consent topic stands for one subscriber now: the
// state the latest event of its history left. It is rewritten on every
// change; the history itself is ConsentEventRow, append-only.
type ConsentRow struct {
	SubscriberID string `gorm:"primaryKey"`
	// Topic is a consent topic code of the policy catalog.
	Topic string `gorm:"primaryKey"`
	// State is GRANTED or WITHDRAWN.
	State string `gorm:"not null"`
	// Seq is the sequence number of the event that set the state; a
	// change names the Seq it read, so concurrent changes cannot both win.
	Seq int64 `gorm:"not null"`
	// DatedAt is the consent's date: when it was granted, last
	// reconfirmed or withdrawn.
	DatedAt time.Time `gorm:"not null"`
	// ReconfirmBy is, for a granted marketing consent, when the operator
	// must next reconfirm it (정보통신망법 시행령 제62조의3); nil otherwise.
	ReconfirmBy *time.Time
	// ReconfirmNoticeAt is when the last reconfirmation notice was issued.
	ReconfirmNoticeAt *time.Time
	// PolicyVersion is the catalog version in force at the last change.
	PolicyVersion string `gorm:"not null"`
	// ReceiptID and Digest identify the last event, so the next one can
	// chain to it.
	ReceiptID string `gorm:"not null"`
	Digest    string `gorm:"not null"`
	UpdatedAt time.Time
}

// TableName is the table of current consents.
func (ConsentRow) TableName() string { return "consents" }

// ConsentEventRow is one change of one consent topic: who changed it, from
// where, from what to what, under which policy version and when, with the
// receipt the subscriber was given. Rows are appended and never updated or
// deleted; the database refuses both.
type ConsentEventRow struct {
	// ID orders the history; ReceiptID is the identifier the subscriber
	// holds.
	ID           int64  `gorm:"primaryKey;autoIncrement"`
	ReceiptID    string `gorm:"not null"`
	SubscriberID string `gorm:"not null"`
	Topic        string `gorm:"not null"`
	// Seq numbers the events of one topic of one subscriber from 1.
	Seq int64 `gorm:"not null"`
	// Action is GRANT, WITHDRAW or RECONFIRM.
	Action string `gorm:"not null"`
	// FromState is NOT_RECORDED, GRANTED or WITHDRAWN; ToState GRANTED or
	// WITHDRAWN.
	FromState string `gorm:"not null"`
	ToState   string `gorm:"not null"`
	// ActorKind is SUBSCRIBER, GUARDIAN or AGENT; ActorID their subject id.
	ActorKind string `gorm:"not null"`
	ActorID   string `gorm:"not null"`
	// Via is WEB, APP or AGENT_DESK.
	Via             string `gorm:"not null"`
	Reason          *string
	PolicyVersion   string    `gorm:"not null"`
	OccurredAt      time.Time `gorm:"not null"`
	ClientRequestID *string
	ReconfirmBy     *time.Time
	// Receipt is the receipt as issued (canonical JSON); ReceiptDigest its
	// SHA-256 and PrevDigest the digest of the topic's previous event.
	Receipt       string `gorm:"not null"`
	ReceiptDigest string `gorm:"not null"`
	PrevDigest    *string
	CreatedAt     time.Time
}

// TableName is the consent history table.
func (ConsentEventRow) TableName() string { return "consent_events" }

// ConsentRequestRow remembers a client's request id with a digest of what it
// asked, so a retried request gets the same answer and a reused id with
// another body is refused.
type ConsentRequestRow struct {
	SubscriberID    string `gorm:"primaryKey"`
	ClientRequestID string `gorm:"primaryKey"`
	RequestHash     string `gorm:"not null"`
	CreatedAt       time.Time
}

// TableName is the table of consent request ids.
func (ConsentRequestRow) TableName() string { return "consent_requests" }

// OutboxRow is a message to the subscriber waiting for the operator's
// messaging gateway, written in the same transaction as the change it
// reports.
type OutboxRow struct {
	ID           int64  `gorm:"primaryKey;autoIncrement"`
	SubscriberID string `gorm:"not null"`
	// Kind says what the message is, such as CONSENT_RESULT.
	Kind string `gorm:"not null"`
	// Payload is the message's content as JSON.
	Payload string `gorm:"not null"`
	// DueBy is the latest time the message may be delivered by law.
	DueBy       time.Time `gorm:"not null"`
	CreatedAt   time.Time
	DeliveredAt *time.Time
	Attempts    int `gorm:"not null"`
}

// TableName is the outbox table.
func (OutboxRow) TableName() string { return "outbox" }

// ConsentEventKey is an event's position in the newest-first history.
type ConsentEventKey struct {
	OccurredAt time.Time
	ID         int64
}

// ConsentEventPage selects one page of a subscriber's consent history,
// newest first.
type ConsentEventPage struct {
	SubscriberID string
	// After is the key of the last event of the previous page; nil for the
	// first page.
	After *ConsentEventKey
	Limit int
}

// ReconfirmKey is a consent's position in the reconfirmation queue.
type ReconfirmKey struct {
	ReconfirmBy  time.Time
	SubscriberID string
	Topic        string
}

// ReconfirmPage selects granted consents whose reconfirmation falls on or
// before Until, earliest first.
type ReconfirmPage struct {
	Until time.Time
	After *ReconfirmKey
	Limit int
}
