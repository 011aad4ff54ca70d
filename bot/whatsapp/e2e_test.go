package whatsapp

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/whatsapp/whatsapptest"
	"github.com/lindungi/lindungi/flows"
)

// harness runs the webhook, the real engine and store, and the real
// deliverer with the channel's Sender against the fake Cloud API.
type harness struct {
	t   *testing.T
	srv *whatsapptest.Server
	c   *Client
	e   *flows.Engine
	d   *bot.Deliverer
	h   http.Handler

	mu       sync.Mutex
	statuses []Status
}

func newHarness(t *testing.T, cfg flows.Config) *harness {
	t.Helper()
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, func(o *Options) { o.Photos = pngPhotos{} })
	x := &harness{t: t, srv: srv, c: c, e: env.Engine(cfg)}
	x.d = &bot.Deliverer{Outbox: testDB, Senders: map[string]bot.Sender{Channel: &Sender{Client: c}},
		Rate: 1000, PerChat: time.Millisecond, ChatBurst: 100, Log: quiet}
	x.h = WebhookHandler(WebhookOptions{VerifyToken: whatsapptest.VerifyToken, AppSecret: whatsapptest.AppSecret,
		Submit: x.submit, Statuses: x.status, Pages: c, Seen: c.MarkReadSoon, Log: quiet})
	return x
}

func (x *harness) submit(ctx context.Context, evs []flows.Event) error {
	for _, ev := range evs {
		if _, err := x.e.Handle(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func (x *harness) status(_ context.Context, sts []Status) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.statuses = append(x.statuses, sts...)
	return nil
}

// post delivers a webhook body, signed, and then the replies it made.
func (x *harness) post(body []byte) int {
	x.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", bytes.NewReader(body))
	req.Header.Set(SignatureHeader, whatsapptest.Signature(body))
	rec := httptest.NewRecorder()
	x.h.ServeHTTP(rec, req)
	x.deliver()
	return rec.Code
}

// deliver sends what the outbox holds.
func (x *harness) deliver() {
	x.t.Helper()
	for range 20 {
		read, _, err := x.d.Round(context.Background(), []string{Channel})
		if err != nil {
			x.t.Fatal(err)
		}
		if read == 0 {
			return
		}
	}
}

// send posts a user's message and returns what the bot sent back, the
// messages' texts joined.
func (x *harness) send(in whatsapptest.Inbound) string {
	x.t.Helper()
	before := len(x.srv.Messages(in.User.ChatID()))
	if code := x.post(whatsapptest.MessagesBody(in)); code != 200 {
		x.t.Fatalf("webhook answered %d", code)
	}
	var out []string
	for _, m := range x.srv.Messages(in.User.ChatID())[before:] {
		out = append(out, m.Text)
	}
	return strings.Join(out, "\n---\n")
}

func (x *harness) text(u whatsapptest.User, s string) string { return x.send(x.srv.Text(u, s)) }
func (x *harness) tap(u whatsapptest.User, idOrTitle string) string {
	return x.send(x.srv.Tap(x.t, u, idOrTitle))
}

// offers reports whether the bot's last message to u has a choice with this id.
func (x *harness) offers(u whatsapptest.User, id string) bool {
	msgs := x.srv.Messages(u.ChatID())
	if len(msgs) == 0 {
		return false
	}
	for _, r := range msgs[len(msgs)-1].Choices() {
		if r.ID == id {
			return true
		}
	}
	return false
}

// refused lists the requests the fake refused (a limit broken).
func (x *harness) refused() []string {
	var out []string
	for _, r := range x.srv.Requests() {
		if r.Failed {
			out = append(out, r.Kind+" "+string(r.Body))
		}
	}
	return out
}

func TestRegistrationOverWhatsApp(t *testing.T) {
	x := newHarness(t, flows.DefaultConfig())
	ts := httptest.NewServer(x.h)
	defer ts.Close()
	x.srv.StatusWebhook(ts.URL, ts.Client())
	u := whatsapptest.NewUser(7001)
	const nik = "6171054508902001"

	has(t, x.text(u, "/mulai"), "Setuju?")
	if m := x.srv.Messages(u.ChatID()); m[len(m)-1].Type != "interactive" || m[0].To != u.BSUID {
		t.Fatalf("the consent question went as %s to %s", m[len(m)-1].Type, m[0].To)
	}
	has(t, x.tap(u, "cs:yes"), "Ketik NIK")
	has(t, x.text(u, nik), "Ketik nama lengkap")
	asked := x.text(u, "Siti Aminah")
	if x.offers(u, "ph:this") {
		// The flows confirm the number the worker writes from.
		has(t, asked, "0810-••••-7001")
		x.tap(u, "ph:this")
	} else {
		// The worker shares their own number as a contact card.
		x.send(x.srv.Contact(u, "Siti Aminah", "+"+u.Phone, u.Phone))
	}
	x.text(u, "darat sekip")
	x.tap(u, "oc:petani")
	has(t, x.tap(u, "in:base"), "Periksa data Anda", "Siti Aminah")
	// Send or change: two reply buttons; changing offers a list of the fields.
	msgs := x.srv.Messages(u.ChatID())
	review := msgs[len(msgs)-1]
	if review.Interactive == nil || review.Interactive.Type != "button" || len(review.Choices()) != 2 {
		t.Fatalf("the review went as %+v", review.Interactive)
	}
	x.tap(u, "rv:edit")
	msgs = x.srv.Messages(u.ChatID())
	if fields := msgs[len(msgs)-1]; fields.Interactive == nil || fields.Interactive.Type != "list" {
		t.Fatalf("the fields to change went as %+v", fields.Interactive)
	}
	x.text(u, "/kembali")
	done := x.srv.Tap(t, u, "rv:ok")
	before := len(x.srv.Messages(u.ChatID()))
	if code := x.post(whatsapptest.MessagesBody(done)); code != 200 {
		t.Fatalf("status %d", code)
	}
	got := ""
	for _, m := range x.srv.Messages(u.ChatID())[before:] {
		got += m.Text + "\n"
	}
	has(t, got, "Nomor pendaftaran: LD")

	var row struct {
		Name   string `db:"name"`
		Status string `db:"status"`
	}
	if err := testDB.SQL().Get(&row, `SELECT name, status FROM registrations WHERE channel = $1 AND chat_id = $2`, Channel, u.BSUID); err != nil {
		t.Fatal(err)
	}
	if row.Name != "Siti Aminah" || row.Status != flows.StatusAwaitingPayment {
		t.Errorf("registration %+v", row)
	}
	// The same webhook again changes nothing.
	n := len(x.srv.Messages(u.ChatID()))
	if code := x.post(whatsapptest.MessagesBody(done)); code != 200 {
		t.Fatalf("replay: status %d", code)
	}
	var count int
	testDB.SQL().Get(&count, `SELECT count(*) FROM registrations WHERE channel = $1 AND chat_id = $2`, Channel, u.BSUID)
	if len(x.srv.Messages(u.ChatID())) != n || count != 1 {
		t.Errorf("the replay made %d messages and %d registrations", len(x.srv.Messages(u.ChatID()))-n, count)
	}
	// Every message read; every sent one reported sent and delivered.
	waitFor(t, "read receipts", func() bool { return len(x.srv.Reads()) >= 9 })
	waitFor(t, "status webhooks", func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return len(x.statuses) == 2*len(x.srv.Messages(u.ChatID()))
	})
	if r := x.refused(); len(r) > 0 {
		t.Errorf("the fake refused %d requests:\n%s", len(r), strings.Join(r, "\n"))
	}
}

// The region lists: the flows' own pages of at most 10 rows, as lists.
func TestRegionListOverWhatsApp(t *testing.T) {
	x := newHarness(t, flows.DefaultConfig())
	u := whatsapptest.NewUser(7005)
	x.text(u, "/mulai")
	x.tap(u, "cs:yes")
	x.text(u, "6171054508902003")
	x.text(u, "Budi Santoso")
	x.text(u, "081234567005")
	has(t, x.tap(u, "nv:else"), "Kalimantan Barat")
	msgs := x.srv.Messages(u.ChatID())
	regencies := msgs[len(msgs)-1]
	if regencies.Interactive == nil || regencies.Interactive.Type != "list" || len(regencies.Choices()) != 10 {
		t.Fatalf("the regencies went as %+v", regencies.Interactive)
	}
	x.tap(u, "rg:pg:1") // the flow's own next page
	msgs = x.srv.Messages(u.ChatID())
	page2 := msgs[len(msgs)-1].Choices()
	found := false
	for _, r := range page2 {
		found = found || r.ID == "rg:61.71"
	}
	if !found {
		t.Fatalf("page 2 of the regencies: %+v", page2)
	}
	has(t, x.tap(u, "rg:61.71"), "Kota Pontianak")
	if r := x.refused(); len(r) > 0 {
		t.Errorf("the fake refused: %s", strings.Join(r, "\n"))
	}
}

// A user with a username (no number in the webhook) is keyed on the BSUID
// and answered there.
func TestUsernameUserWithoutNumber(t *testing.T) {
	x := newHarness(t, flows.DefaultConfig())
	u := whatsapptest.NewUser(7002)
	u.Phone, u.Username = "", "siti.kubu"
	has(t, x.text(u, "/mulai"), "Setuju?")
	if m := x.srv.Messages(u.BSUID); len(m) == 0 || !strings.Contains(string(m[0].Raw), `"recipient":"`+u.BSUID+`"`) {
		t.Fatalf("messages %+v", m)
	}
}

// Delivery through the real deliverer: 131026 marks the chat unreachable,
// 130429 pauses the channel and then delivers.
func TestDeliveryErrors(t *testing.T) {
	x := newHarness(t, flows.DefaultConfig())
	gone := whatsapptest.NewUser(7003)
	x.srv.Fail("messages", gone.BSUID, 1, whatsapptest.Undeliverable)
	x.text(gone, "/mulai")
	unreachable, err := testDB.Unreachable(context.Background(), Channel, gone.BSUID)
	if err != nil {
		t.Fatal(err)
	}
	if !unreachable || len(x.srv.Messages(gone.BSUID)) != 0 {
		t.Errorf("after 131026: unreachable %v, %d messages", unreachable, len(x.srv.Messages(gone.BSUID)))
	}

	busy := whatsapptest.NewUser(7004)
	x.srv.Fail("messages", busy.BSUID, 1, whatsapptest.Throughput)
	body := whatsapptest.MessagesBody(x.srv.Text(busy, "/mulai"))
	req := httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", bytes.NewReader(body))
	req.Header.Set(SignatureHeader, whatsapptest.Signature(body))
	rec := httptest.NewRecorder()
	x.h.ServeHTTP(rec, req)
	read, wait, err := x.d.Round(context.Background(), []string{Channel})
	if err != nil || read == 0 || wait < time.Second {
		t.Fatalf("first round: read %d, wait %v, %v", read, wait, err)
	}
	if len(x.srv.Messages(busy.BSUID)) != 0 {
		t.Fatal("delivered despite 130429")
	}
	time.Sleep(wait)
	x.deliver()
	has(t, x.srv.Messages(busy.BSUID)[0].Text+x.srv.Messages(busy.BSUID)[len(x.srv.Messages(busy.BSUID))-1].Text, "Setuju?")
}

// Random walks through the flows, tapping what the bot offers and typing
// answers: the fake, which holds every message to WhatsApp's limits,
// refuses none of what the flows produce (labels, bodies, lists, pages).
func TestEveryLabelFits(t *testing.T) {
	admin := whatsapptest.NewUser(7999)
	cfg := flows.DefaultConfig()
	cfg.Admins = []string{Channel + ":" + admin.BSUID}
	x := newHarness(t, cfg)
	rng := rand.New(rand.NewPCG(17, 2026))
	starts := []string{"/mulai", "/agen", "/bantuan", "/status", "/bayar", "/kartu", "/sambung", "/bahasa", "/dataku", "/hapus",
		"/start", "/agent", "/help", "/siaran", "/statistik", "halo", "/mulai"}
	answers := []string{"6171054508902001", "6171056608902002", "Siti Aminah", "081234567890", "darat sekip", "17-08-1985", "ya",
		"1", "2", "Pontianak", "petani", "/kembali", "/batal", "/mulai", "Kubu Raya", "Sungai Kakap", "3", "lainnya", "tukang ojek", "K7Q2MX"}
	walks, steps := 3*len(starts), 22
	if testing.Short() {
		walks, steps = len(starts), 8
	}
	droppedBefore := dropped(t)
	taps, pages := 0, 0
	for w := range walks {
		u := whatsapptest.NewUser(7100 + w)
		if w%len(starts) == 13 || w%len(starts) == 14 { // the admin's commands
			u = admin
		}
		x.text(u, starts[w%len(starts)])
		for range steps {
			msgs := x.srv.Messages(u.ChatID())
			var last whatsapptest.Message
			if len(msgs) > 0 {
				last = msgs[len(msgs)-1]
			}
			if rows := last.Choices(); len(rows) > 0 && rng.IntN(4) > 0 {
				r := rows[rng.IntN(len(rows))]
				if strings.HasPrefix(r.ID, pagePrefix) {
					pages++
				}
				taps++
				x.send(x.srv.TapOn(u, last, r))
				continue
			}
			x.text(u, answers[rng.IntN(len(answers))])
		}
	}
	if r := x.refused(); len(r) > 0 {
		t.Errorf("the fake refused %d requests:\n%s", len(r), strings.Join(r, "\n"))
	}
	if n := dropped(t) - droppedBefore; n > 0 {
		t.Errorf("%d replies dropped", n)
	}
	kinds := map[string]int{}
	for _, m := range x.srv.AllMessages() {
		k := m.Type
		if m.Interactive != nil {
			k += "/" + m.Interactive.Type
		}
		kinds[k]++
	}
	t.Logf("%d taps (%d page turns); messages by kind %v", taps, pages, kinds)
	cut := map[string]bool{}
	for _, m := range x.srv.AllMessages() {
		for _, r := range m.Choices() {
			if strings.HasSuffix(r.Title, "…") {
				cut[r.Title+" ("+r.Description+")"] = true
			}
		}
	}
	for c := range cut {
		t.Logf("label cut to fit: %s", c)
	}
	if kinds["interactive/button"] == 0 || kinds["interactive/list"] == 0 {
		t.Errorf("the walks saw no buttons or no lists: %v", kinds)
	}
}

func has(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the bot said %q\nwhich does not contain %q", got, w)
		}
	}
}

// dropped counts the channel's replies given up.
func dropped(t *testing.T) int {
	t.Helper()
	var n int
	if err := testDB.SQL().Get(&n, `SELECT count(*) FROM outbox WHERE channel = $1 AND failed_at IS NOT NULL`, Channel); err != nil {
		t.Fatal(err)
	}
	return n
}
