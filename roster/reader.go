package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/lindungi/lindungi/locales"
)

// Format is the kind of file Open found.
type Format string

// Formats Open reads.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// headerSearch is how many non-empty rows Open looks through for the header:
// offices often put a title, a date and a blank line above it.
const headerSearch = 20

// MaxLine bounds one CSV record (bytes read from the file while reading it),
// so a quote that is never closed cannot make Next read a whole file into
// memory.
const MaxLine = 1 << 20

// FileError is a problem with the file as a whole (not with one worker's
// row), for the admin: Text renders it in a language of the catalogue. Open
// and Next return it for files they cannot read; other errors (I/O) start
// with "roster:".
type FileError struct {
	Line int   // the line at fault, 0 if none
	Msg  Msg   // what is wrong and what to do
	Err  error // the underlying error, if any
}

// Text renders the problem in lang, after "baris N: " ("line N: ") when
// there is a line.
func (e *FileError) Text(cat *locales.Catalog, lang string) string {
	s := e.Msg.Text(cat, lang)
	if e.Line > 0 {
		return msg("at_line", "Line", e.Line, "Text", s).Text(cat, lang)
	}
	return s
}

// Error describes the error for logs ("roster: line 2: roster.csv_broken:
// …"); the admin reads Text.
func (e *FileError) Error() string {
	s := "roster: "
	if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ": "
	}
	s += keyPrefix + e.Msg.Key
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// ErrOldExcel is returned by Open for an Excel 97–2003 (.xls) or
// password-protected file.
var ErrOldExcel = &FileError{Msg: msg("old_excel")}

// ErrNotXLSX is returned by Open for a file named .xlsx whose content is not
// a spreadsheet.
var ErrNotXLSX = &FileError{Msg: msg("not_xlsx")}

// ErrHTML is returned by Open for a web page, which some systems export
// under an .xls name.
var ErrHTML = &FileError{Msg: msg("html")}

// Reader streams the data rows of a list. It is not safe for concurrent use.
type Reader struct {
	src        source
	format     Format
	cols       [NumColumns]int // source index of each column, -1 if absent
	header     []string
	headerLine int
	date1904   bool              // XLSX workbook counts dates from 1904
	also       map[string]Column // more header names, by headerKey (OpenColumns)
}

// source yields the rows of a file as cells; numeric (may be nil) marks cells
// stored as numbers; line is 1-based.
type source interface {
	next() (cells []string, numeric []bool, line int, err error)
	close() error
}

// Open reads the start of a CSV or XLSX list and finds its header row (the
// first of the first 20 non-empty rows that names NIK and at least two other
// known columns). name is the file's name; only its extension is used, and
// only when the content does not tell (an XLSX file starts with a ZIP
// signature; anything else but an old .xls or a web page is read as CSV, so
// a CSV file named .xls is fine).
//
// CSV: UTF-8 with or without BOM (UTF-16 with BOM and Windows-1252 cells are
// converted too); the separator is ';' (Excel in Indonesian locale) or a tab
// when the first line holding separators has more of them than commas.
// XLSX: the first sheet, streamed with excelize (raw cell values; dates stay
// serial numbers). An *os.File naming a regular file is opened by its name;
// any other reader is copied to a temporary file first. Call Close.
//
// A missing required column or a column found twice is a *HeaderError.
func Open(r io.Reader, name string) (*Reader, error) {
	return open(r, name, nil, nil)
}

// OpenColumns is Open for a file that need only hold the columns want (a
// list of participant numbers: NIK and KPJ): its header row is the first of
// the first 20 non-empty rows naming them all; other known columns are read
// too. also gives more header names for columns, in this file only ("Nomor
// Peserta" is a KPJ in BPJS's own list, a row number in others). A missing
// or doubled wanted column is a *HeaderError.
func OpenColumns(r io.Reader, name string, also map[Column][]string, want ...Column) (*Reader, error) {
	if len(want) == 0 {
		return nil, errors.New("roster: OpenColumns wants at least one column")
	}
	keys := map[string]Column{}
	for c, names := range also {
		for _, n := range names {
			keys[headerKey(n)] = c
		}
	}
	return open(r, name, want, keys)
}

func open(r io.Reader, name string, want []Column, also map[string]Column) (*Reader, error) {
	g := &guard{r: r}
	br := bufio.NewReaderSize(g, 64<<10)
	head, _ := br.Peek(8)
	ext := strings.ToLower(filepath.Ext(name))
	rd := &Reader{also: also}
	var err error
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		rd.format = XLSX
		var xs *xlsxSource
		xs, err = openXLSX(r, br)
		if err == nil {
			rd.src, rd.date1904 = xs, xs.date1904
		}
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, ErrOldExcel
	case bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\ufeff")), " \t\r\n"), []byte("<")):
		return nil, ErrHTML
	case ext == ".xlsx" || ext == ".xlsm":
		return nil, ErrNotXLSX
	default:
		rd.format = CSV
		rd.src, err = openCSV(g, br)
	}
	if err != nil {
		return nil, err
	}
	if err := rd.findHeader(want); err != nil {
		_ = rd.src.close()
		return nil, err
	}
	return rd, nil
}

// findHeader finds the header row: for a worker list (want nil) the first
// naming NIK and two other known columns, which must then hold every
// required one; else the first naming every wanted column.
func (rd *Reader) findHeader(want []Column) error {
	var best *HeaderError
	bestFound := -1
	for seen := 0; seen < headerSearch; {
		cells, _, line, err := rd.src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if allBlank(cells) {
			continue
		}
		seen++
		cols, found, dup, dupAt := mapHeader(cells, rd.also)
		he := &HeaderError{Line: line, Duplicate: dup, DupAt: dupAt, Want: want}
		isHeader := cols[ColNIK] >= 0 && found >= 3
		if want == nil {
			for c := range NumColumns {
				if c.Required() && cols[c] < 0 {
					he.Missing = append(he.Missing, c)
				}
			}
		} else {
			if !slices.Contains(want, dup) {
				he.Duplicate = -1 // a column it does not read may appear twice
			}
			found = 0
			for _, c := range want {
				if cols[c] < 0 {
					he.Missing = append(he.Missing, c)
				} else {
					found++
				}
			}
			isHeader = found == len(want)
		}
		if isHeader {
			if len(he.Missing) > 0 || he.Duplicate >= 0 {
				return he
			}
			rd.cols, rd.headerLine = cols, line
			rd.header = make([]string, len(cells))
			for i, c := range cells {
				rd.header[i] = clean(c)
			}
			return nil
		}
		if found > bestFound {
			best, bestFound = he, found
		}
	}
	if best == nil {
		return &HeaderError{Duplicate: -1, Want: want}
	}
	return best
}

// Format tells whether the file was read as CSV or XLSX.
func (rd *Reader) Format() Format { return rd.format }

// HeaderLine is the line of the header row.
func (rd *Reader) HeaderLine() int { return rd.headerLine }

// Header returns the header cell the file uses for a column and its
// spreadsheet letter ("Tgl. Lahir", "D"); ok is false when the file lacks it.
func (rd *Reader) Header(c Column) (text, letter string, ok bool) {
	if c < 0 || c >= NumColumns || rd.cols[c] < 0 {
		return "", "", false
	}
	i := rd.cols[c]
	return rd.header[i], ColumnLetter(i), true
}

// Next returns the next data row, skipping rows whose known columns are all
// blank; io.EOF after the last. Any other error (a broken CSV quote, a
// damaged XLSX) ends the file: a *FileError names the line.
func (rd *Reader) Next() (Row, error) {
	for {
		cells, numeric, line, err := rd.src.next()
		if err != nil {
			return Row{}, err
		}
		row := Row{Line: line}
		blank := true
		for c := range NumColumns {
			i := rd.cols[c]
			if i < 0 || i >= len(cells) {
				continue
			}
			row.Cells[c] = cells[i]
			if i < len(numeric) {
				row.Numeric[c] = numeric[i]
			}
			if blank && !isBlank(cells[i]) {
				blank = false
			}
		}
		if blank || rd.repeatedHeader(&row) {
			continue
		}
		if rd.date1904 && row.Numeric[ColBirthDate] {
			row.Cells[ColBirthDate] = shift1904(row.Cells[ColBirthDate])
		}
		return row, nil
	}
}

// repeatedHeader reports a data row that repeats the header (lists pasted
// together from several sheets often do).
func (rd *Reader) repeatedHeader(row *Row) bool {
	for _, c := range [...]Column{ColNIK, ColName} {
		s := strings.TrimSpace(row.Cells[c])
		if s == "" || s[0] >= '0' && s[0] <= '9' {
			return false
		}
		if col, ok := headerNames[headerKey(s)]; !ok || col != c {
			return false
		}
	}
	return true
}

// Close releases the file and any temporary files.
func (rd *Reader) Close() error { return rd.src.close() }

// guard counts the bytes read from the file since the start of the current
// CSV record and fails past MaxLine (plus the read-ahead buffer).
type guard struct {
	r     io.Reader
	n     int
	limit bool // set for CSV only
}

var errLineTooLong = errors.New("line too long")

func (g *guard) Read(p []byte) (int, error) {
	if g.limit && g.n > MaxLine+128<<10 {
		return 0, errLineTooLong
	}
	n, err := g.r.Read(p)
	g.n += n
	return n, err
}

type csvSource struct {
	g    *guard
	cr   *csv.Reader
	line int // line of the last record, for errors
}

func openCSV(g *guard, br *bufio.Reader) (*csvSource, error) {
	head, _ := br.Peek(4)
	var in *bufio.Reader
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		in = br
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		// Excel's "Unicode Text" export: UTF-16 with BOM (tab separated).
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		in = bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10)
	default:
		in = br
	}
	g.limit = true
	start, _ := in.Peek(64 << 10)
	cr := csv.NewReader(in)
	cr.Comma = sniffComma(start)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &csvSource{g: g, cr: cr}, nil
}

func (s *csvSource) next() ([]string, []bool, int, error) {
	s.g.n = 0
	rec, err := s.cr.Read()
	if err == io.EOF {
		return nil, nil, 0, io.EOF
	}
	if err != nil {
		if errors.Is(err, errLineTooLong) {
			return nil, nil, 0, &FileError{Line: s.line + 1, Err: err, Msg: msg("csv_line_too_long", "MB", MaxLine>>20)}
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, nil, 0, &FileError{Line: pe.StartLine, Err: err, Msg: msg("csv_broken", "Err", pe.Err.Error())}
		}
		return nil, nil, 0, fmt.Errorf("roster: reading CSV after line %d: %w", s.line, err)
	}
	s.line, _ = s.cr.FieldPos(0)
	for i, f := range rec {
		if !utf8.ValidString(f) {
			// Excel's plain "CSV" export writes the Windows code page.
			rec[i], _ = charmap.Windows1252.NewDecoder().String(f)
		}
	}
	return rec, nil, s.line, nil
}

func (s *csvSource) close() error { return nil }

// sniffComma picks the separator from the first line that has at least two
// separators outside quotes (else from the first line): ';' or tab if they
// outnumber ','.
func sniffComma(b []byte) rune {
	var comma, semi, tab int
	first := [3]int{-1}
	inQuote := false
	for _, c := range b {
		switch c {
		case '"':
			inQuote = !inQuote
		case ',', ';', '\t':
			if inQuote {
				continue
			}
			switch c {
			case ',':
				comma++
			case ';':
				semi++
			default:
				tab++
			}
		case '\n':
			if inQuote {
				continue
			}
			if comma+semi+tab >= 2 {
				return pickComma(comma, semi, tab)
			}
			if first[0] < 0 {
				first = [3]int{comma, semi, tab}
			}
			comma, semi, tab = 0, 0, 0
		}
	}
	if comma+semi+tab >= 2 || first[0] < 0 {
		return pickComma(comma, semi, tab)
	}
	return pickComma(first[0], first[1], first[2])
}

func pickComma(comma, semi, tab int) rune {
	switch {
	case tab > comma && tab > semi:
		return '\t'
	case semi > comma:
		return ';'
	}
	return ','
}

// shift1904 turns a date serial of a workbook using the 1904 date system
// into the usual 1900-system serial.
func shift1904(s string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f+1462, 'f', -1, 64)
}

func allBlank(cells []string) bool {
	for _, c := range cells {
		if !isBlank(c) {
			return false
		}
	}
	return true
}
