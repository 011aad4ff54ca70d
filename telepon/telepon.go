// Package telepon normalises Indonesian mobile numbers typed in a chat to
// E.164 ("+6281234567890") and formats them for display.
//
// The national significant number of an Indonesian mobile number is 8[1-35-9]
// followed by 7–10 digits (libphonenumber metadata for ID), so numbers written
// with a leading 0 are 10–13 digits. "+62", "62" and "0" are the same prefix.
//
// The package holds no user-facing text: every failure is an *Error whose Code the
// caller maps to a translated message.
package telepon

import (
	"strconv"
	"strings"
	"unicode"
)

// Code identifies why a number was rejected.
type Code string

// Error codes returned by Normalize.
const (
	Empty     Code = "empty"      // nothing typed
	Chars     Code = "chars"      // Char = first character that is not a digit, separator or leading '+'
	NotMobile Code = "not_mobile" // not an Indonesian mobile number (landline 021…, 084…, foreign +65…)
	TooShort  Code = "too_short"  // Got = digits in national form with leading 0 (fewer than 10)
	TooLong   Code = "too_long"   // Got = digits in national form with leading 0 (more than 13)
)

// Error is the error returned by Normalize. Callers use errors.As.
type Error struct {
	Code Code
	Got  int    // TooShort, TooLong: digit count in national form with the leading 0
	Char string // Chars: the offending character
}

// Fields gives the error's code and details, for callers that turn errors
// of several packages into messages the same way.
func (e *Error) Fields() (code string, got int, char string) { return string(e.Code), e.Got, e.Char }

func (e *Error) Error() string {
	s := "telepon: " + string(e.Code)
	if e.Char != "" {
		s += " " + strconv.Quote(e.Char)
	}
	if e.Got != 0 {
		s += " (" + strconv.Itoa(e.Got) + " digits)"
	}
	return s
}

// National number length limits, counting the leading 0.
const (
	MinDigits = 10
	MaxDigits = 13
)

// Normalize reads a mobile number typed by a person and returns it in E.164
// form. Accepted: "0812…", "+62812…", "62812…", "812…", "(0812) 3456-7890",
// with spaces, dashes, dots and parentheses anywhere; a '+' only first; a
// superfluous 0 after the country code ("+62 0812…", "+62 (0)812…").
func Normalize(input string) (string, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", &Error{Code: Empty}
	}
	var b strings.Builder
	plus := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == '-' || r == '.' || r == '(' || r == ')' || unicode.IsSpace(r):
		default:
			return "", &Error{Code: Chars, Char: string(r)}
		}
	}
	d := b.String()
	if d == "" {
		return "", &Error{Code: Empty} // only separators or a lone '+'
	}
	var nsn string // national significant number
	switch {
	case plus && d == "6":
		return "", &Error{Code: TooShort, Got: 1}
	case plus && !strings.HasPrefix(d, "62"):
		return "", &Error{Code: NotMobile} // another country
	case strings.HasPrefix(d, "62"):
		nsn = strings.TrimPrefix(d[2:], "0")
	case d[0] == '0':
		nsn = d[1:]
	default:
		nsn = d
	}
	got := len(nsn) + 1
	switch {
	case nsn == "":
		return "", &Error{Code: TooShort, Got: got}
	case nsn[0] != '8':
		return "", &Error{Code: NotMobile}
	case len(nsn) == 1:
		return "", &Error{Code: TooShort, Got: got}
	case nsn[1] == '0' || nsn[1] == '4':
		return "", &Error{Code: NotMobile}
	case got < MinDigits:
		return "", &Error{Code: TooShort, Got: got}
	case got > MaxDigits:
		return "", &Error{Code: TooLong, Got: got}
	}
	return "+62" + nsn, nil
}

// national returns "0812…" for a valid E.164 Indonesian mobile number.
func national(e164 string) (string, bool) {
	n, err := Normalize(e164)
	if err != nil || n != e164 {
		return "", false
	}
	return "0" + n[3:], true
}

// Format returns the number in national form grouped 4-4-rest:
// "+6281234567890" -> "0812-3456-7890". Anything that is not a valid E.164
// Indonesian mobile number (as returned by Normalize) comes back unchanged.
func Format(e164 string) string {
	n, ok := national(e164)
	if !ok {
		return e164
	}
	return n[:4] + "-" + n[4:8] + "-" + n[8:]
}

// Mask returns the national form with everything but the first and last four
// digits hidden: "+6281234567890" -> "0812-••••-7890" (the middle group has one
// • per hidden digit, 2–5). Anything that is not a valid E.164 Indonesian
// mobile number comes back with every digit replaced by •.
func Mask(e164 string) string {
	n, ok := national(e164)
	if !ok {
		var b strings.Builder
		for _, r := range e164 {
			if r >= '0' && r <= '9' {
				r = '•'
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	return n[:4] + "-" + strings.Repeat("•", len(n)-8) + "-" + n[len(n)-4:]
}
