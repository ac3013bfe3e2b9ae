package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/jackc/pgx/v5"
)

// meStatements are the statements the `me` home screen (MeQuery) makes the
// server issue for a subscriber in use, as PostgreSQL logged them
// (log_statement = all, 2 December 2026) with gorm's placeholders: the
// subscriber with its wrapped data key, fee issues, active holds, holdings
// and records with the statute-kept ones apart, consents, requests. The
// server sends them in one pipelined batch (store.ReadAhead); a terminated
// subscriber's home screen adds one more, for the last fee record. ids is
// how many times the statement takes the subscriber's id before its limit
// (0: no limit; -1: the records page's arguments, meArgs).
var meStatements = []struct {
	sql   string
	ids   int
	limit int
}{
	{`SELECT s.*, k.master_key_id AS key_master_key_id, k.wrapped AS key_wrapped FROM subscribers s LEFT JOIN portal_keys.subscriber_keys k ON k.subscriber_id = s.id WHERE s.id = $1`, 1, 0},
	{`SELECT * FROM "fee_issues" WHERE subscriber_id = $1 ORDER BY since, id LIMIT $2`, 1, 1000},
	{`SELECT h.id, h.subscriber_id, h.reason, h.all_items, h.source_ref, h.placed_by,
			h.placed_at, h.released_at, h.created_at, i.holding_id, i.record_id
		FROM holds h LEFT JOIN hold_items i ON i.subscriber_id = h.subscriber_id AND i.hold_id = h.id
		WHERE h.subscriber_id = $1 AND h.released_at IS NULL
		ORDER BY h.placed_at, h.id, i.holding_id IS NULL, i.holding_id, i.record_id
		LIMIT $2`, 1, 20001},
	{`SELECT * FROM (SELECT id, subscriber_id, category, value_text, value_cipher, key_id, source, collected_at, purge_after, purge_clause, statute_from, created_at, updated_at FROM holdings WHERE subscriber_id = $1 UNION ALL SELECT id, subscriber_id, category, value_text, value_cipher, key_id, source, collected_at, purge_after, purge_clause, statute_from, created_at, updated_at FROM portal_statute.holdings a WHERE subscriber_id = $2 AND NOT EXISTS (SELECT 1 FROM holdings u WHERE u.subscriber_id = a.subscriber_id AND u.id = a.id)) AS t ORDER BY category, collected_at, id LIMIT $3`, 2, 500},
	{`SELECT * FROM "consents" WHERE subscriber_id = $1 ORDER BY topic LIMIT $2`, 1, 100},
	{`SELECT * FROM (SELECT * FROM (SELECT id, subscriber_id, kind, occurred_at, external_id, summary, summary_cipher, purge_after, purge_clause, statute_from, created_at FROM records WHERE subscriber_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2) AS p UNION ALL SELECT * FROM (SELECT id, subscriber_id, kind, occurred_at, external_id, summary, summary_cipher, purge_after, purge_clause, statute_from, created_at FROM portal_statute.records a WHERE subscriber_id = $3 AND NOT EXISTS (SELECT 1 FROM records u WHERE u.subscriber_id = a.subscriber_id AND u.id = a.id) ORDER BY occurred_at DESC, id DESC LIMIT $4) AS k) AS t ORDER BY occurred_at DESC, id DESC LIMIT $5`, -1, 21},
	{`SELECT * FROM "requests" WHERE subscriber_id = $1 ORDER BY filed_at DESC, id DESC LIMIT $2`, 1, 11},
}

// meArgs are a statement's arguments for subscriber id; ids -1 is the
// records page, each side of its union cut at the limit, then the union.
func meArgs(ids, limit int, id string) []any {
	if ids < 0 {
		return []any{id, limit, id, limit, limit}
	}
	args := make([]any, 0, ids+1)
	for range ids {
		args = append(args, id)
	}
	if limit > 0 {
		args = append(args, limit)
	}
	return args
}

// Baseline runs the statements of one `me` for random subscribers, each
// worker on its own connection, reading every row: the database's work for
// the home screen without the API. One operation is one home screen's
// statements, so its throughput compares with `me`'s directly.
type Baseline struct {
	conns chan *pgx.Conn
	all   []*pgx.Conn
	subs  *Subjects
	// pipelined sends the statements together in one round trip (a
	// pgx.Batch), as the server does, instead of one after the other.
	pipelined bool
}

// DialTimeout bounds connecting to the database, so that one that is down
// is reported within seconds.
const DialTimeout = ReadyTimeout

// OpenBaseline connects n workers to the database at url; pipelined sends
// each home screen's statements in one round trip.
func OpenBaseline(ctx context.Context, url string, n int, subs *Subjects, pipelined bool) (*Baseline, error) {
	if url == "" {
		return nil, errors.New("the baseline needs PORTAL_DATABASE_URL: the PostgreSQL database the server runs on")
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("PORTAL_DATABASE_URL: %w", err)
	}
	cfg.ConnectTimeout = DialTimeout
	b := &Baseline{conns: make(chan *pgx.Conn, n), subs: subs, pipelined: pipelined}
	for range n {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("cannot reach the database at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
		}
		b.all = append(b.all, c)
		b.conns <- c
	}
	return b, nil
}

// Close closes every connection.
func (b *Baseline) Close() {
	var wg sync.WaitGroup
	for _, c := range b.all {
		wg.Go(func() { _ = c.Close(context.Background()) })
	}
	wg.Wait()
}

// Check runs the statements once for the first and the last subscriber:
// the schema must be there, and the subscribers seeded.
func (b *Baseline) Check(ctx context.Context) error {
	for _, i := range []int{0, b.subs.n - 1} {
		c := <-b.conns
		n, err := homeScreen(ctx, c, b.subs.ID(i), b.pipelined)
		b.conns <- c
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("subscriber %s is not in the database: seed it with `portal seed --subscribers %d --seed %d`", b.subs.ID(i), b.subs.n, b.subs.seed)
		}
	}
	return nil
}

// Op runs one home screen's statements for a random subscriber.
func (b *Baseline) Op() Op {
	return func(ctx context.Context, r *rand.Rand) error {
		c := <-b.conns
		defer func() { b.conns <- c }()
		_, err := homeScreen(ctx, c, b.subs.ID(b.subs.Pick(r)), b.pipelined)
		return err
	}
}

// homeScreen runs meStatements for one subscriber, one after the other or
// pipelined, and returns how many subscriber rows it found (0 or 1).
func homeScreen(ctx context.Context, c *pgx.Conn, id string, pipelined bool) (int, error) {
	if !pipelined {
		found := 0
		for i, st := range meStatements {
			rows, err := c.Query(ctx, st.sql, meArgs(st.ids, st.limit, id)...)
			if err != nil {
				return 0, err
			}
			n, err := drain(rows)
			if err != nil {
				return 0, err
			}
			if i == 0 {
				found = n
			}
		}
		return found, nil
	}
	batch := &pgx.Batch{}
	for _, st := range meStatements {
		batch.Queue(st.sql, meArgs(st.ids, st.limit, id)...)
	}
	res := c.SendBatch(ctx, batch)
	found := 0
	for i := range meStatements {
		rows, err := res.Query()
		if err != nil {
			_ = res.Close()
			return 0, err
		}
		n, err := drain(rows)
		if err != nil {
			_ = res.Close()
			return 0, err
		}
		if i == 0 {
			found = n
		}
	}
	return found, res.Close()
}

// drain reads every row, as raw values: what crosses the wire, without
// decoding, which the server's driver does and this one need not.
func drain(rows pgx.Rows) (int, error) {
	n := 0
	for rows.Next() {
		_ = rows.RawValues()
		n++
	}
	rows.Close()
	return n, rows.Err()
}
