// Package nama checks a person's name as written on the KTP and formats it for
// display.
//
// The package holds no user-facing text: every failure is an *Error whose Code the
// caller maps to a translated message.
package nama

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Code identifies why a name was rejected. Parse checks in the order listed.
type Code string

// Error codes returned by Parse.
const (
	Empty     Code = "empty"      // nothing typed
	Chars     Code = "chars"      // Char = first character not allowed (a digit, '@', a hyphen not between letters…)
	TooShort  Code = "too_short"  // Got = rune count (fewer than MinLen)
	TooLong   Code = "too_long"   // Got = rune count (more than MaxLen)
	NoLetters Code = "no_letters" // fewer than MinLetters letters ("...", "A.'")
)

// Limits on a name, counted in runes after trimming and collapsing spaces.
const (
	MinLen     = 3
	MaxLen     = 100
	MinLetters = 2
)

// Error is the error returned by Parse. Callers use errors.As.
type Error struct {
	Code Code
	Got  int    // TooShort, TooLong: rune count
	Char string // Chars: the offending character
}

// Fields gives the error's code and details, for callers that turn errors
// of several packages into messages the same way.
func (e *Error) Fields() (code string, got int, char string) { return string(e.Code), e.Got, e.Char }

func (e *Error) Error() string {
	s := "nama: " + string(e.Code)
	if e.Char != "" {
		s += " " + strconv.Quote(e.Char)
	}
	if e.Got != 0 {
		s += " (" + strconv.Itoa(e.Got) + ")"
	}
	return s
}

// letterish reports whether r is a letter or a combining mark (part of a
// letter typed in decomposed form, "e\u0301").
func letterish(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.M, r)
}

// Parse checks a name and returns it as typed: trimmed, every run of inner
// whitespace collapsed to one space, case unchanged. Allowed: letters (any
// script; combining marks after a letter), spaces, apostrophes (' and ’), dots,
// and a hyphen with a letter directly on both sides.
func Parse(input string) (string, error) {
	name := strings.Join(strings.Fields(input), " ")
	if name == "" {
		return "", &Error{Code: Empty}
	}
	rs := []rune(name)
	letters := 0
	for i, r := range rs {
		ok := false
		switch {
		case r == utf8.RuneError:
			// invalid UTF-8 or a literal U+FFFD: never part of a name
		case unicode.IsLetter(r):
			ok = true
			letters++
		case unicode.Is(unicode.M, r):
			ok = i > 0 && letterish(rs[i-1])
		case r == ' ' || r == '\'' || r == '’' || r == '.':
			ok = true
		case r == '-':
			ok = i > 0 && i < len(rs)-1 && letterish(rs[i-1]) && unicode.IsLetter(rs[i+1])
		}
		if !ok {
			return "", &Error{Code: Chars, Char: string(r)}
		}
	}
	switch n := len(rs); {
	case n < MinLen:
		return "", &Error{Code: TooShort, Got: n}
	case n > MaxLen:
		return "", &Error{Code: TooLong, Got: n}
	}
	if letters < MinLetters {
		return "", &Error{Code: NoLetters}
	}
	return name, nil
}

// Display returns the name in title case: the first letter of each word upper
// case, the rest lower case. A word starts at the beginning, after a space, a
// hyphen or a dot; not after an apostrophe. "SITI nur'AINI" -> "Siti Nur'aini",
// "muhammad a. rahman" -> "Muhammad A. Rahman", "siti-AMINAH" -> "Siti-Aminah".
func Display(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	start := true
	for _, r := range name {
		switch {
		case unicode.IsLetter(r):
			if start {
				b.WriteRune(unicode.ToTitle(r))
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
			start = false
		case r == ' ' || r == '-' || r == '.':
			b.WriteRune(r)
			start = true
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
