package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/flows"
)

func TestValidSecret(t *testing.T) {
	for s, want := range map[string]bool{
		"a": true, "Lindungi_Secret-2026": true, strings.Repeat("x", 256): true,
		"": false, strings.Repeat("x", 257): false, "with space": false, "dot.": false, "émoji": false, "a/b": false,
	} {
		if got := ValidSecret(s); got != want {
			t.Errorf("ValidSecret(%q) = %v", s, got)
		}
	}
}

func TestSetWebhook(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	if err := c.SetWebhook(context.Background(), "https://lindungi.example/telegram/webhook", "s3cret_Token-1"); err != nil {
		t.Fatal(err)
	}
	got := srv.Requests("setWebhook")[0].Params
	want := url.Values{"url": {"https://lindungi.example/telegram/webhook"}, "secret_token": {"s3cret_Token-1"},
		"allowed_updates": {`["message","callback_query"]`}, "max_connections": {"100"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("setWebhook sent %v, want %v", got, want)
	}
	for _, bad := range [][2]string{{"https://lindungi.example/hook", "has space"}, {"ftp://x/hook", "ok"}, {"", "ok"}} {
		if err := c.SetWebhook(context.Background(), bad[0], bad[1]); err == nil {
			t.Errorf("SetWebhook(%q, %q) accepted", bad[0], bad[1])
		}
	}
	if len(srv.Requests("setWebhook")) != 1 {
		t.Error("an invalid webhook reached Telegram")
	}
	// Polling deletes the webhook first (getUpdates refuses while one is set).
	if err := c.DeleteWebhook(context.Background()); err != nil {
		t.Fatal(err)
	}
	if u, _ := srv.Webhook(); u != "" {
		t.Errorf("webhook still %q", u)
	}
}

func TestWebhookHandler(t *testing.T) {
	const secret = "webhook_Secret-7"
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	e := newEngine()
	var mu sync.Mutex
	submits, acks := 0, 0
	failing := false
	submit := func(ctx context.Context, evs []flows.Event) error {
		mu.Lock()
		submits++
		fail := failing
		mu.Unlock()
		if fail {
			return errors.New("database is down")
		}
		for _, ev := range evs {
			if _, err := e.Handle(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	}
	ack := func(u tgbotapi.Update) {
		mu.Lock()
		acks++
		mu.Unlock()
		c.Acknowledge(context.Background(), u)
	}
	h := WebhookHandler(secret, submit, ack, quiet)
	text := func(chat int64, id int) string {
		return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":5,"from":{"id":%d,"is_bot":false,"first_name":"Budi","language_code":"id"},"chat":{"id":%[2]d,"first_name":"Budi","type":"private"},"date":1764050400,"text":"/mulai"}}`, id, chat)
	}
	callback := fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"77311","from":{"id":66010,"is_bot":false,"first_name":"Budi"},"message":{"message_id":3,"chat":{"id":66010,"type":"private"},"date":1764050400,"text":"?"},"chat_instance":"1","data":"cs:yes"}}`, 880000010)
	tests := []struct {
		name     string
		method   string
		secret   string // "-" for no header
		body     string
		failing  bool
		status   int
		submits  int
		acks     int
		chat     int64 // whose session must (not) exist afterwards
		stored   bool
		updateID int
	}{
		{"text", "POST", secret, text(66001, 880000001), false, 200, 1, 0, 66001, true, 880000001},
		{"same update again: stored once", "POST", secret, text(66001, 880000001), false, 200, 1, 0, 66001, true, 880000001},
		{"forged secret", "POST", "webhook_Secret-8", text(66002, 880000002), false, 401, 0, 0, 66002, false, 880000002},
		{"missing secret", "POST", "-", text(66003, 880000003), false, 401, 0, 0, 66003, false, 880000003},
		{"secret prefix", "POST", "webhook_Secret", text(66004, 880000004), false, 401, 0, 0, 66004, false, 880000004},
		{"GET", "GET", secret, "", false, 405, 0, 0, 0, false, 0},
		{"not JSON", "POST", secret, "{update", false, 400, 0, 0, 0, false, 0},
		{"too large", "POST", secret, `{"update_id":1,"x":"` + strings.Repeat("a", 1<<20) + `"}`, false, 413, 0, 0, 0, false, 0},
		{"edited message: ignored", "POST", secret, `{"update_id":880000005,"edited_message":{"message_id":5,"chat":{"id":66005,"type":"private"},"date":1,"edit_date":2,"text":"x"}}`, false, 200, 0, 0, 66005, false, 880000005},
		{"store fails: Telegram retries", "POST", secret, text(66006, 880000006), true, 500, 1, 0, 66006, false, 880000006},
		{"retried after the failure", "POST", secret, text(66006, 880000006), false, 200, 1, 0, 66006, true, 880000006},
		{"button press is acknowledged", "POST", secret, callback, false, 200, 1, 1, 66010, true, 880000010},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			submits, acks, failing = 0, 0, tt.failing
			mu.Unlock()
			req := httptest.NewRequest(tt.method, "/telegram/webhook", strings.NewReader(tt.body))
			if tt.secret != "-" {
				req.Header.Set(SecretHeader, tt.secret)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			mu.Lock()
			if submits != tt.submits || acks != tt.acks {
				t.Errorf("%d submits and %d acks, want %d and %d", submits, acks, tt.submits, tt.acks)
			}
			mu.Unlock()
			if tt.chat != 0 {
				var sessions, updates int
				testDB.SQL().Get(&sessions, `SELECT count(*) FROM sessions WHERE channel = $1 AND chat_id = $2`, Channel, fmt.Sprint(tt.chat))
				testDB.SQL().Get(&updates, `SELECT count(*) FROM processed_updates WHERE channel = $1 AND update_id = $2`, Channel, fmt.Sprint(tt.updateID))
				if (sessions == 1 && updates == 1) != tt.stored {
					t.Errorf("%d sessions, %d update ids stored; want stored = %v", sessions, updates, tt.stored)
				}
			}
		})
	}
	// The duplicate made no second reply.
	pending, err := testDB.PendingFor(context.Background(), Channel, "66001")
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 { // the welcome and consent question, once
		t.Errorf("%d replies queued for the chat whose update came twice, want 1", len(pending))
	}
	if len(srv.Requests("answerCallbackQuery")) != 1 {
		t.Errorf("callback not answered")
	}
	// An empty configured secret accepts nothing.
	rec := httptest.NewRecorder()
	WebhookHandler("", submit, nil, quiet).ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(text(66020, 880000020))))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("empty secret: status %d", rec.Code)
	}
}

func TestSetCommands(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	if err := c.SetCommands(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests("setMyCommands")
	if len(reqs) != 2 {
		t.Fatalf("%d setMyCommands calls", len(reqs))
	}
	if reqs[0].Params.Has("language_code") || reqs[1].Params.Get("language_code") != "en" || reqs[0].Params.Has("scope") {
		t.Errorf("params %v and %v", reqs[0].Params, reqs[1].Params)
	}
	id := `[{"command":"mulai","description":"Mulai atau lanjutkan pendaftaran"},{"command":"status","description":"Lihat pendaftaran dan perlindungan Anda"},` +
		`{"command":"bayar","description":"Bayar iuran"},{"command":"kartu","description":"Lihat kartu Anda"},` +
		`{"command":"tabung","description":"Tabung iuran sedikit-sedikit"},{"command":"saldo","description":"Lihat saldo tabungan iuran"},` +
		`{"command":"sambung","description":"Sambungkan pendaftaran ke HP ini"},{"command":"bantuan","description":"Penjelasan dan contoh jawaban"},` +
		`{"command":"kembali","description":"Kembali ke pertanyaan sebelumnya"},{"command":"batal","description":"Batalkan yang sedang diisi"},` +
		`{"command":"bahasa","description":"Ganti bahasa (English)"},{"command":"dataku","description":"Lihat data Anda yang kami simpan"},` +
		`{"command":"hapus","description":"Hapus data Anda"},{"command":"agen","description":"Menu agen, atau daftar jadi agen"}]`
	if got := srv.Commands(""); got != id {
		t.Errorf("default commands\n%s\nwant\n%s", got, id)
	}
	en := srv.Commands("en")
	for _, name := range []string{"start", "status", "pay", "card", "save", "balance", "link", "help", "back", "cancel", "language", "mydata", "delete", "agent"} {
		if !strings.Contains(en, `"command":"`+name+`"`) {
			t.Errorf("English commands lack %s: %s", name, en)
		}
	}
	if !strings.Contains(en, `"description":"Delete your data"`) {
		t.Errorf("English descriptions: %s", en)
	}
}

// Security review L6: a flood of wrong secrets is turned away with 429
// beyond the rate, and writes one log line, not one per request.
func TestWebhookThrottlesWrongSecrets(t *testing.T) {
	var logs strings.Builder
	h := WebhookHandler("webhook_Secret-7", func(context.Context, []flows.Event) error { return nil }, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	codes := map[int]int{}
	for range 200 {
		req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(`{"update_id":1}`))
		req.Header.Set(SecretHeader, "guess")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	if codes[http.StatusUnauthorized] == 0 || codes[http.StatusTooManyRequests] < 100 {
		t.Errorf("200 wrong secrets answered %v", codes)
	}
	if n := strings.Count(logs.String(), "wrong or missing secret"); n != 1 {
		t.Errorf("%d log lines for 200 wrong secrets", n)
	}
}
