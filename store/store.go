// Package store keeps the portal's data with gorm, on PostgreSQL in
// production and on an embedded SQLite file in development. It implements the
// store interfaces the domain packages declare; what differs between the two
// databases sits in dialect.go and in the two migration trees.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/clock"
)

// Sentinel errors every store method returns instead of driver errors, so the
// domain and the API can tell a missing row from a clash without SQL text.
var (
	ErrNotFound    = apperr.ErrNotFound
	ErrConflict    = apperr.ErrConflict
	ErrUnavailable = apperr.ErrUnavailable
)

// Options says which database to open.
type Options struct {
	// URL is a postgres:// URL; empty selects the embedded SQLite file.
	URL string
	// SQLitePath is the embedded database file, used when URL is empty.
	SQLitePath string
	// Logger receives slow statements and errors, never parameter values.
	Logger *slog.Logger
	// MaxOpenConns caps the PostgreSQL pool (default 16).
	MaxOpenConns int
	// StatementTimeout and LockTimeout bound every PostgreSQL statement and
	// every wait for a lock (defaults DefaultStatementTimeout and
	// DefaultLockTimeout; negative means none). A statement_timeout or
	// lock_timeout given in the URL wins, e.g. statement_timeout=0 for a
	// long migration.
	StatementTimeout time.Duration
	LockTimeout      time.Duration
	// TracerProvider receives PostgreSQL's statement spans (pgxTracing);
	// nil is OpenTelemetry's global provider, which records nothing while
	// tracing is off.
	TracerProvider trace.TracerProvider
}

// Bounds on PostgreSQL work: a request fails with INTERNAL instead of
// waiting for a lock held by a stuck session or a runaway statement. They
// are shorter than the HTTP edge's request deadline (15 s), so the
// database's own error, which names the cause in the log, comes first.
const (
	DefaultStatementTimeout = 10 * time.Second
	DefaultLockTimeout      = 5 * time.Second
	// idleInTxTimeout ends a session that left a transaction open, with
	// its locks, for this long.
	idleInTxTimeout = 60 * time.Second
)

// withTimeouts adds the session parameters that bound statements and lock
// waits to a postgres:// URL, unless the URL sets them itself. pgx sends
// unknown URL parameters to the server as run-time parameters.
func withTimeouts(raw string, opts Options) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("PORTAL_DATABASE_URL is not a URL")
	}
	q := u.Query()
	set := func(name string, d, def time.Duration) {
		if d == 0 {
			d = def
		}
		if d < 0 || q.Has(name) {
			return
		}
		q.Set(name, strconv.FormatInt(d.Milliseconds(), 10))
	}
	set("statement_timeout", opts.StatementTimeout, DefaultStatementTimeout)
	set("lock_timeout", opts.LockTimeout, DefaultLockTimeout)
	set("idle_in_transaction_session_timeout", 0, idleInTxTimeout)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DB is an open store.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect dialect
	log     *slog.Logger
	counts  *counts
}

// Open connects to the configured database. It does not migrate: call
// Migrate, so that start-up and the migrate command share one path.
func Open(ctx context.Context, opts Options) (*DB, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		NowFunc:                func() time.Time { return clock.Stored(time.Now()) },
		Logger:                 newGormLogger(log),
	}
	var (
		gdb *gorm.DB
		d   dialect
		err error
	)
	if opts.URL != "" {
		if !strings.HasPrefix(opts.URL, "postgres://") && !strings.HasPrefix(opts.URL, "postgresql://") {
			return nil, fmt.Errorf("PORTAL_DATABASE_URL must be a postgres:// URL")
		}
		d = postgresDialect{}
		dsn, derr := withTimeouts(opts.URL, opts)
		if derr != nil {
			return nil, derr
		}
		gdb, err = gorm.Open(postgres.New(postgres.Config{DSN: dsn, OptionOpenDB: []stdlib.OptionOpenDB{pgxTracing(opts.TracerProvider)}}), cfg)
	} else {
		path := opts.SQLitePath
		if path == "" {
			path = "portal.db"
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
		}
		d = sqliteDialect{}
		gdb, err = gorm.Open(sqlite.Open(sqliteDSN(path)), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", d.name(), redact(err))
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", d.name(), err)
	}
	d.configurePool(sqlDB, opts)
	db := &DB{gorm: gdb, sql: sqlDB, dialect: d, log: log, counts: new(counts)}
	if err := registerCounter(gdb, db.counts); err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open %s store: %w", d.name(), err)
	}
	return db, nil
}

// sqliteDSN turns a file path into a DSN with the pragmas the portal relies
// on: foreign keys (cascades), WAL (readers during writes) and a busy timeout
// (writers queue instead of failing).
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Dialect names the database the store runs on: "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect.name() }

// SQL returns the underlying pool, for migrations and health checks.
func (db *DB) SQL() *sql.DB { return db.sql }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, redact(err))
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// InTx runs fn in one transaction; fn's store sees only that transaction.
// An error or a panic in fn rolls it back.
func (db *DB) InTx(ctx context.Context, fn func(tx *DB) error) error {
	return translate(db.gorm.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(&DB{gorm: g, sql: db.sql, dialect: db.dialect, log: db.log, counts: db.counts})
	}))
}

// q starts a query bound to ctx.
func (db *DB) q(ctx context.Context) *gorm.DB { return db.gorm.WithContext(ctx) }

// translate maps gorm and driver errors to the store's sentinels. Errors the
// caller cannot act on keep their cause for the logs, but callers see them as
// internal.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrUnavailable):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey), errors.Is(err, gorm.ErrForeignKeyViolated):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case isConnectionError(err):
		return fmt.Errorf("%w: %v", ErrUnavailable, redact(err))
	}
	return err
}

// isConnectionError recognises a lost or refused connection, so that an
// outage is reported as such and not as a bug.
func isConnectionError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"connection refused", "broken pipe", "connection reset", "bad connection", "failed to connect", "no such host", "i/o timeout", "server closed", "conn closed", "the database system is shutting down"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return errors.Is(err, sql.ErrConnDone)
}

// redact strips a password that a driver may echo from a connection URL.
func redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		if at := strings.Index(msg[i:], "@"); at > 0 {
			msg = msg[:i+3] + "…" + msg[i+at:]
		}
	}
	return errors.New(msg)
}

// newGormLogger sends gorm's slow-query and error reports to slog without
// parameter values: statements are logged with placeholders only, so
// personal data never reaches the logs.
func newGormLogger(log *slog.Logger) gormlogger.Interface {
	cfg := gormlogger.Config{
		SlowThreshold:             200 * time.Millisecond,
		LogLevel:                  gormlogger.Warn,
		IgnoreRecordNotFoundError: true,
		ParameterizedQueries:      true,
	}
	return newQuietTrace(gormlogger.NewSlogLogger(log, cfg), cfg)
}

// counts are the statements a store has run and the round trips they took.
type counts struct {
	statements, trips atomic.Int64
}

// Statements counts the SQL statements this store has run, so tests can
// hold a query's cost fixed whatever the data (no N+1).
func (db *DB) Statements() int64 { return db.counts.statements.Load() }

// RoundTrips counts the times this store has waited for the database: a
// statement each, but one for the statements read ahead together
// (ReadAhead). On SQLite, in process, it counts statements.
func (db *DB) RoundTrips() int64 { return db.counts.trips.Load() }

func registerCounter(g *gorm.DB, n *counts) error {
	inc := func(g *gorm.DB) {
		// A dry run only builds the statement, for ReadAhead to send.
		if !g.DryRun {
			n.statements.Add(1)
			n.trips.Add(1)
		}
	}
	cb := g.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("portal:count", inc),
		cb.Row().After("gorm:row").Register("portal:count", inc),
		cb.Raw().After("gorm:raw").Register("portal:count", inc),
		cb.Create().After("gorm:create").Register("portal:count", inc),
		cb.Update().After("gorm:update").Register("portal:count", inc),
		cb.Delete().After("gorm:delete").Register("portal:count", inc),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
