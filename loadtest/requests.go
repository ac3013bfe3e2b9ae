package loadtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xroshot/portal/clock"
)

// Requests says what LoadRequests adds to a seeded database.
type Requests struct {
	// Count is how many open requests to add.
	Count int
	// Overdue is the share of them past their due date (0 to 1).
	Overdue float64
	// Seed makes the requests repeatable and names them: ids are
	// ld<seed>-<n>, so a second load with the same seed is refused.
	Seed uint64
	// Now is when the requests are loaded as of; zero means now.
	Now time.Time
}

// Loaded is what LoadRequests wrote.
type Loaded struct {
	Requests, Overdue, OverdueDisputes, Holds int
	Elapsed                                   time.Duration
}

// Request types in the mix the desk sees, with their shares in percent:
// disputes and deletions hold the subscriber's data while open; access
// requests complete at once and are never open.
var requestMix = []struct {
	kind  string
	share int
}{{"DISPUTE", 40}, {"DELETION", 40}, {"CORRECTION", 10}, {"SUSPENSION", 10}}

// dueIn is the statutory answer period (requests.DueIn), repeated here so
// that a change there shows up as a different queue, not a build break.
const dueIn = 10 * 24 * time.Hour

// agents is how many agents the loaded requests in review are spread over.
const agents = 20

// LoadRequests adds open requests to a seeded PostgreSQL database, as
// subscribers filing them through the API would have left them: the
// request, its FILED event (and ASSIGNED for those in review), and for a
// deletion or a dispute the hold on everything of the subscriber that
// filing places. Subscribers are drawn from those in the database. A
// quarter of the requests are in review, assigned to agent-01 … agent-20;
// the others wait unassigned. The audit events and outbox notices of the
// filings are not written: the benchmarks do not read them.
//
// It writes with COPY in one transaction, then analyzes the tables, so the
// planner sees the queue as it now is.
func LoadRequests(ctx context.Context, url string, o Requests) (Loaded, error) {
	if o.Count <= 0 {
		return Loaded{}, errors.New("loadtest: --count must be positive")
	}
	if o.Overdue < 0 || o.Overdue > 1 {
		return Loaded{}, errors.New("loadtest: --overdue is a share, from 0 to 1")
	}
	if url == "" {
		return Loaded{}, errors.New("loading requests needs PORTAL_DATABASE_URL: the seeded PostgreSQL database")
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = clock.Stored(now)
	start := time.Now()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return Loaded{}, fmt.Errorf("PORTAL_DATABASE_URL: %w", err)
	}
	cfg.ConnectTimeout = DialTimeout
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return Loaded{}, fmt.Errorf("cannot reach the database at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	defer conn.Close(context.Background())

	first := requestID(o.Seed, 0)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM requests WHERE id = $1)`, first).Scan(&exists); err != nil {
		return Loaded{}, fmt.Errorf("is the database migrated? %w", err)
	}
	if exists {
		return Loaded{}, fmt.Errorf("requests of seed %d are already loaded (%s); load more with another --seed", o.Seed, first)
	}
	var ids []string
	rows, err := conn.Query(ctx, `SELECT id FROM subscribers ORDER BY id`)
	if err != nil {
		return Loaded{}, err
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return Loaded{}, err
	}
	if len(ids) == 0 {
		return Loaded{}, errors.New("the database holds no subscribers: seed it first (`portal seed --subscribers N`)")
	}

	g := newRequestGen(o, now, ids)
	var out Loaded
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		reqCols := []string{"id", "subscriber_id", "type", "status", "filed_by_kind", "filed_by_id", "via", "scope", "fee_related",
			"reason", "idempotency_key", "body_digest", "filed_at", "due_at", "assignee_id", "version", "created_at", "updated_at"}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"requests"}, reqCols, pgx.CopyFromFunc(func() ([]any, error) {
			r, ok := g.next()
			if !ok {
				return nil, nil
			}
			out.Requests++
			if r.due.Before(now) {
				out.Overdue++
				if r.kind == "DISPUTE" {
					out.OverdueDisputes++
				}
			}
			return []any{r.id, r.subscriber, r.kind, r.status, "SUBSCRIBER", r.subscriber, "APP", `{"all":true}`, false,
				r.reason, r.key, r.digest, r.filed, r.due, r.assignee, r.version, r.filed, r.updated}, nil
		})); err != nil {
			return fmt.Errorf("copy requests: %w", err)
		}

		g.rewind()
		evCols := []string{"subscriber_id", "request_id", "kind", "from_status", "to_status", "actor_kind", "actor_id", "visible", "occurred_at"}
		var pending []any
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"request_events"}, evCols, pgx.CopyFromFunc(func() ([]any, error) {
			if pending != nil {
				row := pending
				pending = nil
				return row, nil
			}
			r, ok := g.next()
			if !ok {
				return nil, nil
			}
			if r.assignee != nil {
				pending = []any{r.subscriber, r.id, "ASSIGNED", "SUBMITTED", "IN_REVIEW", "AGENT", *r.assignee, true, r.updated}
			}
			return []any{r.subscriber, r.id, "FILED", nil, "SUBMITTED", "SUBSCRIBER", r.subscriber, true, r.filed}, nil
		})); err != nil {
			return fmt.Errorf("copy request_events: %w", err)
		}

		g.rewind()
		holdCols := []string{"id", "subscriber_id", "reason", "all_items", "source_ref", "placed_by", "placed_at", "created_at"}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"holds"}, holdCols, pgx.CopyFromFunc(func() ([]any, error) {
			for {
				r, ok := g.next()
				if !ok {
					return nil, nil
				}
				reason := map[string]string{"DISPUTE": "DISPUTE", "DELETION": "DELETION_REQUEST"}[r.kind]
				if reason == "" {
					continue
				}
				return []any{"hold-" + r.id, r.subscriber, reason, true, r.id, "request:" + r.id, r.filed, r.filed}, nil
			}
		}))
		out.Holds = int(n)
		if err != nil {
			return fmt.Errorf("copy holds: %w", err)
		}
		return nil
	})
	if err != nil {
		return Loaded{}, err
	}
	if _, err := conn.Exec(ctx, `ANALYZE requests, request_events, holds`); err != nil {
		return Loaded{}, fmt.Errorf("analyze: %w", err)
	}
	out.Elapsed = time.Since(start)
	return out, nil
}

// requestID is the id of the n-th loaded request of a seed.
func requestID(seed uint64, n int) string { return fmt.Sprintf("ld%d-%07d", seed, n) }

// loadedRequest is one request LoadRequests writes.
type loadedRequest struct {
	id, subscriber, kind, status, reason, key, digest string
	filed, due, updated                               time.Time
	assignee                                          *string
	version                                           int
}

// requestGen draws the loaded requests, the same sequence every time it is
// rewound, so the three tables are written in one pass each without
// keeping a hundred thousand requests in memory.
type requestGen struct {
	o    Requests
	now  time.Time
	subs []string
	r    *rand.Rand
	n    int
}

func newRequestGen(o Requests, now time.Time, subs []string) *requestGen {
	g := &requestGen{o: o, now: now, subs: subs}
	g.rewind()
	return g
}

func (g *requestGen) rewind() {
	g.r, g.n = rand.New(rand.NewPCG(g.o.Seed, 0x7e9)), 0
}

func (g *requestGen) next() (loadedRequest, bool) {
	if g.n >= g.o.Count {
		return loadedRequest{}, false
	}
	r, n := g.r, g.n
	g.n++
	lr := loadedRequest{id: requestID(g.o.Seed, n), subscriber: g.subs[r.IntN(len(g.subs))], status: "SUBMITTED", version: 1}
	x := r.IntN(100)
	for _, m := range requestMix {
		if x < m.share {
			lr.kind = m.kind
			break
		}
		x -= m.share
	}
	// Overdue requests were filed 10 to 30 days ago, the others within the
	// last 10 days: due 10 days after filing.
	age := time.Duration(r.Int64N(int64(dueIn)))
	if r.Float64() < g.o.Overdue {
		age = dueIn + time.Duration(r.Int64N(int64(2*dueIn)))
	}
	lr.filed = clock.Stored(g.now.Add(-age - time.Minute))
	lr.due = lr.filed.Add(dueIn)
	lr.updated = lr.filed
	if r.IntN(4) == 0 {
		a := agentID(1 + r.IntN(agents))
		lr.assignee, lr.status, lr.version = &a, "IN_REVIEW", 2
		lr.updated = lr.filed.Add(time.Duration(r.Int64N(int64(age) + 1)))
	}
	lr.reason = map[string]string{
		"DISPUTE":    "I dispute how my data is used",
		"DELETION":   "please erase my personal data",
		"CORRECTION": "my billing address is wrong",
		"SUSPENSION": "stop using my data for marketing",
	}[lr.kind]
	lr.key = fmt.Sprintf("load-%d-%07d", g.o.Seed, n)
	h := sha256.Sum256([]byte(lr.subscriber + "\x00" + lr.kind + "\x00" + `{"all":true}` + "\x00" + lr.reason + "\x00false"))
	lr.digest = hex.EncodeToString(h[:])
	return lr, true
}
