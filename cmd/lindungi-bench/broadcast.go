package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/telegram"
	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

type broadcastResult struct {
	recipients int
	rate       float64 // configured; 0: off
	seconds    int     // the measured window, for a limited run
	sent       int
	elapsed    time.Duration
	perSec     float64
	maxWindow  int // most deliveries in any one second
	throttled  int // 429s the stand-in Bot API gave
	durable    int // recipients recorded "sent" in PostgreSQL
}

// benchBroadcast sends one broadcast to recipients chats through the real
// Telegram client, the deliverer and PostgreSQL against the stand-in Bot API.
// With rate 0 the limits are off and it runs to the end; otherwise it runs
// for seconds at that rate, the stand-in answering 429 beyond it.
func benchBroadcast(ctx context.Context, recipients int, rate float64, seconds, conns int) (broadcastResult, error) {
	res := broadcastResult{recipients: recipients, rate: rate, seconds: seconds}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env, done, err := freshEnv(ctx, conns, log)
	if err != nil {
		return res, err
	}
	defer done()
	db, engine := env.DB, env.Engine(flows.DefaultConfig())
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO registrations (ref, channel, chat_id, name, regency, district, status, created_at, updated_at)
		SELECT 'BB-' || g, 'telegram', (1000000 + g)::text, 'Warga', '61.71', '61.71.05', 'menunggu_pembayaran', now(), now()
		FROM generate_series(1, $1::int) g`, recipients); err != nil {
		return res, fmt.Errorf("seed recipients: %w", err)
	}
	id, err := db.CreateBroadcastAs(ctx, "bench:broadcast", flows.Broadcast{Text: "Batas bayar iuran *15 Desember*.", Button: flows.ButtonPay})
	if err != nil {
		return res, err
	}

	fake := telegramtest.Start()
	defer fake.Close()
	if rate > 0 {
		// Telegram-like flood control at the configured rate (the limiter
		// lets one more through in a second that starts with a full bucket).
		fake.Limit(int(rate) + 1)
	}
	client, err := telegram.New(ctx, telegram.Options{Token: telegramtest.Token, Endpoint: fake.Endpoint(), Log: log})
	if err != nil {
		return res, err
	}
	d := &bot.Deliverer{Outbox: db, Senders: map[string]bot.Sender{telegram.Channel: client}, Rate: rate, Log: log,
		Broadcasts: db, Texts: engine, Interval: 10 * time.Millisecond}
	if rate == 0 {
		d.Rate, d.PerChat, d.BroadcastWorkers, d.BroadcastBatch = 1e9, time.Nanosecond, 32, 1000
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := clock.Start()
	stopped := make(chan struct{})
	go func() { d.Run(ctx); close(stopped) }()
	if rate > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(seconds) * time.Second):
		}
	} else {
		for {
			p, err := db.BroadcastProgressOf(ctx, id)
			if err != nil {
				return res, err
			}
			if p.Status == flows.BroadcastDone {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	res.elapsed = start.Elapsed()
	cancel()
	<-stopped
	var stamps []time.Time
	for _, m := range fake.AllMessages() {
		stamps = append(stamps, m.At)
	}
	sort.Slice(stamps, func(i, j int) bool { return stamps[i].Before(stamps[j]) })
	res.sent = len(stamps)
	if len(stamps) > 1 {
		// The rate from the first delivery to the last (start-up and the
		// final bookkeeping excluded).
		res.perSec = float64(len(stamps)-1) / stamps[len(stamps)-1].Sub(stamps[0]).Seconds()
	}
	for i, j := 0, 0; j < len(stamps); j++ {
		for stamps[j].Sub(stamps[i]) >= time.Second {
			i++
		}
		res.maxWindow = max(res.maxWindow, j-i+1)
	}
	res.throttled = fake.Throttled()
	p, err := db.BroadcastProgressOf(context.WithoutCancel(ctx), id)
	if err != nil {
		return res, err
	}
	res.durable = p.Sent
	return res, nil
}

func reportBroadcast(w io.Writer, r broadcastResult) {
	tw := &table{w: w}
	if r.rate == 0 {
		tw.head("broadcast to %d recipients, limits off, stand-in Bot API, status kept in PostgreSQL\n", r.recipients)
		tw.row("  delivered", "%d in %.1f s\n", r.sent, r.elapsed.Seconds())
		tw.row("  deliveries/s", "%.0f (target ≥ 5,000)\n", r.perSec)
		tw.row("  recorded sent in PostgreSQL", "%d\n", r.durable)
		if r.perSec < 5000 {
			fmt.Fprintln(w, "!!! below the 5,000 deliveries/s target")
		}
		return
	}
	tw.head("broadcast at %.0f/s for %d s, stand-in Bot API answering 429 beyond it\n", r.rate, r.seconds)
	tw.row("  delivered", "%d\n", r.sent)
	tw.row("  measured rate", "%.2f/s (%.1f%% of configured; target within 2%%)\n", r.perSec, 100*r.perSec/r.rate)
	tw.row("  most in any 1 s window", "%d\n", r.maxWindow)
	tw.row("  429s", "%d (target 0)\n", r.throttled)
	if d := r.perSec/r.rate - 1; d < -0.02 || d > 0.02 || r.throttled > 0 {
		fmt.Fprintln(w, "!!! the broadcast rate is off by more than 2% or met 429s")
	}
}
