package iuran

import (
	"os"
	"reflect"
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
