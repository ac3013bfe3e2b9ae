// Package paging is the one codec of the API's cursors and the one rule of
// its page sizes. A cursor is opaque to clients: its list's tag and its key
// fields joined by ":" and encoded base64url without padding, so a cursor of
// one list given to another is refused rather than misread. The last field
// may itself hold colons (an operator's subscriber id).
package paging

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/apperr"
)

// The page sizes of every list: the size when `first` is not given, and the
// most one page holds.
const (
	DefaultSize = 20
	MaxSize     = 100
)

// Size applies the default and the cap to a `first` argument: BAD_USER_INPUT
// on "first" when it is negative or over max.
func Size(first *int, def, max int) (int, error) {
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

// Encode is the cursor of the list tagged tag at the key fields.
func Encode(tag string, fields ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tag + ":" + strings.Join(fields, ":")))
}

// Decode returns the n key fields of a cursor of the list tagged tag; nil
// for no cursor ("" ). A cursor that is not one of this list, or has an
// empty field, is BAD_USER_INPUT on "after".
func Decode(cursor, tag string, n int) ([]string, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, Bad()
	}
	parts := strings.SplitN(string(b), ":", n+1)
	if len(parts) != n+1 || parts[0] != tag {
		return nil, Bad()
	}
	for _, p := range parts[1:] {
		if p == "" {
			return nil, Bad()
		}
	}
	return parts[1:], nil
}

// Bad is the error of a cursor that is not one of the list's.
func Bad() error { return apperr.BadInput("after", "not a cursor of this list") }

// Micros is an instant as a cursor field: microseconds since the epoch, the
// precision the stores keep.
func Micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// ParseMicros reads a Micros field, in UTC.
func ParseMicros(s string) (time.Time, error) {
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, Bad()
	}
	return time.UnixMicro(us).UTC(), nil
}

// ID is an id as a cursor field.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// ParseID reads an ID field: a positive integer.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, Bad()
	}
	return id, nil
}
