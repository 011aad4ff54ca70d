package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/wilayah"
)

// liveLoad is one load run on the live path: the real `lindungi serve`, as
// a subprocess, on a fake Bot API that answers every call rtt later, with
// workers closed-loop simulated people who each answer think after the
// bot's reply.
type liveLoad struct {
	mode    string // "polling", "webhook" or "whatsapp" (its webhook; see benchWhatsApp)
	workers int
	think   time.Duration
	rtt     time.Duration
	seconds int           // measured window, after the ramp
	ramp    time.Duration // workers start spread over this
	rate    float64       // LINDUNGI_TELEGRAM_RATE (LINDUNGI_WHATSAPP_RATE); 0: out of the way
	limit   int           // the fake answers 429 above this many sendMessage a second (0: never)
}

func (l liveLoad) String() string {
	return fmt.Sprintf("%s, %d workers, %v think, %v round trip", l.mode, l.workers, l.think, l.rtt)
}

// ceiling is the closed loop's most: every worker answering at once after
// its think time.
func (l liveLoad) ceiling() float64 { return float64(l.workers) / l.think.Seconds() }

type liveResult struct {
	load          liveLoad
	answered      int     // updates answered in the window
	perSec        float64 // answered updates a second
	replies       int     // messages the bot sent in the window
	p50, p99, max time.Duration
	timedOut      int // workers whose update went unanswered for 30 s
	calls         map[string]int
	callsPerUpd   float64
	serveCPU      float64 // cores
	pgCPU         float64
	loadCPU       float64 // this process: the fake Bot API and the workers
	serveRSSPeak  int64   // bytes
	perSecond     []int   // sendMessage accepted in each second of the window (the capped run)
	throttled     int     // 429s the fake gave
}

// liveWorker is one simulated person: a chat working through the
// registration, a new chat (and NIK) each time it is done.
type liveWorker struct {
	mu       sync.Mutex
	n        int // 0-based: its chats are chatOf(n, loop)
	loop     int
	chat     int64
	steps    []step
	next     int
	pushedAt clock.Stopwatch
	waiting  bool
	lastMsg  int
	gaveUp   bool
	timer    *time.Timer
}

const liveChatBase = 700_000_000

// chatOf is worker n's chat in its loop-th registration.
func chatOf(n, loop, workers int) int64 { return liveChatBase + int64(loop*workers+n) }

// benchLive runs one load on a new database.
func benchLive(ctx context.Context, bin string, l liveLoad) (liveResult, error) {
	res := liveResult{load: l, calls: map[string]int{}}
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		return res, err
	}
	defer drop()
	regions, err := wilayah.Load()
	if err != nil {
		return res, err
	}
	villages, err := villageSteps(regions)
	if err != nil {
		return res, err
	}

	fake := telegramtest.Start()
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
		rate = 1_000_000
	}
	envs := []string{"DATABASE_URL=" + dsn, "LINDUNGI_LOG_LEVEL=error", "LINDUNGI_HTTP_ADDR=" + httpAddr,
		"LINDUNGI_DATA_KEY=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("l", 32))),
		"TELEGRAM_BOT_TOKEN=" + telegramtest.Token, "TELEGRAM_API_ENDPOINT=" + fake.Endpoint(),
		"LINDUNGI_TELEGRAM_RATE=" + strconv.FormatFloat(rate, 'f', -1, 64)}
	if l.mode == "webhook" {
		// Telegram's side of the webhook: up to 100 connections, each one
		// round trip per update.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost, t.MaxConnsPerHost = 100, 100
		fake.PostToWebhook(&http.Client{Transport: t, Timeout: 60 * time.Second})
		envs = append(envs, "LINDUNGI_TELEGRAM_WEBHOOK_URL=http://"+httpAddr+"/telegram/webhook", "LINDUNGI_TELEGRAM_WEBHOOK_SECRET=bench-secret")
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	serve := exec.CommandContext(sctx, bin, "serve")
	serve.Cancel = func() error { return serve.Process.Signal(os.Interrupt) }
	serve.WaitDelay = 15 * time.Second
	serve.Env = append(os.Environ(), envs...)
	out, err := serve.StdoutPipe()
	if err != nil {
		return res, err
	}
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return res, err
	}
	defer func() { stop(); serve.Wait() }() //nolint:errcheck // stopped by the context
	sc := bufio.NewScanner(out)
	started := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "telegram bot @") {
			started = true
			break
		}
	}
	if !started {
		return res, fmt.Errorf("serve did not start its Telegram bot")
	}
	go io.Copy(io.Discard, out) //nolint:errcheck // the rest of its output

	today := clock.Now()
	workers := make([]*liveWorker, l.workers)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		replies   atomic.Int64
		measuring atomic.Bool
		answered  atomic.Int64
		timedOut  atomic.Int64
	)
	push := func(w *liveWorker) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.gaveUp || ctx.Err() != nil {
			return
		}
		if w.next == len(w.steps) { // registered: the next person, in a new chat
			w.loop++
			w.chat, w.next = chatOf(w.n, w.loop, l.workers), 0
			w.steps = script(w.n+1+w.loop*l.workers, today, villages)
			w.lastMsg = 0
		}
		st := w.steps[w.next]
		w.next++
		w.waiting, w.pushedAt = true, clock.Start()
		if st.kind == flows.KindChoice {
			fake.PushCallback(w.chat, w.lastMsg, st.choice)
		} else {
			fake.PushText(w.chat, st.text)
		}
	}
	fake.OnMessage(func(m telegramtest.Message) {
		i := int(m.ChatID-liveChatBase) % l.workers
		if m.ChatID < liveChatBase || i >= len(workers) || workers[i] == nil {
			return
		}
		w := workers[i]
		if measuring.Load() {
			replies.Add(1)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if m.ChatID != w.chat {
			return
		}
		w.lastMsg = m.MessageID
		if !w.waiting {
			return
		}
		w.waiting = false
		if measuring.Load() {
			took := w.pushedAt.Elapsed()
			answered.Add(1)
			mu.Lock()
			latencies = append(latencies, took)
			mu.Unlock()
		}
		w.timer = time.AfterFunc(l.think, func() { push(w) })
	})
	for n := range workers {
		workers[n] = &liveWorker{n: n, chat: chatOf(n, 0, l.workers), steps: script(n+1, today, villages)}
	}
	for n, w := range workers {
		delay := time.Duration(0)
		if l.workers > 1 {
			delay = l.ramp * time.Duration(n) / time.Duration(l.workers)
		}
		time.AfterFunc(delay, func() { push(w) })
	}
	// Give-ups: an update unanswered for 30 s.
	watch, endWatch := context.WithCancel(ctx)
	defer endWatch()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-watch.Done():
				return
			case <-t.C:
			}
			for _, w := range workers {
				w.mu.Lock()
				if w.waiting && !w.gaveUp && w.pushedAt.Elapsed() > 30*time.Second {
					w.gaveUp = true
					timedOut.Add(1)
				}
				w.mu.Unlock()
			}
		}
	}()

	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(l.ramp + time.Second):
	}
	cpu := sampleCPU(serve.Process.Pid)
	from := clock.Now()
	window := clock.Start()
	measuring.Store(true)
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(time.Duration(l.seconds) * time.Second):
	}
	measuring.Store(false)
	elapsed := window.Elapsed()
	to := clock.Now()
	res.serveCPU, res.pgCPU, res.loadCPU = cpu.since(elapsed)
	res.serveRSSPeak = peakRSS(serve.Process.Pid)
	for _, w := range workers {
		w.mu.Lock()
		w.gaveUp = true // stop the loop
		if w.timer != nil {
			w.timer.Stop()
		}
		w.mu.Unlock()
	}
	res.timedOut = int(timedOut.Load())
	res.answered, res.replies = int(answered.Load()), int(replies.Load())
	res.perSec = float64(res.answered) / elapsed.Seconds()
	mu.Lock()
	res.percentiles(latencies)
	mu.Unlock()
	var calls []apiCall
	for _, r := range fake.Requests() {
		calls = append(calls, apiCall{r.At, r.Method, r.Failed})
	}
	res.tally(calls, "sendMessage", from, to, l.seconds)
	res.throttled = fake.Throttled()
	return res, nil
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// cpuSample is the CPU time serve, PostgreSQL's backends and this process
// (the fake API and the workers) had used at one moment.
type cpuSample struct {
	pid         int
	serve, self int64
	pg          map[int]int64
}

func sampleCPU(servePID int) cpuSample {
	return cpuSample{pid: servePID, serve: cpuTicks([]int{servePID}), self: cpuTicks([]int{os.Getpid()}), pg: postgresTicks()}
}

// since is the cores each used, on average, from the sample to now, elapsed later.
func (s cpuSample) since(elapsed time.Duration) (serve, pg, load float64) {
	now := sampleCPU(s.pid)
	var pgTicks int64
	for pid, t := range now.pg {
		pgTicks += t - s.pg[pid] // a backend started since counts from 0
	}
	cores := func(ticks int64) float64 { return float64(ticks) / clockTicks / elapsed.Seconds() }
	return cores(now.serve - s.serve), cores(pgTicks), cores(now.self - s.self)
}

// percentiles sets p50, p99 and max from the latencies (sorted in place).
func (r *liveResult) percentiles(latencies []time.Duration) {
	slices.Sort(latencies)
	if len(latencies) > 0 {
		r.p50, r.p99, r.max = latencies[len(latencies)/2], latencies[len(latencies)*99/100], latencies[len(latencies)-1]
	}
}

// apiCall is one call the fake API recorded.
type apiCall struct {
	at     time.Time
	kind   string
	failed bool
}

// tally counts the calls made in [from, to) by kind, per answered update,
// and the messages sent (kind send, accepted) in each of its seconds.
func (r *liveResult) tally(calls []apiCall, send string, from, to time.Time, seconds int) {
	total := 0
	r.perSecond = make([]int, seconds)
	for _, c := range calls {
		if c.at.Before(from) || !c.at.Before(to) {
			continue
		}
		r.calls[c.kind]++
		total++
		if c.kind == send && !c.failed {
			if s := int(c.at.Sub(from) / time.Second); s < seconds {
				r.perSecond[s]++
			}
		}
	}
	if r.answered > 0 {
		r.callsPerUpd = float64(total) / float64(r.answered)
	}
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat times.
const clockTicks = 100

// cpuTicks sums the user and system time of the processes so far.
func cpuTicks(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command (which may hold spaces) in parentheses.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		sum += u + k
	}
	return sum
}

// postgresTicks is the CPU time so far of each of the PostgreSQL server's
// processes now (the postmaster, its backends and helpers).
func postgresTicks() map[int]int64 {
	out := map[int]int64{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", d.Name(), "comm"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres") {
			out[pid] = cpuTicks([]int{pid})
		}
	}
	return out
}

var vmHWM = regexp.MustCompile(`VmHWM:\s+(\d+) kB`)

// peakRSS is the most resident memory the process has had, in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	m := vmHWM.FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb * 1024
}

// liveTargets are the loads, each in polling and webhook mode, then
// the memory run and the production cap.
func liveTargets(seconds int) []liveLoad {
	var out []liveLoad
	for i, l := range []liveLoad{
		{workers: 1000, think: 1200 * time.Millisecond, rtt: 50 * time.Millisecond},
		{workers: 4000, think: 1200 * time.Millisecond, rtt: 50 * time.Millisecond},
		{workers: 1000, think: 1200 * time.Millisecond, rtt: 250 * time.Millisecond},
		{workers: 200, think: 1200 * time.Millisecond},
	} {
		for _, mode := range []string{"polling", "webhook"} {
			l.mode, l.seconds, l.ramp = mode, seconds, 2*time.Second
			out = append(out, l)
		}
		if i == 0 { // on WhatsApp too, beside Telegram's
			l.mode = "whatsapp"
			out = append(out, l)
		}
	}
	return append(out,
		liveLoad{mode: "polling", workers: 10000, think: 5 * time.Second, seconds: seconds, ramp: 5 * time.Second},
		liveLoad{mode: "polling", workers: 1000, think: 1200 * time.Millisecond, rtt: 250 * time.Millisecond, seconds: 60, ramp: 2 * time.Second, rate: 30, limit: 30})
}

// parseLive reads -live: "targets", "" (none), or loads as
// mode:workers:think:rtt[:rate], comma-separated.
func parseLive(spec string, seconds int) ([]liveLoad, error) {
	switch spec {
	case "":
		return nil, nil
	case "targets":
		return liveTargets(seconds), nil
	}
	var out []liveLoad
	for _, one := range strings.Split(spec, ",") {
		f := strings.Split(strings.TrimSpace(one), ":")
		if len(f) < 4 || (f[0] != "polling" && f[0] != "webhook" && f[0] != "whatsapp") {
			return nil, fmt.Errorf("-live %q: want polling|webhook|whatsapp:workers:think:rtt[:rate]", one)
		}
		l := liveLoad{mode: f[0], seconds: seconds, ramp: 2 * time.Second}
		var err error
		if l.workers, err = strconv.Atoi(f[1]); err != nil || l.workers < 1 {
			return nil, fmt.Errorf("-live %q: workers %q", one, f[1])
		}
		if l.think, err = time.ParseDuration(f[2]); err != nil || l.think <= 0 {
			return nil, fmt.Errorf("-live %q: think %q", one, f[2])
		}
		if l.rtt, err = time.ParseDuration(f[3]); err != nil {
			return nil, fmt.Errorf("-live %q: round trip %q", one, f[3])
		}
		if len(f) > 4 {
			if l.rate, err = strconv.ParseFloat(f[4], 64); err != nil || l.rate <= 0 {
				return nil, fmt.Errorf("-live %q: rate %q", one, f[4])
			}
			l.limit = int(l.rate)
		}
		out = append(out, l)
	}
	return out, nil
}

func reportLive(w io.Writer, r liveResult, pgTPS float64) {
	l := r.load
	tw := &table{w: w}
	rate := "rate out of the way"
	mode := l.mode
	switch {
	case l.mode == "whatsapp" && l.rate > 0:
		rate = fmt.Sprintf("LINDUNGI_WHATSAPP_RATE=%g, the fake answers 130429 above %d/s", l.rate, l.limit)
	case l.mode == "whatsapp":
		rate = fmt.Sprintf("LINDUNGI_WHATSAPP_RATE=%d (its most)", whatsappRate)
	case l.rate > 0:
		rate = fmt.Sprintf("LINDUNGI_TELEGRAM_RATE=%g, the fake answers 429 above %d/s", l.rate, l.limit)
	}
	if l.mode == "whatsapp" {
		mode = "whatsapp webhook"
	}
	tw.head("live: lindungi serve (%s), %s; %s; %d s measured\n", mode, l, rate, l.seconds)
	tw.row("  answered updates", "%.0f msgs/s (%.0f%% of the closed-loop ceiling %.0f/s; %d replies sent)\n",
		r.perSec, 100*r.perSec/l.ceiling(), l.ceiling(), r.replies)
	tw.row("  update → reply", "p50 %s, p99 %s, max %s\n", roundDur(r.p50), roundDur(r.p99), roundDur(r.max))
	tw.row("  workers timed out", "%d (no answer in 30 s)\n", r.timedOut)
	var methods []string
	for m := range r.calls {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	var parts []string
	for _, m := range methods {
		parts = append(parts, fmt.Sprintf("%s %.2f", m, float64(r.calls[m])/max(float64(r.answered), 1)))
	}
	tw.row("  API calls/update", "%.2f (%s)\n", r.callsPerUpd, strings.Join(parts, ", "))
	tw.row("  CPU", "serve %.2f cores, PostgreSQL %.2f cores, fake API and workers %.2f cores\n", r.serveCPU, r.pgCPU, r.loadCPU)
	tw.row("  serve peak RSS", "%.0f MB\n", float64(r.serveRSSPeak)/(1<<20))
	if pgTPS > 0 {
		tw.row("  vs pgbench", "%.3f × its %.0f single-row UPDATE tps\n", r.perSec/pgTPS, pgTPS)
	}
	if l.limit > 0 {
		lo, hi := 0, 0
		for i, n := range r.perSecond {
			if i == 0 || n < lo {
				lo = n
			}
			hi = max(hi, n)
		}
		tw.row("  sent per second", "%d to %d (%v)\n", lo, hi, r.perSecond)
		tw.row("  429s from the fake", "%d\n", r.throttled)
	}
}

// outboxReadResult is what the deliverer's look at the outbox costs with a
// large backlog.
type outboxReadResult struct {
	waiting        int
	pending, count time.Duration // median of the reads
}

// benchOutboxRead queues n replies over n/2 chats and times the
// deliverer's read of the outbox (Pending past what it has in hand: a
// batch of 200 plus room for new replies to busy chats) and the metrics' count of what waits.
func benchOutboxRead(ctx context.Context, n int) (outboxReadResult, error) {
	res := outboxReadResult{waiting: n}
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		return res, err
	}
	defer drop()
	env, err := flowstest.Open(ctx, dsn, flowstest.Options{MaxConns: 4})
	if err != nil {
		return res, err
	}
	defer env.Close()
	raw, err := sql.Open("postgres", dsn)
	if err != nil {
		return res, err
	}
	defer raw.Close()
	// As the engine queues them: a welcome and a question per chat, a
	// few already sent.
	if _, err := raw.ExecContext(ctx, `INSERT INTO outbox (channel, chat_id, payload, created_at)
		SELECT $1, (700000000 + g / 2)::text, json_build_object('text', 'Selamat datang di Lindungi. Balasan nomor ' || g), now() - interval '1 minute'
		FROM generate_series(1, $2::int) g`, telegramChannel, n); err != nil {
		return res, fmt.Errorf("fill the outbox: %w", err)
	}
	if _, err := raw.ExecContext(ctx, `ANALYZE outbox`); err != nil {
		return res, err
	}
	// The deliverer has the oldest in hand (being sent, or sent and not
	// yet marked): 512 senders with up to 3 replies each.
	var skip []int64
	if err := raw.QueryRowContext(ctx, `SELECT array_agg(id) FROM (SELECT id FROM outbox ORDER BY id LIMIT least(1536, $1::int / 2)) s`, n).Scan(pq.Array(&skip)); err != nil {
		return res, err
	}
	var reads, counts []time.Duration
	for range 21 {
		t := clock.Start()
		got, err := env.DB.Pending(ctx, []string{telegramChannel}, skip, 200+512*3)
		if err != nil {
			return res, err
		}
		if len(got) == 0 {
			return res, fmt.Errorf("outbox read: nothing waiting")
		}
		reads = append(reads, t.Elapsed())
		t = clock.Start()
		if _, err := env.DB.Waiting(ctx, []string{telegramChannel}); err != nil {
			return res, err
		}
		counts = append(counts, t.Elapsed())
	}
	slices.Sort(reads)
	slices.Sort(counts)
	res.pending, res.count = reads[len(reads)/2], counts[len(counts)/2]
	return res, nil
}

const telegramChannel = "telegram"

func reportOutboxRead(w io.Writer, r outboxReadResult) {
	tw := &table{w: w}
	tw.head("outbox: %d replies waiting\n", r.waiting)
	tw.row("  deliverer's read", "%s (median of 21; 1,736 rows past the 1,536 in hand)\n", roundDur(r.pending))
	tw.row("  metrics' count", "%s (median of 21)\n", roundDur(r.count))
}
