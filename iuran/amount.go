package iuran

import (
	"strconv"
	"strings"
	"unicode"
)

// AmountCode says why a typed amount was not understood.
type AmountCode string

// Amount error codes.
const (
	AmountEmpty    AmountCode = "empty"
	AmountChars    AmountCode = "chars"     // a character that has no place in an amount
	AmountFormat   AmountCode = "format"    // digits and separators that do not make a number
	AmountTooLarge AmountCode = "too_large" // more than a billion Rupiah a month
)

// AmountError is returned by ParseAmount.
type AmountError struct {
	Code AmountCode
	Char string
}

// Fields gives the error's code and details (Got is always 0).
func (e *AmountError) Fields() (code string, got int, char string) { return string(e.Code), 0, e.Char }

func (e *AmountError) Error() string {
	if e.Char != "" {
		return "amount: " + string(e.Code) + " " + strconv.Quote(e.Char)
	}
	return "amount: " + string(e.Code)
}

const maxAmount = 1_000_000_000

var amountUnits = map[string]int64{
	"": 1, "rp": 1, "rupiah": 1, "idr": 1,
	"rb": 1_000, "ribu": 1_000, "k": 1_000,
	"jt": 1_000_000, "juta": 1_000_000, "m": 1_000_000, "mio": 1_000_000, "million": 1_000_000,
}

// ParseAmount reads a monthly income as people type it: "1.500.000",
// "Rp 1.500.000", "1500000", "1,5 juta", "1.5 jt", "2 juta", "800rb",
// "800 ribu", "800k". A dot or comma followed by exactly three digits groups
// thousands; otherwise it is the decimal mark (only before a unit).
func ParseAmount(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/bulan"), "/bln")
	s = dropFillers(s)
	if s == "" {
		return 0, &AmountError{Code: AmountEmpty}
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "rp"))
	s = strings.TrimPrefix(s, ".")
	// Split the number from a trailing unit word.
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) })
	num, unit := s, ""
	if i >= 0 {
		num, unit = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i:])
	}
	mult, ok := amountUnits[strings.TrimSuffix(unit, ".")]
	if !ok {
		// Name the first word that is not a unit ("2 juta kotor": "kotor").
		for _, w := range strings.Fields(unit) {
			if _, known := amountUnits[strings.TrimSuffix(w, ".")]; known {
				continue
			}
			for _, r := range w {
				if !unicode.IsLetter(r) {
					return 0, &AmountError{Code: AmountChars, Char: string(r)}
				}
			}
			return 0, &AmountError{Code: AmountChars, Char: w}
		}
		return 0, &AmountError{Code: AmountChars, Char: unit}
	}
	num = strings.ReplaceAll(num, " ", "")
	if num == "" {
		return 0, &AmountError{Code: AmountFormat}
	}
	for _, r := range num {
		if !unicode.IsDigit(r) && r != '.' && r != ',' {
			return 0, &AmountError{Code: AmountChars, Char: string(r)}
		}
		if r > unicode.MaxASCII {
			return 0, &AmountError{Code: AmountChars, Char: string(r)}
		}
	}
	whole, frac, err := splitNumber(num)
	if err != nil {
		return 0, err
	}
	if frac != "" && mult == 1 {
		// Rupiah has no cents in everyday use: "1.500,00" → drop zeros only.
		if strings.Trim(frac, "0") != "" {
			return 0, &AmountError{Code: AmountFormat}
		}
		frac = ""
	}
	if len(whole) > 12 {
		return 0, &AmountError{Code: AmountTooLarge}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, &AmountError{Code: AmountFormat}
	}
	if len(frac) > 6 {
		frac = frac[:6]
	}
	v := w * mult
	if frac != "" {
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return 0, &AmountError{Code: AmountFormat}
		}
		scale := int64(1)
		for range len(frac) {
			scale *= 10
		}
		v += f * mult / scale
	}
	if v > maxAmount || w > maxAmount {
		return 0, &AmountError{Code: AmountTooLarge}
	}
	return v, nil
}

// fillers are the words people put around an amount that change nothing:
// "sekitar 2 juta", "kira-kira 1,5 jt", "2 jutaan sebulan", "about 1 million".
var fillers = map[string]bool{
	"sekitar": true, "kira-kira": true, "kira": true, "kurang": true, "lebih": true, "dari": true, "kurleb": true,
	"paling": true, "sekitaran": true, "rata-rata": true, "rata": true, "biasanya": true, "±": true, "~": true,
	"sebulan": true, "perbulan": true, "per": true, "bulan": true, "bln": true, "an": true,
	"about": true, "around": true, "approximately": true, "roughly": true, "a": true, "month": true,
}

// dropFillers removes the filler words of an amount and the "-an" of
// "jutaan" and "ribuan" ("2 jutaan" is "2 juta").
func dropFillers(s string) string {
	var kept []string
	for _, w := range strings.Fields(s) {
		if fillers[w] {
			continue
		}
		for _, unit := range []string{"juta", "jt", "ribu", "rb"} {
			if rest, ok := strings.CutSuffix(w, unit+"an"); ok {
				w = rest + unit
			}
		}
		kept = append(kept, w)
	}
	return strings.Join(kept, " ")
}

// splitNumber separates thousands groups and a decimal part.
func splitNumber(num string) (whole, frac string, err error) {
	seps := strings.FieldsFunc(num, func(r rune) bool { return r == '.' || r == ',' })
	if len(seps) == 0 || strings.HasSuffix(num, ".") || strings.HasSuffix(num, ",") ||
		strings.HasPrefix(num, ",") || strings.Contains(num, "..") || strings.Contains(num, ",,") {
		return "", "", &AmountError{Code: AmountFormat}
	}
	if len(seps) == 1 {
		return seps[0], "", nil
	}
	// Every group after the first has three digits: thousands separators only.
	grouped := len(seps[0]) <= 3
	for _, g := range seps[1:] {
		grouped = grouped && len(g) == 3
	}
	if grouped {
		return strings.Join(seps, ""), "", nil
	}
	// Otherwise the last separator is the decimal mark and the ones before group thousands.
	last := seps[len(seps)-1]
	head := seps[:len(seps)-1]
	if len(head[0]) > 3 && len(head) > 1 {
		return "", "", &AmountError{Code: AmountFormat}
	}
	for _, g := range head[1:] {
		if len(g) != 3 {
			return "", "", &AmountError{Code: AmountFormat}
		}
	}
	return strings.Join(head, ""), last, nil
}
