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
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/xroshot/portal/clock"
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
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+*dbName)
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

	subs := *records / *perSub
	fmt.Printf("loading %d subscribers, %d records, %d due (%s), %.1f%% of them held\n", subs, *records, *due, *shape, *held*100)
	start := time.Now()
	heldRecords := load(ctx, db.SQL(), *shape, subs, *perSub, *due, *held)
	fmt.Printf("loaded in %s; %d due records held\n", time.Since(start).Round(time.Second), heldRecords)
	if *onlyLoad {
		return
	}

	cat, err := policy.Default()
	check(err)
	timed := &timedStore{Store: db.ForPurge(), t: &phases{}}
	svc := purge.New(timed, cat, clock.Real{})

	dry := time.Now()
	rep, err := svc.Run(ctx, purge.Options{Actor: "bench", DryRun: true})
	check(err)
	fmt.Printf("dry run: would erase %d, %d held, in %s\n", rep.Erased, rep.SkippedHeld, time.Since(dry).Round(time.Millisecond))

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
	fmt.Printf("time in: LockDue %s, Erase %s, transactions (with commit) %s\n", time.Duration(timed.t.lock.Load()).Round(time.Millisecond),
		time.Duration(timed.t.erase.Load()).Round(time.Millisecond), time.Duration(timed.t.tx.Load()).Round(time.Millisecond))
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

// timedStore adds up the time spent in each step of the batches.
type timedStore struct {
	purge.Store
	t *phases
}

type phases struct{ lock, erase, tx atomic.Int64 }

func (s *timedStore) InTx(ctx context.Context, fn func(purge.Store) error) error {
	t0 := time.Now()
	err := s.Store.InTx(ctx, func(tx purge.Store) error { return fn(&timedStore{Store: tx, t: s.t}) })
	s.t.tx.Add(int64(time.Since(t0)))
	return err
}

func (s *timedStore) LockDue(ctx context.Context, q purge.DueQuery) ([]purge.Item, error) {
	t0 := time.Now()
	out, err := s.Store.LockDue(ctx, q)
	s.t.lock.Add(int64(time.Since(t0)))
	return out, err
}

func (s *timedStore) Erase(ctx context.Context, b purge.Batch) ([]purge.Erased, error) {
	t0 := time.Now()
	out, err := s.Store.Erase(ctx, b)
	s.t.erase.Add(int64(time.Since(t0)))
	return out, err
}

// load fills the database with set-based statements, in chunks. In the
// "terminated" shape, whole subscribers are due: terminated subscribers
// whose post-termination period ended, every record due on one date (the
// bulk of any real purge); in the "spread" shape every subscriber has a few
// due records on scattered dates (message content, the worst case for the
// erasure records: about one per erased record).
func load(ctx context.Context, db *sql.DB, shape string, subs, perSub, due int, held float64) (heldRecords int) {
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
	exec("VACUUM ANALYZE")
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records r JOIN holds h ON h.subscriber_id = r.subscriber_id WHERE r.purge_after <= now()`).Scan(&n); err != nil {
		log.Fatal(err)
	}
	return n
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
