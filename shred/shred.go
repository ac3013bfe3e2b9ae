// Package shred keeps every personal value of a subscriber sealed under
// that subscriber's own data key, so that erasing the subscriber can destroy
// the key and with it every copy of every value at once (crypto-shredding,
// docs/LAW.md "Security": 법 21①, 영 16). Deleted rows linger in database pages,
// the WAL and backups; values sealed under a destroyed key cannot be opened
// from any of them.
//
// Keys. A data key is 32 random bytes (AES-256-GCM), drawn when a subscriber
// is first written and stored only wrapped by the primary master key of
// PORTAL_ENCRYPTION_KEY ([protect.Keyring.WrapDataKey]), bound to the
// subscriber's id. Any master key of the ring unwraps, so rotating the
// master keys works as before; [Keys.Rewrap] moves every wrapped key to the
// primary master so an old master key can be retired. The store keeps the
// wrapped keys apart from the data (on PostgreSQL the schema portal_keys,
// which data backups exclude), and deletes a subscriber's key with the
// subscriber row, in one transaction (package purge).
//
// Values. Profile items (every category, not only the ones the notice
// marks as encrypted), record summaries and the birth date are sealed with
// the data key before they reach the store and opened only to answer a
// request, where they are masked. A request unwraps a subscriber's key once
// (inventory.Subject carries it) and forgets it when it ends. Rows written
// before data keys existed are still read: values under a master key id,
// or in the clear, until they are rewritten.
package shred

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/protect"
)

// KeyReader reads wrapped keys.
type KeyReader interface {
	// GetSubscriberKey returns the wrapped key or apperr.ErrNotFound.
	GetSubscriberKey(ctx context.Context, subscriberID string) (*models.SubscriberKey, error)
}

// Store is where the wrapped keys are kept.
type Store interface {
	KeyReader
	// CreateSubscriberKey stores a key unless the subscriber has one, and
	// reports whether it did.
	CreateSubscriberKey(ctx context.Context, k *models.SubscriberKey) (bool, error)
}

// Keys draws, wraps and unwraps subscribers' data keys with the master
// keyring.
type Keys struct {
	ring *protect.Keyring
}

// New returns the data keys of a master keyring.
func New(ring *protect.Keyring) *Keys { return &Keys{ring: ring} }

// Ring is the master keyring, for values stored before data keys.
func (k *Keys) Ring() *protect.Keyring { return k.ring }

// keyAAD binds a wrapped key to its subscriber: a wrapped key copied to
// another subscriber's row does not open.
func keyAAD(subscriberID string) []byte { return protect.AAD("subscriber-key", subscriberID) }

// Fresh draws a data key for a new subscriber and returns it with the row
// that stores it wrapped.
func (k *Keys) Fresh(subscriberID string) (*protect.DataKey, *models.SubscriberKey, error) {
	dk, raw, err := protect.NewDataKey()
	if err != nil {
		return nil, nil, err
	}
	defer clear(raw)
	wrapped, kid, err := k.ring.WrapDataKey(raw, keyAAD(subscriberID))
	if err != nil {
		return nil, nil, err
	}
	return dk, &models.SubscriberKey{SubscriberID: subscriberID, MasterKeyID: kid, Wrapped: wrapped}, nil
}

// Open unwraps a stored key. A key that does not open (its master key was
// removed from the ring, or the row was tampered with) is an internal
// error: the subscriber's values cannot be shown.
func (k *Keys) Open(row *models.SubscriberKey) (*protect.DataKey, error) {
	dk, err := k.ring.UnwrapDataKey(row.MasterKeyID, row.Wrapped, keyAAD(row.SubscriberID))
	if err != nil {
		return nil, fmt.Errorf("data key of a subscriber: %w", err)
	}
	return dk, nil
}

// ForRead returns the subscriber's data key, or nil when the subscriber has
// none: written before data keys, so every value is read as it was stored.
func (k *Keys) ForRead(ctx context.Context, st KeyReader, subscriberID string) (*protect.DataKey, error) {
	row, err := st.GetSubscriberKey(ctx, subscriberID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return k.Open(row)
}

// ForWrite returns the subscriber's data key, giving the subscriber one if
// they have none yet. Call it in the transaction that writes the values, after
// the subscriber row exists.
func (k *Keys) ForWrite(ctx context.Context, st Store, subscriberID string) (*protect.DataKey, error) {
	dk, err := k.ForRead(ctx, st, subscriberID)
	if err != nil || dk != nil {
		return dk, err
	}
	dk, row, err := k.Fresh(subscriberID)
	if err != nil {
		return nil, err
	}
	created, err := st.CreateSubscriberKey(ctx, row)
	if err != nil {
		return nil, err
	}
	if created {
		return dk, nil
	}
	// Another writer gave the subscriber a key first: use theirs.
	dk, err = k.ForRead(ctx, st, subscriberID)
	if err == nil && dk == nil {
		err = fmt.Errorf("data key of a subscriber vanished while being created")
	}
	return dk, err
}

// RewrapStore is what rewrapping needs.
type RewrapStore interface {
	// ListSubscriberKeysNotUnder returns up to limit keys wrapped under
	// another master key than masterKeyID, in subscriber order after after.
	ListSubscriberKeysNotUnder(ctx context.Context, masterKeyID, after string, limit int) ([]*models.SubscriberKey, error)
	// RewrapSubscriberKey stores k if the key is still wrapped under
	// oldMasterKeyID, and reports whether it did.
	RewrapSubscriberKey(ctx context.Context, k *models.SubscriberKey, oldMasterKeyID string, at time.Time) (bool, error)
}

// rewrapBatch is how many keys one rewrap step reads.
const rewrapBatch = 500

// Rewrap re-wraps every data key not yet under the primary master key with
// it, so that the older master keys can be removed from
// PORTAL_ENCRYPTION_KEY: no value is touched, only the wrapped keys. It
// returns how many keys it rewrapped; a key that does not open with any
// master key of the ring stops it with an error naming no key material.
// Each key is updated on its own, so a rewrap can be interrupted and run
// again.
func (k *Keys) Rewrap(ctx context.Context, st RewrapStore, now time.Time) (int64, error) {
	var (
		n     int64
		after string
	)
	primary := k.ring.PrimaryID()
	for {
		rows, err := st.ListSubscriberKeysNotUnder(ctx, primary, after, rewrapBatch)
		if err != nil {
			return n, err
		}
		for _, row := range rows {
			wrapped, kid, err := k.ring.RewrapDataKey(row.MasterKeyID, row.Wrapped, keyAAD(row.SubscriberID))
			if err != nil {
				return n, fmt.Errorf("rewrap the data key of a subscriber wrapped under %q: %w", row.MasterKeyID, err)
			}
			old := row.MasterKeyID
			row.Wrapped, row.MasterKeyID = wrapped, kid
			ok, err := st.RewrapSubscriberKey(ctx, row, old, now)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		if len(rows) < rewrapBatch {
			return n, nil
		}
		after = rows[len(rows)-1].SubscriberID
	}
}
