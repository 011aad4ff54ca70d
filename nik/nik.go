// Package nik parses the Indonesian national identity number (Nomor Induk
// Kependudukan): 16 digits PP RR SS DDMMYY NNNN — province, regency/city and
// district where the NIK was first issued, the birth date (40 added to the day
// for women) and a serial from 0001. There is no check digit.
//
// The package holds no user-facing text: every failure is an *Error whose Code the
// caller maps to a translated message.
package nik

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lindungi/lindungi/tanggal"
)

// Code identifies why a NIK was rejected. Parse checks in the order listed.
type Code string

// Error codes returned by Parse.
const (
	Empty     Code = "empty"      // nothing typed
	NotDigits Code = "not_digits" // Char = first character that is neither a digit nor a separator
	Length    Code = "length"     // Got = number of digits typed (not 16)
	Province  Code = "province"   // unknown province code; Char = "61"
	Regency   Code = "regency"    // unknown regency/city code; Char = "6171"
	District  Code = "district"   // unknown district code; Char = "617105"
	BirthDate Code = "birth_date" // DDMMYY is not a real, non-future date; Char = the 6 digits
	Serial    Code = "serial"     // serial 0000; Char = "0000"
)

// Error is the error returned by Parse. Callers use errors.As.
type Error struct {
	Code Code
	Got  int    // Length: the number of digits
	Char string // see the Code constants
}

// Fields gives the error's code and details, for callers that turn errors
// of several packages into messages the same way.
func (e *Error) Fields() (code string, got int, char string) { return string(e.Code), e.Got, e.Char }

func (e *Error) Error() string {
	s := "nik: " + string(e.Code)
	// Char may hold NIK digits: keep them out of the error text (logs).
	if e.Code == NotDigits {
		s += " " + strconv.Quote(e.Char)
	}
	if e.Code == Length {
		s += " (" + strconv.Itoa(e.Got) + " digits)"
	}
	return s
}

// NIK is a parsed identity number.
type NIK struct {
	Digits    string    // the 16 digits
	Province  string    // "61"
	Regency   string    // "6171"
	District  string    // "617105"
	BirthDate time.Time // midnight in today's Location; century chosen by tanggal.ResolveYear
	Female    bool      // day part was 41–71
	Serial    string    // "0001"
}

// Regions tells which region codes are known. Implementations should accept the
// current codes and the pre-2022 codes that older NIKs carry.
type Regions interface {
	KnownNIKRegion(province, regency, district string) (provinceOK, regencyOK, districtOK bool)
}

// Len is the number of digits in a NIK.
const Len = 16

// Parse reads a NIK typed by a person. Spaces, dots and dashes between digits
// are ignored. The century of the birth year is chosen with tanggal.ResolveYear
// (20YY only if that gives an age within [minAge, maxAge] on today); Parse does
// not otherwise check the age. A nil regions skips the region checks.
func Parse(input string, regions Regions, today time.Time, minAge, maxAge int) (NIK, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return NIK{}, &Error{Code: Empty}
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n++
			if b.Len() < Len {
				b.WriteRune(r)
			}
		case r == '.' || r == '-' || unicode.IsSpace(r):
		default:
			// An invalid UTF-8 byte is reported as U+FFFD.
			return NIK{}, &Error{Code: NotDigits, Char: string(r)}
		}
	}
	if n == 0 {
		return NIK{}, &Error{Code: Empty}
	}
	if n != Len {
		return NIK{}, &Error{Code: Length, Got: n}
	}
	d := b.String()
	k := NIK{
		Digits:   d,
		Province: d[:2],
		Regency:  d[:4],
		District: d[:6],
		Serial:   d[12:],
	}
	if regions != nil {
		p, r, di := regions.KnownNIKRegion(k.Province, k.Regency, k.District)
		switch {
		case !p:
			return NIK{}, &Error{Code: Province, Char: k.Province}
		case !r:
			return NIK{}, &Error{Code: Regency, Char: k.Regency}
		case !di:
			return NIK{}, &Error{Code: District, Char: k.District}
		}
	}
	birth, female, ok := birthDate(d[6:12], today, minAge, maxAge)
	if !ok {
		return NIK{}, &Error{Code: BirthDate, Char: d[6:12]}
	}
	k.BirthDate, k.Female = birth, female
	if k.Serial == "0000" {
		return NIK{}, &Error{Code: Serial, Char: k.Serial}
	}
	return k, nil
}

func birthDate(ddmmyy string, today time.Time, minAge, maxAge int) (t time.Time, female bool, ok bool) {
	day, _ := strconv.Atoi(ddmmyy[0:2])
	month, _ := strconv.Atoi(ddmmyy[2:4])
	yy, _ := strconv.Atoi(ddmmyy[4:6])
	if day > 40 {
		female = true
		day -= 40
	}
	if day < 1 || day > 31 || month < 1 || month > 12 {
		return time.Time{}, false, false
	}
	year := tanggal.ResolveYear(yy, month, day, today, minAge, maxAge)
	if day > tanggal.DaysIn(year, time.Month(month)) {
		return time.Time{}, false, false
	}
	t = time.Date(year, time.Month(month), day, 0, 0, 0, 0, today.Location())
	y, m, dd := today.Date()
	if t.After(time.Date(y, m, dd, 0, 0, 0, 0, today.Location())) {
		return time.Time{}, false, false
	}
	return t, female, true
}

// Mask hides the birth date (digits 7–12) for display:
// "6171054508900001" -> "6171 05•• •••• 0001" (groups of four, digits 7–12 as •).
// Separators in the input are ignored; anything that is not exactly 16 digits
// comes back with every digit masked.
func Mask(digits string) string {
	var ds []rune
	for _, r := range digits {
		if r >= '0' && r <= '9' {
			ds = append(ds, r)
		}
	}
	keep := len(ds) == Len
	var b strings.Builder
	for i, r := range ds {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		if !keep || (i >= 6 && i < 12) {
			b.WriteString("•")
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
