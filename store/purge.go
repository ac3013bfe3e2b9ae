package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/purge"
)

// itemTable is how the purge's SQL names one kind of personal-data row.
type itemTable struct {
	table string // holdings or records, or the table keeping them apart
	code  string // the column of the category or record kind
	link  string // the hold_items column linking a hold to such a row
}

// tableOf names the table of one type of row: in use, or kept apart
// because only a statute keeps it (store/statute.go). A row keeps its id
// when it moves, so the same hold links cover it in both.
func (db *DB) tableOf(t models.ItemType, apart bool) itemTable {
	it := itemTable{table: "records", code: "kind", link: "record_id"}
	if t == models.ItemHolding {
		it = itemTable{table: "holdings", code: "category", link: "holding_id"}
	}
	if apart {
		it.table = db.dialect.apart(it.table)
	}
	return it
}

// held is true for a row of alias t that an active hold covers: one on
// everything of its subscriber, or one linked to the row itself — the rule
// of holds.Covers, stated for rows (inventory's TestTheHoldRuleIsOneRule
// pins the two, and the inventory's assessment, to the same fixtures). Both are
// index probes (holds_active_all; hold_items_holding / hold_items_record).
func (it itemTable) held() string {
	return "(EXISTS (SELECT 1 FROM holds h WHERE h.subscriber_id = t.subscriber_id AND h.all_items AND h.released_at IS NULL)" +
		" OR EXISTS (SELECT 1 FROM hold_items i JOIN holds h ON h.subscriber_id = i.subscriber_id AND h.id = i.hold_id" +
		" WHERE i.subscriber_id = t.subscriber_id AND i." + it.link + " = t.id AND h.released_at IS NULL))"
}

// Outlook reads, in one statement, what a purge run checks before it
// starts: the database's clock and the start of the latest finished run
// (for the clock-skew check), and whether any holding or record is due at
// now, in use or kept apart (a table with none is not walked at all).
func (db *DB) Outlook(ctx context.Context, now time.Time) (purge.Outlook, error) {
	var (
		dbNow, last                              any
		holdings, recs, apartHoldings, apartRecs bool
		out                                      purge.Outlook
	)
	n := utc(now)
	err := db.q(ctx).Raw("SELECT "+db.dialect.nowExpr()+
		", (SELECT started_at FROM purge_runs WHERE finished_at IS NOT NULL ORDER BY started_at DESC LIMIT 1)"+
		", EXISTS (SELECT 1 FROM holdings WHERE purge_after <= ?), EXISTS (SELECT 1 FROM records WHERE purge_after <= ?)"+
		", EXISTS (SELECT 1 FROM "+db.dialect.apart("holdings")+" WHERE purge_after <= ?), EXISTS (SELECT 1 FROM "+db.dialect.apart("records")+" WHERE purge_after <= ?)",
		n, n, n, n).Row().Scan(&dbNow, &last, &holdings, &recs, &apartHoldings, &apartRecs)
	if err != nil {
		return out, translate(err)
	}
	if out.DatabaseNow, err = asTime(dbNow); err != nil {
		return out, err
	}
	if last != nil {
		t, err := asTime(last)
		if err != nil {
			return out, err
		}
		out.LastStart = &t
	}
	out.Due = map[models.ItemType]bool{models.ItemHolding: holdings, models.ItemRecord: recs}
	out.DueApart = map[models.ItemType]bool{models.ItemHolding: apartHoldings, models.ItemRecord: apartRecs}
	return out, nil
}

// asTime reads an instant from a computed column: a time on PostgreSQL, a
// text in one of the store's formats on SQLite, where computed columns have
// no declared type.
func asTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case []byte:
		return asTime(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999", time.RFC3339Nano} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("store: %q is not a time", x)
	}
	return time.Time{}, fmt.Errorf("store: %T is not a time", v)
}

// CreatePurgeRun records the start of a run and sets its id.
func (db *DB) CreatePurgeRun(ctx context.Context, r *models.PurgeRun) error {
	normalizeTimes(&r.StartedAt)
	return translate(db.q(ctx).Create(r).Error)
}

// FinishPurgeRun records how a run ended and its tally; call it in a
// transaction when there are counts.
func (db *DB) FinishPurgeRun(ctx context.Context, r *models.PurgeRun, counts []models.PurgeRunCount) error {
	normalizeTimes(r.FinishedAt)
	err := db.q(ctx).Model(&models.PurgeRun{}).Where("id = ?", r.ID).Updates(map[string]any{
		"finished_at": r.FinishedAt, "outcome": r.Outcome, "erased": r.Erased, "skipped_held": r.SkippedHeld,
	}).Error
	if err != nil {
		return translate(err)
	}
	if len(counts) == 0 {
		return nil
	}
	for i := range counts {
		counts[i].RunID = r.ID
	}
	return translate(db.q(ctx).CreateInBatches(counts, 500).Error)
}

// GetPurgeRun returns a run with its tally, or ErrNotFound.
func (db *DB) GetPurgeRun(ctx context.Context, id int64) (*models.PurgeRun, []models.PurgeRunCount, error) {
	var r models.PurgeRun
	if err := db.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, nil, translate(err)
	}
	var counts []models.PurgeRunCount
	err := db.q(ctx).Where("run_id = ?", id).Order("clause, item_type, code").Find(&counts).Error
	return &r, counts, translate(err)
}

// dueRange renders the condition (alias t) on the rows of q.Type due at
// q.Now — in use or kept apart, of q.Clauses if any — after the key after
// (nil from the start) and, with last, up to and including it: the range
// of the purge's walk. Served by the holdings_due / records_due indexes.
func (db *DB) dueRange(typ models.ItemType, apart bool, now time.Time, clauses []string, after, last *purge.Key) (string, []any) {
	var sb strings.Builder
	args := make([]any, 0, 8)
	sb.WriteString("t.purge_after <= ?")
	args = append(args, utc(now))
	sb.WriteString(db.notTwin(typ, apart))
	if after != nil {
		sb.WriteString(" AND (t.purge_after, t.subscriber_id, t.id) > (?, ?, ?)")
		args = append(args, utc(after.PurgeAfter), after.SubscriberID, keyID(typ, after))
	}
	if last != nil {
		sb.WriteString(" AND (t.purge_after, t.subscriber_id, t.id) <= (?, ?, ?)")
		args = append(args, utc(last.PurgeAfter), last.SubscriberID, keyID(typ, last))
	}
	if len(clauses) > 0 {
		sb.WriteString(" AND t.purge_clause IN ?")
		args = append(args, clauses)
	}
	return sb.String(), args
}

// GuardDue takes the purge's batch lock (dialect.tryBatchLock; Busy if
// another transaction holds it), reads the keys of up to q.Limit rows of
// q.Type due at q.Now after q.After in (purge_after, subscriber_id, id)
// order, and in the same statement locks their subscribers against hold
// placement (dialect.guardDue), skipping any being held right now, whose
// rows it counts as deferred. It locks no row and checks no hold: EraseDue
// does, once, with a snapshot taken after these locks.
func (db *DB) GuardDue(ctx context.Context, q purge.DueQuery) (purge.Due, error) {
	var out purge.Due
	got, err := db.dialect.tryBatchLock(db.q(ctx))
	if err != nil || !got {
		out.Busy = !got
		return out, translate(err)
	}
	it := db.tableOf(q.Type, q.Apart)
	cond, args := db.dueRange(q.Type, q.Apart, q.Now, q.Clauses, q.After, nil)
	sel := "SELECT t.subscriber_id, t.id, t.purge_after FROM " + it.table + " t WHERE " + cond + " ORDER BY t.purge_after, t.subscriber_id, t.id LIMIT ?"
	rows, err := db.q(ctx).Raw(db.dialect.guardDue(sel), append(args, q.Limit)...).Rows()
	if err != nil {
		return out, translate(err)
	}
	defer rows.Close()
	var (
		last  purge.Key
		seen  = map[string]bool{}
		guard int
	)
	for rows.Next() {
		var id any = &last.RecordID
		if q.Type == models.ItemHolding {
			id = &last.HoldingID
		}
		if err := rows.Scan(&last.SubscriberID, id, &last.PurgeAfter, &guard); err != nil {
			return out, translate(err)
		}
		out.Rows++
		if guard == 0 {
			out.Deferred++
		} else if !seen[last.SubscriberID] {
			seen[last.SubscriberID] = true
			out.Subscribers = append(out.Subscribers, last.SubscriberID)
		}
	}
	if err := rows.Err(); err != nil {
		return out, translate(err)
	}
	if out.Rows > 0 {
		out.Last = &last
	}
	return out, nil
}

func keyID(t models.ItemType, k *purge.Key) any {
	if t == models.ItemHolding {
		return k.HoldingID
	}
	return k.RecordID
}

// EraseDue deletes the rows of b's range and subscribers (locked by
// GuardDue in this transaction) that are due at b.Now and that no active
// hold covers — read now, so that a hold committed before GuardDue's
// locks wins — records them as erasures per subscriber, category or kind
// and clause, and counts the held rows of the range, per clause and code.
// A row erased from the tables in use takes with it its copy kept apart
// (a move that stopped before its delete left one): one row, erased and
// recorded once. On PostgreSQL all of it is one statement (dialect.eraseDue)
// that reads and deletes each row once; elsewhere it is summed here.
func (db *DB) EraseDue(ctx context.Context, b purge.Batch) ([]purge.Count, error) {
	if len(b.Subscribers) == 0 {
		return nil, nil
	}
	it := db.tableOf(b.Type, b.Apart)
	cond, args := db.dueRange(b.Type, b.Apart, b.Now, b.Clauses, b.After, b.Last)
	subs, subArgs := db.dialect.subscriberIn(b.Subscribers)
	cond += " AND " + subs
	args = append(args, subArgs...)
	twins := ""
	if !b.Apart {
		twins = db.tableOf(b.Type, true).table
	}
	at := utc(b.At)
	if q, ok := db.dialect.eraseDue(it.table, it.code, cond, it.held(), twins); ok {
		return db.scanCounts(ctx, b.Type, q, append(args, utc(b.Now), b.RunID, string(b.Type), at)...)
	}
	// Where a DELETE cannot feed an INSERT, the held rows are counted, the
	// others deleted and the erasures written by statements of their own,
	// in this transaction.
	out, err := db.scanCounts(ctx, b.Type, "SELECT t."+it.code+", t.purge_clause, 0, COUNT(*) FROM "+it.table+" t WHERE "+cond+" AND "+it.held()+
		" GROUP BY t."+it.code+", t.purge_clause", args...)
	if err != nil {
		return nil, err
	}
	rows, err := db.q(ctx).Raw("DELETE FROM "+it.table+" AS t WHERE "+cond+" AND NOT "+it.held()+
		" RETURNING subscriber_id, id, "+it.code+", purge_clause", args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	type key struct{ sub, code, clause string }
	perSub := map[key]int64{}
	var (
		subIDs   []string
		holdings []string
		records  []int64
	)
	for rows.Next() {
		var (
			k   key
			hid string
			rid int64
			id  any = &rid
		)
		if b.Type == models.ItemHolding {
			id = &hid
		}
		if err := rows.Scan(&k.sub, id, &k.code, &k.clause); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		perSub[k]++
		subIDs, holdings, records = append(subIDs, k.sub), append(holdings, hid), append(records, rid)
	}
	if err := rows.Close(); err != nil {
		return nil, translate(err)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	es := make([]models.Erasure, 0, len(perSub))
	total := map[[2]string]int64{}
	for k, n := range perSub {
		es = append(es, models.Erasure{SubscriberID: k.sub, RunID: b.RunID, ItemType: b.Type, Code: k.code, Clause: k.clause, Count: n, ErasedAt: at})
		total[[2]string{k.code, k.clause}] += n
	}
	if len(es) > 0 {
		if err := db.q(ctx).CreateInBatches(es, 500).Error; err != nil {
			return nil, translate(err)
		}
	}
	for k, n := range total {
		out = append(out, purge.Count{Type: b.Type, Code: k[0], Clause: k[1], Erased: n})
	}
	if twins == "" || len(subIDs) == 0 {
		return out, nil
	}
	var ids any = records
	if b.Type == models.ItemHolding {
		ids = holdings
	}
	keys, keyArgs := db.dialect.itemKeys(subIDs, ids)
	return out, translate(db.q(ctx).Exec("DELETE FROM "+twins+" AS t WHERE "+keys, keyArgs...).Error)
}

// notTwin is, for a walk of the rows kept apart, the condition (alias t)
// that leaves out a row also still in use — copied by a move that stopped
// before its delete — which the walk of the rows in use takes, erasing or
// passing it once for both (EraseDue). Empty for a walk of the rows in
// use.
func (db *DB) notTwin(typ models.ItemType, apart bool) string {
	if !apart {
		return ""
	}
	return " AND NOT EXISTS (SELECT 1 FROM " + db.tableOf(typ, false).table + " u WHERE u.subscriber_id = t.subscriber_id AND u.id = t.id)"
}

// scanCounts runs a statement returning (code, clause, erased, held) rows
// and reads them as counts of typ.
func (db *DB) scanCounts(ctx context.Context, typ models.ItemType, q string, args ...any) ([]purge.Count, error) {
	rows, err := db.q(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []purge.Count
	for rows.Next() {
		c := purge.Count{Type: typ}
		if err := rows.Scan(&c.Code, &c.Clause, &c.Erased, &c.SkippedHeld); err != nil {
			return nil, translate(err)
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// CountDue counts the due rows of q.Type per clause and category or kind:
// those an active hold covers and the others. One aggregate over the due
// index range; q.After and q.Limit are ignored.
func (db *DB) CountDue(ctx context.Context, q purge.DueQuery) ([]purge.DueCount, error) {
	it := db.tableOf(q.Type, q.Apart)
	var sb strings.Builder
	args := []any{utc(q.Now)}
	fmt.Fprintf(&sb, "SELECT t.purge_clause, t.%s, SUM(CASE WHEN %s THEN 1 ELSE 0 END), COUNT(*) FROM %s t WHERE t.purge_after <= ?", it.code, it.held(), it.table)
	sb.WriteString(db.notTwin(q.Type, q.Apart))
	if len(q.Clauses) > 0 {
		sb.WriteString(" AND t.purge_clause IN ?")
		args = append(args, q.Clauses)
	}
	fmt.Fprintf(&sb, " GROUP BY t.purge_clause, t.%s ORDER BY t.purge_clause, t.%s", it.code, it.code)
	rows, err := db.q(ctx).Raw(sb.String(), args...).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []purge.DueCount
	for rows.Next() {
		c := purge.DueCount{Type: q.Type}
		var held, total int64
		if err := rows.Scan(&c.Clause, &c.Code, &held, &total); err != nil {
			return nil, translate(err)
		}
		c.Held, c.Unheld = held, total-held
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// ListErasures returns a subscriber's erasure records, newest first.
func (db *DB) ListErasures(ctx context.Context, subscriberID string, limit int) ([]models.Erasure, error) {
	var out []models.Erasure
	err := db.q(ctx).Where("subscriber_id = ?", subscriberID).Order("erased_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, translate(err)
}

func utc(t time.Time) time.Time { return clock.Stored(t) }

// textArray and int8Array pass a Go slice to PostgreSQL as one array
// parameter (text format), where gorm would expand a slice into one
// parameter per element.
type textArray []string

// Value renders the array literal, every element quoted.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.Grow(len(a) * 16)
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

type int8Array []int64

// Value renders the array literal.
func (a int8Array) Value() (driver.Value, error) {
	b := make([]byte, 0, len(a)*8+2)
	b = append(b, '{')
	for i, n := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, '}')
	return string(b), nil
}
