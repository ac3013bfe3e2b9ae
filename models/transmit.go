package models

import "time"

// RecipientStatus is whether the operator admits a transmission recipient.
type RecipientStatus string

// A recipient receives deliveries only while ACTIVE.
const (
	RecipientActive    RecipientStatus = "ACTIVE"
	RecipientSuspended RecipientStatus = "SUSPENDED"
)

// TransmissionRecipient is a controller or specialised agency the operator
// admits as a recipient of transmission requests (법 35조의2①2). Its
// verification secret is stored encrypted and never shown again.
type TransmissionRecipient struct {
	ID       string `gorm:"primaryKey"`
	Name     string `gorm:"not null"`
	Endpoint string `gorm:"not null"`
	// Categories are the category and record-kind codes it may receive.
	Categories   []string `gorm:"serializer:json;not null"`
	Status       RecipientStatus
	SecretCipher []byte `gorm:"not null"`
	KeyID        string `gorm:"not null"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName is the recipient registry.
func (TransmissionRecipient) TableName() string { return "transmit_recipients" }

// TransmissionDestination is where a transmission goes.
type TransmissionDestination string

// A transmission goes to the subscriber (a download) or to a recipient.
const (
	DestinationSelf      TransmissionDestination = "SELF"
	DestinationRecipient TransmissionDestination = "RECIPIENT"
)

// TransmissionSchedule is how often a transmission is made.
type TransmissionSchedule string

// Once, or every month from the start until a date.
const (
	ScheduleOnce    TransmissionSchedule = "ONCE"
	ScheduleMonthly TransmissionSchedule = "MONTHLY"
)

// TransmissionStatus is where a transmission request stands.
type TransmissionStatus string

// An accepted request is ACTIVE until its last delivery is made
// (COMPLETED), its subscriber withdraws it (WITHDRAWN), it is refused
// (REFUSED) or it runs past its own expiry (EXPIRED).
const (
	TransmissionActive    TransmissionStatus = "ACTIVE"
	TransmissionCompleted TransmissionStatus = "COMPLETED"
	TransmissionWithdrawn TransmissionStatus = "WITHDRAWN"
	TransmissionRefused   TransmissionStatus = "REFUSED"
	TransmissionExpired   TransmissionStatus = "EXPIRED"
)

// TransmissionRequest is a subscriber's request that their data be sent,
// once or monthly, to themselves or to an admitted recipient (전송요구,
// 법 35조의2; 영 42조의2).
type TransmissionRequest struct {
	ID           string `gorm:"primaryKey"`
	SubscriberID string `gorm:"not null"`
	// FiledBy is SUBSCRIBER or GUARDIAN; FiledByID the token's actor.
	FiledBy     FiledByKind `gorm:"column:filed_by;not null"`
	FiledByID   string      `gorm:"not null"`
	Destination TransmissionDestination
	RecipientID *string
	// Categories and RecordKinds are the scope, chosen item by item.
	Categories  []string `gorm:"serializer:json;not null"`
	RecordKinds []string `gorm:"serializer:json;not null"`
	Schedule    TransmissionSchedule
	StartsAt    time.Time
	Until       *time.Time
	ExpiresAt   time.Time
	Status      TransmissionStatus
	// ReasonCode says why a request was refused or ended early.
	ReasonCode *string
	FiledAt    time.Time
	// DueAt is the statutory answer date; AnsweredAt when it was answered.
	DueAt      time.Time
	AnsweredAt *time.Time
	// NextDeliveryAt is when the next delivery is made; nil when none is
	// to come.
	NextDeliveryAt *time.Time
	// Deliveries counts the documents made so far (the next one's
	// sequence is Deliveries+1); Periods the delivery periods begun (the
	// next period's date is StartsAt plus Periods months). MoreRecords: the
	// current period has records left for its next document.
	Deliveries  int
	Periods     int
	MoreRecords bool
	// ClaimToken names the scheduler holding the request while it makes a
	// delivery; NextDeliveryAt is then the end of its lease.
	ClaimToken  *string
	WithdrawnAt *time.Time
	// RefusedAt and RefusedBy record a refusal by staff (법 35조의2⑥);
	// ReasonCode says why.
	RefusedAt      *time.Time
	RefusedBy      *string
	IdempotencyKey string `gorm:"not null"`
	UpdatedAt      time.Time
}

// TableName is the transmission requests table.
func (TransmissionRequest) TableName() string { return "transmission_requests" }

// DeliveryStatus is where one transmission delivery stands.
type DeliveryStatus string

// A delivery to a recipient is PENDING until DELIVERED or FAILED (after its
// retries), or CANCELLED when the request is withdrawn first; a download is
// READY until it EXPIRES.
const (
	DeliveryPending   DeliveryStatus = "PENDING"
	DeliveryDone      DeliveryStatus = "DELIVERED"
	DeliveryFailed    DeliveryStatus = "FAILED"
	DeliveryCancelled DeliveryStatus = "CANCELLED"
	DeliveryReady     DeliveryStatus = "READY"
	DeliveryExpired   DeliveryStatus = "EXPIRED"
)

// TransmissionDelivery is one transmission: its id is the webhook-id the
// recipient sees on every attempt.
type TransmissionDelivery struct {
	ID           string `gorm:"primaryKey"`
	SubscriberID string `gorm:"not null"`
	RequestID    string `gorm:"not null"`
	// Sequence numbers the request's documents from 1; Period is the
	// delivery period the document belongs to and Part its number within
	// the period (a period with more records than a document holds
	// continues in the next part).
	Sequence     int
	Period       int
	Part         int
	ScheduledFor time.Time
	Status       DeliveryStatus
	Attempts     int
	// NextAttemptAt is when a pending delivery is next tried (or the end
	// of the lease of the attempt in flight).
	NextAttemptAt *time.Time
	ClaimToken    *string
	DeliveredAt   *time.Time
	FailedAt      *time.Time
	// ExpiresAt ends a download's availability.
	ExpiresAt *time.Time
	// Payload is the transmission document, encrypted; removed once
	// delivered, failed, cancelled or expired.
	PayloadCipher []byte
	KeyID         *string
	// Items and Records count what the document carries.
	Items     int
	Records   int
	CreatedAt time.Time
}

// TableName is the deliveries table.
func (TransmissionDelivery) TableName() string { return "transmission_deliveries" }

// TransmissionSent records that a document of a request carried a record:
// no later document of the request carries it again.
type TransmissionSent struct {
	SubscriberID string `gorm:"primaryKey"`
	RequestID    string `gorm:"primaryKey"`
	RecordID     int64  `gorm:"primaryKey;autoIncrement:false"`
	DeliveryID   string `gorm:"not null"`
}

// TableName is the table of what was sent.
func (TransmissionSent) TableName() string { return "transmission_sent" }

// TransmissionAttempt records one attempt to post a delivery: never the
// payload, nor the recipient's answer beyond its status.
type TransmissionAttempt struct {
	ID           int64  `gorm:"primaryKey;autoIncrement"`
	SubscriberID string `gorm:"not null"`
	DeliveryID   string `gorm:"not null"`
	Attempt      int
	AttemptedAt  time.Time
	StatusCode   *int
	Error        *string
	DurationMS   int64 `gorm:"column:duration_ms"`
	Outcome      DeliveryOutcome
}

// TableName is the attempts table.
func (TransmissionAttempt) TableName() string { return "transmission_attempts" }

// TransmissionDownload is a download of a delivery to the subscriber
// themselves.
type TransmissionDownload struct {
	DeliveryID string
	Format     string
	ExpiresAt  time.Time
	Payload    string
}

// UsageNoticeStatus is what the yearly notice run did for a subscriber.
type UsageNoticeStatus string

// A notice is QUEUED to the gateway through the outbox, or skipped: no
// contact channel, or only statute-kept data left. A queued notice becomes
// NOTIFIED or FAILED when its outbox message, delivered or given up on, is
// deleted after its proof window: the outcome outlives the message.
const (
	UsageNoticeQueued             UsageNoticeStatus = "QUEUED"
	UsageNoticeNotified           UsageNoticeStatus = "NOTIFIED"
	UsageNoticeFailed             UsageNoticeStatus = "FAILED"
	UsageNoticeSkippedNoContact   UsageNoticeStatus = "SKIPPED_NO_CONTACT"
	UsageNoticeSkippedStatuteOnly UsageNoticeStatus = "SKIPPED_STATUTE_ONLY"
)

// UsageNotice is the yearly notice of use and provision (이용·제공 내역
// 통지, 법 20조의2) of one subscriber and year: at most one each.
type UsageNotice struct {
	SubscriberID string `gorm:"primaryKey"`
	Year         int    `gorm:"primaryKey"`
	Status       UsageNoticeStatus
	OutboxID     *int64
	// Content is the notice as sent (JSON), without personal values: codes,
	// labels, counts and recipient names.
	Content   string `gorm:"not null"`
	CreatedAt time.Time
	// Purposes and Recipients are Content decoded, for the API.
	Purposes   []*UsageNoticePurpose   `gorm:"-"`
	Recipients []*UsageNoticeRecipient `gorm:"-"`
	// Outcome is where the notice stands now: NOTIFIED, FAILED, PENDING or
	// the skip; filled by the reader.
	Outcome string `gorm:"-"`
}

// TableName is the notices table.
func (UsageNotice) TableName() string { return "usage_notices" }

// UsageNoticePurpose is one purpose the subscriber's data was used for in
// the year, with what was used.
type UsageNoticePurpose struct {
	Code        string   `json:"code"`
	LabelKo     string   `json:"labelKo"`
	LabelEn     string   `json:"labelEn"`
	Categories  []string `json:"categories"`
	RecordKinds []string `json:"recordKinds"`
	// Records counts the records of the year used for the purpose.
	Records int `json:"records"`
}

// UsageNoticeRecipient is one party that received the subscriber's data in
// the year: a processor of the catalog's outsourcing purpose, or a
// transmission recipient.
type UsageNoticeRecipient struct {
	// Kind is PROCESSOR or TRANSMISSION_RECIPIENT.
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Categories []string `json:"categories"`
	// Deliveries counts the transmissions it received in the year.
	Deliveries int `json:"deliveries"`
}

// UsageNoticeCoverage is how far a year's notice run reached.
type UsageNoticeCoverage struct {
	Year int
	// Notified: the gateway accepted the notice; Pending: queued, not yet
	// accepted; Failed: the deliverer gave up.
	Notified, Pending, Failed int
	// SkippedNoContact and SkippedStatuteOnly: no notice was sent.
	SkippedNoContact, SkippedStatuteOnly int
	// Remaining counts subscribers the run has not reached yet.
	Remaining int
}
