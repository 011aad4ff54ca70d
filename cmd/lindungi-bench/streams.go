package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lindungi/lindungi/clock"
)

// streamsResult is what idle web chat event streams cost a real serve.
type streamsResult struct {
	streams, addresses int
	window             time.Duration
	idleTx, openTx     float64 // database transactions per second, with none and with the streams open
	rssBefore, rssOpen int64   // serve's resident memory, bytes
}

// benchStreams starts `lindungi serve`, measures the database's
// transactions per second with no web chat streams, then opens n event
// streams (each its own cookie, spread over source addresses 127.0.x.y so
// the per-address cap holds), leaves them idle and measures again, with
// serve's resident memory before and after.
func benchStreams(ctx context.Context, n int, window time.Duration) (streamsResult, error) {
	res := streamsResult{streams: n, window: window}
	dir, err := os.MkdirTemp("", "lindungi-streams")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	bin, dsn, drop, err := lindungiOnNewDB(ctx, dir)
	if err != nil {
		return res, err
	}
	defer drop()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return res, err
	}
	defer db.Close()
	const perAddress = 8
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	serve := exec.CommandContext(sctx, bin, "serve")
	serve.Cancel = func() error { return serve.Process.Signal(os.Interrupt) }
	serve.WaitDelay = 15 * time.Second
	serve.Env = append(os.Environ(), "DATABASE_URL="+dsn, "LINDUNGI_LOG_LEVEL=error", "LINDUNGI_HTTP_ADDR=127.0.0.1:0",
		"LINDUNGI_WEB_STREAMS_PER_ADDRESS="+strconv.Itoa(perAddress), "LINDUNGI_WEB_MAX_STREAMS="+strconv.Itoa(n+100),
		"LINDUNGI_DATA_KEY="+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 32))))
	out, err := serve.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := serve.Start(); err != nil {
		return res, err
	}
	defer func() { stop(); serve.Wait() }() //nolint:errcheck // stopped by the context
	addr := ""
	sc := bufio.NewScanner(out)
	re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		return res, fmt.Errorf("serve did not start")
	}
	go io.Copy(io.Discard, out) //nolint:errcheck // the rest of its output
	base := "http://" + addr

	txRate := func() (float64, error) {
		count := func() (int64, error) {
			var c int64
			// The server's own shared statistics, flushed by each backend.
			err := db.QueryRowContext(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&c)
			return c, err
		}
		// Let the statistics settle: a backend that goes idle reports its
		// transactions up to 10 s later (PostgreSQL 15's PGSTAT_IDLE_INTERVAL),
		// so the streams' own opening would otherwise count as idle work.
		time.Sleep(12 * time.Second)
		// The least of three windows: serve's own periodic work (folding
		// the dashboard's counts, resuming imports, following auto-debits)
		// lands in one now and then, and is not the streams' cost.
		least := math.Inf(1)
		a, err := count()
		if err != nil {
			return 0, err
		}
		for range 3 {
			sw := clock.Start()
			time.Sleep(window)
			b, err := count()
			if err != nil {
				return 0, err
			}
			// The counting query itself is one of them.
			least = math.Min(least, float64(b-a)/sw.Elapsed().Seconds())
			a = b
		}
		return least, nil
	}
	if res.idleTx, err = txRate(); err != nil {
		return res, err
	}
	res.rssBefore = rss(serve.Process.Pid)

	res.addresses = (n + perAddress - 1) / perAddress
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bodies []io.Closer
	var openErr error
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a := i / perAddress
			local := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+a/250), byte(1+a%250))}
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: local}).DialContext}}
			resp, err := c.Get(base + "/")
			if err == nil {
				io.Copy(io.Discard, resp.Body) //nolint:errcheck
				resp.Body.Close()
				resp, err = c.Get(base + "/api/events")
			}
			if err == nil && resp.StatusCode != http.StatusOK {
				resp.Body.Close()
				err = fmt.Errorf("event stream %d: HTTP %d", i, resp.StatusCode)
			}
			if err == nil {
				// Wait for the stream's first line: it is open and has looked once.
				_, err = bufio.NewReader(resp.Body).ReadString('\n')
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				openErr = err
				return
			}
			bodies = append(bodies, resp.Body)
		}(i)
		if i%50 == 49 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	wg.Wait()
	defer func() {
		for _, b := range bodies {
			b.Close()
		}
	}()
	if openErr != nil {
		return res, fmt.Errorf("open %d streams: %d open, %w", n, len(bodies), openErr)
	}
	if res.openTx, err = txRate(); err != nil {
		return res, err
	}
	res.rssOpen = rss(serve.Process.Pid)
	return res, nil
}

// rss is a process's resident memory in bytes (0 when unknown).
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func reportStreams(w io.Writer, r streamsResult) {
	per := float64(r.rssOpen-r.rssBefore) / float64(r.streams)
	fmt.Fprintf(w, "web chat streams: %d idle event streams from %d addresses on a real serve: database %.1f tx/s with none, %.1f tx/s with them open (the least of three %s windows); serve RSS %.0f MB → %.0f MB, %.1f KB per stream (target ≤ 60)\n",
		r.streams, r.addresses, r.idleTx, r.openTx, r.window, float64(r.rssBefore)/(1<<20), float64(r.rssOpen)/(1<<20), per/1024)
	if per > 60*1024 {
		fmt.Fprintln(w, "!!! more than 60 KB per idle stream")
	}
}
