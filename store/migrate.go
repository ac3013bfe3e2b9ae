package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// ErrSchemaTooNew means the database was migrated by a newer binary; running
// an older one against it could corrupt data, so start-up stops.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// MigrationStatus is one migration and whether it has been applied.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
}

func (db *DB) provider() (*goose.Provider, error) {
	return newProvider(db.dialect, db)
}

func newProvider(d dialect, db *DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, d.migrationsDir())
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	locker, err := d.locker()
	if err != nil {
		return nil, err
	}
	if locker != nil {
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(d.gooseDialect(), db.sql, fsys, opts...)
}

// Migrate brings the schema up to this binary's latest version, under an
// advisory lock on PostgreSQL so that replicas starting together take turns.
// A database newer than the binary is refused with ErrSchemaTooNew.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", translate(err))
	}
	if current > target {
		return nil, fmt.Errorf("%w: database is at version %d, this binary knows up to %d; deploy the newer binary or migrate down with it", ErrSchemaTooNew, current, target)
	}
	results, err := p.Up(ctx)
	var applied []string
	for _, r := range results {
		if r.Error == nil {
			applied = append(applied, r.Source.Path)
		}
	}
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// MigrateDown rolls back the latest applied migration.
func (db *DB) MigrateDown(ctx context.Context) (string, error) {
	p, err := db.provider()
	if err != nil {
		return "", err
	}
	r, err := p.Down(ctx)
	if err != nil {
		return "", fmt.Errorf("migrate down: %w", err)
	}
	return r.Source.Path, nil
}

// MigrationStatus lists every migration this binary knows, applied or not.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", translate(err))
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

// MigrationsHash identifies the schema a dialect's migrations build, so test
// template databases are rebuilt exactly when a migration changes.
func MigrationsHash(dialectName string) (string, error) {
	var d dialect = sqliteDialect{}
	if dialectName == "postgres" {
		d = postgresDialect{}
	}
	return hashTree(migrations, d.migrationsDir())
}
