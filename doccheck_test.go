package lws_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportedIdentifiersDocumented walks every package of the module and
// fails for an exported identifier without a doc comment, or a package
// without a package doc.
func TestExportedIdentifiersDocumented(t *testing.T) {
	dirs := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, files := range dirs {
		fset := token.NewFileSet()
		hasPkgDoc := false
		for _, name := range files {
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil {
				hasPkgDoc = true
			}
			checkFileDocs(t, fset, f, f.Name.Name == "main")
		}
		if !hasPkgDoc {
			t.Errorf("the package in %s has no package doc comment", dir)
		}
	}
}

func checkFileDocs(t *testing.T, fset *token.FileSet, f *ast.File, isMain bool) {
	if isMain {
		return // commands document themselves in their package doc
	}
	missing := func(pos token.Pos, what string) {
		t.Errorf("%s: exported %s has no doc comment", fset.Position(pos), what)
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil {
				continue
			}
			if d.Recv != nil && len(d.Recv.List) > 0 {
				if !exportedRecv(d.Recv.List[0].Type) {
					continue
				}
				// Methods implementing well-known interfaces document themselves.
				if d.Name.Name == "Error" || d.Name.Name == "String" || d.Name.Name == "Is" {
					continue
				}
			}
			missing(d.Pos(), d.Name.Name)
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
						missing(s.Pos(), s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
							missing(n.Pos(), n.Name)
						}
					}
				}
			}
		}
	}
}

func exportedRecv(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.StarExpr:
		return exportedRecv(x.X)
	case *ast.Ident:
		return x.IsExported()
	case *ast.IndexExpr:
		return exportedRecv(x.X)
	}
	return false
}
