package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/wilayah"
)

// exportCommand writes registrations, payments or agents as CSV for BPJS
// branch staff: `lindungi export --what registrations|payments|agents
// --format csv [--since YYYY-MM-DD] [--with-nik] [--out FILE]`. The NIK and
// the phone number are columns only with --with-nik; every export is in the
// audit log before its first row is written.
func exportCommand(ctx context.Context, args []string, db *store.DB, regions *wilayah.Data, cat *locales.Catalog, loc *time.Location,
	getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stdout)
	what := fs.String("what", "", "registrations, payments or agents")
	format := fs.String("format", "csv", "the file format: csv")
	since := fs.String("since", "", "only what was created from this day on (YYYY-MM-DD, the deployment's time zone)")
	withNIK := fs.Bool("with-nik", false, "add the NIK and phone number columns (registrations, agents); audit-logged")
	out := fs.String("out", "", "write to this file (created readable by its owner only) instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected %q (flags only)", fs.Arg(0))
	}
	if *format != "csv" {
		return fmt.Errorf("--format %q: only csv is supported", *format)
	}
	var from time.Time
	if *since != "" {
		t, err := time.ParseInLocation(time.DateOnly, *since, loc)
		if err != nil {
			return fmt.Errorf("--since %q: want YYYY-MM-DD", *since)
		}
		from = t
	}
	x := exporter{db: db, regions: regions, cat: cat, loc: loc, withNIK: *withNIK}
	var write func(ctx context.Context, w *csv.Writer, opt store.ExportOptions) (int, error)
	switch *what {
	case "registrations":
		write = x.registrations
	case "payments":
		write = x.payments
	case "agents":
		write = x.agents
	default:
		return fmt.Errorf("--what %q: want registrations, payments or agents", *what)
	}
	if *withNIK && *what == "payments" {
		return fmt.Errorf("--with-nik: payments have no NIK or phone columns")
	}

	dest := stdout
	var tmp *os.File
	if *out != "" {
		// Written beside the file and renamed at the end: a failed export
		// never leaves half a file to upload. CreateTemp makes it 0600.
		f, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*.part")
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer os.Remove(f.Name()) // a no-op once renamed
		defer f.Close()
		tmp, dest = f, f
	}
	where := "stdout"
	if *out != "" {
		where = *out
	}

	actor := "cli:" + operator(getenv)
	total, started := 0, false
	opt := store.ExportOptions{Since: from, WithPersonal: *withNIK, Start: func(n int) error {
		total, started = n, true
		if *withNIK {
			if err := db.AuditAs(ctx, actor, "export:with_nik", *what, fmt.Sprintf("what=%s rows=%d", *what, n)); err != nil {
				return err
			}
		}
		return db.AuditAs(ctx, actor, "export:"+*what, "", fmt.Sprintf("rows=%d since=%s with_nik=%t out=%s", n, orAll(*since), *withNIK, where))
	}}
	w := csv.NewWriter(dest)
	n, err := write(ctx, w, opt)
	if err == nil {
		w.Flush()
		err = w.Error()
	}
	if err == nil && tmp != nil {
		if err = tmp.Close(); err == nil {
			err = os.Rename(tmp.Name(), *out)
		}
	}
	if err != nil {
		if started {
			// Audited as started: say it stopped.
			_ = db.AuditAs(context.WithoutCancel(ctx), actor, "export:"+*what, "", fmt.Sprintf("stopped after %d of %d rows: %v", n, total, err))
		}
		return err
	}
	if *out != "" {
		fmt.Fprintf(stdout, "%d %s written to %s\n", n, *what, *out)
	}
	return nil
}

func orAll(since string) string {
	if since == "" {
		return "all"
	}
	return since
}

// exporter writes the rows of each export.
type exporter struct {
	db      *store.DB
	regions *wilayah.Data
	cat     *locales.Catalog
	loc     *time.Location
	withNIK bool
}

// row writes one record, flushing every few hundred rows so the output
// streams.
func row(w *csv.Writer, n int, rec []string) error {
	if err := w.Write(rec); err != nil {
		return err
	}
	if n%500 == 0 {
		w.Flush()
		return w.Error()
	}
	return nil
}

func (x exporter) registrations(ctx context.Context, w *csv.Writer, opt store.ExportOptions) (int, error) {
	header := []string{"reference", "kpj", "name"}
	if x.withNIK {
		header = append(header, "nik")
	}
	header = append(header, "birth_date", "sex")
	if x.withNIK {
		header = append(header, "phone")
	}
	header = append(header, "province_code", "province", "regency_code", "regency", "district_code", "district", "village_code", "village",
		"occupation", "occupation_name", "occupation_other", "income_base", "jkk", "jkm", "jht", "monthly_iuran", "status",
		"covered_from", "covered_to", "registered_at", "registered_by", "channel")
	if err := w.Write(header); err != nil {
		return 0, err
	}
	n := 0
	return x.db.ExportRegistrations(ctx, opt, func(r store.ExportRegistration) error {
		n++
		rec := []string{r.Ref, r.KPJ, cell(r.Name)}
		if x.withNIK {
			rec = append(rec, r.NIK)
		}
		sex := ""
		if r.Female.Valid {
			sex = map[bool]string{true: "female", false: "male"}[r.Female.Bool]
		}
		rec = append(rec, day(r.BirthDate), sex)
		if x.withNIK {
			rec = append(rec, r.Phone)
		}
		occupation := ""
		if r.Occupation != "" {
			occupation = x.cat.T("id", "occupation."+r.Occupation, nil)
		}
		by := "self"
		switch {
		case r.AgentID.Valid:
			by = "agent #" + strconv.FormatInt(r.AgentID.Int64, 10)
		case r.Sponsored:
			by = "sponsor"
		}
		rec = append(rec, r.Province, x.region(r.Province), r.Regency, x.region(r.Regency), r.District, x.region(r.District),
			r.Village, x.region(r.Village), r.Occupation, occupation, cell(r.OccupationOther), strconv.FormatInt(r.IncomeBase, 10),
			"yes", "yes", yesNo(r.JHT), strconv.FormatInt(r.MonthlyIuran, 10), r.Status, day(r.CoveredFrom), day(r.CoveredTo),
			x.stamp(r.CreatedAt), by, r.Channel)
		return row(w, n, rec)
	})
}

func (x exporter) payments(ctx context.Context, w *csv.Writer, opt store.ExportOptions) (int, error) {
	header := []string{"order_id", "provider", "method", "payer_kind", "payer_ref", "agent_id", "payment_amount", "status", "flag",
		"paid_at", "applied_at", "created_at", "item", "items", "registration_ref", "months", "jkk", "jkm", "jht", "discount", "item_amount"}
	if err := w.Write(header); err != nil {
		return 0, err
	}
	n := 0
	return x.db.ExportPayments(ctx, opt, func(p store.ExportPaymentItem) error {
		n++
		agent := ""
		if p.AgentID.Valid {
			agent = strconv.FormatInt(p.AgentID.Int64, 10)
		}
		i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
		return row(w, n, []string{p.OrderID, p.Provider, p.Method, p.PayerKind, cell(p.PayerRef), agent, i64(p.PaymentAmount), p.Status, p.Flag,
			x.nullStamp(p.PaidAt), x.nullStamp(p.AppliedAt), x.stamp(p.CreatedAt), strconv.Itoa(p.Item), strconv.Itoa(p.Items),
			p.RegistrationRef, strconv.Itoa(p.Months), i64(p.JKK), i64(p.JKM), i64(p.JHT), i64(p.Discount), i64(p.Amount)})
	})
}

func (x exporter) agents(ctx context.Context, w *csv.Writer, opt store.ExportOptions) (int, error) {
	header := []string{"id", "role", "name"}
	if x.withNIK {
		header = append(header, "nik", "phone")
	}
	header = append(header, "village_code", "village", "rt", "rw", "institution", "status", "decided_at", "decided_by", "applied_at",
		"residents_registered", "residents_active", "collected")
	if err := w.Write(header); err != nil {
		return 0, err
	}
	n := 0
	return x.db.ExportAgents(ctx, opt, func(a store.ExportAgent) error {
		n++
		rec := []string{strconv.FormatInt(a.ID, 10), a.Role, cell(a.Name)}
		if x.withNIK {
			rec = append(rec, a.NIK, a.Phone)
		}
		rec = append(rec, a.Village, x.region(a.Village), cell(a.RT), cell(a.RW), cell(a.Institution), a.Status, x.nullStamp(a.DecidedAt),
			a.DecidedBy, x.stamp(a.CreatedAt), strconv.Itoa(a.Registered), strconv.Itoa(a.Active), strconv.FormatInt(a.Collected, 10))
		return row(w, n, rec)
	})
}

// region is a region's name from its code, "" for none.
func (x exporter) region(code string) string {
	if code == "" {
		return ""
	}
	r, ok := x.regions.Get(code)
	if !ok {
		return ""
	}
	return r.Name
}

// stamp writes a moment in the deployment's time zone, as spreadsheets read it.
func (x exporter) stamp(t time.Time) string { return t.In(x.loc).Format(time.DateTime) }

func (x exporter) nullStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return x.stamp(t)
}

// day writes a calendar date (a date column: no time zone to convert).
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// cell guards a free-text value against spreadsheet formula injection: a
// value starting with = + - @ (or a tab or carriage return) would be run as
// a formula, so it gets a leading apostrophe, which spreadsheets hide.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
