package retention_test

import (
	"testing"
	"time"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/retention"
)

// StatuteFrom is the moment the state turns RETAINED_BY_STATUTE, at every
// moment of an item's life: the purge moves items apart by it.
func TestStatuteFromIsWhenTheStateTurnsStatuteKept(t *testing.T) {
	t.Parallel()
	e := engine(t)
	terminated := retention.Subject{SignedUpAt: at(2020, 1, 1), TerminatedAt: new(at(2024, 3, 10))}
	active := retention.Subject{SignedUpAt: at(2020, 1, 1)}
	items := []retention.Item{
		holding("applicant.name", at(2020, 1, 1)),
		holding("applicant.email", at(2020, 1, 1)),
		record("PAYMENT", at(2023, 5, 1)),
		record("BILLING", at(2024, 2, 1)),
		record("ADVERTISING", at(2024, 1, 5)),
		record("USAGE", at(2024, 1, 5)),
		record("MESSAGE_CONTENT", at(2024, 3, 1)),
	}
	kept := 0
	for _, sub := range []retention.Subject{terminated, active} {
		for _, it := range items {
			first, err := e.Assess(sub, it, at(2024, 1, 1))
			if err != nil {
				t.Fatal(err)
			}
			from := first.StatuteFrom(it.CollectedAt)
			for now := at(2024, 1, 1); now.Before(at(2031, 1, 1)); now = now.Add(24 * time.Hour) {
				a, err := e.Assess(sub, it, now)
				if err != nil {
					t.Fatal(err)
				}
				if got := a.StatuteFrom(it.CollectedAt); (got == nil) != (from == nil) || got != nil && !got.Equal(*from) {
					t.Fatalf("%s%s at %s: StatuteFrom %v, at the start %v", it.Category, it.RecordKind, now, got, from)
				}
				want := from != nil && !now.Before(*from) && (a.PurgeAfter == nil || now.Before(*a.PurgeAfter))
				if (a.State == retention.StateRetainedByStatute) != want {
					t.Fatalf("%s%s at %s: state %s, StatuteFrom %v, purge after %v", it.Category, it.RecordKind, now, a.State, from, a.PurgeAfter)
				}
				if want {
					kept++
				}
			}
		}
	}
	if kept == 0 {
		t.Fatal("no item was ever statute-kept: the test proves nothing")
	}
	// The name of a terminated customer is kept for tax once the six months
	// after termination end; the e-mail never is, nor anything of an
	// active subscriber.
	a, err := e.Assess(terminated, holding("applicant.name", at(2020, 1, 1)), at(2024, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2024, 9, 11, 0, 0, 0, 0, clock.KST)
	if got := a.StatuteFrom(at(2020, 1, 1)); got == nil || !got.Equal(end) {
		t.Errorf("name: StatuteFrom %v, want the end of the six months after termination, %s", got, end)
	}
	for _, sub := range []retention.Subject{terminated, active} {
		a, err := e.Assess(sub, holding("applicant.email", at(2020, 1, 1)), at(2024, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		if got := a.StatuteFrom(at(2020, 1, 1)); got != nil {
			t.Errorf("email: StatuteFrom %v, want none", got)
		}
	}
}
