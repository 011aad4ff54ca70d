package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/telegram"
	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/store/pgtest"
)

type telegramResult struct {
	mode     string
	chats    int
	updates  int
	elapsed  time.Duration
	perSec   float64
	p50, p99 time.Duration
}

// tgStep is one update a chat sends and how many messages answer it.
type tgStep struct {
	text, choice string
	replies      int
}

// tgScript is the start of a registration, as a person on Telegram sends it.
func tgScript(n int) []tgStep {
	return []tgStep{
		{text: "halo", replies: 1}, // the welcome and consent question
		{choice: "cs:yes", replies: 1},
		{text: fmt.Sprintf("617105450890%04d", n), replies: 1},
		{text: "Siti Aminah", replies: 1},
	}
}

// benchTelegram runs chats concurrent conversations through the real
// Telegram client against the fake Bot API, in "polling" or "webhook" mode:
// each chat sends its next update when the reply to the last one arrived.
// Delivery limits are off (the stand-in server has none; the limiter is
// measured on its own).
func benchTelegram(ctx context.Context, mode string, chats, workers, conns int) (telegramResult, error) {
	res := telegramResult{mode: mode, chats: chats}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env, done, err := freshEnv(ctx, conns, log)
	if err != nil {
		return res, err
	}
	defer done()
	db, engine := env.DB, env.Engine(flows.DefaultConfig())

	fake := telegramtest.Start()
	defer fake.Close()
	client, err := telegram.New(ctx, telegram.Options{Token: telegramtest.Token, Endpoint: fake.Endpoint(), Log: log})
	if err != nil {
		return res, err
	}
	got := make(map[int64]chan struct{}, chats)
	for i := range chats {
		got[int64(i+1)] = make(chan struct{}, 8)
	}
	fake.OnMessage(func(m telegramtest.Message) {
		if c, ok := got[m.ChatID]; ok {
			c <- struct{}{}
		}
	})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dispatcher := bot.NewDispatcher(engine, workers, log)
	defer dispatcher.Stop()
	deliverer := &bot.Deliverer{Outbox: db, Senders: map[string]bot.Sender{telegram.Channel: client}, Rate: 1e6, PerChat: time.Nanosecond,
		Interval: 5 * time.Millisecond, Log: log}
	go deliverer.Run(ctx)

	var send func(chat int64, updateID int, st tgStep) error
	switch mode {
	case "polling":
		go client.Poll(ctx, dispatcher.Submit)
		send = func(chat int64, _ int, st tgStep) error {
			if st.choice != "" {
				fake.PushCallback(chat, 1, st.choice)
			} else {
				fake.PushText(chat, st.text)
			}
			return nil
		}
	case "webhook":
		const secret = "bench-secret"
		hook := httptest.NewServer(telegram.WebhookHandler(secret, dispatcher.Submit, client.AcknowledgeSoon, log))
		defer hook.Close()
		send = func(chat int64, updateID int, st tgStep) error {
			var body string
			if st.choice != "" {
				body = fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cb%d","chat_instance":"ci","data":%q,
					"from":{"id":%d,"is_bot":false,"first_name":"A"},
					"message":{"message_id":1,"date":1764000000,"chat":{"id":%d,"type":"private"}}}}`, updateID, updateID, st.choice, chat, chat)
			} else {
				body = fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764000000,"text":%q,
					"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"A"}}}`, updateID, updateID, st.text, chat, chat)
			}
			req, _ := http.NewRequestWithContext(ctx, "POST", hook.URL, bytes.NewBufferString(body))
			req.Header.Set(telegram.SecretHeader, secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("webhook answered %d", resp.StatusCode)
			}
			return nil
		}
	default:
		return res, fmt.Errorf("unknown mode %q", mode)
	}

	lat := make([][]time.Duration, chats)
	errs := make(chan error, chats)
	var wg sync.WaitGroup
	start := clock.Start()
	for i := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := int64(i + 1)
			for k, st := range tgScript(i + 1) {
				t0 := clock.Start()
				if err := send(chat, 500_000_000+i*10+k, st); err != nil {
					errs <- err
					return
				}
				for range st.replies {
					select {
					case <-got[chat]:
					case <-time.After(30 * time.Second):
						errs <- fmt.Errorf("chat %d, update %d: no reply within 30 s", chat, k+1)
						return
					}
				}
				lat[i] = append(lat[i], t0.Elapsed())
			}
		}()
	}
	wg.Wait()
	res.elapsed = start.Elapsed()
	close(errs)
	if err := <-errs; err != nil {
		return res, fmt.Errorf("telegram %s: %w", mode, err)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	res.updates = len(all)
	res.perSec = float64(res.updates) / res.elapsed.Seconds()
	res.p50, res.p99 = quantile(all, 0.50), quantile(all, 0.99)
	return res, nil
}

func reportTelegram(w io.Writer, r telegramResult) {
	tw := &table{w: w}
	tw.head("telegram %s: %d chats × 4 updates through the real client and a fake Bot API (delivery limits off)\n", r.mode, r.chats)
	tw.row("  updates", "%d in %s\n", r.updates, r.elapsed.Round(time.Millisecond))
	tw.row("  throughput", "%.0f updates/s\n", r.perSec)
	tw.row("  update → reply p50", "%s\n", roundDur(r.p50))
	tw.row("  update → reply p99", "%s\n", roundDur(r.p99))
}

// freshEnv opens the real engine's environment on a throwaway database;
// done closes and drops it.
func freshEnv(ctx context.Context, conns int, log *slog.Logger) (*flowstest.Env, func(), error) {
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		return nil, nil, err
	}
	env, err := flowstest.Open(ctx, dsn, flowstest.Options{MaxConns: conns, Log: log})
	if err != nil {
		drop()
		return nil, nil, err
	}
	return env, func() { env.Close(); drop() }, nil
}
