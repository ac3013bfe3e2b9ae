package store

import (
	"context"

	"gorm.io/gorm/clause"
)

// PolicyVersion is a catalog the server has run with.
type PolicyVersion struct {
	Version string `gorm:"primaryKey"`
	Hash    string
	Source  string
}

// SavePolicyVersion records the catalog text under its version. The same
// version with different text is a conflict: a published notice never
// changes in place, a new one gets a new version.
func (db *DB) SavePolicyVersion(ctx context.Context, version, hash, source string) error {
	pv := PolicyVersion{Version: version, Hash: hash, Source: source}
	if err := db.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&pv).Error; err != nil {
		return translate(err)
	}
	var got PolicyVersion
	if err := db.q(ctx).Where("version = ?", version).Take(&got).Error; err != nil {
		return translate(err)
	}
	if got.Hash != hash {
		return errorf(ErrConflict, "policy version %s is already stored with other content; give the changed catalog a new version", version)
	}
	return nil
}
