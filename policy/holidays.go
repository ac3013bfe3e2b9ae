package policy

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xroshot/portal/clock"
)

// HolidaysFile is the name the embedded holiday calendar is reported under.
const HolidaysFile = "policy/holidays-kr.txt"

//go:embed holidays-kr.txt
var holidaysKR []byte

var defaultHolidays = sync.OnceValues(func() (*Holidays, error) { return LoadHolidays(HolidaysFile, holidaysKR) })

// DefaultHolidays returns the Korean public-holiday calendar shipped with the
// portal (policy/holidays-kr.txt), loaded and validated once.
func DefaultHolidays() (*Holidays, error) { return defaultHolidays() }

// Holidays is a public-holiday calendar: the days other than Saturdays and
// Sundays on which a filing deadline does not fall (국세기본법 제5조①). It is
// kept as data, compiled from a cited source and validated at load, because
// lunar holidays, substitute holidays and election days are not a rule the
// portal could compute reliably.
type Holidays struct {
	first, last int // the years the calendar is complete for
	days        map[civilDay]string
}

// civilDay is a calendar date without a zone.
type civilDay struct {
	y int
	m time.Month
	d int
}

// requiredKinds must appear in every covered year: a year without them is a
// gap in the calendar, not a year without holidays.
var requiredKinds = map[string]int{
	"NEW_YEAR": 1, "SEOLLAL": 3, "INDEPENDENCE": 1, "CHILDREN": 1, "BUDDHA": 1, "MEMORIAL": 1,
	"LIBERATION": 1, "CHUSEOK": 3, "FOUNDATION": 1, "HANGUL": 1, "CHRISTMAS": 1,
}

// knownKinds are the kinds a line may name.
var knownKinds = []string{
	"BUDDHA", "CHILDREN", "CHRISTMAS", "CHUSEOK", "CONSTITUTION", "ELECTION", "FOUNDATION", "HANGUL",
	"INDEPENDENCE", "LABOUR", "LIBERATION", "MEMORIAL", "NEW_YEAR", "SEOLLAL", "SUBSTITUTE", "TEMPORARY",
}

// HolidayError is a calendar refused at load: the file, the line and why.
type HolidayError struct {
	File   string
	Line   int
	Reason string
}

func (e *HolidayError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// LoadHolidays reads a calendar: comment lines (#) and blank lines, one
// "covers FIRST LAST" line, then one "DATE<TAB>KIND[,KIND]<TAB>NAME" line per
// date in strictly ascending order. A malformed line, a date out of order or
// twice, a date outside the years covered, or a covered year missing its
// fixed or lunar holidays (a gap) is refused with the file, line and reason.
func LoadHolidays(file string, src []byte) (*Holidays, error) {
	h := &Holidays{days: map[civilDay]string{}}
	fail := func(line int, format string, args ...any) error {
		return &HolidayError{File: file, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	var (
		line     int
		covered  bool
		prev     time.Time
		year     = 0
		seen     = map[string]int{}
		yearLine = 0
	)
	// closeYear checks that the year just read has what every year has.
	closeYear := func(at int) error {
		if year == 0 {
			return nil
		}
		var missing []string
		for k, n := range requiredKinds {
			if seen[k] < n {
				missing = append(missing, fmt.Sprintf("%s (%d of %d)", k, seen[k], n))
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return fail(yearLine, "gap: year %d lacks %s", year, strings.Join(missing, ", "))
		}
		return nil
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(text, "covers "); ok {
			if covered {
				return nil, fail(line, "a second covers line")
			}
			f := strings.Fields(rest)
			if len(f) != 2 {
				return nil, fail(line, "want \"covers FIRST LAST\"")
			}
			a, err1 := strconv.Atoi(f[0])
			b, err2 := strconv.Atoi(f[1])
			if err1 != nil || err2 != nil || a < 1900 || b < a {
				return nil, fail(line, "covers %q: want two years, the first no later than the last", rest)
			}
			h.first, h.last, covered = a, b, true
			continue
		}
		if !covered {
			return nil, fail(line, "dates before the covers line")
		}
		f := strings.SplitN(text, "\t", 3)
		if len(f) != 3 || strings.TrimSpace(f[2]) == "" {
			return nil, fail(line, "want DATE<TAB>KIND<TAB>NAME")
		}
		d, err := time.Parse(time.DateOnly, f[0])
		if err != nil {
			return nil, fail(line, "malformed date %q", f[0])
		}
		if !prev.IsZero() && !d.After(prev) {
			if d.Equal(prev) {
				return nil, fail(line, "duplicate date %s", f[0])
			}
			return nil, fail(line, "date %s out of order (after %s)", f[0], prev.Format(time.DateOnly))
		}
		if d.Year() < h.first || d.Year() > h.last {
			return nil, fail(line, "date %s outside the years covered (%d-%d)", f[0], h.first, h.last)
		}
		if d.Year() != year {
			if err := closeYear(line); err != nil {
				return nil, err
			}
			if year != 0 && d.Year() != year+1 || year == 0 && d.Year() != h.first {
				missingYear := h.first
				if year != 0 {
					missingYear = year + 1
				}
				return nil, fail(line, "gap: no holidays for %d", missingYear)
			}
			year, yearLine, seen = d.Year(), line, map[string]int{}
		}
		for _, k := range strings.Split(f[1], ",") {
			if !slices.Contains(knownKinds, k) {
				return nil, fail(line, "unknown kind %q (want one of %s)", k, strings.Join(knownKinds, ", "))
			}
			seen[k]++
		}
		prev = d
		h.days[civilDay{d.Year(), d.Month(), d.Day()}] = f[2]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if !covered {
		return nil, fail(line, "no covers line")
	}
	if err := closeYear(line); err != nil {
		return nil, err
	}
	if year != h.last {
		return nil, fail(line, "gap: the calendar ends in %d but covers %d", year, h.last)
	}
	return h, nil
}

// Covers returns the first and last year the calendar is complete for.
func (h *Holidays) Covers() (first, last int) { return h.first, h.last }

// Holiday returns the name of the public holiday on the KST date of t, or
// "" for none. Dates outside the years covered have none.
func (h *Holidays) Holiday(t time.Time) string {
	k := t.In(clock.KST)
	return h.days[civilDay{k.Year(), k.Month(), k.Day()}]
}

// WorkingDay returns the KST day of t if it is a working day, else the next
// working day: past Saturdays, Sundays and the calendar's holidays
// (국세기본법 제5조①). The result is midnight KST.
func (h *Holidays) WorkingDay(t time.Time) time.Time {
	k := t.In(clock.KST)
	d := time.Date(k.Year(), k.Month(), k.Day(), 0, 0, 0, 0, clock.KST)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday || h.Holiday(d) != "" {
		d = d.AddDate(0, 0, 1)
	}
	return d
}
