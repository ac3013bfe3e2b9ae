package textin

import (
	"testing"

	"github.com/xroshot/portal/apperr"
)

func TestProblem(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "김민준", "line one\nline two\r\n\tindented", "call 010-5555-4444", "emoji 👍", "עברית and العربية"} {
		if p := Problem(ok); p != "" {
			t.Errorf("Problem(%q) = %q, want accepted", ok, p)
		}
	}
	for _, bad := range []string{"a\x00b", "\a", "esc\x1b[31m", "del\x7f", "c1\u0085", "\u202Eevil", "\u2066iso\u2069", "\xff\xfe", "broken\xc3", "\ufffd"} {
		if Problem(bad) == "" {
			t.Errorf("Problem(%q) accepted", bad)
		}
	}
}

func TestWalkNamesTheField(t *testing.T) {
	t.Parallel()
	v := map[string]any{"items": []any{map[string]any{"value": "ok"}, map[string]any{"value": "a\x00"}}}
	err := Walk("input", v)
	if err == nil || apperr.FieldOf(err) != "input.items[1].value" {
		t.Fatalf("Walk = %v (field %q)", err, apperr.FieldOf(err))
	}
	if code, _ := apperr.CodeOf(err); code != apperr.CodeBadUserInput {
		t.Errorf("code %s", code)
	}
}
