package telegram

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/flows"
)

// pollHarness runs Poll against the fake Bot API with a real engine and
// store; replies are delivered from the outbox through Send, as the console does.
type pollHarness struct {
	t    *testing.T
	srv  *telegramtest.Server
	c    *Client
	sl   *sleeps
	e    *flows.Engine
	stop func() error

	mu       sync.Mutex
	seen     map[string]int // update id → times submitted successfully
	failNext int            // submits to fail before the next success
}

func startPoll(t *testing.T, before func(*telegramtest.Server)) *pollHarness {
	t.Helper()
	srv := telegramtest.NewServer(t)
	if before != nil {
		before(srv)
	}
	c, sl := newClient(t, srv)
	h := &pollHarness{t: t, srv: srv, c: c, sl: sl, e: newEngine(), seen: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Poll(ctx, h.submit) }()
	var once sync.Once
	var err error
	h.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(3 * time.Second):
				err = errors.New("Poll did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { h.stop() })
	return h
}

func (h *pollHarness) submit(ctx context.Context, evs []flows.Event) error {
	h.mu.Lock()
	if h.failNext > 0 {
		h.failNext--
		h.mu.Unlock()
		return errors.New("database is down")
	}
	h.mu.Unlock()
	for _, ev := range evs {
		if _, err := h.e.Handle(ctx, ev); err != nil {
			return err
		}
		if err := h.deliver(ctx, ev.ChatID); err != nil {
			return err
		}
	}
	h.mu.Lock()
	for _, ev := range evs {
		h.seen[ev.UpdateID]++
	}
	h.mu.Unlock()
	return nil
}

func (h *pollHarness) deliver(ctx context.Context, chatID string) error {
	pending, err := testDB.PendingFor(ctx, Channel, chatID)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(pending))
	for _, p := range pending {
		if err := h.c.Send(ctx, p.ChatID, p.Reply); err != nil {
			return err
		}
		ids = append(ids, p.ID)
	}
	return testDB.MarkSent(ctx, ids)
}

func (h *pollHarness) times(updateID int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[strconv.Itoa(updateID)]
}

// do pushes an update, waits until it has been handled n times in all, and
// returns the texts the bot sent meanwhile.
func (h *pollHarness) do(chat int64, n int, push func() int) string {
	h.t.Helper()
	before := len(h.srv.Messages(chat))
	id := push()
	waitFor(h.t, fmt.Sprintf("update %d handled", id), func() bool { return h.times(id) >= n })
	var out []string
	for _, m := range h.srv.Messages(chat)[before:] {
		out = append(out, m.Text)
	}
	return strings.Join(out, "\n---\n")
}

func (h *pollHarness) text(chat int64, s string) string {
	h.t.Helper()
	return h.do(chat, 1, func() int { return h.srv.PushText(chat, s) })
}

func (h *pollHarness) press(chat int64, labelOrData string) string {
	h.t.Helper()
	return h.do(chat, 1, func() int { return h.srv.Press(h.t, chat, labelOrData) })
}

func has(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("the bot said %q\nwhich does not contain %q", got, w)
		}
	}
}

func TestPollFullRegistration(t *testing.T) {
	h := startPoll(t, nil)
	const chat = 55001
	const nik = "6171054508902001"
	has(t, h.text(chat, "/mulai"), "Setuju?")
	has(t, h.press(chat, "cs:yes"), "Ketik NIK")
	has(t, h.text(chat, nik), "Ketik nama lengkap")
	h.text(chat, "Siti Aminah")

	// The phone question offers the contact button; the worker uses it.
	msgs := h.srv.Messages(chat)
	last := msgs[len(msgs)-1]
	if !strings.Contains(last.ReplyMarkup, `"request_contact":true`) || !strings.Contains(last.ReplyMarkup, `"one_time_keyboard":true`) {
		t.Fatalf("the phone question has reply_markup %s", last.ReplyMarkup)
	}
	h.do(chat, 1, func() int { return h.srv.PushContact(chat, "6281234567890", chat) })

	h.text(chat, "darat sekip") // a village of the NIK's kecamatan
	h.press(chat, "oc:petani")
	has(t, h.press(chat, "in:base"), "Periksa data Anda", "Siti Aminah")
	has(t, h.press(chat, "rv:ok"), "Nomor pendaftaran: LD")

	var row struct {
		Name   string `db:"name"`
		Status string `db:"status"`
		Region string `db:"district"`
	}
	if err := testDB.SQL().Get(&row, `SELECT name, status, district FROM registrations WHERE channel = $1 AND chat_id = $2`,
		Channel, strconv.Itoa(chat)); err != nil {
		t.Fatal(err)
	}
	if row.Name != "Siti Aminah" || row.Status != flows.StatusAwaitingPayment || row.Region != "61.71.05" {
		t.Errorf("registration row %+v", row)
	}

	// Every press was answered and its keyboard removed; every update confirmed.
	waitFor(t, "updates confirmed", func() bool { return h.srv.Pending() == 0 })
	presses := 0
	for _, r := range h.srv.Requests("answerCallbackQuery") {
		if r.Params.Get("callback_query_id") != "" {
			presses++
		}
	}
	waitFor(t, "keyboards removed", func() bool { return len(h.srv.Requests("editMessageReplyMarkup")) == 4 })
	if presses != 4 {
		t.Errorf("%d callback queries answered, want 4", presses)
	}
	for _, m := range h.srv.Messages(chat) {
		if kb := m.InlineKeyboard(); len(kb) > 0 && m.MessageID != h.srv.Messages(chat)[len(h.srv.Messages(chat))-1].MessageID {
			if pressedOn(h.srv, m.MessageID) {
				t.Errorf("message %d still has its keyboard after a press", m.MessageID)
			}
		}
	}
	// Polling confirmed each batch with offset = highest id + 1, never before.
	first := h.srv.Requests("deleteWebhook", "getUpdates")[0]
	if first.Method != "deleteWebhook" {
		t.Errorf("first call %s, want deleteWebhook", first.Method)
	}
	for _, r := range h.srv.Requests("getUpdates") {
		if r.Params.Get("limit") != "100" || r.Params.Get("timeout") != "25" || r.Params.Get("allowed_updates") != `["message","callback_query"]` {
			t.Errorf("getUpdates params %v", r.Params)
			break
		}
	}
	if err := h.stop(); err != nil {
		t.Errorf("Poll: %v", err)
	}
}

// pressedOn reports whether some callback edited message id.
func pressedOn(srv *telegramtest.Server, id int) bool {
	for _, r := range srv.Requests("editMessageReplyMarkup") {
		if r.Params.Get("message_id") == strconv.Itoa(id) {
			return true
		}
	}
	return false
}

func TestPollSameUpdateTwiceAnswersOnce(t *testing.T) {
	// A process stores an update and dies before its next getUpdates
	// confirms it; the next process gets the same update again.
	srv := telegramtest.NewServer(t)
	const chat = 55002
	id := srv.PushText(chat, "halo")
	first, _ := newClient(t, srv)
	e := newEngine()
	ctx, cancel := context.WithCancel(context.Background())
	handled := 0
	err := first.Poll(ctx, func(ctx context.Context, evs []flows.Event) error {
		h := &pollHarness{c: first, e: e}
		for _, ev := range evs {
			if _, err := e.Handle(ctx, ev); err != nil {
				return err
			}
			if err := h.deliver(ctx, ev.ChatID); err != nil {
				return err
			}
			handled++
		}
		cancel() // the kill: after the store, before the confirmation
		return nil
	})
	if err != nil || handled != 1 {
		t.Fatalf("first process: %v, %d handled", err, handled)
	}
	n := len(srv.Messages(chat))
	if n == 0 || srv.Pending() != 1 {
		t.Fatalf("after the kill: %d replies, %d updates unconfirmed", n, srv.Pending())
	}

	h := startPoll(t, nil)
	h.srv = srv
	second, _ := newClient(t, srv)
	h.c = second
	h.stop() // the harness's own server is not used
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	done := make(chan error, 1)
	go func() { done <- second.Poll(ctx2, h.submit) }()
	waitFor(t, "the replayed update handled", func() bool { return h.times(id) == 1 })
	waitFor(t, "confirmed", func() bool { return srv.Pending() == 0 })
	if got := len(srv.Messages(chat)); got != n {
		t.Errorf("the replayed update was answered again: %d replies, want %d", got, n)
	}
	cancel2()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestPollRetriesWithoutLosingUpdates(t *testing.T) {
	h := startPoll(t, func(srv *telegramtest.Server) {
		srv.Fail("getUpdates", 0, 2, telegramtest.InternalError)
		srv.Fail("getUpdates", 0, 1, telegramtest.TooManyRequests(7))
	})
	const chat = 55003
	h.mu.Lock()
	h.failNext = 2 // the database fails twice: the same update comes again
	h.mu.Unlock()
	id := h.srv.PushText(chat, "/mulai")
	waitFor(t, "the update handled", func() bool { return h.times(id) == 1 })
	want := []time.Duration{time.Second, 2 * time.Second, 7 * time.Second, time.Second, 2 * time.Second}
	if got := h.sl.all(); !reflect.DeepEqual(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	// The update was fetched three times (twice refused), each with the same offset.
	var offsets []string
	for _, r := range h.srv.Requests("getUpdates") {
		offsets = append(offsets, r.Params.Get("offset"))
	}
	if len(offsets) < 6 || offsets[3] != "" || offsets[4] != "" || offsets[5] != "" {
		t.Errorf("getUpdates offsets %q: the refused batch must be fetched again unconfirmed", offsets)
	}
	waitFor(t, "confirmed", func() bool { return h.srv.Pending() == 0 })
	if len(h.srv.Messages(chat)) == 0 {
		t.Error("no answer")
	}
	if err := h.stop(); err != nil {
		t.Errorf("Poll: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i, w := range want {
		if got := backoff(i+1, errors.New("x")); got != w*time.Second {
			t.Errorf("backoff(%d) = %s, want %s", i+1, got, w*time.Second)
		}
	}
}

// A button press is answered while the engine is still busy with it (the
// spinner on the worker's phone stops at once), and the acknowledgements
// never hold the next getUpdates.
func TestButtonPressAnsweredWhileTheEngineWorks(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	release := make(chan struct{})
	submitted := make(chan int, 4)
	submit := func(ctx context.Context, evs []flows.Event) error {
		submitted <- len(evs)
		select { // the engine is slow with this batch
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Poll(ctx, submit) }()
	defer func() { cancel(); <-done }()
	srv.PushCallback(66101, 3, "cs:yes")
	<-submitted
	waited := time.After(3 * time.Second)
	for len(srv.Requests("answerCallbackQuery")) == 0 {
		select {
		case <-waited:
			t.Fatal("the press was not answered while the engine worked on it")
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(release)
}

// Pipelined polling stores each batch before confirming it: a process that
// dies before handling what it fetched loses nothing, since the next one
// handles the stored updates first, and Telegram does not send them again.
func TestPipelinedPollingLosesNothingOnACrash(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	var mu sync.Mutex
	var handled []string
	run := func(handle bool) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		enqueue := func(ctx context.Context, evs []flows.Event) error {
			if handle {
				mu.Lock()
				for _, ev := range evs {
					handled = append(handled, ev.Text)
				}
				mu.Unlock()
			}
			return nil // the crashing process never handles them
		}
		go func() { done <- c.PollPipelined(ctx, testDB, enqueue) }()
		return func() { cancel(); <-done }
	}
	stop := run(false)
	for _, text := range []string{"satu", "dua", "tiga"} {
		srv.PushText(66201, text)
	}
	waited := time.After(5 * time.Second)
	for {
		left, err := testDB.InboxWaiting(context.Background(), Channel, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 3 && len(srv.Requests("getUpdates")) >= 2 { // stored, then confirmed by the next getUpdates
			break
		}
		select {
		case <-waited:
			t.Fatalf("%d updates stored", len(left))
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	stop = run(true)
	defer stop()
	waited = time.After(5 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(handled, ",")
		mu.Unlock()
		if got == "satu,dua,tiga" {
			break
		}
		select {
		case <-waited:
			t.Fatalf("after the restart the engine got %q", got)
		case <-time.After(10 * time.Millisecond):
		}
	}
	time.Sleep(200 * time.Millisecond) // Telegram would have sent them again by now
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 3 {
		t.Errorf("handled %v: some came twice", handled)
	}
}
