// Command bench measures the purge at telecom scale on PostgreSQL (issue 6,
// item 5): it builds a database with many records of which some are due and
// a share of those held, runs the purge once, and reports records erased
// per second and the process's peak memory. purge/BENCHMARK.md holds the
// figures and the command that reproduces them.
//
//	go run ./purge/bench -records 10000000 -due 1000000 -held 0.01
//
// It drops and recreates the database named by -db on the server of -url.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
)

func main() {
	var (
		server   = flag.String("url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (its database is only used to create the bench database)")
		dbName   = flag.String("db", "portal_purge_bench", "the database to drop, create and fill")
		records  = flag.Int("records", 10_000_000, "records in all")
		due      = flag.Int("due", 1_000_000, "records due")
		held     = flag.Float64("held", 0.01, "share of the due records under an active hold (half on whole subscribers, half linked one by one)")
		perSub   = flag.Int("per-subscriber", 100, "records per subscriber")
		shape    = flag.String("shape", "terminated", "which records are due: terminated (whole subscribers) or spread (a few of every subscriber)")
		batch    = flag.Int("batch", purge.DefaultBatchSize, "purge batch size")
		runs     = flag.Int("replicas", 1, "purges run at once, as on several replicas")
		keep     = flag.Bool("keep", false, "keep the database afterwards")
		onlyLoad = flag.Bool("load-only", false, "load the database, keep it and stop")
		tmpl     = flag.String("template", "", "load the data once into this database, keep it, and create the bench database from it on every run (CREATE DATABASE … TEMPLATE), so that arms compared run on the same bytes without reloading; it must have been loaded with the same data flags")
		byHand   = flag.Bool("handwritten", false, "instead of the purge, the yardstick: batched DELETE … WHERE ctid = ANY(…) of the due rows no active hold covers, one statement a batch, nothing recorded")
	)
	flag.Parse()
	if *records%*perSub != 0 || *due%*perSub != 0 {
		log.Fatalf("records and due must be multiples of per-subscriber")
	}
	ctx := context.Background()
	benchURL := withDatabase(*server, *dbName)
	admin, err := sql.Open("pgx", *server)
	check(err)
	_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+*dbName+" WITH (FORCE)")
	check(err)
	subs := *records / *perSub
	shaped := fmt.Sprintf("records=%d due=%d held=%g per-subscriber=%d shape=%s", *records, *due, *held, *perSub, *shape)
	if *tmpl != "" {
		fromTemplate(ctx, admin, *server, *tmpl, shaped, func(db *store.DB) {
			fmt.Printf("loading %d subscribers, %d records, %d due (%s), %.1f%% of them held, into the template %s\n", subs, *records, *due, *shape, *held*100, *tmpl)
			start := time.Now()
			load(ctx, db.SQL(), *shape, subs, *perSub, *due, *held)
			fmt.Printf("loaded in %s\n", time.Since(start).Round(time.Second))
		})
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+*dbName+" TEMPLATE "+*tmpl)
	} else {
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+*dbName)
	}
	check(err)
	if !*keep && !*onlyLoad {
		defer func() {
			if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+*dbName+" WITH (FORCE)"); err != nil {
				log.Print(err)
			}
		}()
	}

	db, err := store.Open(ctx, store.Options{URL: benchURL, MaxOpenConns: 8})
	check(err)
	_, err = db.Migrate(ctx)
	check(err)

	if *tmpl == "" {
		fmt.Printf("loading %d subscribers, %d records, %d due (%s), %.1f%% of them held\n", subs, *records, *due, *shape, *held*100)
		start := time.Now()
		load(ctx, db.SQL(), *shape, subs, *perSub, *due, *held)
		fmt.Printf("loaded in %s\n", time.Since(start).Round(time.Second))
	}
	heldRecords := countHeld(ctx, db.SQL())
	fmt.Printf("%d due records held\n", heldRecords)
	if *onlyLoad {
		return
	}

	cat, err := policy.Default()
	check(err)
	timed := &timedStore{Store: db.ForPurge(), t: newPhases()}
	svc := purge.New(timed, cat, clock.Real{})

	dry := time.Now()
	rep, err := svc.Run(ctx, purge.Options{Actor: "bench", DryRun: true})
	check(err)
	fmt.Printf("dry run: would erase %d, %d held, in %s\n", rep.Erased, rep.SkippedHeld, time.Since(dry).Round(time.Millisecond))
	timed.t = newPhases() // the steps of the run itself, not the dry run's

	if *byHand {
		handwritten(ctx, db.SQL(), *batch)
		return
	}

	cpuBefore := backendCPU(ctx, db.SQL())
	runtime.GC()
	var peak atomic.Uint64
	stop := sampleHeap(&peak)
	t0 := time.Now()
	reports := make(chan *purge.Report, *runs)
	for i := 0; i < *runs; i++ {
		go func() {
			rep, err := svc.Run(ctx, purge.Options{Actor: fmt.Sprintf("bench-%d", i), BatchSize: *batch})
			check(err)
			reports <- rep
		}()
	}
	var erased, skipped int64
	batches := 0
	for i := 0; i < *runs; i++ {
		r := <-reports
		erased += r.Erased
		skipped = max(skipped, r.SkippedHeld)
		batches += r.Batches
	}
	took := time.Since(t0)
	stop()
	var serverCPU time.Duration
	for pid, t := range backendCPU(ctx, db.SQL()) {
		serverCPU += t - cpuBefore[pid]
	}
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))

	var left, leftHeld int64
	check(db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM records WHERE purge_after <= now()").Scan(&left))
	check(db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM records t WHERE purge_after <= now() AND (
		EXISTS (SELECT 1 FROM holds h WHERE h.subscriber_id = t.subscriber_id AND h.all_items AND h.released_at IS NULL)
		OR EXISTS (SELECT 1 FROM hold_items i WHERE i.subscriber_id = t.subscriber_id AND i.record_id = t.id))`).Scan(&leftHeld))
	fmt.Printf("purge: %d replica(s), batch %d: erased %d in %s (%d batches): %.0f records/s; skipped %d held; %d due left, all held: %v\n",
		*runs, *batch, erased, took.Round(time.Millisecond), batches, float64(erased)/took.Seconds(), skipped, left, left == leftHeld)
	timed.t.print(took)
	var load [3]float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscan(string(b), &load[0], &load[1], &load[2])
	}
	fmt.Printf("server CPU: %s (%.1f µs a record, %.0f records per CPU-second); bench process CPU %s; load average %.1f\n",
		serverCPU.Round(time.Millisecond), float64(serverCPU.Microseconds())/float64(erased), float64(erased)/serverCPU.Seconds(),
		(time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())).Round(time.Millisecond), load[0])
	fmt.Printf("memory: peak Go heap %.1f MiB, peak RSS %.1f MiB\n", float64(peak.Load())/(1<<20), float64(ru.Maxrss)/1024)
	if left != leftHeld || erased != int64(*due-heldRecords) {
		fmt.Println("MISMATCH: the purge did not erase exactly the due, unheld records")
		os.Exit(1)
	}
}

// heldRecord is the purge's hold rule for a record of alias t (store's
// itemTable.held).
const heldRecord = `(EXISTS (SELECT 1 FROM holds h WHERE h.subscriber_id = t.subscriber_id AND h.all_items AND h.released_at IS NULL)
	OR EXISTS (SELECT 1 FROM hold_items i JOIN holds h ON h.subscriber_id = i.subscriber_id AND h.id = i.hold_id
		WHERE i.subscriber_id = t.subscriber_id AND i.record_id = t.id AND h.released_at IS NULL))`

// handwritten erases the due, unheld records as a hand-written job would:
// batches of one DELETE by physical row location each, in the purge's
// order and with its hold check, recording nothing. It is what the purge
// is measured against.
func handwritten(ctx context.Context, db *sql.DB, batch int) {
	cpuBefore := backendCPU(ctx, db)
	del := `DELETE FROM records WHERE ctid = ANY(ARRAY(SELECT t.ctid FROM records t WHERE t.purge_after <= now() AND NOT ` + heldRecord +
		` ORDER BY t.purge_after, t.subscriber_id, t.id LIMIT $1))`
	t0 := time.Now()
	var erased int64
	batches := 0
	for {
		res, err := db.ExecContext(ctx, del, batch)
		check(err)
		n, err := res.RowsAffected()
		check(err)
		if n == 0 {
			break
		}
		erased += n
		batches++
	}
	took := time.Since(t0)
	var serverCPU time.Duration
	for pid, t := range backendCPU(ctx, db) {
		serverCPU += t - cpuBefore[pid]
	}
	var load float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscan(string(b), &load)
	}
	fmt.Printf("handwritten DELETE, batch %d: erased %d in %s (%d batches): %.0f records/s; server CPU %s (%.1f µs a record); load average %.1f\n",
		batch, erased, took.Round(time.Millisecond), batches, float64(erased)/took.Seconds(), serverCPU.Round(time.Millisecond),
		float64(serverCPU.Microseconds())/float64(erased), load)
}

// timedStore adds up, per step of the run, the time its statements take
// and the time its transactions spend beyond them (BEGIN, COMMIT and the
// purge's own work between statements). It wraps the store the purge is
// given, so what it times is the purge as it runs in production.
type timedStore struct {
	purge.Store
	t *phases
	// tx is the transaction this store runs in; nil outside one.
	tx *txTime
}

// The steps of a run, in the order it takes them; each store method
// belongs to one (stepOf).
var steps = []string{"start and finish", "move apart", "guard due", "erase due", "exports", "copies", "bare subscribers"}

// stepOf names the step a store method belongs to.
var stepOf = map[string]string{
	"Outlook":               "start and finish",
	"HasStalePurgeRuns":     "start and finish",
	"CreatePurgeRun":        "start and finish",
	"FinishPurgeRun":        "start and finish",
	"AppendAuditEvent":      "start and finish",
	"RenewPurgeLease":       "start and finish",
	"StatuteDated":          "move apart",
	"StatuteUndated":        "move apart",
	"MarkStatuteDated":      "move apart",
	"LockStatuteKept":       "move apart",
	"CopyApart":             "move apart",
	"DropMoved":             "move apart",
	"GuardDue":              "guard due",
	"EraseDue":              "erase due",
	"DeleteExpiredExports":  "exports",
	"ClosedRequests":        "copies",
	"DeleteRequests":        "copies",
	"ScrubRequestTexts":     "copies",
	"DeleteSpentNotices":    "copies",
	"LockBare":              "bare subscribers",
	"DeleteBareSubscribers": "bare subscribers",
	"DeleteConsentHistory":  "bare subscribers",
	"DeleteErasures":        "bare subscribers",
}

type phases struct {
	mu sync.Mutex
	// stmt and calls: time in and number of each step's store calls;
	// txRest and txs: time of its transactions beyond their calls, and
	// their number (a transaction belongs to the step of its first call).
	stmt, txRest map[string]time.Duration
	calls, txs   map[string]int
}

func newPhases() *phases {
	return &phases{stmt: map[string]time.Duration{}, txRest: map[string]time.Duration{}, calls: map[string]int{}, txs: map[string]int{}}
}

// txTime is what one transaction's calls took.
type txTime struct {
	step  string
	calls time.Duration
}

// timed runs one store call of method name, adding its time to its step
// and, inside a transaction, to the transaction's calls.
func timed[T any](s *timedStore, name string, f func() (T, error)) (T, error) {
	t0 := time.Now()
	out, err := f()
	d := time.Since(t0)
	step := stepOf[name]
	s.t.mu.Lock()
	s.t.stmt[step] += d
	s.t.calls[step]++
	s.t.mu.Unlock()
	if s.tx != nil {
		if s.tx.step == "" {
			s.tx.step = step
		}
		s.tx.calls += d
	}
	return out, err
}

func (s *timedStore) InTx(ctx context.Context, fn func(purge.Store) error) error {
	tx := &txTime{}
	t0 := time.Now()
	err := s.Store.InTx(ctx, func(inner purge.Store) error { return fn(&timedStore{Store: inner, t: s.t, tx: tx}) })
	d := time.Since(t0)
	s.t.mu.Lock()
	s.t.txRest[tx.step] += d - tx.calls
	s.t.txs[tx.step]++
	s.t.mu.Unlock()
	return err
}

// print writes a line per step and what of took is in no step's store
// calls or transactions.
func (p *phases) print(took time.Duration) {
	var in time.Duration
	fmt.Println("time in each step (statements: store calls; transactions: BEGIN, COMMIT and the work between calls):")
	for _, st := range steps {
		in += p.stmt[st] + p.txRest[st]
		fmt.Printf("  %-17s %8s in %6d calls, %8s more in %5d transactions\n", st, p.stmt[st].Round(time.Millisecond), p.calls[st],
			p.txRest[st].Round(time.Millisecond), p.txs[st])
	}
	fmt.Printf("  %-17s %8s (the audit trail's pruning, the calculus, the tally)\n", "elsewhere", (took - in).Round(time.Millisecond))
}

func (s *timedStore) Outlook(ctx context.Context, now time.Time) (purge.Outlook, error) {
	return timed(s, "Outlook", func() (purge.Outlook, error) { return s.Store.Outlook(ctx, now) })
}

func (s *timedStore) HasStalePurgeRuns(ctx context.Context, before time.Time) (bool, error) {
	return timed(s, "HasStalePurgeRuns", func() (bool, error) { return s.Store.HasStalePurgeRuns(ctx, before) })
}

func (s *timedStore) CreatePurgeRun(ctx context.Context, r *models.PurgeRun) error {
	_, err := timed(s, "CreatePurgeRun", func() (struct{}, error) { return struct{}{}, s.Store.CreatePurgeRun(ctx, r) })
	return err
}

func (s *timedStore) FinishPurgeRun(ctx context.Context, r *models.PurgeRun, counts []models.PurgeRunCount) error {
	_, err := timed(s, "FinishPurgeRun", func() (struct{}, error) { return struct{}{}, s.Store.FinishPurgeRun(ctx, r, counts) })
	return err
}

func (s *timedStore) AppendAuditEvent(ctx context.Context, build func(models.AuditLink) (*models.AuditEvent, error)) error {
	_, err := timed(s, "AppendAuditEvent", func() (struct{}, error) { return struct{}{}, s.Store.AppendAuditEvent(ctx, build) })
	return err
}

func (s *timedStore) RenewPurgeLease(ctx context.Context, id int64, at time.Time) error {
	_, err := timed(s, "RenewPurgeLease", func() (struct{}, error) { return struct{}{}, s.Store.RenewPurgeLease(ctx, id, at) })
	return err
}

func (s *timedStore) StatuteDated(ctx context.Context) (bool, error) {
	return timed(s, "StatuteDated", func() (bool, error) { return s.Store.StatuteDated(ctx) })
}

func (s *timedStore) StatuteUndated(ctx context.Context, clauses []string, now time.Time, after string, limit int) ([]string, error) {
	return timed(s, "StatuteUndated", func() ([]string, error) { return s.Store.StatuteUndated(ctx, clauses, now, after, limit) })
}

func (s *timedStore) MarkStatuteDated(ctx context.Context, at time.Time) error {
	_, err := timed(s, "MarkStatuteDated", func() (struct{}, error) { return struct{}{}, s.Store.MarkStatuteDated(ctx, at) })
	return err
}

func (s *timedStore) LockStatuteKept(ctx context.Context, q purge.MoveQuery) ([]purge.Item, error) {
	return timed(s, "LockStatuteKept", func() ([]purge.Item, error) { return s.Store.LockStatuteKept(ctx, q) })
}

func (s *timedStore) CopyApart(ctx context.Context, typ models.ItemType, items []purge.Item) (int64, error) {
	return timed(s, "CopyApart", func() (int64, error) { return s.Store.CopyApart(ctx, typ, items) })
}

func (s *timedStore) DropMoved(ctx context.Context, typ models.ItemType, items []purge.Item) (int64, error) {
	return timed(s, "DropMoved", func() (int64, error) { return s.Store.DropMoved(ctx, typ, items) })
}

func (s *timedStore) GuardDue(ctx context.Context, q purge.DueQuery) (purge.Due, error) {
	return timed(s, "GuardDue", func() (purge.Due, error) { return s.Store.GuardDue(ctx, q) })
}

func (s *timedStore) EraseDue(ctx context.Context, b purge.Batch) ([]purge.Count, error) {
	return timed(s, "EraseDue", func() ([]purge.Count, error) { return s.Store.EraseDue(ctx, b) })
}

func (s *timedStore) DeleteExpiredExports(ctx context.Context, now time.Time) (int64, error) {
	return timed(s, "DeleteExpiredExports", func() (int64, error) { return s.Store.DeleteExpiredExports(ctx, now) })
}

func (s *timedStore) ClosedRequests(ctx context.Context, before time.Time, after *purge.RequestKey, limit int) ([]purge.ClosedRequest, error) {
	return timed(s, "ClosedRequests", func() ([]purge.ClosedRequest, error) { return s.Store.ClosedRequests(ctx, before, after, limit) })
}

func (s *timedStore) DeleteRequests(ctx context.Context, ids []string) (map[string]int64, error) {
	return timed(s, "DeleteRequests", func() (map[string]int64, error) { return s.Store.DeleteRequests(ctx, ids) })
}

func (s *timedStore) ScrubRequestTexts(ctx context.Context) (map[string]int64, error) {
	return timed(s, "ScrubRequestTexts", func() (map[string]int64, error) { return s.Store.ScrubRequestTexts(ctx) })
}

func (s *timedStore) DeleteSpentNotices(ctx context.Context, delivered, dead time.Time, limit int) (map[purge.NoticeReason]map[string]int64, error) {
	return timed(s, "DeleteSpentNotices", func() (map[purge.NoticeReason]map[string]int64, error) {
		return s.Store.DeleteSpentNotices(ctx, delivered, dead, limit)
	})
}

func (s *timedStore) LockBare(ctx context.Context, q purge.BareQuery) ([]purge.Bare, error) {
	return timed(s, "LockBare", func() ([]purge.Bare, error) { return s.Store.LockBare(ctx, q) })
}

func (s *timedStore) DeleteBareSubscribers(ctx context.Context, ids []string) ([]string, error) {
	return timed(s, "DeleteBareSubscribers", func() ([]string, error) { return s.Store.DeleteBareSubscribers(ctx, ids) })
}

func (s *timedStore) DeleteConsentHistory(ctx context.Context, ids []string) (int64, error) {
	return timed(s, "DeleteConsentHistory", func() (int64, error) { return s.Store.DeleteConsentHistory(ctx, ids) })
}

func (s *timedStore) DeleteErasures(ctx context.Context, ids []string) (int64, error) {
	return timed(s, "DeleteErasures", func() (int64, error) { return s.Store.DeleteErasures(ctx, ids) })
}

// load fills the database with set-based statements, in chunks. In the
// "terminated" shape, whole subscribers are due: terminated subscribers
// whose post-termination period ended, every record due on one date (the
// bulk of any real purge); in the "spread" shape every subscriber has a few
// due records on scattered dates (message content, the worst case for the
// erasure records: about one per erased record).
func load(ctx context.Context, db *sql.DB, shape string, subs, perSub, due int, held float64) {
	exec := func(q string, args ...any) {
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			log.Fatalf("%v\n%s", err, q)
		}
	}
	exec(`INSERT INTO subscribers (id, status, signed_up_at, terminated_at, billing_state)
		SELECT 'b' || lpad(g::text, 9, '0'), 'TERMINATED', now() - interval '8 years', now() - interval '2 years', 'SETTLED'
		FROM generate_series(1, $1) g`, subs)
	// isDue(s, j) and dueAt(s, j) in SQL, for subscriber s and its record j.
	var isDue, dueAt string
	var heldSubs int
	switch shape {
	case "terminated":
		every := subs / (due / perSub) // one subscriber in every is gone
		isDue = fmt.Sprintf("(s %% %d = 0)", every)
		dueAt = "now() - ((s / " + fmt.Sprint(every) + ") % 300 + 1) * interval '1 day'"
		heldSubs = int(float64(due)*held) / perSub
	case "spread":
		duePer := due / subs
		isDue = fmt.Sprintf("(j < %d)", duePer)
		dueAt = "now() - ((s * 7 + j * 13) % 365 + 1) * interval '1 day'"
		heldSubs = int(float64(due)*held) / duePer
	default:
		log.Fatalf("unknown shape %q", shape)
	}
	const chunk = 50_000 // subscribers per statement
	for from := 1; from <= subs; from += chunk {
		to := min(from+chunk-1, subs)
		exec(`INSERT INTO records (subscriber_id, kind, occurred_at, external_id, summary, purge_after, purge_clause)
			SELECT 'b' || lpad(s::text, 9, '0'),
				(ARRAY['USAGE', 'CALL_DETAIL', 'ACCESS_LOG', 'MESSAGE_CONTENT'])[j % 4 + 1],
				now() - interval '3 years' + j * interval '1 day',
				'r' || j,
				'발신 010-2345-6789 → 02-123-4567',
				CASE WHEN `+isDue+` THEN `+dueAt+` ELSE now() + ((s + j) % 1500 + 1) * interval '1 day' END,
				CASE WHEN `+isDue+` THEN (CASE WHEN j % 4 = 3 THEN 'MESSAGE_CONTENT' ELSE 'POST_TERMINATION' END) ELSE 'PAYMENT_RECORDS' END
			FROM generate_series($1::int, $2::int) s, generate_series(0, $3::int - 1) j`, from, to, perSub)
		fmt.Printf("  %d / %d subscribers\n", to, subs)
	}
	// Holds, on subscribers with due records: the first half are held
	// whole, the second half through links to each of their due records.
	exec(`CREATE TEMP TABLE due_subs AS SELECT DISTINCT subscriber_id FROM records WHERE purge_after <= now() ORDER BY subscriber_id LIMIT $1`, heldSubs)
	exec(`INSERT INTO holds (id, subscriber_id, reason, all_items, source_ref, placed_by, placed_at)
		SELECT 'h' || n, subscriber_id, 'DISPUTE', n <= $1, 'req-' || n, 'bench', now() - interval '1 day'
		FROM (SELECT subscriber_id, row_number() OVER (ORDER BY subscriber_id) n FROM due_subs) d`, heldSubs/2)
	exec(`INSERT INTO hold_items (hold_id, subscriber_id, record_id)
		SELECT h.id, h.subscriber_id, r.id FROM holds h JOIN records r ON r.subscriber_id = h.subscriber_id
		WHERE NOT h.all_items AND r.purge_after <= now()`)
	// The rows are loaded as a database past migration 00017 has them:
	// dated once, so that a run does not ask the calculus to reschedule
	// every subscriber first. The records not due keep no statute_from:
	// the run's move apart finds nothing to move, as a run in the steady
	// state finds little (the move is measured by the statute tests, not
	// here).
	exec(`INSERT INTO statute_dated (dated_at) VALUES (now())`)
	exec("VACUUM ANALYZE")
}

// countHeld counts the due records an active hold covers.
func countHeld(ctx context.Context, db *sql.DB) int {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records r JOIN holds h ON h.subscriber_id = r.subscriber_id WHERE r.purge_after <= now()`).Scan(&n); err != nil {
		log.Fatal(err)
	}
	return n
}

// fromTemplate makes sure the database tmpl holds the data the flags
// (shaped) describe: it loads it with fill the first time, and records
// shaped as the database's comment so that a later run with other flags
// is refused rather than measured on the wrong data.
func fromTemplate(ctx context.Context, admin *sql.DB, server, tmpl, shaped string, fill func(*store.DB)) {
	var comment sql.NullString
	err := admin.QueryRowContext(ctx, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", tmpl).Scan(&comment)
	switch {
	case err == nil && comment.String == shaped:
		return
	case err == nil:
		log.Fatalf("the template %s holds %q, not %q: drop it or use another", tmpl, comment.String, shaped)
	case !errors.Is(err, sql.ErrNoRows):
		log.Fatal(err)
	}
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+tmpl)
	check(err)
	db, err := store.Open(ctx, store.Options{URL: withDatabase(server, tmpl), MaxOpenConns: 8})
	check(err)
	_, err = db.Migrate(ctx)
	check(err)
	fill(db)
	// A template is copied only while no one is connected to it.
	check(db.Close())
	_, err = admin.ExecContext(ctx, "COMMENT ON DATABASE "+tmpl+" IS '"+shaped+"'")
	check(err)
}

// backendCPU reads the CPU time (user and system) of every server process
// serving the bench database, from /proc: the server runs on this machine.
func backendCPU(ctx context.Context, db *sql.DB) map[int]time.Duration {
	rows, err := db.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	check(err)
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		check(rows.Scan(&pid))
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		var utime, stime int64
		fmt.Sscan(f[11], &utime)
		fmt.Sscan(f[12], &stime)
		out[pid] = time.Duration(utime+stime) * time.Second / 100 // USER_HZ
	}
	return out
}

// sampleHeap records the largest live Go heap seen until stop is called.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	check(err)
	u.Path = "/" + name
	return u.String()
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
