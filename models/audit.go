package models

import (
	"strings"
	"time"
)

// AuditEvent is one link of the audit chain: who did what to whose data,
// when and from where (docs/LAW.md, Security). Rows are append-only; Seq numbers
// them without gaps and Hash covers every other column together with
// PrevHash, the Hash of the event before, so an altered, removed or
// re-ordered row shows when the chain is verified.
type AuditEvent struct {
	// Seq is the event's place in the chain: 1, 2, 3, … with no gaps.
	Seq        int64     `gorm:"primaryKey;autoIncrement:false"`
	OccurredAt time.Time `gorm:"not null"`
	// ActorID is who acted: a staff, subscriber or service id, the guardian
	// for a delegated token, or "portal:<job>" for the portal's own jobs.
	ActorID string `gorm:"not null"`
	// ActorRoles are the actor's roles at the time, sorted and joined by
	// commas; see Roles.
	ActorRoles string `gorm:"not null"`
	// ActingFor is the subscriber a delegated actor acted for (the minor
	// whose guardian held the token); nil when the actor acted for themself.
	ActingFor *string
	// Action is a dotted verb: "subscriber.read", "consent.set", ….
	Action string `gorm:"not null"`
	// SubjectID is the subscriber whose data was read or changed; nil for an
	// action on no one's personal data.
	SubjectID *string
	// TargetType and TargetID name the object acted on: "request" and its
	// id, "consent" and its topic, "purge_run" and its number, ….
	TargetType string `gorm:"not null"`
	TargetID   string `gorm:"not null"`
	// RequestID and ClientAddr say in which HTTP request and from where;
	// empty for the portal's own jobs.
	RequestID  string `gorm:"not null"`
	ClientAddr string `gorm:"not null"`
	// Details is a small JSON object stored and hashed byte for byte; it
	// holds counts, codes and ids, never personal values.
	Details string `gorm:"not null"`
	// PrevHash is the Hash of the event before (of the anchor's link for
	// the first); Hash is the hex SHA-256 of this event, see audit.Hash.
	PrevHash string `gorm:"not null"`
	Hash     string `gorm:"not null"`
}

// Roles returns ActorRoles as a list.
func (e *AuditEvent) Roles() []string {
	if e.ActorRoles == "" {
		return nil
	}
	return strings.Split(e.ActorRoles, ",")
}

// AuditLink is a position in the audit chain: an event's Seq and Hash. The
// tail link is what the next event chains to; a link written down outside
// the database is a checkpoint to verify the chain against later.
type AuditLink struct {
	// Seq is the event's place in the chain; Hash its hash.
	Seq  int64
	Hash string
}

// AuditAnchor is where verification of the audit chain starts: the first
// retained event and the PrevHash it must carry. Retention pruning removes
// the oldest events and moves the anchor forward in the same transaction;
// nothing else may change it.
type AuditAnchor struct {
	ID       int    `gorm:"primaryKey"`
	Seq      int64  `gorm:"not null"`
	PrevHash string `gorm:"not null"`
	MovedAt  time.Time
}

// TableName is the anchor's single-row table.
func (AuditAnchor) TableName() string { return "audit_chain_anchor" }

// AuditQuery selects one page of audit events, newest first. Empty fields
// do not filter.
type AuditQuery struct {
	// ActorID, SubjectID and Action match their columns exactly.
	ActorID   string
	SubjectID string
	Action    string
	// From is inclusive, To exclusive.
	From, To *time.Time
	// BeforeSeq is the Seq of the last event of the previous page; 0 for
	// the first page.
	BeforeSeq int64
	// Limit is how many events to return at most.
	Limit int
}
