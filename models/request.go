package models

import "time"

// RequestType is what a data subject asks for (docs/LAW.md, rights).
type RequestType string

// The request types: DELETION and DISPUTE are the card's; ACCESS,
// CORRECTION and SUSPENSION the other PIPA rights.
const (
	RequestDeletion   RequestType = "DELETION"
	RequestDispute    RequestType = "DISPUTE"
	RequestAccess     RequestType = "ACCESS"
	RequestCorrection RequestType = "CORRECTION"
	RequestSuspension RequestType = "SUSPENSION"
)

// RequestStatus is where a request stands.
type RequestStatus string

// The lifecycle: submitted → in review → resolved, or withdrawn while open.
const (
	RequestSubmitted RequestStatus = "SUBMITTED"
	RequestInReview  RequestStatus = "IN_REVIEW"
	RequestResolved  RequestStatus = "RESOLVED"
	RequestWithdrawn RequestStatus = "WITHDRAWN"
)

// Open reports whether the request still awaits a decision.
func (s RequestStatus) Open() bool { return s == RequestSubmitted || s == RequestInReview }

// Resolution is the decision on a request.
type Resolution string

// The decisions; each carries a reason code, a text and how to object.
const (
	ResolutionApproved          Resolution = "APPROVED"
	ResolutionPartiallyApproved Resolution = "PARTIALLY_APPROVED"
	ResolutionRejected          Resolution = "REJECTED"
)

// FiledByKind is who filed a request.
type FiledByKind string

// Who may file (PIPA 38): the subscriber, the legal guardian of a child
// under 14, or an agent on the subscriber's behalf.
const (
	FiledBySubscriber FiledByKind = "SUBSCRIBER"
	FiledByGuardian   FiledByKind = "GUARDIAN"
	FiledByAgent      FiledByKind = "AGENT"
)

// VerificationMethod is how staff verified who asks, before filing a
// request on a subscriber's behalf (docs/LAW.md "who may ask").
type VerificationMethod string

// The methods: a call back to the number on file, an identity document at a
// counter, a power of attorney (its document reference), or the legal
// guardian's identity and relationship.
const (
	VerifiedByCallback        VerificationMethod = "CALLBACK"
	VerifiedByIDAtCounter     VerificationMethod = "ID_AT_COUNTER"
	VerifiedByPowerOfAttorney VerificationMethod = "POWER_OF_ATTORNEY"
	VerifiedByGuardian        VerificationMethod = "GUARDIAN"
)

// Valid reports whether m is a known method.
func (m VerificationMethod) Valid() bool {
	switch m {
	case VerifiedByCallback, VerifiedByIDAtCounter, VerifiedByPowerOfAttorney, VerifiedByGuardian:
		return true
	}
	return false
}

// Request is one data-subject request.
type Request struct {
	ID             string `gorm:"primaryKey"`
	SubscriberID   string
	Type           RequestType
	Status         RequestStatus
	Resolution     *Resolution
	ReasonCode     *string
	ResolutionText *string
	HowToObject    *string
	FiledByKind    FiledByKind
	FiledByID      string
	Via            string
	// Scope is the JSON of the request's scope (categories, record kinds,
	// record ids, or everything).
	Scope           string
	FeeRelated      bool
	Reason          string
	IdempotencyKey  string
	BodyDigest      string
	FiledAt         time.Time
	DueAt           time.Time
	ExtendedAt      *time.Time
	ExtensionReason *string
	AssigneeID      *string
	ResolvedAt      *time.Time
	// VerificationMethod and VerificationRef record how staff verified the
	// subscriber's identity or their own authority before filing for them
	// (법 38; 영 46); empty for requests the subscriber or guardian filed.
	VerificationMethod *VerificationMethod
	VerificationRef    *string
	// ApprovedBy is the second staff member who approved a staff-filed
	// deletion before it took effect, at ApprovedAt.
	ApprovedBy *string
	ApprovedAt *time.Time
	// LegalGround is the catalog clause a refusal names (법 36① 단서, 37②).
	LegalGround *string
	// CorrectionCategory is the item a correction is about; its proposed
	// value is sealed in CorrectionCipher under CorrectionKeyID.
	CorrectionCategory *string
	CorrectionCipher   []byte
	CorrectionKeyID    *string
	// SuspendedPurposes is the JSON list of the purposes a suspension
	// stops; LiftedAt is when the subscriber lifted it.
	SuspendedPurposes *string
	LiftedAt          *time.Time
	// Version increases with every change; a change names the version it
	// read, so of two concurrent decisions only one wins.
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Extended reports whether the answer period was extended. A method
// without a context, like Assigned, so the API marshals it in line: a field
// resolver would cost a goroutine per request of a list.
func (r *Request) Extended() bool { return r.ExtendedAt != nil }

// Assigned reports whether an agent has the request.
func (r *Request) Assigned() bool { return r.AssigneeID != nil }

// RequestEvent is one step of a request's history.
type RequestEvent struct {
	ID           int64 `gorm:"primaryKey;autoIncrement"`
	SubscriberID string
	RequestID    string
	Kind         string
	FromStatus   *RequestStatus
	ToStatus     *RequestStatus
	ActorKind    string
	ActorID      string
	Note         *string
	// Visible events are shown to the subscriber; internal comments are not.
	Visible    bool
	OccurredAt time.Time
}

// RequestOutcome is what a resolved request did to one item.
type RequestOutcome struct {
	ID           int64 `gorm:"primaryKey;autoIncrement"`
	SubscriberID string
	RequestID    string
	ItemType     string
	ItemRef      string
	Category     string
	Outcome      string
	Clause       *string
	UntilAt      *time.Time
	HoldID       *string
	Note         *string
	DecidedAt    time.Time
}

// RequestExport is the machine-readable answer to an access request,
// downloadable by the subscriber until it expires.
type RequestExport struct {
	RequestID    string `gorm:"primaryKey"`
	SubscriberID string
	TokenDigest  string
	Payload      []byte
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// RequestKey is a request's position in a subscriber's newest-first list.
type RequestKey struct {
	FiledAt time.Time
	ID      string
}

// QueueFilter narrows the agent desk's queue; zero fields match all.
type QueueFilter struct {
	Statuses []RequestStatus
	Type     RequestType
	Assignee string
	// Unassigned selects requests nobody is assigned to.
	Unassigned bool
	// UnassignedOpenOnly limits the unassigned requests selected to open
	// ones: an agent takes work from the open queue only.
	UnassignedOpenOnly bool
	// OverdueAt, when set, selects open requests due before it.
	OverdueAt *time.Time
}

// QueueKey is a request's position in the queue: oldest due first.
type QueueKey struct {
	DueAt time.Time
	ID    string
}
