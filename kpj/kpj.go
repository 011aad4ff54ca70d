// Package kpj reads the lists of participant numbers (KPJ) BPJS
// Ketenagakerjaan issues, by NIK: a CSV or XLSX file (through roster's
// reader, with every spreadsheet quirk it knows) with a NIK column and a
// KPJ column, each row checked and the conflicts between rows marked.
package kpj

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/lindungi/lindungi/roster"
)

// Line is one data row of a KPJ file.
type Line struct {
	Row       int    // the file's line, as a spreadsheet numbers its rows (the header is 1)
	NIK, KPJ  string // digits, when valid
	Reason    string // the locale key of why the row is not recorded, "" if it may be
	Data      map[string]any
	Duplicate bool // the same NIK and KPJ as an earlier row
}

// also are the names BPJS's own lists give the KPJ column, beside roster's.
var also = map[roster.Column][]string{
	roster.ColKPJ: {"No Peserta", "Nomor Peserta", "No Kartu Peserta", "Nomor Kartu Peserta"},
}

// Read reads a KPJ file and checks every row: the NIK 16 digits, the KPJ lo
// to hi digits, neither damaged by a spreadsheet. Blank rows are skipped. A
// file without the two columns, or one that cannot be read, is a
// *roster.HeaderError or *roster.FileError (their Text is for the admin).
func Read(r io.Reader, name string, lo, hi int) ([]*Line, error) {
	rd, err := roster.OpenColumns(r, name, also, roster.ColNIK, roster.ColKPJ)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	var out []*Line
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(row.Cells[roster.ColNIK]+row.Cells[roster.ColKPJ]) == "" {
			continue // another column filled, these two blank: nothing to record
		}
		l := &Line{Row: row.Line}
		var key string
		if l.NIK, key, l.Data = cleanNumber(row.Cells[roster.ColNIK], row.Numeric[roster.ColNIK], "nik", 16, 16); key == "" {
			l.KPJ, key, l.Data = cleanNumber(row.Cells[roster.ColKPJ], row.Numeric[roster.ColKPJ], "kpj", lo, hi)
		}
		l.Reason = key
		out = append(out, l)
	}
	return out, nil
}

// DigitRange reads how many digits a KPJ may have: "8-16".
func DigitRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || lo < 1 || hi < lo || hi > 32 {
		return 0, 0, fmt.Errorf("--kpj-digits %q: want MIN-MAX, such as 8-16", s)
	}
	return lo, hi, nil
}

var scientific = regexp.MustCompile(`^[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+$`)

// reasons are the locale keys of why a NIK or KPJ cell is refused, by what
// is wrong with which.
var reasons = map[string]string{
	"nik_empty": "kpj.reject.nik_empty", "nik_scientific": "kpj.reject.nik_scientific",
	"nik_chars": "kpj.reject.nik_chars", "nik_length": "kpj.reject.nik_length",
	"kpj_empty": "kpj.reject.kpj_empty", "kpj_scientific": "kpj.reject.kpj_scientific",
	"kpj_chars": "kpj.reject.kpj_chars", "kpj_length": "kpj.reject.kpj_length",
}

// cleanNumber reads a NIK or KPJ cell (what is "nik" or "kpj"): spaces,
// dots and dashes between digits are dropped, and so is the apostrophe or
// ="…" spreadsheets use to keep a number as text. A number cell of an XLSX
// file keeps 15 significant digits: a 16-digit NIK stored so has lost its
// last digit (it reads 0). It gives the digits, or the locale key of the
// reason with its data.
func cleanNumber(s string, numeric bool, what string, lo, hi int) (string, string, map[string]any) {
	s = strings.TrimSpace(s)
	if inner, ok := strings.CutPrefix(s, `="`); ok {
		s = strings.TrimSuffix(inner, `"`)
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "'"))
	if numeric {
		s = strings.TrimSuffix(s, ".0")
	}
	if s == "" {
		return "", reasons[what+"_empty"], nil
	}
	if scientific.MatchString(s) {
		return "", reasons[what+"_scientific"], nil
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '.' || c == '-' || unicode.IsSpace(c):
		default:
			return "", reasons[what+"_chars"], map[string]any{"Char": string(c)}
		}
	}
	d := b.String()
	if n := len(d); n < lo || n > hi {
		return "", reasons[what+"_length"], map[string]any{"Got": n, "Min": lo, "Max": hi}
	}
	if what == "nik" && numeric && d[len(d)-1] == '0' {
		return "", "kpj.reject.nik_number", nil
	}
	return d, "", nil
}

// MarkConflicts rejects the rows whose NIK appears with different KPJs, and
// then those whose KPJ appears for different NIKs: which one is right is for
// a person to decide. A row repeating an earlier one exactly is a duplicate.
func MarkConflicts(lines []*Line) {
	group := func(key func(*Line) string, other func(*Line) string, reason string) {
		by := map[string][]*Line{}
		var order []string
		for _, l := range lines {
			if l.Reason != "" {
				continue
			}
			k := key(l)
			if by[k] == nil {
				order = append(order, k)
			}
			by[k] = append(by[k], l)
		}
		for _, k := range order {
			ls := by[k]
			mixed := slices.ContainsFunc(ls, func(l *Line) bool { return other(l) != other(ls[0]) })
			if !mixed {
				continue
			}
			for _, l := range ls {
				var rows []string
				for _, o := range ls {
					if o != l {
						rows = append(rows, strconv.Itoa(o.Row))
					}
				}
				l.Reason, l.Data = reason, map[string]any{"Rows": strings.Join(rows, ", ")}
			}
		}
	}
	nikOf := func(l *Line) string { return l.NIK }
	kpjOf := func(l *Line) string { return l.KPJ }
	group(nikOf, kpjOf, "kpj.reject.nik_conflict")
	group(kpjOf, nikOf, "kpj.reject.kpj_conflict")
	seen := map[string]bool{}
	for _, l := range lines {
		if l.Reason == "" {
			l.Duplicate = seen[l.NIK]
			seen[l.NIK] = true
		}
	}
}
