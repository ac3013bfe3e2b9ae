package resolvers

import (
	"time"

	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/paging"
)

// Cursors are opaque to clients but tagged by connection (package paging),
// so a cursor from one list given to another is refused rather than
// silently misread.
const recordCursorTag = "rec"

func encodeRecordCursor(r *models.Record) string {
	return paging.Encode(recordCursorTag, paging.Micros(r.OccurredAt), paging.ID(r.ID))
}

func decodeRecordCursor(s *string) (*models.RecordKey, error) {
	at, id, err := decodeAtIDCursor(recordCursorTag, s)
	if at == nil || err != nil {
		return nil, err
	}
	return &models.RecordKey{OccurredAt: *at, ID: id}, nil
}

// decodeAtIDCursor reads a cursor of tag keyed by an instant and a numeric
// id; a nil instant for no cursor.
func decodeAtIDCursor(tag string, s *string) (*time.Time, int64, error) {
	f, err := paging.Decode(deref(s), tag, 2)
	if f == nil || err != nil {
		return nil, 0, err
	}
	at, err := paging.ParseMicros(f[0])
	if err != nil {
		return nil, 0, err
	}
	id, err := paging.ParseID(f[1])
	if err != nil {
		return nil, 0, err
	}
	return &at, id, nil
}

// pageSize applies the default and the cap to a `first` argument.
func pageSize(first *int, def, max int) (int, error) { return paging.Size(first, def, max) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
