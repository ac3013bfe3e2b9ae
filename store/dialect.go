package store

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"
)

// dialect is everything that truly differs between PostgreSQL and SQLite.
// Queries elsewhere use portable gorm clauses; when one cannot, the
// difference is a method here, chosen once at Open.
type dialect interface {
	name() string
	configurePool(db *sql.DB, opts Options)
	// batches tells whether several reads sent together (a pgx batch)
	// save round trips (ReadAhead); SQLite, in process, has none to save.
	batches() bool
	gooseDialect() goose.Dialect
	migrationsDir() string
	// locker serialises migrations across replicas starting at once; nil
	// where one process owns the file.
	locker() (lock.SessionLocker, error)
	// lockAuditChain holds the audit chain's tail until tx ends, so that
	// appenders on every replica take turns and the chain never forks.
	lockAuditChain(tx *gorm.DB) error
	// pruneAudit removes the audit events before the first one at or after
	// before, moving the chain's anchor, inside tx.
	pruneAudit(tx *gorm.DB, before time.Time) (int64, error)

	// The purge and the hold gate (store/purge.go, store/holds.go).

	// nowExpr is the SQL expression of the database's clock.
	nowExpr() string
	// lockDue ends a select of rows (alias t) the purge moves apart: each
	// row is locked for this transaction, and rows another transaction
	// holds are skipped, so purges on several replicas never take the
	// same row.
	lockDue() string
	// tryBatchLock takes, without waiting, the lock one purge batch holds
	// until its transaction ends: batches of runs on several replicas
	// take turns, so that none erases a row another is erasing or passes
	// a row another has; false if another batch holds it.
	tryBatchLock(tx *gorm.DB) (bool, error)
	// guardDue wraps the select of a batch's due rows (columns
	// subscriber_id, id, purge_after) so that, in the same statement, their
	// subscribers are locked until the transaction ends in a mode that
	// conflicts with lockSubscriber, skipping any being held right now; it
	// adds a column guarded, 0 for a row whose subscriber was skipped.
	guardDue(selectDue string) string
	// lockSubscriber ends the select of the subscriber row a hold is placed
	// on: placing a hold waits for the purge batches of that subscriber,
	// and they skip it while a hold is being placed.
	lockSubscriber() string
	// eraseDue is the one statement that erases a batch: of the rows of
	// table (alias t) matching cond, it deletes those held does not
	// cover, deletes their copies kept apart in twins (none if empty),
	// records the erasures (after cond's parameters: the instant rows are
	// due at, run id, item type, erased at) and returns (code, clause,
	// erased, held) rows; false where a DELETE cannot feed an INSERT.
	eraseDue(table, code, cond, held, twins string) (string, bool)
	// subscriberIn renders a condition matching the rows of alias t of
	// the given subscribers.
	subscriberIn(subs []string) (string, []any)
	// itemKeys renders a condition matching the rows of alias t whose
	// (subscriber_id, id) are the given pairs; ids are []string (holdings)
	// or []int64 (records).
	itemKeys(subs []string, ids any) (string, []any)
	// rowLoc is the expression (alias t) of where a row lies, which stays
	// valid while the transaction holds the row locked; '' where ids find
	// rows as fast.
	rowLoc() string
	// lockedKeys renders a condition matching rows of alias t that this
	// transaction selected and locked, by their rowLoc or, where there is
	// none, their unique ids.
	lockedKeys(locs []string, ids any) (string, []any)

	// Notification delivery (store/notify.go).

	// lockOutbox ends the deliverer's select of due outbox rows (alias t):
	// each row is locked for the claiming transaction, and rows another
	// deliverer is claiming are skipped, so replicas never claim the same
	// message at once.
	lockOutbox() string

	// Data keys (store/keys.go).

	// keysTable names the table of wrapped subscriber data keys: a schema
	// of its own on PostgreSQL, kept out of data backups.
	keysTable() string

	// Statute-kept data (store/statute.go).

	// apart names the table that keeps apart the rows of holdings or
	// records that only a statute keeps: a schema of its own on
	// PostgreSQL, with its own grants.
	apart(table string) string
}

type postgresDialect struct{}

func (postgresDialect) name() string  { return "postgres" }
func (postgresDialect) batches() bool { return true }

func (postgresDialect) configurePool(db *sql.DB, opts Options) {
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 16
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
}

func (postgresDialect) gooseDialect() goose.Dialect { return goose.DialectPostgres }
func (postgresDialect) migrationsDir() string       { return "migrations/postgres" }

func (postgresDialect) locker() (lock.SessionLocker, error) {
	return lock.NewPostgresSessionLocker()
}

type sqliteDialect struct{}

func (sqliteDialect) name() string  { return "sqlite" }
func (sqliteDialect) batches() bool { return false }

// configurePool keeps SQLite to one writer: the file has a single write lock,
// and one connection turns lock contention into queueing.
func (sqliteDialect) configurePool(db *sql.DB, _ Options) {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
}

func (sqliteDialect) gooseDialect() goose.Dialect         { return goose.DialectSQLite3 }
func (sqliteDialect) migrationsDir() string               { return "migrations/sqlite" }
func (sqliteDialect) locker() (lock.SessionLocker, error) { return nil, nil }

// lockAuditChain takes a transaction-scoped advisory lock: released by
// commit or rollback, so a failed caller cannot leave the chain locked.
func (postgresDialect) lockAuditChain(tx *gorm.DB) error {
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", auditChainLockID).Error
}

// pruneAudit calls the audit_prune function of the migrations, which takes
// the chain's lock and moves the anchor and deletes in one statement.
func (postgresDialect) pruneAudit(tx *gorm.DB, before time.Time) (int64, error) {
	var n int64
	err := tx.Raw("SELECT audit_prune(?)", before).Scan(&n).Error
	return n, err
}

// lockAuditChain needs nothing on SQLite: the file has one writer, and the
// pool one connection.
func (sqliteDialect) lockAuditChain(*gorm.DB) error { return nil }

func (sqliteDialect) pruneAudit(tx *gorm.DB, before time.Time) (int64, error) {
	return pruneAuditPortable(tx, before)
}

// nowExpr is the server's clock, which every replica shares.
func (postgresDialect) nowExpr() string { return "now()" }

// lockDue skips rows other purges hold: several replicas move rows apart
// at once and each row is moved by exactly one of them.
func (postgresDialect) lockDue() string { return " FOR UPDATE OF t SKIP LOCKED" }

// purgeBatchLock is the purge batches' transaction-level lock, among the
// job locks (store/lock.go) under a name of its own.
const purgeBatchLock = "purge.batch"

// tryBatchLock takes a transaction-level advisory lock: released by commit
// or rollback, written to no WAL, never waited for.
func (postgresDialect) tryBatchLock(tx *gorm.DB) (bool, error) {
	var ok bool
	err := tx.Raw("SELECT pg_try_advisory_xact_lock(?, hashtext(?))", jobLockClass, purgeBatchLock).Scan(&ok).Error
	return ok, err
}

// lockSubscriber takes the row lock that conflicts with guardDue's FOR KEY
// SHARE, and with nothing the feeds take when they update a subscriber
// (FOR NO KEY UPDATE).
func (postgresDialect) lockSubscriber() string { return " FOR UPDATE" }

// guardDue locks the subscribers FOR KEY SHARE, which conflicts with the
// FOR UPDATE of a hold placement and with nothing the feeds take, and skips
// rather than waits for a subscriber whose hold is being placed. The next
// statement of the batch, with a snapshot taken after these locks, sees
// every hold committed before them, and none can commit after. The
// subscribers are found by their primary key, as an array: a join would
// let the planner read the whole table for a few dozen of them.
func (postgresDialect) guardDue(selectDue string) string {
	return "WITH due AS (" + selectDue + "), guard AS (SELECT s.id FROM subscribers s WHERE s.id = ANY(ARRAY(SELECT DISTINCT subscriber_id FROM due)) FOR KEY SHARE OF s SKIP LOCKED)" +
		" SELECT due.subscriber_id, due.id, due.purge_after, CASE WHEN guard.id IS NULL THEN 0 ELSE 1 END" +
		" FROM due LEFT JOIN guard ON guard.id = due.subscriber_id ORDER BY due.purge_after, due.subscriber_id, due.id"
}

// eraseDue reads the batch's rows once (cand), deletes the unheld ones by
// their ctid — a TID scan, as a hand-written batched DELETE would — and
// feeds them to the INSERT of the erasures in a data-modifying WITH: the
// thousands of rows of a batch never leave the server, and no row is
// locked before its DELETE. A row another transaction changed since the
// snapshot has another ctid by then, and is left for a later run; one a
// feed holds locked right now is waited for, as by any DELETE (no purge
// batch holds one: they take turns under tryBatchLock).
func (postgresDialect) eraseDue(table, code, cond, held, twins string) (string, bool) {
	q := "WITH cand AS MATERIALIZED (SELECT t.ctid AS loc, t." + code + " AS code, t.purge_clause AS clause, CASE WHEN " + held + " THEN 1 ELSE 0 END AS held" +
		" FROM " + table + " t WHERE " + cond + ")" +
		", gone AS (DELETE FROM " + table + " AS t WHERE t.ctid = ANY(ARRAY(SELECT loc FROM cand WHERE held = 0)) AND t.purge_after <= ?" +
		" RETURNING t.subscriber_id, t.id, t." + code + " AS code, t.purge_clause AS clause)"
	if twins != "" {
		q += ", twins AS (DELETE FROM " + twins + " AS a USING gone g WHERE a.subscriber_id = g.subscriber_id AND a.id = g.id)"
	}
	q += ", rec AS (INSERT INTO erasures (subscriber_id, run_id, item_type, code, clause, count, erased_at)" +
		" SELECT subscriber_id, ?, ?, code, clause, COUNT(*), ? FROM gone GROUP BY subscriber_id, code, clause RETURNING code, clause, count)" +
		" SELECT code, clause, SUM(count)::bigint, 0 FROM rec GROUP BY code, clause" +
		" UNION ALL SELECT code, clause, 0, COUNT(*) FROM cand WHERE held = 1 GROUP BY code, clause"
	return q, true
}

// subscriberIn passes the subscribers as one array parameter.
func (postgresDialect) subscriberIn(subs []string) (string, []any) {
	return "t.subscriber_id = ANY(?::text[])", []any{textArray(subs)}
}

// itemKeys joins two arrays, two parameters whatever the batch size, so a
// batch of thousands plans as a join on the primary key.
func (postgresDialect) itemKeys(subs []string, ids any) (string, []any) {
	switch v := ids.(type) {
	case []int64:
		return "(t.subscriber_id, t.id) IN (SELECT * FROM unnest(?::text[], ?::bigint[]))", []any{textArray(subs), int8Array(v)}
	case []string:
		return "(t.subscriber_id, t.id) IN (SELECT * FROM unnest(?::text[], ?::text[]))", []any{textArray(subs), textArray(v)}
	}
	panic("store: itemKeys takes []int64 or []string ids")
}

// rowLoc is the ctid: the rows a purge moves apart are locked FOR UPDATE
// from LockStatuteKept to the end of the batch, so nothing can move them.
func (postgresDialect) rowLoc() string { return "t.ctid::text" }

// lockedKeys finds the rows by ctid, one array parameter whatever the
// batch size: a TID scan reads each row's page directly, about ten times
// faster than a join on the primary key.
func (postgresDialect) lockedKeys(locs []string, _ any) (string, []any) {
	return "t.ctid = ANY(?::tid[])", []any{textArray(locs)}
}

// nowExpr is the machine's clock, in UTC: the embedded file has no server
// of its own.
func (sqliteDialect) nowExpr() string { return "strftime('%Y-%m-%d %H:%M:%f', 'now')" }

// lockDue, tryBatchLock, lockSubscriber and guardDue need no locks on
// SQLite: the file has one writer and the pool one connection, so purge
// batches and hold placements never interleave.
func (sqliteDialect) lockDue() string                     { return "" }
func (sqliteDialect) tryBatchLock(*gorm.DB) (bool, error) { return true, nil }
func (sqliteDialect) lockSubscriber() string              { return "" }
func (sqliteDialect) guardDue(selectDue string) string {
	return "SELECT d.*, 1 FROM (" + selectDue + ") d ORDER BY d.purge_after, d.subscriber_id, d.id"
}

// eraseDue is not possible: SQLite's DELETE … RETURNING cannot feed an
// INSERT.
func (sqliteDialect) eraseDue(string, string, string, string, string) (string, bool) {
	return "", false
}

// subscriberIn passes the subscribers as one JSON array, as itemKeys does.
func (sqliteDialect) subscriberIn(subs []string) (string, []any) {
	b, err := json.Marshal(subs)
	if err != nil {
		panic("store: subscriberIn: " + err.Error())
	}
	return "t.subscriber_id IN (SELECT value FROM json_each(?))", []any{string(b)}
}

// rowLoc is none: SQLite's rows are found by their unique ids.
func (sqliteDialect) rowLoc() string { return "''" }

// lockedKeys lists the ids, as itemKeys does.
func (d sqliteDialect) lockedKeys(_ []string, ids any) (string, []any) { return d.itemKeys(nil, ids) }

// itemKeys passes the ids as one JSON array: on SQLite both holdings and
// records have a unique id, and the driver binds a long parameter list in
// quadratic time.
func (sqliteDialect) itemKeys(_ []string, ids any) (string, []any) {
	b, err := json.Marshal(ids)
	if err != nil {
		panic("store: itemKeys: " + err.Error())
	}
	return "t.id IN (SELECT value FROM json_each(?))", []any{string(b)}
}

// lockOutbox skips rows another deliverer is claiming: each replica claims
// a different batch, and none waits on another.
func (postgresDialect) lockOutbox() string { return " FOR UPDATE OF t SKIP LOCKED" }

// lockOutbox needs nothing on SQLite: the file has one writer and the pool
// one connection, so claims follow one another.
func (sqliteDialect) lockOutbox() string { return "" }

func (postgresDialect) keysTable() string { return "portal_keys.subscriber_keys" }
func (sqliteDialect) keysTable() string   { return "subscriber_keys" }

func (postgresDialect) apart(table string) string { return "portal_statute." + table }
func (sqliteDialect) apart(table string) string   { return "statute_" + table }
