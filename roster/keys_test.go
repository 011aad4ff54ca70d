package roster

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// usedKeys reads the package's non-test sources and returns the key of every
// message made with msg(…) or Msg{Key: …}, with where it is. A key that is
// neither a string literal nor a constant of the package is an error: the
// catalogue could not be checked for it.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	consts := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	keys := map[string]string{}
	key := func(e ast.Expr) {
		pos := fset.Position(e.Pos()).String()
		switch e := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(e.Value); err == nil && e.Kind == token.STRING {
				keys[s] = pos
				return
			}
		case *ast.Ident:
			if s, ok := consts[e.Name]; ok {
				keys[s] = pos
				return
			}
		}
		t.Errorf("%s: a message key that is not a string literal or constant", pos)
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				return n.Recv != nil || n.Name.Name != "msg" // msg itself takes any key
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "msg" && len(n.Args) > 0 {
					key(n.Args[0])
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Msg" {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Key" {
								key(kv.Value)
							}
						}
					}
				}
			}
			return true
		})
	}
	for _, k := range columnKeys { // the columns' names (Column.Text)
		keys[k] = "roster.go: columnKeys"
	}
	return keys
}

// TestKeysInCatalogue fails when a message the package makes has no text in
// a language, or the catalogue keeps a "roster." text nothing makes.
func TestKeysInCatalogue(t *testing.T) {
	keys := usedKeys(t)
	if len(keys) < 50 {
		t.Fatalf("only %d keys found in the sources: is the scan broken?", len(keys))
	}
	cat := catalog(t)
	for k, pos := range keys {
		for _, lang := range cat.Langs() {
			if !cat.Has(lang, keyPrefix+k) {
				t.Errorf("%s: %q has no text in %s", pos, keyPrefix+k, lang)
			}
		}
	}
	for _, lang := range cat.Langs() {
		for _, k := range cat.Keys(lang) {
			if rest, ok := strings.CutPrefix(k, keyPrefix); ok && keys[rest] == "" {
				t.Errorf("%s: %q is not used by package roster", lang, k)
			}
		}
	}
}
