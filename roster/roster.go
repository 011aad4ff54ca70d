// Package roster reads a sponsor's list of workers — the spreadsheet a
// provincial or regency office sends (CSV or XLSX) — and checks each row with
// the same parsers the chat uses (nik, tanggal, telepon, nama, wilayah, iuran).
//
// Reading and checking are separate: Open finds the header row and maps the
// columns (Indonesian or English names), Reader.Next streams one raw Row at a
// time with bounded memory, and Validator.Check turns a Row into a Worker or a
// Problem whose Msg tells the admin which rule failed and what to fix.
// The package writes no text itself: a Msg is a key of the locales catalogue
// (under "roster.") and its values, rendered by Msg.Text in the admin's
// language; FileError and HeaderError render the same way. Duplicates within
// a file are the importer's job (Key gives the value to compare). Generate
// writes realistic test files.
//
// The package does no database or network I/O and holds no global mutable
// state.
package roster

import (
	"strconv"
	"time"

	"github.com/lindungi/lindungi/locales"
)

// Column is a field of the list, whatever the file calls it.
type Column int

// The columns a list may have. NIK, Name, Village, District and Regency are
// required; the others are optional.
const (
	ColNIK        Column = iota // NIK
	ColName                     // Nama
	ColBirthDate                // Tanggal Lahir
	ColSex                      // Jenis Kelamin
	ColPhone                    // No HP
	ColVillage                  // Desa/Kelurahan (name or code)
	ColDistrict                 // Kecamatan
	ColRegency                  // Kabupaten/Kota
	ColOccupation               // Pekerjaan
	ColRT                       // RT
	ColRW                       // RW
	ColKPJ                      // KPJ
	ColIncome                   // Penghasilan
	NumColumns                  // the number of columns; not a column
)

var columnNames = [NumColumns]string{
	"NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "No HP", "Desa/Kelurahan", "Kecamatan",
	"Kabupaten/Kota", "Pekerjaan", "RT", "RW", "KPJ", "Penghasilan",
}

// columnKeys are the catalogue keys of the columns' names, as a report in a
// language calls them (after "roster.").
var columnKeys = [NumColumns]string{
	"column.nik", "column.name", "column.birth_date", "column.sex", "column.phone", "column.village", "column.district",
	"column.regency", "column.occupation", "column.rt", "column.rw", "column.kpj", "column.income",
}

// Text is the column's name in lang ("Tanggal Lahir", "Birth date").
func (c Column) Text(cat *locales.Catalog, lang string) string {
	if c < 0 || c >= NumColumns {
		return c.String()
	}
	return cat.T(lang, keyPrefix+columnKeys[c], nil)
}

// columnNamed is the column whose String is name, false if none.
func columnNamed(name string) (Column, bool) {
	for c, n := range columnNames {
		if n == name {
			return Column(c), true
		}
	}
	return 0, false
}

// String returns the column's usual Indonesian header ("Tanggal Lahir"); it
// is what Problem.Column holds.
func (c Column) String() string {
	if c < 0 || c >= NumColumns {
		return "kolom(" + strconv.Itoa(int(c)) + ")"
	}
	return columnNames[c]
}

// Required reports whether a list must have the column.
func (c Column) Required() bool {
	switch c {
	case ColNIK, ColName, ColVillage, ColDistrict, ColRegency:
		return true
	}
	return false
}

// Row is one data row as read from the file: the raw text of each known
// column, untrimmed ("" when the file has no such column or the cell is
// empty).
type Row struct {
	// Line is the 1-based line of the row in the file: the CSV line where the
	// record starts, or the XLSX sheet row number — what the admin sees in a
	// text editor or in Excel.
	Line  int
	Cells [NumColumns]string
	// Numeric marks cells an XLSX file stored as numbers (never set for CSV,
	// where every cell is text): a NIK in a number cell has lost its 16th
	// digit, a birth date in one is a date serial.
	Numeric [NumColumns]bool
}

// Worker is a checked row.
type Worker struct {
	Line      int       // the row's line in the file
	NIK       string    // 16 digits
	Name      string    // as written (trimmed, inner spaces collapsed), like the chat stores it
	BirthDate time.Time // midnight in the Validator's today Location
	Female    bool      // from the NIK
	Phone     string    // E.164 ("+6281234567890"), or "" when the list has none
	Province  string    // dotted codes: "61"
	Regency   string    // "61.71"
	District  string    // "61.71.05"
	Village   string    // "61.71.05.1001"
	// Occupation is a code of the chat's picker ("petani", … "lainnya"), or
	// "" when the list gives none; OccupationOther keeps the text of an
	// occupation not in the picker (Occupation "lainnya").
	Occupation      string
	OccupationOther string
	RT, RW          string // three digits ("003"), or ""
	KPJ             string // 8–16 digits, or ""
	Income          int64  // monthly income in Rupiah; 0 when the list has none
}

// Key is what makes two rows the same worker: the NIK, as a number (its 16
// digits read in base 10, so 8 bytes instead of a 16-byte string and its
// header in the importer's map of a million NIKs). A checked Worker's NIK is
// always 16 digits, so two Keys are equal exactly when the NIKs are; the Key
// of a Worker that Check did not return means nothing.
func Key(w Worker) uint64 {
	var n uint64
	for i := 0; i < len(w.NIK); i++ {
		n = n*10 + uint64(w.NIK[i]-'0')
	}
	return n
}

// Problem is why a row was not accepted.
type Problem struct {
	Line   int    // the row's line in the file
	Column string // the column at fault (Column.String()), "" for the row as a whole
	Msg    Msg    // the rule and what to fix
}

// ColumnText is the name of the column at fault in lang ("" for the row as
// a whole).
func (p *Problem) ColumnText(cat *locales.Catalog, lang string) string {
	if c, ok := columnNamed(p.Column); ok {
		return c.Text(cat, lang)
	}
	return p.Column
}
