package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store"
)

// paymentsReport prints a day's settlements, their totals by channel and
// provider, and the payments flagged for an admin: `lindungi payments report
// --date YYYY-MM-DD`.
func paymentsReport(ctx context.Context, args []string, db *store.DB, cat *locales.Catalog, loc *time.Location, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "report" {
		return errors.New(commandUsage["payments"])
	}
	fs := flag.NewFlagSet("payments report", flag.ContinueOnError)
	fs.SetOutput(stdout)
	date := fs.String("date", clock.Now().In(loc).Format(time.DateOnly), "the day to report, in the deployment's time zone")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	day, err := time.ParseInLocation(time.DateOnly, *date, loc)
	if err != nil {
		return fmt.Errorf("--date %q: want YYYY-MM-DD", *date)
	}
	r, err := db.Report(ctx, day, loc)
	if err != nil {
		return err
	}
	const lang = "id"
	T := func(key string, data map[string]any) string { return cat.T(lang, key, data) }
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, T("report.title", map[string]any{"Date": cat.Date(lang, day)}))
	fmt.Fprintf(tw, "%s\t%d\t%s\n", T("report.settled", nil), r.Settled, locales.Rupiah(r.Total))
	for _, part := range []struct {
		key   string
		lines []store.ReportLine
	}{{"report.by_channel", r.ByChannel}, {"report.by_provider", r.ByProvider}} {
		fmt.Fprintln(tw, "\n"+T(part.key, nil))
		for _, l := range part.lines {
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", l.Key, l.Count, locales.Rupiah(l.Total))
		}
	}
	fmt.Fprintln(tw, "\n"+T("report.savings", map[string]any{"Held": locales.Rupiah(r.Savings.Held)}))
	for _, l := range []struct {
		key   string
		count int
		total int64
	}{{"report.savings_topups", r.Savings.TopUps, r.Savings.TopUpTotal}, {"report.savings_months", r.Savings.Months, r.Savings.MonthsTotal},
		{"report.savings_refunds", r.Savings.Refunds, r.Savings.RefundsTotal}} {
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", T(l.key, nil), l.count, locales.Rupiah(l.total))
	}
	fmt.Fprintln(tw, "\n"+T("report.autodebit", map[string]any{"Active": r.AutoDebit.Active, "Paused": r.AutoDebit.Paused}))
	fmt.Fprintf(tw, "  %s\t%d\t%s\n", T("report.autodebit_charged", nil), r.AutoDebit.Charged, locales.Rupiah(r.AutoDebit.ChargedTotal))
	fmt.Fprintf(tw, "  %s\t%d\n", T("report.autodebit_failed", nil), r.AutoDebit.Failed)
	fmt.Fprintln(tw, "\n"+T("report.flagged", map[string]any{"Count": len(r.Flagged)}))
	for _, f := range r.Flagged {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", f.OrderID, f.Provider, f.Status, f.Flag, locales.Rupiah(f.Amount))
	}
	return tw.Flush()
}
