// Package tanggal reads calendar dates the way Indonesians type them in a chat
// ("17-08-1985", "17 Agustus 1985", "17 agt 85", "1985-08-17") and computes ages.
//
// The package holds no user-facing text: every failure is an *Error whose Code the
// caller maps to a translated message.
package tanggal

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Code identifies why a date was rejected.
type Code string

// Error codes returned by Parse.
const (
	Empty  Code = "empty"  // nothing typed
	Format Code = "format" // not readable as a date (also: a 4-digit year before 1900, Got = year)
	Month  Code = "month"  // unknown month: Char = the word or number typed, Got = the number if numeric
	Day    Code = "day"    // no such day in that month/year (31-02-1990, 29-02-1991, day 0 or 32); Got = day
	Future Code = "future" // a real date after today
)

// MinYear is the earliest year Parse accepts.
const MinYear = 1900

// Error is the error returned by Parse. Callers use errors.As.
type Error struct {
	Code Code
	Got  int    // Format: the year when it is before MinYear; Month: the month number; Day: the day number
	Char string // Month: the unknown month word (lower case) or number as typed
}

// Fields gives the error's code and details, for callers that turn errors
// of several packages into messages the same way.
func (e *Error) Fields() (code string, got int, char string) { return string(e.Code), e.Got, e.Char }

func (e *Error) Error() string {
	s := "tanggal: " + string(e.Code)
	if e.Char != "" {
		s += " " + strconv.Quote(e.Char)
	}
	if e.Got != 0 {
		s += " (" + strconv.Itoa(e.Got) + ")"
	}
	return s
}

// months maps lower-case Indonesian and English month names and their usual
// abbreviations (and a few common old or misspelled forms) to month numbers.
var months = map[string]time.Month{
	"januari": 1, "jan": 1, "january": 1, "janu": 1,
	"februari": 2, "feb": 2, "peb": 2, "pebruari": 2, "febuari": 2, "pebuari": 2, "february": 2, "febr": 2,
	"maret": 3, "mar": 3, "mrt": 3, "march": 3,
	"april": 4, "apr": 4, "apl": 4,
	"mei": 5, "may": 5,
	"juni": 6, "jun": 6, "june": 6,
	"juli": 7, "jul": 7, "july": 7,
	"agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agst": 8, "agus": 8, "agust": 8, "agts": 8, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "spt": 9,
	"oktober": 10, "okt": 10, "october": 10, "oct": 10,
	"november": 11, "nov": 11, "nop": 11, "nopember": 11,
	"desember": 12, "des": 12, "december": 12, "dec": 12,
}

// LookupMonth returns the month for an Indonesian or English month name or
// abbreviation, in any case ("Agustus", "agt", "AUG").
func LookupMonth(name string) (time.Month, bool) {
	m, ok := months[strings.ToLower(name)]
	return m, ok
}

type token struct {
	text  string
	digit bool
}

// maxInput bounds the work done on absurd inputs; no date needs more.
const maxInput = 200

// tokenize splits the input into runs of ASCII digits and runs of letters.
// Spaces, '-', '/', '.' and ',' separate tokens; a change between digits and
// letters also does ("17agt85"). Any other character makes ok false.
func tokenize(s string) (toks []token, ok bool) {
	var cur strings.Builder
	curDigit := false
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, token{cur.String(), curDigit})
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if cur.Len() > 0 && !curDigit {
				flush()
			}
			curDigit = true
			cur.WriteRune(r)
		case unicode.IsLetter(r):
			if cur.Len() > 0 && curDigit {
				flush()
			}
			curDigit = false
			cur.WriteRune(unicode.ToLower(r))
		case r == '-' || r == '/' || r == '.' || r == ',' || unicode.IsSpace(r):
			flush()
		default:
			return nil, false
		}
	}
	flush()
	return toks, true
}

// Parse reads a date typed by a person and returns it at midnight in today's
// Location. Accepted: day-month-year with '-', '/', '.', or spaces between the
// parts; the month as a number or an Indonesian/English name or abbreviation
// ("17 Agustus 1985", "17 agt 85", "17-agu-1985", "August 17 1985"); ISO
// year-month-day ("1985-08-17"). Two-digit years are resolved with ResolveYear
// using minAge and maxAge. Parse does not check age limits: only that the date
// exists, is not after today and its year is at least MinYear.
func Parse(input string, today time.Time, minAge, maxAge int) (time.Time, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return time.Time{}, &Error{Code: Empty}
	}
	if len(s) > maxInput || !utf8.ValidString(s) {
		return time.Time{}, &Error{Code: Format}
	}
	toks, ok := tokenize(s)
	if !ok || len(toks) != 3 {
		if ok && len(toks) == 0 {
			return time.Time{}, &Error{Code: Empty}
		}
		return time.Time{}, &Error{Code: Format}
	}

	var dayTok, monTok, yearTok token
	switch {
	case toks[0].digit && toks[1].digit && toks[2].digit && len(toks[0].text) == 4:
		yearTok, monTok, dayTok = toks[0], toks[1], toks[2] // 1985-08-17
	case toks[0].digit && toks[2].digit:
		dayTok, monTok, yearTok = toks[0], toks[1], toks[2] // 17-08-1985, 17 Agustus 1985
	case !toks[0].digit && toks[1].digit && toks[2].digit:
		monTok, dayTok, yearTok = toks[0], toks[1], toks[2] // August 17 1985
	default:
		return time.Time{}, &Error{Code: Format}
	}
	if len(dayTok.text) > 2 || (len(yearTok.text) != 2 && len(yearTok.text) != 4) {
		return time.Time{}, &Error{Code: Format}
	}

	var month time.Month
	if monTok.digit {
		if len(monTok.text) > 2 {
			return time.Time{}, &Error{Code: Format}
		}
		n, _ := strconv.Atoi(monTok.text)
		if n < 1 || n > 12 {
			return time.Time{}, &Error{Code: Month, Got: n, Char: monTok.text}
		}
		month = time.Month(n)
	} else {
		m, ok := months[monTok.text]
		if !ok {
			return time.Time{}, &Error{Code: Month, Char: monTok.text}
		}
		month = m
	}

	day, _ := strconv.Atoi(dayTok.text)
	if day < 1 || day > 31 {
		return time.Time{}, &Error{Code: Day, Got: day}
	}
	year, _ := strconv.Atoi(yearTok.text)
	if len(yearTok.text) == 2 {
		year = ResolveYear(year, int(month), day, today, minAge, maxAge)
	} else if year < MinYear {
		return time.Time{}, &Error{Code: Format, Got: year}
	}
	if day > DaysIn(year, month) {
		return time.Time{}, &Error{Code: Day, Got: day}
	}
	d := time.Date(year, month, day, 0, 0, 0, 0, today.Location())
	if d.After(Midnight(today)) {
		return time.Time{}, &Error{Code: Future}
	}
	return d, nil
}

// DaysIn returns the number of days in the month of the (proleptic Gregorian) year.
func DaysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Midnight is the start of t's calendar day, in t's zone.
func Midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// WeekStart is the Monday of day's week, at midnight in day's zone.
func WeekStart(day time.Time) time.Time {
	y, m, d := day.Date()
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	return time.Date(y, m, d-back, 0, 0, 0, 0, day.Location())
}

// ResolveYear turns a two-digit year yy (0–99) into a full year: 2000+yy if a
// person born on that day/month of that year is aged within [minAge, maxAge]
// on today, else 1900+yy. Values outside 0–99 are returned unchanged.
func ResolveYear(yy, month, day int, today time.Time, minAge, maxAge int) int {
	if yy < 0 || yy > 99 {
		return yy
	}
	y := 2000 + yy
	// time.Date normalises an impossible day (29-02 of a common year) to the
	// next day; close enough to pick a century, Parse then rejects the date.
	birth := time.Date(y, time.Month(month), day, 0, 0, 0, 0, today.Location())
	if a := Age(birth, today); a >= minAge && a <= maxAge {
		return y
	}
	return 1900 + yy
}

// Age returns the completed years between birth and today, comparing calendar
// dates (each in its own Location). Someone born on 29 February becomes a year
// older on 1 March in common years. Negative if birth is after today.
func Age(birth, today time.Time) int {
	by, bm, bd := birth.Date()
	ty, tm, td := today.Date()
	age := ty - by
	if tm < bm || (tm == bm && td < bd) {
		age--
	}
	return age
}

// MinuteOfDay reads a time of day, "21:00" or "21.00", as minutes after midnight.
func MinuteOfDay(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.ReplaceAll(s, ".", ":"), ":")
	if !ok {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}

// ErrWhen is the error of a time ParseWhen cannot read.
var ErrWhen = errors.New("not a time: write 26-11-2026 08.00, besok 08.00 or 08.00")

// ParseWhen reads a time to come (when to send a broadcast), in now's location: "08.00" or
// "08:00" (the next such time), "besok 08.00" / "tomorrow 08:00",
// "26-11-2026 08.00", "26/11 08.00" (this year, or next if passed).
func ParseWhen(in string, now time.Time) (time.Time, error) {
	f := strings.Fields(strings.ToLower(strings.TrimSpace(in)))
	if len(f) == 0 || len(f) > 2 {
		return time.Time{}, ErrWhen
	}
	clock, ok := MinuteOfDay(f[len(f)-1])
	if !ok {
		return time.Time{}, ErrWhen
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	at := func(d time.Time) time.Time { return d.Add(time.Duration(clock) * time.Minute) }
	if len(f) == 1 {
		if t := at(day); t.After(now) {
			return t, nil
		}
		return at(day.AddDate(0, 0, 1)), nil
	}
	switch f[0] {
	case "besok", "tomorrow":
		return at(day.AddDate(0, 0, 1)), nil
	case "hari", "hariini", "today":
		return at(day), nil
	}
	parts := strings.FieldsFunc(f[0], func(r rune) bool { return r == '-' || r == '/' || r == '.' })
	if len(parts) < 2 || len(parts) > 3 {
		return time.Time{}, ErrWhen
	}
	var nums []int
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return time.Time{}, ErrWhen
		}
		nums = append(nums, n)
	}
	year := now.Year()
	if len(nums) == 3 {
		year = nums[2]
		if year < 100 {
			year += 2000
		}
	}
	d := time.Date(year, time.Month(nums[1]), nums[0], 0, 0, 0, 0, now.Location())
	if d.Day() != nums[0] || int(d.Month()) != nums[1] || year < now.Year() || year > now.Year()+1 {
		return time.Time{}, ErrWhen
	}
	if len(nums) == 2 && at(d).Before(now) {
		d = d.AddDate(1, 0, 0)
	}
	return at(d), nil
}
