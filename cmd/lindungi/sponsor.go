package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/skip2/go-qrcode"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/wilayah"
)

// sponsorCommand is `lindungi sponsor list | show ID [--bot NAME] [--channel telegram|whatsapp] [--qr FILE] |
// pay ID --ref REF | invoice ID --bank BANK | codes ID --out FILE`.
//
// The invoice goes through the engine's payment provider (main's provider,
// guarded); the provider argument is kept for the command table.
func sponsorCommand(ctx context.Context, args []string, db *store.DB, engine *flows.Engine, _ payments.Provider, cfg flows.Config,
	cat *locales.Catalog, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(commandUsage["sponsor"])
	}
	switch args[0] {
	case "list", "show", "pay", "invoice", "codes":
		fs := flag.NewFlagSet("sponsor "+args[0], flag.ContinueOnError)
		fs.SetOutput(stdout)
		langFlag := fs.String("lang", locales.Default, "language of what is printed: id or en")
		ref := fs.String("ref", "", "pay: the transfer's reference (SP2D, bank reference)")
		bank := fs.String("bank", "bni", "invoice: the bank of the virtual account (bca, bni, bri, mandiri, permata)")
		out := fs.String("out", "", "codes: write the codes (CSV: reference, name, code) to this file")
		days := fs.Int("days", 90, "codes: how many days the codes stay valid")
		qr := fs.String("qr", "", "show: write the poster's QR code (PNG) to this file: the link of --channel")
		bot := fs.String("bot", "", "show: the Telegram bot's username, for the poster's Telegram link https://t.me/<bot>?start=sponsor-…")
		channel := fs.String("channel", "", "show: the chat app the poster's QR code opens: telegram (needs --bot) or whatsapp (needs "+
			"WHATSAPP_DISPLAY_NUMBER, the link https://wa.me/<number>?text=…); by default telegram with --bot, else whatsapp")
		idArg, rest := fileArg(args[1:], map[string]bool{"ref": true, "qr": true, "bot": true, "channel": true, "bank": true, "out": true,
			"days": true, "lang": true})
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if *channel != "" && *channel != channelTelegram && *channel != channelWhatsApp {
			return fmt.Errorf("--channel %q: want telegram or whatsapp", *channel)
		}
		lang := *langFlag
		say, err := textsIn(cat, lang)
		if err != nil {
			return err
		}
		num := func(n int) string { return locales.Number(lang, int64(n)) }
		paid := func(b store.Batch) string {
			if !b.PaidAt.IsZero() {
				return say("sponsor.paid", "Date", cat.Date(lang, b.PaidAt.In(cfg.Location)), "Ref", b.PaymentRef)
			}
			return say("sponsor.not_paid")
		}
		if args[0] == "list" {
			bs, err := db.Batches(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, say("sponsor.list_header"))
			for _, b := range bs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.ID, b.Sponsor, b.FileName, num(b.Imported), num(b.Attached), num(b.Rejected),
					num(b.Claimed), num(b.Active), paid(b))
			}
			return tw.Flush()
		}
		id, err := strconv.ParseInt(idArg, 10, 64)
		if err != nil {
			return fmt.Errorf("lindungi sponsor %s ID: %q is not a batch number", args[0], idArg)
		}
		if args[0] == "codes" {
			return sponsorCodes(ctx, db, id, *out, *days, say, num, getenv, stdout)
		}
		if args[0] == "invoice" {
			return sponsorInvoice(ctx, db, engine, id, payments.Method(*bank), say, getenv, stdout)
		}
		if args[0] == "pay" {
			if *ref == "" {
				return errors.New("--ref: give the transfer's reference (SP2D or bank reference)")
			}
			n, err := engine.PaySponsorBatch(ctx, id, *ref, "cli:"+operator(getenv))
			if err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintln(stdout, say("sponsor.paid_before", "ID", id))
				return nil
			}
			fmt.Fprintln(stdout, say("sponsor.paid_now", "ID", id, "Ref", *ref, "Count", num(n)))
			return nil
		}
		b, err := db.BatchByID(ctx, id)
		if err != nil {
			return err
		}
		start := ""
		if !b.Start.IsZero() {
			start = cat.Date(lang, b.Start)
		}
		fmt.Fprintln(stdout, say("sponsor.show_head", "ID", b.ID, "Sponsor", b.Sponsor, "File", b.FileName, "SHA", b.FileSHA,
			"Programs", map[bool]string{false: "JKK+JKM", true: "JKK+JKM+JHT"}[b.JHT], "Months", b.Months, "Start", start))
		fmt.Fprintln(stdout, say("sponsor.show_counts", "Read", num(b.RowsRead), "Imported", num(b.Imported), "Attached", num(b.Attached),
			"Rejected", num(b.Rejected), "Workers", num(b.Workers), "Claimed", num(b.Claimed), "Active", num(b.Active)))
		_, waiting, err := db.BatchWaiting(ctx, id)
		if err != nil {
			return err
		}
		_, due, err := engine.SponsorDue(ctx, b, waiting)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, say("sponsor.show_due", "Monthly", locales.Rupiah(b.Monthly), "Total", locales.Rupiah(due),
			"Months", b.Months, "Paid", paid(b)))
		pays, err := db.BatchPayments(ctx, id)
		if err != nil {
			return err
		}
		for _, p := range pays {
			paidAt := ""
			if !p.PaidAt.IsZero() {
				paidAt = cat.Date(lang, p.PaidAt.In(cfg.Location))
			}
			fmt.Fprintln(stdout, say("sponsor.payment", "Order", p.OrderID, "Provider", p.Provider, "Status", p.Status,
				"Amount", locales.Rupiah(p.Amount), "Workers", num(p.Workers), "PaidAt", paidAt))
			if p.Flag != "" {
				fmt.Fprintln(stdout, say("sponsor.flagged", "Flag", p.Flag, "Note", p.Note))
			}
		}
		links := flows.PosterLinks(*bot, cfg.WhatsAppNumber, b.ClaimToken)
		if len(links) == 0 {
			// No chat app to link to: what to type in any of them.
			fmt.Fprintln(stdout, say("sponsor.poster", "App", "", "Link", flows.PosterCommand(b.ClaimToken)))
		}
		for _, l := range links {
			fmt.Fprintln(stdout, say("sponsor.poster", "App", l.App, "Link", l.URL))
		}
		if *qr != "" {
			l, err := posterQR(links, *channel)
			if err != nil {
				return err
			}
			png, err := qrcode.Encode(l.URL, qrcode.Medium, 1024)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*qr, png, 0o644); err != nil {
				return err
			}
			fmt.Fprintln(stdout, say("sponsor.qr_written", "App", l.App, "File", *qr))
		}
		return nil
	}
	return fmt.Errorf("lindungi sponsor %s: want list, show, pay, invoice or codes", args[0])
}

// The chat apps a sponsor's poster links to (--channel).
const (
	channelTelegram = flows.PosterTelegram
	channelWhatsApp = flows.PosterWhatsApp
)

// posterQR is the link the poster's QR code opens: the one of channel, or
// by default the first there is (Telegram's with --bot, else WhatsApp's).
func posterQR(links []flows.PosterLink, channel string) (flows.PosterLink, error) {
	for _, l := range links {
		if channel == "" || l.Channel == channel {
			return l, nil
		}
	}
	switch channel {
	case channelTelegram:
		return flows.PosterLink{}, errors.New("--channel telegram needs --bot: the link a phone's camera opens is https://t.me/<bot>?start=…")
	case channelWhatsApp:
		return flows.PosterLink{}, errors.New("--channel whatsapp needs WHATSAPP_DISPLAY_NUMBER: the link a phone's camera opens is https://wa.me/<number>?text=…")
	}
	return flows.PosterLink{}, errors.New("--qr needs a link to draw: --bot NAME for Telegram (https://t.me/<bot>?start=…), " +
		"or WHATSAPP_DISPLAY_NUMBER for WhatsApp (https://wa.me/<number>?text=…)")
}

// devCommand is `lindungi dev gen-workers N [--seed S] [--bad-every K] [--out FILE]`:
// a realistic sponsor's list for trying the import and for the benchmark.
func devCommand(args []string, regions *wilayah.Data, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "gen-workers" {
		return errors.New(commandUsage["dev"])
	}
	fs := flag.NewFlagSet("dev gen-workers", flag.ContinueOnError)
	fs.SetOutput(stdout)
	seed := fs.Int64("seed", 1, "the same seed writes the same file")
	bad := fs.Int("bad-every", 50, "about one row in this many is deliberately bad (0: none)")
	out := fs.String("out", "", "write here instead of standard output")
	nArg, rest := fileArg(args[1:], map[string]bool{"seed": true, "bad-every": true, "out": true})
	if err := fs.Parse(rest); err != nil {
		return err
	}
	n, err := strconv.Atoi(nArg)
	if err != nil || n < 1 {
		return fmt.Errorf("lindungi dev gen-workers N: %q is not a positive number", nArg)
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return roster.Generate(w, n, *seed, regions, *bad)
}

// sponsorInvoice asks the payment provider for one virtual account for the
// whole batch (flows.Engine.InvoiceSponsorBatch); its settlement protects
// every worker at once.
func sponsorInvoice(ctx context.Context, db *store.DB, engine *flows.Engine, id int64, bank payments.Method,
	say func(string, ...any) string, getenv func(string) string, stdout io.Writer) error {
	if !bank.Valid() || bank.Kind() != "va" {
		return fmt.Errorf("--bank %q: want a bank of a virtual account (bca, bni, bri, mandiri, permata)", bank)
	}
	ins, err := engine.InvoiceSponsorBatch(ctx, db, id, bank, "cli:"+operator(getenv))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, say("sponsor.invoice", "ID", id, "Amount", locales.Rupiah(ins.Amount), "Bank", strings.ToUpper(string(ins.Bank)),
		"VA", ins.VANumber, "Until", ins.ExpiresAt.Format("2006-01-02 15:04"), "Order", ins.OrderID))
	return nil
}

// sponsorCodes writes a single-use claim code for every worker of a batch
// who has not linked their chat, for the sponsor to print: a worker types it
// in the claim after their NIK and name.
func sponsorCodes(ctx context.Context, db *store.DB, id int64, out string, days int, say func(string, ...any) string, num func(int) string,
	getenv func(string) string, stdout io.Writer) error {
	if out == "" {
		return errors.New("--out: the codes are a list to print and hand out: give a file")
	}
	if days < 1 || days > 365 {
		return fmt.Errorf("--days %d: want 1 to 365", days)
	}
	// The file first: new codes replace the printed ones, so they must not be lost.
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	codes, err := db.BatchClaimCodes(ctx, id, clock.Now().AddDate(0, 0, days), "cli:"+operator(getenv))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"nomor_pendaftaran", "nama", "kode_klaim"}) //nolint:errcheck // checked at Flush
	for _, c := range codes {
		w.Write([]string{c.Ref, c.Name, c.Code}) //nolint:errcheck // checked at Flush
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, say("sponsor.codes_written", "ID", id, "Count", num(len(codes)), "File", out, "Days", days))
	return nil
}
