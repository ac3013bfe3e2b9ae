package shred_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xroshot/portal/app/apptest"
	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/inventory"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/protect"
	"github.com/xroshot/portal/shred"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

func spec(t testing.TB) string {
	t.Helper()
	s, err := protect.GenerateKeySpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ring(t testing.TB, s string) *protect.Keyring {
	t.Helper()
	k, err := protect.ParseKeyring(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var start = time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)

// feedWith is the portal assembled over db encrypting under the master
// key spec (as deployed: "id:key,..."), its feed and its inventory.
func feedWith(t testing.TB, db *store.DB, spec string) (*feed.Service, *inventory.Service) {
	t.Helper()
	e := apptest.OnWithKey(t, db, start, spec)
	return e.Feed, e.Inventory
}

// Master keys rotate: after "k2:new,k1:old" is deployed and the keys are
// rewrapped, "k2:new" alone opens every value, and an interrupted rewrap
// simply runs again.
func TestRewrapRetiresTheOldMasterKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		old, next := spec(t), spec(t)
		f, _ := feedWith(t, db, "k1:"+old)
		for i := range 7 {
			id := fmt.Sprintf("rot-%d", i)
			if _, err := f.UpsertSubscriber(ctx, feed.SubscriberInput{ID: id, Status: models.StatusActive, SignedUpAt: start.AddDate(-1, 0, 0), BirthDate: new("1990-05-17"),
				Items: []feed.ItemInput{{Category: "applicant.email", Value: fmt.Sprintf("user%d@example.com", i)}}}); err != nil {
				t.Fatal(err)
			}
		}
		both := ring(t, "k2:"+next+",k1:"+old)
		n, err := shred.New(both).Rewrap(ctx, db, start)
		if err != nil || n != 7 {
			t.Fatalf("rewrap: %d, %v; want 7", n, err)
		}
		if n, err := shred.New(both).Rewrap(ctx, db, start); err != nil || n != 0 {
			t.Errorf("second rewrap: %d, %v; want 0", n, err)
		}
		_, inv := feedWith(t, db, "k2:"+next)
		subj, err := inv.Load(ctx, "rot-3")
		if err != nil {
			t.Fatal(err)
		}
		if subj.Subscriber.BirthDate == nil || *subj.Subscriber.BirthDate != "1990-05-17" {
			t.Errorf("birth date under the new master key: %v", subj.Subscriber.BirthDate)
		}
		hs, err := inv.Holdings(ctx, subj, inventory.HoldingFilter{})
		if err != nil || len(hs) != 1 || hs[0].Masked != "us***@example.com" {
			t.Errorf("holdings under the new master key: %+v, %v", hs, err)
		}
		// Before the rewrap the retired key was needed: a ring without it
		// cannot open a key still wrapped under it.
		if _, err := shred.New(ring(t, "k3:"+spec(t))).Rewrap(ctx, db, start); err == nil {
			t.Error("rewrapping with a ring that opens none of the keys succeeded")
		}
	})
}

// The cost of per-subscriber keys, per value and per key (BENCHMARKS.md).
func BenchmarkSealValue(b *testing.B) {
	dk, _, err := protect.NewDataKey()
	if err != nil {
		b.Fatal(err)
	}
	v := "gildong.hong@example.com"
	for b.Loop() {
		h := &models.Holding{SubscriberID: "s-0000001", Category: "applicant.email", ValueText: &v}
		shred.SealHolding(dk, h)
	}
}

func BenchmarkOpenValue(b *testing.B) {
	dk, _, err := protect.NewDataKey()
	if err != nil {
		b.Fatal(err)
	}
	v := "gildong.hong@example.com"
	h := &models.Holding{SubscriberID: "s-0000001", Category: "applicant.email", ValueText: &v}
	shred.SealHolding(dk, h)
	for b.Loop() {
		if _, err := shred.OpenHolding(dk, nil, h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapKey(b *testing.B) {
	keys := shred.New(ring(b, spec(b)))
	_, row, err := keys.Fresh("s-0000001")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := keys.Open(row); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFreshKey(b *testing.B) {
	keys := shred.New(ring(b, spec(b)))
	for b.Loop() {
		if _, _, err := keys.Fresh("s-0000001"); err != nil {
			b.Fatal(err)
		}
	}
}
