package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
)

// BulkRows are the rows of new subscribers written together by BulkInsert.
//
// More tables (consents, requests) join here as fields when their
// generators exist: a field, and its entry in bulkTables.
type BulkRows struct {
	Subscribers []*models.Subscriber
	Holdings    []*models.Holding
	Records     []*models.Record
	FeeIssues   []*models.FeeIssue
	// Holds must cover all items of their subscriber: item links would
	// need the ids the database gives the rows.
	Holds []*models.Hold
	// Keys are the new subscribers' wrapped data keys.
	Keys []*models.SubscriberKey
}

// Add appends the rows of one prepared subscriber.
func (b *BulkRows) Add(p *feed.PreparedSubscriber) {
	b.Subscribers = append(b.Subscribers, p.Subscriber)
	b.Holdings = append(b.Holdings, p.Holdings...)
	b.Records = append(b.Records, p.Records...)
	b.FeeIssues = append(b.FeeIssues, p.FeeIssues...)
	b.Holds = append(b.Holds, p.Holds...)
	if p.Key != nil {
		b.Keys = append(b.Keys, p.Key)
	}
}

// Reset empties b and keeps its capacity, for the next batch.
func (b *BulkRows) Reset() {
	clear(b.Subscribers)
	clear(b.Holdings)
	clear(b.Records)
	clear(b.FeeIssues)
	clear(b.Holds)
	clear(b.Keys)
	b.Subscribers, b.Holdings, b.Records, b.FeeIssues, b.Holds = b.Subscribers[:0], b.Holdings[:0], b.Records[:0], b.FeeIssues[:0], b.Holds[:0]
	b.Keys = b.Keys[:0]
}

// BulkInsert writes the rows of new subscribers in one transaction, by the
// fastest path the database has: COPY on PostgreSQL, multi-row INSERTs on
// SQLite. within, if not nil, runs last in the same transaction with a store
// bound to it, for what must commit with the rows (the seed command records
// its audit events there); its error rolls everything back.
//
// It is for filling a database (the seed command): the rows must have passed
// the domain's rules (feed.Service.Prepare), since nothing is validated or
// scheduled here, and they must be new: a subscriber, holding or record that
// exists fails the whole batch with ErrConflict. Times are normalised in
// place as every store write does; record and fee issue ids are left to the
// database and not read back.
func (db *DB) BulkInsert(ctx context.Context, rows *BulkRows, within func(tx *DB) error) error {
	for _, s := range rows.Subscribers {
		normalizeTimes(&s.SignedUpAt, s.TerminatedAt, s.BillingSince)
	}
	for _, h := range rows.Holdings {
		normalizeTimes(&h.CollectedAt, h.PurgeAfter, h.StatuteFrom)
	}
	for _, r := range rows.Records {
		normalizeTimes(&r.OccurredAt, r.PurgeAfter, r.StatuteFrom)
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
	// One connection carries the transaction gorm begins and, on
	// PostgreSQL, the COPY run on the same session through Conn.Raw.
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return translate(err)
	}
	defer conn.Close()
	g := db.gorm.Session(&gorm.Session{Context: ctx})
	g.Statement.ConnPool = conn
	return translate(g.Transaction(func(gtx *gorm.DB) error {
		if err := bi.bulkInsert(ctx, conn, gtx.Statement.ConnPool, rows); err != nil {
			return err
		}
		if within == nil {
			return nil
		}
		return within(&DB{gorm: gtx, sql: db.sql, dialect: db.dialect, log: db.log, counts: db.counts})
	}))
}

// bulkInserter is the part of a dialect that writes BulkRows inside the
// transaction tx open on conn.
type bulkInserter interface {
	bulkInsert(ctx context.Context, conn *sql.Conn, tx gorm.ConnPool, rows *BulkRows) error
}

var (
	_ bulkInserter = postgresDialect{}
	_ bulkInserter = sqliteDialect{}
)

// bulkTable is one table of a BulkRows: its columns, and its i-th row's
// values in their order, as the database/sql and pgx drivers take them.
type bulkTable struct {
	name string
	cols []string
	n    int
	row  func(i int, dst []any) []any
}

// bulkTables lists the tables of rows in the order their foreign keys need.
// Creation times are set here, to now, as gorm sets them on the feed's
// writes, so both paths store the same values in the same format.
func bulkTables(rows *BulkRows, keysTable string, now time.Time) []bulkTable {
	return []bulkTable{
		{"subscribers", []string{"id", "status", "signed_up_at", "terminated_at", "birth_date", "birth_date_cipher", "guardian_id", "billing_state", "billing_since", "created_at", "updated_at"},
			len(rows.Subscribers), func(i int, dst []any) []any {
				s := rows.Subscribers[i]
				return append(dst, s.ID, string(s.Status), s.SignedUpAt, nullTime(s.TerminatedAt), nullString(s.BirthDate), s.BirthDateCipher, nullString(s.GuardianID), string(s.BillingState), nullTime(s.BillingSince), now, now)
			}},
		{keysTable, []string{"subscriber_id", "master_key_id", "wrapped", "created_at"},
			len(rows.Keys), func(i int, dst []any) []any {
				k := rows.Keys[i]
				return append(dst, k.SubscriberID, k.MasterKeyID, k.Wrapped, now)
			}},
		{"holdings", []string{"id", "subscriber_id", "category", "value_text", "value_cipher", "key_id", "source", "collected_at", "purge_after", "purge_clause", "statute_from", "created_at", "updated_at"},
			len(rows.Holdings), func(i int, dst []any) []any {
				h := rows.Holdings[i]
				return append(dst, h.ID, h.SubscriberID, h.Category, nullString(h.ValueText), h.ValueCipher, nullString(h.KeyID), h.Source, h.CollectedAt, nullTime(h.PurgeAfter), h.PurgeClause, nullTime(h.StatuteFrom), now, now)
			}},
		{"records", []string{"subscriber_id", "kind", "occurred_at", "external_id", "summary", "summary_cipher", "purge_after", "purge_clause", "statute_from", "created_at"},
			len(rows.Records), func(i int, dst []any) []any {
				r := rows.Records[i]
				return append(dst, r.SubscriberID, r.Kind, r.OccurredAt, r.ExternalID, r.Summary, r.SummaryCipher, nullTime(r.PurgeAfter), r.PurgeClause, nullTime(r.StatuteFrom), now)
			}},
		{"fee_issues", []string{"subscriber_id", "kind", "since", "resolved_at", "source_ref", "created_at"},
			len(rows.FeeIssues), func(i int, dst []any) []any {
				f := rows.FeeIssues[i]
				return append(dst, f.SubscriberID, string(f.Kind), f.Since, nullTime(f.ResolvedAt), nullString(f.SourceRef), now)
			}},
		{"holds", []string{"id", "subscriber_id", "reason", "all_items", "source_ref", "placed_by", "placed_at", "released_at", "created_at"},
			len(rows.Holds), func(i int, dst []any) []any {
				h := rows.Holds[i]
				return append(dst, h.ID, h.SubscriberID, string(h.Reason), h.AllItems, h.SourceRef, h.PlacedBy, h.PlacedAt, nullTime(h.ReleasedAt), now)
			}},
	}
}

// bulkInsert streams each table with COPY (binary), through the pgx
// connection under gorm's database/sql driver: the session is the one the
// transaction was begun on, so the COPY is part of it.
func (d postgresDialect) bulkInsert(ctx context.Context, conn *sql.Conn, _ gorm.ConnPool, rows *BulkRows) error {
	err := conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: bulk insert needs the pgx driver, not %T", dc)
		}
		for _, t := range bulkTables(rows, d.keysTable(), bulkNow()) {
			if t.n == 0 {
				continue
			}
			buf := make([]any, 0, len(t.cols))
			src := pgx.CopyFromSlice(t.n, func(i int) ([]any, error) { return t.row(i, buf[:0]), nil })
			if _, err := sc.Conn().CopyFrom(ctx, pgx.Identifier(strings.Split(t.name, ".")), t.cols, src); err != nil {
				return fmt.Errorf("copy %s: %w", t.name, err)
			}
		}
		return nil
	})
	return translateCopy(err)
}

// sqliteRowsPerInsert is how many rows one INSERT carries on SQLite: well
// under its parameter limit (32766) for the widest table, and large enough
// that statement overhead vanishes.
const sqliteRowsPerInsert = 200

// bulkInsert runs multi-row INSERTs, prepared once per table and size, in
// the transaction: the file has one writer, and one large transaction
// spares a journal sync per row.
func (d sqliteDialect) bulkInsert(ctx context.Context, _ *sql.Conn, tx gorm.ConnPool, rows *BulkRows) error {
	for _, t := range bulkTables(rows, d.keysTable(), bulkNow()) {
		var (
			stmt  *sql.Stmt
			width int
			args  []any
			err   error
		)
		for from := 0; from < t.n; from += sqliteRowsPerInsert {
			k := min(sqliteRowsPerInsert, t.n-from)
			if k != width {
				if stmt != nil {
					_ = stmt.Close()
				}
				if stmt, err = tx.PrepareContext(ctx, insertSQL(t.name, t.cols, k)); err != nil {
					return translate(err)
				}
				width = k
			}
			args = args[:0]
			for i := from; i < from+k; i++ {
				args = t.row(i, args)
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				_ = stmt.Close()
				return fmt.Errorf("insert %s: %w", t.name, translateSQLite(err))
			}
		}
		if stmt != nil {
			_ = stmt.Close()
		}
	}
	return nil
}

// insertSQL is an INSERT of k rows into table.
func insertSQL(table string, cols []string, k int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO ")
	sb.WriteString(table)
	sb.WriteString(" (")
	sb.WriteString(strings.Join(cols, ", "))
	sb.WriteString(") VALUES ")
	one := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	for i := range k {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(one)
	}
	return sb.String()
}

// bulkNow is the creation time of bulk rows, as gorm's NowFunc gives it.
func bulkNow() time.Time { return clock.Stored(time.Now()) }

// translateSQLite maps constraint failures of raw statements, which gorm's
// error translation does not see, to ErrConflict.
func translateSQLite(err error) error {
	if msg := err.Error(); strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "FOREIGN KEY constraint failed") {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return translate(err)
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
