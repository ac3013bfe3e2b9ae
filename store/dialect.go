package store

import (
	"database/sql"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// dialect is everything that truly differs between PostgreSQL and SQLite.
// Queries elsewhere use portable gorm clauses; when one cannot, the
// difference is a method here, chosen once at Open.
type dialect interface {
	name() string
	configurePool(db *sql.DB, opts Options)
	gooseDialect() goose.Dialect
	migrationsDir() string
	// locker serialises migrations across replicas starting at once; nil
	// where one process owns the file.
	locker() (lock.SessionLocker, error)
}

type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

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

func (sqliteDialect) name() string { return "sqlite" }

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
