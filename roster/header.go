package roster

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/lindungi/lindungi/locales"
)

// headerNames maps a header, reduced by headerKey, to its column. Headers
// are matched whole: "Tempat Lahir" is not "Tanggal Lahir", and "Nama Ibu"
// is not "Nama".
var headerNames = func() map[string]Column {
	names := map[Column][]string{
		ColNIK: {"NIK", "No NIK", "Nomor NIK", "NIK KTP", "No KTP", "Nomor KTP",
			"Nomor Induk Kependudukan", "No Induk Kependudukan"},
		ColName: {"Nama", "Nama Lengkap", "Name", "Full name", "Nama Peserta", "Nama Pekerja",
			"Nama Tenaga Kerja", "Nama Sesuai KTP"},
		ColBirthDate: {"Tanggal Lahir", "Tgl Lahir", "Tgl. Lahir", "Tgl Lhr", "Tanggal Kelahiran",
			"Birth date", "Date of birth", "Birthdate", "DOB"},
		ColSex: {"Jenis Kelamin", "JK", "L/P", "Kelamin", "Jns Kelamin", "Sex", "Gender"},
		ColPhone: {"No HP", "Nomor HP", "No. HP", "HP", "Telepon", "Telp", "No Telp", "No Telepon",
			"Nomor Telepon", "No HP/WA", "Nomor HP/WA", "No WA", "Nomor WA", "HP/WA", "WhatsApp",
			"Phone", "Mobile", "Phone number", "Mobile number"},
		ColVillage: {"Desa", "Kelurahan", "Desa/Kelurahan", "Kelurahan/Desa", "Kel/Desa", "Desa/Kel",
			"Nama Desa", "Village"},
		ColDistrict: {"Kecamatan", "Kec", "Nama Kecamatan", "District"},
		ColRegency: {"Kabupaten", "Kota", "Kabupaten/Kota", "Kab/Kota", "Kab", "Nama Kabupaten",
			"Regency", "City", "Regency/City"},
		ColOccupation: {"Pekerjaan", "Jenis Pekerjaan", "Profesi", "Occupation", "Job"},
		ColRT:         {"RT", "RT/RW"},
		ColRW:         {"RW"},
		ColKPJ:        {"KPJ", "No KPJ", "Nomor KPJ", "No. KPJ"},
		ColIncome: {"Penghasilan", "Penghasilan per bulan", "Penghasilan sebulan", "Pendapatan",
			"Income", "Monthly income"},
	}
	m := make(map[string]Column)
	for c, ns := range names {
		for _, n := range ns {
			m[headerKey(n)] = c
		}
	}
	return m
}()

// headerKey reduces a header cell to lower-case letters and digits, with any
// parenthesised note dropped: "Tgl. Lahir (dd-mm-yyyy)" → "tgllahir",
// "L/P" → "lp", "NIK*" → "nik".
func headerKey(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// mapHeader maps the cells of a candidate header row. It returns the source
// index of each column (-1 when absent), how many columns were recognised, and
// the first column found twice (with both indexes), if any.
func mapHeader(cells []string, also map[string]Column) (cols [NumColumns]int, found int, dup Column, dupAt [2]int) {
	for i := range cols {
		cols[i] = -1
	}
	dup = -1
	for i, cell := range cells {
		key := headerKey(cell)
		c, ok := headerNames[key]
		if !ok {
			c, ok = also[key]
		}
		if !ok {
			continue
		}
		if cols[c] >= 0 {
			if dup < 0 {
				dup, dupAt = c, [2]int{cols[c], i}
			}
			continue
		}
		cols[c] = i
		found++
	}
	return cols, found, dup, dupAt
}

// HeaderError is returned by Open when no usable header row is found.
type HeaderError struct {
	Line      int      // the line taken as the header (0 when the file has no rows)
	Missing   []Column // required columns not found
	Duplicate Column   // a column found twice (-1 if none)
	DupAt     [2]int   // the two spreadsheet column letters' indexes (0-based) of Duplicate
	Want      []Column // OpenColumns: the columns the file must hold (nil: a worker list's)
}

// Msg explains the problem for the admin.
func (e *HeaderError) Msg() Msg {
	if e.Line == 0 {
		return msg("header_empty")
	}
	if e.Duplicate >= 0 {
		return msg("header_duplicate", "Column", e.Duplicate, "Line", e.Line,
			"First", ColumnLetter(e.DupAt[0]), "Second", ColumnLetter(e.DupAt[1]))
	}
	if e.Want != nil {
		return msg("columns_missing", "Columns", e.Missing, "Want", e.Want)
	}
	return msg("header_missing", "Columns", e.Missing, "Line", e.Line)
}

// Text renders the problem in lang.
func (e *HeaderError) Text(cat *locales.Catalog, lang string) string { return e.Msg().Text(cat, lang) }

// Error describes the error for logs ("roster: line 1: roster.header_missing:
// Desa/Kelurahan"); the admin reads Text.
func (e *HeaderError) Error() string {
	s := "roster: "
	if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ": "
	}
	s += keyPrefix + e.Msg().Key
	switch {
	case e.Line == 0:
	case e.Duplicate >= 0:
		s += ": " + e.Duplicate.String() + " in " + ColumnLetter(e.DupAt[0]) + ", " + ColumnLetter(e.DupAt[1])
	default:
		s += ": " + e.missing()
	}
	return s
}

// missing lists the missing columns' names, joined with ", ".
func (e *HeaderError) missing() string {
	names := make([]string, len(e.Missing))
	for i, c := range e.Missing {
		names[i] = c.String()
	}
	return strings.Join(names, ", ")
}

// ColumnLetter turns a 0-based column index into a spreadsheet column name:
// 0 → "A", 25 → "Z", 26 → "AA".
func ColumnLetter(i int) string {
	if i < 0 {
		return "?"
	}
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

// Explain is err for the admin: a FileError or HeaderError in it reads as
// its Text in lang (the file cannot be read, or its header row is wrong);
// any other error is returned as is. errors.Is and errors.As still reach
// err.
func Explain(cat *locales.Catalog, lang string, err error) error {
	var fe *FileError
	var he *HeaderError
	switch {
	case errors.As(err, &fe):
		return &explained{text: fe.Text(cat, lang), err: err}
	case errors.As(err, &he):
		return &explained{text: he.Text(cat, lang), err: err}
	}
	return err
}

// explained is an error whose message is a text of the catalogue.
type explained struct {
	text string
	err  error
}

func (e *explained) Error() string { return e.text }
func (e *explained) Unwrap() error { return e.err }
