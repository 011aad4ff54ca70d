package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/bot/whatsapp"
	"github.com/lindungi/lindungi/bot/whatsapp/whatsapptest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/vault"
)

// waServe is serve with WhatsApp on, against the fake Cloud API, whose
// status webhooks go back to serve.
type waServe struct {
	t    *testing.T
	wa   *whatsapptest.Server
	base string
	hook string
	db   *sqlx.DB
	out  *syncBuffer
}

func startWhatsAppServe(t *testing.T, extra map[string]string) (*waServe, func()) {
	t.Helper()
	wa := whatsapptest.NewServer(t)
	env := map[string]string{"WHATSAPP_ACCESS_TOKEN": whatsapptest.AccessToken, "WHATSAPP_PHONE_NUMBER_ID": whatsapptest.PhoneNumberID,
		"WHATSAPP_APP_SECRET": whatsapptest.AppSecret, "WHATSAPP_VERIFY_TOKEN": whatsapptest.VerifyToken, "WHATSAPP_API_URL": wa.URL(),
		"WHATSAPP_BUSINESS_ACCOUNT_ID": whatsapptest.BusinessAccountID, "WHATSAPP_DISPLAY_NUMBER": whatsapptest.DisplayNumber}
	for k, v := range extra {
		env[k] = v
	}
	base, out, stop := startServeOut(t, env)
	s := &waServe{t: t, wa: wa, base: base, hook: base + "/whatsapp/webhook", db: sqlx.MustConnect("postgres", testDSN), out: out}
	wa.StatusWebhook(s.hook, http.DefaultClient)
	return s, func() { stop(); s.db.Close() }
}

// post delivers a user's messages, signed, and checks the 200.
func (s *waServe) post(in ...whatsapptest.Inbound) {
	s.t.Helper()
	resp, err := whatsapptest.Post(http.DefaultClient, s.hook, in...)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("webhook answered %d", resp.StatusCode)
	}
}

// say posts one message and returns the bot's answer: the messages that
// came after it, once no more came for a moment.
func (s *waServe) say(in whatsapptest.Inbound) []whatsapptest.Message {
	s.t.Helper()
	chat := in.User.ChatID()
	before := len(s.wa.Messages(chat))
	s.post(in)
	waitFor(s.t, "an answer", func() bool { return len(s.wa.Messages(chat)) > before })
	for n := -1; n != len(s.wa.Messages(chat)); {
		n = len(s.wa.Messages(chat))
		time.Sleep(250 * time.Millisecond)
	}
	return s.wa.Messages(chat)[before:]
}

// sayWant posts one message and waits for an answer holding every want.
func (s *waServe) sayWant(in whatsapptest.Inbound, want ...string) []whatsapptest.Message {
	s.t.Helper()
	chat := in.User.ChatID()
	before := len(s.wa.Messages(chat))
	s.post(in)
	waitFor(s.t, "an answer with "+strings.Join(want, ", "), func() bool {
		got := texts(s.wa.Messages(chat)[before:])
		for _, w := range want {
			if !strings.Contains(got, w) {
				return false
			}
		}
		return true
	})
	return s.wa.Messages(chat)[before:]
}

func texts(ms []whatsapptest.Message) string {
	var b []string
	for _, m := range ms {
		b = append(b, m.Text)
	}
	return strings.Join(b, "\n---\n")
}

func (s *waServe) expect(ms []whatsapptest.Message, want ...string) {
	s.t.Helper()
	got := texts(ms)
	for _, w := range want {
		if !strings.Contains(got, w) {
			s.t.Fatalf("want %q in the answer:\n%s", w, got)
		}
	}
}

// register answers the registration's questions from the consent on, by
// text, reply buttons and lists; it returns the last answer.
func (s *waServe) register(u whatsapptest.User, nik, name string, consent []whatsapptest.Message) []whatsapptest.Message {
	s.t.Helper()
	wa, t := s.wa, s.t
	s.expect(consent, "Setuju?")
	s.expect(s.say(wa.Tap(t, u, "cs:yes")), "NIK")
	s.expect(s.say(wa.Text(u, nik)), "nama")
	// The number the worker writes from, confirmed with one tap.
	s.expect(s.say(wa.Text(u, name)), "-••••-"+u.Phone[len(u.Phone)-4:])
	s.say(wa.Tap(t, u, "ph:this"))
	s.say(wa.Text(u, "darat sekip"))
	s.say(wa.Tap(t, u, "oc:petani"))
	s.expect(s.say(wa.Tap(t, u, "in:base")), name)
	return s.say(wa.Tap(t, u, "rv:ok"))
}

// The acceptance, through the real serve: the handshake, a forged
// signature, a registration by text, buttons and lists, a payment and its
// card, a replayed webhook, the 24-hour window, and Meta's errors.
func TestServeWhatsApp(t *testing.T) {
	s, stop := startWhatsAppServe(t, nil)
	defer stop()
	ctx := context.Background()
	wa := s.wa
	wa.EnforceWindow(true)

	// The handshake: the challenge echoed for the right token, 403 otherwise.
	get := func(token string) (int, string) {
		q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}
		resp, err := http.Get(s.hook + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(whatsapptest.VerifyToken); code != 200 || body != "1158201444" {
		t.Fatalf("handshake: %d %q", code, body)
	}
	if code, _ := get("wrong"); code != http.StatusForbidden {
		t.Fatalf("wrong verify token: %d", code)
	}

	// A forged signature: 401, nothing stored.
	u := whatsapptest.NewUser(8101)
	hello := wa.Text(u, "halo")
	req, _ := http.NewRequest(http.MethodPost, s.hook, strings.NewReader(string(whatsapptest.MessagesBody(hello))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Sign("not the app secret", whatsapptest.MessagesBody(hello)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged signature: %d", resp.StatusCode)
	}
	var n int
	s.db.Get(&n, `SELECT count(*) FROM processed_updates WHERE channel = 'whatsapp' AND update_id = $1`, hello.ID)
	if n != 0 {
		t.Fatal("a forged webhook was processed")
	}

	// A worker registers: text, reply buttons, lists.
	first := s.say(hello)
	s.expect(first, "Setuju?")
	if m := first[len(first)-1]; m.Type != "interactive" || m.To != u.BSUID {
		t.Fatalf("the consent went as %s to %s", m.Type, m.To)
	}
	// The same webhook again (Meta retries): nothing more.
	s.post(hello)
	time.Sleep(800 * time.Millisecond)
	if got := len(wa.Messages(u.ChatID())); got != len(first) {
		t.Fatalf("a replayed webhook made %d more messages", got-len(first))
	}
	done := s.register(u, "6171054508908101", "Siti Aminah", first)
	t.Logf("done: %s %+v", texts(done), done[len(done)-1].Choices())
	pay := s.say(wa.Tap(t, u, done[len(done)-1].Choices()[0].ID))
	s.expect(pay, "Bayar lewat")
	code := s.say(wa.Tap(t, u, "pb:bri"))
	t.Logf("code: %s", texts(code))
	chat := u.ChatID()

	// Paid through the test bank: the confirmation, then the card as an
	// uploaded image.
	var order string
	var amount int64
	if err := s.db.QueryRow(`SELECT order_id, amount FROM payments WHERE payer_ref = $1 ORDER BY id DESC LIMIT 1`, "whatsapp:"+chat).Scan(&order, &amount); err != nil {
		t.Fatal(err)
	}
	key, _ := vault.ParseKey(testKey)
	v, _ := vault.New(key)
	sb, _ := sandbox.New(sandbox.Options{Secret: v.Hash("sandbox", "notification-key")})
	before := len(wa.Messages(chat))
	h, b := sb.Notify(order, amount, payments.Paid, clock.Now())
	if code := postNotification(t, s.base+"/payments/sandbox/notification", h, b); code != http.StatusOK {
		t.Fatalf("notification: %d", code)
	}
	waitFor(t, "the confirmation and the card", func() bool {
		ms := wa.Messages(chat)
		return len(ms) > before && ms[len(ms)-1].Type == "image"
	})
	paid := wa.Messages(chat)[before:]
	s.expect(paid, "sudah kami terima")
	card := paid[len(paid)-1]
	if img, typ := wa.Media(card.Image); card.Type != "image" || typ != "image/png" || !strings.HasPrefix(string(img), "\x89PNG") {
		t.Fatalf("the card went as %s, media %q of type %s: %s", card.Type, card.Image, typ, texts(paid))
	}

	// Status webhooks are recorded against the replies.
	waitFor(t, "statuses recorded", func() bool {
		var n int
		s.db.Get(&n, `SELECT count(*) FROM channel_messages WHERE channel = 'whatsapp' AND chat_id = $1 AND status = 'delivered' AND outbox_id IS NOT NULL`, chat)
		return n >= len(wa.Messages(chat))-2
	})
	var deliveredReplies int
	s.db.Get(&deliveredReplies, `SELECT count(DISTINCT o.id) FROM outbox o JOIN channel_messages m ON m.outbox_id = o.id
		WHERE o.channel = 'whatsapp' AND o.chat_id = $1 AND m.status = 'delivered'`, chat)
	if deliveredReplies == 0 {
		t.Fatal("no reply is known delivered")
	}

	// Out of the window: a reminder goes as its template.
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := locales.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range waTemplateDefs(tpl) {
		params := 0
		for _, c := range d.Components {
			if c.Type == "BODY" && c.Example != nil && len(c.Example.BodyText) > 0 {
				params = len(c.Example.BodyText[0])
			}
		}
		wa.AddTemplate(d.Name, d.Language, params)
	}
	engine := flows.New(flows.Deps{Catalog: cat, Templates: tpl}, flows.DefaultConfig())
	st := openStore(t)
	ref := ""
	s.db.Get(&ref, `SELECT ref FROM registrations WHERE channel = 'whatsapp' AND chat_id = $1`, chat)
	lastWeek := clock.Now().Add(-25 * time.Hour)
	s.db.MustExec(`UPDATE sessions SET updated_at = $2 WHERE channel = 'whatsapp' AND chat_id = $1`, chat, lastWeek)
	wa.Wrote(u, lastWeek)
	template := func(what string, queue func()) whatsapptest.Message {
		t.Helper()
		before := len(wa.Messages(chat))
		queue()
		waitFor(t, what, func() bool {
			ms := wa.Messages(chat)
			return len(ms) > before && ms[len(ms)-1].Type == "template"
		})
		ms := wa.Messages(chat)
		return ms[len(ms)-1]
	}
	m := template("the reminder as a template", func() {
		rs := engine.ReminderReplies("id", flows.Reminder{Kind: flows.RemindBefore, Ref: ref, Name: "Siti Aminah", End: clock.Now().AddDate(0, 0, 3), DaysLeft: 3})
		if err := st.QueueReplies(ctx, whatsapp.Channel, chat, rs); err != nil {
			t.Fatal(err)
		}
	})
	if m.Template.Name != "lindungi_iuran_pengingat" || m.Template.Lang != "id" || len(m.Template.Body) != 4 || m.Template.Body[1] != ref {
		t.Fatalf("the reminder went as %+v", m.Template)
	}

	// Our record says the window is open, Meta's says not: 131047, then the template.
	s.db.MustExec(`UPDATE sessions SET updated_at = $2 WHERE channel = 'whatsapp' AND chat_id = $1`, chat, clock.Now())
	m = template("the KPJ notice as a template after 131047", func() {
		rs := engine.KPJReplies("id", flows.KPJIssued{Ref: ref, Name: "Siti Aminah", KPJ: "23096512345"})
		if err := st.QueueReplies(ctx, whatsapp.Channel, chat, rs); err != nil {
			t.Fatal(err)
		}
	})
	if len(m.Template.Body) != 3 || m.Template.Body[2] != "23096512345" {
		t.Fatalf("the KPJ notice went as %+v", m.Template)
	}
	if n := failedSends(wa); n == 0 {
		t.Fatal("no free-form send was refused with 131047")
	}
	// The refusal is remembered: the next notice goes as its template at once.
	refusals := failedSends(wa)
	template("the next notice as a template without a refusal", func() {
		rs := engine.KPJReplies("id", flows.KPJIssued{Ref: ref, Name: "Siti Aminah", KPJ: "23096512346", Previous: "23096512345"})
		if err := st.QueueReplies(ctx, whatsapp.Channel, chat, rs); err != nil {
			t.Fatal(err)
		}
	})
	if failedSends(wa) != refusals {
		t.Fatal("a chat whose window Meta said was closed was sent free-form again")
	}

	// Accepted, then failed with 131047 in a status webhook: the template too.
	wa.Wrote(u, clock.Now())
	s.db.MustExec(`DELETE FROM closed_windows WHERE channel = 'whatsapp' AND chat_id = $1`, chat)
	s.db.MustExec(`UPDATE sessions SET updated_at = $2 WHERE channel = 'whatsapp' AND chat_id = $1`, chat, clock.Now())
	wa.FailLater(chat, 1, whatsapptest.ReEngagement)
	t.Cleanup(func() {
		if t.Failed() {
			db := sqlx.MustConnect("postgres", testDSN)
			defer db.Close()
			rows, _ := db.Queryx(`SELECT message_id, status, error_code, coalesce(outbox_id,0) AS o FROM channel_messages WHERE chat_id = $1 ORDER BY created_at DESC LIMIT 4`, chat)
			for rows.Next() {
				m := map[string]any{}
				rows.MapScan(m)
				t.Logf("cm %v", m)
			}
			rows, _ = db.Queryx(`SELECT id, sent_at IS NOT NULL AS sent, failed_at IS NOT NULL AS failed, delivery, last_error FROM outbox WHERE chat_id = $1 ORDER BY id DESC LIMIT 3`, chat)
			for rows.Next() {
				m := map[string]any{}
				rows.MapScan(m)
				t.Logf("ob %v", m)
			}
			for _, m := range wa.Messages(chat)[len(wa.Messages(chat))-2:] {
				t.Logf("msg %s %s", m.Type, m.Text)
			}
		}
	})
	m = template("the paid notice again as a template after a failed status", func() {
		rs := engine.PaymentReplies("id", flows.Covered{Name: "Siti Aminah", RegistrationRef: ref, From: clock.Now(), To: clock.Now().AddDate(0, 1, 0)})
		if err := st.QueueReplies(ctx, whatsapp.Channel, chat, rs[:1]); err != nil {
			t.Fatal(err)
		}
	})
	if len(m.Template.Body) != 3 {
		t.Fatalf("the payment notice went as %+v", m.Template)
	}

	// 130429 pauses the channel, then the reply goes.
	failed := failedSends(wa)
	wa.Fail("messages", chat, 1, whatsapptest.Throughput)
	s.db.MustExec(`DELETE FROM closed_windows WHERE channel = 'whatsapp' AND chat_id = $1`, chat)
	s.db.MustExec(`UPDATE sessions SET updated_at = $2 WHERE channel = 'whatsapp' AND chat_id = $1`, chat, clock.Now())
	wa.Wrote(u, clock.Now())
	s.expect(s.say(wa.Text(u, "/status")), "LD")
	if failedSends(wa) != failed+1 {
		t.Fatal("the fake never answered 130429")
	}

	// 190: /readyz says the token was refused until a call works again.
	ready := func() int {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Refused three times: the retries' backoff keeps /readyz failing long
	// enough to be seen on a busy machine (once, the retry came first).
	wa.Fail("messages", chat, 3, whatsapptest.TokenExpired)
	s.post(wa.Text(u, "/bantuan"))
	waitFor(t, "/readyz failing on the refused token", func() bool { return ready() == http.StatusServiceUnavailable })
	waitFor(t, "/readyz well again after the retry worked", func() bool { return ready() == http.StatusOK })

	// 131026: the chat is marked unreachable.
	gone := whatsapptest.NewUser(8102)
	wa.Fail("messages", gone.ChatID(), -1, whatsapptest.Undeliverable)
	s.post(wa.Text(gone, "halo"))
	waitFor(t, "the chat marked unreachable", func() bool {
		ok, _ := st.Unreachable(ctx, whatsapp.Channel, gone.ChatID())
		return ok
	})
	for _, m := range wa.AllMessages() {
		if m.Interactive != nil {
			for _, r := range m.Choices() {
				if len([]rune(r.Title)) > 24 {
					t.Errorf("a row title over 24 characters: %q", r.Title)
				}
			}
		}
	}
	_ = ctx
}

// failedSends counts the sends the fake refused.
func failedSends(wa *whatsapptest.Server) int {
	n := 0
	for _, r := range wa.Requests("messages") {
		if r.Failed {
			n++
		}
	}
	return n
}

// openStore opens the test database as serve does.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	key, _ := vault.ParseKey(testKey)
	v, _ := vault.New(key)
	st, err := store.Open(context.Background(), testDSN, v, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestFitParams(t *testing.T) {
	long := strings.Repeat("kata ", 400) // 2,000 characters
	for _, c := range []struct {
		name   string
		body   string
		params []string
	}{
		{"short", "Halo {{1}}, iuran {{2}}.", []string{"Siti", "LD-1"}},
		{"one long", "Pengumuman:\n\n{{1}}\n\nKetik /berhenti.", []string{long}},
		{"two long", "{{1}} dan {{2}}", []string{long, long + long}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := fitParams(c.body, c.params)
			filled := c.body
			for i, p := range got {
				filled = strings.Replace(filled, fmt.Sprintf("{{%d}}", i+1), p, 1)
			}
			if n := utf8.RuneCountInString(filled); n > maxTemplateBody {
				t.Fatalf("filled in, %d characters", n)
			}
			for i, p := range got {
				if p != c.params[i] && !strings.HasSuffix(p, "…") {
					t.Errorf("param %d cut without …: %q", i, p)
				}
				if len(c.params[i]) < 100 && p != c.params[i] {
					t.Errorf("a short param was cut: %q", p)
				}
			}
		})
	}
}

// An agent and an admin do on WhatsApp what they do on Telegram: apply and
// approve, the agent menu, and a broadcast composed with /siaran, which
// goes as its template and counts what was delivered and read.
func TestServeWhatsAppAgentAndAdmin(t *testing.T) {
	admin := whatsapptest.NewUser(8201)
	s, stop := startWhatsAppServe(t, map[string]string{"LINDUNGI_ADMINS": "whatsapp:" + admin.ChatID()})
	defer stop()
	wa := s.wa

	worker := whatsapptest.NewUser(8202)
	s.register(worker, "6171054508908202", "Rina Wati", s.say(wa.Text(worker, "halo")))

	// An agent applies; the admin approves with a tap; the agent is told.
	agent := whatsapptest.NewUser(8203)
	s.expect(s.say(wa.Text(agent, "/agen")), "Setuju?")
	s.expect(s.say(wa.Tap(t, agent, "ac:yes")), "peran")
	s.expect(s.say(wa.Tap(t, agent, "ar:ketua_rt")), "NIK")
	s.expect(s.say(wa.Text(agent, "6171054508908203")), "nama")
	s.say(wa.Text(agent, "Budi Santoso"))
	got := s.say(wa.Text(agent, "darat sekip"))
	if !strings.Contains(texts(got), "RT") {
		s.say(wa.TapOn(agent, got[len(got)-1], got[len(got)-1].Choices()[0]))
	}
	got = s.say(wa.Text(agent, "RT 3 / RW 12"))
	if last := got[len(got)-1]; strings.Contains(string(last.Raw), "ph:this") {
		got = s.say(wa.Tap(t, agent, "ph:this"))
	} else {
		got = s.say(wa.Text(agent, "0813 1111 2222"))
	}
	s.expect(got, "Periksa permohonan Anda")
	s.expect(s.say(wa.Tap(t, agent, "aw:ok")), "sudah kami terima")
	applications := s.say(wa.Text(admin, "/agen_setujui"))
	approve := ""
	for _, m := range applications {
		for _, r := range m.Choices() {
			if strings.HasPrefix(r.ID, "ap:ok:") {
				approve = r.ID
			}
		}
	}
	if approve == "" {
		t.Fatalf("no approve button for the admin: %s", texts(applications))
	}
	before := len(wa.Messages(agent.ChatID()))
	s.expect(s.say(wa.Tap(t, admin, approve)), "disetujui")
	waitFor(t, "the agent told", func() bool { return len(wa.Messages(agent.ChatID())) > before })
	s.expect(wa.Messages(agent.ChatID())[before:], "disetujui")
	s.expect(s.say(wa.Text(agent, "/agen")), "Menu agen", "Budi Santoso")

	// The admin composes a broadcast: the preview says it goes as a
	// template, with its text, and who is inside the 24-hour window.
	s.expect(s.say(wa.Text(admin, "/siaran")), "Siaran baru")
	// To the WhatsApp chats only (the package's other tests leave many on Telegram).
	s.say(wa.Tap(t, admin, "bs:ch"))
	s.say(wa.Tap(t, admin, "bp:t:whatsapp"))
	s.expect(s.say(wa.Tap(t, admin, "bp:done")), "WhatsApp")
	s.expect(s.say(wa.Tap(t, admin, "bs:go")), "Ketik pesan siaran")
	s.say(wa.Text(admin, "Kantor BPJS tutup 25 Desember."))
	// The worker last wrote 25 hours ago: outside the window, paid for.
	s.db.MustExec(`UPDATE sessions SET updated_at = $2 WHERE channel = 'whatsapp' AND chat_id = $1`, worker.ChatID(), clock.Now().Add(-25*time.Hour))
	preview := texts(s.sayWant(wa.Tap(t, admin, "bb:pay"), "lindungi_pengumuman_bayar", "Kantor BPJS tutup 25 Desember.", "24 jam", "Kirim siaran di atas ke"))
	m := regexp.MustCompile(`(\d+) penerima memakai WhatsApp[\s\S]*?(\d+) di antaranya menulis ke kami dalam 24 jam terakhir \(gratis\)\. (\d+) lainnya tidak`).FindStringSubmatch(preview)
	if m == nil {
		t.Fatalf("the preview does not count the window: %s", preview)
	}
	total, inside, outside := atoi(m[1]), atoi(m[2]), atoi(m[3])
	if outside < 1 || inside+outside != total {
		t.Fatalf("the preview counts %d inside and %d outside the window of %d", inside, outside, total)
	}
	s.expect(s.say(wa.Tap(t, admin, "bv:send")), "Siaran #")
	waitFor(t, "the broadcast as a template", func() bool {
		for _, m := range wa.Messages(worker.ChatID()) {
			if m.Type == "template" && m.Template.Name == "lindungi_pengumuman_bayar" {
				return true
			}
		}
		return false
	})
	t.Cleanup(func() {
		if t.Failed() {
			ms := wa.Messages(admin.ChatID())
			for _, m := range ms[max(0, len(ms)-4):] {
				t.Logf("admin got %s: %s", m.Type, m.Text)
			}
			db := sqlx.MustConnect("postgres", testDSN)
			defer db.Close()
			var rows []string
			db.Select(&rows, `SELECT id || ' ' || status || ' ' || total FROM broadcasts`)
			t.Logf("broadcasts %v", rows)
			db.Select(&rows, `SELECT state || ' ' || chat_id || ' ' || error FROM broadcast_recipients`)
			t.Logf("recipients %v", rows)
		}
	})
	waitUpTo(t, 30*time.Second, "the broadcast's report", func() bool {
		// (other tests' workers on WhatsApp are recipients too)
		return strings.Contains(texts(wa.Messages(admin.ChatID())), "selesai untuk")
	})
	// Its delivery, from the status webhooks, counts in its progress.
	st := openStore(t)
	var id int64
	s.db.Get(&id, `SELECT max(id) FROM broadcasts`)
	waitFor(t, "the broadcast counted delivered", func() bool {
		p, err := st.BroadcastProgressOf(context.Background(), id)
		return err == nil && p.Delivered >= 1 && p.Delivered == p.Sent
	})
	cat, _ := locales.Load()
	p, _ := st.BroadcastProgressOf(context.Background(), id)
	if got := flows.New(flows.Deps{Catalog: cat}, flows.DefaultConfig()).BroadcastReportReply(p).Text; !strings.Contains(got, fmt.Sprintf("Di WhatsApp: %d sampai di HP penerima", p.Delivered)) {
		t.Errorf("the report does not count the delivery: %q", got)
	}
	if n := failedSends(wa); n != 0 {
		t.Errorf("the fake refused %d sends (a limit broken)", n)
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
