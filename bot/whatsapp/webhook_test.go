package whatsapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot/whatsapp/whatsapptest"
	"github.com/lindungi/lindungi/flows"
)

func TestVerificationHandshake(t *testing.T) {
	h := WebhookHandler(WebhookOptions{VerifyToken: whatsapptest.VerifyToken, AppSecret: whatsapptest.AppSecret, Log: quiet,
		Submit: func(context.Context, []flows.Event) error { return nil }})
	tests := []struct {
		name   string
		query  url.Values
		status int
		body   string
	}{
		{"right token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {whatsapptest.VerifyToken}, "hub.challenge": {"1158201444"}}, 200, "1158201444"},
		{"wrong token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1158201444"}}, 403, ""},
		{"token prefix", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {whatsapptest.VerifyToken[:10]}, "hub.challenge": {"1"}}, 403, ""},
		{"no token", url.Values{"hub.mode": {"subscribe"}, "hub.challenge": {"1"}}, 403, ""},
		{"other mode", url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {whatsapptest.VerifyToken}, "hub.challenge": {"1"}}, 403, ""},
		{"challenge too long", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {whatsapptest.VerifyToken}, "hub.challenge": {strings.Repeat("9", 300)}}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/whatsapp/webhook?"+tt.query.Encode(), nil))
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status == 200 {
				if rec.Body.String() != tt.body || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
					t.Errorf("answer %q (%s), want %q as text/plain", rec.Body, rec.Header().Get("Content-Type"), tt.body)
				}
			}
		})
	}
	// No verify token configured: no handshake succeeds.
	rec := httptest.NewRecorder()
	WebhookHandler(WebhookOptions{Log: quiet}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet,
		"/?hub.mode=subscribe&hub.verify_token=&hub.challenge=1", nil))
	if rec.Code != http.StatusForbidden {
		t.Errorf("empty verify token: status %d", rec.Code)
	}
}

func TestVerifySignature(t *testing.T) {
	body := readTestdata(t, "text_legacy.json") // emoji: re-encoding the JSON would change the bytes
	good := whatsapptest.Signature(body)
	if good != Sign(whatsapptest.AppSecret, body) {
		t.Fatalf("Sign and the fake disagree")
	}
	// The same JSON re-serialised is another body: its signature differs.
	var v any
	json.Unmarshal(body, &v)
	again, _ := json.Marshal(v)
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		ok     bool
	}{
		{"right", whatsapptest.AppSecret, body, good, true},
		{"upper-case hex", whatsapptest.AppSecret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), true},
		{"re-serialised body", whatsapptest.AppSecret, again, good, false},
		{"wrong secret", "another-secret", body, good, false},
		{"empty secret", "", body, Sign("", body), false},
		{"missing", whatsapptest.AppSecret, body, "", false},
		{"no prefix", whatsapptest.AppSecret, body, strings.TrimPrefix(good, "sha256="), false},
		{"sha1", whatsapptest.AppSecret, body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"truncated", whatsapptest.AppSecret, body, good[:len(good)-2], false},
		{"not hex", whatsapptest.AppSecret, body, "sha256=" + strings.Repeat("zz", 32), false},
		{"one byte changed", whatsapptest.AppSecret, append(bytes.Clone(body[:len(body)-2]), '}', ' '), good, false},
	}
	for _, tt := range tests {
		if got := VerifySignature(tt.secret, tt.body, tt.header); got != tt.ok {
			t.Errorf("%s: VerifySignature = %v", tt.name, got)
		}
	}
}

func FuzzSignature(f *testing.F) {
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	f.Add(body, whatsapptest.Signature(body))
	f.Add([]byte("é"), "sha256=")
	f.Add([]byte{}, "sha256="+strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		mac := hmac.New(sha256.New, []byte(whatsapptest.AppSecret))
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		got := VerifySignature(whatsapptest.AppSecret, body, header)
		hexPart, prefixed := strings.CutPrefix(header, "sha256=")
		if got != (prefixed && strings.EqualFold(hexPart, want[len("sha256="):])) {
			t.Fatalf("VerifySignature(%q, %q) = %v", body, header, got)
		}
		if !VerifySignature(whatsapptest.AppSecret, body, Sign(whatsapptest.AppSecret, body)) {
			t.Fatalf("its own signature refused")
		}
	})
}

// submits records what the handler stored.
type submits struct {
	mu       sync.Mutex
	batches  [][]flows.Event
	statuses []Status
	fail     error
}

func (s *submits) submit(_ context.Context, evs []flows.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.batches = append(s.batches, evs)
	return nil
}

func (s *submits) status(_ context.Context, sts []Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, sts...)
	return nil
}

func (s *submits) events() []flows.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Event
	for _, b := range s.batches {
		out = append(out, b...)
	}
	return out
}

func TestWebhookPost(t *testing.T) {
	received := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	text := readTestdata(t, "text.json")
	tests := []struct {
		name     string
		method   string
		body     []byte
		sig      string // "-": none; "": the right one
		fail     error
		status   int
		events   int
		statuses int
	}{
		{"text", "POST", text, "", nil, 200, 1, 0},
		{"forged signature", "POST", text, whatsapptest.Signature([]byte("another body")), nil, 401, 0, 0},
		{"missing signature", "POST", text, "-", nil, 401, 0, 0},
		{"status", "POST", readTestdata(t, "status_failed.json"), "", nil, 200, 0, 1},
		{"batch", "POST", readTestdata(t, "batch.json"), "", nil, 200, 5, 1},
		{"store fails: Meta retries", "POST", text, "", errors.New("database is down"), 500, 0, 0},
		{"signed garbage", "POST", []byte("{not json"), "", nil, 400, 0, 0},
		{"another product", "POST", readTestdata(t, "not_whatsapp.json"), "", nil, 200, 0, 0},
		{"reaction only", "POST", readTestdata(t, "reaction.json"), "", nil, 200, 0, 0},
		{"too large", "POST", []byte(`{"object":"whatsapp_business_account","x":"` + strings.Repeat("a", 3<<20) + `"}`), "", nil, 413, 0, 0},
		{"PUT", "PUT", text, "", nil, 405, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &submits{fail: tt.fail}
			var seen []string
			h := WebhookHandler(WebhookOptions{VerifyToken: whatsapptest.VerifyToken, AppSecret: whatsapptest.AppSecret, Submit: s.submit,
				Statuses: s.status, Seen: func(ids []string) { seen = append(seen, ids...) }, Log: quiet, Now: func() time.Time { return received }})
			req := httptest.NewRequest(tt.method, "/whatsapp/webhook", bytes.NewReader(tt.body))
			switch tt.sig {
			case "":
				req.Header.Set(SignatureHeader, whatsapptest.Signature(tt.body))
			case "-":
			default:
				req.Header.Set(SignatureHeader, tt.sig)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			evs := s.events()
			if len(evs) != tt.events || len(s.statuses) != tt.statuses {
				t.Errorf("%d events and %d statuses stored, want %d and %d", len(evs), len(s.statuses), tt.events, tt.statuses)
			}
			for _, ev := range evs {
				if !ev.Received.Equal(received) {
					t.Errorf("event received %v", ev.Received)
				}
			}
			if tt.status == 200 && len(seen) != tt.events {
				t.Errorf("%d marked seen, want %d", len(seen), tt.events)
			}
			if tt.status != 200 && len(seen) != 0 {
				t.Errorf("marked seen although not stored: %v", seen)
			}
		})
	}
}

// A flood of bad signatures is turned away with 429 beyond the rate, and
// makes one log line, not one a request.
func TestWebhookThrottlesWrongSignatures(t *testing.T) {
	var logs strings.Builder
	h := WebhookHandler(WebhookOptions{AppSecret: whatsapptest.AppSecret, Submit: func(context.Context, []flows.Event) error { return nil },
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	codes := map[int]int{}
	for range 200 {
		req := httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", strings.NewReader(`{}`))
		req.Header.Set(SignatureHeader, "sha256=guess")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	if codes[http.StatusUnauthorized] == 0 || codes[http.StatusTooManyRequests] < 100 {
		t.Errorf("200 bad signatures answered %v", codes)
	}
	if n := strings.Count(logs.String(), "wrong or missing signature or verify token"); n != 1 {
		t.Errorf("%d log lines for 200 bad signatures", n)
	}
}

// With Hold, a chat's message whose webhook comes late is stored before
// the later ones that came first; other chats are not held up by it.
func TestWebhookHoldOrdersAChat(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	s := &submits{}
	h := WebhookHandler(WebhookOptions{AppSecret: whatsapptest.AppSecret, Submit: s.submit, Hold: 400 * time.Millisecond, Log: quiet})
	base := time.Unix(1764238000, 0)
	post := func(in ...whatsapptest.Inbound) int {
		body := whatsapptest.MessagesBody(in...)
		req := httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", bytes.NewReader(body))
		req.Header.Set(SignatureHeader, whatsapptest.Signature(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	users := []whatsapptest.User{whatsapptest.NewUser(1), whatsapptest.NewUser(2), whatsapptest.NewUser(3)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i, u := range users {
		// Each user's third message arrives first, then the second, then the first.
		msgs := []whatsapptest.Inbound{
			srv.Text(u, "satu").At(base.Add(time.Duration(i)*time.Second + 1*time.Second)),
			srv.Text(u, "dua").At(base.Add(time.Duration(i)*time.Second + 2*time.Second)),
			srv.Text(u, "tiga").At(base.Add(time.Duration(i)*time.Second + 3*time.Second)),
		}
		for j := 2; j >= 0; j-- {
			wg.Add(1)
			go func(in whatsapptest.Inbound) {
				defer wg.Done()
				code := post(in)
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}(msgs[j])
			time.Sleep(10 * time.Millisecond)
		}
	}
	wg.Wait()
	if codes[200] != 9 {
		t.Fatalf("answers %v", codes)
	}
	byChat := map[string][]string{}
	for _, ev := range s.events() {
		byChat[ev.ChatID] = append(byChat[ev.ChatID], ev.Text)
	}
	for _, u := range users {
		if got := strings.Join(byChat[u.ChatID()], " "); got != "satu dua tiga" {
			t.Errorf("chat %s stored %q, want in timestamp order", u.ChatID(), got)
		}
	}
	// Nothing held is left behind.
	hh := h.(*webhook)
	hh.seq.mu.Lock()
	left := len(hh.seq.chats)
	hh.seq.mu.Unlock()
	if left != 0 {
		t.Errorf("%d chats left in the sequencer", left)
	}
}

// A request whose client goes away while held stores nothing of its own
// and says so; the others are not disturbed.
func TestWebhookHoldAbandoned(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	s := &submits{}
	h := WebhookHandler(WebhookOptions{AppSecret: whatsapptest.AppSecret, Submit: s.submit, Hold: 200 * time.Millisecond, Log: quiet})
	u := whatsapptest.NewUser(9)
	body := whatsapptest.MessagesBody(srv.Text(u, "pergi"))
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", bytes.NewReader(body)).WithContext(ctx)
	req.Header.Set(SignatureHeader, whatsapptest.Signature(body))
	rec := httptest.NewRecorder()
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || len(s.events()) != 0 {
		t.Errorf("status %d, %d stored", rec.Code, len(s.events()))
	}
	body = whatsapptest.MessagesBody(srv.Text(u, "datang"))
	req = httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", bytes.NewReader(body))
	req.Header.Set(SignatureHeader, whatsapptest.Signature(body))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if evs := s.events(); rec.Code != 200 || len(evs) != 1 || evs[0].Text != "datang" {
		t.Errorf("status %d, stored %+v", rec.Code, evs)
	}
}

// A page tap turns the page through Pages; a tap on a list this process
// does not keep goes to the flows (which ask again).
func TestWebhookPageTurns(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, nil)
	u := whatsapptest.NewUser(21)
	choices := make([]flows.Choice, 14)
	for i := range choices {
		choices[i] = flows.Choice{Label: fmt.Sprintf("Kabupaten Nomor %d", i+1), Data: fmt.Sprintf("reg:61.%02d", i+1)}
	}
	r := flows.Reply{Text: "Pilih kabupaten/kota domisili", Choices: choices}
	if _, err := c.Send(context.Background(), u.ChatID(), r); err != nil {
		t.Fatal(err)
	}
	s := &submits{}
	h := WebhookHandler(WebhookOptions{AppSecret: whatsapptest.AppSecret, Submit: s.submit, Pages: c, Log: quiet})
	post := func(in whatsapptest.Inbound) {
		t.Helper()
		body := whatsapptest.MessagesBody(in)
		req := httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", bytes.NewReader(body))
		req.Header.Set(SignatureHeader, whatsapptest.Signature(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	post(srv.Tap(t, u, "Berikutnya ›"))
	msgs := srv.Messages(u.ChatID())
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want the list and its page 2", len(msgs))
	}
	rows := msgs[1].Choices()
	if len(rows) != 6 || rows[0].ID != "reg:61.10" || rows[4].ID != "reg:61.14" || rows[5].Title != "‹ Sebelumnya" || msgs[1].Interactive.Button != "Pilih (2/2)" {
		t.Errorf("page 2: button %q, rows %+v", msgs[1].Interactive.Button, rows)
	}
	if len(s.events()) != 0 {
		t.Errorf("a page turn went to the flows: %+v", s.events())
	}
	// Back to page 1.
	post(srv.Tap(t, u, "‹ Sebelumnya"))
	if msgs = srv.Messages(u.ChatID()); len(msgs) != 3 || msgs[2].Choices()[0].ID != "reg:61.01" {
		t.Fatalf("page 1 again: %+v", msgs[len(msgs)-1].Choices())
	}
	// Another process's list: the flows get a stale choice.
	other := newClient(t, srv, nil)
	h = WebhookHandler(WebhookOptions{AppSecret: whatsapptest.AppSecret, Submit: s.submit, Pages: other, Log: quiet})
	post(srv.Tap(t, u, "Berikutnya ›"))
	evs := s.events()
	if len(evs) != 1 || evs[0].Kind != flows.KindChoice || !strings.HasPrefix(evs[0].Choice, "wa:pg:") || evs[0].ChatID != u.ChatID() {
		t.Errorf("events %+v", evs)
	}
	if n := len(srv.Messages(u.ChatID())); n != 3 {
		t.Errorf("%d messages: a page was sent without its list", n)
	}
}
