package sluice_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// The README's example is the body of Example in example_test.go, which runs
// against a broker: the README must show it verbatim.
func TestReadmeShowsTheExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "example_test.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "Example" {
			from := fset.Position(fn.Body.Lbrace).Offset + len("{\n")
			to := fset.Position(fn.Body.Rbrace).Offset
			body = string(src[from:to])
		}
	}
	if body == "" {
		t.Fatal("example_test.go has no func Example")
	}
	var code strings.Builder // the body one tab less indented
	for _, line := range strings.SplitAfter(body, "\n") {
		code.WriteString(strings.TrimPrefix(line, "\t"))
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```go\n"+code.String()+"```\n")) {
		t.Fatalf("README.md must show the body of Example (example_test.go) in a ```go block, verbatim:\n%s", code.String())
	}
}
