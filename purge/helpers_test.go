package purge_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/audit"
	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/consent"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
	"github.com/xroshot/portal/purge"
	"github.com/xroshot/portal/store"
)

// env is the purge with everything that feeds it, over one database.
type env struct {
	db      *store.DB
	clock   *clock.Manual
	cat     *policy.Catalog
	inv     *inventory.Service
	feed    *feed.Service
	holds   *holds.Service
	purge   *purge.Service
	consent *consent.Service
	audit   *audit.Trail
}

func newEnv(t testing.TB, db *store.DB, start time.Time) *env {
	t.Helper()
	a := apptest.On(t, db, start)
	return &env{db: db, clock: a.Clock, cat: a.Catalog, inv: a.Inventory, feed: a.Feed, holds: a.Holds, purge: a.Purge, consent: a.Consent, audit: a.Audit}
}

// kst is a calendar instant in Korea.
func kst(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, clock.KST) }

// subscriber feeds one subscriber with profile items and records.
func (e *env) subscriber(t testing.TB, id string, signedUp time.Time, items []feed.ItemInput, recs []feed.RecordInput) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.feed.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: signedUp, BirthDate: new("1985-03-02"), Items: items}); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(recs); start += feed.MaxRecordsPerCall {
		if _, err := e.feed.AppendRecords(ctx, id, recs[start:min(start+feed.MaxRecordsPerCall, len(recs))]); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) terminate(t testing.TB, id string, at time.Time) {
	t.Helper()
	if _, err := e.feed.Terminate(context.Background(), id, at); err != nil {
		t.Fatal(err)
	}
}

// records feeds n records of kind, one a day back from last.
func records(prefix, kind string, n int, last time.Time) []feed.RecordInput {
	out := make([]feed.RecordInput, n)
	for i := range out {
		out[i] = feed.RecordInput{Kind: kind, OccurredAt: last.AddDate(0, 0, -i), ExternalID: fmt.Sprintf("%s-%s-%d", prefix, kind, i), Summary: "발신 010-2345-6789"}
	}
	return out
}

// left lists what is still held of a subscriber, in use or kept apart:
// "category" for holdings and "KIND×n" for records.
func (e *env) left(t testing.TB, id string) []string {
	t.Helper()
	ctx := context.Background()
	hs, err := e.db.ListAllHoldings(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.Category)
	}
	kinds := map[string]int{}
	var after *models.RecordKey
	for {
		rs, more, err := e.db.ListRecords(ctx, models.RecordPage{SubscriberID: id, After: after, Limit: 100, Apart: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			kinds[r.Kind]++
		}
		if !more {
			break
		}
		last := rs[len(rs)-1]
		after = &models.RecordKey{OccurredAt: last.OccurredAt, ID: last.ID}
	}
	for k, n := range kinds {
		out = append(out, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(out)
	return out
}

// recordIDs returns the ids of a subscriber's records of one kind.
func (e *env) recordIDs(t testing.TB, id, kind string) []int64 {
	t.Helper()
	rs, _, err := e.db.ListRecords(context.Background(), models.RecordPage{SubscriberID: id, Kind: kind, Limit: 1000, Apart: true})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// countRows counts a table's rows with a portable statement.
func countRows(t testing.TB, db *store.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sumErasures adds up the erasure records.
func sumErasures(t testing.TB, db *store.DB) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow("SELECT COALESCE(SUM(count), 0) FROM erasures").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var cmpInstants = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

var inventoryAll = inventory.HoldingFilter{}

// sortErased orders erasure lines by type and code.
func sortErased(es []purge.Erased) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Type != es[j].Type {
			return es[i].Type < es[j].Type
		}
		return es[i].Code < es[j].Code
	})
}
