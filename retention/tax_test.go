package retention_test

import (
	"testing"
	"time"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/retention"
)

func TestTaxFilingDeadline(t *testing.T) {
	t.Parallel()
	kst := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, clock.KST) }
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"in the first half", kst(2026, 3, 10, 12, 0), "2026-07-25"},
		{"first day of the year", kst(2027, 1, 1, 0, 0), "2027-07-25"},
		{"last minute of June", kst(2026, 6, 30, 23, 59), "2026-07-25"},
		{"first minute of July", kst(2026, 7, 1, 0, 0), "2027-01-25"},
		{"on a deadline day", kst(2026, 7, 25, 12, 0), "2027-01-25"},
		{"last minute of the year", kst(2026, 12, 31, 23, 59), "2027-01-25"},
		// The period is Korea's: 15:30 UTC on 30 June is already July there.
		{"June in UTC, July in Korea", time.Date(2026, 6, 30, 15, 30, 0, 0, time.UTC), "2027-01-25"},
		{"December in UTC, January in Korea", time.Date(2026, 12, 31, 15, 0, 0, 0, time.UTC), "2027-07-25"},
	}
	for _, tt := range tests {
		got := retention.TaxFilingDeadline(tt.t)
		if day(got) != tt.want || !got.Equal(midnight(got.In(clock.KST).Date())) {
			t.Errorf("%s: TaxFilingDeadline(%s) = %s, want midnight KST of %s", tt.name, tt.t, got, tt.want)
		}
	}
}

// The tax fields are kept five years from the day after the filing deadline
// of the tax period in which the subscriber terminated.
func TestTaxRecordsAroundPeriodBoundaries(t *testing.T) {
	t.Parallel()
	e := engine(t)
	kst := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, clock.KST) }
	tests := []struct {
		terminated time.Time
		want       string
	}{
		{kst(2026, 3, 10, 12, 0), "2031-07-26"},
		{kst(2026, 6, 30, 23, 59), "2031-07-26"},
		{kst(2026, 7, 1, 0, 0), "2032-01-26"},
		{kst(2026, 12, 31, 23, 59), "2032-01-26"},
		{kst(2027, 1, 1, 0, 0), "2032-07-26"},
	}
	for _, tt := range tests {
		sub := retention.Subject{SignedUpAt: at(2020, 1, 1), TerminatedAt: &tt.terminated}
		a, err := e.Assess(sub, holding("payer.name", at(2020, 1, 1)), tt.terminated.AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if a.State != retention.StateRetainedByStatute || a.Governing.Clause.Code != "TAX_RECORDS" || day(*a.PurgeAfter) != tt.want {
			t.Errorf("terminated %s: %+v, want retained under TAX_RECORDS until %s", tt.terminated, summarize(a), tt.want)
		}
	}
}
