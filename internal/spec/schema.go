package spec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the JSON Schema for kaji.yaml.
const SchemaID = "https://kaji.dev/schema/v1alpha1/kaji.schema.json"

// typesSource is types.go, whose doc comments become the schema's descriptions. It is embedded
// so that the schema does not depend on the working directory of whoever generates it.
//
//go:embed types.go
var typesSource []byte

// JSONSchema returns the JSON Schema (draft 2020-12) of kaji.yaml, generated from File. Editors
// use it through yaml-language-server; schema/kaji.schema.json is its output (make schema).
func JSONSchema() ([]byte, error) {
	comments, err := typeComments(typesSource)
	if err != nil {
		return nil, fmt.Errorf("read the doc comments of types.go: %w", err)
	}
	r := &jsonschema.Reflector{
		// Every struct gets additionalProperties: false; map[string]any (values) stays open.
		AllowAdditionalProperties: false,
		CommentMap:                comments,
		ExpandedStruct:            true,
	}
	s := r.Reflect(&File{})
	s.ID = SchemaID
	s.Title = "kaji.yaml"
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the schema: %w", err)
	}
	return append(out, '\n'), nil
}

// typeComments maps "<import path>.<Type>" and "<import path>.<Type>.<Field>" to the doc
// comments in src, the keys jsonschema.Reflector.CommentMap expects. As in Kubernetes' OpenAPI,
// field comments name fields by their YAML names: "ValuesFiles are ..." becomes "valuesFiles are
// ...".
func typeComments(src []byte) (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "types.go", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	pkg := reflect.TypeFor[File]().PkgPath()
	comments := map[string]string{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.TYPE {
			continue
		}
		for _, spec := range gen.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(gen.Specs) == 1 {
				doc = gen.Doc
			}
			name := pkg + "." + ts.Name.Name
			comments[name] = oneLine(doc.Text())
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			yamlNames := fieldYAMLNames(st)
			for _, field := range st.Fields.List {
				for _, fn := range field.Names {
					if text := oneLine(field.Doc.Text()); text != "" {
						comments[name+"."+fn.Name] = renameFields(text, yamlNames)
					}
				}
			}
		}
	}
	return comments, nil
}

// fieldYAMLNames maps the Go names of a struct's fields to their json tag names.
func fieldYAMLNames(st *ast.StructType) map[string]string {
	names := map[string]string{}
	for _, field := range st.Fields.List {
		if field.Tag == nil {
			continue
		}
		tag, err := strconv.Unquote(field.Tag.Value)
		if err != nil {
			continue
		}
		yamlName, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
		for _, fn := range field.Names {
			if yamlName != "" && yamlName != "-" {
				names[fn.Name] = yamlName
			}
		}
	}
	return names
}

var camelCase = regexp.MustCompile(`^[A-Z][a-z]+[A-Z]`)

// renameFields replaces Go field names in a comment with YAML names: the first word always,
// other words only when they are CamelCase, so that "EKS" in "an Amazon EKS cluster" stays.
func renameFields(text string, yamlNames map[string]string) string {
	words := strings.Split(text, " ")
	for i, w := range words {
		core := strings.TrimRight(w, ".,;:)")
		if y, ok := yamlNames[core]; ok && (i == 0 || camelCase.MatchString(core)) {
			words[i] = y + w[len(core):]
		}
	}
	return strings.Join(words, " ")
}

// oneLine joins a doc comment's lines with spaces.
func oneLine(text string) string {
	return strings.Join(strings.Fields(text), " ")
}
