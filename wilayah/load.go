package wilayah

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"strings"
)

//go:embed data/provinces.csv data/regencies.csv data/districts.csv data/villages.csv data/pre2022.csv data/display-names.csv
//go:embed data/LICENSE.md data/LICENSE-code-MIT data/SOURCE.md
//go:embed data/LICENSE-pre2022-MIT data/SOURCE-pre2022.md
var dataFS embed.FS

// Files returns the embedded data files (CSV lists, licences and source notes),
// e.g. for serving the licence texts. The FS is read-only.
func Files() embed.FS { return dataFS }

// Load parses the embedded region lists, puts in the display names of
// data/display-names.csv (see displayNames) and precomputes the search keys.
// It checks the data's consistency (header, code shape, sort order, parent
// links, overrides) and returns an error if the embedded files are malformed.
func Load() (*Data, error) {
	d := &Data{}
	files := [4]struct {
		name   string
		header string
		rows   int // capacity hint
	}{
		{"provinces.csv", "code,name", 40},
		{"regencies.csv", "code,province_code,name", 520},
		{"districts.csv", "code,regency_code,name", 7300},
		{"villages.csv", "code,district_code,name", 84000},
	}
	for i, f := range files {
		level := Level(i + 1)
		rs, err := loadLevel(f.name, f.header, level, f.rows)
		if err != nil {
			return nil, err
		}
		if level > Province {
			if err := checkParents(rs, d.levels[level-2]); err != nil {
				return nil, fmt.Errorf("wilayah: %s: %w", f.name, err)
			}
		}
		d.levels[i] = rs
	}
	if err := displayNames(&d.levels); err != nil {
		return nil, err
	}
	for i, rs := range d.levels {
		d.keys[i] = makeKeys(rs)
	}
	pre, err := loadPre2022()
	if err != nil {
		return nil, err
	}
	d.pre2022 = pre
	return d, nil
}

func readCSV(name, header string) (*csvReader, error) {
	s, err := readString("data/" + name)
	if err != nil {
		return nil, fmt.Errorf("wilayah: %w", err)
	}
	r := &csvReader{s: s}
	h, ok := r.line()
	if !ok || strings.TrimRight(h, "\r") != header {
		return nil, fmt.Errorf("wilayah: %s: unexpected header %q", name, h)
	}
	return r, nil
}

// readString reads an embedded file into a string with a single copy (all
// parsed fields are substrings of it).
func readString(name string) (string, error) {
	f, err := dataFS.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	if st, err := f.Stat(); err == nil {
		b.Grow(int(st.Size()))
	}
	if _, err := io.Copy(&b, f); err != nil {
		return "", err
	}
	return b.String(), nil
}

func loadLevel(name, header string, level Level, capHint int) ([]Region, error) {
	r, err := readCSV(name, header)
	if err != nil {
		return nil, err
	}
	ncol := 3
	if level == Province {
		ncol = 2
	}
	rs := make([]Region, 0, capHint)
	var fields [4]string
	for lineNo := 2; ; lineNo++ {
		n, ok, err := r.record(fields[:])
		if err != nil {
			return nil, fmt.Errorf("wilayah: %s:%d: %w", name, lineNo, err)
		}
		if !ok {
			break
		}
		if n != ncol {
			return nil, fmt.Errorf("wilayah: %s:%d: %d fields, want %d", name, lineNo, n, ncol)
		}
		reg := Region{Code: fields[0], Name: fields[ncol-1], Level: level}
		if codeLevel(reg.Code) != level {
			return nil, fmt.Errorf("wilayah: %s:%d: malformed code %q", name, lineNo, reg.Code)
		}
		if reg.Name == "" {
			return nil, fmt.Errorf("wilayah: %s:%d: empty name", name, lineNo)
		}
		if level > Province {
			reg.Parent = reg.Code[:len(reg.Code)-len(lastPart(reg.Code))-1]
			if fields[1] != reg.Parent {
				return nil, fmt.Errorf("wilayah: %s:%d: parent %q does not match code %q", name, lineNo, fields[1], reg.Code)
			}
		}
		if len(rs) > 0 && rs[len(rs)-1].Code >= reg.Code {
			return nil, fmt.Errorf("wilayah: %s:%d: code %q not in ascending order", name, lineNo, reg.Code)
		}
		rs = append(rs, reg)
	}
	return rs, nil
}

func lastPart(code string) string {
	return code[strings.LastIndexByte(code, '.')+1:]
}

// checkParents verifies that every region's parent exists; both slices are
// sorted by code, so a single merge pass suffices.
func checkParents(children, parents []Region) error {
	j := 0
	for _, c := range children {
		for j < len(parents) && parents[j].Code < c.Parent {
			j++
		}
		if j == len(parents) || parents[j].Code != c.Parent {
			return fmt.Errorf("region %s: unknown parent %s", c.Code, c.Parent)
		}
	}
	return nil
}

func loadPre2022() ([]preCode, error) {
	const name = "pre2022.csv"
	r, err := readCSV(name, "code,level,name,in_current_list")
	if err != nil {
		return nil, err
	}
	out := make([]preCode, 0, 7600)
	var fields [5]string
	for lineNo := 2; ; lineNo++ {
		n, ok, err := r.record(fields[:])
		if err != nil {
			return nil, fmt.Errorf("wilayah: %s:%d: %w", name, lineNo, err)
		}
		if !ok {
			break
		}
		if n != 4 {
			return nil, fmt.Errorf("wilayah: %s:%d: %d fields, want 4", name, lineNo, n)
		}
		p := preCode{code: fields[0], name: fields[2]}
		switch fields[1] {
		case "province":
			p.level = Province
		case "regency":
			p.level = Regency
		case "district":
			p.level = District
		default:
			return nil, fmt.Errorf("wilayah: %s:%d: unknown level %q", name, lineNo, fields[1])
		}
		if len(p.code) != 2*int(p.level) || !allDigits(p.code) {
			return nil, fmt.Errorf("wilayah: %s:%d: malformed %s code %q", name, lineNo, fields[1], p.code)
		}
		if len(out) > 0 && out[len(out)-1].code >= p.code {
			return nil, fmt.Errorf("wilayah: %s:%d: code %q not in ascending order", name, lineNo, p.code)
		}
		out = append(out, p)
	}
	return out, nil
}

// csvReader is a minimal RFC 4180 reader for the embedded files: comma
// separated, optional double quotes with "" as an escaped quote, LF or CRLF
// line ends, no newlines inside fields. Unquoted fields are substrings of the
// file (no per-field allocation), which keeps Load fast.
type csvReader struct {
	s   string
	pos int
}

// line returns the next line without its line end.
func (r *csvReader) line() (string, bool) {
	if r.pos >= len(r.s) {
		return "", false
	}
	rest := r.s[r.pos:]
	i := strings.IndexByte(rest, '\n')
	if i < 0 {
		r.pos = len(r.s)
		return rest, true
	}
	r.pos += i + 1
	return rest[:i], true
}

var errQuote = errors.New("malformed quoted field")

// record splits the next non-empty line into fields. It returns the number of
// fields (at most len(fields); more is an error), and ok=false at EOF.
func (r *csvReader) record(fields []string) (n int, ok bool, err error) {
	var ln string
	for {
		ln, ok = r.line()
		if !ok {
			return 0, false, nil
		}
		ln = strings.TrimSuffix(ln, "\r")
		if ln != "" {
			break
		}
	}
	for {
		if n == len(fields) {
			return n, true, errors.New("too many fields")
		}
		var f string
		if strings.HasPrefix(ln, `"`) {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(ln[i:], '"')
				if j < 0 {
					return n, true, errQuote
				}
				b.WriteString(ln[i : i+j])
				i += j + 1
				if i < len(ln) && ln[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			f = b.String()
			ln = ln[i:]
			if ln != "" && ln[0] != ',' {
				return n, true, errQuote
			}
		} else {
			j := strings.IndexByte(ln, ',')
			if j < 0 {
				j = len(ln)
			}
			f = ln[:j]
			if strings.ContainsRune(f, '"') {
				return n, true, errQuote
			}
			ln = ln[j:]
		}
		fields[n] = f
		n++
		if ln == "" {
			return n, true, nil
		}
		ln = ln[1:] // skip ','
	}
}
