package nik

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

var jakarta = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		return time.FixedZone("WIB", 7*3600)
	}
	return loc
}()

var today = time.Date(2026, 11, 25, 9, 0, 0, 0, jakarta)

const minAge, maxAge = 15, 65

// fakeRegions knows Kota Pontianak (61/6171/617105) and pre-2022 Merauke (91/9101/910101).
type fakeRegions struct{}

func (fakeRegions) KnownNIKRegion(p, r, d string) (bool, bool, bool) {
	known := map[string]bool{"61": true, "91": true, "6171": true, "9101": true, "617105": true, "910101": true}
	return known[p], known[r] && strings.HasPrefix(r, p), known[d] && strings.HasPrefix(d, r)
}

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, jakarta)
}

func TestParseAccepted(t *testing.T) {
	tests := []struct {
		in     string
		digits string
		birth  time.Time
		female bool
	}{
		{"6171054508900001", "6171054508900001", date(1990, 8, 5), true},
		{"6171 0545 0890 0001", "6171054508900001", date(1990, 8, 5), true},
		{"6171.0545.0890.0001", "6171054508900001", date(1990, 8, 5), true},
		{"6171-05-450890-0001", "6171054508900001", date(1990, 8, 5), true},
		{"  61 71 05 45 08 90 0001\n", "6171054508900001", date(1990, 8, 5), true},
		{"6171\u00a00545\t0890 - 0001", "6171054508900001", date(1990, 8, 5), true},
		{"6171051708850002", "6171051708850002", date(1985, 8, 17), false},
		{"6171053112990123", "6171053112990123", date(1999, 12, 31), false},
		{"6171057101900001", "6171057101900001", date(1990, 1, 31), true},
		{"6171054102000001", "6171054102000001", date(2000, 2, 1), true},
		{"6171056902009999", "6171056902009999", date(2000, 2, 29), true},
		// pre-2022 Papua code
		{"9101011201050003", "9101011201050003", date(2005, 1, 12), false},
		// century: 20YY only when the age is within [15, 65] today
		{"6171052511110001", "6171052511110001", date(2011, 11, 25), false}, // 15 today
		{"6171052611110001", "6171052611110001", date(1911, 11, 26), false}, // would be 14
		{"6171050101600001", "6171050101600001", date(1960, 1, 1), false},
		{"6171050101610001", "6171050101610001", date(1961, 1, 1), false},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, fakeRegions{}, today, minAge, maxAge)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		want := NIK{
			Digits:    tt.digits,
			Province:  tt.digits[:2],
			Regency:   tt.digits[:4],
			District:  tt.digits[:6],
			BirthDate: tt.birth,
			Female:    tt.female,
			Serial:    tt.digits[12:],
		}
		if got != want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, want)
		}
	}
}

func TestParseFields(t *testing.T) {
	got, err := Parse("6171054508900001", fakeRegions{}, today, minAge, maxAge)
	if err != nil {
		t.Fatal(err)
	}
	if got.Province != "61" || got.Regency != "6171" || got.District != "617105" || got.Serial != "0001" {
		t.Errorf("fields = %+v", got)
	}
	if got.BirthDate.Location() != jakarta {
		t.Errorf("location = %v", got.BirthDate.Location())
	}
}

func TestParseRejected(t *testing.T) {
	tests := []struct {
		in   string
		want Error
	}{
		{"", Error{Code: Empty}},
		{"   \n", Error{Code: Empty}},
		{" - . - ", Error{Code: Empty}},
		{"61710545O8900001", Error{Code: NotDigits, Char: "O"}},
		{"6171054508900OO1", Error{Code: NotDigits, Char: "O"}},
		{"NIK 6171054508900001", Error{Code: NotDigits, Char: "N"}},
		{"6171/0545/0890/0001", Error{Code: NotDigits, Char: "/"}},
		{"+6171054508900001", Error{Code: NotDigits, Char: "+"}},
		{"６１７１054508900001", Error{Code: NotDigits, Char: "６"}},
		{"61710545\xff08900001", Error{Code: NotDigits, Char: "\uFFFD"}},
		{"12345", Error{Code: Length, Got: 5}},
		{"617105450890001", Error{Code: Length, Got: 15}},
		{"61710545089000011", Error{Code: Length, Got: 17}},
		{"6171 0545 0890 0001 6171 0545 0890 0001", Error{Code: Length, Got: 32}},
		{"1171054508900001", Error{Code: Province, Char: "11"}},
		{"1199994508900000", Error{Code: Province, Char: "11"}}, // province before everything after it
		{"6199054508900001", Error{Code: Regency, Char: "6199"}},
		{"9171054508900001", Error{Code: Regency, Char: "9171"}},
		{"6171994508900001", Error{Code: District, Char: "617199"}},
		{"6171050008900001", Error{Code: BirthDate, Char: "000890"}},
		{"6171053208900001", Error{Code: BirthDate, Char: "320890"}},
		{"6171054008900001", Error{Code: BirthDate, Char: "400890"}},
		{"6171057208900001", Error{Code: BirthDate, Char: "720890"}},
		{"6171059908900001", Error{Code: BirthDate, Char: "990890"}},
		{"6171051700900001", Error{Code: BirthDate, Char: "170090"}},
		{"6171051713900001", Error{Code: BirthDate, Char: "171390"}},
		{"6171053102900001", Error{Code: BirthDate, Char: "310290"}},
		{"6171052902910001", Error{Code: BirthDate, Char: "290291"}},
		{"6171056902910001", Error{Code: BirthDate, Char: "690291"}},
		{"6171057104900001", Error{Code: BirthDate, Char: "710490"}}, // 31 April
		{"6171053102900000", Error{Code: BirthDate, Char: "310290"}}, // birth date before serial
		{"6171054508900000", Error{Code: Serial, Char: "0000"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, fakeRegions{}, today, minAge, maxAge)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if *e != tt.want {
			t.Errorf("Parse(%q) error = %+v, want %+v", tt.in, *e, tt.want)
		}
	}
}

func TestParseFutureBirthDate(t *testing.T) {
	// Only reachable with a negative minimum age: 01-12-26 resolves to 2026.
	_, err := Parse("6171050112260001", fakeRegions{}, today, -5, 65)
	var e *Error
	if !errors.As(err, &e) || e.Code != BirthDate {
		t.Errorf("err = %v, want BirthDate", err)
	}
}

func TestParseNilRegions(t *testing.T) {
	got, err := Parse("1199994508900001", nil, today, minAge, maxAge)
	if err != nil || got.District != "119999" {
		t.Errorf("Parse with nil regions = %+v, %v", got, err)
	}
}

func TestErrorTextHidesDigits(t *testing.T) {
	for _, in := range []string{"6171053102900001", "6171994508900001", "6171054508900000"} {
		_, err := Parse(in, fakeRegions{}, today, minAge, maxAge)
		if err == nil || strings.ContainsAny(err.Error(), "0123456789") {
			t.Errorf("Parse(%q) error text %q", in, err)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"6171054508900001", "6171 05•• •••• 0001"},
		{"9101011201050003", "9101 01•• •••• 0003"},
		{"6171 0545 0890 0001", "6171 05•• •••• 0001"},
		{"12345", "•••• •"},
		{"61710545089000011", "•••• •••• •••• •••• •"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var maskRE = regexp.MustCompile(`^\d{4} \d{2}•• •••• \d{4}$`)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"6171054508900001", "6171 0545 0890 0001", "6171.0545.0890.0001", "6171-05-450890-0001",
		"9101011201050003", "6171051708850002", "6171057101900001", "6171056902009999",
		"6171052511110001", "6171052611110001", "61710545O8900001", "617105450890001",
		"1171054508900001", "6199054508900001", "6171994508900001", "6171053102900001",
		"6171057208900001", "6171054508900000", "", " ", "\xff", "６１７１054508900001",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if m := Mask(in); countDigits(in) != Len && countDigits(m) != 0 {
			t.Fatalf("Mask(%q) = %q shows digits of a non-NIK", in, m)
		}
		got, err := Parse(in, fakeRegions{}, today, minAge, maxAge)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): error %T is not *Error", in, err)
			}
			return
		}
		d := got.Digits
		if len(d) != Len || strings.IndexFunc(d, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			t.Fatalf("Parse(%q).Digits = %q", in, d)
		}
		if got.Province != d[:2] || got.Regency != d[:4] || got.District != d[:6] || got.Serial != d[12:] || got.Serial == "0000" {
			t.Fatalf("Parse(%q) = %+v: fields do not match digits", in, got)
		}
		if got.Female != (d[6] >= '4') {
			t.Fatalf("Parse(%q) = %+v: Female does not match day digits", in, got)
		}
		if got.BirthDate.After(today) || got.BirthDate.Location() != today.Location() {
			t.Fatalf("Parse(%q) birth date %v", in, got.BirthDate)
		}
		if got.BirthDate.Format("0201") != dayOf(d)+d[8:10] || got.BirthDate.Format("06") != d[10:12] {
			t.Fatalf("Parse(%q) birth date %v does not match %s", in, got.BirthDate, d[6:12])
		}
		if m := Mask(d); !maskRE.MatchString(m) || m[:4] != d[:4] || m[5:7] != d[4:6] || !strings.HasSuffix(m, d[12:]) {
			t.Fatalf("Mask(%q) = %q", d, m)
		}
		again, err := Parse(d, fakeRegions{}, today, minAge, maxAge)
		if err != nil || again != got {
			t.Fatalf("Parse(%q) = %+v, re-parse = %+v, %v", in, got, again, err)
		}
	})
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// dayOf returns the day part of the NIK with the female offset removed.
func dayOf(d string) string {
	day := int(d[6]-'0')*10 + int(d[7]-'0')
	if day > 40 {
		day -= 40
	}
	return string(rune('0'+day/10)) + string(rune('0'+day%10))
}
