package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	gormlogger "gorm.io/gorm/logger"
)

// A failed statement is logged with its SQLSTATE and the names involved,
// never with PostgreSQL's message, which can quote the value that failed.
func TestFailedStatementLoggedWithoutPostgresMessage(t *testing.T) {
	const phone = "010-5555-4444"
	var buf bytes.Buffer
	cfg := gormlogger.Config{LogLevel: gormlogger.Warn, SlowThreshold: time.Second}
	q := newQuietTrace(gormlogger.NewSlogLogger(slog.New(slog.NewJSONHandler(&buf, nil)), cfg), cfg)
	pgErr := &pgconn.PgError{Severity: "ERROR", Code: "22P02", Message: `invalid input syntax for type uuid: "` + phone + `"`,
		TableName: "requests", ColumnName: "id"}
	sql := func() (string, int64) { return "SELECT * FROM requests WHERE id = $1", -1 }
	q.Trace(context.Background(), time.Now(), sql, fmt.Errorf("get request: %w", pgErr))
	out := buf.String()
	if strings.Contains(out, phone) || strings.Contains(out, "invalid input syntax") {
		t.Errorf("the log line carries PostgreSQL's message: %s", out)
	}
	for _, want := range []string{"SQLSTATE 22P02", "table requests", "column id", "SELECT * FROM requests WHERE id = $1"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log line lacks %q: %s", want, out)
		}
	}

	// Any other error passes as it is.
	buf.Reset()
	q.Trace(context.Background(), time.Now(), sql, fmt.Errorf("database is locked"))
	if !strings.Contains(buf.String(), "database is locked") {
		t.Errorf("a non-PostgreSQL error was altered: %s", buf.String())
	}
}
