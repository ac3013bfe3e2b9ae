package store

import (
	"context"
	"errors"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/trace"
)

// pgxTracing gives every PostgreSQL connection a tracer, so each statement
// is a client span under the request's or the job's span (otelpgx): named
// by its operation (SELECT, INSERT, …), with the database system and an
// error's SQLSTATE, and nothing else. As telemetry's spans, these carry no
// query text, parameters or connection details, and a failed statement's
// error is reduced to its severity and code: PostgreSQL's messages can
// quote a value ("invalid input syntax for type uuid: \"…\""). With the
// global provider (tp nil) and tracing off, spans are not recorded.
func pgxTracing(tp trace.TracerProvider) stdlib.OptionOpenDB {
	opts := []otelpgx.Option{
		otelpgx.WithDisableSQLStatementInAttributes(),
		otelpgx.WithDisableConnectionDetailsInAttributes(),
	}
	if tp != nil {
		opts = append(opts, otelpgx.WithTracerProvider(tp))
	}
	t := withheldErrors{otelpgx.NewTracer(opts...)}
	return stdlib.OptionBeforeConnect(func(_ context.Context, c *pgx.ConnConfig) error {
		c.Tracer = t
		return nil
	})
}

// withheldErrors is otelpgx's tracer with the errors it records stripped
// of their text; the caller still gets the real error.
type withheldErrors struct{ *otelpgx.Tracer }

func (w withheldErrors) TraceQueryEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryEndData) {
	d.Err = withheld(d.Err)
	w.Tracer.TraceQueryEnd(ctx, c, d)
}

func (w withheldErrors) TraceBatchQuery(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchQueryData) {
	d.Err = withheld(d.Err)
	w.Tracer.TraceBatchQuery(ctx, c, d)
}

func (w withheldErrors) TraceBatchEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchEndData) {
	d.Err = withheld(d.Err)
	w.Tracer.TraceBatchEnd(ctx, c, d)
}

func (w withheldErrors) TraceCopyFromEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceCopyFromEndData) {
	d.Err = withheld(d.Err)
	w.Tracer.TraceCopyFromEnd(ctx, c, d)
}

func (w withheldErrors) TracePrepareEnd(ctx context.Context, c *pgx.Conn, d pgx.TracePrepareEndData) {
	d.Err = withheld(d.Err)
	w.Tracer.TracePrepareEnd(ctx, c, d)
}

func (w withheldErrors) TraceConnectEnd(ctx context.Context, d pgx.TraceConnectEndData) {
	d.Err = withheld(d.Err)
	w.Tracer.TraceConnectEnd(ctx, d)
}

// withheld keeps what an error is (a PostgreSQL error's severity and
// SQLSTATE, a cancelled or timed-out context) and drops what it says.
func withheld(err error) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	switch {
	case errors.As(err, &pg):
		return withheldPg(pg)
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	default:
		return errors.New("database error (message withheld)")
	}
}
