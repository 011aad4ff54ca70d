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

type foundRegion struct{ code, reason string }

// NewValidator returns a Validator. province is the dotted code of the
// province whose regencies are searched first ("61"; "" searches the whole
// country); today fixes ages and the century of two-digit years; minAge and
// maxAge are the programme's age limits (inclusive), as in the chat.
func NewValidator(regions *wilayah.Data, province string, today time.Time, minAge, maxAge int) *Validator {
	return &Validator{regions: regions, province: province, today: today, minAge: minAge, maxAge: maxAge,
		found: make(map[foundKey]foundRegion)}
}

// ExcelNIK is the reason given for a NIK a spreadsheet stored as a number.
const ExcelNIK = "NIK rusak oleh Excel (tersimpan sebagai angka): ketik ulang sebagai teks"

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
	fail := func(c Column, reason string) (Worker, *Problem) {
		return Worker{}, &Problem{Line: raw.Line, Column: c.String(), Reason: reason}
	}

	k, reason := v.nik(cell[ColNIK], raw.Numeric[ColNIK])
	if reason != "" {
		return fail(ColNIK, reason)
	}
	w.NIK, w.BirthDate, w.Female = k.Digits, k.BirthDate, k.Female

	name, err := nama.Parse(cell[ColName])
	if err != nil {
		return fail(ColName, nameReason(err))
	}
	w.Name = name

	if s := cell[ColBirthDate]; s != "" && !noValue(s) {
		d, reason := v.birthDate(s, raw.Numeric[ColBirthDate])
		if reason != "" {
			return fail(ColBirthDate, reason)
		}
		if d.Day() != k.BirthDate.Day() || d.Month() != k.BirthDate.Month() || d.Year()%100 != k.BirthDate.Year()%100 {
			return fail(ColBirthDate, "Tanggal lahir "+longDate(d)+" tidak cocok dengan NIK (angka 7–12 NIK menunjukkan "+
				longDate(k.BirthDate)+"). Periksa NIK dan tanggal lahirnya.")
		}
		w.BirthDate = d // the full year written wins over the NIK's guessed century
	}
	if age := tanggal.Age(w.BirthDate, v.today); age < v.minAge || age > v.maxAge {
		return fail(ColBirthDate, fmt.Sprintf("Umur %d tahun (lahir %s). Peserta harus berumur %d sampai %d tahun.",
			age, longDate(w.BirthDate), v.minAge, v.maxAge))
	}

	if s := cell[ColSex]; s != "" && !noValue(s) {
		female, ok := parseSex(s)
		if !ok {
			return fail(ColSex, "Jenis kelamin "+quote(s)+" tidak dikenal. Tulis L (laki-laki) atau P (perempuan).")
		}
		if female != k.Female {
			return fail(ColSex, "Jenis kelamin "+sexWord(female)+" tidak cocok dengan NIK, yang menunjukkan "+sexWord(k.Female)+
				" (pada NIK perempuan, tanggal lahir ditambah 40). Periksa NIK dan jenis kelaminnya.")
		}
	}

	if s := cell[ColPhone]; s != "" && !noValue(s) && strings.Trim(s, "0") != "" {
		phone, reason := phoneNumber(s, raw.Numeric[ColPhone])
		if reason != "" {
			return fail(ColPhone, reason)
		}
		w.Phone = phone
	}

	for _, c := range [...]Column{ColRegency, ColDistrict, ColVillage} {
		if noValue(cell[c]) {
			cell[c] = ""
		}
	}
	p := v.resolvePlace(cell[ColRegency], cell[ColDistrict], cell[ColVillage])
	if p.reason != "" {
		return fail(p.col, p.reason)
	}
	w.Province, w.Regency, w.District, w.Village = p.province, p.regency, p.district, p.village

	w.Occupation, w.OccupationOther = matchOccupation(cell[ColOccupation])

	rt, rw, col, reason := rtRW(cell[ColRT], cell[ColRW])
	if reason != "" {
		return fail(col, reason)
	}
	w.RT, w.RW = rt, rw

	if s := cell[ColKPJ]; s != "" && !noValue(s) {
		kpj, reason := kpjNumber(s, raw.Numeric[ColKPJ])
		if reason != "" {
			return fail(ColKPJ, reason)
		}
		w.KPJ = kpj
	}

	if s := cell[ColIncome]; s != "" && !noValue(s) {
		n, reason := income(s, raw.Numeric[ColIncome])
		if reason != "" {
			return fail(ColIncome, reason)
		}
		w.Income = n
	}
	return w, nil
}

// nik checks the NIK cell: spreadsheet damage first, then nik.Parse.
func (v *Validator) nik(s string, numeric bool) (nik.NIK, string) {
	s = stripQuote(s)
	if s == "" || noValue(s) {
		return nik.NIK{}, empty(ColNIK)
	}
	if _, _, _, ok := sciNumber(s); ok {
		return nik.NIK{}, ExcelNIK
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
			return nik.NIK{}, ExcelNIK
		}
	}
	if len(digits) == nik.Len && string(digits[12:]) == "0000" {
		return nik.NIK{}, ExcelNIK
	}
	k, err := nik.Parse(s, v.regions, v.today, v.minAge, v.maxAge)
	if err == nil {
		return k, ""
	}
	var e *nik.Error
	if !errors.As(err, &e) {
		return nik.NIK{}, "NIK tidak bisa dibaca."
	}
	switch e.Code {
	case nik.Empty:
		return nik.NIK{}, empty(ColNIK)
	case nik.NotDigits:
		return nik.NIK{}, "NIK hanya berisi angka; ada " + quote(e.Char) + " (huruf O dan angka 0 sering tertukar)."
	case nik.Length:
		return nik.NIK{}, fmt.Sprintf("NIK harus 16 angka; yang tertulis %d angka.", e.Got)
	case nik.Province:
		return nik.NIK{}, "Dua angka pertama NIK (" + e.Char + ") bukan kode provinsi. Periksa lagi NIK-nya."
	case nik.Regency:
		return nik.NIK{}, "Angka 1–4 NIK (" + e.Char + ") bukan kode kabupaten/kota yang ada. Periksa lagi NIK-nya."
	case nik.District:
		return nik.NIK{}, "Angka 1–6 NIK (" + e.Char + ") bukan kode kecamatan yang ada. Periksa lagi NIK-nya."
	case nik.BirthDate:
		return nik.NIK{}, "Angka 7–12 NIK (" + e.Char + ") harus tanggal lahir (hari, bulan, tahun; hari ditambah 40 untuk perempuan). Periksa lagi NIK-nya."
	case nik.Serial:
		return nik.NIK{}, ExcelNIK
	}
	return nik.NIK{}, "NIK tidak sah (" + string(e.Code) + ")."
}

func nameReason(err error) string {
	var e *nama.Error
	if !errors.As(err, &e) {
		return "Nama tidak bisa dibaca."
	}
	switch e.Code {
	case nama.Empty:
		return empty(ColName)
	case nama.TooShort:
		return fmt.Sprintf("Nama terlalu pendek (%d huruf); tulis nama lengkap seperti di KTP, minimal %d huruf.", e.Got, nama.MinLen)
	case nama.TooLong:
		return fmt.Sprintf("Nama terlalu panjang (%d huruf); paling banyak %d huruf.", e.Got, nama.MaxLen)
	case nama.Chars:
		return "Nama hanya boleh berisi huruf, spasi, titik, tanda petik, dan tanda hubung; " + quote(e.Char) + " tidak boleh."
	case nama.NoLetters:
		return "Nama harus berisi huruf."
	}
	return "Nama tidak sah (" + string(e.Code) + ")."
}

// birthDate reads the birth date cell: a date serial (an XLSX date cell, or
// a bare 5-digit number in a CSV) or a date as tanggal.Parse reads it.
func (v *Validator) birthDate(s string, numeric bool) (time.Time, string) {
	if d, ok := excelSerial(s, v.today.Location()); ok {
		return d, ""
	}
	if numeric {
		return time.Time{}, "Tanggal lahir tersimpan sebagai angka " + quote(s) + " yang bukan tanggal. Tulis hari-bulan-tahun, contoh 17-08-1985."
	}
	s = dropTime(s)
	if allDigits(s) && (len(s) == 6 || len(s) == 8) {
		s = s[:2] + "-" + s[2:4] + "-" + s[4:] // ddmmyy, ddmmyyyy
	}
	d, err := tanggal.Parse(s, v.today, v.minAge, v.maxAge)
	if err == nil {
		return d, ""
	}
	var e *tanggal.Error
	if !errors.As(err, &e) {
		return time.Time{}, "Tanggal lahir tidak bisa dibaca."
	}
	switch e.Code {
	case tanggal.Month:
		return time.Time{}, "Bulan " + quote(e.Char) + " di tanggal lahir tidak dikenal. Tulis angka 1–12 atau nama bulan, contoh 17-08-1985 atau 17 Agustus 1985."
	case tanggal.Day:
		return time.Time{}, "Tanggal lahir " + quote(s) + " tidak ada di kalender. Periksa hari dan bulannya."
	case tanggal.Future:
		return time.Time{}, "Tanggal lahir " + quote(s) + " sesudah hari ini."
	}
	return time.Time{}, "Tanggal lahir " + quote(s) + " tidak bisa dibaca. Tulis hari-bulan-tahun, contoh 17-08-1985 atau 17 Agustus 1985."
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

func sexWord(female bool) string {
	if female {
		return "perempuan"
	}
	return "laki-laki"
}

// phoneNumber normalises a phone cell, reading through what Excel does to a
// number typed in a number cell: the leading 0 dropped ("81234567890"),
// exponent notation ("8.1234567890E+10"), a zero fraction.
func phoneNumber(s string, numeric bool) (string, string) {
	s = stripQuote(s)
	if _, _, _, ok := sciNumber(s); ok {
		d, exact := expandSci(s)
		if !exact {
			return "", "Nomor HP rusak oleh Excel (tersimpan sebagai angka, angka terakhirnya hilang): ketik ulang sebagai teks, contoh 0812-3456-7890."
		}
		s = d
	} else if numeric || allDigits(strings.TrimSuffix(s, ".0")) {
		s = trimPointZero(s)
	}
	e164, err := telepon.Normalize(s)
	if err == nil {
		return e164, ""
	}
	var e *telepon.Error
	if !errors.As(err, &e) {
		return "", "Nomor HP tidak bisa dibaca."
	}
	switch e.Code {
	case telepon.Chars:
		return "", "Nomor HP hanya berisi angka; " + quote(e.Char) + " tidak boleh. Tulis satu nomor saja, contoh 0812-3456-7890."
	case telepon.NotMobile:
		return "", "Itu bukan nomor HP Indonesia. Nomor HP dimulai dengan 08 atau +628; kosongkan jika tidak ada."
	case telepon.TooShort:
		return "", fmt.Sprintf("Nomor HP terlalu pendek (%d angka). Nomor HP 10–13 angka, dimulai 08.", e.Got)
	case telepon.TooLong:
		return "", fmt.Sprintf("Nomor HP terlalu panjang (%d angka). Nomor HP 10–13 angka, dimulai 08.", e.Got)
	}
	return "", "Nomor HP tidak sah (" + string(e.Code) + ")."
}

// rtRW reads the RT and RW cells ("3", "03", "RT 003", or "003/005" in the RT
// cell when the RW cell is empty) into three digits; 0 means none.
func rtRW(rtIn, rwIn string) (rt, rw string, bad Column, reason string) {
	rtNums, rtOK := numbersIn(rtIn)
	rwNums, rwOK := numbersIn(rwIn)
	if rtOK && rwOK && len(rtNums) == 2 && len(rwNums) == 0 {
		rtNums, rwNums = rtNums[:1], rtNums[1:]
	}
	if !rtOK || len(rtNums) > 1 || len(rtNums) == 1 && rtNums[0] > 999 {
		return "", "", ColRT, "RT harus angka 1–999; yang tertulis " + quote(rtIn) + "."
	}
	if !rwOK || len(rwNums) > 1 || len(rwNums) == 1 && rwNums[0] > 999 {
		return "", "", ColRW, "RW harus angka 1–999; yang tertulis " + quote(rwIn) + "."
	}
	three := func(ns []int) string {
		if len(ns) == 0 || ns[0] == 0 {
			return "" // "000" is how some lists say "none"
		}
		return fmt.Sprintf("%03d", ns[0])
	}
	return three(rtNums), three(rwNums), 0, ""
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
func kpjNumber(s string, numeric bool) (string, string) {
	s = stripQuote(s)
	if _, _, _, ok := sciNumber(s); ok {
		return "", "KPJ rusak oleh Excel (tersimpan sebagai angka): ketik ulang sebagai teks"
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
			return "", "KPJ hanya berisi angka; " + quote(string(r)) + " tidak boleh."
		}
	}
	d := b.String()
	if len(d) < 8 || len(d) > 16 {
		return "", fmt.Sprintf("KPJ harus 8–16 angka; yang tertulis %d angka.", len(d))
	}
	return d, ""
}

// income reads a monthly income with iuran.ParseAmount (a number cell is
// rounded to whole Rupiah).
func income(s string, numeric bool) (int64, string) {
	if numeric {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e12 {
			s = strconv.FormatInt(int64(math.Round(f)), 10)
		}
	}
	n, err := iuran.ParseAmount(s)
	if err == nil {
		return n, ""
	}
	var e *iuran.AmountError
	if errors.As(err, &e) && e.Code == iuran.AmountTooLarge {
		return 0, "Penghasilan " + quote(s) + " terlalu besar untuk sebulan. Periksa angkanya."
	}
	return 0, "Penghasilan " + quote(s) + " tidak bisa dibaca. Tulis angka rupiah sebulan, contoh 1.500.000 atau 1,5 juta."
}

var monthNames = [...]string{"", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
	"September", "Oktober", "November", "Desember"}

// longDate formats a date the way the chat shows it: "5 Agustus 1990".
func longDate(t time.Time) string {
	return strconv.Itoa(t.Day()) + " " + monthNames[t.Month()] + " " + strconv.Itoa(t.Year())
}

// cached returns what find says about a region's text, remembering it.
func (v *Validator) cached(k foundKey, find func() (string, string)) (string, string) {
	v.mu.Lock()
	r, ok := v.found[k]
	v.mu.Unlock()
	if ok {
		return r.code, r.reason
	}
	r.code, r.reason = find()
	v.mu.Lock()
	if len(v.found) >= maxFound {
		clear(v.found)
	}
	v.found[k] = r
	v.mu.Unlock()
	return r.code, r.reason
}
