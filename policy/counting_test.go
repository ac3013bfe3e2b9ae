package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xroshot/portal/clock"
)

// Civil Act counting (민법 157, 159, 160), each expected day worked out here
// from the articles: the first day is not counted unless the period starts
// at 00:00; the period ends on the day before the day corresponding to its
// first day, or with the final month when it has no such day; it ends at
// the end of that day, so the first instant after it is midnight KST.
func TestElapseCountsAsTheCivilActDoes(t *testing.T) {
	t.Parallel()
	kst := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, clock.KST) }
	tests := []struct {
		name    string
		p       Period
		from    time.Time
		lastDay string
	}{
		{"6 months from noon: counted from the next day", Period{Months: 6}, kst(2026, 5, 2, 12, 0), "2026-11-02"},
		{"6 months from 00:00: the first day counts", Period{Months: 6}, kst(2026, 5, 2, 0, 0), "2026-11-01"},
		{"one minute before midnight", Period{Months: 6}, kst(2026, 5, 1, 23, 59), "2026-11-01"},
		// 15:00 UTC is midnight in Korea: the first day counts.
		{"15:00 UTC is 00:00 KST", Period{Months: 6}, time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC), "2026-11-01"},
		{"14:59 UTC is still the day before", Period{Months: 6}, time.Date(2026, 5, 1, 14, 59, 0, 0, time.UTC), "2026-11-01"},
		// Counted from 08-31: February has no 31st, the period ends with it.
		{"month end, common year", Period{Months: 6}, kst(2026, 8, 30, 9, 0), "2027-02-28"},
		{"month end, leap year", Period{Months: 6}, kst(2027, 8, 30, 9, 0), "2028-02-29"},
		// Counted from 2028-02-29: 2033 has no 29 February.
		{"leap day, five years", Period{Years: 5}, kst(2028, 2, 28, 10, 0), "2033-02-28"},
		{"28 days", Period{Days: 28}, kst(2025, 2, 20, 12, 0), "2025-03-20"},
		// 12-21 to 12-31 is 11 days, 01-01 to 01-17 the other 17.
		{"28 days over a year end", Period{Days: 28}, kst(2026, 12, 20, 23, 0), "2027-01-17"},
		{"5 years from the day after a deadline, at 00:00", Period{Years: 5}, kst(2027, 4, 1, 0, 0), "2032-03-31"},
	}
	for _, tt := range tests {
		end := tt.p.Elapse(tt.from)
		k := end.In(clock.KST)
		if k.Hour() != 0 || k.Minute() != 0 || k.Second() != 0 || k.Nanosecond() != 0 {
			t.Errorf("%s: Elapse = %s, want midnight KST", tt.name, k)
		}
		if got := LastDay(end).Format(time.DateOnly); got != tt.lastDay {
			t.Errorf("%s: last day %s, want %s", tt.name, got, tt.lastDay)
		}
		if got := k.AddDate(0, 0, -1).Format(time.DateOnly); got != tt.lastDay {
			t.Errorf("%s: erasable from %s, want the day after %s", tt.name, k.Format(time.DateOnly), tt.lastDay)
		}
	}
}

// The statutory deadlines of the taxes a fee falls under, the later one
// governing, each moved past weekends and holidays; worked out by hand from
// 부가가치세법 49 (25 July, 25 January), 법인세법 60 (end of the third month
// after the fiscal year) and 국세기본법 5, with the official calendar.
func TestFilingDeadline(t *testing.T) {
	t.Parallel()
	hol, err := DefaultHolidays()
	if err != nil {
		t.Fatal(err)
	}
	kst := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, clock.KST) }
	tests := []struct {
		name         string
		fyEnd        [2]int // month, day
		fee          time.Time
		tax, due     string
		statutoryDay string
	}{
		// VAT 2026-07-25 is a Saturday (→ 07-27); corporate tax 2027-03-31.
		{"calendar year, first half", [2]int{12, 31}, kst(2026, 3, 10), "CORPORATE", "2027-03-31", "2027-03-31"},
		{"calendar year, termination of the issue", [2]int{12, 31}, kst(2026, 5, 2), "CORPORATE", "2027-03-31", "2027-03-31"},
		// The fiscal year 2026 return, due 2027-03-31, for a fee of December.
		{"calendar year, second half", [2]int{12, 31}, kst(2026, 12, 31), "CORPORATE", "2027-03-31", "2027-03-31"},
		// 2032-03-31 is a Wednesday.
		{"a fee after termination falls in its own year", [2]int{12, 31}, kst(2031, 1, 5), "CORPORATE", "2032-03-31", "2032-03-31"},
		// 2026-03-31 is a Tuesday; VAT of H2 2025 was 2026-01-25, a Sunday.
		{"late 2025", [2]int{12, 31}, kst(2025, 11, 1), "CORPORATE", "2026-03-31", "2026-03-31"},
		// Fiscal year to 30 June: corporate tax due 2026-09-30 (Wed),
		// after VAT's 2026-07-27.
		{"fiscal year to June", [2]int{6, 30}, kst(2026, 3, 10), "CORPORATE", "2026-09-30", "2026-09-30"},
		// Fiscal year to 31 October: due 2027-01-31, a Sunday → Monday
		// 02-01, later than VAT 2027-01-25 (a Monday).
		{"a Sunday deadline moves to Monday", [2]int{10, 31}, kst(2026, 8, 10), "CORPORATE", "2027-02-01", "2027-01-31"},
		// Fiscal year to 30 June 2031: due 2031-09-30, Chuseok (09-30 to
		// 10-02), then 10-03 National Foundation Day (a Friday) and the
		// weekend: Monday 2031-10-06.
		{"Chuseok and a holiday move a deadline", [2]int{6, 30}, kst(2031, 3, 10), "CORPORATE", "2031-10-06", "2031-09-30"},
		// Fiscal year to 30 September: corporate tax 2024-12-31, VAT of
		// H2 2024 on 2025-01-25, a Saturday; 01-27 a temporary holiday,
		// 01-28 to 01-30 Seollal: Friday 2025-01-31.
		{"Seollal and a temporary holiday move VAT", [2]int{9, 30}, kst(2024, 8, 10), "VAT", "2025-01-31", "2025-01-25"},
		// VAT of H2 2038 on 2039-01-25, Seollal, 01-26 its substitute:
		// Thursday 2039-01-27. Corporate tax (year to 30 September 2038):
		// 2038-12-31.
		{"a substitute holiday moves VAT", [2]int{9, 30}, kst(2038, 8, 10), "VAT", "2039-01-27", "2039-01-25"},
		// Korea's day: 15:30 UTC on 30 June is already 1 July, in the
		// fiscal year to 30 June 2027: due 2027-09-30, a Thursday (on 30
		// June it would have been 2026-09-30).
		{"KST decides the fiscal year", [2]int{6, 30}, time.Date(2026, 6, 30, 15, 30, 0, 0, time.UTC), "CORPORATE", "2027-09-30", "2027-09-30"},
	}
	for _, tt := range tests {
		x := &Tax{FiscalYearEndMonth: time.Month(tt.fyEnd[0]), FiscalYearEndDay: tt.fyEnd[1], Holidays: hol}
		d := x.FilingDeadline(tt.fee)
		if d.Tax != tt.tax || d.Due.Format(time.DateOnly) != tt.due || d.Statutory.Format(time.DateOnly) != tt.statutoryDay {
			t.Errorf("%s: %s due %s (statutory %s), want %s due %s (statutory %s)", tt.name, d.Tax, d.Due.Format(time.DateOnly), d.Statutory.Format(time.DateOnly), tt.tax, tt.due, tt.statutoryDay)
		}
		if !d.Due.Equal(StartOfDay(d.Due)) {
			t.Errorf("%s: due %s, want midnight KST", tt.name, d.Due)
		}
	}
}

// The calendar must reach past every deadline a fee recorded today can have
// plus the longest retention: otherwise a deadline would move by weekends
// only and data could go early. The test fails when the file runs out.
func TestHolidayCalendarCoversTheLongestRetention(t *testing.T) {
	t.Parallel()
	cat, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var longest Period
	for _, cl := range cat.Clauses {
		if cl.Duration.Years*12+cl.Duration.Months > longest.Years*12+longest.Months {
			longest = cl.Duration
		}
	}
	_, last := cat.Tax.Holidays.Covers()
	// A fee recorded now has its deadlines at most 16 months on (a fiscal
	// year just begun, plus three months); data kept from then must still
	// find its deadlines, and the next ones, in the calendar.
	need := time.Now().In(clock.KST).Year() + 2 + longest.Years + (longest.Months+11)/12
	if last < need {
		t.Errorf("holiday calendar %s ends in %d; the longest retention (%s) needs it through %d: extend it (scripts/holidays-kr.js)", HolidaysFile, last, longest, need)
	}
}

// A malformed date, a duplicate, a date out of order or outside the years
// covered, and a gap are refused with the file, line and reason.
func TestLoadHolidaysRefusesABadCalendar(t *testing.T) {
	t.Parallel()
	year := func(y string) string {
		var b strings.Builder
		for _, l := range []string{
			"01-01\tNEW_YEAR\t신정", "02-16\tSEOLLAL\t설날", "02-17\tSEOLLAL\t설날", "02-18\tSEOLLAL\t설날",
			"03-01\tINDEPENDENCE\t3·1절", "05-05\tCHILDREN\t어린이날", "05-24\tBUDDHA\t석가탄신일", "06-06\tMEMORIAL\t현충일",
			"08-15\tLIBERATION\t광복절", "09-24\tCHUSEOK\t추석", "09-25\tCHUSEOK\t추석", "09-26\tCHUSEOK\t추석",
			"10-03\tFOUNDATION\t개천절", "10-09\tHANGUL\t한글날", "12-25\tCHRISTMAS\t기독탄신일",
		} {
			b.WriteString(y + "-" + l + "\n")
		}
		return b.String()
	}
	good := "# test\ncovers 2026 2027\n" + year("2026") + year("2027")
	if _, err := LoadHolidays("h.txt", []byte(good)); err != nil {
		t.Fatalf("a good calendar: %v", err)
	}
	tests := []struct {
		name, src string
		line      int
		reason    string
	}{
		{"malformed date", strings.Replace(good, "2026-05-05", "2026-05-32", 1), 8, "malformed date"},
		{"duplicate", strings.Replace(good, "2026-03-01", "2026-02-18", 1), 7, "duplicate date 2026-02-18"},
		{"out of order", strings.Replace(good, "2026-03-01", "2026-02-01", 1), 7, "out of order"},
		{"outside the years covered", strings.Replace(good, "covers 2026 2027", "covers 2026 2026", 1), 18, "outside the years covered"},
		{"a year missing", strings.Replace(good, "covers 2026 2027", "covers 2025 2027", 1), 3, "gap: no holidays for 2025"},
		{"a year missing at the end", strings.Replace(good, "covers 2026 2027", "covers 2026 2028", 1), 32, "gap: the calendar ends in 2027"},
		{"a year without Chuseok", strings.Replace(good, "2026-09-26\tCHUSEOK", "2026-09-26\tSUBSTITUTE", 1), 3, "gap: year 2026 lacks CHUSEOK (2 of 3)"},
		{"an unknown kind", strings.Replace(good, "NEW_YEAR", "NEWYEAR", 1), 3, "unknown kind"},
		{"no covers line", strings.Replace(good, "covers 2026 2027\n", "", 1), 2, "dates before the covers line"},
	}
	for _, tt := range tests {
		_, err := LoadHolidays("h.txt", []byte(tt.src))
		var he *HolidayError
		if !errors.As(err, &he) {
			t.Errorf("%s: %v, want a HolidayError", tt.name, err)
			continue
		}
		if he.File != "h.txt" || he.Line != tt.line || !strings.Contains(he.Reason, tt.reason) {
			t.Errorf("%s: %v, want h.txt:%d: ...%s...", tt.name, err, tt.line, tt.reason)
		}
	}
}
