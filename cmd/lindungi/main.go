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
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
	_ "time/tzdata" // the deployment's time zone, even on a machine without zoneinfo

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/console"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/vault"
	"github.com/lindungi/lindungi/wilayah"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "lindungi:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: lindungi <command> [flags]

commands:
  serve     run the bot: migrations, HTTP health endpoints, outbox delivery
  chat      talk to the bot in this terminal (--user N, --jsonl)
  migrate   apply database migrations and exit

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
	case "chat", "serve", "migrate":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		printOptions(stdout)
		return nil
	default:
		return fmt.Errorf("unknown command %q (try: lindungi help)", cmd)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stdout)
	user := fs.Int64("user", 1, "chat: the chat/user id to talk as")
	jsonl := fs.Bool("jsonl", false, "chat: speak JSON lines (for scripts and tests)")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "usage: lindungi %s [flags]\n", cmd)
		fs.PrintDefaults()
		fmt.Fprintln(stdout, "\nconfiguration (environment):")
		printOptions(stdout)
	}
	if err := fs.Parse(rest); err != nil {
		return err
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

	v, err := vault.FromEnv(getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, v, store.Options{})
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
	engine := flows.New(flows.Deps{Store: db, Catalog: cat, Regions: regions, Tariffs: cfg.Tariffs, Log: log}, cfg.Flow)

	switch cmd {
	case "chat":
		return console.Run(ctx, stdin, stdout, console.Options{
			ChatID: strconv.FormatInt(*user, 10), JSONL: *jsonl, Handler: engine, Outbox: db, Catalog: cat,
		})
	default:
		return serve(ctx, cfg, db, log, stdout)
	}
}

// serve runs the HTTP endpoints and the outbox delivery until ctx ends.
func serve(ctx context.Context, cfg config, db *store.DB, log *slog.Logger, stdout io.Writer) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := db.Ready(r.Context()); err != nil {
			log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "database not ready\n")
			return
		}
		io.WriteString(w, "ok\n")
	})
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "lindungi serving on http://%s (healthz, readyz)\n", ln.Addr())

	deliver := &bot.Deliverer{Outbox: db, Senders: map[string]bot.Sender{}, Log: log}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- deliver.Run(ctx) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down http: %w", err)
	}
	log.Info("stopped")
	return nil
}
