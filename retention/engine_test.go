package retention_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/retention"
)

func TestAssessRefusesWhatTheCatalogDoesNotKnow(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub := retention.Subject{SignedUpAt: at(2022, 1, 1)}
	withdrawn := holding("applicant.email", at(2022, 1, 1))
	withdrawn.ConsentWithdrawnAt = new(at(2023, 1, 1))
	tests := []struct {
		name string
		item retention.Item
		want string
	}{
		{"unknown category", holding("applicant.shoe_size", at(2022, 1, 1)), "unknown category applicant.shoe_size"},
		{"unknown record kind", record("GPS", at(2022, 1, 1)), "unknown record kind GPS"},
		{"neither", retention.Item{CollectedAt: at(2022, 1, 1)}, "neither a category nor a record kind"},
		{"both", retention.Item{Category: "applicant.email", RecordKind: "USAGE"}, "both category applicant.email and record kind USAGE"},
		{"withdrawal of a required item", withdrawn, "category applicant.email is not held under a consent topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := e.Assess(sub, tt.item, at(2024, 1, 1)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Assess = %v, want an error containing %q", err, tt.want)
			}
			items := []retention.Item{holding("applicant.name", at(2022, 1, 1)), tt.item}
			if _, err := e.AssessAll(sub, items, at(2024, 1, 1)); err == nil || !strings.Contains(err.Error(), "item 1: ") {
				t.Errorf("AssessAll = %v, want an error naming item 1", err)
			}
		})
	}
}

// A hold is kept apart from retention: it changes the state, never a date.
func TestHoldsNeverChangeClauseDates(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub := retention.Subject{SignedUpAt: at(2022, 1, 1), TerminatedAt: new(at(2026, 3, 10))}
	for _, now := range []time.Time{at(2026, 1, 1), at(2026, 5, 1), at(2027, 1, 1), at(2032, 1, 1)} {
		for _, it := range []retention.Item{holding("applicant.name", at(2022, 1, 1)), record("PAYMENT", at(2025, 1, 1))} {
			free, err := e.Assess(sub, it, now)
			if err != nil {
				t.Fatal(err)
			}
			it.Holds = []retention.Hold{{ID: "h1", Reason: retention.HoldDeletionRequest}}
			held, err := e.Assess(sub, it, now)
			if err != nil {
				t.Fatal(err)
			}
			if held.State != retention.StateHeld {
				t.Errorf("%s at %s: state %s, want HELD", it.Category+it.RecordKind, day(now), held.State)
			}
			f, h := summarize(free), summarize(held)
			f.State, h.State = "", ""
			if diff := cmp.Diff(f, h); diff != "" {
				t.Errorf("%s at %s: a hold changed the dates (-free +held):\n%s", it.Category+it.RecordKind, day(now), diff)
			}
		}
	}
}

// AssessAll gives, item by item, what Assess gives.
func TestAssessAllAgreesWithAssess(t *testing.T) {
	t.Parallel()
	e := engine(t)
	sub, items := inventory(e)
	now := at(2027, 6, 1)
	all, err := e.AssessAll(sub, items, now)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		one, err := e.Assess(sub, it, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(summarize(one), summarize(all[i])); diff != "" {
			t.Errorf("item %d (%s%s) (-Assess +AssessAll):\n%s", i, it.Category, it.RecordKind, diff)
		}
		if all[i].Explain(policy.En) != one.Explain(policy.En) {
			t.Errorf("item %d: explanations differ", i)
		}
	}
	// Appending to one assessment's clauses must not clobber the next one's.
	next := summarize(all[1])
	_ = append(all[0].Clauses, retention.ClauseSpan{})
	if diff := cmp.Diff(next, summarize(all[1])); diff != "" {
		t.Errorf("appending to Clauses changed the next assessment:\n%s", diff)
	}
}

// inventory is a subscriber with every holding of the catalog and ~100
// records, terminated with a fee dispute that was resolved.
func inventory(e *retention.Engine) (retention.Subject, []retention.Item) {
	sub := retention.Subject{
		SignedUpAt:   at(2019, 3, 1),
		TerminatedAt: new(at(2026, 9, 15)),
		FeeIssues: []retention.FeeIssue{
			{Kind: policy.ConditionUnpaidFees, Since: at(2026, 8, 1), ResolvedAt: new(at(2026, 10, 1))},
			{Kind: policy.ConditionFeeDispute, Since: at(2027, 1, 10), ResolvedAt: new(at(2027, 5, 2))},
		},
	}
	var items []retention.Item
	for _, c := range e.Catalog().Categories {
		it := holding(c.Code, at(2019, 3, 1))
		if c.ConsentTopic != "" {
			it.ConsentWithdrawnAt = new(at(2024, 2, 2))
		}
		items = append(items, it)
	}
	kinds := e.Catalog().RecordKinds
	for i := range 100 {
		it := record(kinds[i%len(kinds)].Code, at(2019, 3, 1).AddDate(0, 0, 30*i))
		if i%17 == 0 {
			it.Holds = []retention.Hold{{ID: "h", Reason: retention.HoldDispute}}
		}
		items = append(items, it)
	}
	return sub, items
}

func BenchmarkAssessAll(b *testing.B) {
	e := engine(b)
	sub, items := inventory(e)
	now := at(2027, 6, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.AssessAll(sub, items, now); err != nil {
			b.Fatal(err)
		}
	}
}
