// Package clock gives the rules of the portal a notion of "now" that tests can
// move, so that a subscriber's life over years can be walked in milliseconds.
package clock

import (
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns the current UTC time.
func (Real) Now() time.Time { return time.Now().UTC() }

// Manual is a clock that only moves when told to; safe for concurrent use.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a Manual clock set to t.
func NewManual(t time.Time) *Manual { return &Manual{now: t.UTC()} }

// Now returns the clock's current time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t.UTC()
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
}

// KST is Korea Standard Time. Korea has no daylight saving, so a fixed zone is
// exact and needs no tz database on the machine. Retention dates are calendar
// dates in this zone.
var KST = time.FixedZone("KST", 9*60*60)

// Precision is the resolution at which the stores keep instants:
// PostgreSQL's timestamptz holds microseconds (SQLite keeps what it is
// given, so the portal gives it the same).
const Precision = time.Microsecond

// Stored is t as the stores keep it: in UTC at Precision. Every instant
// that is written, hashed into the audit chain or put in a cursor goes
// through it first, so that what is read back compares equal to what was
// written and a hash or cursor made before the write matches the one made
// after. It is the one place the portal decides time precision.
func Stored(t time.Time) time.Time { return t.UTC().Truncate(Precision) }
