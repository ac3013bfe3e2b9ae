package store

import (
	"context"

	"github.com/xroshot/portal/feed"
)

// The domain packages declare the store they need, with a transaction
// method typed in their own terms; these adapters give them *DB.

type feedStore struct{ *DB }

func (f feedStore) InTx(ctx context.Context, fn func(feed.Store) error) error {
	return f.DB.InTx(ctx, func(tx *DB) error { return fn(feedStore{tx}) })
}

// ForFeed returns the store as the feed service needs it.
func (db *DB) ForFeed() feed.Store { return feedStore{db} }
