package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/reqctx"
)

// Reading ahead. The subscriber's home screen makes seven reads, five of
// them one after another (the subject, then its lists), each a round trip
// to PostgreSQL. ReadAhead sends the reads a response will make in one
// pgx batch — one round trip — and leaves each value in the response's
// memo (reqctx.Ahead) under the key its store method reads through
// (reqctx.Once, or Memo for the shared consents), so the services call the
// same methods in the same order and get what they would have read, only
// earlier. Each read is written once, as a gorm query (read.find): run
// alone, or built without running (a dry run) and sent in the batch, its
// rows scanned by gorm into the same destination either way.

// read is one read of the store, made alone or ahead with others.
type read struct {
	// key names the read in the response's memo: a type of this package
	// with the read's parameters and the store (a transaction's reads are
	// its own).
	key any
	// find applies the query to q and finds its rows into the read's own
	// destination; in a dry run it only builds the statement.
	find func(q *gorm.DB) *gorm.DB
	// value is the read's result once find's rows are in.
	value func(res *gorm.DB) (any, error)
}

// run makes r alone.
func (db *DB) run(ctx context.Context, r read) (any, error) {
	return r.value(r.find(db.q(ctx)))
}

// once makes r for a caller that owns the value: read ahead if it was,
// else now.
func once[T any](ctx context.Context, db *DB, r read) (T, error) {
	v, err := reqctx.Once(ctx, r.key, func() (any, error) { return db.run(ctx, r) })
	t, _ := v.(T)
	return t, err
}

// shared makes r once for every caller of the response (reqctx.Memo).
func shared[T any](ctx context.Context, db *DB, r read) (T, error) {
	v, err := reqctx.Memo(ctx, r.key, func() (any, error) { return db.run(ctx, r) })
	t, _ := v.(T)
	return t, err
}

// ReadAhead makes the reads rs names in one round trip, ahead of the
// callers that will ask for them in this response; a read's error is
// theirs. Where it saves nothing — SQLite has no round trips, a
// transaction reads what it wrote, a response that writes has no memo —
// it reads nothing, and each read is made when asked.
func (db *DB) ReadAhead(ctx context.Context, rs models.Reads) {
	if !db.dialect.batches() || db.inTx() {
		return
	}
	id := rs.SubscriberID
	var reads []read
	add := func(want bool, r read) {
		if want {
			reads = append(reads, r)
		}
	}
	add(rs.SubscriberWithKey, db.subscriberWithKeyRead(id))
	add(rs.FeeIssues, db.feeIssuesRead(id))
	add(rs.ActiveHolds, db.activeHoldsRead(id))
	add(rs.AllHoldings, db.allHoldingsRead(id))
	add(rs.Consents, db.consentsRead(id))
	for _, p := range rs.Records {
		p.SubscriberID = id
		reads = append(reads, db.recordsRead(p))
	}
	for _, p := range rs.Requests {
		reads = append(reads, db.subscriberRequestsRead(id, p.After, p.Limit))
	}
	byKey := make(map[any]read, len(reads))
	keys := make([]any, len(reads))
	for i, r := range reads {
		keys[i], byKey[r.key] = r.key, r
	}
	reqctx.Ahead(ctx, keys, func(todo []any) ([]any, []error) {
		rs := make([]read, len(todo))
		for i, k := range todo {
			rs[i] = byKey[k]
		}
		return db.together(ctx, rs)
	})
}

// together makes reads in one pgx batch on one pooled connection — one
// round trip, two the first time a connection sees a statement, which pgx
// then prepares — and returns each one's value and error. It counts a
// statement for each read.
func (db *DB) together(ctx context.Context, reads []read) ([]any, []error) {
	vals, errs := make([]any, len(reads)), make([]error, len(reads))
	fail := func(err error) ([]any, []error) {
		for i := range errs {
			errs[i] = err
		}
		return vals, errs
	}
	dry := db.q(ctx).Session(&gorm.Session{DryRun: true})
	res := make([]*gorm.DB, len(reads))
	b := &pgx.Batch{}
	for i, r := range reads {
		res[i] = r.find(dry)
		if err := res[i].Error; err != nil {
			return fail(translate(err))
		}
		b.Queue(res[i].Statement.SQL.String(), res[i].Statement.Vars...)
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fail(translate(err))
	}
	defer conn.Close()
	db.counts.trips.Add(1)
	db.counts.statements.Add(int64(len(reads)))
	begin, rowsRead := time.Now(), int64(0)
	err = conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: reading ahead needs pgx, not %T", driverConn)
		}
		br := c.Conn().SendBatch(ctx, b)
		for _, r := range res {
			rows, err := br.Query()
			if err != nil {
				_ = br.Close()
				return err
			}
			// gorm scans the rows into the read's destination as its
			// query callback would, the statement still holding it.
			gorm.Scan(gormRows{rows}, r, 0)
			rowsRead += r.RowsAffected
			rows.Close()
			if err := rows.Err(); err != nil {
				_ = br.Close()
				return err
			}
		}
		return br.Close()
	})
	// The batch is logged as gorm logs a statement, failed or slow, its
	// statements without their values.
	db.gorm.Logger.Trace(ctx, begin, func() (string, int64) {
		sqls := make([]string, len(res))
		for i, r := range res {
			sqls[i] = r.Statement.SQL.String()
		}
		return strings.Join(sqls, "; "), rowsRead
	}, err)
	if err != nil {
		return fail(translate(err))
	}
	for i, r := range reads {
		vals[i], errs[i] = r.value(res[i])
	}
	return vals, errs
}

// gormRows shows pgx's rows to gorm's scanner. gorm asks for column types
// only to scan into maps, which no read here does.
type gormRows struct{ pgx.Rows }

func (r gormRows) Columns() ([]string, error) {
	fds := r.FieldDescriptions()
	cols := make([]string, len(fds))
	for i, fd := range fds {
		cols[i] = fd.Name
	}
	return cols, nil
}

func (gormRows) ColumnTypes() ([]*sql.ColumnType, error) { return nil, nil }

func (r gormRows) Close() error {
	r.Rows.Close()
	return r.Err()
}
