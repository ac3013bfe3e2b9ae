package policy

import (
	"testing"
	"time"

	"github.com/xroshot/portal/clock"
)

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Period
		wantErr bool
	}{
		{in: "P6M", want: Period{Months: 6}},
		{in: "P5Y", want: Period{Years: 5}},
		{in: "P28D", want: Period{Days: 28}},
		{in: "P1Y6M10D", want: Period{Years: 1, Months: 6, Days: 10}},
		{in: "P0D", want: Period{}},
		{in: "", wantErr: true},
		{in: "P", wantErr: true},
		{in: "6M", wantErr: true},
		{in: "P6", wantErr: true},
		{in: "PM", wantErr: true},
		{in: "P2W", wantErr: true},
		{in: "PT6H", wantErr: true},
		{in: "P6M1Y", wantErr: true},
		{in: "P1Y1Y", wantErr: true},
		{in: "P-1Y", wantErr: true},
		{in: "p6m", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePeriod(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v, error %t", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && tt.in != "P0D" && got.String() != tt.in {
			t.Errorf("ParsePeriod(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestPeriodDescribe(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p      Period
		ko, en string
	}{
		{Period{Months: 6}, "6개월", "6 months"},
		{Period{Years: 1}, "1년", "1 year"},
		{Period{Years: 5, Days: 1}, "5년 1일", "5 years 1 day"},
		{Period{Days: 28}, "28일", "28 days"},
	} {
		if got := tt.p.Describe(Ko); got != tt.ko {
			t.Errorf("%s.Describe(Ko) = %q, want %q", tt.p, got, tt.ko)
		}
		if got := tt.p.Describe(En); got != tt.en {
			t.Errorf("%s.Describe(En) = %q, want %q", tt.p, got, tt.en)
		}
	}
}

func TestPeriodAddToCountsCalendarDatesInKorea(t *testing.T) {
	t.Parallel()
	kst := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, clock.KST) }
	tests := []struct {
		name string
		p    Period
		from time.Time
		want time.Time
	}{
		{"six months", Period{Months: 6}, kst(2026, 3, 10, 14), kst(2026, 9, 10, 14)},
		{"across a year", Period{Months: 6}, kst(2026, 9, 30, 9), kst(2027, 3, 30, 9)},
		{"five years", Period{Years: 5}, kst(2026, 7, 26, 0), kst(2031, 7, 26, 0)},
		{"28 days", Period{Days: 28}, kst(2026, 2, 10, 12), kst(2026, 3, 10, 12)},
		// The date is Korea's: 20:00 UTC on 9 March is already 10 March there.
		{"date in KST, not UTC", Period{Months: 6}, time.Date(2026, 3, 9, 20, 0, 0, 0, time.UTC), kst(2026, 9, 10, 5)},
		// 민법 제160조③: no corresponding day ⇒ the last day of the month.
		{"31 August + 6 months", Period{Months: 6}, kst(2026, 8, 31, 10), kst(2027, 2, 28, 10)},
		{"31 August + 6 months, leap year", Period{Months: 6}, kst(2027, 8, 31, 10), kst(2028, 2, 29, 10)},
		{"29 February + 1 year", Period{Years: 1}, kst(2028, 2, 29, 10), kst(2029, 2, 28, 10)},
		{"31 January + 1 month + 1 day", Period{Months: 1, Days: 1}, kst(2026, 1, 31, 10), kst(2026, 3, 1, 10)},
	}
	for _, tt := range tests {
		got := tt.p.AddTo(tt.from)
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("%s: %s.AddTo(%s) = %s, want %s in UTC", tt.name, tt.p, tt.from, got, tt.want.UTC())
		}
	}
}
