package iuran

import (
	"errors"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		code AmountCode
	}{
		{"1.500.000", 1500000, ""},
		{"Rp 1.500.000", 1500000, ""},
		{"rp1.500.000,00", 1500000, ""},
		{"1500000", 1500000, ""},
		{"1,5 juta", 1500000, ""},
		{"1.5 jt", 1500000, ""},
		{"2 juta", 2000000, ""},
		{"2juta", 2000000, ""},
		{"800rb", 800000, ""},
		{"800 ribu", 800000, ""},
		{"800k", 800000, ""},
		{"1.250.000/bulan", 1250000, ""},
		{"0", 0, ""},
		{"3,25 juta", 3250000, ""},
		{"sekitar 2 juta", 2000000, ""},
		{"kira-kira 1,5 jt", 1500000, ""},
		{"1 jt an", 1000000, ""},
		{"2 jutaan sebulan", 2000000, ""},
		{"800 ribuan", 800000, ""},
		{"lebih dari 3 juta", 3000000, ""},
		{"1.500.000 per bulan", 1500000, ""},
		{"about 1.5 million a month", 1500000, ""},
		{"", 0, AmountEmpty},
		{"   ", 0, AmountEmpty},
		{"banyak", 0, AmountChars},
		{"1.5", 0, AmountFormat},
		{"1..500", 0, AmountFormat},
		{"1.500.", 0, AmountFormat},
		{"12#00", 0, AmountChars},
		{"5 miliar", 0, AmountChars},
		{"999999999999999", 0, AmountTooLarge},
		{"2000 juta", 0, AmountTooLarge},
	}
	// The word that is not understood is named, not a space.
	var ae *AmountError
	if _, err := ParseAmount("2 juta kotor"); !errors.As(err, &ae) || ae.Char != "kotor" {
		t.Errorf(`ParseAmount("2 juta kotor") = %v, want "kotor" named`, err)
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if tt.code == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			continue
		}
		var ae *AmountError
		if !errors.As(err, &ae) || ae.Code != tt.code {
			t.Errorf("ParseAmount(%q) err = %v, want code %s", tt.in, err, tt.code)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1.500.000", "1,5 juta", "800rb", "Rp 2.000.000,00", "", "abc", "1..2", "9999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseAmount(s)
		if err == nil && (v < 0 || v > maxAmount) {
			t.Fatalf("ParseAmount(%q) = %d out of range", s, v)
		}
		var ae *AmountError
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
