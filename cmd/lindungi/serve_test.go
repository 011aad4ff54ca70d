package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/bot/telegram"
	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
)

// startServe runs `lindungi serve` with extra environment until the test ends
// and returns its base URL.
func startServe(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	env["LINDUNGI_HTTP_ADDR"] = "127.0.0.1:0"
	go func() { done <- run(ctx, []string{"lindungi", "serve"}, testEnv(env), strings.NewReader(""), out) }()
	re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			stop := func() {
				cancel()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("serve: %v", err)
					}
				case <-time.After(12 * time.Second):
					t.Error("serve did not stop within its 10 s grace")
				}
			}
			return "http://" + m[1], stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not start: %q", out.String())
	return "", nil
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func lastMessage(tg *telegramtest.Server, chat int64) string {
	ms := tg.Messages(chat)
	if len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1].Text
}

func TestServeTelegramPolling(t *testing.T) {
	tg := telegramtest.NewServer(t)
	base, stop := startServe(t, map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": tg.Endpoint()})
	const chat = 7001
	tg.PushText(chat, "halo")
	waitFor(t, "the consent question", func() bool { return strings.Contains(lastMessage(tg, chat), "Apakah Anda setuju?") })
	if !strings.Contains(lastMessage(tg, chat), "disimpan oleh Telegram di luar negeri") {
		t.Errorf("consent on Telegram: %q", lastMessage(tg, chat))
	}
	tg.Press(t, chat, "Setuju")
	waitFor(t, "the NIK question", func() bool { return strings.Contains(lastMessage(tg, chat), "Ketik NIK Anda") })
	tg.PushText(chat, "6171054508900456")
	waitFor(t, "the name question", func() bool { return strings.Contains(lastMessage(tg, chat), "Ketik nama lengkap") })

	// A chat that blocked the bot is marked unreachable.
	const blocked = 7002
	tg.FailSend(blocked, 100, telegramtest.Blocked)
	tg.PushText(blocked, "halo")
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	waitFor(t, "the blocked chat marked unreachable", func() bool {
		var n int
		db.Get(&n, `SELECT count(*) FROM unreachable_chats WHERE channel = 'telegram' AND chat_id = '7002'`)
		return n == 1
	})

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`lindungi_updates_received_total{channel="telegram"}`, `lindungi_replies_total{channel="telegram",outcome="sent"}`,
		`lindungi_replies_total{channel="telegram",outcome="unreachable"}`, "lindungi_outbox_backlog", "lindungi_update_handling_seconds_bucket"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if cmds := tg.Commands("en"); !strings.Contains(cmds, "mydata") {
		t.Errorf("English commands: %q", cmds)
	}
	stop()
}

func TestServeTelegramWebhook(t *testing.T) {
	tg := telegramtest.NewServer(t)
	const secret = "s3cret_token-1"
	base, stop := startServe(t, map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": tg.Endpoint(),
		"LINDUNGI_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook", "LINDUNGI_TELEGRAM_WEBHOOK_SECRET": secret})
	defer stop()
	if url, got := tg.Webhook(); url != "https://bot.example.org/telegram/webhook" || got != secret {
		t.Fatalf("setWebhook got %q %q", url, got)
	}
	update := `{"update_id": 900001, "message": {"message_id": 1, "date": 1764000000, "text": "halo",
		"chat": {"id": 7101, "type": "private", "first_name": "Siti"}, "from": {"id": 7101, "is_bot": false, "first_name": "Siti", "language_code": "id"}}}`
	post := func(secretHeader string) int {
		req, _ := http.NewRequest("POST", base+"/telegram/webhook", strings.NewReader(update))
		req.Header.Set("Content-Type", "application/json")
		if secretHeader != "" {
			req.Header.Set(telegram.SecretHeader, secretHeader)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("forged"); code != http.StatusUnauthorized {
		t.Fatalf("forged secret: %d", code)
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Fatalf("missing secret: %d", code)
	}
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	var n int
	db.Get(&n, `SELECT count(*) FROM processed_updates WHERE channel = 'telegram' AND update_id = '900001'`)
	if n != 0 {
		t.Fatal("a rejected webhook was processed")
	}
	if code := post(secret); code != http.StatusOK {
		t.Fatalf("right secret: %d", code)
	}
	if code := post(secret); code != http.StatusOK { // Telegram's retry: processed once
		t.Fatalf("replay: %d", code)
	}
	waitFor(t, "the consent question", func() bool { return strings.Contains(lastMessage(tg, 7101), "Apakah Anda setuju?") })
	time.Sleep(1500 * time.Millisecond) // a duplicate would have been delivered by now
	if got := len(tg.Messages(7101)); got != 2 {
		t.Errorf("%d messages for one update delivered twice: want the welcome and the consent question once", got)
	}
}
