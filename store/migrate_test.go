package store_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/store"
	"github.com/xroshot/portal/store/storetest"
)

func TestMigrationTreesHaveTheSameVersions(t *testing.T) {
	t.Parallel()
	names := func(dir string) []string {
		var out []string
		err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, filepath.Base(p))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pg, lite := names("migrations/postgres"), names("migrations/sqlite")
	if len(pg) == 0 {
		t.Fatal("no migrations found")
	}
	if diff := cmp.Diff(pg, lite); diff != "" {
		t.Errorf("postgres and sqlite migrations differ (-postgres +sqlite):\n%s", diff)
	}
}

func TestMigrateDownAndUpAgain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range before {
			if !m.Applied {
				t.Fatalf("migration %s not applied on a fresh test database", m.Name)
			}
		}
		for range before {
			if _, err := db.MigrateDown(ctx); err != nil {
				t.Fatalf("down: %v", err)
			}
		}
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("up again: %v", err)
		}
		if len(applied) != len(before) {
			t.Errorf("re-applied %d migrations, want %d", len(applied), len(before))
		}
	})
}

func TestMigrateRefusesADatabaseNewerThanTheBinary(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.SQL().ExecContext(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)"); err != nil {
			t.Fatal(err)
		}
		_, err := db.Migrate(ctx)
		if !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("Migrate() = %v, want ErrSchemaTooNew", err)
		}
	})
}

func TestSubscriberUpsertRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		signed := time.Date(2020, 1, 15, 3, 4, 5, 123456789, time.UTC)
		bd := "1990-05-01"
		s := &models.Subscriber{ID: "sub-1", Status: models.StatusActive, SignedUpAt: signed, BirthDate: &bd, BillingState: models.BillingSettled}
		if err := db.UpsertSubscriber(ctx, s); err != nil {
			t.Fatal(err)
		}
		term := signed.AddDate(5, 0, 0)
		s.Status, s.TerminatedAt = models.StatusTerminated, &term
		if err := db.UpsertSubscriber(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetSubscriber(ctx, "sub-1")
		if err != nil {
			t.Fatal(err)
		}
		want := models.Subscriber{ID: "sub-1", Status: models.StatusTerminated, SignedUpAt: signed.Truncate(time.Microsecond), TerminatedAt: &term, BirthDate: &bd, BillingState: models.BillingSettled}
		if diff := cmp.Diff(want, *got, cmpIgnoreStamps, cmpInstants); diff != "" {
			t.Errorf("subscriber (-want +got):\n%s", diff)
		}
		if _, err := db.GetSubscriber(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSubscriber(nobody) = %v, want ErrNotFound", err)
		}
	})
}

func TestPolicyVersionIsImmutable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.SavePolicyVersion(ctx, "v1", "aaa", "text"); err != nil {
			t.Fatal(err)
		}
		if err := db.SavePolicyVersion(ctx, "v1", "aaa", "text"); err != nil {
			t.Fatalf("saving the same version twice: %v", err)
		}
		if err := db.SavePolicyVersion(ctx, "v1", "bbb", "changed"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("changed content under the same version = %v, want ErrConflict", err)
		}
	})
}

var (
	cmpIgnoreStamps = cmp.FilterPath(func(p cmp.Path) bool {
		n := p.Last().String()
		return n == ".CreatedAt" || n == ".UpdatedAt"
	}, cmp.Ignore())
	cmpInstants = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
)
