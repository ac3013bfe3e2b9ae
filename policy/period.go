package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/clock"
)

// Period is a calendar period of the notice ("6 months", "5 years"): years,
// months and days, never hours, because retention is counted in calendar
// dates in Korea.
type Period struct {
	Years, Months, Days int
}

// ParsePeriod reads an ISO 8601 period made of years, months and days, such
// as "P6M", "P5Y", "P28D" or "P1Y6M". Weeks and times are refused: the notice
// counts in none of them.
func ParsePeriod(s string) (Period, error) {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return Period{}, fmt.Errorf("period %q: want an ISO 8601 period such as P6M or P5Y", s)
	}
	var p Period
	order := "YMD"
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if i <= 0 {
			return Period{}, fmt.Errorf("period %q: want digits followed by Y, M or D", s)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			return Period{}, fmt.Errorf("period %q: %w", s, err)
		}
		unit := rest[i]
		j := strings.IndexByte(order, unit)
		if j < 0 {
			return Period{}, fmt.Errorf("period %q: unit %q not allowed (want Y, M or D, in that order)", s, unit)
		}
		order = order[j+1:]
		switch unit {
		case 'Y':
			p.Years = n
		case 'M':
			p.Months = n
		case 'D':
			p.Days = n
		}
		rest = rest[i+1:]
	}
	return p, nil
}

// IsZero reports whether the period is empty.
func (p Period) IsZero() bool { return p == Period{} }

// String returns the period in ISO 8601 form, as written in the catalog.
func (p Period) String() string {
	if p.IsZero() {
		return "P0D"
	}
	var b strings.Builder
	b.WriteByte('P')
	for _, part := range [...]struct {
		n    int
		unit byte
	}{{p.Years, 'Y'}, {p.Months, 'M'}, {p.Days, 'D'}} {
		if part.n != 0 {
			b.WriteString(strconv.Itoa(part.n))
			b.WriteByte(part.unit)
		}
	}
	return b.String()
}

// Describe returns the period in words ("6 months", "6개월") for
// explanations shown to subscribers.
func (p Period) Describe(lang Lang) string {
	type unit struct {
		n        int
		ko, enS  string
		enPlural string
	}
	var parts []string
	for _, u := range [...]unit{
		{p.Years, "년", "year", "years"},
		{p.Months, "개월", "month", "months"},
		{p.Days, "일", "day", "days"},
	} {
		switch {
		case u.n == 0:
		case lang == En && u.n == 1:
			parts = append(parts, "1 "+u.enS)
		case lang == En:
			parts = append(parts, strconv.Itoa(u.n)+" "+u.enPlural)
		default:
			parts = append(parts, strconv.Itoa(u.n)+u.ko)
		}
	}
	if len(parts) == 0 {
		return p.String()
	}
	return strings.Join(parts, " ")
}

// AddTo adds the period to t as calendar arithmetic on the date in Korea
// (clock.KST) and returns the result in UTC.
//
// Years and months are added first and a day that does not exist in the
// target month falls back to that month's last day (31 August + 6 months is
// 28 or 29 February), as the Civil Act counts periods (민법 제160조③); plain
// time.AddDate would roll over into March and keep data days longer than the
// notice allows. Days are added last.
func (p Period) AddTo(t time.Time) time.Time {
	k := t.In(clock.KST)
	y, m, d := k.Date()
	months := int(m) - 1 + p.Months + 12*p.Years
	y += months / 12
	months %= 12
	if months < 0 {
		months += 12
		y--
	}
	month := time.Month(months + 1)
	if last := daysIn(y, month); d > last {
		d = last
	}
	r := time.Date(y, month, d, k.Hour(), k.Minute(), k.Second(), k.Nanosecond(), clock.KST)
	return r.AddDate(0, 0, p.Days).UTC()
}

// Elapse returns the first instant after a period of p counted from an
// event at t, as the Civil Act counts it in Korea (clock.KST): the day of the
// event is not counted unless the event is at 00:00 (민법 제157조); years and
// months follow the calendar, and the period ends on the day before the day
// that corresponds to its first day, or on the last day of the final month
// when that month has no such day (제160조); it ends at the end of its last
// day (제159조). So the result is always midnight KST: data "kept until D"
// may be erased from the first moment of D+1, never during D.
func (p Period) Elapse(t time.Time) time.Time {
	first := StartOfDay(t)
	if !first.Equal(t) {
		first = first.AddDate(0, 0, 1)
	}
	y, m, d := first.Date()
	months := int(m) - 1 + p.Months + 12*p.Years
	y += months / 12
	months %= 12
	if months < 0 {
		months += 12
		y--
	}
	month := time.Month(months + 1)
	corr := time.Date(y, month, d, 0, 0, 0, 0, clock.KST)
	if d > daysIn(y, month) {
		// No corresponding day: the period ends with the month.
		corr = time.Date(y, month+1, 1, 0, 0, 0, 0, clock.KST)
	}
	return corr.AddDate(0, 0, p.Days).UTC()
}

// StartOfDay returns midnight KST of the Korean calendar day of t.
func StartOfDay(t time.Time) time.Time {
	k := t.In(clock.KST)
	return time.Date(k.Year(), k.Month(), k.Day(), 0, 0, 0, 0, clock.KST)
}

// LastDay returns the last calendar day (midnight KST) of a period whose
// first instant after it is end, as Elapse returns it: the "D" of "kept
// until D".
func LastDay(end time.Time) time.Time {
	return StartOfDay(end.Add(-time.Nanosecond))
}

// daysIn returns the number of days in the month.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
