package roster

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/tanggal"
	"github.com/lindungi/lindungi/telepon"
	"github.com/lindungi/lindungi/wilayah"
)

// Validator checks rows with the chat's rules. It is safe for concurrent use.
type Validator struct {
	regions        *wilayah.Data
	province       string
	today          time.Time
	minAge, maxAge int

	mu    sync.Mutex
	found map[foundKey]foundRegion // region searches done, bounded by maxFound
}

// maxFound bounds the search cache: a province's list repeats a few
// thousand spellings of its villages, districts and regencies; past this
// many the cache starts over.
const maxFound = 50_000

type foundKey struct {
	level  wilayah.Level
	parent string // the regency of a district, the district of a village
	text   string
}

type foundRegion struct {
	code    string
	problem Msg // Key "" when found
}

// NewValidator returns a Validator. province is the dotted code of the
// province whose regencies are searched first ("61"; "" searches the whole
// country); today fixes ages and the century of two-digit years; minAge and
// maxAge are the programme's age limits (inclusive), as in the chat.
func NewValidator(regions *wilayah.Data, province string, today time.Time, minAge, maxAge int) *Validator {
	return &Validator{regions: regions, province: province, today: today, minAge: minAge, maxAge: maxAge,
		found: make(map[foundKey]foundRegion)}
}

// Check validates a row and returns the worker, or the first problem found
// (columns checked in the order NIK, Nama, Tanggal Lahir, Jenis Kelamin, No HP,
// wilayah, Pekerjaan, RT, RW, KPJ, Penghasilan). Every cell is trimmed of
// spaces of any kind first.
func (v *Validator) Check(raw Row) (Worker, *Problem) {
	var cell [NumColumns]string
	for c := range NumColumns {
		cell[c] = clean(raw.Cells[c])
	}
	w := Worker{Line: raw.Line}
	fail := func(c Column, m Msg) (Worker, *Problem) {
		return Worker{}, &Problem{Line: raw.Line, Column: c.String(), Msg: m}
	}

	k, m := v.nik(cell[ColNIK], raw.Numeric[ColNIK])
	if m.Key != "" {
		return fail(ColNIK, m)
	}
	w.NIK, w.BirthDate, w.Female = k.Digits, k.BirthDate, k.Female

	name, err := nama.Parse(cell[ColName])
	if err != nil {
		return fail(ColName, nameProblem(err))
	}
	w.Name = name

	if s := cell[ColBirthDate]; s != "" && !noValue(s) {
		d, m := v.birthDate(s, raw.Numeric[ColBirthDate])
		if m.Key != "" {
			return fail(ColBirthDate, m)
		}
		if d.Day() != k.BirthDate.Day() || d.Month() != k.BirthDate.Month() || d.Year()%100 != k.BirthDate.Year()%100 {
			return fail(ColBirthDate, msg("birth_date_mismatch", "Written", d, "FromNIK", k.BirthDate))
		}
		w.BirthDate = d // the full year written wins over the NIK's guessed century
	}
	if age := tanggal.Age(w.BirthDate, v.today); age < v.minAge || age > v.maxAge {
		return fail(ColBirthDate, msg("age", "Age", age, "Born", w.BirthDate, "Min", v.minAge, "Max", v.maxAge))
	}

	if s := cell[ColSex]; s != "" && !noValue(s) {
		female, ok := parseSex(s)
		if !ok {
			return fail(ColSex, msg("sex_unknown", "Text", quote(s)))
		}
		if female != k.Female {
			return fail(ColSex, msg("sex_mismatch", "Female", female, "NIKFemale", k.Female))
		}
	}

	if s := cell[ColPhone]; s != "" && !noValue(s) && strings.Trim(s, "0") != "" {
		phone, m := phoneNumber(s, raw.Numeric[ColPhone])
		if m.Key != "" {
			return fail(ColPhone, m)
		}
		w.Phone = phone
	}

	for _, c := range [...]Column{ColRegency, ColDistrict, ColVillage} {
		if noValue(cell[c]) {
			cell[c] = ""
		}
	}
	p := v.resolvePlace(cell[ColRegency], cell[ColDistrict], cell[ColVillage])
	if p.problem.Key != "" {
		return fail(p.col, p.problem)
	}
	w.Province, w.Regency, w.District, w.Village = p.province, p.regency, p.district, p.village

	w.Occupation, w.OccupationOther = matchOccupation(cell[ColOccupation])

	rt, rw, col, m := rtRW(cell[ColRT], cell[ColRW])
	if m.Key != "" {
		return fail(col, m)
	}
	w.RT, w.RW = rt, rw

	if s := cell[ColKPJ]; s != "" && !noValue(s) {
		kpj, m := kpjNumber(s, raw.Numeric[ColKPJ])
		if m.Key != "" {
			return fail(ColKPJ, m)
		}
		w.KPJ = kpj
	}

	if s := cell[ColIncome]; s != "" && !noValue(s) {
		n, m := income(s, raw.Numeric[ColIncome])
		if m.Key != "" {
			return fail(ColIncome, m)
		}
		w.Income = n
	}
	return w, nil
}

// nik checks the NIK cell: spreadsheet damage first, then nik.Parse.
func (v *Validator) nik(s string, numeric bool) (nik.NIK, Msg) {
	s = stripQuote(s)
	if s == "" || noValue(s) {
		return nik.NIK{}, empty(ColNIK)
	}
	if _, _, _, ok := sciNumber(s); ok {
		return nik.NIK{}, msg(KeyExcelNIK)
	}
	digits := make([]byte, 0, 16)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	if numeric {
		// A number cell keeps 15 significant digits: a 16-digit NIK has its
		// last digit zeroed, and only a last digit other than 0 proves the
		// number exact (written by a program, not typed in Excel).
		s = trimPointZero(s)
		if allDigits(s) && len(s) == nik.Len && s[nik.Len-1] == '0' {
			return nik.NIK{}, msg(KeyExcelNIK)
		}
	}
	if len(digits) == nik.Len && string(digits[12:]) == "0000" {
		return nik.NIK{}, msg(KeyExcelNIK)
	}
	k, err := nik.Parse(s, v.regions, v.today, v.minAge, v.maxAge)
	if err == nil {
		return k, Msg{}
	}
	var e *nik.Error
	if !errors.As(err, &e) {
		return nik.NIK{}, msg("nik_unreadable")
	}
	switch e.Code {
	case nik.Empty:
		return nik.NIK{}, empty(ColNIK)
	case nik.NotDigits:
		return nik.NIK{}, msg("nik_not_digits", "Char", quote(e.Char))
	case nik.Length:
		return nik.NIK{}, msg("nik_length", "Got", e.Got)
	case nik.Province:
		return nik.NIK{}, msg("nik_province", "Digits", e.Char)
	case nik.Regency:
		return nik.NIK{}, msg("nik_regency", "Digits", e.Char)
	case nik.District:
		return nik.NIK{}, msg("nik_district", "Digits", e.Char)
	case nik.BirthDate:
		return nik.NIK{}, msg("nik_birth_date", "Digits", e.Char)
	case nik.Serial:
		return nik.NIK{}, msg(KeyExcelNIK)
	}
	return nik.NIK{}, msg("nik_invalid", "Code", string(e.Code))
}

func nameProblem(err error) Msg {
	var e *nama.Error
	if !errors.As(err, &e) {
		return msg("name_unreadable")
	}
	switch e.Code {
	case nama.Empty:
		return empty(ColName)
	case nama.TooShort:
		return msg("name_too_short", "Got", e.Got, "Min", nama.MinLen)
	case nama.TooLong:
		return msg("name_too_long", "Got", e.Got, "Max", nama.MaxLen)
	case nama.Chars:
		return msg("name_chars", "Char", quote(e.Char))
	case nama.NoLetters:
		return msg("name_no_letters")
	}
	return msg("name_invalid", "Code", string(e.Code))
}

// birthDate reads the birth date cell: a date serial (an XLSX date cell, or
// a bare 5-digit number in a CSV) or a date as tanggal.Parse reads it.
func (v *Validator) birthDate(s string, numeric bool) (time.Time, Msg) {
	if d, ok := excelSerial(s, v.today.Location()); ok {
		return d, Msg{}
	}
	if numeric {
		return time.Time{}, msg("birth_date_number", "Text", quote(s))
	}
	s = dropTime(s)
	if allDigits(s) && (len(s) == 6 || len(s) == 8) {
		s = s[:2] + "-" + s[2:4] + "-" + s[4:] // ddmmyy, ddmmyyyy
	}
	d, err := tanggal.Parse(s, v.today, v.minAge, v.maxAge)
	if err == nil {
		return d, Msg{}
	}
	var e *tanggal.Error
	if !errors.As(err, &e) {
		return time.Time{}, msg("birth_date_unreadable")
	}
	switch e.Code {
	case tanggal.Month:
		return time.Time{}, msg("birth_date_month", "Month", quote(e.Char))
	case tanggal.Day:
		return time.Time{}, msg("birth_date_day", "Text", quote(s))
	case tanggal.Future:
		return time.Time{}, msg("birth_date_future", "Text", quote(s))
	}
	return time.Time{}, msg("birth_date_format", "Text", quote(s))
}

// parseSex reads the sex column: L/P, laki-laki/perempuan, pria/wanita,
// M/F, male/female, or the civil registry's 1/2.
func parseSex(s string) (female, ok bool) {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "l", "lk", "laki", "lakilaki", "lakilak", "pria", "m", "male", "man", "1":
		return false, true
	case "p", "pr", "pr.", "perempuan", "wanita", "w", "f", "female", "woman", "2":
		return true, true
	}
	return false, false
}

// phoneNumber normalises a phone cell, reading through what Excel does to a
// number typed in a number cell: the leading 0 dropped ("81234567890"),
// exponent notation ("8.1234567890E+10"), a zero fraction.
func phoneNumber(s string, numeric bool) (string, Msg) {
	s = stripQuote(s)
	if _, _, _, ok := sciNumber(s); ok {
		d, exact := expandSci(s)
		if !exact {
			return "", msg("phone_excel")
		}
		s = d
	} else if numeric || allDigits(strings.TrimSuffix(s, ".0")) {
		s = trimPointZero(s)
	}
	e164, err := telepon.Normalize(s)
	if err == nil {
		return e164, Msg{}
	}
	var e *telepon.Error
	if !errors.As(err, &e) {
		return "", msg("phone_unreadable")
	}
	switch e.Code {
	case telepon.Chars:
		return "", msg("phone_chars", "Char", quote(e.Char))
	case telepon.NotMobile:
		return "", msg("phone_not_mobile")
	case telepon.TooShort:
		return "", msg("phone_too_short", "Got", e.Got)
	case telepon.TooLong:
		return "", msg("phone_too_long", "Got", e.Got)
	}
	return "", msg("phone_invalid", "Code", string(e.Code))
}

// rtRW reads the RT and RW cells ("3", "03", "RT 003", or "003/005" in the RT
// cell when the RW cell is empty) into three digits; 0 means none.
func rtRW(rtIn, rwIn string) (rt, rw string, bad Column, problem Msg) {
	rtNums, rtOK := numbersIn(rtIn)
	rwNums, rwOK := numbersIn(rwIn)
	if rtOK && rwOK && len(rtNums) == 2 && len(rwNums) == 0 {
		rtNums, rwNums = rtNums[:1], rtNums[1:]
	}
	if !rtOK || len(rtNums) > 1 || len(rtNums) == 1 && rtNums[0] > 999 {
		return "", "", ColRT, msg("rt", "Text", quote(rtIn))
	}
	if !rwOK || len(rwNums) > 1 || len(rwNums) == 1 && rwNums[0] > 999 {
		return "", "", ColRW, msg("rw", "Text", quote(rwIn))
	}
	three := func(ns []int) string {
		if len(ns) == 0 || ns[0] == 0 {
			return "" // "000" is how some lists say "none"
		}
		return fmt.Sprintf("%03d", ns[0])
	}
	return three(rtNums), three(rwNums), 0, Msg{}
}

// numbersIn lists the whole numbers in an RT/RW cell; ok is false if the
// cell has letters other than the words RT and RW.
func numbersIn(s string) ([]int, bool) {
	if s == "" || noValue(s) {
		return nil, true
	}
	s = strings.ToLower(trimPointZero(s))
	var ns []int
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n < 1_000_000 {
				n = n*10 + int(c-'0')
			}
			in = true
			continue
		case c == 'r' && i+1 < len(s) && (s[i+1] == 't' || s[i+1] == 'w'):
			i++
		case c == ' ' || c == '/' || c == '.' || c == '-' || c == ':' || c == ',':
		default:
			return nil, false
		}
		if in {
			ns = append(ns, n)
			n, in = 0, false
		}
	}
	if in {
		ns = append(ns, n)
	}
	return ns, true
}

// kpjNumber checks a participant number: 8–16 digits (spaces, dots and
// dashes ignored).
func kpjNumber(s string, numeric bool) (string, Msg) {
	s = stripQuote(s)
	if _, _, _, ok := sciNumber(s); ok {
		return "", msg("kpj_excel")
	}
	if numeric {
		s = trimPointZero(s)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-':
		default:
			return "", msg("kpj_chars", "Char", quote(string(r)))
		}
	}
	d := b.String()
	if len(d) < 8 || len(d) > 16 {
		return "", msg("kpj_length", "Got", len(d))
	}
	return d, Msg{}
}

// income reads a monthly income with iuran.ParseAmount (a number cell is
// rounded to whole Rupiah).
func income(s string, numeric bool) (int64, Msg) {
	if numeric {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e12 {
			s = strconv.FormatInt(int64(math.Round(f)), 10)
		}
	}
	n, err := iuran.ParseAmount(s)
	if err == nil {
		return n, Msg{}
	}
	var e *iuran.AmountError
	if errors.As(err, &e) && e.Code == iuran.AmountTooLarge {
		return 0, msg("income_too_large", "Text", quote(s))
	}
	return 0, msg("income_unreadable", "Text", quote(s))
}

// cached returns what find says about a region's text, remembering it (the
// Msg is shared by every row that asks again: nobody changes it).
func (v *Validator) cached(k foundKey, find func() (string, Msg)) (string, Msg) {
	v.mu.Lock()
	r, ok := v.found[k]
	v.mu.Unlock()
	if ok {
		return r.code, r.problem
	}
	r.code, r.problem = find()
	v.mu.Lock()
	if len(v.found) >= maxFound {
		clear(v.found)
	}
	v.found[k] = r
	v.mu.Unlock()
	return r.code, r.problem
}
