package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// Broadcasts is where broadcasts and their recipients wait (the store). A
// recipient is claimed ("sending") before it is sent to and marked after, in
// batches; rows a dead process left "sending" are recovered as "unknown",
// never resent.
type Broadcasts interface {
	StartBroadcasts(ctx context.Context) ([]int64, error)
	ClaimBroadcastItems(ctx context.Context, channels []string, limit int) ([]flows.BroadcastItem, error)
	FinishBroadcastItems(ctx context.Context, results []flows.BroadcastResult) error
	RecoverBroadcasts(ctx context.Context) (int, error)
	// The end of the running broadcasts with nobody left, each with its
	// report in the same transaction: flows.FinishBroadcasts.
	flows.BroadcastStore
	// ActiveBroadcasts: the running and paused ones, and the cancelled ones
	// whose progress message is not closed yet.
	ActiveBroadcasts(ctx context.Context) ([]flows.BroadcastProgress, error)
	// CloseBroadcastProgress: a cancelled broadcast's progress message says so.
	CloseBroadcastProgress(ctx context.Context, id int64) error
	BroadcastMessage(ctx context.Context, id int64) (text, button string, err error)
	BroadcastProgressOf(ctx context.Context, id int64) (flows.BroadcastProgress, error)
	SetBroadcastProgressRef(ctx context.Context, id int64, ref string) error
	// QueueReplies puts replies in a chat's outbox (the final report).
	QueueReplies(ctx context.Context, channel, chatID string, replies []flows.Reply) error
}

// BroadcastTexts renders what broadcasting says (flows.Engine).
type BroadcastTexts interface {
	BroadcastReply(lang, text, button string) flows.Reply
	BroadcastProgressReply(p flows.BroadcastProgress, now time.Time) flows.Reply
	BroadcastReportReply(p flows.BroadcastProgress) flows.Reply
}

// maxBroadcastAttempts is how often a recipient is tried before it counts as failed.
const maxBroadcastAttempts = 5

// broadcastBatch is how many recipients one round claims: about a second of
// sending at the channel's rate (so a conversation reply waits at most
// that long), between 1 and 500.
func (d *Deliverer) broadcastBatch() int {
	if d.BroadcastBatch > 0 {
		return d.BroadcastBatch
	}
	return max(1, min(500, int(d.Rate)))
}

// quiet reports whether broadcasts must wait now (quiet hours).
func (d *Deliverer) quiet() bool { return d.Quiet != nil && d.Quiet(d.Now()) }

// broadcastRound sends one batch of broadcast recipients, after the
// conversation replies: it is only called when the outbox has nothing due.
// It returns how many recipients it claimed.
func (d *Deliverer) broadcastRound(ctx context.Context, channels []string) (int, error) {
	if d.Broadcasts == nil || d.quiet() {
		return 0, nil
	}
	now := d.Now()
	var ready []string
	d.mu.Lock()
	for _, ch := range channels {
		if !now.Before(d.paused[ch]) {
			ready = append(ready, ch)
		}
	}
	d.mu.Unlock()
	if len(ready) == 0 {
		return 0, nil
	}
	items, err := d.Broadcasts.ClaimBroadcastItems(ctx, ready, d.broadcastBatch())
	if err != nil || len(items) == 0 {
		return 0, err
	}
	results := make([]flows.BroadcastResult, len(items))
	// Several sends at once: different chats, no order among them.
	workers := min(len(items), max(1, d.BroadcastWorkers))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = d.sendBroadcastItem(ctx, items[i])
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	// Marked even when ctx ends: what was sent must not stay "sending". A
	// database blip is retried; rows left "sending" would hold the broadcast
	// open until the next process counts them unknown.
	var err2 error
	for try := range 5 {
		if err2 = d.Broadcasts.FinishBroadcastItems(context.WithoutCancel(ctx), results); err2 == nil {
			break
		}
		d.Log.Warn("broadcast: mark recipients, will retry", "try", try+1, "err", err2)
		time.Sleep(time.Duration(try+1) * 500 * time.Millisecond)
	}
	if err2 != nil {
		return len(items), fmt.Errorf("mark %d broadcast recipients: %w", len(items), err2)
	}
	return len(items), nil
}

// sendBroadcastItem sends to one recipient and says what became of it.
func (d *Deliverer) sendBroadcastItem(ctx context.Context, it flows.BroadcastItem) flows.BroadcastResult {
	res := flows.BroadcastResult{BroadcastID: it.BroadcastID, Channel: it.Channel, ChatID: it.ChatID}
	retry := func(at time.Time, why string) flows.BroadcastResult {
		res.State, res.RetryAt, res.Error = "queued", at, why
		return res
	}
	key := it.Channel + "/" + it.ChatID
	now := d.Now()
	d.mu.Lock()
	pausedUntil := d.paused[it.Channel]
	d.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return retry(now, "stopping")
	case now.Before(pausedUntil):
		return retry(pausedUntil, "channel paused")
	}
	if ok, wait := d.takeChat(key, now); !ok {
		return retry(now.Add(wait), "")
	}
	text, button, err := d.broadcastMessage(ctx, it.BroadcastID)
	if err != nil {
		return retry(now.Add(time.Second), err.Error())
	}
	if err := d.limiters[it.Channel].Wait(ctx); err != nil {
		return retry(now, "stopping")
	}
	// A 429 may have paused the channel while this one waited for its turn.
	d.mu.Lock()
	pausedUntil = d.paused[it.Channel]
	d.mu.Unlock()
	if now := d.Now(); now.Before(pausedUntil) {
		return retry(pausedUntil, "channel paused")
	}
	// A call on its way is not cut off by a shutdown: a cancelled call could
	// have been delivered, and would then be sent again (the client's own
	// timeout bounds it).
	err = d.measured(it.Channel, "broadcast_", func() error {
		return d.Senders[it.Channel].Send(WithSending(context.WithoutCancel(ctx), Sending{Broadcast: it.BroadcastID}), it.ChatID, d.Texts.BroadcastReply(it.Lang, text, button))
	})
	if err == nil {
		res.State = "sent"
		return res
	}
	se := Classify(err)
	switch se.Kind {
	case Throttled:
		until := d.pause(it.Channel, se.RetryAfter)
		d.Log.Warn("broadcast: throttled, pausing the channel", "channel", it.Channel, "retry_after", se.RetryAfter)
		return retry(until, se.Err.Error())
	case Unreachable:
		if err := d.Outbox.MarkUnreachable(context.WithoutCancel(ctx), it.Channel, it.ChatID, se.Err.Error()); err != nil {
			d.Log.Warn("broadcast: mark unreachable", "err", err)
		}
		res.State, res.Error = "blocked", se.Err.Error()
		return res
	case Permanent:
		res.State, res.Error = "failed", se.Err.Error()
		return res
	}
	if it.Attempts >= maxBroadcastAttempts {
		res.State, res.Error = "failed", se.Err.Error()
		return res
	}
	return retry(d.Now().Add(max(retryBackoff(it.Attempts), se.RetryAfter)), se.Err.Error())
}

// broadcastMessage is a broadcast's text and button, read once per process.
func (d *Deliverer) broadcastMessage(ctx context.Context, id int64) (string, string, error) {
	d.mu.Lock()
	m, ok := d.messages[id]
	d.mu.Unlock()
	if ok {
		return m[0], m[1], nil
	}
	text, button, err := d.Broadcasts.BroadcastMessage(ctx, id)
	if err != nil {
		return "", "", err
	}
	d.mu.Lock()
	d.messages[id] = [2]string{text, button}
	d.mu.Unlock()
	return text, button, nil
}

// broadcastUpkeep starts broadcasts whose time came (not in quiet hours),
// finishes those with nobody left, and keeps the admins' progress messages
// current (every ProgressEvery) with a final report at the end.
func (d *Deliverer) broadcastUpkeep(ctx context.Context) error {
	if d.Broadcasts == nil {
		return nil
	}
	var done []flows.BroadcastProgress
	if !d.quiet() {
		started, err := d.Broadcasts.StartBroadcasts(ctx)
		if err != nil {
			return fmt.Errorf("start broadcasts: %w", err)
		}
		for _, id := range started {
			// Nobody matched any more when it started: it is done at once.
			p, err := d.Broadcasts.BroadcastProgressOf(ctx, id)
			if err != nil {
				return fmt.Errorf("broadcast %d: %w", id, err)
			}
			if p.Status == flows.BroadcastDone {
				done = append(done, p)
			}
		}
	}
	for _, p := range done {
		// Nobody matched when it started: done at once, its report now.
		if p.ReportChannel != "" {
			if err := d.Broadcasts.QueueReplies(ctx, p.ReportChannel, p.ReportChat, []flows.Reply{d.Texts.BroadcastReportReply(p)}); err != nil {
				return fmt.Errorf("report broadcast %d: %w", p.ID, err)
			}
		}
	}
	finished, err := flows.FinishBroadcasts(ctx, d.Broadcasts, d.Texts.BroadcastReportReply)
	if err != nil {
		return fmt.Errorf("finish broadcasts: %w", err)
	}
	for _, p := range append(done, finished...) {
		d.showProgress(ctx, p)
	}
	now := d.Now()
	if now.Sub(d.lastProgress) < d.ProgressEvery {
		return nil
	}
	d.lastProgress = now
	active, err := d.Broadcasts.ActiveBroadcasts(ctx)
	if err != nil {
		return fmt.Errorf("broadcast progress: %w", err)
	}
	for _, p := range active {
		d.showProgress(ctx, p)
	}
	return nil
}

// showProgress sends or edits a broadcast's progress message in its admin's
// chat, on channels that can edit a message.
func (d *Deliverer) showProgress(ctx context.Context, p flows.BroadcastProgress) {
	ed, ok := d.Senders[p.ReportChannel].(Editor)
	if !ok || p.ReportChat == "" || p.Status == flows.BroadcastCancelled && p.ProgressRef == "" {
		return // a broadcast cancelled before it started has no progress message to close
	}
	d.mu.Lock()
	paused := d.Now().Before(d.paused[p.ReportChannel])
	d.mu.Unlock()
	if paused || d.limiters[p.ReportChannel].Wait(ctx) != nil {
		return
	}
	r := d.Texts.BroadcastProgressReply(p, d.Now())
	if p.ProgressRef != "" {
		if err := ed.Edit(ctx, p.ReportChat, p.ProgressRef, r); err != nil {
			d.Log.Warn("broadcast: edit progress", "broadcast", p.ID, "err", err)
			return
		}
		if p.Status == flows.BroadcastCancelled {
			// Cancelled, its buttons gone: that was the last edit.
			if err := d.Broadcasts.CloseBroadcastProgress(ctx, p.ID); err != nil {
				d.Log.Warn("broadcast: close progress", "broadcast", p.ID, "err", err)
			}
		}
		return
	}
	ref, err := ed.SendEditable(ctx, p.ReportChat, r)
	if err != nil {
		d.Log.Warn("broadcast: send progress", "broadcast", p.ID, "err", err)
		return
	}
	if err := d.Broadcasts.SetBroadcastProgressRef(ctx, p.ID, ref); err != nil {
		d.Log.Warn("broadcast: keep progress message", "broadcast", p.ID, "err", err)
	}
}
