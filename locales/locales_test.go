package locales

import (
	"strings"
	"testing"
	"time"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	base := c.Keys(Default)
	if len(base) < 100 {
		t.Fatalf("only %d keys in %s", len(base), Default)
	}
	for _, lang := range c.Langs() {
		for _, k := range base {
			if !c.Has(lang, k) {
				t.Errorf("key %q is missing in %s", k, lang)
			}
		}
		for _, k := range c.Keys(lang) {
			if !c.Has(Default, k) {
				t.Errorf("key %q of %s is missing in %s", k, lang, Default)
			}
		}
	}
}

func TestTextsRender(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range c.Langs() {
		for _, k := range c.Keys(lang) {
			s := c.T(lang, k, map[string]any{})
			if s == k || strings.TrimSpace(s) == "" {
				t.Errorf("%s %q renders as %q", lang, k, s)
			}
			if strings.Contains(s, "Input tidak valid") || strings.Contains(s, "TO"+"DO") {
				t.Errorf("%s %q: %q", lang, k, s)
			}
		}
	}
}

func TestRupiah(t *testing.T) {
	tests := map[int64]string{0: "Rp0", 800: "Rp800", 16800: "Rp16.800", 1000000: "Rp1.000.000", 123456789: "Rp123.456.789", -5000: "-Rp5.000"}
	for n, want := range tests {
		if got := Rupiah(n); got != want {
			t.Errorf("Rupiah(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDate(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	d := time.Date(1985, 8, 17, 0, 0, 0, 0, time.UTC)
	if got := c.Date("id", d); got != "17 Agustus 1985" {
		t.Errorf("id: %q", got)
	}
	if got := c.Date("en", d); got != "17 August 1985" {
		t.Errorf("en: %q", got)
	}
	if got := c.T("xx", "month.5", nil); got != "Mei" {
		t.Errorf("unknown language falls back to Indonesian: %q", got)
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		lang string
		f    float64
		prec int
		want string
	}{
		{"id", 1.25, 1, "1,2"}, {"en", 1.25, 1, "1.2"}, {"id", 23190.4, 0, "23.190"}, {"en", 23190.4, 0, "23,190"},
		{"id", 1234567.891, 2, "1.234.567,89"}, {"en", 0.05, 1, "0.1"}, {"id", -2.5, 1, "-2,5"}, {"id", -0.01, 1, "0,0"},
	}
	for _, tt := range tests {
		if got := Decimal(tt.lang, tt.f, tt.prec); got != tt.want {
			t.Errorf("Decimal(%s, %v, %d) = %q, want %q", tt.lang, tt.f, tt.prec, got, tt.want)
		}
	}
}
