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

// A statute-kept record is never erased during the last day of its period
// (issue 12, finding 4): a contract recorded at 00:30 KST on 2021-06-01 is
// kept five years not counting that day (민법 157), through 2026-06-01 (민법
// 159, 160), and erasable from 00:00 KST on 2026-06-02 — 15:00 UTC on
// 06-01. A contract recorded at 00:00 KST counts its first day: kept
// through 2026-05-31. Message content sent at 23:59 KST on 2026-05-04 is
// kept 28 days from 05-05, through 06-01. The purge runs across both
// midnights on both stores.
func TestThePurgeNeverErasesDuringTheLastDay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 5, 20, 12, 0, 0, 0, clock.KST)
		e := newEnv(t, db, start)
		// Terminated long ago: only the E-Commerce Act keeps the contracts.
		e.subscriber(t, "s-1", time.Date(2020, 1, 2, 12, 0, 0, 0, clock.KST), nil, []feed.RecordInput{
			{Kind: "CONTRACT", OccurredAt: time.Date(2021, 6, 1, 0, 30, 0, 0, clock.KST), ExternalID: "contract-0030"},
			{Kind: "CONTRACT", OccurredAt: time.Date(2021, 6, 1, 0, 0, 0, 0, clock.KST), ExternalID: "contract-0000"},
		})
		e.terminate(t, "s-1", time.Date(2021, 7, 1, 12, 0, 0, 0, clock.KST))
		// Active: message content goes all the same.
		e.subscriber(t, "s-2", time.Date(2020, 1, 2, 12, 0, 0, 0, clock.KST), nil, []feed.RecordInput{
			{Kind: "MESSAGE_CONTENT", OccurredAt: time.Date(2026, 5, 4, 23, 59, 0, 0, clock.KST), ExternalID: "msg-2359"},
		})
		left := func() map[string]bool {
			out := map[string]bool{}
			for _, id := range []string{"s-1", "s-2"} {
				keys, err := db.RecordKeys(ctx, id, 0, 10)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					out[k.Kind+"@"+k.OccurredAt.In(clock.KST).Format("2006-01-02 15:04")] = true
				}
			}
			return out
		}
		steps := []struct {
			name string
			at   time.Time
			want []string
		}{
			{"the last second of 2026-05-31", time.Date(2026, 5, 31, 14, 59, 59, 0, time.UTC), []string{"CONTRACT@2021-06-01 00:00", "CONTRACT@2021-06-01 00:30", "MESSAGE_CONTENT@2026-05-04 23:59"}},
			{"midnight on 06-01: the contract counted from 00:00 goes", time.Date(2026, 5, 31, 15, 0, 0, 0, time.UTC), []string{"CONTRACT@2021-06-01 00:30", "MESSAGE_CONTENT@2026-05-04 23:59"}},
			{"09:05 KST on the anniversary: kept", time.Date(2026, 6, 1, 9, 5, 0, 0, clock.KST), []string{"CONTRACT@2021-06-01 00:30", "MESSAGE_CONTENT@2026-05-04 23:59"}},
			{"the last second of 06-01", time.Date(2026, 6, 1, 14, 59, 59, 0, time.UTC), []string{"CONTRACT@2021-06-01 00:30", "MESSAGE_CONTENT@2026-05-04 23:59"}},
			{"midnight on 06-02", time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC), nil},
		}
		for _, st := range steps {
			e.clock.Set(st.at)
			if _, err := e.purge.Run(ctx, purge.Options{Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			got := left()
			if len(got) != len(st.want) {
				t.Errorf("%s: left %v, want %v", st.name, got, st.want)
				continue
			}
			for _, w := range st.want {
				if !got[w] {
					t.Errorf("%s: %s erased, want it kept (left %v)", st.name, w, got)
				}
			}
		}
	})
}
