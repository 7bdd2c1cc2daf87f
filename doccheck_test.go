package lws_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// exampleMarker names the source of the README's next ```go block: a Go
// file of the module and, optionally, top-level declarations in it (by
// name; a method as Type.Method). Without names the block is the whole
// file.
var exampleMarker = regexp.MustCompile(`^<!-- example: (\S+\.go)((?: [\w.]+)*) -->$`)

// TestREADMEGoBlocksAreTested: every ```go block of README.md is preceded
// by a marker naming where its code lives, and is that code, up to
// whitespace; the code is compiled and run by the tests (the examples'
// "// Output:" and their packages' tests). So the README shows only code
// that builds and works, and cannot drift from it.
func TestREADMEGoBlocksAreTested(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(readme), "\n")
	blocks := 0
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		blocks++
		start := i + 1
		end := start
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		block := strings.Join(lines[start:end], "\n")
		i = end
		prev := start - 2
		for prev >= 0 && strings.TrimSpace(lines[prev]) == "" {
			prev--
		}
		var m []string
		if prev >= 0 {
			m = exampleMarker.FindStringSubmatch(strings.TrimSpace(lines[prev]))
		}
		if m == nil {
			t.Errorf("README.md:%d: a ```go block without an <!-- example: FILE [NAME...] --> line before it", start)
			continue
		}
		want, err := goSource(m[1], strings.Fields(m[2]))
		if err != nil {
			t.Errorf("README.md:%d: %v", start, err)
			continue
		}
		if normalizeSpace(block) != normalizeSpace(want) {
			t.Errorf("README.md:%d: the block is not %s %s; the source says:\n%s", start, m[1], m[2], want)
		}
	}
	if blocks == 0 {
		t.Error("README.md has no ```go block")
	}
}

// goSource returns the text of the named top-level declarations of a Go
// file, doc comments included, separated by blank lines; or the whole
// file when no name is given.
func goSource(file string, names []string) (string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	if len(names) == 0 {
		return string(src), nil
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	text := func(doc *ast.CommentGroup, from, to token.Pos) string {
		if doc != nil {
			from = doc.Pos()
		}
		return string(src[fset.Position(from).Offset:fset.Position(to).Offset])
	}
	found := map[string]string{}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				name = recvName(d.Recv.List[0].Type) + "." + name
			}
			found[name] = text(d.Doc, d.Pos(), d.End())
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					found[s.Name.Name] = text(d.Doc, d.Pos(), d.End())
				case *ast.ValueSpec:
					for _, n := range s.Names {
						found[n.Name] = text(d.Doc, d.Pos(), d.End())
					}
				}
			}
		}
	}
	var parts []string
	for _, n := range names {
		s, ok := found[n]
		if !ok {
			return "", fmt.Errorf("%s declares no %s", file, n)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n\n"), nil
}

func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr:
		return recvName(x.X)
	}
	return ""
}

// normalizeSpace turns every run of white space into one space.
func normalizeSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// TestLwswsDocNamesEveryPlugin: the Plugins section of docs/lwsws.md
// names the protocol (its package's Name constant) of every plugin
// package cmd/lwsws imports.
func TestLwswsDocNamesEveryPlugin(t *testing.T) {
	doc, err := os.ReadFile("docs/lwsws.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Plugins\n")
	if !ok {
		t.Fatal("docs/lwsws.md has no Plugins section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	fset := token.NewFileSet()
	main, err := parser.ParseFile(fset, "cmd/lwsws/main.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "github.com/golws/lws/"
	plugins := 0
	for _, imp := range main.Imports {
		path := strings.Trim(imp.Path.Value, `"`)
		if !strings.HasPrefix(path, prefix+"plugins/") {
			continue
		}
		plugins++
		name, err := pluginName(strings.TrimPrefix(path, prefix))
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(section, "`"+name+"`") {
			t.Errorf("docs/lwsws.md's Plugins section does not name %s (%s)", name, path)
		}
	}
	if plugins == 0 {
		t.Error("cmd/lwsws/main.go imports no plugin")
	}
}

// pluginName returns the value of the Name constant of the plugin
// package in dir.
func pluginName(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return "", err
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return "", err
		}
		for _, decl := range f.Decls {
			d, ok := decl.(*ast.GenDecl)
			if !ok || d.Tok != token.CONST {
				continue
			}
			for _, spec := range d.Specs {
				s := spec.(*ast.ValueSpec)
				for i, n := range s.Names {
					if n.Name != "Name" || i >= len(s.Values) {
						continue
					}
					if lit, ok := s.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						return strings.Trim(lit.Value, `"`), nil
					}
				}
			}
		}
	}
	return "", fmt.Errorf("%s has no Name constant", dir)
}

// TestPackageDocCodeCompiles: the code block of the package doc (doc.go)
// compiles, with myProtocol and ctx defined around it, so that go doc
// never shows code the library no longer takes.
func TestPackageDocCodeCompiles(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var code []string
	for _, l := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(l, "//\t"); ok {
			code = append(code, rest)
		}
	}
	if len(code) == 0 {
		t.Fatal("doc.go has no code block")
	}
	prog := "package docsnippet\n\nimport (\n\t\"context\"\n\n\t\"github.com/golws/lws\"\n)\n\n" +
		"var myProtocol lws.Protocol\n\nfunc run(ctx context.Context) error {\n" + strings.Join(code, "\n") + "\n}\n\nvar _ = run\n"
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "snippet.go")
	if err := os.WriteFile(file, []byte(prog), 0o600); err != nil {
		t.Fatal(err)
	}
	// The snippet becomes a package of the module without touching the tree.
	target := filepath.Join(root, "internal", "docsnippet", "snippet.go")
	overlay := fmt.Sprintf(`{"Replace": {%q: %q}}`, target, file)
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), []byte(overlay), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "build", "-overlay", filepath.Join(dir, "overlay.json"), "-o", os.DevNull, "./internal/docsnippet").CombinedOutput()
	if err != nil {
		t.Errorf("the package doc's code does not compile: %v\n%s\n%s", err, out, prog)
	}
}
