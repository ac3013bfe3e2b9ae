package store

import (
	"fmt"
	"time"

	"github.com/xroshot/portal/clock"
)

// errorf wraps a sentinel with a message safe to show a client.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// normalizeTimes stores every instant in UTC at microsecond precision, the
// precision PostgreSQL keeps, so both stores read back what was written and
// SQLite's text timestamps compare in time order.
func normalizeTimes(ts ...*time.Time) {
	for _, t := range ts {
		if t != nil {
			*t = clock.Stored(*t)
		}
	}
}
