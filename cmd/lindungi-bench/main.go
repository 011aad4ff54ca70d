// Command lindungi-bench measures the conversation engine against
// PostgreSQL: many simulated chats each complete a full self-registration
// through flows.Engine and the store, while a bot.Deliverer delivers the
// outbox in batches to a stand-in channel, as serve does. The same run measures
// pgbench with a single-row UPDATE on the same server and client count, and
// prints the engine's messages per second as a share of pgbench's
// transactions per second.
//
//	go run ./cmd/lindungi-bench [-chats 1000] [-conns 20] [-pgbench-seconds 15]
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // the deployment's time zone, even on a machine without zoneinfo

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/wilayah"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "lindungi-bench:", err)
		}
		os.Exit(1)
	}
}

// Channel is the channel name the simulated chats use.
const Channel = "bench"

// Targets of the issue: the engine should reach 40% of pgbench's tps; below
// 25% is a defect.
const (
	targetRatio = 0.40
	defectRatio = 0.25
)

type options struct {
	chats           int
	workers         int
	conns           int
	pgbenchSeconds  int
	minRatio        float64
	updateIDs       bool
	countRoundTrips bool
	cpuProfile      string
	memProfile      string
	rateSeconds     int
	broadcast       int
	imports         string
	telegramChats   int
	notifications   int
	rate            float64
	streams         int
	streamsSeconds  int
	live            string
	liveSeconds     int
	outboxRows      int
	only            string
	waStatuses      bool
	dashboardRows   int
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	name := "lindungi-bench"
	if len(args) > 0 {
		name = filepath.Base(args[0])
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o options
	fs.IntVar(&o.chats, "chats", 1000, "concurrent simulated chats, each completing one registration (1–9999)")
	fs.IntVar(&o.workers, "workers", 20, "N dispatcher-style workers, each taking its chats' messages in turn (as bot.Dispatcher will); 0: one goroutine per chat")
	fs.IntVar(&o.conns, "conns", 20, "database pool size; pgbench uses as many clients")
	fs.IntVar(&o.pgbenchSeconds, "pgbench-seconds", 15, "duration of the pgbench run")
	fs.Float64Var(&o.minRatio, "min-ratio", defectRatio, "fail when engine msgs/s ÷ pgbench tps is below this (0 never fails)")
	fs.BoolVar(&o.updateIDs, "update-ids", true, "give every event an UpdateID, as a Telegram channel does (exactly-once bookkeeping)")
	fs.BoolVar(&o.countRoundTrips, "count-roundtrips", false, "diagnosis: route the engine's connections through a counting proxy and print round trips per message (per step with -chats 1)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the engine phase to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile of the engine phase to this file")
	fs.IntVar(&o.notifications, "notifications", 2000, "payment notifications to send through the webhook handler (0 skips them)")
	fs.IntVar(&o.telegramChats, "telegram-chats", 1000, "concurrent chats for the Telegram polling and webhook runs (0 skips them)")
	fs.IntVar(&o.streams, "streams", 2000, "idle web chat event streams to open on a real serve, measuring the database's tx/s and serve's memory (0 skips it)")
	fs.IntVar(&o.streamsSeconds, "streams-seconds", 20, "how long each database measurement of the streams run lasts")
	fs.IntVar(&o.rateSeconds, "rate-seconds", 60, "how long to measure the global rate limiter (0 skips it)")
	fs.Float64Var(&o.rate, "rate", 30, "the global rate to measure, messages per second")
	fs.IntVar(&o.broadcast, "broadcast", 75489, "recipients of the unlimited broadcast run (0 skips it)")
	fs.StringVar(&o.imports, "import-rows", "75489,1000000", "sizes of the generated lists to import, comma-separated (\"\" skips them)")
	fs.StringVar(&o.live, "live", "targets", `load runs through a real "lindungi serve" on a fake Bot API (whatsapp: a fake Cloud API): "targets" (the issue's table, polling and webhook, and whatsapp beside the first), "" (none), or mode:workers:think:rtt[:rate],… with mode polling, webhook or whatsapp (e.g. webhook:1000:1.2s:250ms)`)
	fs.IntVar(&o.liveSeconds, "live-seconds", 30, "how long each live run is measured, after its workers have started")
	fs.IntVar(&o.outboxRows, "outbox-rows", 100000, "replies waiting when the outbox read is timed (0 skips it)")
	fs.BoolVar(&o.waStatuses, "whatsapp-statuses", true, `the fake Cloud API posts a "sent" and a "delivered" status webhook for every message, as Meta does, in the whatsapp live runs`)
	fs.IntVar(&o.dashboardRows, "dashboard-rows", 1_000_000, "registrations the dashboard's overview is timed over (0 skips it)")
	fs.StringVar(&o.only, "only", "", `run only pgbench and the -live loads of these modes, comma-separated (e.g. "whatsapp", "webhook,whatsapp"), and/or "dashboard" (the overview alone, no pgbench); "" runs everything`)
	if err := fs.Parse(args[min(1, len(args)):]); err != nil {
		return err
	}
	loads, err := parseLive(o.live, o.liveSeconds)
	if err != nil {
		return err
	}
	if o.only != "" {
		isDashboard := func(m string) bool { return strings.TrimSpace(m) == "dashboard" }
		modes := strings.Split(o.only, ",")
		if !slices.ContainsFunc(modes, isDashboard) {
			o.dashboardRows = 0
		}
		modes = slices.DeleteFunc(modes, isDashboard)
		if len(modes) == 0 {
			loads = nil
		} else if loads, err = onlyModes(loads, strings.Join(modes, ",")); err != nil {
			return err
		}
		o.outboxRows, o.telegramChats, o.notifications, o.imports, o.broadcast, o.streams, o.rateSeconds = 0, 0, 0, "", 0, 0, 0
	}
	if o.chats < 1 || o.chats > 9999 {
		return fmt.Errorf("-chats %d: want 1 to 9999 (the NIK serial is the chat number)", o.chats)
	}
	if o.conns < 1 {
		return fmt.Errorf("-conns %d: want at least 1", o.conns)
	}
	if o.pgbenchSeconds < 1 {
		return fmt.Errorf("-pgbench-seconds %d: want at least 1", o.pgbenchSeconds)
	}
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		fmt.Fprintln(stdout, "!!! pgbench is missing: apt-get install postgresql-contrib (Debian 12: it is in postgresql-client-15)")
		return errors.New("pgbench not found on PATH")
	}
	if getenv("LINDUNGI_TEST_DATABASE_URL") != "" {
		// pgtest reads the process environment; keep it in step with getenv.
		os.Setenv("LINDUNGI_TEST_DATABASE_URL", getenv("LINDUNGI_TEST_DATABASE_URL"))
	}

	var eng engineResult
	if o.only == "" {
		if eng, err = benchEngine(ctx, o, stdout); err != nil {
			return err
		}
	}
	var pg pgbenchResult
	if o.only == "" || len(loads) > 0 {
		if pg, err = benchPgbench(ctx, pgbench, o); err != nil {
			return err
		}
	}
	ratio := eng.msgsPerSec / pg.tps
	if o.only == "" {
		report(stdout, o, eng, pg, ratio)
	} else if len(loads) > 0 {
		fmt.Fprintf(stdout, "pgbench: single-row UPDATE, -M prepared -c %d -j %d -T %d: %.0f tps\n", pg.clients, pg.threads, pg.seconds, pg.tps)
	}
	if len(loads) > 0 {
		dir, err := os.MkdirTemp("", "lindungi-live")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "lindungi")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/lindungi/lindungi/cmd/lindungi").CombinedOutput(); err != nil {
			return fmt.Errorf("build lindungi: %v\n%s", err, out)
		}
		for _, l := range loads {
			if l.mode == "whatsapp" {
				r, err := benchWhatsApp(ctx, bin, l, o.waStatuses)
				if err != nil {
					return fmt.Errorf("live run %s: %w", l, err)
				}
				reportWhatsApp(stdout, r, pg.tps)
				continue
			}
			r, err := benchLive(ctx, bin, l)
			if err != nil {
				return fmt.Errorf("live run %s: %w", l, err)
			}
			reportLive(stdout, r, pg.tps)
		}
	}
	if o.outboxRows > 0 {
		r, err := benchOutboxRead(ctx, o.outboxRows)
		if err != nil {
			return err
		}
		reportOutboxRead(stdout, r)
	}
	if o.dashboardRows > 0 {
		r, err := benchDashboard(ctx, o.dashboardRows)
		if err != nil {
			return err
		}
		reportDashboard(stdout, r)
	}
	if o.telegramChats > 0 {
		for _, mode := range []string{"polling", "webhook"} {
			r, err := benchTelegram(ctx, mode, o.telegramChats, o.workers, o.conns)
			if err != nil {
				return err
			}
			reportTelegram(stdout, r)
		}
	}
	if o.notifications > 0 {
		r, err := benchPayments(ctx, o.notifications, o.conns, o.conns)
		if err != nil {
			return err
		}
		reportPayments(stdout, r)
	}
	for _, s := range strings.Split(o.imports, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("-import-rows: %q is not a number of rows", s)
		}
		r, err := benchImport(ctx, n)
		if err != nil {
			return err
		}
		reportImport(stdout, r)
		if n == 1_000_000 && r.imported > time.Minute {
			fmt.Fprintln(stdout, "!!! the 1,000,000-row import took more than 60 s")
		}
	}
	if o.broadcast > 0 {
		r, err := benchBroadcast(ctx, o.broadcast, 0, 0, o.conns)
		if err != nil {
			return err
		}
		reportBroadcast(stdout, r)
	}
	if o.streams > 0 {
		r, err := benchStreams(ctx, o.streams, time.Duration(o.streamsSeconds)*time.Second)
		if err != nil {
			return err
		}
		reportStreams(stdout, r)
	}
	if o.rateSeconds > 0 {
		// The global limit, measured on a broadcast through the Bot API.
		r, err := benchBroadcast(ctx, int(o.rate)*(o.rateSeconds+5), o.rate, o.rateSeconds, o.conns)
		if err != nil {
			return err
		}
		reportBroadcast(stdout, r)
	}
	if o.only == "" && o.minRatio > 0 && ratio < o.minRatio {
		return fmt.Errorf("engine reaches %.1f%% of pgbench tps, below the %.0f%% floor: a defect", 100*ratio, 100*o.minRatio)
	}
	return nil
}

// step is one message of a chat's registration.
type step struct {
	name   string // what the person answers
	kind   flows.Kind
	text   string
	choice string
}

func (s step) event(chatID string, updateID string) flows.Event {
	return flows.Event{Channel: Channel, ChatID: chatID, UserID: chatID, UpdateID: updateID,
		Kind: s.kind, Text: s.text, Choice: s.choice}
}

func text(name, s string) step   { return step{name: name, kind: flows.KindText, text: s} }
func choice(name, d string) step { return step{name: name, kind: flows.KindChoice, choice: d} }

var firstNames = []string{"Budi", "Siti", "Agus", "Dewi", "Rudi", "Nur", "Andi", "Rina", "Hendra", "Yuliana",
	"Joko", "Sri", "Bambang", "Wahyuni", "Eko", "Lestari", "Ahmad", "Fitri", "Dedi", "Maria"}

var lastNames = []string{"Santoso", "Rahmawati", "Hidayat", "Lim", "Saputra", "Wijaya", "Kurniawan", "Pratama",
	"Nugroho", "Setiawan", "Halim", "Gunawan", "Tan", "Siregar", "Sihombing"}

// script is the registration chat number i (1-based) types and presses. The
// NIK is from Pontianak Kota (61.71.05), born between 21 and 60 years ago,
// with the chat number as its serial; every chat's NIK and phone differ.
func script(i int, today time.Time, villages []step) []step {
	day := 1 + (i*7)%28
	month := 1 + (i*5)%12
	year := today.Year() - 22 - i%38
	nikDay := day
	if i%2 == 0 {
		nikDay += 40 // women
	}
	nikDigits := fmt.Sprintf("617105%02d%02d%02d%04d", nikDay, month, year%100, i%10000)
	name := firstNames[i%len(firstNames)] + " " + lastNames[(i/len(firstNames))%len(lastNames)]
	phone := fmt.Sprintf("0812%08d", 30000000+i)
	return []step{
		text("start", "/start"),
		choice("consent", "cs:yes"),
		text("nik", nikDigits),
		text("name", name),
		text("phone", phone),
		villages[i%len(villages)], // of the NIK's kecamatan, offered at once
		choice("occupation", "oc:petani"),
		choice("income", "in:base"),
		choice("review", "rv:ok"),
	}
}

// villageSteps are the villages of Pontianak Kota, typed by name where the
// name alone picks the village (as the engine decides), else pressed.
func villageSteps(regions *wilayah.Data) ([]step, error) {
	const district = "61.71.05"
	var out []step
	for _, v := range regions.Children(district) {
		m := regions.Search(district, wilayah.Village, v.Name, 6)
		n := wilayah.Normalize(v.Name)
		if len(m) > 0 && m[0].Code == v.Code && wilayah.Normalize(m[0].Name) == n &&
			(len(m) == 1 || wilayah.Normalize(m[1].Name) != n) {
			out = append(out, text("nik_village", v.Name))
		} else {
			out = append(out, choice("nik_village", "nv:"+v.Code))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no villages under %s in the region data", district)
	}
	return out, nil
}

type engineResult struct {
	messages     int
	steps        int
	elapsed      time.Duration
	msgsPerSec   float64
	p50, p90     time.Duration
	p99, max     time.Duration
	allocsPerMsg float64
	bytesPerMsg  float64
	registered   int
	delivered    int64
	stats        serverStats
	roundTrips   float64 // per message, with -count-roundtrips
	perStep      []stepTrips
}

type stepTrips struct {
	name  string
	trips int64
}

func benchEngine(ctx context.Context, o options, stdout io.Writer) (engineResult, error) {
	var res engineResult
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		return res, err
	}
	defer drop()
	dbName := dbNameOf(dsn)
	engineDSN := dsn
	var proxy *countingProxy
	if o.countRoundTrips {
		if proxy, engineDSN, err = startProxy(engineDSN); err != nil {
			return res, err
		}
		defer proxy.Close()
	}

	// As in production at the default log level: Debug lines are not written.
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	env, err := flowstest.Open(ctx, engineDSN, flowstest.Options{MaxConns: o.conns, Log: log})
	if err != nil {
		return res, err
	}
	db, regions := env.DB, env.Regions
	dbOpen := true
	defer func() {
		if dbOpen {
			db.Close()
		}
	}()
	cfg := flows.DefaultConfig()
	engine := env.Engine(cfg)

	villages, err := villageSteps(regions)
	if err != nil {
		return res, err
	}
	today := clock.Now().In(cfg.Location)
	scripts := make([][]step, o.chats)
	for i := range scripts {
		scripts[i] = script(i+1, today, villages)
	}
	res.steps = len(scripts[0])
	res.messages = o.chats * res.steps
	lat := make([][]time.Duration, o.chats)
	for i := range lat {
		lat[i] = make([]time.Duration, 0, res.steps)
	}
	var perStep []int64
	if proxy != nil && o.chats == 1 {
		perStep = make([]int64, res.steps)
	}

	// Open the whole pool before the clock starts.
	if err := warmPool(ctx, db.SQL().DB, o.conns); err != nil {
		return res, err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	if o.workers > 0 {
		// As the dispatcher runs them: a bounded set of workers, each owning
		// the chats that hash to it and taking their messages in turn, so all
		// chats are open at once and each chat's order is kept.
		for w := range o.workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				var mine []int
				for i := w; i < o.chats; i += o.workers {
					mine = append(mine, i)
				}
				for k := range res.steps {
					for _, i := range mine {
						if err := driveStep(ctx, engine, i+1, scripts[i], k, o.updateIDs, &lat[i], proxy, perStep); err != nil {
							cancel(err)
							return
						}
					}
				}
			}()
		}
	} else {
		for i := range o.chats {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				for k := range scripts[i] {
					if err := driveStep(ctx, engine, i+1, scripts[i], k, o.updateIDs, &lat[i], proxy, perStep); err != nil {
						cancel(err)
						return
					}
				}
			}()
		}
	}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
	}
	if o.memProfile != "" {
		runtime.MemProfileRate = 64 * 1024
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var tripsBefore int64
	if proxy != nil {
		tripsBefore = proxy.trips.Load()
	}
	sender := &countingSender{}
	deliver := &bot.Deliverer{Outbox: db, Senders: map[string]bot.Sender{Channel: sender}, Interval: 20 * time.Millisecond, Batch: 500, Log: log,
		Rate: 1e6, PerChat: time.Nanosecond} // the stand-in channel has no limits of its own
	deliverCtx, stopDelivery := context.WithCancel(ctx)
	defer stopDelivery()
	delivered := make(chan error, 1)
	go func() { delivered <- deliver.Run(deliverCtx) }()
	start := clock.Start()
	close(gate)
	wg.Wait()
	// The run ends when the last reply has been delivered.
	for ctx.Err() == nil {
		n, err := db.BacklogOf(ctx, []string{Channel})
		if err != nil {
			return res, err
		}
		if n == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.elapsed = start.Elapsed()
	stopDelivery()
	if err := <-delivered; err != nil {
		return res, err
	}
	res.delivered = sender.sent.Load()
	runtime.ReadMemStats(&after)
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if proxy != nil {
		res.roundTrips = float64(proxy.trips.Load()-tripsBefore) / float64(res.messages)
		for i, n := range perStep {
			res.perStep = append(res.perStep, stepTrips{name: scripts[0][i].name, trips: n})
		}
	}
	if o.memProfile != "" {
		f, err := os.Create(o.memProfile)
		if err != nil {
			return res, err
		}
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
		if err != nil {
			return res, err
		}
	}
	if err := context.Cause(ctx); err != nil {
		return res, fmt.Errorf("engine run failed: %w", err)
	}

	res.msgsPerSec = float64(res.messages) / res.elapsed.Seconds()
	res.allocsPerMsg = float64(after.Mallocs-before.Mallocs) / float64(res.messages)
	res.bytesPerMsg = float64(after.TotalAlloc-before.TotalAlloc) / float64(res.messages)
	all := make([]time.Duration, 0, res.messages)
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	res.p50, res.p90, res.p99, res.max = quantile(all, 0.50), quantile(all, 0.90), quantile(all, 0.99), all[len(all)-1]

	// The registrations must all be there, and nothing left undelivered.
	sqlDB := db.SQL()
	if err := sqlDB.GetContext(ctx, &res.registered, `SELECT count(*) FROM registrations`); err != nil {
		return res, fmt.Errorf("count registrations: %w", err)
	}
	if res.registered != o.chats {
		fmt.Fprintf(stdout, "!!! %d registrations stored, want %d: the engine did not complete every registration\n", res.registered, o.chats)
		return res, fmt.Errorf("%d registrations stored, want %d", res.registered, o.chats)
	}
	var done, unsent int
	if err := sqlDB.GetContext(ctx, &done, `SELECT count(*) FROM sessions WHERE channel = $1 AND state = $2`, Channel, flows.StDone); err != nil {
		return res, fmt.Errorf("count sessions: %w", err)
	}
	if err := sqlDB.GetContext(ctx, &unsent, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`); err != nil {
		return res, fmt.Errorf("count outbox: %w", err)
	}
	if done != o.chats || unsent != 0 {
		fmt.Fprintf(stdout, "!!! %d sessions done (want %d), %d replies unsent (want 0)\n", done, o.chats, unsent)
		return res, fmt.Errorf("%d sessions done (want %d), %d replies unsent (want 0)", done, o.chats, unsent)
	}
	// Closing the pool ends its backends, which flushes their statistics.
	db.Close()
	dbOpen = false
	res.stats = readStats(ctx, dbName)
	return res, nil
}

// driveStep sends message k of one chat and checks from the replies Handle
// returns that the answer was taken. Delivery runs beside it, as in serve: a
// Deliverer reads the outbox in batches and marks replies sent in batches.
func driveStep(ctx context.Context, engine *flows.Engine, n int, steps []step, k int, updateIDs bool,
	lat *[]time.Duration, proxy *countingProxy, perStep []int64) error {
	if ctx.Err() != nil {
		return nil // another chat failed
	}
	chatID := strconv.Itoa(n)
	st := steps[k]
	updateID := ""
	if updateIDs {
		updateID = chatID + "-" + strconv.Itoa(k)
	}
	var trips int64
	if perStep != nil {
		trips = proxy.trips.Load()
	}
	t0 := clock.Start()
	replies, err := engine.Handle(ctx, st.event(chatID, updateID))
	if err != nil {
		return fmt.Errorf("chat %s, step %s: %w", chatID, st.name, err)
	}
	*lat = append(*lat, t0.Elapsed())
	if perStep != nil {
		perStep[k] += proxy.trips.Load() - trips
	}
	if err := check(replies, steps, k); err != nil {
		return fmt.Errorf("chat %s, step %s (%q): %w", chatID, st.name, st.text+st.choice, err)
	}
	return nil
}

// check makes sure the replies to step k ask the question step k+1 answers:
// they offer buttons of the question the next press belongs to (the same
// prefix: "rg:61.71" may sit on a later page of the list), or, after the
// last step, the done menu.
func check(replies []flows.Reply, steps []step, k int) error {
	if len(replies) == 0 {
		return errors.New("no reply")
	}
	want := "dn:new"
	if k+1 < len(steps) {
		next := steps[k+1]
		if next.kind != flows.KindChoice {
			return nil
		}
		want = next.choice
	}
	prefix, _, _ := strings.Cut(want, ":")
	for _, r := range replies {
		for _, c := range r.Choices {
			if c.Data == want || strings.HasPrefix(c.Data, prefix+":") {
				return nil
			}
		}
	}
	last := replies[len(replies)-1].Text
	return fmt.Errorf("the reply does not offer %q; it says: %q", want, last)
}

// countingSender stands in for a channel: it accepts every reply.
type countingSender struct{ sent atomic.Int64 }

func (c *countingSender) Send(ctx context.Context, chatID string, r flows.Reply) error {
	c.sent.Add(1)
	return nil
}

func warmPool(ctx context.Context, db *sql.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("open pool: %w", err)
		}
		if err := c.PingContext(ctx); err != nil {
			return fmt.Errorf("open pool: %w", err)
		}
		conns = append(conns, c)
	}
	return nil
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

type pgbenchResult struct {
	tps     float64
	clients int
	threads int
	seconds int
	stats   serverStats
}

// pgbenchScript is one single-row UPDATE transaction.
const pgbenchScript = `\set aid random(1, 100000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
END;
`

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

func benchPgbench(ctx context.Context, pgbench string, o options) (pgbenchResult, error) {
	res := pgbenchResult{clients: o.conns, threads: min(2, o.conns), seconds: o.pgbenchSeconds}
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		return res, err
	}
	defer drop()
	if out, err := exec.CommandContext(ctx, pgbench, "-i", "-s", "1", "-q", dsn).CombinedOutput(); err != nil {
		return res, fmt.Errorf("pgbench -i: %w\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "lindungi-bench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "update.sql")
	if err := os.WriteFile(path, []byte(pgbenchScript), 0o600); err != nil {
		return res, err
	}
	out, err := exec.CommandContext(ctx, pgbench, "-n", "-M", "prepared", "-f", path,
		"-c", strconv.Itoa(res.clients), "-j", strconv.Itoa(res.threads), "-T", strconv.Itoa(res.seconds), dsn).CombinedOutput()
	if err != nil {
		return res, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return res, fmt.Errorf("pgbench printed no tps line:\n%s", out)
	}
	if res.tps, err = strconv.ParseFloat(string(m[1]), 64); err != nil || res.tps <= 0 {
		return res, fmt.Errorf("pgbench tps %q: not a positive number", m[1])
	}
	time.Sleep(300 * time.Millisecond) // pgbench's backends flush their statistics as they exit
	res.stats = readStats(ctx, dbNameOf(dsn))
	return res, nil
}

// serverStats are the cumulative statistics of one benchmark database, read
// after its connections closed. Zero when they could not be read.
type serverStats struct {
	ok         bool
	commits    int64
	tupIns     int64
	tupUpd     int64
	tupFetched int64
}

func readStats(ctx context.Context, dbName string) serverStats {
	var s serverStats
	admin, err := sql.Open("postgres", pgtest.AdminURL())
	if err != nil {
		return s
	}
	defer admin.Close()
	err = admin.QueryRowContext(ctx, `SELECT xact_commit, tup_inserted, tup_updated, tup_fetched
		FROM pg_stat_database WHERE datname = $1`, dbName).Scan(&s.commits, &s.tupIns, &s.tupUpd, &s.tupFetched)
	s.ok = err == nil
	return s
}

// dbNameOf is the database a postgres:// URL names.
func dbNameOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

func report(w io.Writer, o options, e engineResult, p pgbenchResult, ratio float64) {
	tw := &table{w: w}
	tw.head("engine: %d chats × %d messages, full registration, %s, pool %d, update ids %v\n", o.chats, e.steps, workersLabel(o.workers), o.conns, o.updateIDs)
	tw.row("  messages", "%d\n", e.messages)
	tw.row("  registrations stored", "%d\n", e.registered)
	tw.row("  replies delivered", "%d (batched outbox delivery)\n", e.delivered)
	tw.row("  wall time", "%s\n", e.elapsed.Round(time.Millisecond))
	tw.row("  throughput", "%.0f msg/s\n", e.msgsPerSec)
	tw.row("  latency p50", "%s\n", roundDur(e.p50))
	tw.row("  latency p90", "%s\n", roundDur(e.p90))
	tw.row("  latency p99", "%s\n", roundDur(e.p99))
	tw.row("  latency max", "%s\n", roundDur(e.max))
	tw.row("  allocs/msg", "%.0f\n", e.allocsPerMsg)
	tw.row("  bytes/msg", "%.0f\n", e.bytesPerMsg)
	if e.stats.ok {
		m := float64(e.messages)
		tw.row("  server xact_commit/msg", "%.2f\n", float64(e.stats.commits)/m)
		tw.row("  rows ins+upd/msg", "%.2f\n", float64(e.stats.tupIns+e.stats.tupUpd)/m)
	}
	if o.countRoundTrips {
		tw.row("  round trips/msg", "%.2f\n", e.roundTrips)
		for _, s := range e.perStep {
			tw.row("    "+s.name, "%d round trips\n", s.trips)
		}
	}
	tw.head("pgbench: single-row UPDATE, -M prepared -c %d -j %d -T %d\n", p.clients, p.threads, p.seconds)
	tw.row("  throughput", "%.0f tps\n", p.tps)
	if p.stats.ok {
		tw.row("  server xact_commit/tx", "%.2f\n", float64(p.stats.commits)/(p.tps*float64(p.seconds)))
	}
	verdict := "meets the 40% target"
	switch {
	case ratio < defectRatio:
		verdict = "DEFECT: below 25%"
	case ratio < targetRatio:
		verdict = "below the 40% target"
	}
	tw.row("ratio engine msg/s ÷ pgbench tps", "%.1f%%  (%s)\n", 100*ratio, verdict)
}

// table prints label–value rows with the values in one column.
type table struct{ w io.Writer }

func (t *table) head(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }

func (t *table) row(label, format string, args ...any) {
	fmt.Fprintf(t.w, "%-34s %s", label, fmt.Sprintf(format, args...))
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

func workersLabel(n int) string {
	if n == 0 {
		return "a goroutine per chat"
	}
	return fmt.Sprintf("%d workers", n)
}
