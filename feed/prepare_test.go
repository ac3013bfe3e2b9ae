package feed_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// Prepare refuses what ImportSubscriber refuses, naming the same field, and
// keeps a repeated record once, as appending does.
func TestPrepareRefusesWhatImportRefuses(t *testing.T) {
	t.Parallel()
	parse := func(t *testing.T, mut func(m map[string]any)) feed.ImportLine {
		var m map[string]any
		if err := json.Unmarshal([]byte(goodLine(t, 3)), &m); err != nil {
			t.Fatal(err)
		}
		mut(m)
		var l feed.ImportLine
		if err := json.Unmarshal([]byte(line(t, m)), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	rec := func(m map[string]any, i int) map[string]any { return m["records"].([]any)[i].(map[string]any) }
	cases := []struct {
		name  string
		mut   func(m map[string]any)
		field string
	}{
		{"record before sign-up", func(m map[string]any) { rec(m, 1)["occurredAt"] = now.AddDate(-20, 0, 0) }, "records[1].occurredAt"},
		{"unknown record kind", func(m map[string]any) { rec(m, 0)["kind"] = "DIARY" }, "records[0].kind"},
		{"bad e-mail", func(m map[string]any) { m["items"].([]any)[1].(map[string]any)["value"] = "nobody" }, "items[1].value"},
		{"unknown billing state", func(m map[string]any) { m["billingState"] = "LATE" }, "billingState"},
		{"billing state without since", func(m map[string]any) { delete(m, "billingSince") }, "billingSince"},
		{"terminated without a date", func(m map[string]any) { delete(m, "terminatedAt") }, "terminatedAt"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFeed(t, db)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				l := parse(t, c.mut)
				_, perr := f.Prepare(l)
				_, ierr := f.ImportSubscriber(context.Background(), l)
				if diff := cmp.Diff(badField(t, ierr), badField(t, perr)); diff != "" || badField(t, perr) != c.field {
					t.Errorf("Prepare: %v; ImportSubscriber: %v; want field %s", perr, ierr, c.field)
				}
			})
		}
		t.Run("repeated record", func(t *testing.T) {
			l := parse(t, func(m map[string]any) {
				m["id"] = "sub-repeat"
				m["records"] = append(m["records"].([]any), rec(m, 0))
			})
			p, err := f.Prepare(l)
			if err != nil {
				t.Fatal(err)
			}
			n, err := f.ImportSubscriber(context.Background(), l)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Records) != int(n) || n != 2 {
				t.Errorf("Prepare keeps %d records, the import appended %d, want 2", len(p.Records), n)
			}
			// Unpaid fees open a fee issue and place no hold (docs/POLICY.md
			// "until resolved").
			if len(p.FeeIssues) != 1 || len(p.Holds) != 0 || p.Subscriber.BillingState != "UNPAID" {
				t.Errorf("unpaid fees: %d fee issues, %d holds, billing %s; want one issue, no hold, UNPAID", len(p.FeeIssues), len(p.Holds), p.Subscriber.BillingState)
			}
		})
	})
}

func badField(t *testing.T, err error) string {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) || !errors.Is(err, apperr.ErrBadInput) {
		t.Fatalf("%v is not a bad-input error", err)
	}
	return e.Field
}
