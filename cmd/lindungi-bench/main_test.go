package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRunSmall drives five full registrations and a one-second pgbench: the
// benchmark works end to end (the figures themselves mean nothing at this size).
func TestRunSmall(t *testing.T) {
	if _, err := exec.LookPath("pgbench"); err != nil {
		t.Skip("pgbench is not on PATH (apt-get install postgresql-contrib): cannot compare with it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second) // a guard, not a target: -race on 2 busy cores is slow
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"lindungi-bench", "-chats", "5", "-conns", "4", "-pgbench-seconds", "1", "-min-ratio", "0", "-rate-seconds", "2", "-rate", "50", "-broadcast", "300", "-import-rows", "500", "-telegram-chats", "5", "-notifications", "20", "-streams", "0",
		"-live", "polling:5:200ms:10ms,webhook:5:200ms:10ms:30,whatsapp:5:200ms:10ms", "-live-seconds", "2", "-outbox-rows", "1000", "-dashboard-rows", "2000"}, os.Getenv, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^  registrations stored +5$`).Match(out.Bytes()) {
		t.Error("output does not say 5 registrations were stored")
	}
	for _, want := range []string{"latency p50", "latency p99", "allocs/msg", "bytes/msg", " tps\n", "engine msg/s ÷ pgbench tps", "measured rate", "telegram polling", "telegram webhook", "update → reply p99", "notifications/s", "per card", "deliveries/s", "429s",
		"live: lindungi serve (polling)", "live: lindungi serve (webhook)", "API calls/update", "sent per second", "outbox: 1000 replies waiting",
		"live: lindungi serve (whatsapp webhook)", "webhook POSTs/update", "serve: received → reply sent",
		"dashboard overview: 2000 registrations", "overview, supervisor 61.71"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestStreamsSmall opens a few idle event streams on a real serve: the run
// works end to end, and they cost the database next to nothing.
func TestStreamsSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	r, err := benchStreams(ctx, 40, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	reportStreams(&out, r)
	t.Log(out.String())
	// Next to nothing: streams that polled the outbox (every 500 ms) would
	// cost 80 tx/s; waiting on LISTEN, a few, whatever the machine's load.
	if r.addresses != 5 || r.rssOpen == 0 || r.openTx > r.idleTx+10 {
		t.Errorf("streams run %+v", r)
	}
}

// TestRoundTripCount checks the counting proxy on one chat: every message
// costs some round trips, and the registration still completes through it.
func TestRoundTripCount(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second) // a guard, not a target: -race on 2 busy cores is slow
	defer cancel()
	res, err := benchEngine(ctx, options{chats: 1, conns: 1, updateIDs: true, countRoundTrips: true}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if res.registered != 1 || res.roundTrips < 3 || len(res.perStep) != res.steps {
		t.Fatalf("registered %d, %.1f round trips/msg, %d steps counted of %d", res.registered, res.roundTrips, len(res.perStep), res.steps)
	}
}

func TestDBNameOf(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/lindungi_test_ab?sslmode=disable": "lindungi_test_ab",
		"postgres://u@h/x": "x",
	} {
		if got := dbNameOf(dsn); got != want {
			t.Errorf("dbNameOf(%q) = %q, want %q", dsn, got, want)
		}
	}
}

// TestDashboardSmall seeds a few registrations and times the overview: the
// run works end to end and its figures add up.
func TestDashboardSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := benchDashboard(ctx, 2000)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	reportDashboard(&out, r)
	t.Log("\n" + out.String())
	tt := r.totals
	if tt.Registered != 2000 || tt.Awaiting+tt.Active+tt.Arrears+tt.Ended != 2000 || r.payments == 0 || r.supervisorRegs == 0 || r.sponsorRegs == 0 {
		t.Errorf("dashboard run %+v", r)
	}
}
