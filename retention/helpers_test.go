package retention_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

// at is noon in Korea on a date: life events happen in the middle of a day.
func at(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, clock.KST) }

// midnight is the start of a day in Korea.
func midnight(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, clock.KST) }

func engine(t testing.TB) *retention.Engine {
	t.Helper()
	cat, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	return retention.New(cat)
}

func holding(category string, collected time.Time) retention.Item {
	return retention.Item{Category: category, CollectedAt: collected}
}

func record(kind string, date time.Time) retention.Item {
	return retention.Item{RecordKind: kind, CollectedAt: date}
}

// want is an assessment as a test reads it: clauses as
// "CODE start→end [active]" with dates in Korea, "-" for not started and
// "open" for no end yet.
type want struct {
	State      retention.State
	PurgeAfter string // the last day kept; "" while open-ended
	OpenReason retention.Reason
	Governing  string
	Clauses    []string
}

func day(t time.Time) string { return t.In(clock.KST).Format(time.DateOnly) }

// keptUntil is the last day an end keeps an item: ends are the first instant
// an item may go (midnight KST after its last day, 민법 제159조).
func keptUntil(end time.Time) string { return day(end.Add(-time.Nanosecond)) }

func summarize(a retention.Assessment) want {
	w := want{State: a.State, OpenReason: a.OpenReason}
	if a.PurgeAfter != nil {
		w.PurgeAfter = keptUntil(*a.PurgeAfter)
	}
	if a.Governing != nil {
		w.Governing = a.Governing.Clause.Code
	}
	for _, sp := range a.Clauses {
		start, end := "-", "open"
		if !sp.Start.IsZero() {
			start = day(sp.Start)
		}
		if sp.End != nil {
			end = keptUntil(*sp.End)
		}
		s := fmt.Sprintf("%s %s→%s", sp.Clause.Code, start, end)
		if sp.Active {
			s += " active"
		}
		w.Clauses = append(w.Clauses, s)
	}
	return w
}

// check assesses one item and compares it with what the policy says.
func check(t *testing.T, e *retention.Engine, s retention.Subject, it retention.Item, now time.Time, w want) retention.Assessment {
	t.Helper()
	a, err := e.Assess(s, it, now)
	if err != nil {
		t.Fatalf("Assess(%s%s at %s): %v", it.Category, it.RecordKind, day(now), err)
	}
	if diff := cmp.Diff(w, summarize(a)); diff != "" {
		t.Errorf("%s%s at %s (-want +got):\n%s", it.Category, it.RecordKind, now.In(clock.KST).Format(time.DateTime), diff)
	}
	return a
}
