package roster

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource streams the first sheet with excelize's Rows and, in step, a
// light scan of the same sheet's XML for the cell types excelize's streaming
// API does not report (which cells are numbers).
type xlsxSource struct {
	f        *excelize.File
	rows     *excelize.Rows
	types    *typeScanner // nil if the sheet could not be located
	line     int
	tmp      string // spooled copy of the input, removed by close
	date1904 bool
}

// maxUnzip bounds the uncompressed size of a workbook (a zip bomb guard):
// far above any real list (a million rows take about 300 MB of XML).
const maxUnzip = 4 << 30

func openXLSX(r io.Reader, br *bufio.Reader) (*xlsxSource, error) {
	s := &xlsxSource{}
	name := ""
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			name = f.Name()
		}
	}
	if name == "" {
		tmp, err := os.CreateTemp("", "roster-*.xlsx")
		if err != nil {
			return nil, fmt.Errorf("roster: spooling XLSX: %w", err)
		}
		name, s.tmp = tmp.Name(), tmp.Name()
		_, err = io.Copy(tmp, br)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(name)
			return nil, fmt.Errorf("roster: spooling XLSX: %w", err)
		}
	}
	f, err := excelize.OpenFile(name, excelize.Options{RawCellValue: true, UnzipSizeLimit: maxUnzip})
	if err != nil {
		s.removeTmp()
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, excelize.ErrWorkbookFileFormat) {
			return nil, ErrNotXLSX
		}
		return nil, &FileError{Err: err, Msg: msg("xlsx_open", "Err", err.Error())}
	}
	s.f = f
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = s.close()
		return nil, &FileError{Msg: msg("xlsx_no_sheet")}
	}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		s.date1904 = *props.Date1904
	}
	s.rows, err = f.Rows(sheets[0])
	if err != nil {
		_ = s.close()
		return nil, &FileError{Err: err, Msg: msg("xlsx_sheet", "Sheet", strconv.Quote(sheets[0]), "Err", err.Error())}
	}
	s.types = openTypeScanner(name)
	return s, nil
}

func (s *xlsxSource) next() ([]string, []bool, int, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, nil, 0, &FileError{Line: s.line + 1, Err: err, Msg: msg("xlsx_rows", "Err", err.Error())}
		}
		return nil, nil, 0, io.EOF
	}
	s.line++
	cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, nil, 0, &FileError{Line: s.line, Err: err, Msg: msg("xlsx_cells", "Err", err.Error())}
	}
	var numeric []bool
	if s.types != nil {
		numeric = s.types.at(s.line)
	}
	return cells, numeric, s.line, nil
}

func (s *xlsxSource) close() error {
	var err error
	if s.rows != nil {
		err = s.rows.Close()
	}
	if s.types != nil {
		s.types.close()
	}
	if s.f != nil {
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
	}
	s.removeTmp()
	return err
}

func (s *xlsxSource) removeTmp() {
	if s.tmp != "" {
		_ = os.Remove(s.tmp)
		s.tmp = ""
	}
}

// typeScanner reads the first sheet's XML alongside excelize and reports,
// for a row number, which cells are stored as numbers (type "n" or no type,
// with a value). Rows must be asked for in ascending order.
type typeScanner struct {
	zr   *zip.ReadCloser
	rc   io.ReadCloser
	dec  *xml.Decoder
	row  int    // number of the row held in num
	num  []bool // numeric cells of row
	done bool
}

// maxTypedCols bounds the cells tracked per row.
const maxTypedCols = 256

// openTypeScanner returns nil when the workbook's first sheet cannot be
// located; the reader then works without cell types.
func openTypeScanner(name string) *typeScanner {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil
	}
	sheet, ok := firstSheetPart(&zr.Reader)
	if !ok {
		_ = zr.Close()
		return nil
	}
	zf := findPart(&zr.Reader, sheet)
	if zf == nil {
		_ = zr.Close()
		return nil
	}
	rc, err := zf.Open()
	if err != nil {
		_ = zr.Close()
		return nil
	}
	return &typeScanner{zr: zr, rc: rc, dec: xml.NewDecoder(bufio.NewReaderSize(rc, 64<<10))}
}

func (t *typeScanner) close() {
	_ = t.rc.Close()
	_ = t.zr.Close()
}

func (t *typeScanner) at(row int) []bool {
	for !t.done && t.row < row {
		t.advance()
	}
	if t.row == row {
		return t.num
	}
	return nil
}

// advance reads the next <row> element.
func (t *typeScanner) advance() {
	prev := t.row
	t.num = t.num[:0]
	col, numeric, hasV := -1, false, false
	for {
		tok, err := t.dec.RawToken()
		if err != nil {
			t.done = true
			return
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "row":
				t.row = prev + 1
				if n, err := strconv.Atoi(attr(e, "r")); err == nil && n > prev {
					t.row = n
				}
				col = -1
			case "c":
				col++
				if ref := attr(e, "r"); ref != "" {
					col = refColumn(ref)
				}
				typ := attr(e, "t")
				numeric, hasV = typ == "" || typ == "n", false
			case "v":
				hasV = true
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "c":
				if numeric && hasV && col >= 0 && col < maxTypedCols {
					for len(t.num) <= col {
						t.num = append(t.num, false)
					}
					t.num[col] = true
				}
			case "row":
				return
			case "sheetData":
				t.done = true
				return
			}
		}
	}
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// refColumn returns the 0-based column of a cell reference ("AB12" → 27),
// -1 if there are no letters.
func refColumn(ref string) int {
	n := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		n = n*26 + int(c-'a'+1)
		if n > maxTypedCols {
			return maxTypedCols
		}
	}
	return n - 1
}

func findPart(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if strings.EqualFold(strings.TrimPrefix(f.Name, "/"), name) {
			return f
		}
	}
	return nil
}

// firstSheetPart finds the zip path of the workbook's first sheet through
// xl/workbook.xml and its relationships.
func firstSheetPart(zr *zip.Reader) (string, bool) {
	rid := ""
	scanXML(zr, "xl/workbook.xml", func(e xml.StartElement) bool {
		if e.Name.Local == "sheet" {
			for _, a := range e.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					rid = a.Value
				}
			}
			return false
		}
		return true
	})
	if rid == "" {
		return "", false
	}
	target := ""
	scanXML(zr, "xl/_rels/workbook.xml.rels", func(e xml.StartElement) bool {
		if e.Name.Local == "Relationship" && attr(e, "Id") == rid {
			target = attr(e, "Target")
			return false
		}
		return true
	})
	if target == "" {
		return "", false
	}
	if strings.HasPrefix(target, "/") {
		return path.Clean(target[1:]), true
	}
	return path.Clean("xl/" + target), true
}

// scanXML calls fn for each start element of a zip part until fn returns false.
func scanXML(zr *zip.Reader, name string, fn func(xml.StartElement) bool) {
	zf := findPart(zr, name)
	if zf == nil {
		return
	}
	rc, err := zf.Open()
	if err != nil {
		return
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return
		}
		if e, ok := tok.(xml.StartElement); ok && !fn(e) {
			return
		}
	}
}
