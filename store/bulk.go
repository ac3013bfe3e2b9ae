package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
)

// BulkRows are the rows of new subscribers written together by BulkInsert.
//
// More tables (consents, requests) join here as fields when their
// generators exist: a field, its COPY in postgresDialect.bulkInsert and its
// batch in sqliteDialect.bulkInsert.
type BulkRows struct {
	Subscribers []*models.Subscriber
	Holdings    []*models.Holding
	Records     []*models.Record
	FeeIssues   []*models.FeeIssue
	// Holds must cover all items of their subscriber: item links would
	// need the ids the database gives the rows.
	Holds []*models.Hold
}

// Add appends the rows of one prepared subscriber.
func (b *BulkRows) Add(p *feed.PreparedSubscriber) {
	b.Subscribers = append(b.Subscribers, p.Subscriber)
	b.Holdings = append(b.Holdings, p.Holdings...)
	b.Records = append(b.Records, p.Records...)
	b.FeeIssues = append(b.FeeIssues, p.FeeIssues...)
	b.Holds = append(b.Holds, p.Holds...)
}

// Reset empties b and keeps its capacity, for the next batch.
func (b *BulkRows) Reset() {
	clear(b.Subscribers)
	clear(b.Holdings)
	clear(b.Records)
	clear(b.FeeIssues)
	clear(b.Holds)
	b.Subscribers, b.Holdings, b.Records, b.FeeIssues, b.Holds = b.Subscribers[:0], b.Holdings[:0], b.Records[:0], b.FeeIssues[:0], b.Holds[:0]
}

// BulkInsert writes the rows of new subscribers in one transaction of its
// own, by the fastest path the database has: COPY on PostgreSQL, multi-row
// INSERTs on SQLite. It is for filling a database (the seed command): the
// rows must have passed the domain's rules (feed.Service.Prepare), since
// nothing is validated or scheduled here, and they must be new: a
// subscriber, holding or record that exists fails the whole batch with
// ErrConflict. Times are normalised in place as every store write does;
// record and fee issue ids are left to the database and not read back.
func (db *DB) BulkInsert(ctx context.Context, rows *BulkRows) error {
	for _, s := range rows.Subscribers {
		normalizeTimes(&s.SignedUpAt, s.TerminatedAt, s.BillingSince)
	}
	for _, h := range rows.Holdings {
		normalizeTimes(&h.CollectedAt, h.PurgeAfter)
	}
	for _, r := range rows.Records {
		normalizeTimes(&r.OccurredAt, r.PurgeAfter)
	}
	for _, f := range rows.FeeIssues {
		normalizeTimes(&f.Since, f.ResolvedAt)
	}
	for _, h := range rows.Holds {
		if len(h.Items) > 0 {
			return fmt.Errorf("store: bulk insert of hold %s with item links: only holds on all items can be loaded in bulk", h.ID)
		}
		normalizeTimes(&h.PlacedAt, h.ReleasedAt)
	}
	bi, ok := db.dialect.(bulkInserter)
	if !ok {
		return fmt.Errorf("store: no bulk insert on %s", db.dialect.name())
	}
	return bi.bulkInsert(ctx, db, rows)
}

// bulkInserter is the part of a dialect that writes BulkRows.
type bulkInserter interface {
	bulkInsert(ctx context.Context, db *DB, rows *BulkRows) error
}

var (
	_ bulkInserter = postgresDialect{}
	_ bulkInserter = sqliteDialect{}
)

// bulkInsert streams each table with COPY (binary) inside one transaction
// on a connection of the pool, through the pgx connection under gorm's
// database/sql driver.
func (postgresDialect) bulkInsert(ctx context.Context, db *DB, rows *BulkRows) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return translate(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: bulk insert needs the pgx driver, not %T", dc)
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		for _, c := range []struct {
			table string
			cols  []string
			n     int
			row   func(i int) []any
		}{
			{"subscribers", []string{"id", "status", "signed_up_at", "terminated_at", "birth_date", "guardian_id", "billing_state", "billing_since"},
				len(rows.Subscribers), func(i int) []any {
					s := rows.Subscribers[i]
					return []any{s.ID, string(s.Status), s.SignedUpAt, nullTime(s.TerminatedAt), nullString(s.BirthDate), nullString(s.GuardianID), string(s.BillingState), nullTime(s.BillingSince)}
				}},
			{"holdings", []string{"id", "subscriber_id", "category", "value_text", "value_cipher", "key_id", "source", "collected_at", "purge_after", "purge_clause"},
				len(rows.Holdings), func(i int) []any {
					h := rows.Holdings[i]
					var cipher any
					if len(h.ValueCipher) > 0 {
						cipher = h.ValueCipher
					}
					return []any{h.ID, h.SubscriberID, h.Category, nullString(h.ValueText), cipher, nullString(h.KeyID), h.Source, h.CollectedAt, nullTime(h.PurgeAfter), h.PurgeClause}
				}},
			{"records", []string{"subscriber_id", "kind", "occurred_at", "external_id", "summary", "purge_after", "purge_clause"},
				len(rows.Records), func(i int) []any {
					r := rows.Records[i]
					return []any{r.SubscriberID, r.Kind, r.OccurredAt, r.ExternalID, r.Summary, nullTime(r.PurgeAfter), r.PurgeClause}
				}},
			{"fee_issues", []string{"subscriber_id", "kind", "since", "resolved_at", "source_ref"},
				len(rows.FeeIssues), func(i int) []any {
					f := rows.FeeIssues[i]
					return []any{f.SubscriberID, string(f.Kind), f.Since, nullTime(f.ResolvedAt), nullString(f.SourceRef)}
				}},
			{"holds", []string{"id", "subscriber_id", "reason", "all_items", "source_ref", "placed_by", "placed_at", "released_at"},
				len(rows.Holds), func(i int) []any {
					h := rows.Holds[i]
					return []any{h.ID, h.SubscriberID, string(h.Reason), h.AllItems, h.SourceRef, h.PlacedBy, h.PlacedAt, nullTime(h.ReleasedAt)}
				}},
		} {
			if c.n == 0 {
				continue
			}
			src := pgx.CopyFromSlice(c.n, func(i int) ([]any, error) { return c.row(i), nil })
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, src); err != nil {
				return fmt.Errorf("copy %s: %w", c.table, err)
			}
		}
		return tx.Commit(ctx)
	})
	return translateCopy(err)
}

// bulkBatch keeps SQLite's multi-row INSERTs under its parameter limit
// (32766) for the widest table.
const bulkBatch = 1000

// bulkInsert runs multi-row INSERTs in one transaction: the file has one
// writer, and one large transaction spares a journal sync per row.
func (sqliteDialect) bulkInsert(ctx context.Context, db *DB, rows *BulkRows) error {
	return db.InTx(ctx, func(tx *DB) error {
		for _, v := range []struct {
			n    int
			rows any
		}{
			{len(rows.Subscribers), rows.Subscribers},
			{len(rows.Holdings), rows.Holdings},
			{len(rows.Records), rows.Records},
			{len(rows.FeeIssues), rows.FeeIssues},
			{len(rows.Holds), rows.Holds},
		} {
			if v.n == 0 {
				continue
			}
			if err := tx.q(ctx).CreateInBatches(v.rows, bulkBatch).Error; err != nil {
				return translate(err)
			}
		}
		return nil
	})
}

// translateCopy maps a failed COPY to the store's sentinels: a key that
// exists, or a row whose subscriber does not, is a conflict.
func translateCopy(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "23503": // unique_violation, foreign_key_violation
			return fmt.Errorf("%w: %s (%s)", ErrConflict, pe.Message, pe.ConstraintName)
		}
	}
	return translate(err)
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func nullString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
