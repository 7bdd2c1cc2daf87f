package lws_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// notDelivered is the phrase a Reason constant's doc comment opens its
// explanation with when golws never delivers that reason.
const notDelivered = "golws does not deliver this reason: "

// TestReasonDocsSayWhatIsDelivered keeps the Reason constants' comments
// honest: a reason that no non-test code of the package refers to (so
// that nothing can deliver it) must say in its comment that golws does
// not deliver it, and a reason that is referred to must not say so.
func TestReasonDocsSayWhatIsDelivered(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{} // Reason constant -> its doc comment
	used := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "lws" {
			continue
		}
		if name == "protocol.go" {
			reasonDocs(f, docs)
			continue // its table of names refers to every reason
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				used[id.Name] = true
			}
			return true
		})
	}
	if len(docs) < 80 {
		t.Fatalf("found only %d Reason constants in protocol.go", len(docs))
	}
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		doc := docs[name]
		if name == "CallbackUser" {
			continue // the first value of user code's own reasons
		}
		says := strings.Contains(strings.Join(strings.Fields(doc), " "), notDelivered)
		switch {
		case !used[name] && !says:
			t.Errorf("%s is never delivered, but its comment does not say %q and why", name, notDelivered)
		case used[name] && says:
			t.Errorf("%s is referred to by the package, but its comment says %q", name, notDelivered)
		}
	}
}

// reasonDocs records the doc comment of every constant of type Reason
// declared in f.
func reasonDocs(f *ast.File, docs map[string]string) {
	for _, decl := range f.Decls {
		d, ok := decl.(*ast.GenDecl)
		if !ok || d.Tok != token.CONST {
			continue
		}
		for _, spec := range d.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Reason" {
				continue
			}
			for _, n := range vs.Names {
				docs[n.Name] = vs.Doc.Text()
			}
		}
	}
}
