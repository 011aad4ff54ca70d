package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/vault"
)

var dsn string

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &dsn)) }

// fakeSender records what it delivers and fails as told, per chat.
type fakeSender struct {
	mu   sync.Mutex
	got  map[string][]string
	fail map[string]error
}

func newFakeSender() *fakeSender {
	return &fakeSender{got: map[string][]string{}, fail: map[string]error{}}
}

func (f *fakeSender) Send(ctx context.Context, chatID string, r flows.Reply) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail[chatID]; err != nil {
		return err
	}
	if err := f.fail[r.Text]; err != nil {
		return err
	}
	f.got[chatID] = append(f.got[chatID], r.Text)
	return nil
}

func (f *fakeSender) texts(chat string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got[chat]...)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T) (*store.DB, *fakeClock, string) {
	t.Helper()
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	v, _ := vault.New(bytes.Repeat([]byte{1}, 32))
	db, err := store.Open(ctx, dsn, v, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	channel := fmt.Sprintf("fake%d", clock.Now().UnixNano())
	return db, clk, channel
}

func queue(t *testing.T, db *store.DB, channel, chat string, texts ...string) {
	t.Helper()
	var replies []flows.Reply
	for _, s := range texts {
		replies = append(replies, flows.Reply{Text: s})
	}
	err := db.Atomically(context.Background(), channel, chat, func(ctx context.Context, tx flows.Tx) error {
		return tx.Send(ctx, replies)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func deliverer(db *store.DB, clk *fakeClock, channel string, s bot.Sender) *bot.Deliverer {
	return &bot.Deliverer{Outbox: db, Senders: map[string]bot.Sender{channel: s}, Rate: 1000, PerChat: time.Second, Now: clk.Now}
}

func TestDeliveryKeepsOrderAndTheGapPerChat(t *testing.T) {
	db, clk, ch := setup(t)
	ctx := context.Background()
	queue(t, db, ch, "a", "a1", "a2", "a3", "a4", "a5")
	queue(t, db, ch, "b", "b1")
	// The terminal's replies are not the deliverer's to send.
	queue(t, db, "console", "1", "terminal")
	s := newFakeSender()
	d := deliverer(db, clk, ch, s)
	n, wait, err := d.Round(ctx, []string{ch})
	if err != nil || n != 6 {
		t.Fatalf("round: %d, %v", n, err)
	}
	// A burst of three (one answer in several messages), then one a second.
	if got := strings.Join(s.texts("a"), ","); got != "a1,a2,a3" {
		t.Fatalf("first round sent %v to a: a burst of three per chat", got)
	}
	if len(s.texts("b")) != 1 || wait <= 0 || wait > time.Second {
		t.Fatalf("b got %v, wait %v", s.texts("b"), wait)
	}
	if _, _, err := d.Round(ctx, []string{ch}); err != nil || len(s.texts("a")) != 3 {
		t.Fatalf("no time passed, yet a got %v (%v)", s.texts("a"), err)
	}
	for range 2 {
		clk.Add(time.Second)
		if _, _, err := d.Round(ctx, []string{ch}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(s.texts("a"), ","); got != "a1,a2,a3,a4,a5" {
		t.Fatalf("a got %v", got)
	}
	left, _ := db.Pending(ctx, []string{ch}, nil, 10)
	if len(left) != 0 {
		t.Fatalf("left: %+v", left)
	}
	if c, _ := db.PendingFor(ctx, "console", "1"); len(c) != 1 {
		t.Errorf("console reply touched")
	}
}

func TestDeliveryFailures(t *testing.T) {
	db, clk, ch := setup(t)
	ctx := context.Background()
	queue(t, db, ch, "blocked", "x1", "x2")
	queue(t, db, ch, "flaky", "f1", "f2")
	queue(t, db, ch, "bad", "bad1", "bad2")
	queue(t, db, ch, "ok", "ok1")
	s := newFakeSender()
	s.fail["blocked"] = &bot.SendError{Kind: bot.Unreachable, Err: errors.New("Forbidden: bot was blocked by the user")}
	s.fail["flaky"] = errors.New("connection reset")
	s.fail["bad1"] = &bot.SendError{Kind: bot.Permanent, Err: errors.New("Bad Request: message text is empty")}
	d := deliverer(db, clk, ch, s)
	if _, _, err := d.Round(ctx, []string{ch}); err != nil {
		t.Fatal(err)
	}
	if len(s.texts("ok")) != 1 {
		t.Fatalf("ok chat got %v", s.texts("ok"))
	}
	if u, _ := db.Unreachable(ctx, ch, "blocked"); !u {
		t.Error("blocked chat not marked unreachable")
	}
	// The permanently failing reply was dropped and the next one of that chat went;
	// the flaky chat waits for its retry; the unreachable chat's replies are given up.
	delete(s.fail, "flaky")
	clk.Add(1500 * time.Millisecond)
	if _, _, err := d.Round(ctx, []string{ch}); err != nil {
		t.Fatal(err)
	}
	if got := s.texts("bad"); len(got) != 1 || got[0] != "bad2" {
		t.Errorf("bad chat got %v", got)
	}
	if got := strings.Join(s.texts("flaky"), ","); got != "f1,f2" {
		t.Errorf("flaky chat got %v after its backoff", got)
	}
	if len(s.texts("blocked")) != 0 {
		t.Errorf("blocked chat got %v", s.texts("blocked"))
	}
	// Writing to the bot again makes a chat reachable.
	db.Atomically(ctx, ch, "blocked", func(ctx context.Context, tx flows.Tx) error {
		_, _, err := tx.Begin(ctx, "")
		return err
	})
	if u, _ := db.Unreachable(ctx, ch, "blocked"); u {
		t.Error("chat still unreachable after it wrote")
	}
}

func TestThrottledPausesTheChannel(t *testing.T) {
	db, clk, ch := setup(t)
	ctx := context.Background()
	queue(t, db, ch, "a", "a1")
	queue(t, db, ch, "b", "b1")
	s := newFakeSender()
	s.fail["a"] = &bot.SendError{Kind: bot.Throttled, RetryAfter: 5 * time.Second, Err: errors.New("Too Many Requests: retry after 5")}
	d := deliverer(db, clk, ch, s)
	d.Workers = 1 // one send at a time: nothing else was in flight at the 429
	_, wait, err := d.Round(ctx, []string{ch})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.texts("b")) != 0 || wait < 4*time.Second {
		t.Fatalf("after a 429: b got %v, wait %v (the whole channel pauses)", s.texts("b"), wait)
	}
	delete(s.fail, "a")
	clk.Add(3 * time.Second)
	d.Round(ctx, []string{ch})
	if len(s.texts("b")) != 0 {
		t.Fatal("sent during the pause")
	}
	clk.Add(3 * time.Second)
	d.Round(ctx, []string{ch})
	if len(s.texts("a")) != 1 || len(s.texts("b")) != 1 {
		t.Fatalf("after the pause: a %v, b %v", s.texts("a"), s.texts("b"))
	}
}

// leases adapts the store's leases to the deliverer.
type leases struct{ db *store.DB }

func (l leases) TryLease(ctx context.Context, name string) (bot.Lease, bool, error) {
	le, ok, err := l.db.TryLease(ctx, name)
	if !ok {
		return nil, false, err
	}
	return le, true, nil
}

func TestOnlyOneProcessDelivers(t *testing.T) {
	db1, clk, ch := setup(t)
	db2, _, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s1, s2 := newFakeSender(), newFakeSender()
	d1 := deliverer(db1, clk, ch, s1)
	d2 := deliverer(db2, clk, ch, s2)
	d1.Leases, d2.Leases = leases{db1}, leases{db2}
	d1.Interval, d2.Interval = 10*time.Millisecond, 10*time.Millisecond
	var wg sync.WaitGroup
	for _, d := range []*bot.Deliverer{d1, d2} {
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(ctx) }()
	}
	for i := range 20 {
		queue(t, db1, ch, fmt.Sprint("c", i), "hello")
	}
	waited := clock.Start()
	for waited.Elapsed() < 10*time.Second {
		if left, _ := db1.Pending(ctx, []string{ch}, nil, 1); len(left) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	n1, n2 := 0, 0
	for i := range 20 {
		n1 += len(s1.texts(fmt.Sprint("c", i)))
		n2 += len(s2.texts(fmt.Sprint("c", i)))
	}
	if n1+n2 != 20 || (n1 != 0 && n2 != 0) {
		t.Fatalf("process 1 sent %d, process 2 sent %d: want 20 from exactly one", n1, n2)
	}
}

// A limit on one chat (WhatsApp's pair rate, 131056) delays that chat by
// the wait it names, and only that chat.
func TestPairRateDelaysTheChat(t *testing.T) {
	db, clk, ch := setup(t)
	ctx := context.Background()
	queue(t, db, ch, "busy", "p1", "p2")
	queue(t, db, ch, "other", "o1")
	s := newFakeSender()
	s.fail["busy"] = &bot.SendError{Kind: bot.Retryable, RetryAfter: 6 * time.Second, Err: errors.New("(#131056) pair rate limit hit")}
	d := deliverer(db, clk, ch, s)
	if _, _, err := d.Round(ctx, []string{ch}); err != nil {
		t.Fatal(err)
	}
	if len(s.texts("other")) != 1 {
		t.Fatalf("another chat waited: %v", s.texts("other"))
	}
	delete(s.fail, "busy")
	clk.Add(3 * time.Second) // past the plain backoff of a first failure, not the pair rate's wait
	d.Round(ctx, []string{ch})
	if len(s.texts("busy")) != 0 {
		t.Fatalf("sent before the chat's wait: %v", s.texts("busy"))
	}
	clk.Add(4 * time.Second)
	d.Round(ctx, []string{ch})
	d.Round(ctx, []string{ch})
	if got := strings.Join(s.texts("busy"), ","); got != "p1,p2" {
		t.Fatalf("after the wait: %q", got)
	}
}
