package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/bot/telegram"
	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/vault"
)

// startServe runs `lindungi serve` with extra environment until the test ends
// and returns its base URL.
func startServe(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	base, _, stop := startServeOut(t, env)
	return base, stop
}

// startServeOut is startServe that also gives what serve printed. It
// listens on 127.0.0.1 unless env says LINDUNGI_HTTP_ADDR.
func startServeOut(t *testing.T, env map[string]string) (string, *syncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	if env["LINDUNGI_HTTP_ADDR"] == "" {
		env["LINDUNGI_HTTP_ADDR"] = "127.0.0.1:0"
	}
	go func() { done <- run(ctx, []string{"lindungi", "serve"}, testEnv(env), strings.NewReader(""), out) }()
	re := regexp.MustCompile(`http://((?:127\.0\.0\.1|0\.0\.0\.0|\[::\]):(\d+))/`)
	waited := clock.Start()
	for waited.Elapsed() < 10*time.Second {
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
			return "http://127.0.0.1:" + m[2], out, stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not start: %q", out.String())
	return "", nil, nil
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitUpTo(t, 10*time.Second, what, cond)
}

// waitUpTo polls cond for up to limit.
func waitUpTo(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	waited := clock.Start()
	for waited.Elapsed() < limit {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// startChild runs serve in a child process (so that it can be killed) on
// the fake Bot API, with extra environment (KEY=value), until it says its
// bot runs.
func startChild(t *testing.T, tg *telegramtest.Server, env ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(append(os.Environ(), "LINDUNGI_TEST_CHILD=serve", "DATABASE_URL="+testDSN, "LINDUNGI_DATA_KEY="+testKey,
		"LINDUNGI_HTTP_ADDR=127.0.0.1:0", "LINDUNGI_LOG_LEVEL=error", "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+tg.Endpoint()), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A test that stops early must not leave it running (and delivering).
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "the child serve to start", func() bool { return strings.Contains(out.String(), "telegram bot @") })
	return cmd, out
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
	waitFor(t, "the consent question", func() bool { return strings.Contains(lastMessage(tg, chat), "Setuju?") })
	if !strings.Contains(lastMessage(tg, chat), "disimpan Telegram di luar negeri") {
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

	// A 429 pauses sending for its retry_after.
	const throttled = 7003
	tg.FailSend(throttled, 1, telegramtest.TooManyRequests(2))
	t0 := clock.Now() // the fake Bot API stamps messages with the clock
	tg.PushText(throttled, "halo")
	waitFor(t, "the throttled chat's welcome", func() bool { return len(tg.Messages(throttled)) > 0 })
	if waited := tg.Messages(throttled)[0].At.Sub(t0); waited < 2*time.Second {
		t.Errorf("the reply went out %s after a 429 with retry_after 2", waited)
	}

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`lindungi_updates_received_total{channel="telegram"}`, `lindungi_replies_total{channel="telegram",outcome="sent"}`,
		`lindungi_replies_total{channel="telegram",outcome="unreachable"}`, `lindungi_rate_limit_pauses_total{channel="telegram"} 1`, `lindungi_throttled_total{channel="telegram"} 1`,
		`lindungi_outbox_backlog{channel="telegram"}`, `lindungi_outbox_oldest_seconds{channel="telegram"}`, "lindungi_update_handling_seconds_bucket",
		`lindungi_update_reply_seconds_bucket{channel="telegram",le=`, `lindungi_send_seconds_bucket{channel="telegram",le=`, `lindungi_sends_in_flight{channel="telegram"}`,
		`lindungi_api_calls_total{channel="telegram",method="sendMessage"}`, `lindungi_api_calls_total{channel="telegram",method="getUpdates"}`,
		`lindungi_api_calls_total{channel="telegram",method="answerCallbackQuery"}`} {
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
	waitFor(t, "the consent question", func() bool { return strings.Contains(lastMessage(tg, 7101), "Setuju?") })
	time.Sleep(1500 * time.Millisecond) // a duplicate would have been delivered by now
	if got := len(tg.Messages(7101)); got != 1 {
		t.Errorf("%d messages for one update delivered twice: want the welcome and consent question once", got)
	}
}

// Many chats at once: every chat's updates are handled in order (an update
// taken out of order would leave its chat at another question).
func TestServeKeepsOrderFor200Chats(t *testing.T) {
	tg := telegramtest.NewServer(t)
	_, stop := startServe(t, map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": tg.Endpoint(),
		"LINDUNGI_TELEGRAM_RATE": "1000"})
	defer stop()
	const first, chats = 8000, 200
	for step := range 4 {
		for c := int64(first); c < first+chats; c++ {
			switch step {
			case 0:
				tg.PushText(c, "halo")
			case 1:
				tg.PushCallback(c, 1, "cs:yes")
			case 2:
				tg.PushText(c, fmt.Sprintf("617105450890%04d", 2000+c-first))
			case 3:
				tg.PushText(c, "Siti Aminah")
			}
		}
	}
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	var done int
	waited := clock.Start()
	for waited.Elapsed() < 30*time.Second {
		db.Get(&done, `SELECT count(*) FROM sessions WHERE channel = 'telegram' AND chat_id::bigint BETWEEN $1 AND $2 AND state = 'phone'`, first, first+chats-1)
		if done == chats {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if done != chats {
		var states []string
		db.Select(&states, `SELECT chat_id || ':' || state FROM sessions WHERE channel = 'telegram' AND chat_id::bigint BETWEEN $1 AND $2 AND state <> 'phone' LIMIT 5`, first, first+chats-1)
		t.Fatalf("%d of %d chats reached the phone question; others: %v", done, chats, states)
	}
}

// Two serve processes on one database, both taking webhooks: one delivers,
// and the global rate holds for the deployment.
func TestServeTwoProcessesHoldTheGlobalRate(t *testing.T) {
	tg := telegramtest.NewServer(t)
	const secret = "two-processes"
	env := func() map[string]string {
		return map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": tg.Endpoint(), "LINDUNGI_TELEGRAM_RATE": "10",
			"LINDUNGI_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook", "LINDUNGI_TELEGRAM_WEBHOOK_SECRET": secret}
	}
	a, stopA := startServe(t, env())
	defer stopA()
	b, stopB := startServe(t, env())
	defer stopB()
	const first, chats = 9000, 40
	for i := range chats {
		base := a
		if i%2 == 1 {
			base = b
		}
		update := fmt.Sprintf(`{"update_id": %d, "message": {"message_id": 1, "date": 1764000000, "text": "halo",
			"chat": {"id": %d, "type": "private"}, "from": {"id": %d, "is_bot": false, "first_name": "A"}}}`, 950000+i, first+i, first+i)
		req, _ := http.NewRequest("POST", base+"/telegram/webhook", strings.NewReader(update))
		req.Header.Set(telegram.SecretHeader, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("webhook to %s: %v %v", base, resp, err)
		}
		resp.Body.Close()
	}
	want := chats // the welcome and consent question each
	var ms []telegramtest.Message
	waited := clock.Start()
	for waited.Elapsed() < 20*time.Second {
		ms = tg.AllMessages()
		if len(ms) >= want {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(ms) != want {
		t.Fatalf("%d messages delivered, want %d", len(ms), want)
	}
	most := 0
	for i, j := 0, 0; j < len(ms); j++ {
		for ms[j].At.Sub(ms[i].At) >= time.Second {
			i++
		}
		most = max(most, j-i+1)
	}
	if most > 11 { // 10 a second, plus a burst of 1
		t.Errorf("%d messages in one second at a global rate of 10/s", most)
	}
	if span := ms[len(ms)-1].At.Sub(ms[0].At); span < 3*time.Second {
		t.Errorf("%d messages went out in %s: faster than 10/s", len(ms), span)
	}
}

// A process killed in the middle of a conversation loses no answer, and a
// restarted one sends no reply twice (but one that was in flight at the kill).
func TestServeKilledAndRestarted(t *testing.T) {
	tg := telegramtest.NewServer(t)
	const chat = 7301
	child, _ := startChild(t, tg)
	tg.PushText(chat, "halo")
	waitFor(t, "the consent question", func() bool { return strings.Contains(lastMessage(tg, chat), "Setuju?") })
	tg.Press(t, chat, "Setuju")
	waitFor(t, "the NIK question", func() bool { return strings.Contains(lastMessage(tg, chat), "Ketik NIK Anda") })
	// The answer arrives and the process dies at once, mid-handling or just after.
	tg.PushText(chat, "6171054508900789")
	time.Sleep(30 * time.Millisecond)
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	child, _ = startChild(t, tg)
	defer func() { child.Process.Signal(syscall.SIGTERM); child.Wait() }()
	waitFor(t, "the name question after the restart", func() bool { return strings.Contains(lastMessage(tg, chat), "Ketik nama lengkap") })
	tg.PushText(chat, "Siti Aminah")
	waitFor(t, "the phone question", func() bool { return strings.Contains(lastMessage(tg, chat), "nomor HP") })

	seen := map[string]int{}
	twice := 0
	for _, m := range tg.Messages(chat) {
		seen[m.Text]++
		if seen[m.Text] == 2 {
			twice++
		}
	}
	if twice > 1 {
		t.Errorf("%d replies sent twice after one kill: %v", twice, seen)
	}
	var state string
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	db.Get(&state, `SELECT state FROM sessions WHERE channel = 'telegram' AND chat_id = '7301'`)
	if state != "phone" {
		t.Errorf("state after the restart: %q", state)
	}
}

// A serve killed (SIGKILL) with 500 replies on the wire loses none of
// them, and the restarted one sends again only those the Bot API had
// accepted in the instant before the kill, which the dead process could not
// mark sent: counted here exactly, chat by chat. Killed earlier, while most
// updates are still being handled, the same holds (and the restarted
// process, with 400 chats to serve at once, sends nothing twice itself).
func TestServeKilledWith500RepliesInFlight(t *testing.T) {
	// Webhook mode: the 500 updates arrive at once (by long polling they
	// would come 100 a round trip, and the first chats be done before the
	// last began).
	// Each chat has one reply, on the wire for a round trip: 6 s leaves
	// time for all 500 to be handled and handed to senders (under -race
	// and a loaded machine) while the first are still in flight.
	t.Run("500 on the wire", func(t *testing.T) { killedInFlight(t, 6*time.Second, false) })
	// Long polling, killed with most updates fetched (in the inbox) or not.
	t.Run("mid-handling", func(t *testing.T) { killedInFlight(t, 400*time.Millisecond, true) })
}

// killedInFlight kills serve once its 500 chats' first replies are all on
// the wire (its /metrics says so; the updates come by webhook), or (early,
// by long polling) once the first 20 are delivered, with every call to the
// Bot API taking rtt.
func killedInFlight(t *testing.T, rtt time.Duration, early bool) {
	tg := telegramtest.NewServer(t)
	const secret = "killed-in-flight"
	env := []string{"LINDUNGI_TELEGRAM_RATE=100000", "LINDUNGI_TELEGRAM_SENDERS=512"}
	if !early {
		env = append(env, "LINDUNGI_TELEGRAM_WEBHOOK_URL=https://bot.example.org/telegram/webhook", "LINDUNGI_TELEGRAM_WEBHOOK_SECRET="+secret)
	}
	start := func() (*exec.Cmd, *syncBuffer) { return startChild(t, tg, env...) }
	const chats = 500
	const replies = 1                              // each chat's welcome and consent question
	first := 8_000_000 + 1000*rand.Int64N(100_000) // chats and update ids of their own in the package's database
	if early {
		tg.Delay(rtt)
	}
	child, out := start()
	tg.Delay(rtt) // webhook mode: once serve is up, so its start-up calls do not wait
	base := "http://" + regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(out.String())[1]
	for i := range chats {
		chat := first + int64(i)
		if early {
			tg.PushText(chat, "halo")
			continue
		}
		go func() {
			update := fmt.Sprintf(`{"update_id": %d, "message": {"message_id": 1, "date": 1764000000, "text": "halo",
				"chat": {"id": %d, "type": "private"}, "from": {"id": %d, "is_bot": false, "first_name": "A"}}}`, chat, chat, chat)
			req, _ := http.NewRequest("POST", base+"/telegram/webhook", strings.NewReader(update))
			req.Header.Set(telegram.SecretHeader, secret)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	queued := func() (n int) {
		db.Get(&n, `SELECT count(*) FROM outbox WHERE channel = 'telegram' AND chat_id::bigint BETWEEN $1 AND $2`, first, first+chats-1)
		return n
	}
	// Each chat gets one reply (the welcome and consent question), so at
	// most one send per chat is on the wire.
	inFlight := regexp.MustCompile(`(?m)^lindungi_sends_in_flight\{channel="telegram"\} (\d+)`)
	onTheWire := func() int {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		m := inFlight.FindSubmatch(body)
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	sending := 0
	if early {
		waitUpTo(t, 30*time.Second, "the first 20 replies", func() bool { return len(tg.AllMessages()) >= 20 })
		sending = onTheWire()
	} else {
		waitUpTo(t, 60*time.Second, "500 sends on the wire", func() bool { sending = onTheWire(); return sending >= chats })
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	time.Sleep(rtt + 500*time.Millisecond) // what was on the wire arrives, or not

	perChat := func() map[int64]int {
		n := map[int64]int{}
		for _, m := range tg.AllMessages() {
			if m.ChatID >= first && m.ChatID < first+chats {
				n[m.ChatID]++
			}
		}
		return n
	}
	accepted := perChat()
	var rows []struct {
		Chat   int64 `db:"chat"`
		Queued int   `db:"queued"`
		Marked int   `db:"marked"`
	}
	if err := db.Select(&rows, `SELECT chat_id::bigint AS chat, count(*) AS queued, count(sent_at) AS marked FROM outbox
		WHERE channel = 'telegram' AND chat_id::bigint BETWEEN $1 AND $2 GROUP BY chat_id`, first, first+chats-1); err != nil {
		t.Fatal(err)
	}
	// A chat's replies go out in order and are marked only once accepted:
	// those accepted and not marked are the ones sent in the last instant.
	lastInstant, marked, onWire := 0, 0, 0
	resent := map[int64]int{}
	for _, r := range rows {
		resent[r.Chat] = accepted[r.Chat] - r.Marked
		if r.Marked > accepted[r.Chat] {
			t.Errorf("chat %d: %d replies marked sent, the API has %d", r.Chat, r.Marked, accepted[r.Chat])
		}
		lastInstant += accepted[r.Chat] - r.Marked
		marked += r.Marked
	}
	for _, n := range accepted {
		onWire += n
	}
	t.Logf("at the kill: %d sends on the wire, %d chats had replies queued, %d replies accepted by the API, %d of them marked sent; %d accepted in the last instant",
		sending, len(rows), onWire, marked, lastInstant)

	if !early {
		tg.Delay(rtt / 4) // the restart starts quickly, and sends again
	}
	child, _ = start()
	defer func() { child.Process.Signal(syscall.SIGTERM); child.Wait() }()
	waitUpTo(t, 60*time.Second, "every chat's welcome and consent question", func() bool {
		var left int
		db.Get(&left, `SELECT count(*) FROM outbox WHERE channel = 'telegram' AND chat_id::bigint BETWEEN $1 AND $2 AND sent_at IS NULL`, first, first+chats-1)
		return left == 0 && queued() == replies*chats
	})
	time.Sleep(rtt) // the last sends marked have arrived
	got, twice, lost := perChat(), 0, 0
	for i := range chats {
		c := first + int64(i)
		switch n := got[c]; {
		case n < replies:
			lost += replies - n
		default:
			twice += n - replies
			if n-replies != resent[c] {
				var texts []string
				for _, m := range tg.Messages(c) {
					texts = append(texts, fmt.Sprintf("%d:%.30q", m.MessageID, m.Text))
				}
				t.Errorf("chat %d: %d sent twice, %d accepted before the kill and not marked: %v", c, n-replies, resent[c], texts)
			}
		}
		ms := tg.Messages(c)
		if len(ms) == 0 || !strings.Contains(ms[len(ms)-1].Text, "Setuju?") {
			t.Errorf("chat %d: last message is not the consent question", c)
		}
	}
	t.Logf("after the restart: %d replies lost, %d sent twice", lost, twice)
	if lost != 0 {
		t.Errorf("%d replies lost after a kill", lost)
	}
	if twice != lastInstant {
		t.Errorf("%d replies sent twice, but %d were accepted in the last instant before the kill", twice, lastInstant)
	}
}

// A process that stored a payment but could not send the card before it
// stopped: the next one sends the confirmation and the card, once.
func TestCardSentOnceAfterACrash(t *testing.T) {
	tg := telegramtest.NewServer(t)
	ctx := context.Background()
	key, _ := vault.ParseKey(testKey)
	v, _ := vault.New(key)
	st, err := store.Open(ctx, testDSN, v, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const chat = "7401"
	var ref string
	err = st.Atomically(ctx, "telegram", chat, func(ctx context.Context, tx flows.Tx) error {
		ref, err = tx.CreateRegistration(ctx, flows.Registration{NIK: "6171054508907401", Name: "Eka Putri", Phone: "+6281234507401",
			BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true, Province: "61", Regency: "61.71", District: "61.71.05",
			Village: "61.71.05.1002", Occupation: "petani", Income: 1000000, MonthlyIuran: 16800})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := sandbox.New(sandbox.Options{Secret: v.Hash("sandbox", "notification-key")})
	order := ref + "-CRASH"
	ins, _ := sb.Create(ctx, payments.Invoice{OrderID: order, Amount: 16800, Method: payments.BRI})
	if _, err := st.CreatePayment(ctx, store.NewPayment{Instruction: ins, PayerKind: store.PayerWorker, PayerRef: "telegram:" + chat,
		Items: []flows.PaymentLine{{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800}}}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": tg.Endpoint()}

	// First process: the payment is stored and the card queued, but Telegram is down for this chat.
	tg.FailSend(7401, 1000, telegramtest.InternalError)
	tg.Fail("sendPhoto", 7401, 1000, telegramtest.InternalError)
	base, stop := startServe(t, env)
	h, b := sb.Notify(order, 16800, payments.Paid, clock.Now())
	if code := postNotification(t, base+"/payments/sandbox/notification", h, b); code != http.StatusOK {
		t.Fatalf("notification: %d", code)
	}
	stop()
	if n := len(tg.Messages(7401)); n != 0 {
		t.Fatalf("%d messages delivered while Telegram failed", n)
	}
	// Next process: everything waiting goes out, once.
	tg.Heal()
	_, stop = startServe(t, env)
	waitFor(t, "the confirmation and the card", func() bool { return len(tg.Messages(7401)) >= 2 })
	stop()
	_, stop = startServe(t, env)
	time.Sleep(1500 * time.Millisecond)
	stop()
	ms := tg.Messages(7401)
	if len(ms) != 2 || !strings.Contains(ms[0].Text, "Iuran Eka Putri sudah kami terima") || len(ms[1].Photo) == 0 ||
		!strings.HasPrefix(string(ms[1].Photo), "\x89PNG") {
		t.Fatalf("delivered: %d messages %+v", len(ms), ms)
	}
}

// The security review's L2-L5 and M5's warning: the server's timeouts, the
// pages beside the chat rate-limited with their security headers, /metrics
// off the public address in production, and a loud warning when the test
// bank is reachable beyond this machine.
func TestServeHardening(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Errorf("timeouts: header %v, read %v, write %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}

	base, out, stop := startServeOut(t, map[string]string{"LINDUNGI_HTTP_ADDR": "0.0.0.0:0"})
	if !strings.Contains(out.String(), "anyone who can reach this address can mark payments paid") {
		t.Errorf("no warning about the test bank on a public address:\n%s", out.String())
	}
	limited := 0
	for i := range 40 {
		resp, err := http.Get(base + "/verify/" + fmt.Sprint("nosuchtoken", i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("/verify headers: %v", h)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("40 rapid /verify guesses were never limited")
	}
	stop()

	base, out, stop = startServeOut(t, map[string]string{})
	if strings.Contains(out.String(), "WARNING") {
		t.Errorf("a warning on loopback:\n%s", out.String())
	}
	if get(t, base+"/metrics") == "" {
		t.Error("no /metrics in development")
	}
	stop()

	mt := midtranstest.NewServer(t)
	base, _, stop = startServeOut(t, map[string]string{"LINDUNGI_ENV": "production", "LINDUNGI_PAYMENT_PROVIDER": "midtrans",
		"LINDUNGI_MIDTRANS_SERVER_KEY": midtranstest.ServerKey, "LINDUNGI_MIDTRANS_BASE_URL": mt.URL()})
	defer stop()
	for _, path := range []string{"/metrics", "/sandbox/pay/1234"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s in production: %d, want 404", path, resp.StatusCode)
		}
	}
}
