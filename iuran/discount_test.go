package iuran

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const discountHead = "name,from,to,sectors,jkk_percent,jkm_percent\n"

func TestParseDiscounts(t *testing.T) {
	d, err := ParseDiscounts(strings.NewReader("# comment\n" + discountHead +
		"\"Relief, part 1\",2026-01-01,2027-03-31, Transport | ojek ,50,25\n" +
		"# another comment\n" +
		"all,2026-04-01,2026-04-01,,0,100\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Name: "Relief, part 1", From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), Sectors: []string{"transport", "ojek"}, JKKPercent: 50, JKMPercent: 25},
		{Name: "all", From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), JKMPercent: 100},
	}
	if got := d.Rules(); !reflect.DeepEqual(got, want) {
		t.Fatalf("rules = %+v\nwant %+v", got, want)
	}
	// Rules() is a copy.
	d.Rules()[0].Sectors[0] = "x"
	if d.Rules()[0].Sectors[0] != "transport" {
		t.Error("Rules() shares sector slices")
	}
	// Header only: no rules, still usable.
	d, err = ParseDiscounts(strings.NewReader(discountHead))
	if err != nil || len(d.Rules()) != 0 {
		t.Errorf("header only: %v, %v", d.Rules(), err)
	}
	var none *Discounts
	if none.Rules() != nil {
		t.Error("nil Discounts has rules")
	}
}

func TestParseDiscountsRejects(t *testing.T) {
	tests := []struct{ name, csv, want string }{
		{"empty", "", "read header"},
		{"header", "name,from,to,sector,jkk_percent,jkm_percent\n", "header column 4"},
		{"columns", discountHead + "a,2026-01-01,2026-02-01,,50\n", "wrong number of fields"},
		{"from date", discountHead + "a,2026-1-1,2026-02-01,,50,50\n", "line 2 column from"},
		{"to date", discountHead + "a,2026-01-01,2026-02-30,,50,50\n", "line 2 column to"},
		{"order", discountHead + "a,2026-03-01,2026-02-01,,50,50\n", "after to"},
		{"jkk number", discountHead + "a,2026-01-01,2026-02-01,,50%,50\n", "column jkk_percent"},
		{"jkm number", discountHead + "a,2026-01-01,2026-02-01,,50,half\n", "column jkm_percent"},
		{"percent high", discountHead + "a,2026-01-01,2026-02-01,,101,50\n", "0–100"},
		{"percent negative", discountHead + "a,2026-01-01,2026-02-01,,50,-1\n", "0–100"},
		{"name", discountHead + " ,2026-01-01,2026-02-01,,50,50\n", "no name"},
		{"duplicate", discountHead + "a,2026-01-01,2026-02-01,,50,50\na,2026-03-01,2026-04-01,,50,50\n", "line 3: rule \"a\": name used twice"},
		{"empty sector", discountHead + "a,2026-01-01,2026-02-01,transport||ojek,50,50\n", "empty sector"},
	}
	for _, tt := range tests {
		_, err := ParseDiscounts(strings.NewReader(tt.csv))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := NewDiscounts(Rule{Name: "no dates", JKKPercent: 50}); err == nil || !strings.Contains(err.Error(), "rule 1") {
		t.Errorf("NewDiscounts without dates: %v", err)
	}
}

// The example file: the rules DOMAIN.md describes, and the embedded copy is the file.
func TestPP50File(t *testing.T) {
	f, err := os.Open("discounts-pp50-2025.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ParseDiscounts(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Rules(), PP50Discounts().Rules()) {
		t.Fatal("embedded PP 50 rules differ from the file")
	}
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	want := []Rule{
		{Name: "PP 50/2025 transportasi", From: utc(2026, 1, 1), To: utc(2027, 3, 31), Sectors: []string{SectorTransport}, JKKPercent: 50, JKMPercent: 50},
		{Name: "PP 50/2025 sektor lain", From: utc(2026, 4, 1), To: utc(2026, 12, 31), JKKPercent: 50, JKMPercent: 50},
	}
	if !reflect.DeepEqual(d.Rules(), want) {
		t.Fatalf("PP 50 rules = %+v", d.Rules())
	}
}

func FuzzParseDiscounts(f *testing.F) {
	f.Add(pp50CSV)
	f.Add(discountHead + "a,2026-01-01,2026-02-01,x|y,50,50\n")
	f.Add(discountHead + "\"a\nb\",2026-01-01,2026-02-01,,0,100\n")
	f.Add(discountHead + "a,2026-01-01,2026-02-01,,50,50\na,2026-01-01,2026-02-01,,50,50\n")
	f.Add("name,from\n")
	tab := Default()
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDiscounts(strings.NewReader(s))
		if err != nil {
			if d != nil {
				t.Fatal("rules with an error")
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range d.Rules() {
			if r.Name == "" || seen[r.Name] || dayKey(r.From) > dayKey(r.To) ||
				r.JKKPercent < 0 || r.JKKPercent > 100 || r.JKMPercent < 0 || r.JKMPercent > 100 {
				t.Fatalf("invalid rule accepted: %+v", r)
			}
			seen[r.Name] = true
			for _, sec := range r.Sectors {
				if sec == "" || sec != normSector(sec) {
					t.Fatalf("sector %q not normalised", sec)
				}
			}
			// Any accepted rule prices sanely in its first month.
			for _, sector := range append([]string{""}, r.Sectors...) {
				q, err := tab.Quote(QuoteRequest{Bracket: 9, JHT: true, Months: 1, Start: r.From, Discounts: d, Sector: sector})
				if err != nil {
					t.Fatal(err)
				}
				l := q.Lines[0]
				if l.Discount < 0 || l.Discount > l.JKK+l.JKM || l.Total != l.JKK+l.JKM+l.JHT-l.Discount {
					t.Fatalf("bad line %+v", l)
				}
			}
		}
	})
}

// Law is the embedded file, verified, one shared value; PP50Discounts is Law.
func TestLaw(t *testing.T) {
	if a, b := Law(), Law(); a != b || PP50Discounts() != a {
		t.Fatal("Law() is not one shared value, or PP50Discounts differs")
	}
	if !strings.Contains(pp50CSV, "VERIFIED") || strings.Contains(pp50CSV, "UNVERIFIED") {
		t.Error("the embedded file's header does not mark PP 50/2025 verified")
	}
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	want := []Rule{
		{Name: "PP 50/2025 transportasi", From: utc(2026, 1, 1), To: utc(2027, 3, 31), Sectors: []string{SectorTransport}, JKKPercent: 50, JKMPercent: 50},
		{Name: "PP 50/2025 sektor lain", From: utc(2026, 4, 1), To: utc(2026, 12, 31), JKKPercent: 50, JKMPercent: 50},
	}
	if got := Law().Rules(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Law() = %+v", got)
	}
}

func TestDiscountsWith(t *testing.T) {
	extra, err := NewDiscounts(
		Rule{Name: "Promo daerah", From: day("2026-01-01"), To: day("2026-12-31"), JKKPercent: 50, JKMPercent: 50},
		Rule{Name: "Nelayan", From: day("2027-01-01"), To: day("2027-06-30"), Sectors: []string{"Nelayan"}, JKKPercent: 100},
	)
	if err != nil {
		t.Fatal(err)
	}
	renamed, err := NewDiscounts(Rule{Name: "PP 50/2025 transportasi", From: day("2027-04-01"), To: day("2027-12-31"), JKKPercent: 50})
	if err != nil {
		t.Fatal(err)
	}
	var none *Discounts
	lawNames := []string{"PP 50/2025 transportasi", "PP 50/2025 sektor lain"}
	tests := []struct {
		name    string
		d, more *Discounts
		want    []string // rule names in order
		err     string
	}{
		{"nil with nil", none, none, nil, ""},
		{"law with nil", Law(), none, lawNames, ""},
		{"nil with law", none, Law(), lawNames, ""},
		{"law with extra: law first", Law(), extra, append(slices.Clone(lawNames), "Promo daerah", "Nelayan"), ""},
		{"extra with law", extra, Law(), append([]string{"Promo daerah", "Nelayan"}, lawNames...), ""},
		{"law twice: the copy is dropped", Law(), Law(), lawNames, ""},
		{"a name used again for another rule", Law(), renamed, nil, `combine discounts: rule "PP 50/2025 transportasi": name used twice`},
	}
	for _, tt := range tests {
		got, err := tt.d.With(tt.more)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err || got != nil {
				t.Errorf("%s: %v, %v; want error %q", tt.name, got, err, tt.err)
			}
			continue
		}
		if err != nil || got == nil {
			t.Errorf("%s: %v, %v", tt.name, got, err)
			continue
		}
		var names []string
		for _, r := range got.Rules() {
			names = append(names, r.Name)
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("%s: rules %q, want %q", tt.name, names, tt.want)
		}
	}
	if len(Law().Rules()) != 2 || len(extra.Rules()) != 2 {
		t.Error("With changed its operands")
	}
	// Combined rules price like one set: the law wins ties, the extra fills its months.
	both, err := Law().With(extra)
	if err != nil {
		t.Fatal(err)
	}
	tab := Default()
	for _, tt := range []struct {
		start, sector, rule string
		total               int64
	}{
		{"2026-06-05", "", "PP 50/2025 sektor lain", 8_400}, // tie with "Promo daerah": the law is first
		{"2026-02-05", "", "Promo daerah", 8_400},           // no law rule for other sectors yet
		{"2026-02-05", "transport", "PP 50/2025 transportasi", 8_400},
		{"2027-02-05", "nelayan", "Nelayan", 6_800}, // JKK waived in full
		{"2027-02-05", "", "", 16_800},
	} {
		q, err := tab.Quote(QuoteRequest{Bracket: 0, Months: 1, Start: day(tt.start), Discounts: both, Sector: tt.sector})
		if err != nil {
			t.Fatal(err)
		}
		if l := q.Lines[0]; l.Rule != tt.rule || q.Totals.Total != tt.total {
			t.Errorf("%s %q: rule %q total %d, want %q %d", tt.start, tt.sector, l.Rule, q.Totals.Total, tt.rule, tt.total)
		}
	}
}

func TestDiscountsRule(t *testing.T) {
	var none *Discounts
	tests := []struct {
		d      *Discounts
		name   string
		ok     bool
		wantTo string
	}{
		{Law(), "PP 50/2025 sektor lain", true, "2026-12-31"},
		{Law(), " PP 50/2025 transportasi ", true, "2027-03-31"},
		{Law(), "PP 50/2025", false, ""},
		{Law(), "", false, ""},
		{none, "PP 50/2025 sektor lain", false, ""},
	}
	for _, tt := range tests {
		r, ok := tt.d.Rule(tt.name)
		if ok != tt.ok || (ok && fmtDay(r.To) != tt.wantTo) {
			t.Errorf("Rule(%q) = %+v, %v; want to %s, %v", tt.name, r, ok, tt.wantTo, tt.ok)
		}
	}
	r, _ := Law().Rule("PP 50/2025 transportasi")
	r.Sectors[0] = "x"
	if r, _ := Law().Rule("PP 50/2025 transportasi"); r.Sectors[0] != SectorTransport {
		t.Error("Rule shares its sectors with the set")
	}
}

// Current picks the rule Quote applies to a month starting on the day.
func TestDiscountsCurrent(t *testing.T) {
	tab := Default()
	first, _ := tab.Bracket(0)
	top, _ := tab.Bracket(len(tab.Brackets()) - 1)
	// Asymmetric rules: which waives more depends on the bracket.
	asym, err := NewDiscounts(
		Rule{Name: "jkm penuh", From: day("2026-01-01"), To: day("2026-12-31"), JKMPercent: 100},  // 6.800 everywhere
		Rule{Name: "jkk separuh", From: day("2026-01-01"), To: day("2026-12-31"), JKKPercent: 50}, // 5.000 on the first bracket, 96.000 on the top
	)
	if err != nil {
		t.Fatal(err)
	}
	var none *Discounts
	tests := []struct {
		name   string
		d      *Discounts
		day    string
		sector string
		b      Bracket
		rule   string // "" = none
		to     string
	}{
		{"other sector, December 2026", Law(), "2026-12-05", "", first, "PP 50/2025 sektor lain", "2026-12-31"},
		{"other sector, last start day", Law(), "2026-12-31", "pertanian", first, "PP 50/2025 sektor lain", "2026-12-31"},
		{"other sector, January 2027", Law(), "2027-01-05", "", first, "", ""},
		{"other sector, before April 2026", Law(), "2026-03-31", "", first, "", ""},
		{"other sector, 1 April 2026", Law(), "2026-04-01", "", first, "PP 50/2025 sektor lain", "2026-12-31"},
		{"transport in the overlap: transport rule, runs to March 2027", Law(), "2026-12-05", SectorTransport, first, "PP 50/2025 transportasi", "2027-03-31"},
		{"transport, January 2027", Law(), "2027-01-05", " Transport ", top, "PP 50/2025 transportasi", "2027-03-31"},
		{"transport, before 2026", Law(), "2025-12-31", SectorTransport, first, "", ""},
		{"transport, April 2027", Law(), "2027-04-05", SectorTransport, first, "", ""},
		{"no rules", none, "2026-12-05", "", first, "", ""},
		{"asymmetric, first bracket", asym, "2026-06-01", "", first, "jkm penuh", "2026-12-31"},
		{"asymmetric, top bracket", asym, "2026-06-01", "", top, "jkk separuh", "2026-12-31"},
	}
	for _, tt := range tests {
		r, ok := tt.d.Current(day(tt.day), tt.sector, tt.b)
		if ok != (tt.rule != "") || r.Name != tt.rule || (ok && fmtDay(r.To) != tt.to) {
			t.Errorf("%s: Current = %q to %s, %v; want %q to %s", tt.name, r.Name, fmtDay(r.To), ok, tt.rule, tt.to)
		}
		// The same choice as Quote.
		q, err := tab.Quote(QuoteRequest{Bracket: tt.b.Index, Months: 1, Start: day(tt.day), Discounts: tt.d, Sector: tt.sector})
		if err != nil {
			t.Fatal(err)
		}
		if q.Lines[0].Rule != tt.rule {
			t.Errorf("%s: Quote applies %q, Current says %q", tt.name, q.Lines[0].Rule, tt.rule)
		}
	}
}
