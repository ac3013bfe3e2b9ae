package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse writes what json.Marshal writes of a graphql.Response:
// the same bytes where the data holds no <, > or &, which json.Marshal
// escapes, and the same JSON values always.
func TestWriteResponseIsJSONMarshal(t *testing.T) {
	withErr := &gqlerror.Error{Message: "not found", Path: ast.Path{ast.PathName("me"), ast.PathIndex(2)},
		Extensions: map[string]any{"code": "NOT_FOUND", "field": "id"}}
	for name, resp := range map[string]*graphql.Response{
		"data":                 {Data: json.RawMessage(`{"me":{"id":"s-1","holdings":[{"value":"김민준"},{"value":"a\"b\\c"}]}}`)},
		"null data":            {},
		"errors and data":      {Data: json.RawMessage(`{"me":null}`), Errors: gqlerror.List{withErr}},
		"errors only":          {Errors: gqlerror.List{withErr, {Message: "second"}}},
		"extensions":           {Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{"cost": 12, "z": []any{"x", nil}}},
		"html in strings":      {Data: json.RawMessage(`{"s":"<b>&amp;</b>"}`)},
		"everything":           {Data: json.RawMessage(`{"a":[1,2,{"b":true}]}`), Errors: gqlerror.List{withErr}, Extensions: map[string]any{"k": "v"}},
		"white space in data":  {Data: json.RawMessage("{\"a\": 1}")},
		"unicode line endings": {Data: json.RawMessage("{\"a\":\"\u2028\u2029\"}")},
	} {
		var got bytes.Buffer
		if err := writeResponse(&got, resp); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var g, w any
		if err := json.Unmarshal(got.Bytes(), &g); err != nil {
			t.Fatalf("%s: not JSON: %s (%v)", name, got.Bytes(), err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n wrote   %s\n Marshal %s", name, got.Bytes(), want)
		}
		if !bytes.ContainsAny(resp.Data, "<>&\u2028\u2029 ") && !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: bytes differ:\n wrote   %s\n Marshal %s", name, got.Bytes(), want)
		}
	}
}
