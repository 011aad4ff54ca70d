package layers

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/lindungi/lindungi/"

var domain = []string{"about", "chart", "kode", "kpj", "clock", "iuran", "kartu", "locales", "nama", "nik", "origin", "payments", "payments/midtrans",
	"payments/sandbox", "roster", "sponsor", "tanggal", "telepon", "vault", "wilayah"}

// rules: a package (and its subpackages, with "/...") and what none of its
// dependencies may be.
var rules = []struct {
	pkg       string
	forbidden []string
}{
	{"flows", []string{"bot", "store", "cmd", "flowstest", "payments/webhook", "payments/midtrans", "payments/sandbox"}},
	{"store", []string{"bot", "cmd", "payments/webhook"}},
	{"bot/...", []string{"store", "cmd", "flowstest"}},
	{"payments/webhook", []string{"store", "bot", "cmd"}},
}

func init() {
	for _, d := range domain {
		rules = append(rules, struct {
			pkg       string
			forbidden []string
		}{d, []string{"flows", "store", "bot", "cmd", "flowstest", "payments/webhook"}})
	}
}

// Imports are checked on everything each package depends on, as go list
// sees it (tests excluded).
func TestImports(t *testing.T) {
	violations := checkImports(t, "..")
	for _, v := range violations {
		t.Error(v)
	}
}

func checkImports(t *testing.T, root string) []string {
	t.Helper()
	// -e: a cycle a forbidden import makes is still listed, and reported below.
	cmd := exec.Command("go", "list", "-e", "-deps", "-json=ImportPath,Deps", "./...")
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if rel, ok := strings.CutPrefix(p.ImportPath, module); ok {
			deps[rel] = p.Deps
		}
	}
	var violations []string
	for _, r := range rules {
		matched := false
		for pkg, ds := range deps {
			if !covers(r.pkg, pkg) {
				continue
			}
			matched = true
			for _, d := range ds {
				rel, ok := strings.CutPrefix(d, module)
				if !ok {
					continue
				}
				for _, f := range r.forbidden {
					if covers(f+"/...", rel) {
						violations = append(violations, pkg+" depends on "+rel+" (may not on "+f+")")
					}
				}
			}
		}
		if !matched {
			t.Errorf("rule for %s: no such package", r.pkg)
		}
	}
	return violations
}

// covers: pattern "x" is x, "x/..." is x and what lies under it.
func covers(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

// store calls no function of flows, nor of sponsor (the sponsor's import,
// which declares the store it needs as flows does): control runs from them
// to store, never back (a type conversion such as flows.Owner(row) is not
// a call).
func TestStoreCallsNoFlowsFunction(t *testing.T) {
	for _, pkg := range []string{"flows", "sponsor"} {
		for _, v := range flowsCalls(t, pkg, "../"+pkg, "../store") {
			t.Error(v)
		}
	}
}

// flowsCalls lists the calls of the files in storeDir to the functions of
// the package pkg (in flowsDir).
func flowsCalls(t *testing.T, pkg, flowsDir, storeDir string) []string {
	t.Helper()
	funcs := map[string]bool{}
	for _, f := range parseDir(t, flowsDir) {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				funcs[fd.Name.Name] = true
			}
		}
	}
	var calls []string
	fset := token.NewFileSet()
	for _, f := range parseDirIn(t, fset, storeDir) {
		local := ""
		for _, imp := range f.Imports {
			if strings.Trim(imp.Path.Value, `"`) == module+pkg {
				local = pkg
				if imp.Name != nil {
					local = imp.Name.Name
				}
			}
		}
		if local == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == local && funcs[sel.Sel.Name] {
					calls = append(calls, fset.Position(call.Pos()).String()+": store calls "+pkg+"."+sel.Sel.Name)
				}
			}
			return true
		})
	}
	return calls
}

func parseDir(t *testing.T, dir string) []*ast.File { return parseDirIn(t, token.NewFileSet(), dir) }

// parseDirIn parses a package's Go files, not its tests.
func parseDirIn(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return out
}
