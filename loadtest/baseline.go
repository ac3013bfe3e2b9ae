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
// server issue, as PostgreSQL logged them (log_statement = all) with gorm's
// placeholders and its parameters, in the order of the log: inventory.Load
// (subscriber with its wrapped data key, fee issues, active holds), then the fields the resolvers
// fetch concurrently (consents, requests, holdings with the consents their
// clauses depend on, records).
var meStatements = []struct {
	sql   string
	limit int
}{
	{`SELECT s.*, k.master_key_id AS key_master_key_id, k.wrapped AS key_wrapped FROM subscribers s LEFT JOIN portal_keys.subscriber_keys k ON k.subscriber_id = s.id WHERE s.id = $1 LIMIT $2`, 1},
	{`SELECT * FROM "fee_issues" WHERE subscriber_id = $1 ORDER BY since, id LIMIT $2`, 1000},
	{`SELECT h.id, h.subscriber_id, h.reason, h.all_items, h.source_ref, h.placed_by,
			h.placed_at, h.released_at, h.created_at, i.holding_id, i.record_id
		FROM holds h LEFT JOIN hold_items i ON i.subscriber_id = h.subscriber_id AND i.hold_id = h.id
		WHERE h.subscriber_id = $1 AND h.released_at IS NULL
		ORDER BY h.placed_at, h.id, i.holding_id IS NULL, i.holding_id, i.record_id
		LIMIT $2`, 20001},
	{`SELECT * FROM "consents" WHERE subscriber_id = $1 ORDER BY topic LIMIT $2`, 100},
	{`SELECT * FROM "requests" WHERE subscriber_id = $1 ORDER BY filed_at DESC, id DESC LIMIT $2`, 11},
	{`SELECT * FROM "holdings" WHERE subscriber_id = $1 ORDER BY category, collected_at, id LIMIT $2`, 500},
	{`SELECT * FROM "records" WHERE subscriber_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2`, 21},
	{`SELECT * FROM "consents" WHERE subscriber_id = $1 ORDER BY topic LIMIT $2`, 100},
}

// Baseline runs the statements of one `me` for random subscribers, each
// worker on its own connection, reading every row: the database's work for
// the home screen without the API. One operation is one home screen's
// statements, so its throughput compares with `me`'s directly.
type Baseline struct {
	conns chan *pgx.Conn
	all   []*pgx.Conn
	subs  *Subjects
}

// DialTimeout bounds connecting to the database, so that one that is down
// is reported within seconds.
const DialTimeout = ReadyTimeout

// OpenBaseline connects n workers to the database at url.
func OpenBaseline(ctx context.Context, url string, n int, subs *Subjects) (*Baseline, error) {
	if url == "" {
		return nil, errors.New("the baseline needs PORTAL_DATABASE_URL: the PostgreSQL database the server runs on")
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("PORTAL_DATABASE_URL: %w", err)
	}
	cfg.ConnectTimeout = DialTimeout
	b := &Baseline{conns: make(chan *pgx.Conn, n), subs: subs}
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
		n, err := homeScreen(ctx, c, b.subs.ID(i))
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
		_, err := homeScreen(ctx, c, b.subs.ID(b.subs.Pick(r)))
		return err
	}
}

// homeScreen runs meStatements for one subscriber, one after the other, and
// returns how many subscriber rows it found (0 or 1).
func homeScreen(ctx context.Context, c *pgx.Conn, id string) (int, error) {
	found := 0
	for i, st := range meStatements {
		rows, err := c.Query(ctx, st.sql, id, st.limit)
		if err != nil {
			return 0, err
		}
		n := 0
		for rows.Next() {
			// The raw values: what crosses the wire, without decoding, which
			// the server's driver does and this one need not.
			_ = rows.RawValues()
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if i == 0 {
			found = n
		}
	}
	return found, nil
}
