package requests

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/policy"
)

// Scope is what a request is about: everything of the subscriber, or some
// categories of profile items, kinds of records and single records.
type Scope struct {
	All         bool     `json:"all,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	RecordKinds []string `json:"recordKinds,omitempty"`
	RecordIDs   []int64  `json:"recordIds,omitempty"`
}

// MaxScopeEntries bounds a scope's lists.
const MaxScopeEntries = 200

// normalize sorts and de-duplicates the scope so equal scopes encode
// equally (idempotent filing compares them).
func (sc Scope) normalize() Scope {
	uniq := func(in []string) []string {
		m := map[string]bool{}
		var out []string
		for _, s := range in {
			if !m[s] {
				m[s] = true
				out = append(out, s)
			}
		}
		sort.Strings(out)
		return out
	}
	ids := map[int64]bool{}
	var rids []int64
	for _, id := range sc.RecordIDs {
		if !ids[id] {
			ids[id] = true
			rids = append(rids, id)
		}
	}
	sort.Slice(rids, func(i, j int) bool { return rids[i] < rids[j] })
	if sc.All {
		return Scope{All: true}
	}
	return Scope{Categories: uniq(sc.Categories), RecordKinds: uniq(sc.RecordKinds), RecordIDs: rids}
}

// Empty reports whether the scope names nothing.
func (sc Scope) Empty() bool {
	return !sc.All && len(sc.Categories) == 0 && len(sc.RecordKinds) == 0 && len(sc.RecordIDs) == 0
}

// CoversHolding reports whether the scope includes a profile item.
func (sc Scope) CoversHolding(category string) bool {
	if sc.All {
		return true
	}
	for _, c := range sc.Categories {
		if c == category {
			return true
		}
	}
	return false
}

// CoversRecord reports whether the scope includes a record.
func (sc Scope) CoversRecord(kind string, id int64) bool {
	if sc.All {
		return true
	}
	for _, k := range sc.RecordKinds {
		if k == kind {
			return true
		}
	}
	for _, r := range sc.RecordIDs {
		if r == id {
			return true
		}
	}
	return false
}

func (sc Scope) encode() string {
	b, _ := json.Marshal(sc)
	return string(b)
}

// DecodeScope reads a stored scope.
func DecodeScope(s string) (Scope, error) {
	var sc Scope
	if err := json.Unmarshal([]byte(s), &sc); err != nil {
		return Scope{}, fmt.Errorf("stored scope: %w", err)
	}
	return sc, nil
}

// validate checks every code against the catalog and every record id
// against the subscriber's records.
func (s *Service) validateScope(ctx context.Context, st Store, subscriberID string, sc Scope) error {
	if sc.Empty() {
		return apperr.BadInput("scope", "name categories, record kinds or records, or set all")
	}
	if len(sc.Categories)+len(sc.RecordKinds)+len(sc.RecordIDs) > MaxScopeEntries {
		return apperr.BadInput("scope", "at most %d entries", MaxScopeEntries)
	}
	for i, c := range sc.Categories {
		cat, ok := s.cat.Category(c)
		if !ok || cat.Class == policy.ClassGenerated {
			return apperr.BadInput(fmt.Sprintf("scope.categories[%d]", i), "unknown profile category %q", c)
		}
	}
	for i, k := range sc.RecordKinds {
		if _, ok := s.cat.RecordKind(k); !ok {
			return apperr.BadInput(fmt.Sprintf("scope.recordKinds[%d]", i), "unknown record kind %q", k)
		}
	}
	if len(sc.RecordIDs) > 0 {
		n, err := st.CountRecordsOf(ctx, subscriberID, sc.RecordIDs)
		if err != nil {
			return err
		}
		if n != int64(len(sc.RecordIDs)) {
			return apperr.BadInput("scope.recordIds", "%d of the records are not this subscriber's", int64(len(sc.RecordIDs))-n)
		}
	}
	return nil
}
