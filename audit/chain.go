package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
)

// GenesisHash is the PrevHash of the first event ever recorded; the
// migration seeds the anchor with it.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// chainTag opens every encoded event: it keeps these hashes apart from any
// other SHA-256 use and versions the encoding, so that a keyed (HMAC) chain
// can later continue this one under another tag.
const chainTag = "xroshot-portal/audit-event/v1"

// Hash returns the hex SHA-256 of e's canonical encoding: the fields below,
// in this fixed order, each as an 8-byte big-endian length followed by its
// bytes; a nullable field is preceded by one byte, 0 for NULL and 1 for a
// value, so that NULL and "" differ. Times are UTC RFC 3339 with
// nanoseconds, as stored (microseconds). e.Hash itself is not covered;
// e.PrevHash is, which is what chains the events.
func Hash(e *models.AuditEvent) string {
	h := sha256.New()
	field(h, chainTag)
	field(h, strconv.FormatInt(e.Seq, 10))
	field(h, e.OccurredAt.UTC().Format(time.RFC3339Nano))
	field(h, e.ActorID)
	field(h, e.ActorRoles)
	nullable(h, e.ActingFor)
	field(h, e.Action)
	nullable(h, e.SubjectID)
	field(h, e.TargetType)
	field(h, e.TargetID)
	field(h, e.RequestID)
	field(h, e.ClientAddr)
	field(h, e.Details)
	field(h, e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

func field(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

func nullable(h hash.Hash, s *string) {
	if s == nil {
		h.Write([]byte{0})
		return
	}
	h.Write([]byte{1})
	field(h, *s)
}

// Reason says how the chain is broken.
type Reason string

// The ways verification finds the chain broken.
const (
	// ReasonHashMismatch: the event's fields no longer hash to its stored
	// hash — it was altered after it was written.
	ReasonHashMismatch Reason = "hash mismatch"
	// ReasonPrevLink: the event does not chain to the one before (or to the
	// anchor) — the one before was altered and re-hashed, or replaced.
	ReasonPrevLink Reason = "prev link broken"
	// ReasonGap: the event with this seq is missing — it was deleted.
	ReasonGap Reason = "gap"
	// ReasonCheckpoint: the event does not match a checkpoint taken
	// earlier — the chain was rewritten or cut behind it.
	ReasonCheckpoint Reason = "checkpoint mismatch"
	// ReasonEmpty: no event is stored, yet events were appended — the
	// chain was emptied (pruning always keeps the newest event).
	ReasonEmpty Reason = "chain emptied"
	// ReasonTruncated: the newest event ever appended (the chain's head)
	// is missing — the chain was cut at the tail.
	ReasonTruncated Reason = "chain cut at the tail"
	// ReasonHead: the event at the chain's head is not the one appended
	// there — the tail was rewritten.
	ReasonHead Reason = "head mismatch"
	// ReasonAnchor: the anchor is not where the latest recorded pruning
	// left it, or that pruning moved it past events younger than the
	// trail's retention — the anchor was moved and the events before it
	// deleted by hand.
	ReasonAnchor Reason = "anchor moved without a pruning that allows it"
)

// Break is where and why the chain is broken.
type Break struct {
	// Seq is the first event found unsound (or missing).
	Seq    int64
	Reason Reason
}

// String reads "seq N: reason", for logs and messages.
func (b *Break) String() string { return fmt.Sprintf("seq %d: %s", b.Seq, b.Reason) }

// Report is the outcome of a verification.
type Report struct {
	// From is the first seq checked.
	From int64
	// Checked counts the events found sound.
	Checked int64
	// Head is the last event found sound, zero if none: write it down
	// outside the database to verify later from it (VerifySince).
	Head models.AuditLink
	// Break is the first break found; nil when the chain verifies.
	Break *Break
}

// OK reports whether the chain verified.
func (r Report) OK() bool { return r.Break == nil }

// DefaultBatch is how many events verification reads at a time when the
// caller does not say; MaxBatch bounds what a caller may ask.
const (
	DefaultBatch = 1000
	MaxBatch     = 10_000
)

// Verify walks the chain from seq from (from the anchor, the first retained
// event, when from is 0 or before it) to the tail, reading batch events at
// a time so memory stays flat however long the chain. It stops at the
// first break. Starting after the anchor trusts the event before from, as
// a check resumed from an earlier verification does; that event's own
// hash is still checked. The error is for failures to read, never for a
// broken chain: that is in the report.
func (t *Trail) Verify(ctx context.Context, from int64, batch int) (Report, error) {
	head, err := t.store.AuditHead(ctx)
	if err != nil {
		return Report{}, err
	}
	rep, err := t.verify(ctx, from, batch)
	if err != nil || !rep.OK() {
		return rep, err
	}
	return t.checkEnds(ctx, rep, head)
}

func (t *Trail) verify(ctx context.Context, from int64, batch int) (Report, error) {
	anchor, err := t.store.AuditAnchor(ctx)
	if err != nil {
		return Report{}, err
	}
	if from <= anchor.Seq {
		rep, err := t.walk(ctx, anchor.Seq, anchor.PrevHash, batch)
		if err == nil && rep.OK() && rep.Checked == 0 && anchor.Seq > 1 {
			// Pruning always keeps the newest event, so an empty chain
			// after the anchor was emptied by hand.
			rep.Break = &Break{Seq: anchor.Seq, Reason: ReasonGap}
		}
		return rep, err
	}
	before, err := t.store.AuditEvent(ctx, from-1)
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		// Past the tail there is nothing to check; before it, a hole.
		later, err := t.store.AuditChain(ctx, from-1, 1)
		if err != nil || len(later) == 0 {
			return Report{From: from}, err
		}
		return Report{From: from - 1, Break: &Break{Seq: from - 1, Reason: ReasonGap}}, nil
	case err != nil:
		return Report{}, err
	case Hash(before) != before.Hash:
		return Report{From: from - 1, Break: &Break{Seq: from - 1, Reason: ReasonHashMismatch}}, nil
	}
	return t.walk(ctx, from, before.Hash, batch)
}

// VerifySince checks that the event at checkpoint cp — a head written down
// outside the database by an earlier verification — still has the hash
// noted then, and walks the chain on from it. This is what detects a chain
// rewritten wholesale or cut at the tail by someone able to bypass the
// database's guards. A checkpoint older than the anchor has been pruned
// away; the walk then starts at the anchor.
func (t *Trail) VerifySince(ctx context.Context, cp models.AuditLink, batch int) (Report, error) {
	head, err := t.store.AuditHead(ctx)
	if err != nil {
		return Report{}, err
	}
	rep, err := t.verifySince(ctx, cp, batch)
	if err != nil || !rep.OK() {
		return rep, err
	}
	return t.checkEnds(ctx, rep, head)
}

func (t *Trail) verifySince(ctx context.Context, cp models.AuditLink, batch int) (Report, error) {
	anchor, err := t.store.AuditAnchor(ctx)
	if err != nil {
		return Report{}, err
	}
	if cp.Seq < anchor.Seq {
		return t.verify(ctx, 0, batch)
	}
	e, err := t.store.AuditEvent(ctx, cp.Seq)
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		return Report{From: cp.Seq, Break: &Break{Seq: cp.Seq, Reason: ReasonCheckpoint}}, nil
	case err != nil:
		return Report{}, err
	case e.Hash != cp.Hash:
		return Report{From: cp.Seq, Break: &Break{Seq: cp.Seq, Reason: ReasonCheckpoint}}, nil
	case Hash(e) != e.Hash:
		return Report{From: cp.Seq, Break: &Break{Seq: cp.Seq, Reason: ReasonHashMismatch}}, nil
	}
	rep, err := t.walk(ctx, cp.Seq+1, cp.Hash, batch)
	if rep.Checked == 0 && rep.OK() {
		rep.Head = cp
	}
	return rep, err
}

// checkEnds checks a chain whose links verified against its two ends: the
// head — the newest event ever appended, read before the walk — must still
// be stored with the hash it was appended with (else the chain was emptied
// or cut at the tail), and an anchor that moved must sit where the latest
// recorded pruning left it, past events all older than the retention
// (else it was moved, and the events before it deleted, by hand).
func (t *Trail) checkEnds(ctx context.Context, rep Report, head models.AuditLink) (Report, error) {
	anchor, err := t.store.AuditAnchor(ctx)
	if err != nil {
		return rep, err
	}
	if head.Seq > 0 {
		e, err := t.store.AuditEvent(ctx, head.Seq)
		switch {
		case errors.Is(err, apperr.ErrNotFound) && anchor.Seq > head.Seq:
			// Pruned since the head was read, behind newer events.
		case errors.Is(err, apperr.ErrNotFound):
			reason := ReasonTruncated
			if left, err := t.store.AuditChain(ctx, 0, 1); err != nil {
				return rep, err
			} else if len(left) == 0 {
				reason = ReasonEmpty
			}
			rep.Break = &Break{Seq: head.Seq, Reason: reason}
			return rep, nil
		case err != nil:
			return rep, err
		case e.Hash != head.Hash:
			rep.Break = &Break{Seq: head.Seq, Reason: ReasonHead}
			return rep, nil
		}
	}
	if anchor.Seq <= 1 {
		return rep, nil
	}
	ok, err := t.anchorPruned(ctx, anchor)
	if err != nil || ok {
		return rep, err
	}
	rep.Break = &Break{Seq: anchor.Seq, Reason: ReasonAnchor}
	return rep, nil
}

// anchorPruned reports whether the latest audit.prune event accounts for
// the anchor: it is intact, names this anchor, its cutoff lies at least
// the retention before it, and the anchor's event is the first at or
// after that cutoff — or the newest event when it was recorded, which
// pruning always keeps.
func (t *Trail) anchorPruned(ctx context.Context, anchor models.AuditAnchor) (bool, error) {
	ps, err := t.store.ListAuditEvents(ctx, models.AuditQuery{Action: ActionAuditPrune, Limit: 1})
	if err != nil || len(ps) == 0 {
		return false, err
	}
	p := ps[0]
	var d struct {
		AnchorSeq int64     `json:"anchorSeq"`
		Before    time.Time `json:"before"`
	}
	if Hash(p) != p.Hash || json.Unmarshal([]byte(p.Details), &d) != nil {
		return false, nil
	}
	if p.Seq < anchor.Seq || d.AnchorSeq != anchor.Seq || d.Before.After(p.OccurredAt.AddDate(-RetentionYears, 0, 0)) {
		return false, nil
	}
	a, err := t.store.AuditEvent(ctx, anchor.Seq)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !a.OccurredAt.Before(d.Before) || a.Seq == p.Seq-1, nil
}

// walk checks events from seq next on, expecting the first to chain to prev.
func (t *Trail) walk(ctx context.Context, next int64, prev string, batch int) (Report, error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	batch = min(batch, MaxBatch)
	rep := Report{From: next}
	for {
		rows, err := t.store.AuditChain(ctx, next, batch)
		if err != nil {
			return rep, err
		}
		for _, e := range rows {
			if e.Seq != next {
				// Retention pruning running meanwhile may have moved the
				// anchor past next: then the walk resumes at the anchor.
				a, err := t.store.AuditAnchor(ctx)
				if err != nil {
					return rep, err
				}
				if a.Seq > next && a.Seq <= e.Seq {
					next, prev = a.Seq, a.PrevHash
				}
				if e.Seq != next {
					rep.Break = &Break{Seq: next, Reason: ReasonGap}
					return rep, nil
				}
			}
			if e.PrevHash != prev {
				rep.Break = &Break{Seq: e.Seq, Reason: ReasonPrevLink}
				return rep, nil
			}
			if Hash(e) != e.Hash {
				rep.Break = &Break{Seq: e.Seq, Reason: ReasonHashMismatch}
				return rep, nil
			}
			rep.Checked++
			rep.Head = models.AuditLink{Seq: e.Seq, Hash: e.Hash}
			next, prev = e.Seq+1, e.Hash
		}
		if len(rows) < batch {
			return rep, nil
		}
	}
}
