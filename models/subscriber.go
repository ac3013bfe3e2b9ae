// Package models holds the portal's entities: the rows the store keeps and the
// domain services pass around, and (in models_gen.go) the GraphQL-only types
// gqlgen generates. It depends on nothing but the standard library.
package models

import "time"

// SubscriberStatus is where a subscription stands with the operator.
type SubscriberStatus string

// The subscription statuses the operator's CRM feeds.
const (
	StatusActive     SubscriberStatus = "ACTIVE"
	StatusSuspended  SubscriberStatus = "SUSPENDED"
	StatusTerminated SubscriberStatus = "TERMINATED"
)

// Valid reports whether s is a known status.
func (s SubscriberStatus) Valid() bool {
	switch s {
	case StatusActive, StatusSuspended, StatusTerminated:
		return true
	}
	return false
}

// BillingState is the fee position the billing system reports; anything but
// SETTLED stops the post-termination clock (POLICY.md §3(1)나).
type BillingState string

// The billing states of DESIGN.md (Data feeds).
const (
	BillingSettled  BillingState = "SETTLED"
	BillingUnpaid   BillingState = "UNPAID"
	BillingOverpaid BillingState = "OVERPAID"
)

// Valid reports whether b is a known billing state.
func (b BillingState) Valid() bool {
	switch b {
	case BillingSettled, BillingUnpaid, BillingOverpaid:
		return true
	}
	return false
}

// Subscriber is a data subject: a customer of the operator, keyed by the
// operator's own subscriber id so feeds can upsert without a lookup.
type Subscriber struct {
	ID           string           `gorm:"primaryKey"`
	Status       SubscriberStatus `gorm:"not null"`
	SignedUpAt   time.Time        `gorm:"not null"`
	TerminatedAt *time.Time
	// BirthDate is a calendar date (YYYY-MM-DD); it decides whether the
	// subscriber is a child under 14 whose guardian must act.
	BirthDate *string
	// GuardianID is the subject id a guardian's token carries in act.sub.
	GuardianID   *string
	BillingState BillingState `gorm:"not null"`
	BillingSince *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// MinorAge is the age under which a legal guardian consents and acts
// (PIPA 22-2).
const MinorAge = 14

// IsMinorAt reports whether the subscriber is under 14 at t. A subscriber
// without a recorded birth date is treated as an adult: the operator's CRM
// always records it for a minor, because the guardian's consent is taken at
// sign-up.
func (s *Subscriber) IsMinorAt(t time.Time) bool {
	if s.BirthDate == nil {
		return false
	}
	b, err := time.Parse(time.DateOnly, *s.BirthDate)
	if err != nil {
		return false
	}
	return b.AddDate(MinorAge, 0, 0).After(t)
}
