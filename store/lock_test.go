package store_test

import (
	"context"
	"testing"

	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

// Two replicas (two pools on one PostgreSQL database): while one holds the
// purge lock the other is refused it, without waiting; once released, the
// other gets it. A differently named lock is independent.
func TestTryLockLetsOneReplicaRunAJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	open := func() *store.DB {
		db, err := store.Open(ctx, store.Options{URL: url, MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	a, b := open(), open()
	releaseA, ok, err := a.TryLock(ctx, "purge")
	if err != nil || !ok {
		t.Fatalf("first replica: ok=%v err=%v, want the lock", ok, err)
	}
	if _, ok, err := b.TryLock(ctx, "purge"); err != nil || ok {
		t.Fatalf("second replica while the first holds it: ok=%v err=%v, want refused", ok, err)
	}
	releaseOther, ok, err := b.TryLock(ctx, "audit-prune")
	if err != nil || !ok {
		t.Fatalf("another job's lock: ok=%v err=%v, want it", ok, err)
	}
	releaseOther()
	releaseA()
	releaseB, ok, err := b.TryLock(ctx, "purge")
	if err != nil || !ok {
		t.Fatalf("second replica after release: ok=%v err=%v, want the lock", ok, err)
	}
	releaseB()
}

// On SQLite one process owns the file: the lock is always granted.
func TestTryLockOnSQLite(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	release, ok, err := db.TryLock(context.Background(), "purge")
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	release()
}
