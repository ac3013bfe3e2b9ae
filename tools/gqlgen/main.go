// Command gqlgen regenerates the GraphQL layer (`go generate ./...` runs it):
// gqlgen's own generation from gqlgen.yml — models, resolver stubs and the
// executor graph/generated.go — and then the executor once more from
// gqlgen's templates with three of them replaced by the copies in
// templates/, which change how the executor spends its time and nothing of
// what it answers.
//
// The three changes (templates/upstream.patch is the diff against gqlgen's
// own templates, ready to offer upstream; issue 17 measured why):
//
//   - A list of objects is marshalled element after element in the
//     request's goroutine when the selection on its elements reaches no
//     field that is resolved concurrently (a field resolver, or a method
//     taking a context). gqlgen starts a goroutine for every element of
//     every list of objects, which is worth it only when elements wait on
//     I/O, a data loader above all; where a selection does reach such a
//     field, the list still fans out as before.
//   - An object builds the bookkeeping of @defer (a deferred group, its path)
//     only when one of its collected fields is deferred, and objects with no
//     concurrent field, which cannot defer anything, not at all.
//   - A field that reads a struct field, or calls a method taking no
//     context and returning no error, with no arguments and no directives,
//     is marshalled without graphql.ResolveField (its field context built
//     through a closure, the middleware call, the value boxed twice, the
//     closures around them): with no field context at all when it cannot
//     fail (a built-in scalar or enum, a nullable scalar, a non-zero
//     time), under its own field context otherwise, so that the paths of
//     errors below it stay right (directField). An object without
//     concurrent fields answers a small fieldValues rather than
//     graphql.FieldSet, whose marshalling keeps a map of written names and
//     copies every field to the heap. These fields skip field interceptors
//     (AroundFields); the server installs none, and httpapi refuses one
//     (httpapi.TestNoFieldInterceptor).
//
// The copies are of gqlgen v0.17.98's templates; a go.mod that moves gqlgen
// to another version stops the generation here until they are re-based (the
// untouched templates are read from the module itself, so only the three
// copies can drift).
package main

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing/fstest"
	"text/template"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/99designs/gqlgen/plugin"
)

// upstreamVersion is the gqlgen release the templates in templates/ were
// copied from.
const upstreamVersion = "v0.17.98"

//go:embed templates/*.gotpl
var patched embed.FS

// singleFile are the templates gqlgen renders into a single-file executor
// (codegen/generate.go, singleFileTemplateFS), in its order.
var singleFile = []string{"api!.gotpl", "internal!.gotpl", "args.gotpl", "field.gotpl", "input.gotpl",
	"interface.gotpl", "object.gotpl", "type.gotpl", "generated!.gotpl", "directives_.gotpl"}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := gqlgenDir()
	if err != nil {
		return err
	}
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return err
	}
	if cfg.Exec.Layout != config.ExecLayoutSingleFile {
		return errors.New("gqlgen.yml: exec.layout must be single-file: the replaced templates are rendered as one file")
	}
	keep := &keepData{}
	if err := api.Generate(cfg, api.AddPlugin(keep)); err != nil {
		return err
	}
	if keep.data == nil {
		return errors.New("gqlgen built no data for the executor")
	}
	tfs, err := overlay(os.DirFS(filepath.Join(dir, "codegen")))
	if err != nil {
		return err
	}
	d := keep.data
	return templates.Render(templates.Options{
		PackageName:     d.Config.Exec.Package,
		Filename:        d.Config.Exec.Filename,
		Data:            d,
		RegionTags:      true,
		GeneratedHeader: true,
		Packages:        d.Config.Packages,
		TemplateFS:      tfs,
		PruneOptions:    d.Config.GetPruneOptions(),
		Funcs:           funcs(d),
	})
}

// gqlgenDir is the directory of the gqlgen module this program is built
// with, after checking that it is the release the copies come from.
func gqlgenDir() (string, error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", errors.New("no build information: run it with go run")
	}
	for _, m := range info.Deps {
		if m.Path != "github.com/99designs/gqlgen" {
			continue
		}
		if m.Replace != nil {
			m = m.Replace
		}
		if m.Version != upstreamVersion {
			return "", fmt.Errorf("go.mod has gqlgen %s, but tools/gqlgen/templates are copies of %s's: "+
				"copy that release's codegen/{field,object,type}.gotpl, apply templates/upstream.patch to them, "+
				"and change upstreamVersion", m.Version, upstreamVersion)
		}
		return moduleDir(m.Path, m.Version)
	}
	return "", errors.New("gqlgen is not a dependency of this build")
}

// keepData is a gqlgen plugin that keeps the data gqlgen builds for its
// code generators, to render the executor again from it.
type keepData struct{ data *codegen.Data }

var _ plugin.CodeGenerator = (*keepData)(nil)

func (k *keepData) Name() string { return "keep-executor-data" }

func (k *keepData) GenerateCode(d *codegen.Data) error {
	k.data = d
	return nil
}

// overlay is gqlgen's single-file template set with the copies in
// templates/ in place of gqlgen's own.
func overlay(upstream fs.FS) (fs.FS, error) {
	mine, err := fs.Sub(patched, "templates")
	if err != nil {
		return nil, err
	}
	files := fstest.MapFS{}
	for _, name := range singleFile {
		src := upstream
		if _, err := fs.Stat(mine, name); err == nil {
			src = mine
		}
		b, err := fs.ReadFile(src, name)
		if err != nil {
			return nil, err
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	return files, nil
}

// funcs are the template functions the copies use beyond gqlgen's own.
func funcs(d *codegen.Data) template.FuncMap {
	return template.FuncMap{
		// directField: how the field is marshalled without resolveField
		// (the third change above).
		"directField": func(f *codegen.Field) string { return directField(d, f) },
		// inOrderObject: the named type is an object whose lists may be
		// marshalled in order, by its generated _T_concurrentIn.
		"inOrderObject": func(name string) bool {
			o := d.Objects.ByName(name)
			return o != nil && !o.Root && !o.Stream
		},
		// concurrentFields and objectFields split an object's fields for
		// _T_concurrentIn: those resolved concurrently, and those whose
		// type is another object (through lists) or an abstract type.
		"concurrentFields": func(o *codegen.Object) []*codegen.Field {
			return slices.DeleteFunc(slices.Clone(o.Fields), func(f *codegen.Field) bool { return !f.IsConcurrent() })
		},
		"nestedFields": func(o *codegen.Object) []*codegen.Field {
			return slices.DeleteFunc(slices.Clone(o.Fields), func(f *codegen.Field) bool {
				return f.IsConcurrent() || f.TypeReference.Definition.Fields == nil && !f.TypeReference.Definition.IsAbstractType()
			})
		},
		"abstract": func(f *codegen.Field) bool { return f.TypeReference.Definition.IsAbstractType() },
	}
}

// builtinLeaves are the scalars whose marshaller never answers null for a
// value, so that a non-null field of one cannot fail.
var builtinLeaves = map[string]bool{"String": true, "ID": true, "Int": true, "Float": true, "Boolean": true}

// directField tells how a field can be marshalled without gqlgen's
// resolveField (a field context built through a closure, the middleware
// call, the value boxed twice, three closures): "leaf" for a field that
// cannot fail, marshalled with no field context at all; "time" for a
// non-null time, the same unless it is the zero time; "context" for one
// that reads a struct field or calls a method that takes no context and
// returns no error, marshalled under its own field context, so that the
// paths of errors below it are right; "" for every other field, left to
// gqlgen.
func directField(d *codegen.Data, f *codegen.Field) string {
	if f.Object.Root || f.Object.Stream || f.IsResolver || f.IsMap() || f.IsBatch() || f.HasHaser ||
		len(f.Args) > 0 || f.HasDirectives() || len(d.AllDirectives.LocationDirectives("FIELD")) > 0 {
		return ""
	}
	switch {
	case f.IsVariable():
	case f.IsMethod() && f.NoErr && !f.MethodHasContext && !f.VOkFunc:
	default:
		return ""
	}
	t := f.TypeReference
	def := t.Definition
	if t.IsSlice() || t.IsPtrToSlice() || def.Kind != "ENUM" && def.Kind != "SCALAR" {
		return "context"
	}
	switch {
	case def.Kind == "ENUM" || builtinLeaves[def.Name]:
		// A non-null field held in a pointer can be nil: its error needs
		// the field's path.
		if !(t.GQL.NonNull && t.IsNilable()) {
			return "leaf"
		}
	case !t.GQL.NonNull && !t.IsContext:
		// A nullable scalar's marshaller answers null without an error.
		return "leaf"
	case t.GO.String() == "time.Time":
		// graphql.MarshalTime answers null (an error for a non-null
		// field) only for the zero time.
		return "time"
	}
	return "context"
}

// moduleDir is where the go command keeps the module path@version.
func moduleDir(path, version string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path+"@"+version).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s@%s: %w", path, version, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("go list -m %s@%s: the module is not downloaded (go mod download)", path, version)
	}
	return dir, nil
}
