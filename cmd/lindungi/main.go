// Command lindungi runs the Lindungi bot: `serve` for the channels, `chat` in
// the terminal, `migrate` for the database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // the deployment's time zone, even on a machine without zoneinfo

	"github.com/lindungi/lindungi/bot/console"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/vault"
	"github.com/lindungi/lindungi/wilayah"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // the usage was asked for, and printed
		}
		fmt.Fprintln(os.Stderr, "lindungi:", err)
		os.Exit(1)
	}
}

const usage = `usage: lindungi <command> [flags]

commands:
  serve     run the bot: migrations, HTTP health endpoints, outbox delivery
  chat      talk to the bot in this terminal (--user N, --jsonl)
  migrate   apply database migrations and exit
  payments report [--date YYYY-MM-DD]
            the day's settlements by channel and provider, and flagged payments
  audit [--agent N|channel:id] [--since YYYY-MM-DD]
            who read or changed personal data, and when
  broadcast send --text T [--regency …] [--status …] [--at …] [--yes]
            a broadcast to a segment (the same filters as /siaran in chat)
  broadcast status ID [--watch]
            its progress
  import FILE --sponsor NAME [--programs jkk,jkm[,jht]] [--months 12] [--start DATE] [--dry-run] [--report FILE] [--lang id|en]
            a sponsor's list of workers (CSV or XLSX), checked with the chat's rules
  sponsor list | show ID [--bot NAME --qr FILE] | pay ID --ref REFERENCE | invoice ID --bank BANK | codes ID --out FILE [--lang id|en]
            sponsored batches, their poster link, an external payment (APBD transfer), one virtual account
            for the batch, or a claim code per worker to print
  dev gen-workers N [--seed S] [--bad-every K] [--out FILE]
            a realistic list to try the import with
  export --what registrations|payments|agents [--format csv] [--since YYYY-MM-DD] [--with-nik] [--out FILE]
            CSV for BPJS branch staff (NIK and phone only with --with-nik, audit-logged)
  kpj import FILE [--report FILE] [--lang id|en]
            record the participant numbers (KPJ) BPJS issued, by NIK, and tell the workers
  whatsapp templates [--submit | --status]
            the WhatsApp message templates as Meta's JSON; submit them for review, or show Meta's status
  admin link CHANNEL:ID
            a one-time sign-in link to the staff dashboard (/admin/) for an admin, valid 10 minutes

configuration (environment):
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stdout, usage)
		printOptions(stdout)
		return errors.New("no command given")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "chat", "serve", "migrate", "payments", "audit", "broadcast", "export", "kpj", "import", "sponsor", "dev", "admin":
	case "whatsapp": // needs no database: its own flags, and configuration only to call Meta
		return whatsappCommand(ctx, rest, getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		printOptions(stdout)
		return nil
	default:
		return fmt.Errorf("unknown command %q (try: lindungi help)", cmd)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stdout)
	// Only the terminal chat has flags; serve and migrate are configured
	// by the environment alone.
	var user *int64
	var jsonl *bool
	if cmd == "chat" {
		user = fs.Int64("user", 1, "the chat/user id to talk as")
		jsonl = fs.Bool("jsonl", false, "speak JSON lines (for scripts and tests)")
	}
	fs.Usage = func() {
		if cmd == "chat" {
			fmt.Fprintf(stdout, "usage: lindungi chat [flags]\n%s\n", commandAbout[cmd])
			fs.PrintDefaults()
		} else {
			fmt.Fprintf(stdout, "usage: lindungi %s\n%s\n", cmd, commandAbout[cmd])
		}
		fmt.Fprintln(stdout, "\nconfiguration (environment):")
		printOptions(stdout)
	}
	ownFlags := map[string]bool{"payments": true, "audit": true, "broadcast": true, "export": true, "kpj": true, "import": true, "sponsor": true, "dev": true, "admin": true}
	if !ownFlags[cmd] { // the others read their own flags
		if err := fs.Parse(rest); err != nil {
			return err
		}
	}

	if ownFlags[cmd] && asksHelp(rest) {
		return commandHelp(ctx, cmd, rest, stdout)
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	if cmd == "chat" && cfg.LogLevel == "info" {
		level = slog.LevelWarn // the terminal is for the conversation
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if off, moved := clock.Moved(); moved {
		log.Warn("the clock is moved: dates are not today's", "by", off.Round(time.Second).String(), "now", clock.Now().Format(time.RFC3339))
	}

	v, err := vault.FromEnv(getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, v, store.Options{Location: cfg.Flow.Location})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if applied > 0 {
		log.Info("migrations applied", "count", applied, "schema_version", store.SchemaVersion())
	}
	if cmd == "migrate" {
		fmt.Fprintf(stdout, "database at schema version %d (%d migrations applied now)\n", store.SchemaVersion(), applied)
		return nil
	}

	regions, err := wilayah.Load()
	if err != nil {
		return fmt.Errorf("load region data: %w", err)
	}
	if r, ok := regions.Get(cfg.Flow.Province); !ok || r.Level != wilayah.Province {
		return fmt.Errorf("LINDUNGI_PROVINCE: %q is not a province code (for example 61 for Kalimantan Barat)", cfg.Flow.Province)
	}
	cat, err := locales.Load()
	if err != nil {
		return fmt.Errorf("load texts: %w", err)
	}
	provider, err := newProvider(cfg, v)
	if err != nil {
		return err
	}
	if provider.Name() == "sandbox" {
		cfg.Flow.SandboxPayURL = cfg.PublicURL + "/sandbox/pay/%s"
	}
	cfg.Flow.DashboardURL = cfg.PublicURL + "/admin/login?t=%s"
	// The bot's Telegram username, for claim links, is known once serve has asked getMe.
	botName := new(atomic.Pointer[string])
	cfg.Flow.BotUsername = func() string {
		if p := botName.Load(); p != nil {
			return *p
		}
		return ""
	}
	templates, err := loadTemplates(cat)
	if err != nil {
		return fmt.Errorf("whatsapp: %w", err)
	}
	engine := flows.New(flows.Deps{Store: db, Catalog: cat, Templates: templates, Regions: regions, Tariffs: cfg.Tariffs, Log: log, Payer: provider,
		Discounts: cfg.Discounts}, cfg.Flow)
	autodebit := newAutoDebit(cfg, provider, db, engine)

	photos := cards{db: db, cat: cat, publicURL: cfg.PublicURL, loc: cfg.Flow.Location, regions: regions}
	if ownFlags[cmd] {
		return runTool(ctx, cmd, rest, tools{db: db, engine: engine, provider: provider, cfg: cfg.Flow, publicURL: cfg.PublicURL, tariffs: cfg.Tariffs, cat: cat,
			regions: regions, getenv: getenv, stdin: stdin, stdout: stdout, stderr: os.Stderr})
	}
	switch cmd {
	case "chat":
		return console.Run(ctx, stdin, stdout, console.Options{
			ChatID: strconv.FormatInt(*user, 10), JSONL: *jsonl, Handler: engine, Outbox: db, Catalog: cat, Photos: photos,
		})
	default:
		return serve(ctx, cfg, deps{db: db, engine: engine, cat: cat, regions: regions, log: log, provider: provider, photos: photos,
			photoKey: v.Hash("web", "photo-links"), sandboxKey: v.Hash("sandbox", "page-token"),
			sessionKey: v.Hash("web", "session-ids"), botName: botName, templates: templates, autodebit: autodebit}, getenv, stdout)
	}
}

// commandAbout says what the commands without their own flags do.
var commandAbout = map[string]string{
	"serve":   "run the bot: migrations, the web chat, the staff dashboard (/admin/), health endpoints, outbox delivery",
	"chat":    "talk to the bot in this terminal",
	"migrate": "apply the database migrations and exit",
}

// commandUsage is the usage of each command that reads its own flags.
var commandUsage = map[string]string{
	"payments":  "usage: lindungi payments report [--date YYYY-MM-DD]",
	"admin":     "usage: lindungi admin link CHANNEL:ID (a one-time sign-in link to the dashboard, valid 10 minutes)",
	"audit":     "usage: lindungi audit [--since YYYY-MM-DD] [flags]",
	"broadcast": "usage: lindungi broadcast send [flags] | status ID [--watch]",
	"export":    "usage: lindungi export [flags]",
	"kpj":       "usage: lindungi kpj import FILE [--report FILE] [--kpj-digits 8-16] [--lang id|en]",
	"import":    "usage: lindungi import FILE --sponsor NAME --funding apbn|apbd|other [--programs jkk,jkm] [--months 12] [--start YYYY-MM-DD] [--dry-run] [--report FILE] [--lang id|en]",
	"sponsor":   "usage: lindungi sponsor list | show ID [--qr FILE] [--bot NAME] | pay ID --ref REFERENCE | invoice ID --bank BANK | codes ID --out FILE [--days 90]  [--lang id|en]",
	"dev":       "usage: lindungi dev gen-workers N [--seed S] [--bad-every K] [--out FILE]",
}

// asksHelp reports whether -h, -help or --help is among the arguments
// (before a "--").
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// commandHelp prints a command's usage with no configuration, key or
// database: the command's own flags when a subcommand is named (they are
// read before anything is opened), else the command's usage line.
func commandHelp(ctx context.Context, cmd string, args []string, stdout io.Writer) error {
	sub := len(args) > 0 && !strings.HasPrefix(args[0], "-")
	if cmd == "audit" || cmd == "export" || cmd == "import" {
		sub = true // no subcommands: the flags are the command's
	}
	if !sub {
		fmt.Fprintln(stdout, commandUsage[cmd])
		return nil
	}
	cat, err := locales.Load()
	if err != nil {
		return fmt.Errorf("load texts: %w", err)
	}
	// Every command parses its flags before it touches what it is given:
	// -h stops there with flag.ErrHelp.
	err = runTool(ctx, cmd, args, tools{cfg: flows.DefaultConfig(), cat: cat, getenv: func(string) string { return "" },
		stdin: strings.NewReader(""), stdout: stdout, stderr: io.Discard})
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err == nil {
		return fmt.Errorf("lindungi %s: -h did not stop before the command ran", cmd)
	}
	return err
}

// tools are what the commands with their own flags are given; for their
// help, only the configuration's defaults and the texts.
type tools struct {
	db       *store.DB
	engine   *flows.Engine
	provider payments.Provider
	cfg      flows.Config
	tariffs  *iuran.Table
	// publicURL is LINDUNGI_PUBLIC_URL (or the listen address), for links.
	publicURL string
	cat       *locales.Catalog
	regions   *wilayah.Data
	getenv    func(string) string
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
}

// runTool runs one of the commands that read their own flags.
func runTool(ctx context.Context, cmd string, args []string, t tools) error {
	switch cmd {
	case "payments":
		return paymentsReport(ctx, args, t.db, t.cat, t.cfg.Location, t.stdout)
	case "audit":
		return auditCommand(ctx, args, t.db, t.cfg.Location, t.stdout)
	case "broadcast":
		return broadcastCommand(ctx, args, t.db, t.engine, t.cfg, t.getenv, t.stdout)
	case "export":
		return exportCommand(ctx, args, t.db, t.regions, t.cat, t.cfg.Location, t.getenv, t.stdout)
	case "kpj":
		var notices flows.KPJNotices
		if t.engine != nil {
			notices = t.engine
		}
		return kpjCommand(ctx, args, t.db, notices, t.cat, t.getenv, t.stdin, t.stdout, t.stderr)
	case "import":
		return importCommand(ctx, args, t.db, t.regions, t.tariffs, t.cfg, t.cat, t.getenv, t.stdout)
	case "sponsor":
		return sponsorCommand(ctx, args, t.db, t.engine, t.provider, t.cfg, t.cat, t.getenv, t.stdout)
	case "dev":
		return devCommand(args, t.regions, t.stdout)
	case "admin":
		return adminCommand(ctx, args, t.db, t.cfg, t.publicURL, t.stdout)
	}
	return fmt.Errorf("unknown command %q", cmd)
}
