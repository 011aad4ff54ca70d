package clock

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	real := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	wib := time.FixedZone("WIB", 7*3600)
	for _, c := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{in: "+400d", want: 400 * 24 * time.Hour},
		{in: "-30d", want: -30 * 24 * time.Hour},
		{in: "+0d", want: 0},
		{in: "+36h", want: 36 * time.Hour},
		{in: "+1h30m", want: 90 * time.Minute},
		{in: "-90m", want: -90 * time.Minute},
		{in: "2028-02-29T08:00:00+07:00", want: time.Date(2028, 2, 29, 8, 0, 0, 0, wib).Sub(real)},
		{in: "2026-12-03T06:00:00Z", want: 0},
		{in: "2025-01-01T00:00:00Z", want: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Sub(real)},
		{in: "400d", err: true},
		{in: "+d", err: true},
		{in: "+1.5d", err: true},
		{in: "+400days", err: true},
		{in: "2028-02-30T08:00:00+07:00", err: true},
		{in: "29-02-2028", err: true},
		{in: "+", err: true},
		{in: "", err: true},
	} {
		got, err := Parse(c.in, real)
		if c.err {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// TestReportClock prints the clock this run reads; make test-future runs it
// first, so its output names the dates the suite ran at. With the variable
// set, the clock must really have moved.
func TestReportClock(t *testing.T) {
	t.Log(Describe())
	if err := Check(); err != nil {
		t.Fatal(err)
	}
	raw := os.Getenv(Env)
	off, moved := Moved()
	if raw != "" && !moved {
		t.Fatalf("%s=%s is set but the clock did not move", Env, raw)
	}
	if got := Now().Sub(time.Now().Add(off)); got < -time.Second || got > time.Second {
		t.Fatalf("Now is %v away from the real clock plus the offset", got)
	}
	if want, err := time.Parse(time.RFC3339, raw); err == nil {
		if d := Now().Sub(want); d < 0 || d > time.Minute {
			t.Fatalf("Now = %v, want about %v", Now(), want)
		}
	}
}

// TestNoWallClockOutsideClock fails when any code, tests included, reads
// the real clock without this package: every decision about dates reads
// clock.Now (or a Now field that defaults to it), so a test or a staging
// server can run at another date, and a test builds its dates from the clock
// it injected or from clock.Now; durations (latencies, a test's patience)
// are measured with a Stopwatch (time.Since and time.Until read the real
// clock, and are off by the offset for a moved reading).
func TestNoWallClockOutsideClock(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root is not %s: %v", root, err)
	}
	var found []string
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			if path == filepath.Join(root, "clock") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		files++
		found = append(found, wallClockReads(t, root, path)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("checked only %d files under %s", files, root)
	}
	for _, f := range found {
		t.Errorf("%s reads the real clock directly: a date is clock.Now (or the injected Now), a duration clock.Start().Elapsed()", f)
	}
}

// wallClockReads lists where one file names time.Now, time.Since or
// time.Until (called or passed as a value), under whatever name it imports
// package time.
func wallClockReads(t *testing.T, root, path string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	names := map[string]bool{}
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "time" {
			name := "time"
			if imp.Name != nil {
				name = imp.Name.Name
			}
			names[name] = true
		}
	}
	if len(names) == 0 {
		return nil
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Now" && sel.Sel.Name != "Since" && sel.Sel.Name != "Until") {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && names[id.Name] {
			rel, _ := filepath.Rel(root, path)
			out = append(out, rel+":"+strconv.Itoa(fset.Position(sel.Pos()).Line)+" time."+sel.Sel.Name)
		}
		return true
	})
	return out
}

// The check itself finds a direct read, aliased or not, called or passed.
func TestWallClockReadsFindsThem(t *testing.T) {
	dir := t.TempDir()
	src := `package p

import (
	"time"
	tm "time"
)

var f = time.Now

func a() time.Time { return tm.Now().Add(time.Hour) }
func b() time.Duration { return time.Since(time.Time{}) }
`
	path := filepath.Join(dir, "p.go")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := wallClockReads(t, dir, path)
	if want := []string{"p.go:8 time.Now", "p.go:10 time.Now", "p.go:11 time.Since"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("found %v, want %v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"+400d", "-30d", "+36h", "2028-02-29T08:00:00+07:00", "+", "+99999d", "-1h2m3s"} {
		f.Add(s)
	}
	real := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s, real)
		if err != nil && d != 0 {
			t.Fatalf("Parse(%q) = %v with error %v", s, d, err)
		}
	})
}
