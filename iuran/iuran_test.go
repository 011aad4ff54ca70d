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
