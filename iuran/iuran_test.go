package iuran

import (
	"strings"
	"testing"
)

func TestDefaultTable(t *testing.T) {
	tab := Default()
	bs := tab.Brackets()
	if len(bs) != 32 {
		t.Fatalf("%d brackets, want 32", len(bs))
	}
	if got := tab.Cheapest(false); got != 16800 {
		t.Fatalf("cheapest JKK+JKM = %d, want 16800", got)
	}
	if got := tab.Cheapest(true); got != 36800 {
		t.Fatalf("cheapest with JHT = %d, want 36800", got)
	}
	for _, b := range bs[1:30] {
		if b.JKK != b.Base/100 || b.JHT != b.Base*2/100 || b.JKM != 6800 {
			t.Errorf("bracket %d: %+v does not follow 1%%/2%%/6.800", b.Index, b)
		}
	}
}

func TestForIncome(t *testing.T) {
	tab := Default()
	tests := []struct {
		income   int64
		wantBase int64
	}{
		{0, 1000000},
		{500000, 1000000},
		{1099000, 1000000},
		{1099500, 1000000}, // gap between rows
		{1100000, 1200000},
		{1299000, 1200000},
		{2699000, 2600000},
		{2700000, 2950000},
		{3000000, 2950000},
		{8199000, 7950000},
		{8200000, 8700000},
		{18199000, 17700000},
		{18200000, 18200000},
		{20199000, 19200000},
		{50000000, 19200000}, // above the table: top bracket
	}
	for _, tt := range tests {
		if got := tab.ForIncome(tt.income).Base; got != tt.wantBase {
			t.Errorf("ForIncome(%d).Base = %d, want %d", tt.income, got, tt.wantBase)
		}
	}
	b := tab.ForIncome(3000000)
	if got := b.Monthly(false); got != 29500+6800 {
		t.Errorf("Monthly = %d", got)
	}
	if got := b.Monthly(true); got != 29500+6800+59000 {
		t.Errorf("Monthly with JHT = %d", got)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, csv, want string }{
		{"header", "a,b,c,d,e,f\n", "header column 1"},
		{"empty", "income_min,income_max,base,jkk,jkm,jht\n", "no brackets"},
		{"number", "income_min,income_max,base,jkk,jkm,jht\n0,x,1,1,1,1\n", "income_max"},
		{"order", "income_min,income_max,base,jkk,jkm,jht\n0,10,1,1,1,1\n5,20,1,1,1,1\n", "overlaps"},
		{"inverted", "income_min,income_max,base,jkk,jkm,jht\n10,5,1,1,1,1\n", "below"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.csv))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// Every row's edges: its minimum, its maximum, the maximum + Rp1.000 (the
// next row, or the top row above the table) and the minimum − Rp1.000 (the
// row before). The table counts in thousands.
func TestBracketBoundaries(t *testing.T) {
	tab := Default()
	bs := tab.Brackets()
	for i, b := range bs {
		next := i + 1
		if next == len(bs) {
			next = i
		}
		checks := []struct {
			income int64
			want   int
		}{
			{b.IncomeMin, i},
			{b.IncomeMax, i},
			{b.IncomeMax + 1000, next},
		}
		if i > 0 {
			checks = append(checks, struct {
				income int64
				want   int
			}{b.IncomeMin - 1000, i - 1})
		}
		for _, c := range checks {
			if got := tab.ForIncome(c.income); got.Index != c.want {
				t.Errorf("ForIncome(%d) = bracket %d (%d–%d), want %d", c.income, got.Index, got.IncomeMin, got.IncomeMax, c.want)
			}
		}
		if got, ok := tab.Bracket(i); !ok || got != b {
			t.Errorf("Bracket(%d) = %+v, %v", i, got, ok)
		}
	}
	// The boundaries named in the issue, with the base and monthly JKK + JKM.
	tests := []struct {
		income, base, monthly int64
	}{
		{1_099_000, 1_000_000, 16_800},
		{1_100_000, 1_200_000, 18_800},
		{1_299_000, 1_200_000, 18_800},
		{1_300_000, 1_400_000, 20_800},
		{2_699_000, 2_600_000, 32_800},
		{2_700_000, 2_950_000, 36_300},
		{8_199_000, 7_950_000, 86_300},
		{8_200_000, 8_700_000, 93_800},
		{18_199_000, 17_700_000, 183_800},
		{18_200_000, 18_200_000, 188_800},
		{19_199_000, 18_200_000, 188_800},
		{19_200_000, 19_200_000, 198_800},
		{20_199_000, 19_200_000, 198_800},
		{20_200_000, 19_200_000, 198_800},
	}
	for _, tt := range tests {
		b := tab.ForIncome(tt.income)
		if b.Base != tt.base || b.Monthly(false) != tt.monthly {
			t.Errorf("ForIncome(%d): base %d monthly %d, want %d %d", tt.income, b.Base, b.Monthly(false), tt.base, tt.monthly)
		}
	}
	for _, i := range []int{-1, len(bs)} {
		if _, ok := tab.Bracket(i); ok {
			t.Errorf("Bracket(%d) exists", i)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(defaultTable)
	f.Add("income_min,income_max,base,jkk,jkm,jht\n0,10,1,1,1,1\n11,20,2,2,2,2\n")
	f.Add("income_min,income_max,base,jkk,jkm,jht\n0,x,1,1,1,1\n")
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		bs := tab.Brackets()
		if len(bs) == 0 {
			t.Fatal("table without brackets")
		}
		for i, b := range bs {
			if b.Index != i || b.IncomeMax < b.IncomeMin || (i > 0 && b.IncomeMin <= bs[i-1].IncomeMax) {
				t.Fatalf("bad row %d: %+v", i, b)
			}
			if got := tab.ForIncome(b.IncomeMin); got.Index != i {
				t.Fatalf("ForIncome(min of %d) = %d", i, got.Index)
			}
			if got := tab.ForIncome(b.IncomeMax); got.Index != i {
				t.Fatalf("ForIncome(max of %d) = %d", i, got.Index)
			}
		}
	})
}
