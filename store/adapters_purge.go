package store

import (
	"context"

	"github.com/xroshot/portal/holds"
	"github.com/xroshot/portal/purge"
)

type holdsStore struct{ *DB }

func (h holdsStore) InTx(ctx context.Context, fn func(holds.Store) error) error {
	return h.DB.InTx(ctx, func(tx *DB) error { return fn(holdsStore{tx}) })
}

// ForHolds returns the store as the holds service needs it.
func (db *DB) ForHolds() holds.Store { return holdsStore{db} }

type purgeStore struct{ *DB }

func (p purgeStore) InTx(ctx context.Context, fn func(purge.Store) error) error {
	return p.DB.InTx(ctx, func(tx *DB) error { return fn(purgeStore{tx}) })
}

// ForPurge returns the store as the purge service needs it.
func (db *DB) ForPurge() purge.Store { return purgeStore{db} }
