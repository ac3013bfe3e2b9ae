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
// SETTLED stops the post-termination clock (docs/POLICY.md §3(1)나).
type BillingState string

// The billing states the operator's feed reports (the schema's BillingState,
// graph/feed.graphqls).
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
	// BirthDateCipher is BirthDate sealed with the subscriber's data key,
	// as it is stored; the store never fills BirthDate from it (see
	// shred.OpenSubscriber).
	BirthDateCipher []byte
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
// without a recorded birth date is treated as an adult: the feeds refuse a
// child under 14 without a guardian, and take the birth date from the
// applicant.birth_date item when the birthDate field is not fed.
func (s *Subscriber) IsMinorAt(t time.Time) bool {
	if s.BirthDate == nil {
		return false
	}
	minor, err := MinorOn(*s.BirthDate, t)
	return err == nil && minor
}

// kst is Korea Standard Time (no daylight saving), in which ages count.
var kst = time.FixedZone("KST", 9*60*60)

// MinorOn reports whether someone born on birthDate (YYYY-MM-DD) is under
// 14 at t. Age counts by the Civil Act in Korea Standard Time: the day of
// birth counts (민법 158), so the 14th year is complete at the end of the
// day before the 14th birthday, and one is 14 from 00:00 KST of that
// birthday; born on 29 February, from 1 March in a common year (민법 160③:
// the period ends on the last day of February). The retention engine owns
// period counting; this is the one place ages are counted, ready to call it.
func MinorOn(birthDate string, t time.Time) (bool, error) {
	b, err := time.Parse(time.DateOnly, birthDate)
	if err != nil {
		return false, err
	}
	// time.Date normalises 29 February of a common year to 1 March.
	fourteenth := time.Date(b.Year()+MinorAge, b.Month(), b.Day(), 0, 0, 0, 0, kst)
	return t.Before(fourteenth), nil
}

// SubscriberKey is a subscriber's data key as stored: wrapped by the master
// key MasterKeyID. Deleting it destroys every value sealed with it.
type SubscriberKey struct {
	SubscriberID string `gorm:"primaryKey"`
	MasterKeyID  string `gorm:"not null"`
	Wrapped      []byte `gorm:"not null"`
	CreatedAt    time.Time
	RewrappedAt  *time.Time
}
