package store

import (
	"context"

	"github.com/xroshot/portal/consent"
)

// consentStore gives the consent service *DB, with InTx typed in its terms.
type consentStore struct{ *DB }

// InTx runs fn in one transaction with the store typed as consent.Store.
func (c consentStore) InTx(ctx context.Context, fn func(consent.Store) error) error {
	return c.DB.InTx(ctx, func(tx *DB) error { return fn(consentStore{tx}) })
}

// ForConsent returns the store as the consent service needs it.
func (db *DB) ForConsent() consent.Store { return consentStore{db} }
