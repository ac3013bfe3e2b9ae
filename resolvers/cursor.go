package resolvers

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/models"
)

// Cursors are opaque to clients but tagged by connection, so a cursor from
// one list given to another is refused rather than silently misread.
const recordCursorTag = "rec"

func encodeRecordCursor(r *models.Record) string {
	raw := recordCursorTag + ":" + strconv.FormatInt(r.OccurredAt.UnixMicro(), 10) + ":" + strconv.FormatInt(r.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeRecordCursor(s *string) (*models.RecordKey, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	bad := apperr.BadInput("after", "not a cursor of this list")
	b, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != recordCursorTag {
		return nil, bad
	}
	us, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return nil, bad
	}
	return &models.RecordKey{OccurredAt: time.UnixMicro(us).UTC(), ID: id}, nil
}

// pageSize applies the default and the cap to a `first` argument.
func pageSize(first *int, def, max int) (int, error) {
	if first == nil {
		return def, nil
	}
	switch {
	case *first < 0:
		return 0, apperr.BadInput("first", "must not be negative")
	case *first > max:
		return 0, apperr.BadInput("first", "must be at most %d", max)
	}
	return *first, nil
}
