package graph

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestEverythingDescribed fails on any type, field, argument, input field,
// enum value or directive of the schema that has no description: client
// developers read the schema through tools (GraphiQL, codegen), so whatever
// is added to graph/*.graphqls must say what it means.
func TestEverythingDescribed(t *testing.T) {
	s := NewExecutableSchema(Config{}).Schema()
	var missing []string
	miss := func(where, desc string) {
		if strings.TrimSpace(desc) == "" {
			missing = append(missing, where)
		}
	}
	args := func(where string, list ast.ArgumentDefinitionList) {
		for _, a := range list {
			miss(where+"("+a.Name+":)", a.Description)
		}
	}
	checked := 0
	for name, def := range s.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		checked++
		miss(name, def.Description)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			miss(name+"."+f.Name, f.Description)
			args(name+"."+f.Name, f.Arguments)
		}
		for _, v := range def.EnumValues {
			miss(name+"."+v.Name, v.Description)
		}
	}
	for name, d := range s.Directives {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		miss("@"+name, d.Description)
		args("@"+name, d.Arguments)
	}
	if checked < 50 {
		t.Fatalf("only %d schema types checked: the schema did not load as expected", checked)
	}
	for _, m := range missing {
		t.Errorf("no description: %s", m)
	}
}

// TestNoOutsideReferences keeps descriptions pointing at documents that
// ship with the repository: the shared design notes are not in it.
func TestNoOutsideReferences(t *testing.T) {
	for _, src := range sources {
		for _, bad := range []string{"DESIGN.md", "../", "shared/"} {
			if strings.Contains(src.Input, bad) {
				t.Errorf("%s refers to %q, which is not in the repository", src.Name, bad)
			}
		}
		for _, doc := range []string{"POLICY.md", "LAW.md"} {
			if strings.Contains(src.Input, doc) && !strings.Contains(src.Input, "docs/"+doc) {
				t.Errorf("%s names %s without its place in the repository (docs/%s)", src.Name, doc, doc)
			}
		}
	}
}

// TestScalarsAreSpecified keeps @specifiedBy on every custom scalar, so
// tools know the wire format of Time (RFC 3339) and Date (ISO 8601 date).
func TestScalarsAreSpecified(t *testing.T) {
	s := NewExecutableSchema(Config{}).Schema()
	want := map[string]string{"Time": "rfc3339", "Date": "iso-8601"}
	for name, def := range s.Types {
		if def.Kind != ast.Scalar || def.BuiltIn {
			continue
		}
		d := def.Directives.ForName("specifiedBy")
		if d == nil || d.Arguments.ForName("url") == nil {
			t.Errorf("scalar %s has no @specifiedBy(url:)", name)
			continue
		}
		if w, ok := want[name]; ok && !strings.Contains(d.Arguments.ForName("url").Value.Raw, w) {
			t.Errorf("scalar %s is specified by %s, want a URL naming %s", name, d.Arguments.ForName("url").Value.Raw, w)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("scalar %s is missing from the schema", name)
	}
}
