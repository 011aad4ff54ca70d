package roster

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// What spreadsheets do to a list, and how to read through it.

// invisible reports runes that spreadsheets and copy-paste leave in cells
// and that count as space: non-breaking and other Unicode spaces, zero-width
// spaces and joiners, the BOM.
func invisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return unicode.IsSpace(r)
}

// clean trims a cell of spaces of any kind (and a stray BOM or zero-width
// space), turns the inner ones into plain spaces, and collapses runs of them.
func clean(s string) string {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c < ' ' || c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			simple = false
			break
		}
	}
	if simple {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if invisible(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isBlank(s string) bool {
	for _, r := range s {
		if !invisible(r) {
			return false
		}
	}
	return true
}

// noValue reports a cell that only says "nothing here": "-", "–", ".", "0"
// is not included (it may be a value).
func noValue(s string) bool {
	return strings.Trim(s, "-–—._/ ") == ""
}

// stripQuote removes the apostrophe people type to make Excel keep a number
// as text ("'6171054508900001").
func stripQuote(s string) string {
	s = strings.TrimPrefix(s, "'")
	s = strings.TrimPrefix(s, "’")
	return strings.TrimSpace(s)
}

// sciNumber reads a number in exponent notation as Excel writes it ("6.17105E+15",
// "6,17105E+15" in Indonesian locale, "8.1234567890E+10"). It returns the
// significant digits (mantissa without its separator), the number of digits
// after the decimal separator, and the exponent.
func sciNumber(s string) (digits string, frac, exp int, ok bool) {
	i := strings.IndexAny(s, "eE")
	if i <= 0 || i == len(s)-1 {
		return "", 0, 0, false
	}
	mant, e := s[:i], s[i+1:]
	e = strings.TrimPrefix(e, "+")
	exp, err := strconv.Atoi(e)
	if err != nil || exp < -30 || exp > 30 {
		return "", 0, 0, false
	}
	intPart, fracPart, hasSep := strings.Cut(mant, ".")
	if !hasSep {
		intPart, fracPart, _ = strings.Cut(mant, ",")
	}
	if intPart == "" || !allDigits(intPart) || !allDigits(fracPart) {
		return "", 0, 0, false
	}
	return intPart + fracPart, len(fracPart), exp, true
}

// expandSci returns the integer a number in exponent notation stands for, if
// no digit was lost: "8.1234567890E+10" → "81234567890"; "8.12346E+10" (the
// last five digits zeroed by the display format) is not.
func expandSci(s string) (string, bool) {
	digits, frac, exp, ok := sciNumber(s)
	if !ok || exp != frac {
		return "", false
	}
	return digits, true
}

// trimPointZero removes a zero fraction from a number cell ("81234567890.0").
func trimPointZero(s string) string {
	if i := strings.IndexByte(s, '.'); i > 0 && allDigits(s[:i]) && strings.Trim(s[i+1:], "0") == "" {
		return s[:i]
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// excelEpoch is day 0 of Excel's 1900 date system as it counts from 1 March
// 1900 on (it wrongly believes 1900 was a leap year).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// MinSerial is the smallest birth date serial accepted (18 May 1927): a
// smaller bare number in the birth date column is more likely something
// else (a year, a typo).
const MinSerial = 10000

// excelSerial reads a date serial ("32724", "32724.0", "32724.5" with a
// time) and returns its calendar date in loc.
func excelSerial(s string, loc *time.Location) (time.Time, bool) {
	intPart, frac, _ := strings.Cut(s, ".")
	if len(intPart) != 5 || !allDigits(intPart) || !allDigits(frac) {
		return time.Time{}, false
	}
	n, _ := strconv.Atoi(intPart)
	if n < MinSerial {
		return time.Time{}, false
	}
	d := excelEpoch.AddDate(0, 0, n)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc), true
}

// ExcelSerial returns the 1900-system date serial of a calendar date (what
// Excel stores for a date cell): 5 August 1989 → 32725.
func ExcelSerial(t time.Time) int {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return int(d.Sub(excelEpoch).Hours() / 24)
}

// dropTime removes a time of day that a spreadsheet export may add to a
// date: "1989-08-05T00:00:00Z", "1989-08-05 00:00:00", "05/08/1989 0:00".
func dropTime(s string) string {
	if i := strings.IndexByte(s, 'T'); i == 10 && allDigits(s[:4]) && s[4] == '-' {
		return s[:i]
	}
	if i := strings.LastIndexByte(s, ' '); i > 0 && strings.Contains(s[i+1:], ":") {
		return strings.TrimSpace(s[:i])
	}
	return s
}
