// Package audit keeps the portal's audit trail: every read of a subscriber's
// data by staff and every change anywhere, with who acted, in which roles,
// for whom, on whose data, when, in which request and from where (docs/LAW.md,
// Security: staff access logs kept 2 years, tamper-evident, able to tell
// whose data a staff account read).
//
// Events form a hash chain. Each event has a gap-free sequence number and
// stores the SHA-256 of a canonical encoding of its own fields together with
// the hash of the event before it (see Hash). Appending serialises on the
// chain's tail inside the caller's transaction, so a change and its audit
// event commit or roll back together and concurrent replicas never fork the
// chain. The database itself refuses UPDATE and DELETE of events; the only
// deletion it allows is retention pruning of events older than 2 years,
// which moves the chain's anchor forward in the same transaction so that
// verification of what is kept still starts from a pinned hash. An insert
// trigger refuses any event that is not the next seq linked to the tail, so
// the chain cannot fork or gap even through a bug in a caller.
//
// # Threat model
//
// The chain detects, when Verify runs: an event altered in place (its hash
// no longer matches), an event removed (a gap in the sequence) or an event
// whose hash was recomputed after altering it (the next event's link
// breaks). The database triggers stop anyone who can only run ordinary SQL
// as the application does from altering or deleting events at all.
//
// Two more checks look at the chain's ends. The database keeps the head —
// the newest event ever appended — in a row of its own, moved forward by
// a trigger on every append: a chain emptied or cut at the tail no longer
// reaches it (ReasonEmpty, ReasonTruncated). And an anchor that moved must
// sit where the latest audit.prune event says pruning left it, past events
// all older than RetentionYears: an anchor moved forward by hand, with the
// events before it deleted, fails (ReasonAnchor) even where the database's
// guards let the statements through.
//
// It does not, on its own, detect an attacker who can disable the triggers
// (the table owner or a superuser) and then rewrites every event from the
// altered one to the tail, moving the head row with them: the rewritten
// chain is self-consistent. Nor does a plain hash stop anyone with
// INSERT rights from appending well-formed forged events. Two measures close
// these gaps, and the design leaves room for both:
//   - anchoring: write the head link (Report.Head, a seq and hash) to a log
//     outside the database's control — a WORM bucket, a transparency log,
//     the monthly access-log review itself — and verify later with
//     VerifySince from that checkpoint; a rewrite or truncation behind it
//     then no longer matches;
//   - keying: replace the plain hash by an HMAC whose key the database never
//     sees (PORTAL_AUDIT_KEY), so that rows cannot be forged or rewritten
//     without the key. The encoding is versioned (see Hash) so a keyed chain
//     can continue a plain one.
//
// Operationally, the application should connect as a role that does not own
// the audit tables, so that it cannot ALTER them to drop the triggers.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xroshot/portal/actor"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/reqctx"
)

// RetentionYears is how long audit events are kept: staff access logs of a
// carrier are kept 2 years (docs/LAW.md, Security). Pruning never removes an
// event younger than this.
const RetentionYears = 2

// Actions the portal records. Action names are dotted verbs, the noun
// first; new ones need no registration, but reusing these keeps the trail
// searchable.
const (
	ActionSubscriberRead      = "subscriber.read"
	ActionConsentSet          = "consent.set"
	ActionRequestFile         = "request.file"
	ActionRequestAssign       = "request.assign"
	ActionRequestComment      = "request.comment"
	ActionRequestResolve      = "request.resolve"
	ActionRequestWithdraw     = "request.withdraw"
	ActionPurgeRun            = "purge.run"
	ActionFeedUpsertSub       = "feed.upsert_subscriber"
	ActionFeedTerminateSub    = "feed.terminate_subscriber"
	ActionFeedAppendRecords   = "feed.append_records"
	ActionFeedSetBillingState = "feed.set_billing_state"
	ActionAuditPrune          = "audit.prune"
)

// Actor is who acted and from where: the principal of the request, or one
// of the portal's own jobs (System).
type Actor struct {
	// ID is who acted. For a guardian's delegated token it is the guardian
	// (act.sub), and ActingFor is the minor (sub).
	ID string
	// Roles are the roles of the token (or "system" for a job).
	Roles []string
	// ActingFor is the subscriber a delegated actor acted for.
	ActingFor string
	// RequestID and ClientAddr are empty outside an HTTP request.
	RequestID  string
	ClientAddr string
}

// By is how the trail records a: who acted (the guardian under a
// guardian's token, with the minor as ActingFor), the roles, and the request
// id and client address the HTTP edge put on ctx (reqctx).
func By(ctx context.Context, a actor.Actor) Actor {
	out := Actor{ID: a.Who(), RequestID: reqctx.RequestID(ctx), ClientAddr: reqctx.ClientAddr(ctx)}
	if a.ActsForMinor() {
		out.ActingFor = a.Subject
	}
	for _, r := range a.Roles {
		out.Roles = append(out.Roles, string(r))
	}
	return out
}

// FromContext returns the trail's record of the actor of the request in
// ctx (actor.From, put there by the HTTP edge): By of that actor. Without
// an actor the ID is empty, and Record refuses the event unless the caller
// names one.
func FromContext(ctx context.Context) Actor {
	a, _ := actor.From(ctx)
	return By(ctx, a)
}

// System is the actor for the portal's own jobs (the purge, retention
// pruning, a command), named "portal:<job>", with the request id and address
// of ctx if there are any.
func System(ctx context.Context, job string) Actor {
	a := FromContext(ctx)
	if a.ID != "" {
		return a
	}
	a.ID, a.Roles = "portal:"+job, []string{string(actor.RoleSystem)}
	return a
}

// Event is what a caller records. Who acted comes from the context unless
// Actor is set; when it happened is the recorder's clock.
type Event struct {
	// Actor overrides FromContext; leave it zero inside a request.
	Actor Actor
	// Action is a dotted verb such as "subscriber.read" (see the Action
	// constants).
	Action string
	// Subject is the subscriber whose data was read or changed; "" for an
	// action on no one's personal data.
	Subject string
	// TargetType and TargetID name the object acted on ("request", its id).
	TargetType string
	TargetID   string
	// Details are a few flat facts about the action itself — counts,
	// codes of the portal's own vocabulary, ids — never a value or a state
	// that describes a person (a billing state, a subscriber's status, a
	// text): the trail is kept for two years and read by admins, and must
	// not become a copy of the data it protects. Only the keys of
	// DetailKeys are accepted, each with values of its kind.
	Details map[string]any
}

// Store is what recording needs from the caller's transaction. The gorm
// store implements it on every transaction handle, so a domain store that
// embeds it lets a service record inside its own transaction.
type Store interface {
	// AppendAuditEvent serialises on the chain's tail until the transaction
	// ends, passes the tail to build and inserts the event build returns.
	// Outside a transaction it opens one.
	AppendAuditEvent(ctx context.Context, build func(tail models.AuditLink) (*models.AuditEvent, error)) error
}

// Pseudonyms is implemented by stores that name subscribers in the trail by
// a pseudonymous marker rather than by their id (docs/POLICY.md §3: once a
// subscriber is erased, what may remain is a pseudonymous marker the trail
// refers to). The marker's link to the subscriber goes with the subscriber,
// so the events about them, kept for the trail's own two years, then name
// no one; the hash chain covers the marker, so nothing is rewritten.
type Pseudonyms interface {
	// AuditMarker returns the subscriber's marker, creating it on first
	// use, or the id itself when it names no subscriber.
	AuditMarker(ctx context.Context, subscriberID string) (string, error)
}

// pseudonymise replaces, in e, every mention of a subscriber by their
// marker: the subject, the subscriber a delegated actor acted for, the
// actor when subscribers act on their own data, and a subscriber target.
func pseudonymise(ctx context.Context, ps Pseudonyms, e *Event) error {
	memo := map[string]string{}
	mark := func(p *string) error {
		if *p == "" {
			return nil
		}
		if m, ok := memo[*p]; ok {
			*p = m
			return nil
		}
		m, err := ps.AuditMarker(ctx, *p)
		if err != nil {
			return err
		}
		memo[*p], *p = m, m
		return nil
	}
	subject := e.Subject
	if subject != "" && e.Actor.ID == subject {
		if err := mark(&e.Actor.ID); err != nil {
			return err
		}
	}
	if e.TargetType == "subscriber" {
		if err := mark(&e.TargetID); err != nil {
			return err
		}
	}
	if err := mark(&e.Subject); err != nil {
		return err
	}
	return mark(&e.Actor.ActingFor)
}

// ErrNoActor is returned for an event with no actor: a background job must
// name itself with System.
var ErrNoActor = errors.New("audit: event has no actor")

// Recorder appends events to the chain.
type Recorder struct {
	clock clock.Clock
}

// NewRecorder returns a recorder stamping events with c.
func NewRecorder(c clock.Clock) *Recorder {
	if c == nil {
		c = clock.Real{}
	}
	return &Recorder{clock: c}
}

// Record appends e to the chain inside tx, the caller's transaction, so the
// change and its event commit together. Call it last in the transaction:
// on PostgreSQL it holds the chain's lock until commit, and every audited
// write in the portal waits on that lock. An error means nothing may be
// committed: an action that cannot be audited must not happen. On
// PostgreSQL the transaction must be READ COMMITTED (the default): a
// snapshot taken before the lock sees a stale tail, and the append then
// fails with a conflict rather than fork the chain.
func (r *Recorder) Record(ctx context.Context, tx Store, e Event) error {
	if e.Actor.ID == "" {
		e.Actor = FromContext(ctx)
	}
	if ps, ok := tx.(Pseudonyms); ok {
		if err := pseudonymise(ctx, ps, &e); err != nil {
			return err
		}
	}
	row, err := newRow(e)
	if err != nil {
		return err
	}
	return tx.AppendAuditEvent(ctx, func(tail models.AuditLink) (*models.AuditEvent, error) {
		// Stamped and numbered under the lock, so seq and time agree in
		// order on one clock.
		row.Seq = tail.Seq + 1
		row.PrevHash = tail.Hash
		row.OccurredAt = clock.Stored(r.clock.Now())
		row.Hash = Hash(row)
		return row, nil
	})
}

var (
	validAction     = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	validTargetType = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	validDetailKey  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// Field limits keep the trail small and events readable.
const (
	maxNameLen    = 64
	maxIDLen      = 256
	maxDetailsLen = 2048
)

// newRow validates e and turns it into an unchained row.
func newRow(e Event) (*models.AuditEvent, error) {
	a := e.Actor
	if a.ID == "" {
		return nil, ErrNoActor
	}
	if len(e.Action) > maxNameLen || !validAction.MatchString(e.Action) {
		return nil, fmt.Errorf("audit: action %q is not a dotted verb", e.Action)
	}
	if len(e.TargetType) > maxNameLen || !validTargetType.MatchString(e.TargetType) {
		return nil, fmt.Errorf("audit: target type %q is not a lowercase name", e.TargetType)
	}
	for _, s := range []string{a.ID, a.ActingFor, e.Subject, e.TargetID, a.RequestID, a.ClientAddr} {
		if len(s) > maxIDLen || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return nil, fmt.Errorf("audit: an id of event %s is too long or not text", e.Action)
		}
	}
	details, err := encodeDetails(e.Details)
	if err != nil {
		return nil, fmt.Errorf("audit: details of %s: %w", e.Action, err)
	}
	roles := slices.Clone(a.Roles)
	slices.Sort(roles)
	roles = slices.Compact(roles)
	for _, r := range roles {
		if r == "" || strings.ContainsAny(r, ",\x00") || len(r) > maxNameLen {
			return nil, fmt.Errorf("audit: role %q cannot be recorded", r)
		}
	}
	return &models.AuditEvent{
		ActorID:    a.ID,
		ActorRoles: strings.Join(roles, ","),
		ActingFor:  optional(a.ActingFor),
		Action:     e.Action,
		SubjectID:  optional(e.Subject),
		TargetType: e.TargetType,
		TargetID:   e.TargetID,
		RequestID:  a.RequestID,
		ClientAddr: a.ClientAddr,
		Details:    details,
	}, nil
}

// encodeDetails renders details as a JSON object with sorted keys. Every
// key must be one of DetailKeys and its value of that key's kind (see
// checkDetail): the trail is kept two years and read by admins, and an
// allow-list is what keeps a future call from writing a value about a
// person (a billing state, a name, a note) into it.
func encodeDetails(d map[string]any) (string, error) {
	for k, v := range d {
		if !validDetailKey.MatchString(k) || len(k) > maxNameLen {
			return "", fmt.Errorf("key %q is not a name", k)
		}
		if err := checkDetail(k, v); err != nil {
			return "", err
		}
	}
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	if len(b) > maxDetailsLen {
		return "", fmt.Errorf("%d bytes, more than %d", len(b), maxDetailsLen)
	}
	return string(b), nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
