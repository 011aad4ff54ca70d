package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/telegram"
	"github.com/lindungi/lindungi/bot/web"
	"github.com/lindungi/lindungi/bot/whatsapp"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/payments/webhook"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/wilayah"
)

// deps are what run built for the commands.
type deps struct {
	db       *store.DB
	engine   *flows.Engine
	cat      *locales.Catalog
	regions  *wilayah.Data
	log      *slog.Logger
	provider payments.Provider
	photos   bot.Photos
	photoKey []byte // signs the web chat's photo links, the same in every process
	// sandboxKey signs the test bank page's form tokens, sessionKey the web
	// chat's cookie secrets: the same in every process.
	sandboxKey, sessionKey []byte
	botName                *atomic.Pointer[string] // the Telegram bot's username, once known
	// templates are the WhatsApp templates notices go as (checked against
	// flows.NoticeKinds when loaded).
	templates *locales.Templates
	autodebit autoDebit // off unless GoPay Tokenization is on (autodebit.go)
}

// pagesPerMinute limits the pages beside the chat (the card check, the
// test bank) per client address.
const pagesPerMinute = 60

// newHTTPServer is serve's HTTP server: a request's headers and body must
// arrive in time, an answer must be written in time (the chat's event
// streams lift their own write deadline; a long poll ends within 25 s), and
// an idle keep-alive connection is closed.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
}

// loopback reports an address only this machine can reach.
func loopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// shutdownGrace is how long a stopping serve may take in all.
const shutdownGrace = 10 * time.Second

// serve runs the channels until ctx ends: the web chat always, Telegram when
// a token is set, the outbox delivery, health and metrics endpoints. On
// SIGTERM it stops taking updates, finishes the ones in flight, lets the
// outbox drain and exits within shutdownGrace.
func serve(ctx context.Context, cfg config, d deps, getenv func(string) string, stdout io.Writer) error {
	log := d.log
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	senders := map[string]bot.Sender{}
	metrics := bot.NewMetrics(reg, func(ctx context.Context) (map[string]flows.Backlog, error) {
		return d.db.Waiting(ctx, channelsOf(senders))
	})

	// The deliverer is woken by every reply this process commits (and, over
	// NOTIFY, by those of other processes).
	deliverer := &bot.Deliverer{Outbox: d.db, Senders: senders, Leases: leases{d.db}, Rate: cfg.TelegramRate, Workers: cfg.TelegramSenders, Log: log,
		Rates:   map[string]float64{whatsapp.Channel: cfg.WhatsAppRate},
		Metrics: metrics, Broadcasts: d.db, Texts: d.engine, Quiet: cfg.Flow.Quiet, Changes: d.db}
	d.db.AnnounceReplies(func() bool { return !deliverer.Delivering() })
	dispatcher := bot.NewDispatcher(poking{d.engine, deliverer.Poke}, cfg.Workers, log)
	dispatcher.Observe = metrics.ObserveUpdate

	// streams ends the web chat's open event streams before the HTTP server shuts down.
	streams, endStreams := context.WithCancel(context.WithoutCancel(ctx))
	defer endStreams()
	webChat, err := web.New(web.Options{
		Handler: observed{d.engine, metrics}, Outbox: d.db, Sessions: d.db, Changes: d.db, Catalog: d.cat, Log: log, Context: streams,
		RatePerMinute: cfg.WebRatePerMinute, StreamsPerAddress: cfg.WebStreamsPerAddress, MaxStreams: cfg.WebMaxStreams, AllowedOrigins: cfg.WebOrigins, FrameAncestors: cfg.WebFrameAncestor,
		SecureCookie: cfg.WebSecureCookie, PublicURL: cfg.PublicURL, SessionKey: d.sessionKey, Photos: d.photos, PhotoKey: d.photoKey,
	})
	if err != nil {
		return fmt.Errorf("web chat: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle("/", webChat)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	var wa *whatsapp.Client
	var waStatuses *whatsapp.Statuses
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := d.db.Ready(r.Context()); err != nil {
			log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "database not ready\n")
			return
		}
		if wa != nil {
			if err := wa.Unhealthy(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "whatsapp: the access token was refused (expired or revoked): set a new WHATSAPP_ACCESS_TOKEN\n")
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
	admin, err := dashboardHandler(ctx, d.db, d.engine, d.cat, d.regions, cfg, log)
	if err != nil {
		return err
	}
	mux.Handle("/admin/", admin)
	mux.Handle("GET /verify/{token}", web.Guard(pagesPerMinute, nil, web.VerifyPage(d.db, d.cat, cfg.Flow.Location, clock.Now, log)))
	notify := webhook.Handler(d.provider, d.engine.ApplyPayment, log)
	mux.Handle("POST /payments/"+d.provider.Name()+"/notification", notify)
	d.autodebit.addRoutes(mux, log)
	if sb, ok := d.provider.(*sandbox.Provider); ok && cfg.Env != "production" {
		page := web.Guard(pagesPerMinute, nil, webhook.SandboxPage(sb, d.db, d.cat, notify, d.sandboxKey, log))
		mux.Handle("GET /sandbox/pay/{code}", page)
		mux.Handle("POST /sandbox/pay/{code}", page)
	}
	metricsHandler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	switch {
	case cfg.MetricsAddr != "":
	case cfg.Env == "production":
		log.Info("metrics: off the public address in production; set LINDUNGI_METRICS_ADDR to serve /metrics")
	default:
		mux.Handle("GET /metrics", metricsHandler)
	}

	// Telegram: long polling, or webhooks when a public URL is configured.
	var tg *telegram.Client
	var poll func(ctx context.Context) error
	if cfg.TelegramToken != "" {
		tg, err = telegram.New(ctx, telegram.Options{Token: cfg.TelegramToken, Endpoint: cfg.TelegramEndpoint, Log: log, Photos: d.photos,
			Called: metrics.Called(telegram.Channel)})
		if err != nil {
			return fmt.Errorf("telegram: %w", err)
		}
		senders[telegram.Channel] = tg
		name := tg.Username()
		d.botName.Store(&name)
		if err := tg.SetCommands(ctx, d.cat); err != nil {
			log.Warn("telegram: set commands", "err", err)
		}
		if cfg.WebhookURL != "" {
			if err := tg.SetWebhook(ctx, cfg.WebhookURL, cfg.WebhookSecret); err != nil {
				return fmt.Errorf("telegram: %w", err)
			}
			mux.Handle("POST /telegram/webhook", telegram.WebhookHandler(cfg.WebhookSecret, dispatcher.Submit, tg.AcknowledgeSoon, log))
		} else {
			// Poll removes a webhook left from an earlier webhook deployment first.
			poll = func(ctx context.Context) error { return tg.PollPipelined(ctx, d.db, dispatcher.Enqueue) }
		}
	}

	if cfg.WhatsAppToken != "" {
		ch, err := startWhatsApp(ctx, cfg, d, metrics, dispatcher.Submit, deliverer.Poke, stdout)
		if err != nil {
			return err
		}
		wa, waStatuses = ch.client, ch.statuses
		deliverer.BeforeMark = ch.statuses.FlushSent
		senders[whatsapp.Channel] = ch.sender
		mux.Handle("GET /whatsapp/webhook", ch.hook)
		mux.Handle("POST /whatsapp/webhook", ch.hook)
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := newHTTPServer(mux)
	fmt.Fprintf(stdout, "lindungi serving the web chat on http://%s/ (health: /healthz, /readyz)\n", ln.Addr())
	if _, ok := d.provider.(*sandbox.Provider); ok && !loopback(ln.Addr()) {
		fmt.Fprintf(stdout, "!!! WARNING: the test bank is on at http://%s/sandbox/pay/…: anyone who can reach this address can mark payments paid without money.\n"+
			"!!! For real payments set LINDUNGI_ENV=production and LINDUNGI_PAYMENT_PROVIDER=midtrans (see the README's configuration).\n", ln.Addr())
		log.Warn("the sandbox payment provider is reachable beyond this machine: anyone can pay with the test bank", "addr", ln.Addr().String())
	}
	if tg != nil {
		mode := "long polling"
		if cfg.WebhookURL != "" {
			mode = "webhook"
		}
		fmt.Fprintf(stdout, "telegram bot @%s running (%s)\n", tg.Username(), mode)
	} else {
		fmt.Fprintln(stdout, "telegram: off (set TELEGRAM_BOT_TOKEN to run the bot)")
	}
	if wa == nil {
		fmt.Fprintln(stdout, "whatsapp: off (set WHATSAPP_ACCESS_TOKEN and the other WHATSAPP_* variables: lindungi help)")
	}

	errc := make(chan error, 4)
	go func() { errc <- serveHTTP(srv, ln) }()
	var metricsSrv *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.MetricsAddr, err)
		}
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", metricsHandler)
		metricsSrv = &http.Server{Handler: mm, ReadHeaderTimeout: 10 * time.Second}
		fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", mln.Addr())
		go func() { errc <- serveHTTP(metricsSrv, mln) }()
	}

	// Updates come in until ctx ends; delivery goes on a little longer, to drain.
	intake, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	delivery, stopDelivery := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDelivery()
	delivered := make(chan struct{})
	go func() { deliverer.Run(delivery); close(delivered) }()
	statused := make(chan struct{})
	go func() {
		if waStatuses != nil {
			waStatuses.Run(delivery) // the last deliveries and reads are written when delivery ends
		}
		close(statused)
	}()
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		if poll != nil {
			if err := poll(intake); err != nil {
				errc <- fmt.Errorf("telegram polling: %w", err)
			}
		}
	}()
	go prune(intake, d.db, cfg.OutboxRetention, log)
	go foldRollups(intake, d.db, log)
	go runReminders(intake, d.db, d.engine, cfg.Flow, log)
	go settlePayments(intake, d.db, d.provider, d.engine, cfg.Flow.Location, log)
	go d.autodebit.loop(intake, log)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	log.Info("stopping")
	grace := clock.Start()
	stopIntake()
	endStreams()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace-3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil { // webhooks in flight finish here
		log.Warn("http shutdown", "err", err)
	}
	if metricsSrv != nil {
		metricsSrv.Close()
	}
	<-polled
	dispatcher.Stop() // updates in flight finish
	// Give the outbox until the deadline to drain, while it does drain: a
	// channel that keeps failing is left to the next process.
	last, lastChange := -1, clock.Start()
	for grace.Elapsed() < shutdownGrace-time.Second && lastChange.Elapsed() < 2*time.Second {
		n, err := d.db.BacklogOf(context.WithoutCancel(ctx), channelsOf(senders))
		if err != nil || n == 0 || len(senders) == 0 {
			break
		}
		if n != last {
			last, lastChange = n, clock.Start()
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopDelivery()
	<-delivered
	<-statused
	log.Info("stopped")
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return runErr
	}
	return nil
}

func serveHTTP(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func channelsOf(senders map[string]bot.Sender) []string {
	out := make([]string, 0, len(senders))
	for ch := range senders {
		out = append(out, ch)
	}
	return out
}

// observed counts the web chat's updates in the metrics (Telegram's go
// through the dispatcher).
// poking runs the engine, then wakes the deliverer for the replies it queued.
type poking struct {
	engine *flows.Engine
	poke   func()
}

func (p poking) Handle(ctx context.Context, ev flows.Event) ([]flows.Reply, error) {
	out, err := p.engine.Handle(ctx, ev)
	if len(out) > 0 {
		p.poke()
	}
	return out, err
}

type observed struct {
	engine  *flows.Engine
	metrics *bot.Metrics
}

func (o observed) Handle(ctx context.Context, ev flows.Event) ([]flows.Reply, error) {
	start := clock.Start()
	out, err := o.engine.Handle(ctx, ev)
	o.metrics.ObserveUpdate(ev, err, start.Elapsed())
	return out, err
}

// leases adapts the store's leases to the deliverer.
type leases struct{ db *store.DB }

func (l leases) TryLease(ctx context.Context, name string) (bot.Lease, bool, error) {
	le, ok, err := l.db.TryLease(ctx, name)
	if !ok {
		return nil, false, err
	}
	return le, true, nil
}

// prune forgets, hourly, update ids older than 48 hours, the replies
// queued more than retention ago and web sessions idle for 90 days.
func prune(ctx context.Context, db *store.DB, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := db.PruneUpdates(ctx, clock.Now().Add(-48*time.Hour))
		if err != nil && ctx.Err() == nil {
			log.Warn("prune update ids", "err", err)
		} else if n > 0 {
			log.Info("pruned update ids", "count", n)
		}
		n, err = db.PruneOutbox(ctx, clock.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Warn("prune old replies", "err", err)
		} else if n > 0 {
			log.Info("pruned old replies", "count", n)
		}
		if n, err := db.PruneMenus(ctx); err != nil && ctx.Err() == nil {
			log.Warn("prune whatsapp lists", "err", err)
		} else if n > 0 {
			log.Info("pruned whatsapp lists", "count", n)
		}
		if n, err := db.PruneUploads(ctx, clock.Now().Add(-flows.UploadRetention)); err != nil && ctx.Err() == nil {
			log.Warn("prune uploaded lists", "err", err)
		} else if n > 0 {
			log.Info("pruned uploaded lists never imported", "count", n)
		}
		if n, err := db.PruneWebSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("prune idle web sessions", "err", err)
		} else if n > 0 {
			log.Info("pruned idle web sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runReminders sends the contribution reminders and the nudges about
// unfinished registrations that are due, every minute. Several processes may
// run it: jobs are claimed with SKIP LOCKED.
func runReminders(ctx context.Context, db *store.DB, engine *flows.Engine, cfg flows.Config, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		// In the quiet hours reminders wait: they stay due and go out after.
		for !cfg.Quiet(clock.Now()) {
			n, err := engine.RunReminders(ctx, 100)
			if err != nil && ctx.Err() == nil {
				log.Warn("reminders", "err", err)
			}
			if n < 100 {
				break
			}
		}
		if _, err := engine.RunNudges(ctx, 100); err != nil && ctx.Err() == nil {
			log.Warn("nudges", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// settlePayments expires payment codes past their time and, every five
// minutes, asks the provider about payments pending for more than 30 minutes.
func settlePayments(ctx context.Context, db *store.DB, p payments.Provider, engine *flows.Engine, loc *time.Location, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for i := 0; ; i++ {
		if n, err := db.ExpirePayments(ctx, 15*time.Minute); err != nil && ctx.Err() == nil {
			log.Warn("expire payments", "err", err)
		} else if n > 0 {
			log.Info("payment codes expired", "count", n)
		}
		if i%5 == 0 {
			if _, err := webhook.Reconcile(ctx, p, db, engine.ApplyPayment, 30*time.Minute, log); err != nil && ctx.Err() == nil {
				log.Warn("reconcile payments", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
