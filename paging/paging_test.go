package paging_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xroshot/portal/apperr"
	"github.com/xroshot/portal/paging"
)

// TestWireFormat pins the cursors clients already hold: each list's cursor
// is the same text it was before the codecs became one.
func TestWireFormat(t *testing.T) {
	t.Parallel()
	at := time.UnixMicro(1700000000123456).UTC()
	tests := []struct {
		name   string
		got    string
		want   string
		tag    string
		fields []string
	}{
		{name: "records", got: paging.Encode("rec", paging.Micros(at), paging.ID(42)), want: "cmVjOjE3MDAwMDAwMDAxMjM0NTY6NDI", tag: "rec", fields: []string{"1700000000123456", "42"}},
		{name: "the request queue", got: paging.Encode("reqqueue", paging.Micros(at), "r-1"), want: "cmVxcXVldWU6MTcwMDAwMDAwMDEyMzQ1NjpyLTE", tag: "reqqueue", fields: []string{"1700000000123456", "r-1"}},
		{name: "reconfirmations, a subscriber id with colons last", got: paging.Encode("rcf", "1700000000000000", "marketing.sms", "op:sub:7"), want: "cmNmOjE3MDAwMDAwMDAwMDAwMDA6bWFya2V0aW5nLnNtczpvcDpzdWI6Nw", tag: "rcf", fields: []string{"1700000000000000", "marketing.sms", "op:sub:7"}},
		{name: "suspensions", got: paging.Encode("susp", "req-9"), want: "c3VzcDpyZXEtOQ", tag: "susp", fields: []string{"req-9"}},
		{name: "the audit trail", got: paging.Encode("audit", paging.ID(17)), want: "YXVkaXQ6MTc", tag: "audit", fields: []string{"17"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("Encode = %q, want %q", tc.got, tc.want)
			}
			f, err := paging.Decode(tc.want, tc.tag, len(tc.fields))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.fields, f); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
	if got, err := paging.ParseMicros("1700000000123456"); err != nil || !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("ParseMicros = %v, %v; want %v in UTC", got, err, at)
	}
}

func TestDecodeRefusesWhatIsNotACursorOfTheList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cursor, tag string
		n                 int
	}{
		{name: "another list's", cursor: paging.Encode("rec", "1", "2"), tag: "cev", n: 2},
		{name: "not base64url", cursor: "!!", tag: "rec", n: 2},
		{name: "padded base64", cursor: "cmVjOjE6Mg==", tag: "rec", n: 2},
		{name: "too few fields", cursor: paging.Encode("rec", "1"), tag: "rec", n: 2},
		{name: "an empty field", cursor: paging.Encode("susp", ""), tag: "susp", n: 1},
		{name: "a tag that only starts the same", cursor: paging.Encode("recx", "1", "2"), tag: "rec", n: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := paging.Decode(tc.cursor, tc.tag, tc.n)
			if code, _ := apperr.CodeOf(err); code != apperr.CodeBadUserInput || apperr.FieldOf(err) != "after" || f != nil {
				t.Errorf("Decode = %v, %v; want BAD_USER_INPUT on after", f, err)
			}
		})
	}
	if f, err := paging.Decode("", "rec", 2); f != nil || err != nil {
		t.Errorf("no cursor = %v, %v; want nil, nil", f, err)
	}
	for _, s := range []string{"0", "-3", "x", "1:2"} {
		if _, err := paging.ParseID(s); err == nil {
			t.Errorf("ParseID(%q) accepted", s)
		}
	}
	if _, err := paging.ParseMicros("soon"); err == nil {
		t.Error("ParseMicros accepted a word")
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	n := func(i int) *int { return &i }
	for _, tc := range []struct {
		first *int
		want  int
		field string
	}{
		{first: nil, want: paging.DefaultSize},
		{first: n(0), want: 0},
		{first: n(paging.MaxSize), want: paging.MaxSize},
		{first: n(-1), field: "first"},
		{first: n(paging.MaxSize + 1), field: "first"},
	} {
		got, err := paging.Size(tc.first, paging.DefaultSize, paging.MaxSize)
		if apperr.FieldOf(err) != tc.field || (tc.field == "" && got != tc.want) {
			t.Errorf("Size(%v) = %d, %v; want %d on field %q", tc.first, got, err, tc.want, tc.field)
		}
	}
}
