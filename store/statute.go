package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
)

// Statute-kept data is stored apart (법 21③): once only statute-only
// clauses keep a holding or record, the purge moves it from holdings or
// records to the table the dialect keeps apart (apart), with the same
// columns and the same id, and erases it there when its clause ends. Only
// the subscriber's own view, the purge and audits read those tables; the
// agents' view, transmissions, notices and marketing read holdings and
// records alone.

// holdingColumns and recordColumns are the columns a move copies: every
// column of the two tables.
const (
	holdingColumns = "id, subscriber_id, category, value_text, value_cipher, key_id, source, collected_at, purge_after, purge_clause, statute_from, created_at, updated_at"
	recordColumns  = "id, subscriber_id, kind, occurred_at, external_id, summary, summary_cipher, purge_after, purge_clause, statute_from, created_at"
)

// columnsOf is the column list of a table in use, holdings or records.
func columnsOf(table string) string {
	if table == "holdings" {
		return holdingColumns
	}
	return recordColumns
}

// everywhere is a table expression (alias t) over a table in use and the
// rows of it kept apart, each side filtered by cond (unaliased, its args
// given once): for the readers that see both, the subscriber's own view
// and the purge. A row is in one of them, or — a move copied it and
// stopped before deleting it — in both with the same content, and then
// read once, from the table in use (an index probe per row kept apart).
func (db *DB) everywhere(table, cond string, args ...any) (string, []any) {
	cols := columnsOf(table)
	expr := "(SELECT " + cols + " FROM " + table + " WHERE " + cond +
		" UNION ALL SELECT " + cols + " FROM " + db.dialect.apart(table) + " a WHERE " + cond +
		" AND NOT EXISTS (SELECT 1 FROM " + table + " u WHERE u.subscriber_id = a.subscriber_id AND u.id = a.id)) AS t"
	return expr, append(append(make([]any, 0, 2*len(args)), args...), args...)
}

// everywhereTop is everywhere for a page: each side ordered by order and
// cut at limit before the union, so that each walks its index and stops
// at the page's end; the caller orders and cuts the union again. (Each
// side is a subquery of its own: SQLite takes no ORDER BY or LIMIT on a
// member of a compound SELECT.)
func (db *DB) everywhereTop(table, cond, order string, limit int, args ...any) (string, []any) {
	cols := columnsOf(table)
	expr := "(SELECT * FROM (SELECT " + cols + " FROM " + table + " WHERE " + cond +
		" ORDER BY " + order + " LIMIT ?) AS p UNION ALL SELECT * FROM (SELECT " + cols + " FROM " + db.dialect.apart(table) + " a WHERE " + cond +
		" AND NOT EXISTS (SELECT 1 FROM " + table + " u WHERE u.subscriber_id = a.subscriber_id AND u.id = a.id)" +
		" ORDER BY " + order + " LIMIT ?) AS k) AS t"
	out := make([]any, 0, 2*len(args)+2)
	out = append(append(out, args...), limit)
	return expr, append(append(out, args...), limit)
}

// ListAllHoldings is ListHoldings with the holdings kept apart because only
// a statute keeps them: for the subscriber's own view and the rules that
// must see every item (rescheduling, a request's outcomes and holds).
func (db *DB) ListAllHoldings(ctx context.Context, subscriberID string) ([]*models.Holding, error) {
	return once[[]*models.Holding](ctx, db, db.allHoldingsRead(subscriberID))
}

// allHoldingsKey names ListAllHoldings' read of a subscriber.
type allHoldingsKey struct {
	db           *DB
	subscriberID string
}

func (db *DB) allHoldingsRead(subscriberID string) read {
	var rows []*models.Holding
	return read{
		key: allHoldingsKey{db, subscriberID},
		find: func(q *gorm.DB) *gorm.DB {
			expr, args := db.everywhere("holdings", "subscriber_id = ?", subscriberID)
			return q.Table(expr, args...).Order("category, collected_at, id").Limit(MaxHoldingsPerSubscriber).Find(&rows)
		},
		value: func(res *gorm.DB) (any, error) { return rows, translate(res.Error) },
	}
}

// LockStatuteKept returns up to q.Limit rows in use of q.Type that only a
// statute keeps at q.Now (statute_from <= now < purge_after) and that no
// active hold covers, after q.After in (statute_from, subscriber_id, id)
// order. On PostgreSQL they are locked for this transaction, skipping rows
// another one holds, so replicas never move the same row and a purge batch
// never erases one being moved. Served by holdings_statute / records_statute.
func (db *DB) LockStatuteKept(ctx context.Context, q purge.MoveQuery) ([]purge.Item, error) {
	it := db.tableOf(q.Type, false)
	var sb strings.Builder
	now := utc(q.Now)
	args := []any{now, now}
	fmt.Fprintf(&sb, "SELECT t.subscriber_id, t.id, t.%s, t.purge_clause, t.statute_from, %s FROM %s t"+
		" WHERE t.statute_from <= ? AND (t.purge_after IS NULL OR t.purge_after > ?) AND NOT %s",
		it.code, db.dialect.rowLoc(), it.table, it.held())
	if a := q.After; a != nil {
		sb.WriteString(" AND (t.statute_from, t.subscriber_id, t.id) > (?, ?, ?)")
		args = append(args, utc(a.StatuteFrom), a.SubscriberID, itemID(q.Type, *a))
	}
	sb.WriteString(" ORDER BY t.statute_from, t.subscriber_id, t.id LIMIT ?" + db.dialect.lockDue())
	args = append(args, q.Limit)
	rows, err := db.q(ctx).Raw(sb.String(), args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := make([]purge.Item, 0, q.Limit)
	for rows.Next() {
		x := purge.Item{Type: q.Type}
		var id any = &x.RecordID
		if q.Type == models.ItemHolding {
			id = &x.HoldingID
		}
		if err := rows.Scan(&x.SubscriberID, id, &x.Code, &x.Clause, &x.StatuteFrom, &x.Loc); err != nil {
			return nil, translate(err)
		}
		out = append(out, x)
	}
	return out, translate(rows.Err())
}

func itemID(t models.ItemType, x purge.Item) any {
	if t == models.ItemHolding {
		return x.HoldingID
	}
	return x.RecordID
}

// lockedItems renders the condition (alias t) on the items this
// transaction locked.
func (db *DB) lockedItems(typ models.ItemType, items []purge.Item) (string, []any) {
	locs := make([]string, len(items))
	var ids any
	if typ == models.ItemHolding {
		hs := make([]string, len(items))
		for i, x := range items {
			locs[i], hs[i] = x.Loc, x.HoldingID
		}
		ids = hs
	} else {
		rs := make([]int64, len(items))
		for i, x := range items {
			locs[i], rs[i] = x.Loc, x.RecordID
		}
		ids = rs
	}
	return db.dialect.lockedKeys(locs, ids)
}

// CopyApart copies the items, locked by LockStatuteKept in this
// transaction, to the table kept apart, column by column; a row already
// there (a move that copied it and stopped) is left as it is. It returns
// how many rows it copied.
func (db *DB) CopyApart(ctx context.Context, typ models.ItemType, items []purge.Item) (int64, error) {
	if len(items) == 0 {
		return 0, nil
	}
	it := db.tableOf(typ, false)
	cols := columnsOf(it.table)
	keys, args := db.lockedItems(typ, items)
	res := db.q(ctx).Exec("INSERT INTO "+db.dialect.apart(it.table)+" ("+cols+") SELECT "+cols+" FROM "+it.table+" t WHERE "+keys+" ON CONFLICT DO NOTHING", args...)
	return res.RowsAffected, translate(res.Error)
}

// DropMoved deletes from the table in use those of the items that are
// kept apart, and only those: a row whose copy is not there stays where it
// is. It returns how many rows it deleted.
func (db *DB) DropMoved(ctx context.Context, typ models.ItemType, items []purge.Item) (int64, error) {
	if len(items) == 0 {
		return 0, nil
	}
	it := db.tableOf(typ, false)
	keys, args := db.lockedItems(typ, items)
	res := db.q(ctx).Exec("DELETE FROM "+it.table+" AS t WHERE "+keys+
		" AND EXISTS (SELECT 1 FROM "+db.dialect.apart(it.table)+" s WHERE s.subscriber_id = t.subscriber_id AND s.id = t.id)", args...)
	return res.RowsAffected, translate(res.Error)
}

// StatuteUndated returns up to limit subscribers after after, in id order,
// with a row in use not yet due at now whose governing clause is one of
// clauses (the statute-only ones) and that has no statute_from: rows
// scheduled before migration 00014 stored it, for the purge to have
// rescheduled.
func (db *DB) StatuteUndated(ctx context.Context, clauses []string, now time.Time, after string, limit int) ([]string, error) {
	n := utc(now)
	cond := " WHERE statute_from IS NULL AND purge_clause IN ? AND (purge_after IS NULL OR purge_after > ?) AND subscriber_id > ?"
	var ids []string
	err := db.q(ctx).Raw("SELECT subscriber_id FROM holdings"+cond+" UNION SELECT subscriber_id FROM records"+cond+" ORDER BY subscriber_id LIMIT ?",
		clauses, n, after, clauses, n, after, limit).Scan(&ids).Error
	return ids, translate(err)
}

// StatuteDated reports whether a purge run has dated every row scheduled
// before migration 00014 (migration 00017).
func (db *DB) StatuteDated(ctx context.Context) (bool, error) {
	var n int64
	err := db.q(ctx).Raw("SELECT COUNT(*) FROM statute_dated").Scan(&n).Error
	return n > 0, translate(err)
}

// MarkStatuteDated records that a run has dated them all, at at; the first
// mark stays.
func (db *DB) MarkStatuteDated(ctx context.Context, at time.Time) error {
	return translate(db.q(ctx).Exec("INSERT INTO statute_dated (dated_at) VALUES (?) ON CONFLICT DO NOTHING", utc(at)).Error)
}
