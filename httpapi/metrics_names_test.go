package httpapi

import (
	"fmt"
	"testing"
)

// Client-chosen operation names cannot grow the metric's series without
// bound: past maxOperationNames distinct names, new ones count as "other",
// and names already seen keep their own series.
func TestOperationNamesAreBounded(t *testing.T) {
	t.Parallel()
	var s nameSet
	for i := range maxOperationNames {
		if got := s.bound(fmt.Sprintf("Op%d", i)); got != fmt.Sprintf("Op%d", i) {
			t.Fatalf("name %d = %q, want its own", i, got)
		}
	}
	if got := s.bound("OneTooMany"); got != "other" {
		t.Errorf("name past the bound = %q, want other", got)
	}
	if got := s.bound("Op7"); got != "Op7" {
		t.Errorf("a name seen before = %q, want Op7", got)
	}
}
