package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// slowSender takes a while per send (a network round trip) and counts the
// sends in flight; one chat may answer 429 once.
type slowSender struct {
	rtt      time.Duration
	mu       sync.Mutex
	got      map[string][]string
	inFlight int
	most     int
	throttle string // this chat's first send answers 429
	after429 int    // sends started after the 429 was answered
	answered bool   // the 429 was answered
}

func (s *slowSender) Send(ctx context.Context, chatID string, r flows.Reply) error {
	s.mu.Lock()
	if s.answered {
		s.after429++
	}
	s.inFlight++
	s.most = max(s.most, s.inFlight)
	throttle := chatID == s.throttle && !s.answered
	s.mu.Unlock()
	time.Sleep(s.rtt)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if throttle {
		s.answered = true
		return &bot.SendError{Kind: bot.Throttled, RetryAfter: 3 * time.Second, Err: errors.New("Too Many Requests: retry after 3")}
	}
	s.got[chatID] = append(s.got[chatID], r.Text)
	return nil
}

// Many sends are in flight at once, and each chat's replies still arrive in
// commit order.
func TestConcurrentDeliveryKeepsEachChatsOrder(t *testing.T) {
	db, clk, ch := setup(t)
	ctx := context.Background()
	const chats, each = 60, 3
	for c := range chats {
		var texts []string
		for i := range each {
			texts = append(texts, fmt.Sprintf("c%d-%d", c, i))
		}
		queue(t, db, ch, fmt.Sprint("c", c), texts...)
	}
	s := &slowSender{rtt: 10 * time.Millisecond, got: map[string][]string{}}
	d := deliverer(db, clk, ch, s)
	d.Workers = 32
	if _, _, err := d.Round(ctx, []string{ch}); err != nil {
		t.Fatal(err)
	}
	for c := range chats {
		want := fmt.Sprintf("c%d-0,c%d-1,c%d-2", c, c, c)
		if got := strings.Join(s.got[fmt.Sprint("c", c)], ","); got != want {
			t.Errorf("c%d got %s, want %s", c, got, want)
		}
	}
	if s.most < 16 {
		t.Errorf("at most %d sends in flight, want many", s.most)
	}
	if left, _ := db.Pending(ctx, []string{ch}, nil, 10); len(left) != 0 {
		t.Errorf("%d replies left unmarked", len(left))
	}
}

// A 429 in the middle of concurrent sends pauses all of them: no new send
// starts after it until retry_after, then the rest goes.
func TestThrottleStopsTheSendsInFlight(t *testing.T) {
	db, clk, ch := setup(t)
	ctx := context.Background()
	for c := range 100 {
		queue(t, db, ch, fmt.Sprint("c", c), fmt.Sprint("m", c))
	}
	s := &slowSender{rtt: 20 * time.Millisecond, got: map[string][]string{}, throttle: "c5"}
	d := deliverer(db, clk, ch, s)
	d.Workers = 8
	_, wait, err := d.Round(ctx, []string{ch})
	if err != nil {
		t.Fatal(err)
	}
	if wait < 2*time.Second {
		t.Errorf("after a 429 the next round is in %v, want retry_after", wait)
	}
	// Those already waiting on the wire may finish; nothing new starts.
	if s.after429 > d.Workers {
		t.Errorf("%d sends started after the 429 (at most the %d in flight)", s.after429, d.Workers)
	}
	sent := 0
	for _, g := range s.got {
		sent += len(g)
	}
	if sent >= 99 {
		t.Fatalf("%d sent despite the pause", sent)
	}
	clk.Add(2 * time.Second)
	d.Round(ctx, []string{ch})
	now := 0
	for _, g := range s.got {
		now += len(g)
	}
	if now != sent {
		t.Fatalf("%d sent during the pause", now-sent)
	}
	clk.Add(2 * time.Second)
	for range 3 {
		d.Round(ctx, []string{ch})
	}
	for c := range 100 {
		if got := s.got[fmt.Sprint("c", c)]; len(got) != 1 {
			t.Errorf("c%d got %v after the pause", c, got)
		}
	}
}

// notifySender reports each send's text as it happens.
type notifySender struct{ got chan string }

func (n notifySender) Send(ctx context.Context, chatID string, r flows.Reply) error {
	n.got <- r.Text
	return nil
}

// A reply committed by another process wakes the delivering process
// through NOTIFY: it goes out at once, not at the next look (here 10 s).
func TestReplyFromAnotherProcessIsSentAtOnce(t *testing.T) {
	db, _, _ := setup(t)
	other, _, _ := setup(t) // the second process: its own pool; it does not deliver
	other.AnnounceReplies(func() bool { return true })
	const channel = "telegram"
	s := notifySender{got: make(chan string, 4)}
	d := &bot.Deliverer{Outbox: db, Senders: map[string]bot.Sender{channel: s}, Rate: 1000, Interval: 10 * time.Second, Changes: db}
	runFor(t, d)
	time.Sleep(300 * time.Millisecond) // the first look and the LISTEN are done
	chat := "notify-1"
	waited := clock.Start()
	queue(t, other, channel, chat, "dari proses lain")
	select {
	case got := <-s.got:
		if got != "dari proses lain" {
			t.Errorf("sent %q", got)
		}
		if took := waited.Elapsed(); took > 100*time.Millisecond {
			t.Errorf("sent %v after its commit, want within 100 ms", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a reply committed elsewhere waited for the next look")
	}
}
