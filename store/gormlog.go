package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
)

var _ gorm.ParamsFilter = quietTrace{}

// quietTrace passes gorm's statement traces on only when they will be
// logged: failed or slow statements, or every one at level Info. gorm's slog
// logger renders each statement's SQL with regular expressions before it
// decides, which cost an eighth of an import's CPU for nothing.
type quietTrace struct {
	gormlogger.Interface
	level gormlogger.LogLevel
	slow  time.Duration
}

func newQuietTrace(inner gormlogger.Interface, cfg gormlogger.Config) gormlogger.Interface {
	return quietTrace{Interface: inner, level: cfg.LogLevel, slow: cfg.SlowThreshold}
}

// LogMode keeps the filter on the logger at its new level.
func (q quietTrace) LogMode(l gormlogger.LogLevel) gormlogger.Interface {
	return quietTrace{Interface: q.Interface.LogMode(l), level: l, slow: q.slow}
}

// Trace skips what the inner logger would not log anyway.
func (q quietTrace) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if q.level <= gormlogger.Silent {
		return
	}
	failed := err != nil && !errors.Is(err, gormlogger.ErrRecordNotFound)
	if q.level < gormlogger.Info && !failed && (q.slow <= 0 || time.Since(begin) <= q.slow) {
		return
	}
	q.Interface.Trace(ctx, begin, fc, Loggable(err))
}

// Loggable is what a log line may say of a failed statement's error.
// PostgreSQL's message can quote the offending value ('invalid input syntax
// for type uuid: "…"'), so a PostgreSQL error is logged as withheldPg makes
// it (what it is, never what it says); other errors (the driver's,
// SQLite's, which name columns, not values) pass as they are.
func Loggable(err error) error {
	var pg *pgconn.PgError
	if err == nil || !errors.As(err, &pg) {
		return err
	}
	return withheldPg(pg)
}

// withheldPg is a PostgreSQL error by what it is — severity, SQLSTATE and
// the names of the constraint, table and column involved — without its
// message or detail, which can quote values. Logs (Loggable) and spans
// (withheld) both record it.
func withheldPg(pg *pgconn.PgError) *pgconn.PgError {
	msg := "message withheld"
	for _, n := range []struct{ k, v string }{{"constraint", pg.ConstraintName}, {"table", pg.TableName}, {"column", pg.ColumnName}} {
		if n.v != "" {
			msg += "; " + n.k + " " + n.v
		}
	}
	return &pgconn.PgError{Severity: pg.Severity, Code: pg.Code, Message: msg,
		ConstraintName: pg.ConstraintName, TableName: pg.TableName, ColumnName: pg.ColumnName}
}

// ParamsFilter drops every statement's values before gorm renders it for a
// log line: a failed INSERT or a slow query is logged as its parameterized
// SQL ("… VALUES ($1,$2)"), never with the personal data it carried. gorm
// looks for this method on the logger it holds, so the wrapper must have it
// itself: the inner logger's ParameterizedQueries setting is not reached
// through the embedded interface.
func (quietTrace) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
