package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/wilayah"
)

// importChunk is how many checked rows go to the database in one
// transaction: an interrupted import keeps what it committed, and a re-run
// finishes the rest.
const importChunk = 20_000

// importWriters is how many chunks are written at once.
const importWriters = 2

// importMemory is the heap the import aims to stay under, whatever the
// file's size (a soft limit: the collector works harder near it). Up to
// four chunks are in memory at once (two being written, one waiting, one
// being filled) beside the region data; GOMEMLIMIT overrides it.
const importMemory = 200 << 20

// importReport lists the rows of a file that were not imported and why.
type importReport struct {
	mu   sync.Mutex // the checking loop and the database writer both add
	w    *csv.Writer
	rows int
}

func (r *importReport) add(line int, column, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows++
	if r.w != nil {
		r.w.Write([]string{strconv.Itoa(line), column, reason}) //nolint:errcheck // checked at Flush
	}
}

// importCommand is `lindungi import FILE --sponsor NAME --programs jkk,jkm
// --months 12 [--start DATE] [--dry-run] [--report FILE] [--lang id|en]`: a
// sponsor's list of workers, checked with the chat's rules and stored in
// chunks. The report, the file's errors and the summary are in --lang.
func importCommand(ctx context.Context, args []string, db *store.DB, regions *wilayah.Data, tariffs *iuran.Table, cfg flows.Config,
	cat *locales.Catalog, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	sponsor := fs.String("sponsor", "", "who pays, as workers will read it (\"Pemprov Kalimantan Barat\")")
	programs := fs.String("programs", "jkk,jkm", "jkk,jkm or jkk,jkm,jht")
	months := fs.Int("months", 12, "months the sponsor pays for: 1, 3, 6 or 12")
	start := fs.String("start", "", "the agreement's start (YYYY-MM-DD); default: the day after payment")
	dryRun := fs.Bool("dry-run", false, "check every row and report, store nothing")
	reportPath := fs.String("report", "", "write the rows not imported, with the reason, to this CSV")
	langFlag := fs.String("lang", locales.Default, "language of the report, the file's errors and the summary: id or en")
	file, rest := fileArg(args, map[string]bool{"sponsor": true, "programs": true, "months": true, "start": true, "report": true, "lang": true})
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if file == "" {
		return errors.New(commandUsage["import"])
	}
	lang := *langFlag
	// T renders an "import." text of the report or the summary.
	T, err := textsIn(cat, lang)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*sponsor) == "" {
		return errors.New("--sponsor: say who pays, for example --sponsor \"Pemprov Kalimantan Barat\"")
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
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(importMemory))
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
		return fmt.Errorf("%s: %w", file, rosterError(cat, lang, err))
	}
	defer rd.Close()

	report := &importReport{}
	if *reportPath != "" {
		out, err := os.Create(*reportPath)
		if err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		defer out.Close()
		report.w = csv.NewWriter(out)
		report.w.Write([]string{T("import.report_line"), T("import.report_column"), T("import.report_reason")}) //nolint:errcheck // checked at Flush
		defer func() {
			report.w.Flush()
		}()
	}

	var batch store.Batch
	if !*dryRun {
		b, created, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: *sponsor, FileName: file, FileSHA: sum, JHT: jht, Months: *months,
			Start: startDate, CreatedBy: "cli:" + operator(getenv)})
		if err != nil {
			return err
		}
		batch = b
		if !created {
			fmt.Fprintln(stdout, T("import.batch_again", "ID", b.ID, "Sponsor", b.Sponsor, "Imported", locales.Number(lang, int64(b.Imported)),
				"Attached", locales.Number(lang, int64(b.Attached))))
		} else {
			fmt.Fprintln(stdout, T("import.batch_opened", "ID", b.ID, "Sponsor", b.Sponsor))
		}
	}

	nikColumn := roster.ColNIK.Text(cat, lang) // the report's column for a row's NIK
	var read, valid, imported, attached, left int
	var counts sync.Mutex // the writers add to the counts
	write := func(c []roster.Worker) error {
		res, err := db.ImportChunk(context.WithoutCancel(ctx), batch, c, tariffs)
		if err != nil {
			return err
		}
		counts.Lock()
		defer counts.Unlock()
		imported += res.Imported
		attached += res.Attached
		for _, n := range res.Notes {
			switch n.Outcome {
			case store.ImportAlready:
				left++
			case store.ImportActive:
				report.add(n.Line, nikColumn, T("import.active"))
			case store.ImportOther:
				report.add(n.Line, nikColumn, T("import.other_sponsor"))
			case store.ImportAttached:
				report.add(n.Line, nikColumn, T("import.attached"))
			}
		}
		return nil
	}
	v := roster.NewValidator(regions, cfg.Province, clock.Now().In(cfg.Location), cfg.MinAge, cfg.MaxAge)
	prog := newProgress(stdout, size, lang, T)
	// NIK (as a number) → its first line, for duplicates within the file: 12
	// bytes a row, where a string key and an int took 32.
	seen := make(map[uint64]int32, 1<<16)
	var chunk []roster.Worker
	var writeErr atomic.Pointer[error] // the first chunk that failed stops the reading too
	// The database writes chunks (two at once: different NIKs, so they never
	// wait for each other) while the next ones are checked.
	chunks := make(chan []roster.Worker, 1)
	written := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		for range importWriters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range chunks {
					if writeErr.Load() != nil {
						continue
					}
					if err := write(c); err != nil {
						writeErr.CompareAndSwap(nil, &err)
					}
				}
			}()
		}
		wg.Wait()
		var failed error
		if p := writeErr.Load(); p != nil {
			failed = *p
		}
		written <- failed
	}()
	flush := func() error {
		if len(chunk) == 0 || *dryRun {
			chunk = chunk[:0]
			return nil
		}
		if p := writeErr.Load(); p != nil {
			return *p
		}
		chunks <- chunk
		chunk = make([]roster.Worker, 0, importChunk)
		return nil
	}
	finished := false
	finish := func() error {
		finished = true
		close(chunks)
		return <-written
	}
	// Whatever stops the loop, the chunks handed over are written (or fail) first.
	defer func() {
		if !finished {
			finish() //nolint:errcheck // the loop's own error is returned
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", T("import.stopped", "Read", locales.Number(lang, int64(read))), err)
		}
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, rosterError(cat, lang, err))
		}
		read++
		w, problem := v.Check(row)
		if problem != nil {
			report.add(problem.Line, problem.ColumnText(cat, lang), problem.Msg.Text(cat, lang))
		} else if k := roster.Key(w); seen[k] != 0 {
			report.add(w.Line, nikColumn, T("import.duplicate", "Line", seen[k]))
		} else {
			seen[k] = int32(min(w.Line, math.MaxInt32))
			valid++
			chunk = append(chunk, w)
			if len(chunk) == importChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		prog.update(read, counted.n)
	}
	if err := flush(); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	prog.done(read)
	rejected := read - valid
	if report.w != nil {
		report.w.Flush()
		if err := report.w.Error(); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	if *dryRun {
		fmt.Fprintln(stdout, T("import.dry_run", "Read", locales.Number(lang, int64(read)), "Valid", locales.Number(lang, int64(valid)),
			"Rejected", locales.Number(lang, int64(rejected))))
		return nil
	}
	if err := db.FinishBatch(ctx, batch.ID, read, rejected); err != nil {
		return err
	}
	n := func(v int) string { return locales.Number(lang, int64(v)) }
	fmt.Fprintln(stdout, T("import.summary", "ID", batch.ID, "Read", n(read), "Imported", n(imported), "Before", n(left), "Attached", n(attached),
		"Rejected", n(report.rows-attached)))
	if imported == 0 && attached == 0 && left > 0 {
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

// progress shows rows/s and the time left: a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise.
type progress struct {
	w        io.Writer
	text     func(key string, kv ...any) string // renders an "import." text
	lang     string                             // for its numbers
	tty      bool
	size     int64
	start    clock.Stopwatch
	last     clock.Stopwatch // the last line written
	interval time.Duration
}

func newProgress(w io.Writer, size int64, lang string, T func(string, ...any) string) *progress {
	p := &progress{w: w, text: T, lang: lang, size: size, start: clock.Start(), interval: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.interval = true, 200*time.Millisecond
		}
	}
	return p
}

func (p *progress) update(rows int, offset int64) {
	if p.last.Elapsed() < p.interval {
		return
	}
	p.last = clock.Start()
	elapsed := p.start.Elapsed().Seconds()
	rate := locales.Decimal(p.lang, float64(rows)/max(elapsed, 0.001), 0)
	frac := 0.0
	if p.size > 0 && offset > 0 {
		frac = min(1, float64(offset)/float64(p.size))
	}
	eta := "?"
	if frac > 0 {
		eta = (time.Duration(elapsed*(1-frac)/frac) * time.Second).Round(time.Second).String()
	}
	if p.tty {
		fmt.Fprint(p.w, "\r"+p.text("import.progress_bar", "Bar", bar(frac, 30), "Rows", locales.Number(p.lang, int64(rows)), "Rate", rate, "ETA", eta))
		return
	}
	fmt.Fprintln(p.w, p.text("import.progress", "Rows", locales.Number(p.lang, int64(rows)), "Percent", locales.Decimal(p.lang, 100*frac, 0),
		"Rate", rate, "ETA", eta))
}

func (p *progress) done(rows int) {
	if p.tty {
		fmt.Fprintln(p.w)
	}
	fmt.Fprintln(p.w, p.text("import.done", "Rows", locales.Number(p.lang, int64(rows)), "Seconds", locales.Decimal(p.lang, p.start.Elapsed().Seconds(), 1)))
}

// rosterError renders a roster file or header error (the file cannot be
// read, or its header row is wrong) for the admin, keeping err to unwrap.
func rosterError(cat *locales.Catalog, lang string, err error) error {
	var fe *roster.FileError
	var he *roster.HeaderError
	switch {
	case errors.As(err, &fe):
		return &renderedError{text: fe.Text(cat, lang), err: err}
	case errors.As(err, &he):
		return &renderedError{text: he.Text(cat, lang), err: err}
	}
	return err
}

// renderedError is an error whose message is a text of the catalogue.
type renderedError struct {
	text string
	err  error
}

func (e *renderedError) Error() string { return e.text }
func (e *renderedError) Unwrap() error { return e.err }

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
