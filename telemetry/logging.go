package telemetry

import (
	"log/slog"
)

// ReplaceAttr is the loggers' slog.HandlerOptions.ReplaceAttr: durations
// are written as Go duration text ("1.2s", "350ms") instead of integer
// nanoseconds, which JSON handlers otherwise emit and nobody reads.
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}
