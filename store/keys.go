package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/xroshot/portal/models"
)

// GetSubscriberKey returns a subscriber's wrapped data key, or ErrNotFound
// (a subscriber written before data keys, or erased).
func (db *DB) GetSubscriberKey(ctx context.Context, subscriberID string) (*models.SubscriberKey, error) {
	var k models.SubscriberKey
	if err := db.q(ctx).Table(db.dialect.keysTable()).Where("subscriber_id = ?", subscriberID).Take(&k).Error; err != nil {
		return nil, translate(err)
	}
	return &k, nil
}

// CreateSubscriberKey stores a new wrapped data key unless the subscriber
// has one already, and reports whether it did: of two writers racing to
// give a subscriber a key, one wins and the other reads the winner's.
func (db *DB) CreateSubscriberKey(ctx context.Context, k *models.SubscriberKey) (bool, error) {
	normalizeTimes(&k.CreatedAt)
	res := db.q(ctx).Table(db.dialect.keysTable()).Clauses(clause.OnConflict{DoNothing: true}).Create(k)
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ListSubscriberKeysNotUnder returns up to limit wrapped keys whose master
// key is not masterKeyID, in subscriber order after the given id: the
// rewrap's walk.
func (db *DB) ListSubscriberKeysNotUnder(ctx context.Context, masterKeyID, after string, limit int) ([]*models.SubscriberKey, error) {
	var out []*models.SubscriberKey
	err := db.q(ctx).Table(db.dialect.keysTable()).
		Where("master_key_id <> ? AND subscriber_id > ?", masterKeyID, after).
		Order("subscriber_id").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// RewrapSubscriberKey replaces a wrapped key by the same key wrapped under
// another master key, if it is still wrapped under oldMasterKeyID (a
// concurrent rewrap is not undone), and reports whether it did.
func (db *DB) RewrapSubscriberKey(ctx context.Context, k *models.SubscriberKey, oldMasterKeyID string, at time.Time) (bool, error) {
	res := db.q(ctx).Table(db.dialect.keysTable()).
		Where("subscriber_id = ? AND master_key_id = ?", k.SubscriberID, oldMasterKeyID).
		Updates(map[string]any{"master_key_id": k.MasterKeyID, "wrapped": k.Wrapped, "rewrapped_at": utc(at)})
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// GetSubscriberWithKey returns a subscriber with their wrapped data key in
// one statement (the key nil for a subscriber written before data keys),
// or ErrNotFound: a request opening a subscriber's values pays no extra
// round trip for the key.
func (db *DB) GetSubscriberWithKey(ctx context.Context, id string) (*models.Subscriber, *models.SubscriberKey, error) {
	v, err := once[subscriberWithKey](ctx, db, db.subscriberWithKeyRead(id))
	return v.sub, v.key, err
}

// subscriberWithKey is GetSubscriberWithKey's result.
type subscriberWithKey struct {
	sub *models.Subscriber
	key *models.SubscriberKey
}

// subscriberWithKeyKey names GetSubscriberWithKey's read of id.
type subscriberWithKeyKey struct {
	db *DB
	id string
}

func (db *DB) subscriberWithKeyRead(id string) read {
	var rows []struct {
		models.Subscriber
		KeyMasterKeyID *string
		KeyWrapped     []byte
	}
	return read{
		key: subscriberWithKeyKey{db, id},
		find: func(q *gorm.DB) *gorm.DB {
			return q.Raw("SELECT s.*, k.master_key_id AS key_master_key_id, k.wrapped AS key_wrapped FROM subscribers s"+
				" LEFT JOIN "+db.dialect.keysTable()+" k ON k.subscriber_id = s.id WHERE s.id = ?", id).Find(&rows)
		},
		value: func(res *gorm.DB) (any, error) {
			if res.Error != nil {
				return subscriberWithKey{}, translate(res.Error)
			}
			if len(rows) == 0 {
				return subscriberWithKey{}, ErrNotFound
			}
			row := rows[0]
			sub := row.Subscriber
			if row.KeyMasterKeyID == nil {
				return subscriberWithKey{sub: &sub}, nil
			}
			return subscriberWithKey{&sub, &models.SubscriberKey{SubscriberID: sub.ID, MasterKeyID: *row.KeyMasterKeyID, Wrapped: row.KeyWrapped}}, nil
		},
	}
}
