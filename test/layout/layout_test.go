// Package layout guards the shape of the code that the folder list promises
// (../shared/STYLE.md): small files and functions in pkg/, and commands
// that stay wiring.
package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Limits for non-test, non-generated Go files under pkg/.
const (
	maxFileLines = 400
	maxFuncLines = 80
)

// goFiles lists the non-test Go files under dir, skipping generated ones.
func goFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), "\n// Code generated ") || strings.HasPrefix(string(data), "// Code generated ") {
			return nil
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no Go files under %s", dir)
	}
	return out
}

// TestSizes: no file in pkg/ over maxFileLines lines, no function over
// maxFuncLines lines. A file or function that grows past them is split by
// what it does, not by the count.
func TestSizes(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range goFiles(t, "../../pkg") {
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p, "../../")
		if n := fset.File(f.Pos()).LineCount(); n > maxFileLines {
			t.Errorf("%s has %d lines, over %d: split it by what its parts do", rel, n, maxFileLines)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var body *ast.BlockStmt
			var name string
			switch fn := n.(type) {
			case *ast.FuncDecl:
				body, name = fn.Body, fn.Name.Name
			case *ast.FuncLit:
				body, name = fn.Body, "a function literal"
			default:
				return true
			}
			if body == nil {
				return true
			}
			start, end := fset.Position(n.Pos()).Line, fset.Position(body.End()).Line
			if lines := end - start + 1; lines > maxFuncLines {
				t.Errorf("%s:%d: %s has %d lines, over %d", rel, start, name, lines, maxFuncLines)
			}
			return true
		})
	}
}
