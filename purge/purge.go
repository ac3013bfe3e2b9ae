// Package purge is the retention engine's hand: it erases every holding and
// record whose stored purge date has passed and that no active hold covers,
// and records proof of what it did — when, by whom, how many per clause and
// category, how many it skipped because held — never the erased values.
//
// What is erased. The purge date stored on a row is the end of the latest of
// its clauses (the retention calculus' PurgeAfter), so a row is only due when
// no clause keeps any part of it: rows are deleted whole. Data that only a
// statute still keeps (state RETAINED_BY_STATUTE) is not due: each run
// first moves it apart (statute.go), where it is used for nothing else and
// shown to the subscriber as kept under its law, until its own clause ends;
// it is then erased there like anything else. The clause an item is erased
// under is the governing clause of its assessment, stored beside the date
// (purge_clause).
//
// How. A run walks the due rows in (purge_after, subscriber, id) order, in
// batches, each batch one transaction of two statements, and reads and
// writes each row once. The first takes the purge's batch lock (one batch
// at a time across runs and replicas: a run that finds it taken waits for
// the batch in progress and reads after it, so no row is erased twice or
// passed by both), reads the keys of the next due rows and locks their
// subscribers against hold placement (FOR KEY SHARE SKIP LOCKED on
// PostgreSQL: a subscriber whose hold is being placed right now is
// skipped, and a later run takes its rows). It locks no row. The second,
// with a snapshot taken after those locks — so a hold committed before
// them is seen, and none can commit until the batch does — deletes the
// rows of that range and those subscribers that are still due and that no
// active hold covers, records the erasures per subscriber, category or
// kind and clause, and counts the held rows it passed. A run killed at any
// point leaves every batch either done and recorded, or not done at all;
// the next run finishes the work. The walk resumes after the last row of
// each batch, so held rows are read once a run.
//
// Proof. Every run is audited when it starts and when it ends, with its
// tally (counts per clause, type and code, never values; proof.go). While
// it runs it renews a heartbeat; a run whose process died stays RUNNING
// until the next run finds its heartbeat older than LeaseTTL and marks it
// ABORTED, with the tally its recorded erasures prove, audited too. A full
// run then erases the copies that go with the data (copies.go) and prunes
// the audit trail past its retention, so the scheduler, the purge command
// and runPurge all keep the trail's own two years.
package purge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// Batch sizes: the default, and the largest a run accepts, which bounds the
// memory and the locks of one transaction.
const (
	DefaultBatchSize = 5000
	MaxBatchSize     = 20000
)

// MaxClockAhead is how far the clock may run ahead of the database's before
// a run is refused: a clock in the future would erase early.
const MaxClockAhead = 24 * time.Hour

// ClockTolerance is how far the clock may read before the start of the
// latest finished run, so replicas whose clocks differ by NTP's margin do
// not refuse each other's schedule.
const ClockTolerance = time.Minute

// ErrClockSkew is returned (with a CONFLICT error carrying the details)
// when the clock is before the latest finished run or too far ahead of the
// database's: nothing is erased.
var ErrClockSkew = errors.New("purge: clock skew")

// Store is what the purge reads and writes. Each batch runs its methods
// inside one InTx.
type Store interface {
	// Outlook reads the database's clock, the start of the latest finished
	// run and which types have rows due at now, in one statement.
	Outlook(ctx context.Context, now time.Time) (Outlook, error)
	CreatePurgeRun(ctx context.Context, r *models.PurgeRun) error
	FinishPurgeRun(ctx context.Context, r *models.PurgeRun, counts []models.PurgeRunCount) error
	// GuardDue takes the purge's batch lock for the transaction (Busy,
	// and nothing read, if another run's batch holds it), reads the range
	// of up to q.Limit rows due at q.Now after q.After, and locks the
	// subscribers of the range against hold placement until the
	// transaction ends, skipping any that is having a hold placed.
	GuardDue(ctx context.Context, q DueQuery) (Due, error)
	// EraseDue deletes the rows of b's range and subscribers that are due
	// at b.Now and that no active hold covers — the holds read after
	// GuardDue's locks — records them as erasures, in the transaction,
	// and returns how many it erased and how many held rows it passed,
	// per clause and code.
	EraseDue(ctx context.Context, b Batch) ([]Count, error)
	// CountDue counts due rows per clause and category or kind, for dry
	// runs.
	CountDue(ctx context.Context, q DueQuery) ([]DueCount, error)
	ListErasures(ctx context.Context, subscriberID string, limit int) ([]models.Erasure, error)
	// HasStalePurgeRuns reports whether a RUNNING run's heartbeat is older
	// than staleBefore.
	HasStalePurgeRuns(ctx context.Context, staleBefore time.Time) (bool, error)
	// RenewPurgeLease records that run id's process is alive at at.
	RenewPurgeLease(ctx context.Context, id int64, at time.Time) error
	// AbortStalePurgeRuns marks ABORTED the RUNNING runs whose heartbeat
	// is older than staleBefore, each with the tally of its recorded
	// erasures, and returns them; call it in a transaction.
	AbortStalePurgeRuns(ctx context.Context, staleBefore time.Time) ([]Aborted, error)
	// audit.Store records each run's start and end in the transaction that
	// writes them.
	audit.Store
	// AuditLog is the store as the audit trail needs it: each run also
	// prunes the trail past its retention.
	AuditLog() audit.LogStore
	// DeleteExpiredExports deletes the access exports that expired by now:
	// a copy of the data lives no longer than it can be downloaded.
	DeleteExpiredExports(ctx context.Context, now time.Time) (int64, error)
	// CopyStore erases the copies that go with the data.
	CopyStore
	// SubscriberStore erases subscribers with nothing left (subscribers.go).
	SubscriberStore
	// StatuteStore moves apart what only a statute keeps (statute.go).
	StatuteStore
	InTx(ctx context.Context, fn func(tx Store) error) error
}

// Outlook is what a run checks before it starts.
type Outlook struct {
	DatabaseNow time.Time
	// LastStart is when the latest finished run started; nil if none.
	LastStart *time.Time
	// Due tells, per type, whether any row in use is due, and DueApart
	// whether any row kept apart is.
	Due, DueApart map[models.ItemType]bool
}

// DueQuery selects due rows of one type.
type DueQuery struct {
	Type models.ItemType
	// Now is the instant due-ness is judged at: purge_after <= Now.
	Now time.Time
	// Clauses keeps only rows erased under one of them; empty for all.
	Clauses []string
	// After resumes the walk after this key; nil from the start.
	After *Key
	Limit int
	// Apart walks the rows kept apart because only a statute kept them
	// (statute.go), rather than those in use.
	Apart bool
}

// Key is a due row's place in the purge's walk: (purge_after,
// subscriber_id, id).
type Key struct {
	PurgeAfter   time.Time
	SubscriberID string
	HoldingID    string
	RecordID     int64
}

// Due is the range of due rows one batch works on, as GuardDue read it.
type Due struct {
	// Busy is set when another run's batch held the purge's batch lock:
	// nothing was read; try again once it is done.
	Busy bool
	// Rows is how many due rows the range holds; fewer than the limit
	// asked for ends the walk.
	Rows int
	// Last is the key of the range's last row, after which the walk
	// resumes; nil when Rows is 0.
	Last *Key
	// Subscribers are the subscribers of the range locked against hold
	// placement: EraseDue works on their rows.
	Subscribers []string
	// Deferred is how many rows of the range belong to subscribers
	// having a hold placed at that moment: they are left for a later run.
	Deferred int
}

// Item is a row that only a statute keeps, to be moved apart: a holding
// (HoldingID) or a record (RecordID).
type Item struct {
	Type         models.ItemType
	SubscriberID string
	HoldingID    string
	RecordID     int64
	// Code is the holding's category or the record's kind.
	Code string
	// Clause is the clause the row is erased under.
	Clause string
	// Loc is where the store found the row, opaque to the purge and valid
	// only in the transaction that locked it (a ctid on PostgreSQL).
	Loc string
	// StatuteFrom is when only statute-only clauses began to keep it: its
	// place in the move's walk.
	StatuteFrom time.Time
}

// Batch is what one batch erases: the rows of one type after After up to
// Last, of Subscribers.
type Batch struct {
	Type  models.ItemType
	RunID int64
	// Now is the run's instant: rows still due at it are erased.
	Now time.Time
	// At is when the erasure happens, as recorded for the subscriber.
	At time.Time
	// Clauses keeps only rows erased under one of them; empty for all.
	Clauses []string
	// After is where the range starts (exclusive; nil from the start of
	// the walk) and Last where it ends (inclusive).
	After, Last *Key
	// Subscribers are those GuardDue locked.
	Subscribers []string
	// Apart is set for a batch of rows kept apart.
	Apart bool
}

// DueCount is how many due rows of one clause and category or kind there
// are: not held (erasable), and held.
type DueCount struct {
	Type         models.ItemType
	Clause, Code string
	Unheld, Held int64
}

// Options are the parameters of one run.
type Options struct {
	// DryRun counts what would be erased, and erases nothing.
	DryRun bool
	// Clauses limits the run to items erased under these clause codes;
	// empty for all.
	Clauses []string
	// Actor is who runs it: an admin's subject, "scheduler", "cli:…".
	Actor string
	// BatchSize is the number of rows per transaction; 0 for the default.
	BatchSize int
}

// Count is one line of a run's tally.
type Count struct {
	Clause string
	Type   models.ItemType
	// Code is the category (holdings) or record kind (records).
	Code string
	// Erased is how many were erased, or in a dry run would be.
	Erased int64
	// SkippedHeld is how many were due but covered by an active hold.
	SkippedHeld int64
}

// Report is what a run did.
type Report struct {
	RunID      int64
	Actor      string
	DryRun     bool
	Clauses    []string
	StartedAt  time.Time
	FinishedAt time.Time
	Outcome    models.PurgeOutcome
	// Counts are per clause, type and code, sorted in that order.
	Counts      []Count
	Erased      int64
	SkippedHeld int64
	// Deferred counts due rows passed because a hold was being placed on
	// their subscriber at that moment; a later run takes them (or the
	// hold does).
	Deferred int64
	// Batches is the number of batch transactions that committed.
	Batches int
	// AuditPruned is how many audit events past the trail's retention the
	// run pruned (none in a dry run).
	AuditPruned int64
	// ExportsDeleted counts the expired access exports the run deleted.
	ExportsDeleted int64
	// MovedApart is how many holdings and records the run moved apart
	// because only a statute keeps them now (statute.go; none in a dry
	// run).
	MovedApart int64
	// SubscribersErased is how many subscribers the run erased (or in a
	// dry run would erase) because nothing of theirs was left and their
	// proof records had served their time (subscribers.go).
	SubscribersErased int64
}

// Service runs purges.
type Service struct {
	store Store
	cat   *policy.Catalog
	clock clock.Clock
	// wall is the real clock the heartbeats and their staleness are read
	// on: whether a process is alive is a matter of real time, whatever
	// day the retention clock says it is.
	wall  clock.Clock
	rec   *audit.Recorder
	trail *audit.Trail
	// ret dates the copies no stored schedule dates: requests, as the
	// complaint records they are.
	ret *retention.Engine
	// noticeProof and deadNotice are how long delivered and dead outbox
	// notices are kept.
	noticeProof, deadNotice time.Duration
	// reschedule dates rows scheduled before statute_from was stored
	// (statute.go).
	reschedule Rescheduler
}

// New returns the purge service. Its runs are audited in the trail kept in
// s, and prune that trail past its retention.
func New(s Store, cat *policy.Catalog, c clock.Clock) *Service {
	return &Service{
		store: s, cat: cat, clock: c, wall: clock.Real{}, rec: audit.NewRecorder(c), trail: audit.New(s.AuditLog(), c),
		ret: retention.New(cat), noticeProof: DefaultNoticeProofWindow, deadNotice: DefaultDeadNoticeWindow,
	}
}

// Run erases what is due now and not held, or with DryRun counts it. Bad
// options are BAD_USER_INPUT and a skewed clock is CONFLICT (ErrClockSkew);
// both erase nothing. A run cut short by ctx or a lost connection returns
// its report so far with the error; every batch it reports is committed.
func (s *Service) Run(ctx context.Context, o Options) (*Report, error) {
	o, err := s.validate(o)
	if err != nil {
		return nil, err
	}
	now := clock.Stored(s.clock.Now())
	look, err := s.store.Outlook(ctx, now)
	if err != nil {
		return nil, err
	}
	if err := checkClock(look, now); err != nil {
		return nil, err
	}
	if err := s.abortStale(ctx); err != nil {
		return nil, fmt.Errorf("purge: mark runs whose process died: %w", err)
	}
	run := &models.PurgeRun{
		StartedAt: now, Outcome: models.PurgeRunning, Actor: o.Actor, DryRun: o.DryRun,
		Clauses: strings.Join(o.Clauses, ","), BatchSize: o.BatchSize,
	}
	if err := s.start(ctx, run, o.Clauses); err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	defer close(stop)
	go s.heartbeat(context.WithoutCancel(ctx), run.ID, stop)
	t := newTally()
	rep := &Report{RunID: run.ID, Actor: o.Actor, DryRun: o.DryRun, Clauses: o.Clauses, StartedAt: now}
	var runErr error
	// What only a statute keeps now moves apart first (statute.go): it is
	// not due, so the erasure below leaves it, and it is gone from every
	// other use before anything else runs.
	if !o.DryRun {
		rep.MovedApart, runErr = s.moveApart(ctx, now, o.BatchSize)
	}
walk:
	for _, apart := range []bool{false, true} {
		due := look.Due
		if apart {
			due = look.DueApart
		}
		for _, typ := range []models.ItemType{models.ItemHolding, models.ItemRecord} {
			switch {
			case runErr != nil:
				break walk
			case !due[typ]:
				continue
			case o.DryRun:
				runErr = s.count(ctx, t, typ, apart, now, o)
			default:
				runErr = s.erase(ctx, t, rep, typ, apart, now, o)
			}
		}
	}
	// Expired access exports go on every run that erases, limited or
	// not: their seven days are the export's own, under no clause.
	if runErr == nil && !o.DryRun {
		rep.ExportsDeleted, runErr = s.store.DeleteExpiredExports(ctx, now)
	}
	// Copies are erased by full runs: a run limited to some clauses erases
	// only what those clauses govern, and a dry run nothing.
	if runErr == nil && !o.DryRun && len(o.Clauses) == 0 {
		runErr = s.eraseCopies(ctx, t, now, o.BatchSize)
	}
	// Subscribers last: the items this run erased may have been their
	// last. A run limited to some clauses leaves them to a full run.
	if runErr == nil && len(o.Clauses) == 0 {
		rep.SubscribersErased, runErr = s.eraseSubscribers(ctx, now, o.DryRun)
	}
	var pruneErr error
	if runErr == nil && !o.DryRun {
		if rep.AuditPruned, pruneErr = s.pruneAudit(ctx, now, look.DatabaseNow); pruneErr != nil {
			pruneErr = fmt.Errorf("purge run %d: prune the audit trail: %w", run.ID, pruneErr)
		}
	}
	return rep, errors.Join(s.finish(ctx, run, rep, t, runErr), pruneErr)
}

func (s *Service) validate(o Options) (Options, error) {
	o.Actor = strings.TrimSpace(o.Actor)
	if o.Actor == "" || len(o.Actor) > 128 {
		return o, apperr.BadInput("actor", "who runs the purge is required (1 to 128 characters)")
	}
	switch {
	case o.BatchSize == 0:
		o.BatchSize = DefaultBatchSize
	case o.BatchSize < 0 || o.BatchSize > MaxBatchSize:
		return o, apperr.BadInput("batchSize", "must be between 1 and %d", MaxBatchSize)
	}
	var clauses []string
	for i, c := range o.Clauses {
		if _, ok := s.cat.Clause(c); !ok {
			return o, apperr.BadInput(fmt.Sprintf("clauses[%d]", i), "unknown clause %q", c)
		}
		if !slices.Contains(clauses, c) {
			clauses = append(clauses, c)
		}
	}
	slices.Sort(clauses)
	o.Clauses = clauses
	return o, nil
}

// checkClock refuses a clock that runs too far ahead of the database's, or
// that reads before the start of the latest finished run (the clock went
// back): either would erase by a wrong notion of today.
func checkClock(look Outlook, now time.Time) error {
	if now.After(look.DatabaseNow.Add(MaxClockAhead)) {
		return fmt.Errorf("%w: %w", ErrClockSkew, apperr.Conflict(
			"the clock reads %s, more than %s ahead of the database's %s; refusing to purge",
			now.Format(time.RFC3339), MaxClockAhead, look.DatabaseNow.Format(time.RFC3339)))
	}
	if look.LastStart != nil && now.Before(look.LastStart.Add(-ClockTolerance)) {
		return fmt.Errorf("%w: %w", ErrClockSkew, apperr.Conflict(
			"the clock reads %s, before the start of the last finished purge run at %s; refusing to purge with a clock that went back",
			now.Format(time.RFC3339), look.LastStart.Format(time.RFC3339)))
	}
	return nil
}

// busyWait is how long a run waits before it tries again for the batch
// lock another run's batch holds: a batch takes a fraction of a second.
const busyWait = 20 * time.Millisecond

// erase walks the due rows of one type, in use or kept apart, in batches
// until none is left.
func (s *Service) erase(ctx context.Context, t *tally, rep *Report, typ models.ItemType, apart bool, now time.Time, o Options) error {
	var after *Key
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			due    Due
			counts []Count
		)
		err := s.store.InTx(ctx, func(tx Store) error {
			var err error
			due, counts = Due{}, nil
			due, err = tx.GuardDue(ctx, DueQuery{Type: typ, Now: now, Clauses: o.Clauses, After: after, Limit: o.BatchSize, Apart: apart})
			if err != nil || due.Busy || len(due.Subscribers) == 0 {
				return err
			}
			counts, err = tx.EraseDue(ctx, Batch{Type: typ, RunID: rep.RunID, Now: now, At: s.clock.Now(), Clauses: o.Clauses,
				After: after, Last: due.Last, Subscribers: due.Subscribers, Apart: apart})
			return err
		})
		if err != nil {
			return err
		}
		if due.Busy {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(busyWait):
			}
			continue
		}
		if due.Rows > 0 {
			rep.Batches++
			rep.Deferred += int64(due.Deferred)
			for _, c := range counts {
				t.add(c.Clause, typ, c.Code, c.Erased, c.SkippedHeld)
			}
		}
		if due.Rows < o.BatchSize {
			return nil
		}
		after = due.Last
	}
}

// count tallies the due rows of one type for a dry run, as would-be
// erasures and skips.
func (s *Service) count(ctx context.Context, t *tally, typ models.ItemType, apart bool, now time.Time, o Options) error {
	cs, err := s.store.CountDue(ctx, DueQuery{Type: typ, Now: now, Clauses: o.Clauses, Apart: apart})
	if err != nil {
		return err
	}
	for _, c := range cs {
		t.add(c.Clause, typ, c.Code, c.Unheld, c.Held)
	}
	return nil
}

// finish records the run's outcome and tally, even when ctx was cancelled:
// the proof of the batches that committed must not be lost with it.
func (s *Service) finish(ctx context.Context, run *models.PurgeRun, rep *Report, t *tally, runErr error) error {
	rep.Counts = t.sorted()
	for _, c := range rep.Counts {
		rep.Erased += c.Erased
		rep.SkippedHeld += c.SkippedHeld
	}
	rep.Outcome = models.PurgeFinished
	switch {
	// A driver may answer a cancelled statement with its own error (SQLite's
	// "interrupted") rather than ctx's: the run was still interrupted.
	case errors.Is(runErr, context.Canceled), errors.Is(runErr, context.DeadlineExceeded),
		runErr != nil && ctx.Err() != nil:
		rep.Outcome = models.PurgeInterrupted
	case runErr != nil:
		rep.Outcome = models.PurgeFailed
	}
	rep.FinishedAt = clock.Stored(s.clock.Now())
	if rep.FinishedAt.Before(rep.StartedAt) {
		rep.FinishedAt = rep.StartedAt
	}
	run.FinishedAt, run.Outcome, run.Erased, run.SkippedHeld = &rep.FinishedAt, rep.Outcome, rep.Erased, rep.SkippedHeld
	counts := make([]models.PurgeRunCount, len(rep.Counts))
	for i, c := range rep.Counts {
		counts[i] = models.PurgeRunCount{RunID: run.ID, Clause: c.Clause, ItemType: c.Type, Code: c.Code, Erased: c.Erased, SkippedHeld: c.SkippedHeld}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := s.store.InTx(fctx, func(tx Store) error {
		if err := tx.FinishPurgeRun(fctx, run, counts); err != nil {
			return err
		}
		return s.recordFinish(fctx, tx, rep)
	})
	if err != nil {
		err = fmt.Errorf("record the end of purge run %d: %w", run.ID, err)
	}
	if runErr != nil {
		return errors.Join(fmt.Errorf("purge run %d: %w", run.ID, runErr), err)
	}
	return err
}

// tally sums counts per clause, type and code.
type tally struct {
	m map[tallyKey]*Count
}

type tallyKey struct {
	clause, code string
	typ          models.ItemType
}

func newTally() *tally { return &tally{m: map[tallyKey]*Count{}} }

func (t *tally) add(clause string, typ models.ItemType, code string, erased, held int64) {
	k := tallyKey{clause, code, typ}
	c, ok := t.m[k]
	if !ok {
		c = &Count{Clause: clause, Type: typ, Code: code}
		t.m[k] = c
	}
	c.Erased += erased
	c.SkippedHeld += held
}

func (t *tally) sorted() []Count {
	out := make([]Count, 0, len(t.m))
	for _, c := range t.m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(strings.Compare(a.Clause, b.Clause), strings.Compare(string(a.Type), string(b.Type)), strings.Compare(a.Code, b.Code))
	})
	return out
}
