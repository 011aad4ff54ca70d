package wilayah

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	testDataOnce sync.Once
	testData     *Data
	testDataErr  error
)

// load returns a *Data shared by the tests (it is immutable).
func load(tb testing.TB) *Data {
	tb.Helper()
	testDataOnce.Do(func() { testData, testDataErr = Load() })
	if testDataErr != nil {
		tb.Fatalf("Load: %v", testDataErr)
	}
	return testData
}

func TestCounts(t *testing.T) {
	d := load(t)
	tests := []struct {
		level Level
		want  int
	}{
		{Province, 38},
		{Regency, 514},
		{District, 7285},
		{Village, 83762},
	}
	for _, tt := range tests {
		if got := d.Count(tt.level); got != tt.want {
			t.Errorf("Count(%v) = %d, want %d", tt.level, got, tt.want)
		}
	}
	if got := len(d.Provinces()); got != 38 {
		t.Errorf("len(Provinces()) = %d, want 38", got)
	}
}

func TestKalimantanBarat(t *testing.T) {
	d := load(t)
	p, ok := d.Get("61")
	if !ok || p.Name != "Kalimantan Barat" || p.Level != Province || p.Parent != "" {
		t.Fatalf(`Get("61") = %+v, %v`, p, ok)
	}
	regs := d.Children("61")
	var kab, kota, districts, villages int
	for _, r := range regs {
		switch r.Kind() {
		case "kabupaten":
			kab++
		case "kota":
			kota++
		}
		ds := d.Children(r.Code)
		districts += len(ds)
		for _, dd := range ds {
			villages += len(d.Children(dd.Code))
		}
	}
	tests := []struct {
		what      string
		got, want int
	}{
		{"regencies", len(regs), 14},
		{"kabupaten", kab, 12},
		{"kota", kota, 2},
		{"districts", districts, 174},
		{"villages", villages, 2145},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("61: %s = %d, want %d", tt.what, tt.got, tt.want)
		}
	}
}

func TestGet(t *testing.T) {
	d := load(t)
	tests := []struct {
		code     string
		ok       bool
		name     string
		parent   string
		level    Level
		wantKind string
	}{
		{"61", true, "Kalimantan Barat", "", Province, ""},
		{"61.71", true, "Kota Pontianak", "61", Regency, "kota"},
		{"61.72", true, "Kota Singkawang", "61", Regency, "kota"},
		{"61.03", true, "Kabupaten Sanggau", "61", Regency, "kabupaten"},
		{"61.71.05", true, "Pontianak Kota", "61.71", District, ""},
		{"61.71.05.1002", true, "Darat Sekip", "61.71.05", Village, "kelurahan"},
		{"11.01.01.2001", true, "Keude Bakongan", "11.01.01", Village, "desa"},
		{"93.01", true, "Kabupaten Merauke", "93", Regency, "kabupaten"},
		{"91.01", false, "", "", 0, ""}, // Merauke before 2022; only in the pre-2022 list
		{"6171", false, "", "", 0, ""},  // undotted
		{"", false, "", "", 0, ""},
		{"61.7", false, "", "", 0, ""},
		{"61.71.05.100", false, "", "", 0, ""},
		{"6a", false, "", "", 0, ""},
		{"61-71", false, "", "", 0, ""},
		{"99", false, "", "", 0, ""},
	}
	for _, tt := range tests {
		r, ok := d.Get(tt.code)
		if ok != tt.ok {
			t.Errorf("Get(%q) ok = %v, want %v", tt.code, ok, tt.ok)
			continue
		}
		if !ok {
			if r != (Region{}) {
				t.Errorf("Get(%q) = %+v, want zero Region", tt.code, r)
			}
			continue
		}
		want := Region{Code: tt.code, Name: tt.name, Parent: tt.parent, Level: tt.level}
		if r != want {
			t.Errorf("Get(%q) = %+v, want %+v", tt.code, r, want)
		}
		if k := r.Kind(); k != tt.wantKind {
			t.Errorf("Get(%q).Kind() = %q, want %q", tt.code, k, tt.wantKind)
		}
	}
}

func TestKind(t *testing.T) {
	d := load(t)
	tests := []struct {
		r    Region
		want string
	}{
		{Region{Code: "61.71.05.1001", Level: Village}, "kelurahan"},
		{Region{Code: "61.01.01.2001", Level: Village}, "desa"},
		{Region{Code: "91.20.07.3001", Level: Village}, "desa_adat"},
		{Region{Code: "61.01.01.4001", Level: Village}, ""},
		{Region{Code: "61.71", Name: "Kota Pontianak", Level: Regency}, "kota"},
		{Region{Code: "61.03", Name: "Kabupaten Sanggau", Level: Regency}, "kabupaten"},
		{Region{Code: "61.03", Name: "Sanggau", Level: Regency}, ""},
		{Region{Code: "61", Name: "Kalimantan Barat", Level: Province}, ""},
		{Region{Code: "61.71.05", Name: "Pontianak Kota", Level: District}, ""},
		{Region{}, ""},
	}
	for _, tt := range tests {
		if got := tt.r.Kind(); got != tt.want {
			t.Errorf("%+v.Kind() = %q, want %q", tt.r, got, tt.want)
		}
	}
	// Every regency is a kabupaten or a kota, every village has a kind, and
	// the counts of each village kind match the code digit.
	counts := map[string]int{}
	for _, l := range []Level{Regency, Village} {
		for _, r := range d.levels[l-1] {
			k := r.Kind()
			if k == "" {
				t.Errorf("%s %s %q: empty Kind", l, r.Code, r.Name)
			}
			counts[k]++
		}
	}
	want := map[string]int{"kabupaten": 416, "kota": 98, "kelurahan": 8496, "desa": 75252, "desa_adat": 14}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("Kind %q: %d regions, want %d", k, counts[k], n)
		}
	}
}

func TestChildren(t *testing.T) {
	d := load(t)
	tests := []struct {
		code      string
		n         int
		first     string
		lastCode  string
		wantLevel Level
	}{
		{"", 38, "Aceh", "96", Province},
		{"61", 14, "Kabupaten Sambas", "61.72", Regency},
		{"61.71", 6, "Pontianak Selatan", "61.71.06", District},
		{"61.71.05", 0, "", "", Village}, // checked below
		{"61.71.05.1001", 0, "", "", 0},
		{"99", 0, "", "", 0},
		{"6171", 0, "", "", 0},
	}
	for _, tt := range tests {
		got := d.Children(tt.code)
		if tt.code == "61.71.05" {
			if len(got) == 0 {
				t.Errorf("Children(%q) is empty", tt.code)
			}
			continue
		}
		if len(got) != tt.n {
			t.Errorf("Children(%q): %d regions, want %d", tt.code, len(got), tt.n)
			continue
		}
		if tt.n == 0 {
			if got != nil {
				t.Errorf("Children(%q) = %v, want nil", tt.code, got)
			}
			continue
		}
		if got[0].Name != tt.first || got[len(got)-1].Code != tt.lastCode {
			t.Errorf("Children(%q): first %q last %s, want %q %s", tt.code, got[0].Name, got[len(got)-1].Code, tt.first, tt.lastCode)
		}
		for _, r := range got {
			if r.Level != tt.wantLevel || r.Parent != tt.code {
				t.Errorf("Children(%q): %+v has wrong level or parent", tt.code, r)
			}
		}
		if !slices.IsSortedFunc(got, func(a, b Region) int { return strings.Compare(a.Code, b.Code) }) {
			t.Errorf("Children(%q) not sorted by code", tt.code)
		}
	}
	// The result is a copy: modifying it must not change the data.
	c := d.Children("61")
	c[0].Name = "changed"
	if r, _ := d.Get("61.01"); r.Name != "Kabupaten Sambas" {
		t.Errorf("Children returned shared memory: Get(61.01).Name = %q", r.Name)
	}
	p := d.Provinces()
	p[0].Name = "changed"
	if r, _ := d.Get("11"); r.Name != "Aceh" {
		t.Errorf("Provinces returned shared memory: Get(11).Name = %q", r.Name)
	}
}

// TestHierarchy checks that every region's parent exists and the children of
// all regions add up to the totals.
func TestHierarchy(t *testing.T) {
	d := load(t)
	total := map[Level]int{}
	var walk func(code string)
	walk = func(code string) {
		for _, r := range d.Children(code) {
			total[r.Level]++
			if r.Level != Village {
				walk(r.Code)
			}
		}
	}
	walk("")
	for l := Province; l <= Village; l++ {
		if total[l] != d.Count(l) {
			t.Errorf("walk: %d %ss, Count = %d", total[l], l, d.Count(l))
		}
	}
}

func TestQuotedNames(t *testing.T) {
	d := load(t)
	tests := []struct{ code, name string }{
		{"12.07.28.1007", "Lubuk Pakam I,II"},
		{"35.13.15.2017", `Soka"an`},
		{"35.29.22", `Ra"as`},
		{"53.07.01.2021", "Regapu’u"},
	}
	for _, tt := range tests {
		if r, ok := d.Get(tt.code); !ok || r.Name != tt.name {
			t.Errorf("Get(%q) = %q, %v; want %q", tt.code, r.Name, ok, tt.name)
		}
	}
}

func TestKnownNIKRegion(t *testing.T) {
	d := load(t)
	tests := []struct {
		p, r, dist string
		wp, wr, wd bool
	}{
		{"61", "6171", "617105", true, true, true},  // Pontianak Kota, current list
		{"91", "9101", "910101", true, true, true},  // Merauke before the 2022 split (pre-2022 list)
		{"91", "9101", "910199", true, true, false}, // unknown district
		{"93", "9301", "930101", true, true, true},  // Merauke today
		{"92", "9271", "927101", true, true, true},  // Kota Sorong before Papua Barat Daya
		{"96", "9671", "967101", true, true, true},  // Kota Sorong today (province 96 is not in the pre-2022 list)
		{"99", "9901", "990101", false, false, false},
		{"61", "6199", "619901", true, false, false},
		{"61", "6271", "627101", true, false, false}, // regency of another province
		{"61", "6171", "610101", true, true, false},  // district of another regency
		{"61", "6171", "617199", true, true, false},
		{"6", "6171", "617105", false, false, false},
		{"6a", "6a71", "6a7105", false, false, false},
		{"61", "61.71", "61.71.05", true, false, false}, // dotted codes are not NIK codes
		{"61", "617", "6171050", true, false, false},
		{"", "", "", false, false, false},
	}
	for _, tt := range tests {
		p, r, dd := d.KnownNIKRegion(tt.p, tt.r, tt.dist)
		if p != tt.wp || r != tt.wr || dd != tt.wd {
			t.Errorf("KnownNIKRegion(%q, %q, %q) = %v, %v, %v; want %v, %v, %v", tt.p, tt.r, tt.dist, p, r, dd, tt.wp, tt.wr, tt.wd)
		}
	}
}

func TestPre2022(t *testing.T) {
	d := load(t)
	tests := []struct {
		code string
		ok   bool
		want Region
	}{
		{"9101", true, Region{Code: "91.01", Name: "KAB. MERAUKE", Parent: "91", Level: Regency}},
		{"91.01.01", true, Region{Code: "91.01.01", Name: "MERAUKE", Parent: "91.01", Level: District}},
		{"61", true, Region{Code: "61", Name: "KALIMANTAN BARAT", Level: Province}},
		{"93", false, Region{}},
		{"", false, Region{}},
	}
	for _, tt := range tests {
		got, ok := d.Pre2022(tt.code)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Pre2022(%q) = %+v, %v; want %+v, %v", tt.code, got, ok, tt.want, tt.ok)
		}
	}
	// Only Papua (91) and Papua Barat (92) codes disappeared with the 2022 splits.
	gone := 0
	for _, p := range d.pre2022 {
		dotted, _ := Dotted(p.code)
		if _, ok := d.Get(dotted); !ok {
			gone++
			if !strings.HasPrefix(p.code, "91") && !strings.HasPrefix(p.code, "92") {
				t.Errorf("pre-2022 code %s (%s) missing from the current list", p.code, p.name)
			}
		}
	}
	if len(d.pre2022) != 7578 || gone != 549 {
		t.Errorf("pre-2022 list: %d codes, %d not current; want 7578, 549", len(d.pre2022), gone)
	}
}

func TestDotted(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"61", "61", true},
		{"6171", "61.71", true},
		{"617105", "61.71.05", true},
		{"6171051001", "61.71.05.1001", true},
		{"617", "", false},
		{"61a1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Dotted(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Dotted(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && Undotted(got) != tt.in {
			t.Errorf("Undotted(%q) = %q, want %q", got, Undotted(got), tt.in)
		}
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[Level]string{Province: "province", Regency: "regency", District: "district", Village: "village", 0: "level(0)"} {
		if got := l.String(); got != want {
			t.Errorf("Level(%d).String() = %q, want %q", int(l), got, want)
		}
	}
}

func TestFiles(t *testing.T) {
	for _, name := range []string{"LICENSE.md", "LICENSE-code-MIT", "SOURCE.md", "LICENSE-pre2022-MIT", "SOURCE-pre2022.md"} {
		b, err := Files().ReadFile("data/" + name)
		if err != nil || len(b) == 0 {
			t.Errorf("embedded %s: %d bytes, %v", name, len(b), err)
		}
	}
}

func TestCSVReader(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"a,b,c", []string{"a", "b", "c"}, false},
		{"a,b,c\r", []string{"a", "b", "c"}, false},
		{`a,"b,c",d`, []string{"a", "b,c", "d"}, false},
		{`a,"b""c"`, []string{"a", `b"c`}, false},
		{`a,""`, []string{"a", ""}, false},
		{"a,,", []string{"a", "", ""}, false},
		{`a,"b`, nil, true},
		{`a,"b"c`, nil, true},
		{`a,b"c`, nil, true},
		{"a,b,c,d,e", nil, true},
	}
	for _, tt := range tests {
		r := &csvReader{s: tt.in + "\n"}
		var f [4]string
		n, ok, err := r.record(f[:])
		if (err != nil) != tt.wantErr {
			t.Errorf("record(%q): err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if !ok || !slices.Equal(f[:n], tt.want) {
			t.Errorf("record(%q) = %q, %v; want %q", tt.in, f[:n], ok, tt.want)
		}
		if _, ok, _ := r.record(f[:]); ok {
			t.Errorf("record(%q): second record found", tt.in)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
