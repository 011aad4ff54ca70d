package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/whatsapp"
	"github.com/lindungi/lindungi/bot/whatsapp/whatsapptest"
	"github.com/lindungi/lindungi/flows"
)

// TestWhatsAppDriver runs the WhatsApp workers against a stand-in for serve
// in this process (the channel's webhook, the dispatcher, the real engine and
// the deliverer with the channel's sender, on the fake Cloud API): every
// message is answered, every tap is one the bot offered, and the workers
// complete registrations.
func TestWhatsAppDriver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env, done, err := freshEnv(ctx, 4, log)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	fake := whatsapptest.NewServer(t)
	const rtt = 10 * time.Millisecond
	fake.Delay(rtt)
	client, err := whatsapp.New(whatsapp.Options{AccessToken: whatsapptest.AccessToken, PhoneNumberID: whatsapptest.PhoneNumberID,
		APIURL: fake.URL(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	dctx, stopDelivery := context.WithCancel(ctx)
	defer stopDelivery()
	dispatcher := bot.NewDispatcher(env.Engine(flows.DefaultConfig()), 4, log)
	defer dispatcher.Stop()
	deliverer := &bot.Deliverer{Outbox: env.DB, Senders: map[string]bot.Sender{whatsapp.Channel: &whatsapp.Sender{Client: client}},
		Rate: 1000, PerChat: time.Millisecond, ChatBurst: 100, Interval: 5 * time.Millisecond, Log: log}
	go deliverer.Run(dctx)
	hook := httptest.NewServer(whatsapp.WebhookHandler(whatsapp.WebhookOptions{VerifyToken: whatsapptest.VerifyToken,
		AppSecret: whatsapptest.AppSecret, Submit: dispatcher.Submit, Pages: client, Seen: client.MarkReadSoon, Log: log}))
	defer hook.Close()

	l := liveLoad{mode: "whatsapp", workers: 5, think: 100 * time.Millisecond, rtt: rtt, seconds: 4, ramp: 200 * time.Millisecond}
	r, err := driveWhatsApp(ctx, fake, hook.URL, "", "", l, true, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SQL().GetContext(ctx, &r.registered, `SELECT count(*) FROM registrations WHERE channel = $1`, whatsapp.Channel); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	reportWhatsApp(&out, r, 0)
	t.Log("\n" + out.String())
	if r.answered == 0 || r.timedOut != 0 || r.hookFailed != 0 || r.offScript != 0 || r.registered < l.workers {
		t.Errorf("answered %d, timed out %d, webhook failures %d, taps not offered %d, registrations %d (want at least %d)",
			r.answered, r.timedOut, r.hookFailed, r.offScript, r.registered, l.workers)
	}
	if r.p50 < rtt || r.calls["messages"] == 0 {
		t.Errorf("p50 %v (the round trip is %v), calls %v", r.p50, rtt, r.calls)
	}
	if !strings.Contains(out.String(), "live: lindungi serve (whatsapp webhook)") {
		t.Errorf("the report lacks its heading")
	}
}

func TestOnlyModes(t *testing.T) {
	loads := liveTargets(30)
	got, err := onlyModes(loads, "whatsapp")
	if err != nil || len(got) != 1 || got[0].workers != 1000 || got[0].rtt != 50*time.Millisecond {
		t.Errorf("onlyModes(targets, whatsapp) = %+v, %v", got, err)
	}
	if _, err := onlyModes(loads, "whatsap"); err == nil {
		t.Error("a mode misspelt was taken")
	}
	if l, err := parseLive("whatsapp:5:200ms:10ms", 2); err != nil || len(l) != 1 || l[0].mode != "whatsapp" {
		t.Errorf("parseLive: %+v, %v", l, err)
	}
}

func TestHistogramOf(t *testing.T) {
	const text = `# HELP lindungi_send_seconds One send call.
lindungi_send_seconds_bucket{channel="whatsapp",le="0.05"} %d
lindungi_send_seconds_bucket{channel="whatsapp",le="0.1"} %d
lindungi_send_seconds_bucket{channel="whatsapp",le="+Inf"} %d
lindungi_send_seconds_sum{channel="whatsapp"} %g
lindungi_send_seconds_count{channel="whatsapp"} %d
lindungi_send_seconds_count{channel="telegram"} 99
lindungi_outbox_backlog{channel="whatsapp"} 7
`
	a, err := parseMetrics(strings.NewReader(fmt.Sprintf(text, 1, 1, 1, 0.04, 1)), "whatsapp")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := parseMetrics(strings.NewReader(fmt.Sprintf(text, 51, 100, 101, 0.04+100*0.06, 101)), "whatsapp")
	h := histogramOf(a, b, "lindungi_send_seconds")
	if h.count != 100 || h.mean != 60*time.Millisecond || h.p50 != 50*time.Millisecond || h.p99 != 100*time.Millisecond || b["lindungi_outbox_backlog"] != 7 {
		t.Errorf("%+v from %v", h, b)
	}
}
