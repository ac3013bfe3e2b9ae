package purge_test

import (
	"context"
	"testing"
	"time"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// Each clause, walked on both stores: the item survives a purge at the
// last second of its last day in Korea and is gone after one at the next
// midnight (15:00 UTC). The subscriber terminated at noon on 2018-12-01:
// post-termination kept everything through 2019-06-01. Every last day is
// worked out here from the rule's text.
func TestEachClauseEndsAtMidnightAfterItsLastDay(t *testing.T) {
	t.Parallel()
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, clock.KST) }
	items := []struct {
		name    string
		rec     feed.RecordInput
		holding string
		lastDay time.Time // midnight KST of the last day kept
	}{
		// In the order of their last days.
		// Not listed: post-termination only, through 2019-06-01.
		{name: "POST_TERMINATION e-mail", holding: "applicant.email", lastDay: at(2019, 6, 1, 0, 0)},
		// Fed after termination: 6 months from 03-16 (전자상거래법 6조).
		{name: "ADVERTISING_RECORDS", rec: feed.RecordInput{Kind: "ADVERTISING", OccurredAt: at(2019, 3, 15, 3, 0), ExternalID: "adv"}, lastDay: at(2019, 9, 15, 0, 0)},
		// 3 years from 2017-03-01 (신용정보법 20조②): through 2020-02-29,
		// a leap day.
		{name: "CREDIT_RECORDS", rec: feed.RecordInput{Kind: "CREDIT", OccurredAt: at(2017, 2, 28, 12, 0), ExternalID: "credit"}, lastDay: at(2020, 2, 29, 0, 0)},
		// 3 years from 2018-11-01: through 2021-10-31.
		{name: "COMPLAINT_RECORDS", rec: feed.RecordInput{Kind: "COMPLAINT", OccurredAt: at(2018, 10, 31, 23, 30), ExternalID: "complaint"}, lastDay: at(2021, 10, 31, 0, 0)},
		// 5 years from 2018-09-01: through 2023-08-31.
		{name: "CONTRACT_RECORDS", rec: feed.RecordInput{Kind: "CONTRACT", OccurredAt: at(2018, 8, 31, 10, 0), ExternalID: "contract"}, lastDay: at(2023, 8, 31, 0, 0)},
		// Tax (국세기본법 85조의3, 5조): VAT of H2 2018 due 2019-01-25 (a
		// Friday); corporate tax of 2018 due 2019-03-31, a Sunday, moved to
		// Monday 04-01, the later: five years from 04-02, through
		// 2024-04-01 — past the E-Commerce Act's five years for the
		// payment (through 2023-11-30).
		{name: "TAX_RECORDS payment", rec: feed.RecordInput{Kind: "PAYMENT", OccurredAt: at(2018, 11, 30, 12, 0), ExternalID: "pay"}, lastDay: at(2024, 4, 1, 0, 0)},
		{name: "TAX_RECORDS bill", rec: feed.RecordInput{Kind: "BILLING", OccurredAt: at(2018, 12, 20, 12, 0), ExternalID: "bill"}, lastDay: at(2024, 4, 1, 0, 0)},
		// The listed fields, from the last fee record (the bill).
		{name: "TAX_RECORDS name", holding: "applicant.name", lastDay: at(2024, 4, 1, 0, 0)},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, at(2019, 3, 20, 12, 0))
		var recs []feed.RecordInput
		for _, it := range items {
			if it.rec.Kind != "" {
				recs = append(recs, it.rec)
			}
		}
		e.clock.Set(at(2018, 11, 1, 12, 0))
		e.subscriber(t, "s-1", at(2016, 1, 4, 12, 0), []feed.ItemInput{
			{Category: "applicant.name", Value: "박지훈"},
			{Category: "applicant.email", Value: "jihoon@example.com"},
		}, nil)
		e.clock.Set(at(2018, 12, 2, 12, 0))
		e.terminate(t, "s-1", at(2018, 12, 1, 12, 0))
		e.clock.Set(at(2019, 3, 20, 12, 0))
		if _, err := e.feed.AppendRecords(ctx, "s-1", recs); err != nil {
			t.Fatal(err)
		}
		present := func(name string) bool {
			for _, it := range items {
				if it.name != name {
					continue
				}
				if it.holding != "" {
					hs, err := db.ListAllHoldings(ctx, "s-1")
					if err != nil {
						t.Fatal(err)
					}
					for _, h := range hs {
						if h.Category == it.holding {
							return true
						}
					}
					return false
				}
				keys, err := db.RecordKeys(ctx, "s-1", 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					if k.Kind == it.rec.Kind {
						return true
					}
				}
			}
			return false
		}
		run := func(now time.Time) {
			e.clock.Set(now)
			if _, err := e.purge.Run(ctx, purge.Options{Actor: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		// Walk the distinct last days in order: before each midnight every
		// item not yet due is there; after it, those whose last day it
		// ended are gone and the rest are still there.
		for i, it := range items {
			if i > 0 && items[i-1].lastDay.Equal(it.lastDay) {
				continue
			}
			midnight := it.lastDay.AddDate(0, 0, 1)
			run(midnight.Add(-time.Second))
			for _, other := range items[i:] {
				if !present(other.name) {
					t.Errorf("%s: erased by %s, during or before its last day %s", other.name, midnight.Add(-time.Second).In(clock.KST), other.lastDay.Format(time.DateOnly))
				}
			}
			run(midnight)
			for _, other := range items[i:] {
				if got, want := present(other.name), other.lastDay.After(it.lastDay); got != want {
					t.Errorf("%s at %s: present %t, want %t (last day %s)", other.name, midnight.UTC(), got, want, other.lastDay.Format(time.DateOnly))
				}
			}
		}
	})
}
