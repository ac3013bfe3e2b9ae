package models

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xroshot/portal/clock"
)

// Date is a calendar date in Korea Standard Time, the way the notice and the
// subscriber count days ("kept until 2031-07-26").
type Date struct{ time.Time }

// DateOf returns the KST calendar date of the instant t.
func DateOf(t time.Time) Date {
	k := t.In(clock.KST)
	return Date{time.Date(k.Year(), k.Month(), k.Day(), 0, 0, 0, 0, clock.KST)}
}

// DatePtr is DateOf for an optional instant.
func DatePtr(t *time.Time) *Date {
	if t == nil {
		return nil
	}
	d := DateOf(*t)
	return &d
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return d.Format(time.DateOnly) }

// MarshalGQL writes the date as a quoted YYYY-MM-DD string.
func (d Date) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(d.String())) }

// UnmarshalGQL reads a YYYY-MM-DD string.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("a Date is a string YYYY-MM-DD")
	}
	t, err := time.ParseInLocation(time.DateOnly, s, clock.KST)
	if err != nil {
		return fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	d.Time = t
	return nil
}
