package models

import "time"

// DeliveryOutcome is what the deliverer decided after one attempt to post an
// outbox message.
type DeliveryOutcome string

// The outcomes of a delivery attempt.
const (
	// DeliveryDelivered: the gateway answered 2xx; the message is done.
	DeliveryDelivered DeliveryOutcome = "DELIVERED"
	// DeliveryRetry: the attempt failed and another is scheduled.
	DeliveryRetry DeliveryOutcome = "RETRY"
	// DeliveryDead: the attempt failed and it was the last one allowed; the
	// message is kept, marked dead, for admins.
	DeliveryDead DeliveryOutcome = "DEAD"
)

// OutboxDelivery records one attempt to post an outbox message to the
// gateway: never the payload, nor the gateway's answer beyond its status.
type OutboxDelivery struct {
	ID           int64  `gorm:"primaryKey;autoIncrement"`
	SubscriberID string `gorm:"not null"`
	OutboxID     int64  `gorm:"not null"`
	// Attempt numbers the message's attempts from 1.
	Attempt     int       `gorm:"not null"`
	AttemptedAt time.Time `gorm:"not null"`
	// StatusCode is the gateway's HTTP status; nil when no answer came
	// (timeout, refused connection, shutdown).
	StatusCode *int
	// Error says why the attempt failed, without the payload; nil on
	// success.
	Error      *string
	DurationMS int64           `gorm:"column:duration_ms;not null"`
	Outcome    DeliveryOutcome `gorm:"not null"`
}

// TableName is the table of delivery attempts.
func (OutboxDelivery) TableName() string { return "outbox_deliveries" }

// OutboxStatus is where an outbox message stands in delivery: the row
// without its payload, for admins and the delivery's own checks.
type OutboxStatus struct {
	ID           int64
	SubscriberID string
	Kind         string
	DueBy        time.Time
	CreatedAt    time.Time
	// Attempts counts the attempts claimed so far.
	Attempts int
	// NextAttemptAt is when the message is next due: nil before the first
	// attempt, the end of the lease while one is in flight, then the retry
	// time; nil again once delivered or dead.
	NextAttemptAt *time.Time
	DeliveredAt   *time.Time
	// DeadAt is when the deliverer gave up on the message.
	DeadAt *time.Time
}

// TableName is the outbox table.
func (OutboxStatus) TableName() string { return "outbox" }
