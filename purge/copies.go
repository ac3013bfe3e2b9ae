package purge

import (
	"context"
	"fmt"
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// Copies go with their data (docs/POLICY.md, "Reading of the rules"; issue 13).
// Besides holdings and records, a full run erases what copies them:
//
//   - A data-subject request and its correspondence are consumer-complaint
//     records (COMPLAINT_RECORDS, counted from the request's resolution or
//     withdrawal by the retention calculus, as for a COMPLAINT record). When
//     that clause ends the request is deleted whole — with its events and
//     comments, per-item outcomes and access export. Nothing else needs the
//     row by then: the holds it placed were released when it closed and name
//     it by id only, as the audit trail does.
//   - Before that, as soon as a subscriber has no holding and no record
//     left, their requests keep only their structure (type, status, dates,
//     codes: the complaint record itself): every free text — reason,
//     resolution and extension texts, comments and notes — the verification
//     reference and a correction's proposed value are erased, since a text
//     may quote the data and must not outlive it.
//   - Outbox notices are deleted NoticeProofWindow after delivery (long
//     enough to answer "was I told?"; the delivery log goes with them and
//     never held the payload), DeadNoticeWindow after the deliverer gave up
//     on them, and at once, delivered or not, when their subscriber has no
//     data left.
//
// Each is counted in the run's tally under type REQUEST or NOTICE, with the
// clause (or one of the Copy… reasons below) and the request type or
// notice kind as code.

// The windows after which outbox notices are deleted, unless the service is
// told otherwise (SetNoticeWindows; PORTAL_NOTICE_PROOF_WINDOW and
// PORTAL_DEAD_NOTICE_WINDOW).
const (
	DefaultNoticeProofWindow = 30 * 24 * time.Hour
	DefaultDeadNoticeWindow  = 90 * 24 * time.Hour
)

// The reasons a copy goes, as they appear in the clause column of a run's
// tally for copies no catalog clause governs.
const (
	// CopyWithData: the subscriber has no data left.
	CopyWithData = "WITH_DATA"
	// CopyNoticeProof: a delivered notice past its proof window.
	CopyNoticeProof = "NOTICE_PROOF"
	// CopyDeadNotice: a dead notice past its window.
	CopyDeadNotice = "NOTICE_DEAD"
)

// complaintKind is the record kind whose clause governs the portal's own
// requests.
const complaintKind = "COMPLAINT"

// NoticeReason is why the store deleted an outbox notice.
type NoticeReason string

// The reasons DeleteSpentNotices deletes notices.
const (
	NoticeDelivered NoticeReason = CopyNoticeProof
	NoticeDead      NoticeReason = CopyDeadNotice
	NoticeNoData    NoticeReason = CopyWithData
)

// RequestKey is a closed request's place in the walk of closed requests.
type RequestKey struct {
	ResolvedAt time.Time
	ID         string
}

// ClosedRequest is a request that was resolved or withdrawn.
type ClosedRequest struct {
	ID           string
	SubscriberID string
	Type         string
	ResolvedAt   time.Time
}

// CopyStore is what erasing copies needs from the store.
type CopyStore interface {
	// ClosedRequests returns up to limit requests closed at or before
	// before, after after, by (resolved_at, id).
	ClosedRequests(ctx context.Context, before time.Time, after *RequestKey, limit int) ([]ClosedRequest, error)
	// DeleteRequests deletes requests whole and counts them per type.
	DeleteRequests(ctx context.Context, ids []string) (map[string]int64, error)
	// ScrubRequestTexts erases the texts of the requests of subscribers
	// with no data left and counts them per type.
	ScrubRequestTexts(ctx context.Context) (map[string]int64, error)
	// DeleteSpentNotices deletes notices delivered at or before delivered,
	// dead at or before dead, and those of subscribers with no data left,
	// limit rows a statement, counted per reason and kind.
	DeleteSpentNotices(ctx context.Context, delivered, dead time.Time, limit int) (map[NoticeReason]map[string]int64, error)
}

// SetNoticeWindows sets how long delivered and dead notices are kept; zero
// keeps the default. Call it before the first run.
func (s *Service) SetNoticeWindows(proof, dead time.Duration) {
	if proof > 0 {
		s.noticeProof = proof
	}
	if dead > 0 {
		s.deadNotice = dead
	}
}

// eraseCopies erases the copies due at now and tallies them in t.
func (s *Service) eraseCopies(ctx context.Context, t *tally, now time.Time, batch int) error {
	if err := s.eraseClosedRequests(ctx, t, now, batch); err != nil {
		return err
	}
	scrubbed, err := s.store.ScrubRequestTexts(ctx)
	if err != nil {
		return err
	}
	for typ, n := range scrubbed {
		t.add(CopyWithData, models.ItemRequest, typ, n, 0)
	}
	// Each batch of notices goes in one statement of its own.
	gone, err := s.store.DeleteSpentNotices(ctx, now.Add(-s.noticeProof), now.Add(-s.deadNotice), batch)
	for why, kinds := range gone {
		for kind, n := range kinds {
			t.add(string(why), models.ItemNotice, kind, n, 0)
		}
	}
	return err
}

// eraseClosedRequests deletes the requests whose complaint-records clause
// has ended. Candidates are read a little before the clause could end by
// the calendar; the calculus then decides each one.
func (s *Service) eraseClosedRequests(ctx context.Context, t *tally, now time.Time, batch int) error {
	longest, err := s.complaintPeriod()
	if err != nil {
		return err
	}
	// Closed before this, a request may be due; the two days cover the
	// counting of the first and last days in Korea.
	before := policy.Period{Years: -longest.Years, Months: -longest.Months, Days: -longest.Days}.AddTo(now).Add(48 * time.Hour)
	var after *RequestKey
	for {
		page, err := s.store.ClosedRequests(ctx, before, after, batch)
		if err != nil {
			return err
		}
		var due []string
		clauseOf := map[string]string{}
		for _, r := range page {
			end, clause, err := s.complaintEnd(r.ResolvedAt, now)
			if err != nil {
				return err
			}
			if !end.After(now) {
				due = append(due, r.ID)
				clauseOf[r.Type] = clause
			}
		}
		if len(due) > 0 {
			err := s.store.InTx(ctx, func(tx Store) error {
				gone, err := tx.DeleteRequests(ctx, due)
				for typ, n := range gone {
					t.add(clauseOf[typ], models.ItemRequest, typ, n, 0)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		if len(page) < batch {
			return nil
		}
		last := page[len(page)-1]
		after = &RequestKey{ResolvedAt: last.ResolvedAt, ID: last.ID}
	}
}

// complaintEnd is when the statute clauses of a complaint record made at
// closed end — the last of them — by the retention calculus, and the
// clause that ends last.
func (s *Service) complaintEnd(closed, now time.Time) (time.Time, string, error) {
	a, err := s.ret.Assess(retention.Subject{SignedUpAt: closed}, retention.Item{RecordKind: complaintKind, CollectedAt: closed}, now)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("purge: the complaint-records clause: %w", err)
	}
	var end time.Time
	clause := ""
	for _, sp := range a.Clauses {
		if sp.Clause.StatuteOnly && sp.End != nil && sp.End.After(end) {
			end, clause = *sp.End, sp.Clause.Code
		}
	}
	if clause == "" {
		return time.Time{}, "", fmt.Errorf("purge: the catalog keeps %s records under no statute clause with an end", complaintKind)
	}
	return end, clause, nil
}

// complaintPeriod is the longest duration of the statute clauses that keep
// complaint records.
func (s *Service) complaintPeriod() (policy.Period, error) {
	var longest policy.Period
	found := false
	if kind, ok := s.cat.RecordKind(complaintKind); ok {
		for _, code := range kind.Clauses {
			cl, ok := s.cat.Clause(code)
			if !ok || !cl.StatuteOnly {
				continue
			}
			if !found || cl.Duration.AddTo(time.Time{}).After(longest.AddTo(time.Time{})) {
				longest, found = cl.Duration, true
			}
		}
	}
	if !found {
		return longest, fmt.Errorf("purge: the catalog keeps %s records under no statute clause", complaintKind)
	}
	return longest, nil
}
