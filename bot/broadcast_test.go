package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
)

// texts renders broadcasts plainly, for the fake sender to record.
type texts struct{}

func (texts) BroadcastReply(lang, text, button string) flows.Reply { return flows.Reply{Text: text} }
func (texts) BroadcastProgressReply(p flows.BroadcastProgress, now time.Time) flows.Reply {
	return flows.Reply{Text: fmt.Sprintf("progress %d/%d", p.Sent, p.Total)}
}
func (texts) BroadcastReportReply(p flows.BroadcastProgress) flows.Reply {
	return flows.Reply{Text: fmt.Sprintf("report %d sent", p.Sent)}
}

// seed registers n linked workers on a channel, chats c1…cn.
func seed(t *testing.T, db *store.DB, channel string, n int) {
	t.Helper()
	db.SQL().MustExec(`INSERT INTO registrations (ref, channel, chat_id, name, status, created_at, updated_at)
		SELECT $1 || '-' || g, $1, 'c' || g, 'Warga', 'menunggu_pembayaran', now(), now() FROM generate_series(1, $2::int) g`, channel, n)
}

func broadcastTo(t *testing.T, db *store.DB, channel, text string) int64 {
	t.Helper()
	id, err := db.CreateBroadcastAs(context.Background(), "test:admin", flows.Broadcast{Segment: flows.Segment{Channels: []string{channel}}, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// runFor runs the deliverer in the background until the test ends.
func runFor(t *testing.T, d *bot.Deliverer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waited := clock.Start()
	for !cond() {
		if waited.Elapsed() > 10*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func progress(t *testing.T, db *store.DB, id int64) flows.BroadcastProgress {
	t.Helper()
	p, err := db.BroadcastProgressOf(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBroadcastRepliesFirstThenEachOnce(t *testing.T) {
	db, clk, ch := setup(t)
	seed(t, db, ch, 120)
	queue(t, db, ch, "c7", "a reply")
	id := broadcastTo(t, db, ch, "hello all")
	// A chat that blocked the bot, one that opted out.
	s := newFakeSender()
	s.fail["c3"] = &bot.SendError{Kind: bot.Unreachable, Err: fmt.Errorf("403 blocked")}
	db.SQL().MustExec(`INSERT INTO opt_outs (channel, chat_id, at) VALUES ($1, 'c4', now())`, ch)

	d := deliverer(db, clk, ch, s)
	d.Broadcasts, d.Texts, d.PerChat = db, texts{}, time.Millisecond
	runFor(t, d)
	// The clock moves on, so the chat that just got a reply has its turn again.
	waitUntil(t, "the broadcast to finish", func() bool { clk.Add(100 * time.Millisecond); return progress(t, db, id).Status == flows.BroadcastDone })
	p := progress(t, db, id)
	if p.Total != 119 || p.Sent != 118 || p.Blocked != 1 || p.Unknown != 0 {
		t.Errorf("progress %+v: want 119 recipients (one opted out), 118 sent, 1 blocked", p)
	}
	for i := 1; i <= 120; i++ {
		got := strings.Join(s.texts(fmt.Sprintf("c%d", i)), "|")
		want := "hello all"
		switch i {
		case 3, 4:
			want = ""
		case 7:
			want = "a reply|hello all" // the conversation's reply went first
		}
		if got != want {
			t.Errorf("c%d got %q, want %q", i, got, want)
		}
	}
}

func TestBroadcastWaitsOutQuietHours(t *testing.T) {
	db, clk, ch := setup(t)
	seed(t, db, ch, 5)
	cfg := flows.DefaultConfig() // quiet 21:00–07:00 WIB
	clk.Add(-clk.Now().Sub(time.Date(2026, 11, 25, 22, 30, 0, 0, cfg.Location)))
	id := broadcastTo(t, db, ch, "malam")
	s := newFakeSender()
	d := deliverer(db, clk, ch, s)
	d.Broadcasts, d.Texts, d.Quiet, d.PerChat = db, texts{}, cfg.Quiet, time.Millisecond
	runFor(t, d)
	time.Sleep(1500 * time.Millisecond) // an upkeep and several rounds
	if p := progress(t, db, id); p.Status != flows.BroadcastScheduled || len(s.texts("c1")) != 0 {
		t.Fatalf("during the quiet hours: %+v, c1 got %v", p, s.texts("c1"))
	}
	clk.Add(9 * time.Hour) // 07:30
	waitUntil(t, "the morning", func() bool { return progress(t, db, id).Status == flows.BroadcastDone })
	if got := s.texts("c5"); len(got) != 1 {
		t.Errorf("c5 got %v", got)
	}
}

func TestBroadcastAfterACrashCountsUnknown(t *testing.T) {
	db, clk, ch := setup(t)
	seed(t, db, ch, 30)
	id := broadcastTo(t, db, ch, "once")
	ctx := context.Background()
	if _, err := db.StartBroadcasts(ctx); err != nil {
		t.Fatal(err)
	}
	// A process claims a batch and dies before marking it.
	inFlight, err := db.ClaimBroadcastItems(ctx, []string{ch}, 10)
	if err != nil || len(inFlight) != 10 {
		t.Fatalf("claim: %d, %v", len(inFlight), err)
	}
	s := newFakeSender()
	d := deliverer(db, clk, ch, s)
	d.Broadcasts, d.Texts, d.PerChat = db, texts{}, time.Millisecond
	runFor(t, d)
	waitUntil(t, "the rest", func() bool { return progress(t, db, id).Status == flows.BroadcastDone })
	p := progress(t, db, id)
	if p.Sent != 20 || p.Unknown != 10 {
		t.Errorf("progress %+v: want 20 sent and the 10 in flight unknown", p)
	}
	for _, it := range inFlight {
		if got := s.texts(it.ChatID); len(got) != 0 {
			t.Errorf("%s was in flight and got %v again", it.ChatID, got)
		}
	}
}

// editor records progress messages sent and edited.
type editor struct {
	fakeSender
	edits []string // "chat ref text choices"
	sent  int
}

func (e *editor) SendEditable(ctx context.Context, chatID string, r flows.Reply) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sent++
	return fmt.Sprint("m", e.sent), nil
}

func (e *editor) Edit(ctx context.Context, chatID, ref string, r flows.Reply) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.edits = append(e.edits, fmt.Sprintf("%s %s %s %d", chatID, ref, r.Text, len(r.Choices)))
	return nil
}

func (e *editor) seen() ([]string, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.edits...), e.sent
}

// A cancelled broadcast's progress message is edited once more (cancelled,
// without its pause and cancel buttons); one cancelled before it started,
// with no progress message, gets none.
func TestCancelledBroadcastClosesItsProgressMessage(t *testing.T) {
	db, clk, ch := setup(t)
	seed(t, db, ch, 3)
	running, never := broadcastTo(t, db, ch, "Halo"), broadcastTo(t, db, ch, "Nanti")
	db.SQL().MustExec(`UPDATE broadcasts SET status = 'cancelled', started_at = $2, finished_at = $2, report_channel = 'test', report_chat = 'admin'
		WHERE id = ANY($1)`, fmt.Sprintf("{%d,%d}", running, never), clk.Now())
	if err := db.SetBroadcastProgressRef(context.Background(), running, "m9"); err != nil {
		t.Fatal(err)
	}
	ed := &editor{fakeSender: *newFakeSender()}
	d := &bot.Deliverer{Outbox: db, Senders: map[string]bot.Sender{"test": ed}, Rate: 1000, PerChat: time.Millisecond, Now: clk.Now,
		Broadcasts: db, Texts: texts{}, Interval: 5 * time.Millisecond}
	runFor(t, d)
	waitUntil(t, "the progress message edited", func() bool { edits, _ := ed.seen(); return len(edits) > 0 })
	edits, sent := ed.seen()
	if edits[0] != "admin m9 progress 0/0 0" || sent != 0 {
		t.Errorf("edits %q, %d new progress messages", edits, sent)
	}
	// Once edited, it is closed: later rounds leave it alone.
	waitUntil(t, "the progress message closed", func() bool {
		var closed bool
		db.SQL().Get(&closed, `SELECT progress_closed_at IS NOT NULL FROM broadcasts WHERE id = $1`, running)
		return closed
	})
	if active, err := db.ActiveBroadcasts(context.Background()); err != nil || len(active) != 0 {
		t.Errorf("still active: %+v, %v", active, err)
	}
}
