package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/kpj"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/roster"
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
	lo, hi, err := kpj.DigitRange(*digits)
	if err != nil {
		return err
	}
	in := stdin
	if files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			return fmt.Errorf("kpj import: %w", err)
		}
		defer f.Close()
		in = f
	}
	lines, err := kpj.Read(in, files[0], lo, hi)
	if err != nil {
		return fmt.Errorf("kpj import %s: %w", files[0], roster.Explain(cat, *lang, err))
	}
	kpj.MarkConflicts(lines)

	var sum kpjSummary
	sum.Rows = len(lines)
	var todo []flows.KPJRow
	byRow := map[int]*kpj.Line{}
	for _, l := range lines {
		switch {
		case l.Reason != "":
			sum.Invalid++
		case l.Duplicate:
			sum.Unchanged++
		default:
			todo = append(todo, flows.KPJRow{Row: l.Row, NIK: l.NIK, KPJ: l.KPJ})
			byRow[l.Row] = l
		}
	}
	for start := 0; start < len(todo) && err == nil; start += kpjBatch {
		var results []flows.KPJResult
		results, err = flows.RecordKPJs(ctx, db, todo[start:min(start+kpjBatch, len(todo))], notices)
		for _, r := range results {
			l := byRow[r.Row]
			switch r.Outcome {
			case flows.KPJUpdated:
				sum.Updated++
				if r.Previous != "" {
					sum.Replaced++
				}
			case flows.KPJUnchanged:
				sum.Unchanged++
			case flows.KPJUnknownNIK:
				sum.Unknown++
				l.Reason = "kpj.reject.unknown_nik"
			case flows.KPJTaken:
				sum.Invalid++
				l.Reason, l.Data = "kpj.reject.kpj_taken", map[string]any{"Ref": r.Holder}
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
	var rejected []*kpj.Line
	for _, l := range lines {
		if l.Reason != "" {
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
		w.Write([]string{strconv.Itoa(l.Row), T(l.Reason, l.Data)})
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
