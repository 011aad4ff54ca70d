package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lindungi/lindungi/bot/whatsapp"
	"github.com/lindungi/lindungi/bot/whatsapp/whatsapptest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/wilayah"
)

// whatsappResult is a live run of mode "whatsapp": the live figures and
// what only WhatsApp's side has.
type whatsappResult struct {
	liveResult
	statuses     bool // the fake posted status webhooks too
	offScript    int  // taps on a choice the bot's last messages did not offer
	hookPosts    int  // webhook POSTs in the window: messages, and statuses when on
	hookFailed   int  // webhook POSTs in the window not answered 200 (each tried again)
	peakInFlight int  // webhook POSTs open at once, at most
	registered   int  // registrations stored by the end of the run
	// From serve's /metrics over the window (metrics false: none read).
	metrics                   bool
	handling, queued, sending histogram
	backlog, sendsOpen        float64 // the most seen at a reading every 5 s
	// The run's database over the window (ok false: not read).
	db serverStats
}

// whatsappRate is LINDUNGI_WHATSAPP_RATE when a load sets none: the most
// serve accepts (Meta's highest throughput tier).
const whatsappRate = 1000

// benchWhatsApp runs load l through the real `lindungi serve` with the
// WhatsApp channel on, on a fake Cloud API that answers every call l.rtt
// later: the workers post signed webhooks to serve's POST
// /whatsapp/webhook, each POST paying the round trip too, and wait for the
// bot's reply at the fake. With statuses, the fake also posts a "sent" and
// a "delivered" status webhook for every message it accepts, as Meta does.
func benchWhatsApp(ctx context.Context, bin string, l liveLoad, statuses bool) (whatsappResult, error) {
	res := whatsappResult{liveResult: liveResult{load: l, calls: map[string]int{}}}
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		return res, err
	}
	defer drop()

	fake := whatsapptest.Start()
	defer fake.Close()
	fake.Delay(l.rtt)
	if l.limit > 0 {
		fake.Limit(l.limit)
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return res, err
	}
	rate := l.rate
	if rate == 0 {
		rate = whatsappRate
	}
	envs := []string{"DATABASE_URL=" + dsn, "LINDUNGI_LOG_LEVEL=error", "LINDUNGI_HTTP_ADDR=" + httpAddr,
		"LINDUNGI_DATA_KEY=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("l", 32))),
		"TELEGRAM_BOT_TOKEN=", // WhatsApp alone
		"WHATSAPP_ACCESS_TOKEN=" + whatsapptest.AccessToken, "WHATSAPP_PHONE_NUMBER_ID=" + whatsapptest.PhoneNumberID,
		"WHATSAPP_APP_SECRET=" + whatsapptest.AppSecret, "WHATSAPP_VERIFY_TOKEN=" + whatsapptest.VerifyToken,
		"WHATSAPP_API_URL=" + fake.URL(), "LINDUNGI_WHATSAPP_RATE=" + strconv.FormatFloat(rate, 'f', -1, 64)}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	serve := exec.CommandContext(sctx, bin, "serve")
	serve.Cancel = func() error { return serve.Process.Signal(os.Interrupt) }
	serve.WaitDelay = 15 * time.Second
	serve.Env = append(os.Environ(), envs...)
	out := &headWriter{max: 8 << 10}
	serve.Stdout, serve.Stderr = out, io.MultiWriter(out, os.Stderr)
	if err := serve.Start(); err != nil {
		return res, err
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = serve.Wait(); close(exited) }()
	defer func() { stop(); <-exited }()
	hook := "http://" + httpAddr + "/whatsapp/webhook"
	if err := awaitWebhook(ctx, hook, exited); err != nil {
		if errors.Is(err, errExited) {
			err = fmt.Errorf("%w (%v)", err, waitErr)
		}
		return res, fmt.Errorf("%w; serve printed:\n%s", err, out)
	}

	if res, err = driveWhatsApp(ctx, fake, hook, "http://"+httpAddr+"/metrics", dbNameOf(dsn), l, statuses, serve.Process.Pid); err != nil {
		return res, err
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return res, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM registrations`).Scan(&res.registered); err != nil {
		return res, fmt.Errorf("count registrations: %w", err)
	}
	return res, nil
}

var errExited = errors.New("serve exited before its WhatsApp webhook answered")

// awaitWebhook waits until the webhook answers Meta's verification
// handshake: serve has started its WhatsApp channel.
func awaitWebhook(ctx context.Context, hook string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {whatsapptest.VerifyToken}, "hub.challenge": {"1158201444"}}
	deadline := clock.Start()
	last := "no answer"
	for deadline.Elapsed() < 60*time.Second {
		select {
		case <-exited:
			return errExited
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond): // under the 10 refusals a second the webhook allows
		}
		resp, err := client.Get(hook + "?" + q.Encode())
		if err != nil {
			last = err.Error()
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && string(b) == "1158201444" {
			return nil
		}
		last = fmt.Sprintf("%d %q", resp.StatusCode, b)
	}
	return fmt.Errorf("GET %s did not answer the verification handshake in 60 s (last: %s): is the WhatsApp channel wired into serve?", hook, last)
}

// waWorker is one simulated person on WhatsApp: a user working through the
// registration, a new user (number, BSUID and NIK) each time it is done.
type waWorker struct {
	mu      sync.Mutex
	n       int // 0-based: its users are whatsapptest.NewUser(n+1+loop*workers)
	loop    int
	user    whatsapptest.User
	steps   []step
	next    int
	sentAt  clock.Stopwatch
	waiting bool
	gaveUp  bool
	got     []whatsapptest.Message // the bot's messages since the worker's last one
	timer   *time.Timer
}

// tap is the worker's answer to step st: its text, or a tap on the row of
// the bot's latest messages that has the step's choice; ok is false when
// none of them offers it (the tap then goes on the newest message anyway).
// Where the bot offers to take the number the user writes from, the user
// taps that instead of typing one.
func (w *waWorker) tap(fake *whatsapptest.Server, st step) (in whatsapptest.Inbound, ok bool) {
	want := st.choice
	if st.kind != flows.KindChoice {
		if st.name != "phone" || !offered(w.got, "ph:this") {
			return fake.Text(w.user, st.text), true
		}
		want = "ph:this"
	}
	for i := len(w.got) - 1; i >= 0; i-- {
		for _, r := range w.got[i].Choices() {
			if r.ID == want {
				return fake.TapOn(w.user, w.got[i], r), true
			}
		}
	}
	var m whatsapptest.Message
	if len(w.got) > 0 {
		m = w.got[len(w.got)-1]
	}
	return fake.TapOn(w.user, m, whatsapptest.Row{ID: want, Title: want}), false
}

func offered(msgs []whatsapptest.Message, id string) bool {
	for _, m := range msgs {
		for _, r := range m.Choices() {
			if r.ID == id {
				return true
			}
		}
	}
	return false
}

// driveWhatsApp runs l's closed-loop workers against the webhook at hook,
// fake being the Cloud API the bot sends through (posting status webhooks
// too with statuses), and measures a window of l.seconds after the ramp;
// pid is the bot's process (its CPU is measured), metrics its /metrics
// and dbName its database ("": none).
func driveWhatsApp(ctx context.Context, fake *whatsapptest.Server, hook, metrics, dbName string, l liveLoad, statuses bool, pid int) (whatsappResult, error) {
	res := whatsappResult{liveResult: liveResult{load: l, calls: map[string]int{}}, statuses: statuses}
	regions, err := wilayah.Load()
	if err != nil {
		return res, err
	}
	villages, err := villageSteps(regions)
	if err != nil {
		return res, err
	}
	// Meta's side of the webhook: a connection for every POST on its way
	// (Meta documents no cap), kept alive for the next, each POST a round
	// trip.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 4*l.workers, 4*l.workers
	defer t.CloseIdleConnections()
	hooks := &metaTransport{rt: t, rtt: l.rtt}
	meta := &http.Client{Transport: hooks, Timeout: 60 * time.Second}
	if statuses {
		fake.StatusWebhook(hook, meta)
	}
	run, endRun := context.WithCancel(ctx)
	defer endRun()
	var posts sync.WaitGroup
	defer posts.Wait()

	today := clock.Now()
	var (
		chats     sync.Map // the user's BSUID and number → its worker
		mu        sync.Mutex
		latencies []time.Duration
		replies   atomic.Int64
		measuring atomic.Bool
		answered  atomic.Int64
		timedOut  atomic.Int64
		offScript atomic.Int64
	)
	begin := func(w *waWorker) {
		chats.Delete(w.user.BSUID)
		chats.Delete(w.user.Phone)
		n := w.n + 1 + w.loop*l.workers
		w.user, w.steps, w.next, w.got = whatsapptest.NewUser(n), script(n, today, villages), 0, nil
		chats.Store(w.user.BSUID, w)
		chats.Store(w.user.Phone, w)
	}
	// post is Meta delivering one message to the webhook, again a second
	// later until it is answered 200.
	post := func(in whatsapptest.Inbound) {
		defer posts.Done()
		body := whatsapptest.MessagesBody(in)
		for {
			req, err := whatsapptest.NewRequest(hook, body)
			if err != nil {
				return
			}
			resp, err := meta.Do(req.WithContext(run))
			if err == nil {
				io.Copy(io.Discard, resp.Body) //nolint:errcheck // the answer's body means nothing
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
			if clock.Sleep(run, time.Second) != nil {
				return
			}
		}
	}
	push := func(w *waWorker) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.gaveUp || run.Err() != nil {
			return
		}
		if w.next == len(w.steps) { // registered: the next person, a new user
			w.loop++
			begin(w)
		}
		st := w.steps[w.next]
		w.next++
		in, ok := w.tap(fake, st)
		if !ok {
			offScript.Add(1)
		}
		w.got = nil
		w.waiting, w.sentAt = true, clock.Start()
		posts.Add(1)
		go post(in)
	}
	fake.OnMessage(func(m whatsapptest.Message) {
		v, ok := chats.Load(m.To)
		if !ok {
			return
		}
		w := v.(*waWorker)
		if measuring.Load() {
			replies.Add(1)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if m.To != w.user.BSUID && m.To != w.user.Phone {
			return // a late reply to the worker's previous user
		}
		w.got = append(w.got, m)
		if !w.waiting {
			return
		}
		w.waiting = false
		if measuring.Load() {
			took := w.sentAt.Elapsed()
			answered.Add(1)
			mu.Lock()
			latencies = append(latencies, took)
			mu.Unlock()
		}
		w.timer = time.AfterFunc(l.think, func() { push(w) })
	})
	defer fake.OnMessage(nil)
	workers := make([]*waWorker, l.workers)
	for n := range workers {
		workers[n] = &waWorker{n: n}
		begin(workers[n])
	}
	for n, w := range workers {
		delay := time.Duration(0)
		if l.workers > 1 {
			delay = l.ramp * time.Duration(n) / time.Duration(l.workers)
		}
		w.mu.Lock()
		w.timer = time.AfterFunc(delay, func() { push(w) })
		w.mu.Unlock()
	}
	var stopping sync.Once
	stopAll := func() {
		stopping.Do(func() {
			for _, w := range workers {
				w.mu.Lock()
				w.gaveUp = true // stop the loop
				if w.timer != nil {
					w.timer.Stop()
				}
				w.mu.Unlock()
			}
			// The POSTs on their way get their answers, unless the bot is stuck.
			drained := make(chan struct{})
			go func() { posts.Wait(); close(drained) }()
			select {
			case <-drained:
			case <-time.After(10 * time.Second):
			}
			endRun()
		})
	}
	defer stopAll()
	// Give-ups: a message unanswered for 30 s.
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-run.Done():
				return
			case <-t.C:
			}
			for _, w := range workers {
				w.mu.Lock()
				if w.waiting && !w.gaveUp && w.sentAt.Elapsed() > 30*time.Second {
					w.gaveUp = true
					timedOut.Add(1)
				}
				w.mu.Unlock()
			}
		}
	}()

	if err := clock.Sleep(ctx, l.ramp+time.Second); err != nil {
		return res, err
	}
	var m0 scrape
	if metrics != "" {
		if m0, err = scrapeMetrics(metrics, whatsapp.Channel); err != nil {
			return res, err
		}
	}
	var db0 serverStats
	if dbName != "" {
		db0 = readStats(ctx, dbName)
	}
	cpu := sampleCPU(pid)
	from := clock.Now()
	window := clock.Start()
	measuring.Store(true)
	hooks.measure(true)
	for left := time.Duration(l.seconds) * time.Second; left > 0; left -= 5 * time.Second {
		if err := clock.Sleep(ctx, min(left, 5*time.Second)); err != nil {
			return res, err
		}
		if metrics == "" {
			continue
		}
		if m, err := scrapeMetrics(metrics, whatsapp.Channel); err == nil {
			res.backlog = max(res.backlog, m["lindungi_outbox_backlog"])
			res.sendsOpen = max(res.sendsOpen, m["lindungi_sends_in_flight"])
		}
	}
	measuring.Store(false)
	hooks.measure(false)
	elapsed := window.Elapsed()
	to := clock.Now()
	if dbName != "" {
		if db1 := readStats(ctx, dbName); db0.ok && db1.ok {
			res.db = serverStats{ok: true, commits: db1.commits - db0.commits, tupIns: db1.tupIns - db0.tupIns,
				tupUpd: db1.tupUpd - db0.tupUpd, tupFetched: db1.tupFetched - db0.tupFetched}
		}
	}
	if metrics != "" {
		m1, err := scrapeMetrics(metrics, whatsapp.Channel)
		if err != nil {
			return res, err
		}
		res.metrics = true
		res.handling = histogramOf(m0, m1, "lindungi_update_handling_seconds")
		res.queued = histogramOf(m0, m1, "lindungi_update_reply_seconds")
		res.sending = histogramOf(m0, m1, "lindungi_send_seconds")
	}
	res.serveCPU, res.pgCPU, res.loadCPU = cpu.since(elapsed)
	res.serveRSSPeak = peakRSS(pid)
	stopAll()
	res.timedOut = int(timedOut.Load())
	res.answered, res.replies = int(answered.Load()), int(replies.Load())
	res.perSec = float64(res.answered) / elapsed.Seconds()
	res.offScript = int(offScript.Load())
	res.hookPosts, res.hookFailed, res.peakInFlight = int(hooks.posts.Load()), int(hooks.failed.Load()), int(hooks.peak.Load())
	mu.Lock()
	res.percentiles(latencies)
	mu.Unlock()
	var calls []apiCall
	for _, r := range fake.Requests() {
		calls = append(calls, apiCall{r.At, r.Kind, r.Failed})
	}
	res.tally(calls, "messages", from, to, l.seconds)
	res.throttled = fake.Throttled()
	if res.answered == 0 {
		return res, errors.New("no message was answered in the window")
	}
	return res, nil
}

func reportWhatsApp(w io.Writer, r whatsappResult, pgTPS float64) {
	reportLive(w, r.liveResult, pgTPS)
	tw := &table{w: w}
	what := "messages only"
	if r.statuses {
		what = "messages, and a sent and a delivered status per message sent"
	}
	tw.row("  webhook POSTs/update", "%.2f (%s); %d not answered 200, %d open at once at most\n",
		float64(r.hookPosts)/max(float64(r.answered), 1), what, r.hookFailed, r.peakInFlight)
	if r.db.ok {
		n := max(float64(r.answered), 1)
		tw.row("  PostgreSQL per update", "%.1f commits, %.1f rows inserted, %.1f updated, %.0f fetched\n",
			float64(r.db.commits)/n, float64(r.db.tupIns)/n, float64(r.db.tupUpd)/n, float64(r.db.tupFetched)/n)
	}
	if r.metrics {
		tw.row("  serve: update handled", "%s\n", r.handling)
		tw.row("  serve: received → reply sent", "%s (the webhook's hold included)\n", r.queued)
		tw.row("  serve: send call", "%s; %.0f at once at most\n", r.sending, r.sendsOpen)
		tw.row("  serve: outbox backlog", "%.0f at most (read every 5 s)\n", r.backlog)
	}
	tw.row("  taps not offered", "%d (the bot's messages lacked the choice the script presses)\n", r.offScript)
	tw.row("  registrations stored", "%d\n", r.registered)
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (h *headWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - h.buf.Len(); room > 0 {
		h.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (h *headWriter) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.buf.String()
}

// onlyModes keeps the loads of the modes -only names.
func onlyModes(loads []liveLoad, only string) ([]liveLoad, error) {
	modes := strings.Split(only, ",")
	for i, m := range modes {
		modes[i] = strings.TrimSpace(m)
		if modes[i] != "polling" && modes[i] != "webhook" && modes[i] != "whatsapp" {
			return nil, fmt.Errorf("-only %q: %q is not a live mode (polling, webhook, whatsapp)", only, m)
		}
	}
	var out []liveLoad
	for _, l := range loads {
		if slices.Contains(modes, l.mode) {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-only %q: -live has no load of that mode", only)
	}
	return out, nil
}

// metaTransport is Meta's side of the webhook: every POST takes the round
// trip more, half on its way to the bot, half for the answer on its way
// back; it counts the POSTs (in the window) and those open at once.
type metaTransport struct {
	rt        http.RoundTripper
	rtt       time.Duration
	measuring atomic.Bool
	open      atomic.Int64
	peak      atomic.Int64
	posts     atomic.Int64
	failed    atomic.Int64
}

func (m *metaTransport) measure(on bool) { m.measuring.Store(on) }

func (m *metaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := m.open.Add(1)
	defer m.open.Add(-1)
	for p := m.peak.Load(); n > p && !m.peak.CompareAndSwap(p, n); p = m.peak.Load() {
	}
	counted := m.measuring.Load()
	if counted {
		m.posts.Add(1)
	}
	if err := clock.Sleep(r.Context(), m.rtt/2); err != nil {
		return nil, err
	}
	resp, err := m.rt.RoundTrip(r)
	if counted && (err != nil || resp.StatusCode != http.StatusOK) && r.Context().Err() == nil {
		m.failed.Add(1)
	}
	if err != nil {
		return nil, err
	}
	if err := clock.Sleep(r.Context(), m.rtt-m.rtt/2); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}
