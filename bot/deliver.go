// Package bot holds what the channels share: the dispatcher that feeds the
// engine, and the delivery of the outbox through the channels' senders with
// their rate limits.
package bot

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// Sender delivers one reply to one chat of its channel. Its errors are
// *SendError (anything else counts as Retryable).
type Sender interface {
	Send(ctx context.Context, chatID string, r flows.Reply) error
}

// PartSender is a Sender whose replies may go out as several messages (a
// long text in parts, a card then its text). A failed attempt says in
// SendError.Delivered how many parts went out; SendFrom sends the rest, so
// nobody reads a part twice.
type PartSender interface {
	Sender
	SendFrom(ctx context.Context, chatID string, r flows.Reply, from int) error
}

// Outbox is where committed replies wait.
type Outbox interface {
	Pending(ctx context.Context, channels []string, limit int) ([]flows.Outgoing, error)
	MarkSent(ctx context.Context, ids []int64) error
	MarkFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error
	MarkPartsSent(ctx context.Context, id int64, parts int) error
	MarkDropped(ctx context.Context, id int64, reason string) error
	MarkUnreachable(ctx context.Context, channel, chatID, reason string) error
}

// Leases elect the one process of a deployment that delivers, so that the
// global rate and a 429 pause hold for the whole deployment.
type Leases interface {
	TryLease(ctx context.Context, name string) (Lease, bool, error)
}

// Lease is a held lease.
type Lease interface {
	Held(ctx context.Context) bool
	Release()
}

// Deliverer sends queued replies through the channels that have a Sender.
// Channels without one (the terminal, the web page) deliver their own.
//
// Per channel: at most Rate messages a second (token bucket), at most one
// message per PerChat to one chat, a 429 pauses the whole channel for its
// retry_after, a chat that blocked the bot is marked unreachable and its
// replies are given up, other failures are retried with backoff. A chat's
// replies go out in order: after a failure or while its gap runs, its later
// replies wait. Sent replies are marked in batches, at the latest MarkEvery
// after they were sent, so a crash resends at most what was sent in that
// instant.
type Deliverer struct {
	Outbox    Outbox
	Senders   map[string]Sender
	Leases    Leases        // nil: this process always delivers
	Rate      float64       // messages per second per channel; default 30
	PerChat   time.Duration // minimum gap between two messages to one chat; default 1 s
	Interval  time.Duration // how often to look for work when idle; default 200 ms
	Batch     int           // replies read per round; default 200
	MarkEvery time.Duration // how long sent replies may wait to be marked; default 100 ms
	Log       *slog.Logger
	Now       func() time.Time
	// Observe, when set, is told about each attempt: "sent", or a Failure.
	Observe func(channel, outcome string)

	// Broadcasts, when set, are sent with what the rate leaves after the
	// conversation replies (which always go first).
	Broadcasts Broadcasts
	Texts      BroadcastTexts
	// Quiet reports the hours when broadcasts wait (nil: never).
	Quiet            func(time.Time) bool
	BroadcastBatch   int           // recipients claimed per round; default about a second's worth at Rate
	BroadcastWorkers int           // sends at once; default 8
	ProgressEvery    time.Duration // how often progress messages are edited; default 5 s

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	paused   map[string]time.Time // channel → no sending before
	nextOK   map[string]time.Time // channel/chat → no sending before
	messages map[int64][2]string  // broadcast → text, button

	lastUpkeep   clock.Stopwatch
	lastProgress time.Time
}

func (d *Deliverer) defaults() {
	if d.Rate == 0 {
		d.Rate = 30
	}
	if d.PerChat == 0 {
		d.PerChat = time.Second
	}
	if d.Interval == 0 {
		d.Interval = 200 * time.Millisecond
	}
	if d.Batch == 0 {
		d.Batch = 200
	}
	if d.MarkEvery == 0 {
		d.MarkEvery = 100 * time.Millisecond
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = clock.Now
	}
	if d.BroadcastWorkers == 0 {
		d.BroadcastWorkers = 8
	}
	if d.ProgressEvery == 0 {
		d.ProgressEvery = 5 * time.Second
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.limiters == nil {
		d.limiters, d.paused, d.nextOK, d.messages = map[string]*rate.Limiter{}, map[string]time.Time{}, map[string]time.Time{}, map[int64][2]string{}
		for ch := range d.Senders {
			d.limiters[ch] = rate.NewLimiter(rate.Limit(d.Rate), burst(d.Rate))
		}
	}
}

func (d *Deliverer) channels() []string {
	out := make([]string, 0, len(d.Senders))
	for ch := range d.Senders {
		out = append(out, ch)
	}
	sort.Strings(out)
	return out
}

// Run delivers until ctx ends. With Leases set, it delivers only while it
// holds the "deliver" lease, and tries to take it every few seconds otherwise.
func (d *Deliverer) Run(ctx context.Context) error {
	d.defaults()
	channels := d.channels()
	if len(channels) == 0 {
		<-ctx.Done()
		return nil
	}
	for ctx.Err() == nil {
		if d.Leases == nil {
			d.deliverWhile(ctx, channels, nil)
			break
		}
		lease, ok, err := d.Leases.TryLease(ctx, "deliver")
		if err != nil && ctx.Err() == nil {
			d.Log.Warn("deliver: take lease", "err", err)
		}
		if ok {
			d.Log.Info("deliver: this process delivers", "channels", channels)
			d.deliverWhile(ctx, channels, lease)
			lease.Release()
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(3 * time.Second):
		}
	}
	return nil
}

// deliverWhile runs rounds while ctx lasts and the lease (if any) is held.
func (d *Deliverer) deliverWhile(ctx context.Context, channels []string, lease Lease) {
	lastCheck := clock.Start()
	if d.Broadcasts != nil {
		// Whoever delivered before may have died mid-batch: what it left
		// "sending" is counted as unknown, never sent again.
		if n, err := d.Broadcasts.RecoverBroadcasts(ctx); err != nil {
			d.Log.Error("broadcast: recover", "err", err)
		} else if n > 0 {
			d.Log.Warn("broadcast: recipients left in flight by a stopped process counted as unknown", "count", n)
		}
	}
	for ctx.Err() == nil {
		if lease != nil && lastCheck.Elapsed() > 2*time.Second {
			if !lease.Held(ctx) {
				d.Log.Warn("deliver: lease lost")
				return
			}
			lastCheck = clock.Start()
		}
		n, wait, err := d.Round(ctx, channels)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("deliver", "err", err)
			wait = d.Interval
		}
		if n == d.Batch && wait == 0 {
			continue // more waiting
		}
		if d.Broadcasts != nil {
			if d.lastUpkeep.Elapsed() >= time.Second {
				d.lastUpkeep = clock.Start()
				if err := d.broadcastUpkeep(ctx); err != nil && ctx.Err() == nil {
					d.Log.Error("broadcast", "err", err)
				}
			}
			// The replies are out: the rest of the rate is the broadcasts'.
			b, err := d.broadcastRound(ctx, channels)
			if err != nil && ctx.Err() == nil {
				d.Log.Error("broadcast", "err", err)
			}
			if b > 0 {
				continue
			}
		}
		if wait == 0 || wait > d.Interval {
			wait = d.Interval
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// Round delivers what is due now. It returns how many replies it read and
// how soon there may be more to do.
func (d *Deliverer) Round(ctx context.Context, channels []string) (int, time.Duration, error) {
	d.defaults()
	pending, err := d.Outbox.Pending(ctx, channels, d.Batch)
	if err != nil {
		return 0, 0, err
	}
	var sent []int64
	lastMark := clock.Start()
	mark := func() error {
		if len(sent) == 0 {
			return nil
		}
		err := d.Outbox.MarkSent(context.WithoutCancel(ctx), sent)
		sent, lastMark = sent[:0], clock.Start()
		return err
	}
	defer mark()                  //nolint:errcheck // a failure here is reported by the explicit call below
	waitChat := map[string]bool{} // chats whose next reply must wait for this round
	var soonest time.Duration
	note := func(d time.Duration) {
		if d > 0 && (soonest == 0 || d < soonest) {
			soonest = d
		}
	}
	for _, p := range pending {
		if ctx.Err() != nil {
			break
		}
		key := p.Channel + "/" + p.ChatID
		if waitChat[key] {
			continue
		}
		now := d.Now()
		d.mu.Lock()
		pausedUntil, next := d.paused[p.Channel], d.nextOK[key]
		d.mu.Unlock()
		if now.Before(pausedUntil) {
			note(pausedUntil.Sub(now))
			continue
		}
		if now.Before(next) {
			waitChat[key] = true
			note(next.Sub(now))
			continue
		}
		if err := d.limiters[p.Channel].Wait(ctx); err != nil {
			break
		}
		err := send(ctx, d.Senders[p.Channel], p)
		if err == nil {
			sent = append(sent, p.ID)
			d.mu.Lock()
			d.nextOK[key] = d.Now().Add(d.PerChat)
			d.mu.Unlock()
			d.observe(p.Channel, "sent")
			if lastMark.Elapsed() >= d.MarkEvery {
				if err := mark(); err != nil {
					return len(pending), 0, err
				}
			}
			continue
		}
		se := Classify(err)
		d.observe(p.Channel, se.Kind.String())
		waitChat[key] = true
		bg := context.WithoutCancel(ctx)
		if se.Delivered > p.PartsSent {
			// Whatever comes next (a retry, the end of a pause), those parts are not sent again.
			if err := d.Outbox.MarkPartsSent(bg, p.ID, se.Delivered); err != nil {
				// The failure is still handled below (a pause, a drop); at worst
				// the next attempt repeats those parts.
				d.Log.Warn("deliver: record the parts sent", "channel", p.Channel, "outbox_id", p.ID, "parts", se.Delivered, "err", err)
			}
		}
		switch se.Kind {
		case Throttled:
			until := d.Now().Add(max(se.RetryAfter, time.Second))
			d.mu.Lock()
			d.paused[p.Channel] = until
			d.mu.Unlock()
			d.Log.Warn("deliver: throttled, pausing the channel", "channel", p.Channel, "retry_after", se.RetryAfter)
			note(until.Sub(d.Now()))
		case Unreachable:
			d.Log.Info("deliver: chat unreachable", "channel", p.Channel, "chat_id", p.ChatID, "err", se.Err)
			if err := d.Outbox.MarkUnreachable(bg, p.Channel, p.ChatID, se.Err.Error()); err != nil {
				return len(pending), 0, err
			}
		case Permanent:
			d.Log.Warn("deliver: reply cannot be sent, dropped", "channel", p.Channel, "chat_id", p.ChatID, "outbox_id", p.ID, "err", se.Err)
			if err := d.Outbox.MarkDropped(bg, p.ID, se.Err.Error()); err != nil {
				return len(pending), 0, err
			}
			delete(waitChat, key) // its next reply may go
		default:
			backoff := retryBackoff(p.Attempts)
			d.Log.Warn("deliver: send failed, will retry", "channel", p.Channel, "chat_id", p.ChatID, "outbox_id", p.ID,
				"attempt", p.Attempts+1, "retry_in", backoff, "err", se.Err)
			if err := d.Outbox.MarkFailed(bg, p.ID, se.Err.Error(), d.Now().Add(backoff)); err != nil {
				return len(pending), 0, err
			}
			note(backoff)
		}
	}
	if err := mark(); err != nil {
		return len(pending), 0, err
	}
	return len(pending), soonest, nil
}

// send delivers a reply, after the parts an earlier attempt delivered.
func send(ctx context.Context, s Sender, p flows.Outgoing) error {
	if ps, ok := s.(PartSender); ok && p.PartsSent > 0 {
		return ps.SendFrom(ctx, p.ChatID, p.Reply, p.PartsSent)
	}
	return s.Send(ctx, p.ChatID, p.Reply)
}

func (d *Deliverer) observe(channel, outcome string) {
	if d.Observe != nil {
		d.Observe(channel, outcome)
	}
}

// retryBackoff is 1 s, 2 s, 4 s … up to 5 minutes.
func retryBackoff(attempts int) time.Duration {
	b := time.Second << min(attempts, 9)
	return min(b, 5*time.Minute)
}

// Editor is a Sender that can change a message it sent (a broadcast's
// progress, edited in place).
type Editor interface {
	SendEditable(ctx context.Context, chatID string, r flows.Reply) (ref string, err error)
	Edit(ctx context.Context, chatID, ref string, r flows.Reply) error
}

// burst is how many messages may leave at once. At a chat platform's rates
// (up to 100/s) none: any one second then holds at most the rate plus one,
// which keeps a provider's per-second count below its limit. Faster rates
// (tests, benchmarks) allow a tenth of a second's worth.
func burst(perSecond float64) int {
	if perSecond <= 100 {
		return 1
	}
	return int(perSecond) / 10
}
