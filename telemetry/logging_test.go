package telemetry_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/xroshot/portal/telemetry"
)

// A job's error that wraps a PostgreSQL error is logged by its SQLSTATE,
// not by PostgreSQL's message; other errors and durations as before.
func TestLogsCarryNoDatabaseMessage(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: telemetry.ReplaceAttr}))
	pgErr := &pgconn.PgError{Code: "22P02", Message: `invalid input syntax for type uuid: "prod.person@example.com"`}
	log.Error("notification pass failed", slog.Any("error", fmt.Errorf("claim: %w", pgErr)))
	log.Error("other", slog.Any("error", fmt.Errorf("dial tcp: connection refused")))
	out := buf.String()
	if strings.Contains(out, "prod.person") || !strings.Contains(out, "SQLSTATE 22P02") {
		t.Errorf("the database error is logged by what it says: %s", out)
	}
	if !strings.Contains(out, "dial tcp: connection refused") {
		t.Errorf("another error was altered: %s", out)
	}
}
