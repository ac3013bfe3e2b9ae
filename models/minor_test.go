package models

import (
	"testing"
	"time"
)

// A child turns 14 at 00:00 KST on the 14th birthday (민법 158: the day of
// birth counts; 160: a 29 February birthday ends the 14 years with
// February), i.e. at 15:00 UTC the day before.
func TestIsMinorAtTheFourteenthBirthdayInKorea(t *testing.T) {
	t.Parallel()
	tests := []struct {
		birth string
		at    time.Time
		minor bool
	}{
		{"2012-03-10", time.Date(2026, 3, 9, 14, 59, 59, 0, time.UTC), true},
		{"2012-03-10", time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC), false},
		// Born on a leap day: 14 from 1 March 2026 (00:00 KST).
		{"2012-02-29", time.Date(2026, 2, 28, 14, 59, 59, 0, time.UTC), true},
		{"2012-02-29", time.Date(2026, 2, 28, 15, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		s := &Subscriber{BirthDate: &tt.birth}
		if got := s.IsMinorAt(tt.at); got != tt.minor {
			t.Errorf("born %s, at %s: minor %t, want %t", tt.birth, tt.at, got, tt.minor)
		}
	}
}
