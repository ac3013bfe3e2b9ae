package store

import (
	"context"

	"github.com/xroshot/portal/audit"
)

// auditStore gives the audit trail *DB, with InTx typed in its terms.
// Recording inside another domain's transaction needs no adapter: every
// transaction handle is a *DB, which is an audit.Store.
type auditStore struct{ *DB }

func (a auditStore) InTx(ctx context.Context, fn func(audit.LogStore) error) error {
	return a.DB.InTx(ctx, func(tx *DB) error { return fn(auditStore{tx}) })
}

// ForAudit returns the store as the audit trail needs it.
func (db *DB) ForAudit() audit.LogStore { return auditStore{db} }
