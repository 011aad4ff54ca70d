package iuran

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPeriods(t *testing.T) {
	if got := Periods(); !slices.Equal(got, []int{1, 3, 6, 12}) {
		t.Fatalf("Periods() = %v", got)
	}
	p := Periods()
	p[0] = 99
	if Periods()[0] != 1 {
		t.Fatal("Periods() shares its slice")
	}
	for m := -1; m <= 25; m++ {
		err := CheckPeriod(m)
		valid := m == 1 || m == 3 || m == 6 || m == 12
		var qe *QuoteError
		switch {
		case valid && err != nil:
			t.Errorf("CheckPeriod(%d) = %v", m, err)
		case !valid && (!errors.As(err, &qe) || qe.Code != QuotePeriod || qe.Got != m):
			t.Errorf("CheckPeriod(%d) = %v, want period error", m, err)
		}
	}
}

// Every bracket, every period, with and without JHT, no discount.
func TestQuoteEveryBracketAndPeriod(t *testing.T) {
	tab := Default()
	start := day("2026-11-30")
	for _, b := range tab.Brackets() {
		for _, months := range Periods() {
			for _, jht := range []bool{false, true} {
				q, err := tab.Quote(QuoteRequest{Bracket: b.Index, JHT: jht, Months: months, Start: start})
				if err != nil {
					t.Fatalf("bracket %d, %d months, jht %v: %v", b.Index, months, jht, err)
				}
				m := int64(months)
				want := Amounts{JKK: b.JKK * m, JKM: b.JKM * m, Total: b.Monthly(jht) * m}
				if jht {
					want.JHT = b.JHT * m
				}
				if q.Totals != want {
					t.Errorf("bracket %d, %d months, jht %v: totals %+v, want %+v", b.Index, months, jht, q.Totals, want)
				}
				if q.Bracket != b || q.JHT != jht || q.Months != months || len(q.Lines) != months {
					t.Errorf("bracket %d, %d months: header %+v", b.Index, months, q)
				}
				checkDay(t, "quote start", q.Start, "2026-11-30")
				if !q.End.Equal(CoverageEnd(start, months)) {
					t.Errorf("quote end %s", fmtDay(q.End))
				}
				checkLines(t, q)
			}
		}
	}
}

// checkLines: lines tile the period, sum to the totals, and each adds up.
func checkLines(t *testing.T, q Quote) {
	t.Helper()
	var sum Amounts
	for i, l := range q.Lines {
		if i == 0 && !l.Start.Equal(q.Start) {
			t.Errorf("first line starts %s, quote %s", fmtDay(l.Start), fmtDay(q.Start))
		}
		if i > 0 && !l.Start.Equal(addDays(q.Lines[i-1].End, 1)) {
			t.Errorf("line %d starts %s after %s", i, fmtDay(l.Start), fmtDay(q.Lines[i-1].End))
		}
		if !l.End.Equal(CoverageEnd(l.Start, 1)) {
			t.Errorf("line %d: %s–%s is not one month", i, fmtDay(l.Start), fmtDay(l.End))
		}
		if l.Total != l.JKK+l.JKM+l.JHT-l.Discount || l.Discount < 0 || l.Discount > l.JKK+l.JKM {
			t.Errorf("line %d does not add up: %+v", i, l)
		}
		if (l.Rule == "") != (l.Discount == 0) {
			t.Errorf("line %d: rule %q with discount %d", i, l.Rule, l.Discount)
		}
		sum.add(l.Amounts)
	}
	if len(q.Lines) > 0 && !q.Lines[len(q.Lines)-1].End.Equal(q.End) {
		t.Errorf("last line ends %s, quote %s", fmtDay(q.Lines[len(q.Lines)-1].End), fmtDay(q.End))
	}
	if sum != q.Totals {
		t.Errorf("lines sum to %+v, totals %+v", sum, q.Totals)
	}
}

func TestQuoteExamples(t *testing.T) {
	tab := Default()
	top := len(tab.Brackets()) - 1
	tests := []struct {
		name    string
		bracket int
		jht     bool
		months  int
		want    int64
	}{
		{"issue example: 3 months JKK+JKM", 0, false, 3, 50_400},
		{"cheapest 1 month", 0, false, 1, 16_800},
		{"cheapest with JHT", 0, true, 1, 36_800},
		{"3 months with JHT", 0, true, 3, 110_400},
		{"6 months", 0, false, 6, 100_800},
		{"12 months", 0, false, 12, 201_600},
		{"12 months with JHT", 0, true, 12, 441_600},
		{"Rp2.950.000 base, 3 months", 9, false, 3, 3 * (29_500 + 6_800)},
		{"Rp2.950.000 base, 3 months with JHT", 9, true, 3, 3 * (29_500 + 6_800 + 59_000)},
		{"top bracket, 12 months with JHT", top, true, 12, 12 * (192_000 + 6_800 + 384_000)},
	}
	for _, tt := range tests {
		q, err := tab.Quote(QuoteRequest{Bracket: tt.bracket, JHT: tt.jht, Months: tt.months, Start: day("2026-12-01")})
		if err != nil || q.Totals.Total != tt.want {
			t.Errorf("%s: total %d, %v; want %d", tt.name, q.Totals.Total, err, tt.want)
		}
	}
	q, _ := tab.Quote(QuoteRequest{Bracket: 0, Months: 3, Start: day("2026-12-01")})
	checkDay(t, "end of the issue example", q.End, "2027-02-28")
	for i, want := range []string{"2026-12-01", "2027-01-01", "2027-02-01"} {
		checkDay(t, "line start", q.Lines[i].Start, want)
	}
	// Month-end start: the lines follow the month rule.
	q, _ = tab.Quote(QuoteRequest{Bracket: 0, Months: 3, Start: day("2026-01-31")})
	for i, want := range [][2]string{{"2026-01-31", "2026-02-28"}, {"2026-03-01", "2026-03-31"}, {"2026-04-01", "2026-04-30"}} {
		checkDay(t, "line start", q.Lines[i].Start, want[0])
		checkDay(t, "line end", q.Lines[i].End, want[1])
	}
}

func TestQuoteErrors(t *testing.T) {
	tab := Default()
	tests := []struct {
		name string
		req  QuoteRequest
		code QuoteCode
		got  int
	}{
		{"no period", QuoteRequest{Bracket: 0, Months: 0, Start: day("2026-12-01")}, QuotePeriod, 0},
		{"2 months", QuoteRequest{Bracket: 0, Months: 2, Start: day("2026-12-01")}, QuotePeriod, 2},
		{"24 months", QuoteRequest{Bracket: 0, Months: 24, Start: day("2026-12-01")}, QuotePeriod, 24},
		{"negative bracket", QuoteRequest{Bracket: -1, Months: 1, Start: day("2026-12-01")}, QuoteBracket, -1},
		{"bracket past the table", QuoteRequest{Bracket: 32, Months: 1, Start: day("2026-12-01")}, QuoteBracket, 32},
		{"no start", QuoteRequest{Bracket: 0, Months: 1}, QuoteStart, 0},
	}
	for _, tt := range tests {
		_, err := tab.Quote(tt.req)
		var qe *QuoteError
		if !errors.As(err, &qe) || qe.Code != tt.code || qe.Got != tt.got {
			t.Errorf("%s: err = %v, want %s %d", tt.name, err, tt.code, tt.got)
			continue
		}
		code, got, char := qe.Fields()
		if code != string(tt.code) || got != tt.got || char != "" || err.Error() == "" {
			t.Errorf("%s: Fields() = %q %d %q", tt.name, code, got, char)
		}
	}
}

// The law's rules (PP 50/2025): active months, the rules' start and end
// months, sectors, JHT untouched, no stacking.
func TestQuotePP50(t *testing.T) {
	tab := Default()
	pp50 := PP50Discounts()
	const (
		full = 10_000 + 6_800 // first bracket JKK + JKM
		off  = 5_000 + 3_400  // half of each
	)
	tests := []struct {
		name      string
		sector    string
		start     string
		months    int
		jht       bool
		discounts []int64 // per line
		rules     []string
	}{
		{"before any rule", "transport", "2025-10-01", 3, false, []int64{0, 0, 0}, []string{"", "", ""}},
		{"transport rule starts (Jan 2026)", "transport", "2025-12-01", 3, false, []int64{0, off, off}, []string{"", "PP 50/2025 transportasi", "PP 50/2025 transportasi"}},
		{"transport, month starting 31 Dec is not in the rule", "transport", "2025-12-31", 1, false, []int64{0}, []string{""}},
		{"transport, a month starting 1 Jan is", "transport", "2026-01-01", 1, false, []int64{off}, []string{"PP 50/2025 transportasi"}},
		{"other sector in Jan–Mar 2026: none", "", "2026-01-01", 3, false, []int64{0, 0, 0}, []string{"", "", ""}},
		{"other sector rule starts (Apr 2026)", "", "2026-03-01", 3, false, []int64{0, off, off}, []string{"", "PP 50/2025 sektor lain", "PP 50/2025 sektor lain"}},
		{"other sector rule ends (Dec 2026)", "pertanian", "2026-11-01", 3, false, []int64{off, off, 0}, []string{"PP 50/2025 sektor lain", "PP 50/2025 sektor lain", ""}},
		{"other sector: month starting 31 Dec 2026 is discounted in full", "", "2026-12-31", 3, false, []int64{off, 0, 0}, nil},
		{"transport rule ends (Mar 2027)", "transport", "2027-02-01", 3, false, []int64{off, off, 0}, nil},
		{"transport: month starting 31 Mar 2027 still in", "transport", "2027-03-31", 1, false, []int64{off}, nil},
		{"transport: month starting 1 Apr 2027 out", "transport", "2027-04-01", 1, false, []int64{0}, nil},
		{"transport in Apr–Dec 2026: one rule, not both", "transport", "2026-06-01", 1, false, []int64{off}, []string{"PP 50/2025 transportasi"}},
		{"sector case and spaces", " Transport ", "2027-01-01", 1, false, []int64{off}, nil},
		{"JHT is never discounted", "transport", "2026-06-01", 12, true, []int64{off, off, off, off, off, off, off, off, off, off, 0, 0}, nil}, // Jun 2026–Mar 2027 in
		{"whole year 2026, other sector", "", "2026-01-01", 12, false, []int64{0, 0, 0, off, off, off, off, off, off, off, off, off}, nil},
	}
	for _, tt := range tests {
		q, err := tab.Quote(QuoteRequest{Bracket: 0, JHT: tt.jht, Months: tt.months, Start: day(tt.start), Discounts: pp50, Sector: tt.sector})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		checkLines(t, q)
		var wantDiscount int64
		for i, l := range q.Lines {
			if l.Discount != tt.discounts[i] {
				t.Errorf("%s: line %d (%s) discount %d, want %d", tt.name, i, fmtDay(l.Start), l.Discount, tt.discounts[i])
			}
			if tt.rules != nil && l.Rule != tt.rules[i] {
				t.Errorf("%s: line %d rule %q, want %q", tt.name, i, l.Rule, tt.rules[i])
			}
			if tt.jht && l.JHT != 20_000 {
				t.Errorf("%s: line %d JHT %d", tt.name, i, l.JHT)
			}
			wantDiscount += tt.discounts[i]
		}
		monthly := int64(full)
		if tt.jht {
			monthly += 20_000
		}
		if q.Totals.Discount != wantDiscount || q.Totals.Total != monthly*int64(tt.months)-wantDiscount {
			t.Errorf("%s: totals %+v, want discount %d", tt.name, q.Totals, wantDiscount)
		}
	}
	// The Rp50.400 becomes Rp25.200 for a transport worker in 2026.
	q, _ := tab.Quote(QuoteRequest{Bracket: 0, Months: 3, Start: day("2026-06-01"), Discounts: pp50, Sector: SectorTransport})
	if q.Totals.Total != 25_200 {
		t.Errorf("3 months transport 2026 = %d, want 25200", q.Totals.Total)
	}
	// A request without Discounts gets none, whatever the date and sector: pass Law().
	q, _ = tab.Quote(QuoteRequest{Bracket: 0, Months: 3, Start: day("2026-06-01"), Sector: SectorTransport})
	if q.Totals.Discount != 0 || q.Totals.Total != 50_400 {
		t.Errorf("without discounts: %+v", q.Totals)
	}
}

// Every bracket under an active 50% rule: exact halves of JKK and JKM.
func TestQuoteDiscountEveryBracket(t *testing.T) {
	tab := Default()
	for _, b := range tab.Brackets() {
		for _, months := range Periods() {
			q, err := tab.Quote(QuoteRequest{Bracket: b.Index, JHT: true, Months: months, Start: day("2026-04-01"), Discounts: PP50Discounts()})
			if err != nil {
				t.Fatal(err)
			}
			checkLines(t, q)
			// Apr–Dec 2026 are in the rule: up to 9 months.
			n := int64(min(months, 9))
			if want := n * ((b.JKK+1)/2 + (b.JKM+1)/2); q.Totals.Discount != want {
				t.Errorf("bracket %d, %d months: discount %d, want %d", b.Index, months, q.Totals.Discount, want)
			}
		}
	}
}

func TestDiscountRounding(t *testing.T) {
	tab, err := Parse(strings.NewReader("income_min,income_max,base,jkk,jkm,jht\n0,10,0,150,250,1000\n11,20,0,149,6800,0\n21,30,0,0,0,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	from, to := day("2026-01-01"), day("2026-12-31")
	tests := []struct {
		name         string
		bracket      int
		jkkP, jkmP   int
		wantDiscount int64
	}{
		{"half up: 1.5 → 2 and 2.5 → 3", 0, 1, 1, 2 + 3},
		{"below half: 1.49 → 1", 1, 1, 0, 1},
		{"33% of 6.800 = 2.244", 1, 0, 33, 2244},
		{"100%", 0, 100, 100, 400},
		{"0%: no rule applied", 0, 0, 0, 0},
		{"nothing to discount", 2, 50, 50, 0},
		{"50% of 149 = 74.5 → 75", 1, 50, 0, 75},
	}
	for _, tt := range tests {
		d, err := NewDiscounts(Rule{Name: "r", From: from, To: to, JKKPercent: tt.jkkP, JKMPercent: tt.jkmP})
		if err != nil {
			t.Fatal(err)
		}
		q, err := tab.Quote(QuoteRequest{Bracket: tt.bracket, JHT: true, Months: 1, Start: day("2026-05-01"), Discounts: d})
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, q)
		if q.Totals.Discount != tt.wantDiscount {
			t.Errorf("%s: discount %d, want %d", tt.name, q.Totals.Discount, tt.wantDiscount)
		}
	}
	for _, tt := range []struct {
		amount  int64
		percent int
		want    int64
	}{
		{0, 50, 0}, {1, 50, 1}, {3, 50, 2}, {99, 1, 1}, {49, 1, 0}, {50, 1, 1}, {10_000, 50, 5_000},
		{29_500, 50, 14_750}, {1<<63 - 1, 100, 1<<63 - 1}, {1<<63 - 1, 50, 4611686018427387904},
	} {
		if got := percentOf(tt.amount, tt.percent); got != tt.want {
			t.Errorf("percentOf(%d, %d) = %d, want %d", tt.amount, tt.percent, got, tt.want)
		}
	}
}

func TestDiscountRuleChoice(t *testing.T) {
	tab := Default() // first bracket: JKK 10.000, JKM 6.800
	from, to := day("2026-01-01"), day("2026-12-31")
	d, err := NewDiscounts(
		Rule{Name: "jkm only", From: from, To: to, JKMPercent: 100},                                             // 6.800
		Rule{Name: "jkk half", From: from, To: to, JKKPercent: 50},                                              // 5.000
		Rule{Name: "transport jkk", From: from, To: to, Sectors: []string{"Transport", "ojek"}, JKKPercent: 80}, // 8.000
		Rule{Name: "also 8000", From: from, To: to, JKKPercent: 80},                                             // 8.000, later: loses the tie
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sector, rule string
		discount     int64
	}{
		{"", "also 8000", 8000},
		{"transport", "transport jkk", 8000},
		{"OJEK", "transport jkk", 8000},
		{"nelayan", "also 8000", 8000},
	} {
		q, err := tab.Quote(QuoteRequest{Bracket: 0, Months: 1, Start: day("2026-03-01"), Discounts: d, Sector: tt.sector})
		if err != nil {
			t.Fatal(err)
		}
		if l := q.Lines[0]; l.Rule != tt.rule || l.Discount != tt.discount {
			t.Errorf("sector %q: rule %q discount %d, want %q %d", tt.sector, l.Rule, l.Discount, tt.rule, tt.discount)
		}
	}
}

// The acceptance numbers for the law's relief (PP 50/2025), first bracket
// (Rp16.800 full: JKK 10.000 + JKM 6.800), one month, explicit dates.
func TestQuoteLawAcceptance(t *testing.T) {
	tab := Default()
	tests := []struct {
		name        string
		start       string
		sector      string
		jht         bool
		publicFunds bool
		total       int64
		rule        string
	}{
		{"Dec 2026, other sector: half", "2026-12-05", "", false, false, 8_400, "PP 50/2025 sektor lain"},
		{"Dec 2026, transport: half", "2026-12-05", SectorTransport, false, false, 8_400, "PP 50/2025 transportasi"},
		{"Dec 2026, other sector with JHT: JHT in full", "2026-12-05", "", true, false, 28_400, "PP 50/2025 sektor lain"},
		{"Dec 2026, transport with JHT", "2026-12-05", SectorTransport, true, false, 28_400, "PP 50/2025 transportasi"},
		{"Jan 2027, other sector: full", "2027-01-05", "", false, false, 16_800, ""},
		{"Jan 2027, transport: half", "2027-01-05", SectorTransport, false, false, 8_400, "PP 50/2025 transportasi"},
		{"Apr 2027, transport: full", "2027-04-05", SectorTransport, false, false, 16_800, ""},
		{"Dec 2026, APBN/APBD-funded: full", "2026-12-05", "", false, true, 16_800, ""},
		{"Dec 2026, APBN/APBD-funded transport: full", "2026-12-05", SectorTransport, false, true, 16_800, ""},
		{"Dec 2026, APBN/APBD-funded with JHT: full", "2026-12-05", "", true, true, 36_800, ""},
	}
	for _, tt := range tests {
		q, err := tab.Quote(QuoteRequest{Bracket: 0, JHT: tt.jht, Months: 1, Start: day(tt.start), Discounts: Law(), Sector: tt.sector, PublicFunds: tt.publicFunds})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		checkLines(t, q)
		if q.Totals.Total != tt.total || q.Lines[0].Rule != tt.rule {
			t.Errorf("%s: total %d rule %q, want %d %q", tt.name, q.Totals.Total, q.Lines[0].Rule, tt.total, tt.rule)
		}
	}
}

// Public funds (APBN/APBD): no rule at all, whatever the set, period or bracket.
func TestQuotePublicFunds(t *testing.T) {
	tab := Default()
	extra, err := NewDiscounts(Rule{Name: "Promo", From: day("2026-01-01"), To: day("2027-12-31"), JKKPercent: 100, JKMPercent: 100})
	if err != nil {
		t.Fatal(err)
	}
	both, err := Law().With(extra)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		discounts *Discounts
		sector    string
		start     string
		months    int
		bracket   int
	}{
		{"law, other sector, 12 months in the window", Law(), "", "2026-04-01", 12, 0},
		{"law, transport, 6 months", Law(), SectorTransport, "2026-10-15", 6, 9},
		{"law and a deployment rule", both, "", "2026-06-01", 3, 31},
		{"no discounts", nil, "", "2026-06-01", 1, 0},
	}
	for _, tt := range tests {
		req := QuoteRequest{Bracket: tt.bracket, JHT: true, Months: tt.months, Start: day(tt.start), Discounts: tt.discounts, Sector: tt.sector}
		paid, err := tab.Quote(req)
		if err != nil {
			t.Fatal(err)
		}
		req.PublicFunds = true
		q, err := tab.Quote(req)
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, q)
		b, _ := tab.Bracket(tt.bracket)
		if want := b.Monthly(true) * int64(tt.months); q.Totals.Discount != 0 || q.Totals.Total != want {
			t.Errorf("%s: totals %+v, want no discount and %d", tt.name, q.Totals, want)
		}
		for i, l := range q.Lines {
			if l.Rule != "" {
				t.Errorf("%s: line %d has rule %q", tt.name, i, l.Rule)
			}
		}
		if tt.discounts != nil && paid.Totals.Discount == 0 {
			t.Errorf("%s: the same request without public funds has no discount either", tt.name)
		}
	}
}
