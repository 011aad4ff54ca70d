package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// awaiting adds one never-paid registration in 61.71 for each chat.
func (e *bcEnv) awaiting(channel string, chats ...string) {
	e.t.Helper()
	for _, c := range chats {
		e.addWorker(worker{channel: channel, chat: c, regency: "61.71", district: "61.71.05", occupation: "petani"})
	}
}

func (e *bcEnv) claim(limit int) []flows.BroadcastItem {
	e.t.Helper()
	items, err := e.db.ClaimBroadcastItems(e.ctx, []string{"telegram", "web"}, limit)
	must(e.t, err)
	return items
}

// finish reports every item with the same state.
func (e *bcEnv) finish(items []flows.BroadcastItem, state string) {
	e.t.Helper()
	var rs []flows.BroadcastResult
	for _, it := range items {
		rs = append(rs, flows.BroadcastResult{BroadcastID: it.BroadcastID, Channel: it.Channel, ChatID: it.ChatID, State: state})
	}
	must(e.t, e.db.FinishBroadcastItems(e.ctx, rs))
}

func chatsOf(items []flows.BroadcastItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Channel+"/"+it.ChatID)
	}
	slices.Sort(out)
	return out
}

func (e *bcEnv) setStatus(id int64, status string) (flows.BroadcastProgress, error) {
	var p flows.BroadcastProgress
	err := e.admin(func(ctx context.Context, tx flows.Tx) (err error) {
		p, err = tx.SetBroadcastStatus(ctx, id, status)
		return err
	})
	return p, err
}

func (e *bcEnv) actions(id int64) []string {
	e.t.Helper()
	var out []string
	must(e.t, e.db.SQL().Select(&out, `SELECT actor || ' ' || action FROM audit_log WHERE subject = $1 ORDER BY id`, fmt.Sprintf("broadcast:%d", id)))
	return out
}

// Opted-out and unreachable chats are never claimed: left out at the start,
// and marked at claim time when it happened since; /aktifkan brings a chat
// back for the next broadcast.
func TestBroadcastOptOutAndUnreachable(t *testing.T) {
	e := newBcEnv(t)
	e.awaiting("telegram", "o1", "o2", "o3", "o4", "o5")
	if !e.optOut("telegram", "o2", true) || e.optOut("telegram", "o2", true) {
		t.Fatal("opting out twice: want a change, then none")
	}
	must(t, e.db.MarkUnreachable(e.ctx, "telegram", "o3", "403"))
	seg := flows.Segment{Standings: []string{flows.StandingAwaiting}}
	if n := e.count(seg); n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
	id := e.create(seg, time.Time{})
	e.start()
	if got := keys(e.recipients(id)); !slices.Equal(got, []string{"telegram/o1", "telegram/o4", "telegram/o5"}) {
		t.Fatalf("recipients %v", got)
	}
	// After the start: o4 opts out, o5 blocks the bot.
	e.optOut("telegram", "o4", true)
	must(t, e.db.MarkUnreachable(e.ctx, "telegram", "o5", "403"))
	items := e.claim(10)
	if got := chatsOf(items); !slices.Equal(got, []string{"telegram/o1"}) {
		t.Fatalf("claimed %v, want o1 only", got)
	}
	if st := e.recipients(id); st["telegram/o4"] != "opted_out" || st["telegram/o5"] != "blocked" {
		t.Errorf("states %v", st)
	}
	e.finish(items, "sent")
	if p := e.progress(id); p.Sent != 1 || p.OptedOut != 1 || p.Blocked != 1 || p.Queued != 0 || p.Done() != 3 {
		t.Errorf("progress %+v", p)
	}
	if done, err := flows.FinishBroadcasts(e.ctx, e.db, nil); err != nil || len(done) != 1 {
		t.Errorf("finished %v %v", done, err)
	}

	// /aktifkan, and o3 writes to the bot again (reachable).
	if !e.optOut("telegram", "o2", false) || e.optOut("telegram", "o2", false) {
		t.Fatal("opting in twice: want a change, then none")
	}
	must(t, e.db.Atomically(e.ctx, "telegram", "o3", func(ctx context.Context, tx flows.Tx) error {
		_, _, err := tx.Begin(ctx, "")
		return err
	}))
	id = e.create(seg, time.Time{})
	e.start()
	if got := keys(e.recipients(id)); !slices.Equal(got, []string{"telegram/o1", "telegram/o2", "telegram/o3"}) {
		t.Errorf("next broadcast's recipients %v", got)
	}
	if got := audited(t, e.db, "telegram:o2", "telegram:o4"); !slices.Equal(got, []string{
		"self:opt_out telegram:o2 ", "self:opt_out telegram:o4 ", "self:opt_in telegram:o2 "}) {
		t.Errorf("audit %q", got)
	}
}

// A process dies with a batch claimed: the rows it left "sending" become
// unknown (never resent), nothing else changes, and the broadcast finishes.
func TestBroadcastCrashLeavesUnknown(t *testing.T) {
	e := newBcEnv(t)
	for i := 1; i <= 10; i++ {
		e.awaiting("telegram", fmt.Sprintf("r%02d", i))
	}
	e.awaiting("web", "other")
	id := e.create(flows.Segment{Channels: []string{"telegram"}}, time.Time{})
	other := e.create(flows.Segment{Channels: []string{"web"}}, time.Time{})
	e.start()
	e.finish(e.claim(2), "sent")
	lost := e.claim(4) // the process dies here
	if len(lost) != 4 {
		t.Fatalf("claimed %d", len(lost))
	}
	if done, err := flows.FinishBroadcasts(e.ctx, e.db, nil); err != nil || len(done) != 0 {
		t.Errorf("finished with rows in flight: %v %v", done, err)
	}
	if p := e.progress(id); p.Queued != 8 || p.Sent != 2 {
		t.Errorf("in flight counts as queued: %+v", p)
	}
	before := e.recipients(id)

	n, err := e.db.RecoverBroadcasts(e.ctx)
	must(t, err)
	if n != 4 {
		t.Errorf("recovered %d, want 4", n)
	}
	after := e.recipients(id)
	for k, st := range after {
		want := before[k]
		if slices.Contains(chatsOf(lost), k) {
			want = "unknown"
		}
		if st != want {
			t.Errorf("%s: %s → %s, want %s", k, before[k], st, want)
		}
	}
	if p := e.progress(id); p.Unknown != 4 || p.Sent != 2 || p.Queued != 4 || p.Total != 10 {
		t.Errorf("progress %+v", p)
	}
	if st := e.recipients(other); st["web/other"] != "queued" {
		t.Errorf("the other broadcast's recipient: %v", st)
	}
	// The dead process's late report changes nothing.
	e.finish(lost, "sent")
	if p := e.progress(id); p.Unknown != 4 {
		t.Errorf("a late report overwrote unknown: %+v", p)
	}

	rest := e.claim(20)
	for _, it := range rest {
		if slices.Contains(chatsOf(lost), it.Channel+"/"+it.ChatID) {
			t.Errorf("%s resent", it.ChatID)
		}
	}
	if len(rest) != 5 { // 4 of id, 1 of other
		t.Errorf("claimed %v", chatsOf(rest))
	}
	e.finish(rest, "sent")
	done, err := flows.FinishBroadcasts(e.ctx, e.db, nil)
	must(t, err)
	if len(done) != 2 || done[0].ID != id || done[0].Sent != 6 || done[0].Unknown != 4 || done[0].Done() != 10 {
		t.Errorf("finished %+v", done)
	}
	if n, err := e.db.RecoverBroadcasts(e.ctx); err != nil || n != 0 {
		t.Errorf("recovered again: %d %v", n, err)
	}
}

// Pause stops claiming, resume restarts it, cancel ends it for good; any
// other move is refused; each is audited.
func TestBroadcastPauseResumeCancel(t *testing.T) {
	e := newBcEnv(t)
	e.awaiting("telegram", "p1", "p2", "p3", "p4", "p5")
	id := e.create(flows.Segment{}, time.Time{})
	e.start()

	p, err := e.setStatus(id, flows.BroadcastPaused)
	must(t, err)
	if p.Status != flows.BroadcastPaused || p.Queued != 5 {
		t.Errorf("paused: %+v", p)
	}
	if items := e.claim(10); len(items) != 0 {
		t.Errorf("claimed %v while paused", chatsOf(items))
	}
	if active, err := e.db.ActiveBroadcasts(e.ctx); err != nil || len(active) != 1 || active[0].Status != flows.BroadcastPaused {
		t.Errorf("active %+v %v", active, err)
	}
	if _, err := e.setStatus(id, flows.BroadcastPaused); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("paused twice: %v", err)
	}
	_, err = e.setStatus(id, flows.BroadcastRunning)
	must(t, err)
	inFlight := e.claim(2)
	if len(inFlight) != 2 {
		t.Fatalf("claimed %d after resuming", len(inFlight))
	}
	// Paused with a batch on its way: the batch's results still count.
	_, err = e.setStatus(id, flows.BroadcastPaused)
	must(t, err)
	e.finish(inFlight, "sent")
	if done, err := flows.FinishBroadcasts(e.ctx, e.db, nil); err != nil || len(done) != 0 {
		t.Errorf("a paused broadcast finished: %v %v", done, err)
	}
	_, err = e.setStatus(id, flows.BroadcastRunning)
	must(t, err)
	p, err = e.setStatus(id, flows.BroadcastCancelled)
	must(t, err)
	if p.Status != flows.BroadcastCancelled || p.Sent != 2 || p.Queued != 0 || p.Total != 5 || p.FinishedAt.IsZero() {
		t.Errorf("cancelled: %+v", p)
	}
	if n := len(e.recipients(id)); n != 5 {
		t.Errorf("%d recipients", n)
	}
	var cancelled int
	must(t, e.db.SQL().Get(&cancelled, `SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = $1 AND state = 'cancelled'`, id))
	if cancelled != 3 {
		t.Errorf("%d cancelled rows, want 3", cancelled)
	}
	if items := e.claim(10); len(items) != 0 {
		t.Errorf("claimed %v after cancelling", chatsOf(items))
	}
	for _, move := range []string{flows.BroadcastRunning, flows.BroadcastPaused, flows.BroadcastCancelled, flows.BroadcastDone, flows.BroadcastScheduled, "bogus"} {
		if _, err := e.setStatus(id, move); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("cancelled → %s: %v", move, err)
		}
	}
	if _, err := e.setStatus(9999, flows.BroadcastCancelled); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("no such broadcast: %v", err)
	}

	// A scheduled one cannot be paused, but can be cancelled: it never starts.
	later := e.create(flows.Segment{}, bcToday.Add(time.Hour))
	if _, err := e.setStatus(later, flows.BroadcastPaused); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("scheduled → paused: %v", err)
	}
	_, err = e.setStatus(later, flows.BroadcastCancelled)
	must(t, err)
	e.clk.Set(bcToday.Add(2 * time.Hour))
	if started := e.start(); len(started) != 0 {
		t.Errorf("started %v", started)
	}
	if active, err := e.db.ActiveBroadcasts(e.ctx); err != nil || len(active) != 0 {
		t.Errorf("active %+v %v", active, err)
	}

	var recent []flows.BroadcastProgress
	must(t, e.admin(func(ctx context.Context, tx flows.Tx) (err error) {
		recent, err = tx.RecentBroadcasts(ctx, 10)
		return err
	}))
	if len(recent) != 2 || recent[0].ID != later || recent[1].ID != id || recent[1].Sent != 2 || recent[0].Total != 0 || recent[1].CreatedBy != "t:boss" {
		t.Errorf("recent %+v", recent)
	}
	if got := e.actions(id); !slices.Equal(got, []string{"t:boss broadcast:create", "t:boss broadcast:paused", "t:boss broadcast:running",
		"t:boss broadcast:paused", "t:boss broadcast:running", "t:boss broadcast:cancelled"}) {
		t.Errorf("audit %q", got)
	}
}

// A broadcast for later starts when the clock passes its time, with the
// recipients of that moment; one that reaches nobody is done at once.
func TestBroadcastScheduledStartsOnTime(t *testing.T) {
	e := newBcEnv(t)
	e.awaiting("telegram", "s1", "s2")
	at := bcToday.Add(time.Hour)
	id := e.create(flows.Segment{}, at)
	if started := e.start(); len(started) != 0 {
		t.Fatalf("started %v before its time", started)
	}
	if p := e.progress(id); p.Status != flows.BroadcastScheduled || p.Total != 0 || !p.StartedAt.IsZero() || !p.ScheduledAt.Equal(at) {
		t.Errorf("scheduled: %+v", p)
	}
	e.clk.Set(at.Add(-time.Second))
	e.awaiting("telegram", "s3") // registered before the start: included
	if started := e.start(); len(started) != 0 {
		t.Fatalf("started %v a second early", started)
	}
	if items := e.claim(10); len(items) != 0 {
		t.Errorf("claimed %v before the start", chatsOf(items))
	}
	e.clk.Set(at)
	if started := e.start(); !slices.Equal(started, []int64{id}) {
		t.Fatalf("started %v, want [%d]", started, id)
	}
	e.awaiting("telegram", "s4") // after the start: not
	if p := e.progress(id); p.Total != 3 || p.Status != flows.BroadcastRunning || !p.StartedAt.Equal(at) {
		t.Errorf("started: %+v", p)
	}
	if got := chatsOf(e.claim(10)); !slices.Equal(got, []string{"telegram/s1", "telegram/s2", "telegram/s3"}) {
		t.Errorf("claimed %v", got)
	}

	nobody := e.create(flows.Segment{Channels: []string{"whatsapp"}}, time.Time{})
	if started := e.start(); !slices.Equal(started, []int64{nobody}) {
		t.Errorf("started %v", started)
	}
	if p := e.progress(nobody); p.Status != flows.BroadcastDone || p.Total != 0 || !p.FinishedAt.Equal(at) {
		t.Errorf("a broadcast to nobody: %+v", p)
	}
	if done, err := flows.FinishBroadcasts(e.ctx, e.db, nil); err != nil || len(done) != 0 {
		t.Errorf("finished %+v %v", done, err)
	}
}

// A recipient to retry waits for its time; results say what happened.
func TestBroadcastRetryWaits(t *testing.T) {
	e := newBcEnv(t)
	e.awaiting("telegram", "q1", "q2", "q3")
	id := e.create(flows.Segment{}, time.Time{})
	e.start()
	items := e.claim(10)
	if len(items) != 3 {
		t.Fatalf("claimed %d", len(items))
	}
	retryAt := bcToday.Add(10 * time.Minute)
	must(t, e.db.FinishBroadcastItems(e.ctx, []flows.BroadcastResult{
		{BroadcastID: id, Channel: "telegram", ChatID: "q1", State: "queued", Error: "429", RetryAt: retryAt},
		{BroadcastID: id, Channel: "telegram", ChatID: "q2", State: "failed", Error: "400 bad request"},
		{BroadcastID: id, Channel: "telegram", ChatID: "q3", State: "blocked", Error: "403"},
	}))
	if got := e.claim(10); len(got) != 0 {
		t.Errorf("claimed %v before its retry time", chatsOf(got))
	}
	e.clk.Set(retryAt.Add(-time.Second))
	if got := e.claim(10); len(got) != 0 {
		t.Errorf("claimed %v a second early", chatsOf(got))
	}
	if done, err := flows.FinishBroadcasts(e.ctx, e.db, nil); err != nil || len(done) != 0 {
		t.Errorf("finished with a retry waiting: %v %v", done, err)
	}
	e.clk.Set(retryAt)
	got := e.claim(10)
	if len(got) != 1 || got[0].ChatID != "q1" || got[0].Attempts != 2 {
		t.Fatalf("claimed %+v", got)
	}
	e.finish(got, "sent")
	if p := e.progress(id); p.Sent != 1 || p.Failed != 1 || p.Blocked != 1 || p.Queued != 0 {
		t.Errorf("progress %+v", p)
	}
	var errs []string // the last result's: q1's 429 was followed by a success
	must(t, e.db.SQL().Select(&errs, `SELECT error FROM broadcast_recipients WHERE broadcast_id = $1 ORDER BY chat_id`, id))
	if !slices.Equal(errs, []string{"", "400 bad request", "403"}) {
		t.Errorf("errors %q", errs)
	}
	if err := e.db.FinishBroadcastItems(e.ctx, []flows.BroadcastResult{{BroadcastID: id, Channel: "telegram", ChatID: "q1", State: "unknown"}}); err == nil {
		t.Error("a result of state unknown was taken")
	}
	if items, err := e.db.ClaimBroadcastItems(e.ctx, []string{"telegram"}, 0); err != nil || items != nil {
		t.Errorf("limit 0: %v %v", items, err)
	}
}

// The worker's reads and writes around a broadcast, and the CLI's.
func TestBroadcastMessageReportAndCLI(t *testing.T) {
	e := newBcEnv(t)
	e.awaiting("web", "m1")
	id, err := e.db.CreateBroadcastAs(e.ctx, "cli:root", flows.Broadcast{Segment: flows.Segment{Channels: []string{"web"}}, Text: "Bayar _sebelum_ Jumat",
		Button: flows.ButtonStatus, ReportChannel: "telegram", ReportChat: "42"})
	must(t, err)
	text, button, err := e.db.BroadcastMessage(e.ctx, id)
	must(t, err)
	if text != "Bayar _sebelum_ Jumat" || button != flows.ButtonStatus {
		t.Errorf("message %q %q", text, button)
	}
	if _, _, err := e.db.BroadcastMessage(e.ctx, id+1); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("no such broadcast: %v", err)
	}
	must(t, e.db.SetBroadcastProgressRef(e.ctx, id, "msg-7"))
	if err := e.db.SetBroadcastProgressRef(e.ctx, id+1, "x"); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("no such broadcast: %v", err)
	}
	e.start()
	active, err := e.db.ActiveBroadcasts(e.ctx)
	must(t, err)
	if len(active) != 1 || active[0].ProgressRef != "msg-7" || active[0].ReportChannel != "telegram" || active[0].ReportChat != "42" ||
		active[0].CreatedBy != "cli:root" || active[0].Text != "Bayar _sebelum_ Jumat" || active[0].Total != 1 {
		t.Errorf("active %+v", active)
	}
	if got := e.actions(id); len(got) != 1 || got[0] != "cli:root broadcast:create" {
		t.Errorf("audit %q", got)
	}
	if _, err := e.db.BroadcastProgressOf(e.ctx, id+1); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("no such broadcast: %v", err)
	}
	must(t, e.db.QueueReplies(e.ctx, "telegram", "42", []flows.Reply{{Text: "selesai"}}))
	out, err := e.db.PendingFor(e.ctx, "telegram", "42")
	must(t, err)
	if len(out) != 1 || out[0].Reply.Text != "selesai" {
		t.Errorf("report queued: %+v", out)
	}
	// From a chat, the report goes to the admin's own chat by default.
	chatID := e.create(flows.Segment{}, time.Time{})
	if p := e.progress(chatID); p.ReportChannel != "t" || p.ReportChat != "boss" || p.CreatedBy != "t:boss" {
		t.Errorf("from a chat: %+v", p)
	}
}
