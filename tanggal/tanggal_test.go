package tanggal

import (
	"errors"
	"testing"
	"time"
)

var jakarta = mustLoc("Asia/Jakarta")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("WIB", 7*3600)
	}
	return loc
}

// today is a fixed "now": 25 November 2026, late evening in Jakarta.
var today = time.Date(2026, 11, 25, 21, 30, 0, 0, jakarta)

const minAge, maxAge = 15, 65

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, jakarta)
}

func TestParseAccepted(t *testing.T) {
	want := date(1985, 8, 17)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"17-08-1985", want},
		{"17/08/1985", want},
		{"17.08.1985", want},
		{"17 8 1985", want},
		{"17-8-1985", want},
		{"17 Agustus 1985", want},
		{"17 AGUSTUS 1985", want},
		{"17 agustus 1985", want},
		{"17 agt 85", want},
		{"17 Agt. 1985", want},
		{"17-agu-1985", want},
		{"17 ags 1985", want},
		{"17 agst 1985", want},
		{"17 agus 1985", want},
		{"17 August 1985", want},
		{"17 aug 1985", want},
		{"August 17, 1985", want},
		{"1985-08-17", want},
		{"1985/8/17", want},
		{"  17   -  08 -   1985  ", want},
		{"17\t08\t1985", want},
		{"17agt85", want},
		{"17-08-85", want},
		{"17, Agustus 1985", want},
		// every month name
		{"1 januari 2000", date(2000, 1, 1)},
		{"1 jan 2000", date(2000, 1, 1)},
		{"1 january 2000", date(2000, 1, 1)},
		{"1 februari 2000", date(2000, 2, 1)},
		{"1 feb 2000", date(2000, 2, 1)},
		{"1 peb 2000", date(2000, 2, 1)},
		{"1 pebruari 2000", date(2000, 2, 1)},
		{"1 february 2000", date(2000, 2, 1)},
		{"1 maret 2000", date(2000, 3, 1)},
		{"1 mar 2000", date(2000, 3, 1)},
		{"1 mrt 2000", date(2000, 3, 1)},
		{"1 march 2000", date(2000, 3, 1)},
		{"1 april 2000", date(2000, 4, 1)},
		{"1 apr 2000", date(2000, 4, 1)},
		{"1 mei 2000", date(2000, 5, 1)},
		{"1 may 2000", date(2000, 5, 1)},
		{"1 juni 2000", date(2000, 6, 1)},
		{"1 jun 2000", date(2000, 6, 1)},
		{"1 june 2000", date(2000, 6, 1)},
		{"1 juli 2000", date(2000, 7, 1)},
		{"1 jul 2000", date(2000, 7, 1)},
		{"1 july 2000", date(2000, 7, 1)},
		{"1 september 2000", date(2000, 9, 1)},
		{"1 sep 2000", date(2000, 9, 1)},
		{"1 sept 2000", date(2000, 9, 1)},
		{"1 oktober 2000", date(2000, 10, 1)},
		{"1 okt 2000", date(2000, 10, 1)},
		{"1 october 2000", date(2000, 10, 1)},
		{"1 oct 2000", date(2000, 10, 1)},
		{"1 november 2000", date(2000, 11, 1)},
		{"1 nov 2000", date(2000, 11, 1)},
		{"1 nop 2000", date(2000, 11, 1)},
		{"1 nopember 2000", date(2000, 11, 1)},
		{"1 desember 2000", date(2000, 12, 1)},
		{"1 des 2000", date(2000, 12, 1)},
		{"1 december 2000", date(2000, 12, 1)},
		{"1 dec 2000", date(2000, 12, 1)},
		// limits
		{"29-02-2000", date(2000, 2, 29)},
		{"29-02-1996", date(1996, 2, 29)},
		{"31-12-1999", date(1999, 12, 31)},
		{"01-01-1900", date(1900, 1, 1)},
		{"25-11-2026", date(2026, 11, 25)}, // today
		{"24-11-2026", date(2026, 11, 24)},
		// two-digit years: 20yy only when the age would be within [15, 65]
		{"01-01-05", date(2005, 1, 1)},   // 21 years old
		{"25-11-11", date(2011, 11, 25)}, // exactly 15 today
		{"26-11-11", date(1911, 11, 26)}, // would be 14 → 1911
		{"01-01-20", date(1920, 1, 1)},   // would be 6 → 1920
		{"01-01-70", date(1970, 1, 1)},
		{"01-01-00", date(2000, 1, 1)},
		{"29-02-00", date(2000, 2, 29)},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, today, minAge, maxAge)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != jakarta {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseRejected(t *testing.T) {
	tests := []struct {
		in   string
		want Error
	}{
		{"", Error{Code: Empty}},
		{"   ", Error{Code: Empty}},
		{" - / . ", Error{Code: Empty}},
		{"kemarin", Error{Code: Format}},
		{"17081985", Error{Code: Format}},
		{"17-08", Error{Code: Format}},
		{"17-08-1985-01", Error{Code: Format}},
		{"17-08-198", Error{Code: Format}},
		{"17-08-19855", Error{Code: Format}},
		{"117-08-1985", Error{Code: Format}},
		{"17-008-1985", Error{Code: Format}},
		{"17_08_1985", Error{Code: Format}},
		{"17-08-1985!", Error{Code: Format}},
		{"agustus agustus 1985", Error{Code: Format}},
		{"17 1985 agustus", Error{Code: Format}},
		{"1985 agustus 17", Error{Code: Format}},
		{"17-08-1899", Error{Code: Format, Got: 1899}},
		{"17-08-0085", Error{Code: Format, Got: 85}},
		{"17 agustos 1985", Error{Code: Month, Char: "agustos"}},
		{"17 AGUSTOS 1985", Error{Code: Month, Char: "agustos"}},
		{"17-13-1985", Error{Code: Month, Got: 13, Char: "13"}},
		{"17-00-1985", Error{Code: Month, Char: "00"}},
		{"1985-13-01", Error{Code: Month, Got: 13, Char: "13"}},
		{"31-02-1990", Error{Code: Day, Got: 31}},
		{"29-02-1991", Error{Code: Day, Got: 29}},
		{"29-02-1900", Error{Code: Day, Got: 29}},
		{"31-04-1990", Error{Code: Day, Got: 31}},
		{"00-08-1985", Error{Code: Day}},
		{"32-08-1985", Error{Code: Day, Got: 32}},
		{"29 feb 01", Error{Code: Day, Got: 29}},
		{"26-11-2026", Error{Code: Future}},
		{"01-01-2027", Error{Code: Future}},
		{"2030-01-01", Error{Code: Future}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, today, minAge, maxAge)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, %v; want error %+v", tt.in, got, err, tt.want)
			continue
		}
		if *e != tt.want {
			t.Errorf("Parse(%q) error = %+v, want %+v", tt.in, *e, tt.want)
		}
		if e.Error() == "" {
			t.Errorf("Parse(%q): empty error text", tt.in)
		}
	}
}

func TestParseOtherLocation(t *testing.T) {
	// 25 Nov 2026 20:00 UTC is already 26 Nov in Jakarta: the date comparison uses
	// today's own Location.
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	if _, err := Parse("26-11-2026", now, 0, 65); err == nil {
		t.Error("26-11-2026 accepted on 25-11-2026 UTC")
	}
	got, err := Parse("26-11-2026", now.In(jakarta), 0, 65)
	if err != nil || !got.Equal(date(2026, 11, 26)) {
		t.Errorf("Parse in Jakarta = %v, %v", got, err)
	}
}

func TestResolveYear(t *testing.T) {
	tests := []struct {
		yy, month, day int
		min, max       int
		want           int
	}{
		{85, 8, 17, 15, 65, 1985},
		{5, 1, 1, 15, 65, 2005},
		{11, 11, 25, 15, 65, 2011}, // 15 today
		{11, 11, 26, 15, 65, 1911}, // 14 today
		{26, 1, 1, 0, 65, 2026},    // 0 years old allowed
		{26, 12, 1, 0, 65, 1926},   // 2026-12-01 is in the future
		{61, 1, 1, 0, 100, 1961},   // 2061 is in the future
		{0, 1, 1, 15, 65, 2000},
		{99, 1, 1, 15, 65, 1999},
		{1985, 1, 1, 15, 65, 1985}, // out of range: unchanged
		{-1, 1, 1, 15, 65, -1},
	}
	for _, tt := range tests {
		if got := ResolveYear(tt.yy, tt.month, tt.day, today, tt.min, tt.max); got != tt.want {
			t.Errorf("ResolveYear(%d, %d, %d, [%d,%d]) = %d, want %d", tt.yy, tt.month, tt.day, tt.min, tt.max, got, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		birth, today time.Time
		want         int
	}{
		{date(1985, 8, 17), today, 41},
		{date(1985, 11, 25), today, 41},
		{date(1985, 11, 26), today, 40},
		{date(2026, 11, 25), today, 0},
		{date(2026, 11, 26), today, -1},
		{date(2000, 2, 29), date(2027, 2, 28), 26},
		{date(2000, 2, 29), date(2027, 3, 1), 27},
		{date(2000, 2, 29), date(2028, 2, 29), 28},
	}
	for _, tt := range tests {
		if got := Age(tt.birth, tt.today); got != tt.want {
			t.Errorf("Age(%v, %v) = %d, want %d", tt.birth, tt.today, got, tt.want)
		}
	}
}

func TestLookupMonth(t *testing.T) {
	if m, ok := LookupMonth("AgT"); !ok || m != time.August {
		t.Errorf("LookupMonth(AgT) = %v, %v", m, ok)
	}
	if _, ok := LookupMonth("foo"); ok {
		t.Error("LookupMonth(foo) ok")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"17-08-1985", "17/08/1985", "17.08.1985", "17 8 1985", "17 Agustus 1985",
		"17 agt 85", "17-agu-1985", "17 August 1985", "1985-08-17", "August 17, 1985",
		"  17  -  08 - 1985 ", "17agt85", "29-02-2000", "29-02-1991", "31-02-1990",
		"17-13-1985", "17 agustos 1985", "26-11-2026", "01-01-1899", "", "kemarin",
		"01-01-00", "25-11-11", "17\u00a008\u00a01985", "17 ağustus 1985", "\xff",
	} {
		f.Add(s, 15, 65)
	}
	f.Add("01-01-26", 0, 65)
	f.Add("01-01-26", -5, 200)
	f.Fuzz(func(t *testing.T, in string, minAge, maxAge int) {
		got, err := Parse(in, today, minAge, maxAge)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): error %T is not *Error", in, err)
			}
			return
		}
		if got.Location() != today.Location() {
			t.Fatalf("Parse(%q) location %v", in, got.Location())
		}
		if h, m, s := got.Clock(); h != 0 || m != 0 || s != 0 || got.Nanosecond() != 0 {
			t.Fatalf("Parse(%q) = %v, not midnight", in, got)
		}
		if got.Year() < MinYear || got.After(today) {
			t.Fatalf("Parse(%q) = %v out of range", in, got)
		}
		again, err := Parse(got.Format("02-01-2006"), today, minAge, maxAge)
		if err != nil || !again.Equal(got) {
			t.Fatalf("Parse(%q) = %v, re-parse = %v, %v", in, got, again, err)
		}
		again, err = Parse(got.Format("2006-01-02"), today, minAge, maxAge)
		if err != nil || !again.Equal(got) {
			t.Fatalf("Parse(%q) = %v, ISO re-parse = %v, %v", in, got, again, err)
		}
	})
}

func TestParseWhen(t *testing.T) {
	loc := time.FixedZone("WIB", 7*3600)
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, loc)
	tests := map[string]string{
		"08.00":            "2026-11-26 08:00",
		"11:00":            "2026-11-25 11:00",
		"besok 08.00":      "2026-11-26 08:00",
		"tomorrow 7:05":    "2026-11-26 07:05",
		"26-11-2026 08.00": "2026-11-26 08:00",
		"1/1 09.00":        "2027-01-01 09:00",
		"31/12/26 23.59":   "2026-12-31 23:59",
	}
	for in, want := range tests {
		got, err := ParseWhen(in, now)
		if err != nil || got.Format("2006-01-02 15:04") != want {
			t.Errorf("ParseWhen(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "kapan saja", "25.00", "31-02-2026 08.00", "08.00 besok lusa", "1-1-2030 08.00", "1.1.0 0.0", "5-5-2025 08.00"} {
		if _, err := ParseWhen(bad, now); err == nil {
			t.Errorf("ParseWhen(%q) accepted", bad)
		}
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"08.00", "besok 08.00", "26-11-2026 08.00", "1/1 9:00", "99-99 99.99", "-1/-1 0.0", "1.1.0 0.0"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseWhen(s, now)
		if err == nil && (got.Before(time.Date(now.Year(), 1, 1, 0, 0, 0, 0, now.Location())) || got.After(now.AddDate(2, 0, 0))) {
			t.Fatalf("ParseWhen(%q) = %v, outside this year and next", s, got)
		}
	})
}
