package telemetry

import (
	"log/slog"

	"github.com/xroshot/portal/store"
)

// ReplaceAttr is the loggers' slog.HandlerOptions.ReplaceAttr: durations
// are written as Go duration text ("1.2s", "350ms") instead of integer
// nanoseconds, which JSON handlers otherwise emit and nobody reads; an
// error is written as store.Loggable says, so a database error wrapped in
// a job's error ("notification pass failed") carries no value either.
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindDuration:
		return slog.String(a.Key, a.Value.Duration().String())
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && err != nil {
			return slog.String(a.Key, store.Loggable(err).Error())
		}
	}
	return a
}
