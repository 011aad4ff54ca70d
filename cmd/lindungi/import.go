package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/wilayah"
)

// importCommand is `lindungi import FILE --sponsor NAME --programs jkk,jkm
// --months 12 [--start DATE] [--dry-run] [--report FILE] [--lang id|en]`: a
// sponsor's list of workers, checked with the chat's rules and stored in
// chunks (sponsor.Import). The report, the file's errors and the summary
// are in --lang.
func importCommand(ctx context.Context, args []string, db *store.DB, regions *wilayah.Data, tariffs *iuran.Table, cfg flows.Config,
	cat *locales.Catalog, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	sponsorName := fs.String("sponsor", "", "who pays, as workers will read it (\"Pemprov Kalimantan Barat\")")
	programs := fs.String("programs", "jkk,jkm", "jkk,jkm or jkk,jkm,jht")
	funding := fs.String("funding", "", "who pays JKK and JKM: apbn or apbd (public funds: full price, no PP 50/2025 discount) or other (a company, a donor)")
	months := fs.Int("months", 12, "months the sponsor pays for: 1, 3, 6 or 12")
	start := fs.String("start", "", "the agreement's start (YYYY-MM-DD); default: the day after payment")
	dryRun := fs.Bool("dry-run", false, "check every row and report, store nothing")
	reportPath := fs.String("report", "", "write the rows not imported, with the reason, to this CSV")
	langFlag := fs.String("lang", locales.Default, "language of the report, the file's errors and the summary: id or en")
	file, rest := fileArg(args, map[string]bool{"sponsor": true, "programs": true, "funding": true, "months": true, "start": true, "report": true, "lang": true})
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if file == "" {
		return errors.New(commandUsage["import"])
	}
	lang := *langFlag
	// T renders an "import." text of the summary.
	T, err := textsIn(cat, lang)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*sponsorName) == "" {
		return errors.New("--sponsor: say who pays, for example --sponsor \"Pemprov Kalimantan Barat\"")
	}
	// The law's discount is not for workers whose JKK and JKM public funds
	// pay (PP 50/2025): the import must be told which.
	var public bool
	switch strings.ToLower(strings.TrimSpace(*funding)) {
	case "apbn", "apbd":
		public = true
	case "other", "lain", "lainnya", "swasta", "csr":
	default:
		return fmt.Errorf("--funding %q: say who pays JKK and JKM: apbn or apbd (government budget: full price, no PP 50/2025 discount) or other (a company or donor: the discount applies)", *funding)
	}
	jht := false
	switch strings.ReplaceAll(strings.ToLower(*programs), " ", "") {
	case "jkk,jkm", "jkm,jkk":
	case "jkk,jkm,jht", "jkk,jht,jkm", "jht,jkk,jkm", "jkm,jkk,jht", "jkm,jht,jkk", "jht,jkm,jkk":
		jht = true
	default:
		return fmt.Errorf("--programs %q: want jkk,jkm or jkk,jkm,jht (JKK and JKM are required)", *programs)
	}
	if iuran.CheckPeriod(*months) != nil {
		return fmt.Errorf("--months %d: want 1, 3, 6 or 12", *months)
	}
	var startDate time.Time
	if *start != "" {
		t, err := time.ParseInLocation(time.DateOnly, *start, cfg.Location)
		if err != nil {
			return fmt.Errorf("--start %q: want YYYY-MM-DD", *start)
		}
		startDate = t
	}

	if getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(sponsor.MemoryLimit))
	}
	sum, size, err := fileHash(file)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	counted := &countingReader{r: f}
	var src io.Reader = counted
	if strings.HasSuffix(strings.ToLower(file), ".xlsx") {
		src = f // excelize reads an XLSX file by its name
	}
	rd, err := roster.Open(src, file)
	if err != nil {
		return fmt.Errorf("%s: %w", file, roster.Explain(cat, lang, err))
	}
	defer rd.Close()

	o := sponsor.Options{
		Batch: sponsor.BatchSpec{Sponsor: *sponsorName, FileName: file, FileSHA: sum, JHT: jht, Months: *months, Start: startDate, PublicFunds: public,
			CreatedBy: "cli:" + operator(getenv)},
		DryRun:   *dryRun,
		Check:    roster.NewValidator(regions, cfg.Province, clock.Now().In(cfg.Location), cfg.MinAge, cfg.MaxAge),
		Tariffs:  tariffs,
		Catalog:  cat,
		Lang:     lang,
		Progress: stdout,
		Terminal: isTerminal(stdout),
		Size:     size,
		Offset:   func() int64 { return counted.n },
	}
	if *reportPath != "" {
		out, err := os.Create(*reportPath)
		if err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		defer out.Close()
		o.Report = out
	}
	res, err := sponsor.Import(ctx, db, rd, o)
	if re := (*sponsor.ReportError)(nil); errors.As(err, &re) {
		return fmt.Errorf("--report: %w", re.Err)
	}
	if err != nil {
		return err
	}
	n := func(v int) string { return locales.Number(lang, int64(v)) }
	if *dryRun {
		fmt.Fprintln(stdout, T("import.dry_run", "Read", n(res.Read), "Valid", n(res.Valid), "Rejected", n(res.Rejected())))
		return nil
	}
	fmt.Fprintln(stdout, T("import.summary", "ID", res.Batch.ID, "Read", n(res.Read), "Imported", n(res.Imported), "Before", n(res.Before),
		"Attached", n(res.Attached), "Rejected", n(res.NotImported())))
	if res.Imported == 0 && res.Attached == 0 && res.Before > 0 {
		fmt.Fprintln(stdout, T("import.nothing_new"))
	}
	return nil
}

// fileArg takes the one argument that is not a flag or a flag's value (the
// file may come before or after the flags).
func fileArg(args []string, takesValue map[string]bool) (string, []string) {
	var file string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			name := strings.TrimLeft(a, "-")
			rest = append(rest, a)
			if takesValue[name] && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
			continue
		}
		if file == "" {
			file = a
			continue
		}
		rest = append(rest, a)
	}
	return file, rest
}

// fileHash is the hex SHA-256 of a file and its size.
func fileHash(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// isTerminal reports whether w is a terminal (the import's progress is a
// bar redrawn in place there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// countingReader counts the bytes read through it (the import's progress).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
