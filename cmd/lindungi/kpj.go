package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store"
)

// kpjBatch is how many rows are recorded per transaction.
const kpjBatch = 500

// kpjCommand is `lindungi kpj import FILE [--report FILE]`: it records the
// participant numbers (KPJ) BPJS Ketenagakerjaan issued, by NIK, from a CSV
// file; each linked worker is told theirs and gets their updated card. FILE
// "-" reads stdin. The rows not recorded, with the reason, go to stderr or
// to --report.
func kpjCommand(ctx context.Context, args []string, db *store.DB, notices flows.KPJNotices, cat *locales.Catalog,
	getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	usage := commandUsage["kpj"]
	if len(args) == 0 || args[0] != "import" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("kpj import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	reportFile := fs.String("report", "", "write the rows not recorded (row, reason) to this CSV file instead of stderr")
	digits := fs.String("kpj-digits", "8-16", "how many digits a KPJ may have, MIN-MAX (BPJS issues 11: unverified, hence the range)")
	lang := fs.String("lang", locales.Default, "language of the summary and of the reasons: id or en")
	// The file may come before or after the flags.
	var files []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		return errors.New(usage)
	}
	if !cat.Supported(*lang) {
		return fmt.Errorf("--lang %q: want id or en", *lang)
	}
	lo, hi, err := digitRange(*digits)
	if err != nil {
		return err
	}
	var data []byte
	if files[0] == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(files[0])
	}
	if err != nil {
		return fmt.Errorf("kpj import: %w", err)
	}
	lines, err := readKPJFile(data, lo, hi)
	if err != nil {
		return fmt.Errorf("kpj import %s: %w", files[0], err)
	}
	markConflicts(lines)

	var sum kpjSummary
	sum.Rows = len(lines)
	var todo []store.KPJRow
	byRow := map[int]*kpjLine{}
	for _, l := range lines {
		switch {
		case l.reason != "":
			sum.Invalid++
		case l.duplicate:
			sum.Unchanged++
		default:
			todo = append(todo, store.KPJRow{Row: l.row, NIK: l.nik, KPJ: l.kpj})
			byRow[l.row] = l
		}
	}
	for start := 0; start < len(todo) && err == nil; start += kpjBatch {
		var results []store.KPJResult
		results, err = db.SetKPJs(ctx, todo[start:min(start+kpjBatch, len(todo))], notices)
		for _, r := range results {
			l := byRow[r.Row]
			switch r.Outcome {
			case store.KPJUpdated:
				sum.Updated++
				if r.Previous != "" {
					sum.Replaced++
				}
			case store.KPJUnchanged:
				sum.Unchanged++
			case store.KPJUnknownNIK:
				sum.Unknown++
				l.reason = "kpj.reject.unknown_nik"
			case store.KPJTaken:
				sum.Invalid++
				l.reason, l.data = "kpj.reject.kpj_taken", map[string]any{"Ref": r.Holder}
			}
			if r.ToldAgent {
				sum.ToldAgent++
			}
			if r.Told {
				sum.Told++
			}
		}
	}
	detail := fmt.Sprintf("rows=%d updated=%d replaced=%d unchanged=%d unknown_nik=%d invalid=%d told=%d told_agent=%d",
		sum.Rows, sum.Updated, sum.Replaced, sum.Unchanged, sum.Unknown, sum.Invalid, sum.Told, sum.ToldAgent)
	if err != nil {
		detail += " stopped: " + err.Error()
	}
	if aerr := db.AuditAs(context.WithoutCancel(ctx), "cli:"+operator(getenv), "kpj:import", filepath.Base(files[0]), detail); aerr != nil {
		return errors.Join(err, aerr)
	}
	if err != nil {
		return err
	}

	T := func(key string, data map[string]any) string { return cat.T(*lang, key, data) }
	fmt.Fprintln(stdout, T("kpj.summary", map[string]any{"Rows": sum.Rows, "Updated": sum.Updated, "Replaced": sum.Replaced,
		"Unchanged": sum.Unchanged, "Unknown": sum.Unknown, "Invalid": sum.Invalid, "Told": sum.Told, "ToldAgent": sum.ToldAgent}))
	var rejected []*kpjLine
	for _, l := range lines {
		if l.reason != "" {
			rejected = append(rejected, l)
		}
	}
	if len(rejected) == 0 {
		return nil
	}
	report := stderr
	var f *os.File
	if *reportFile != "" {
		if f, err = os.OpenFile(*reportFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		defer f.Close()
		report = f
	}
	w := csv.NewWriter(report)
	w.Write([]string{T("kpj.report.row", nil), T("kpj.report.reason", nil)})
	for _, l := range rejected {
		w.Write([]string{strconv.Itoa(l.row), T(l.reason, l.data)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		fmt.Fprintln(stdout, T("kpj.report_written", map[string]any{"Count": len(rejected), "File": *reportFile}))
	}
	return nil
}

type kpjSummary struct {
	Rows, Updated, Replaced, Unchanged, Unknown, Invalid, Told, ToldAgent int
}

// kpjLine is one data row of a KPJ file.
type kpjLine struct {
	row       int    // the file's line, as a spreadsheet numbers its rows (the header is 1)
	nik, kpj  string // digits, when valid
	reason    string // the locale key of why the row is not recorded, "" if it may be
	data      map[string]any
	duplicate bool // the same NIK and KPJ as an earlier row
}

// digitRange reads "8-16".
func digitRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || lo < 1 || hi < lo || hi > 32 {
		return 0, 0, fmt.Errorf("--kpj-digits %q: want MIN-MAX, such as 8-16", s)
	}
	return lo, hi, nil
}

// The header names of the two columns, compared after normalizeHeader.
var (
	nikHeaders = []string{"nik", "no nik", "nomor nik", "nik ktp", "no ktp", "nomor ktp", "nomor induk kependudukan"}
	kpjHeaders = []string{"kpj", "no kpj", "nomor kpj", "no peserta", "nomor peserta", "nomor kartu peserta", "no kartu peserta"}
)

// normalizeHeader lower-cases a header and turns punctuation into single
// spaces: "No. KPJ" and "no_kpj" read "no kpj".
func normalizeHeader(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return ' '
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// readKPJFile reads a CSV (comma, semicolon or tab separated, as
// spreadsheets save it; a UTF-8 byte order mark is skipped) with a header
// row naming a NIK column and a KPJ column, and checks every row. Blank rows
// are skipped.
func readKPJFile(data []byte, lo, hi int) ([]*kpjLine, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ','
	for _, sep := range []rune{';', '\t'} {
		if bytes.Count(first, []byte(string(sep))) > bytes.Count(first, []byte(string(r.Comma))) {
			r.Comma = sep
		}
	}
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: want a header row with NIK and KPJ")
	}
	if err != nil {
		return nil, err
	}
	nikCol, kpjCol := -1, -1
	for i, h := range header {
		name := normalizeHeader(h)
		for _, c := range []struct {
			col   *int
			names []string
			what  string
		}{{&nikCol, nikHeaders, "NIK"}, {&kpjCol, kpjHeaders, "KPJ"}} {
			if slices.Contains(c.names, name) {
				if *c.col >= 0 {
					return nil, fmt.Errorf("two %s columns (%q and %q): keep one", c.what, header[*c.col], h)
				}
				*c.col = i
			}
		}
	}
	if nikCol < 0 || kpjCol < 0 {
		return nil, fmt.Errorf("want a header row with a NIK column and a KPJ column (KPJ, No KPJ or Nomor Peserta); the first row is %q",
			strings.Join(header, string(r.Comma)))
	}
	field := func(rec []string, i int) string {
		if i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var out []*kpjLine
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		line, _ := r.FieldPos(0)
		l := &kpjLine{row: line}
		var key string
		if l.nik, key, l.data = cleanNumber(field(rec, nikCol), "nik", 16, 16); key == "" {
			l.kpj, key, l.data = cleanNumber(field(rec, kpjCol), "kpj", lo, hi)
		}
		l.reason = key
		out = append(out, l)
	}
	return out, nil
}

var scientific = regexp.MustCompile(`^[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+$`)

// numberReasons are the locale keys of why a NIK or KPJ cell is refused.
var numberReasons = map[string]string{
	"nik_empty": "kpj.reject.nik_empty", "nik_scientific": "kpj.reject.nik_scientific",
	"nik_chars": "kpj.reject.nik_chars", "nik_length": "kpj.reject.nik_length",
	"kpj_empty": "kpj.reject.kpj_empty", "kpj_scientific": "kpj.reject.kpj_scientific",
	"kpj_chars": "kpj.reject.kpj_chars", "kpj_length": "kpj.reject.kpj_length",
}

// cleanNumber reads a NIK or KPJ cell (what is "nik" or "kpj"): spaces,
// dots and dashes between digits are dropped, and so is the apostrophe or
// ="…" spreadsheets use to keep a number as text. It gives the digits, or
// the locale key of the reason with its data.
func cleanNumber(s, what string, lo, hi int) (string, string, map[string]any) {
	s = strings.TrimSpace(s)
	if inner, ok := strings.CutPrefix(s, `="`); ok {
		s = strings.TrimSuffix(inner, `"`)
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "'"))
	if s == "" {
		return "", numberReasons[what+"_empty"], nil
	}
	if scientific.MatchString(s) {
		return "", numberReasons[what+"_scientific"], nil
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '.' || c == '-' || unicode.IsSpace(c):
		default:
			return "", numberReasons[what+"_chars"], map[string]any{"Char": string(c)}
		}
	}
	d := b.String()
	if n := len(d); n < lo || n > hi {
		return "", numberReasons[what+"_length"], map[string]any{"Got": n, "Min": lo, "Max": hi}
	}
	return d, "", nil
}

// markConflicts rejects the rows whose NIK appears with different KPJs, and
// then those whose KPJ appears for different NIKs: which one is right is for
// a person to decide. A row repeating an earlier one exactly is a duplicate.
func markConflicts(lines []*kpjLine) {
	group := func(key func(*kpjLine) string, other func(*kpjLine) string, reason string) {
		by := map[string][]*kpjLine{}
		var order []string
		for _, l := range lines {
			if l.reason != "" {
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
			mixed := slices.ContainsFunc(ls, func(l *kpjLine) bool { return other(l) != other(ls[0]) })
			if !mixed {
				continue
			}
			for _, l := range ls {
				var rows []string
				for _, o := range ls {
					if o != l {
						rows = append(rows, strconv.Itoa(o.row))
					}
				}
				l.reason, l.data = reason, map[string]any{"Rows": strings.Join(rows, ", ")}
			}
		}
	}
	nikOf := func(l *kpjLine) string { return l.nik }
	kpjOf := func(l *kpjLine) string { return l.kpj }
	group(nikOf, kpjOf, "kpj.reject.nik_conflict")
	group(kpjOf, nikOf, "kpj.reject.kpj_conflict")
	seen := map[string]bool{}
	for _, l := range lines {
		if l.reason == "" {
			l.duplicate = seen[l.nik]
			seen[l.nik] = true
		}
	}
}
