package wilayah

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Daratsekip", "daratsekip"},
		{"Darat Sekip", "daratsekip"},
		{"darat  sekip ", "daratsekip"},
		{"Sungai bangkong", "sungaibangkong"},
		{"sungaiRaya", "sungairaya"},
		{"KAB. SANGGAU", "sanggau"},
		{"kab.sanggau", "sanggau"},
		{"Kabupaten Sanggau", "sanggau"},
		{"Kota Pontianak", "pontianak"},
		{"KOTA PONTIANAK", "pontianak"},
		{"KotaPontianak", "pontianak"},
		{"Kec. Pontianak Kota", "pontianak"},
		{"kecamatan sungai raya", "sungairaya"},
		{"Desa Sungai Raya", "sungairaya"},
		{"Kel. Daratsekip", "daratsekip"},
		{"kelurahan darat sekip", "daratsekip"},
		{"Kota Administrasi Jakarta Pusat", "jakartapusat"},
		{"Provinsi Kalimantan Barat", "kalimantanbarat"},
		{"Kotabaru", "kotabaru"},   // stop words only as whole words
		{"Kabanjahe", "kabanjahe"}, // idem
		{"Kota", "kota"},           // a name made only of stop words keeps them
		{"Kabupaten", "kabupaten"},
		{"kab.", "kab"},
		{`Ra"as`, "raas"},
		{"Ra'as", "raas"},
		{"Regapu’u", "regapuu"},
		{"Lubuk Pakam I,II", "lubukpakamiii"},
		{"Kupa-kupa Selatan (Halehe)", "kupakupaselatanhalehe"},
		{"Teuw*", "teuw"},
		{"VII Koto", "viikoto"},
		{"Bélé", "bele"},
		{"ÉCOLE", "ecole"},
		{"Ÿ0", "y0"},
		{"aÉ", "ae"},
		{"", ""},
		{"   ", ""},
		{"...!?", ""},
		{"日本", "日本"},
		{"\xff\xfe", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func codes(rs []Region) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Code
	}
	return out
}

func TestSearch(t *testing.T) {
	d := load(t)
	tests := []struct {
		name   string
		parent string
		level  Level
		query  string
		limit  int
		first  []string // expected leading codes, in order
		exact  bool     // the result must be exactly first
	}{
		{"spaces: darat sekip", "", Village, "darat sekip", 10, []string{"61.71.05.1002"}, true},
		{"spaces: sungai bangkong", "", Village, "Sungai bangkong", 10, []string{"61.71.05.1001"}, true},
		{"spaces under district", "61.71.05", Village, "darat sekip", 10, []string{"61.71.05.1002"}, true},
		{"kel. prefix", "", Village, "Kel. Darat Sekip", 10, []string{"61.71.05.1002"}, true},
		{"kab. prefix", "", Regency, "KAB. SANGGAU", 5, []string{"61.03"}, true},
		{"kota prefix", "", Regency, "kota pontianak", 5, []string{"61.71"}, true},
		{"pontianak in 61", "61", Regency, "pontianak", 5, []string{"61.71"}, true},
		{"pontianak districts: exact then prefix by name", "61.71", District, "pontianak", 0,
			[]string{"61.71.05", "61.71.03", "61.71.01", "61.71.06", "61.71.02", "61.71.04"}, true},
		{"kec. prefix", "61.71", District, "kec. pontianak kota", 0, []string{"61.71.05"}, false},
		{"camel case", "61", District, "sungaiRaya", 0, []string{"61.07.01", "61.12.01", "61.07.15"}, true},
		{"typo: deletion", "", Regency, "pontinak", 5, []string{"61.71"}, true},
		{"typo: short query", "", Regency, "sangau", 5, []string{"61.03"}, true},
		{"typo: transposition", "61", Regency, "singkawnag", 5, []string{"61.72"}, true},
		{"typo: two edits in a long query", "", Village, "daratsekpp", 5, []string{"61.71.05.1002"}, false},
		{"kind word prefers kota", "", Regency, "Kota Bekasi", 5, []string{"32.75", "32.16"}, true},
		{"kind word prefers kabupaten", "", Regency, "kab bekasi", 5, []string{"32.16", "32.75"}, true},
		{"stop word inside a name", "", Regency, "Kota Baru", 1, []string{"63.02"}, true},
		{"administrasi ignored", "", Regency, "Kota Jakarta Pusat", 5, []string{"31.71"}, true},
		{"province", "", Province, "kalimantan barat", 5, []string{"61"}, true},
		{"province word", "", Province, "Provinsi Kalimantan Barat", 5, []string{"61"}, true},
		{"other province excluded", "32", Regency, "pontianak", 5, nil, true},
		{"limit", "", Village, "sungai raya", 3, []string{"12.11.07.2004", "14.02.01.2014", "15.06.03.2019"}, true},
		{"empty", "", Village, "", 10, nil, true},
		{"blank", "", Village, "   ", 10, nil, true},
		{"garbage", "", Village, "?!.,-", 10, nil, true},
		{"no match", "", Village, "xyzxyzxyzq", 10, nil, true},
		{"short queries get no typos", "61", Regency, "pnk", 10, nil, true},
		{"unknown parent", "99", Regency, "pontianak", 10, nil, true},
		{"undotted parent", "6171", District, "pontianak", 10, nil, true},
		{"parent not above level", "61.71", Regency, "pontianak", 10, nil, true},
		{"parent is a village", "61.71.05.1001", Village, "daratsekip", 10, nil, true},
		{"invalid level", "", Level(0), "pontianak", 10, nil, true},
		{"invalid level 5", "", Level(5), "pontianak", 10, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Search(tt.parent, tt.level, tt.query, tt.limit)
			gotCodes := codes(got)
			if tt.exact {
				if !slices.Equal(gotCodes, tt.first) {
					t.Errorf("Search(%q, %v, %q, %d) = %v, want %v", tt.parent, tt.level, tt.query, tt.limit, gotCodes, tt.first)
				}
				if tt.first == nil && got != nil {
					t.Errorf("Search(%q, %v, %q, %d) = %#v, want nil", tt.parent, tt.level, tt.query, tt.limit, got)
				}
			} else if len(gotCodes) < len(tt.first) || !slices.Equal(gotCodes[:len(tt.first)], tt.first) {
				t.Errorf("Search(%q, %v, %q, %d) = %v, want it to start with %v", tt.parent, tt.level, tt.query, tt.limit, gotCodes, tt.first)
			}
			checkResults(t, d, tt.parent, tt.level, tt.query, tt.limit, got)
		})
	}
}

// TestSearchRanking checks the order of the match classes on a query that
// has all of them, and that a limited search returns the head of the
// unlimited one.
func TestSearchRanking(t *testing.T) {
	d := load(t)
	for _, q := range []struct {
		parent string
		level  Level
		query  string
	}{
		{"", Regency, "sorong"},
		{"", District, "pontianak"},
		{"", Village, "sungai raya"},
		{"", Village, "kota"},
		{"", Village, "a"},
		{"61", Village, "sungai"},
		{"", Village, "sungairaya"},
		{"", Regency, "kota bekasi"},
	} {
		all := d.Search(q.parent, q.level, q.query, 0)
		if len(all) == 0 {
			t.Errorf("Search(%q, %v, %q): no results", q.parent, q.level, q.query)
			continue
		}
		checkResults(t, d, q.parent, q.level, q.query, 0, all)
		for _, limit := range []int{1, 2, 7, 50} {
			got := d.Search(q.parent, q.level, q.query, limit)
			want := all[:min(limit, len(all))]
			if !slices.Equal(got, want) {
				t.Errorf("Search(%q, %v, %q, %d) = %v, want %v", q.parent, q.level, q.query, limit, codes(got), codes(want))
			}
		}
	}
	// "sorong" at regency level: exact (Kabupaten, Kota Sorong), then prefix.
	got := codes(d.Search("", Regency, "sorong", 3))
	if want := []string{"92.01", "92.71", "92.04"}; !slices.Equal(got, want) {
		// The Sorong regencies moved to Papua Barat Daya (96) in 2022.
		if want := []string{"96.01", "96.71", "96.02"}; !slices.Equal(got, want) {
			t.Errorf(`Search("", Regency, "sorong", 3) = %v`, got)
		}
	}
}

// bestClass recomputes the match class of a region for a query, as Search does.
func bestClass(d *Data, r Region, query string) uint8 {
	var n normalizer
	n.tokenize(query)
	qs := []string{string(n.norm()), string(n.full())}
	n.tokenize(r.Name)
	ks := []string{string(n.norm()), string(n.full())}
	best := matchNone
	for _, q := range qs {
		for _, k := range ks {
			if c, _ := match(q, letterMask(q), k, letterMask(k)); c < best {
				best = c
			}
		}
	}
	return best
}

// checkResults verifies the invariants of a Search result.
func checkResults(t *testing.T, d *Data, parent string, level Level, query string, limit int, got []Region) {
	t.Helper()
	if limit > 0 && len(got) > limit {
		t.Errorf("Search(%q, %v, %q, %d): %d results", parent, level, query, limit, len(got))
	}
	prev := matchExact
	seen := map[string]bool{}
	for _, r := range got {
		if r.Level != level {
			t.Errorf("Search(%q, %v, %q): %s %q has level %v", parent, level, query, r.Code, r.Name, r.Level)
		}
		if parent != "" && !strings.HasPrefix(r.Code, parent+".") {
			t.Errorf("Search(%q, %v, %q): %s %q is not under the parent", parent, level, query, r.Code, r.Name)
		}
		if seen[r.Code] {
			t.Errorf("Search(%q, %v, %q): %s twice", parent, level, query, r.Code)
		}
		seen[r.Code] = true
		if g, ok := d.Get(r.Code); !ok || g != r {
			t.Errorf("Search(%q, %v, %q): %+v differs from Get: %+v", parent, level, query, r, g)
		}
		c := bestClass(d, r, query)
		if c == matchNone {
			t.Errorf("Search(%q, %v, %q): %s %q does not match", parent, level, query, r.Code, r.Name)
		}
		if c < prev {
			t.Errorf("Search(%q, %v, %q): %s %q (class %d) ranked after class %d", parent, level, query, r.Code, r.Name, c, prev)
		}
		prev = c
	}
}

func TestEditDistanceWithin(t *testing.T) {
	tests := []struct {
		a, b string
		k    int
		d    int
		ok   bool
	}{
		{"pontianak", "pontianak", 2, 0, true},
		{"pontinak", "pontianak", 1, 1, true},
		{"singkawnag", "singkawang", 1, 1, true}, // transposition
		{"sangau", "sanggau", 1, 1, true},
		{"sangu", "sanggau", 1, 0, false},
		{"abcd", "wxyz", 2, 0, false},
		{"", "ab", 2, 2, true},
		{"ab", "", 1, 0, false},
		{strings.Repeat("a", 65), strings.Repeat("a", 65), 2, 0, false}, // too long
	}
	for _, tt := range tests {
		d, ok := editDistanceWithin(tt.a, tt.b, tt.k)
		if ok != tt.ok || ok && d != tt.d {
			t.Errorf("editDistanceWithin(%q, %q, %d) = %d, %v; want %d, %v", tt.a, tt.b, tt.k, d, ok, tt.d, tt.ok)
		}
	}
}

func FuzzSearch(f *testing.F) {
	d := load(f)
	seeds := []struct {
		parent string
		level  int
		query  string
		limit  int
	}{
		{"", int(Village), "darat sekip", 10},
		{"61", int(Regency), "KAB. SANGGAU", 5},
		{"61.71", int(District), "kec. pontianak kota", 0},
		{"61.71.05", int(Village), "sungaiRaya", 3},
		{"", int(Province), "Provinsi Kalimantan Barat", 1},
		{"", int(Regency), "kota", -1},
		{"32", int(Regency), "Kota Bekasi", 2},
		{"", 0, "", 0},
		{"61.7", 9, "\xff’'\"", 1},
		{"", int(District), "日本 ÉCOLE", 4},
	}
	for _, s := range seeds {
		f.Add(s.parent, s.level, s.query, s.limit)
	}
	f.Fuzz(func(t *testing.T, parent string, level int, query string, limit int) {
		n := Normalize(query)
		if !utf8.ValidString(n) {
			t.Errorf("Normalize(%q) = %q, invalid UTF-8", query, n)
		}
		if Normalize(n) != n {
			t.Errorf("Normalize not idempotent on %q: %q → %q", query, n, Normalize(n))
		}
		limit %= 1000 // keep each run fast; the sign is kept
		got := d.Search(parent, Level(level), query, limit)
		checkResults(t, d, parent, Level(level), query, limit, got)
		if n == "" && got != nil {
			t.Errorf("Search(%q): results for a query that normalises to %q", query, n)
		}
		// Always exercise a real search too: whole country, a valid level.
		lv := Level(1 + (uint(level) % 4))
		got = d.Search("", lv, query, 10)
		checkResults(t, d, "", lv, query, 10, got)
		if n == "" && got != nil {
			t.Errorf("Search(%q): results for a query that normalises to %q", query, n)
		}
	})
}

func BenchmarkSearchVillagesCountry(b *testing.B) {
	d := load(b)
	for _, q := range []string{"darat sekip", "sungai raya", "daratsekpi", "kel. sungai", "ab"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rs := d.Search("", Village, q, 10); len(rs) == 0 {
					b.Fatal("no results")
				}
			}
		})
	}
}

func BenchmarkSearchDistrict(b *testing.B) {
	d := load(b)
	for _, c := range []struct{ parent, query string }{
		{"", "pontianak kota"},
		{"", "sungai raya"},
		{"", "pontinak"},
		{"61", "sungai raya"},
	} {
		b.Run(c.parent+"/"+c.query, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rs := d.Search(c.parent, District, c.query, 10); len(rs) == 0 {
					b.Fatal("no results")
				}
			}
		})
	}
}

// osa is a straightforward optimal-string-alignment distance, the reference
// for the banded editDistanceWithin.
func osa(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestEditDistanceBanded(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rnd.IntN(12))
		for i := range b {
			b[i] = "abc"[rnd.IntN(3)]
		}
		return string(b)
	}
	for range 20000 {
		a, b, k := word(), word(), rnd.IntN(4)
		want := osa(a, b)
		d, ok := editDistanceWithin(a, b, k)
		if ok != (want <= k) || ok && d != want {
			t.Fatalf("editDistanceWithin(%q, %q, %d) = %d, %v; osa = %d", a, b, k, d, ok, want)
		}
		// The letter-mask filter never rejects a pair within k.
		if want <= k && (bits.OnesCount32(letterMask(a)&^letterMask(b)) > k || bits.OnesCount32(letterMask(b)&^letterMask(a)) > k) {
			t.Fatalf("letter mask rejects %q, %q at distance %d <= %d", a, b, want, k)
		}
	}
}
