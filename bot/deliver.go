// Package bot holds what the channels share: the dispatcher that feeds the
// engine, and the delivery of the outbox through the channels' senders with
// their rate limits.
package bot

import (
	"context"
	"log/slog"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

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
	// Pending lists up to limit due replies, oldest first, but none in skip.
	Pending(ctx context.Context, channels []string, skip []int64, limit int) ([]flows.Outgoing, error)
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
// message per PerChat to one chat after a burst of ChatBurst, a 429 pauses the whole channel for its
// retry_after, a chat that blocked the bot is marked unreachable and its
// replies are given up, other failures are retried with backoff. A chat's
// replies go out in order: after a failure or while its gap runs, its later
// replies wait. Sent replies are marked in batches, at the latest MarkEvery
// after they were sent, so a crash resends at most what was sent in that
// instant.
type Deliverer struct {
	Outbox  Outbox
	Senders map[string]Sender
	Leases  Leases  // nil: this process always delivers
	Rate    float64 // messages per second per channel; default 30
	// Rates sets the rate of some channels apart from Rate (WhatsApp's
	// default throughput is 80 a second, Telegram's 30).
	Rates     map[string]float64
	PerChat   time.Duration // one more message to a chat every PerChat after its burst; default 1 s
	ChatBurst int           // messages a chat may get at once (one answer in several messages); default 3
	// Workers is how many chats are served at once, each one message at a
	// time: the sends in flight. Default: enough for a 300 ms round trip at
	// Rate (twice that, at least 16, at most 512).
	Workers   int
	Interval  time.Duration // how often to look for work when idle; default 200 ms
	Batch     int           // replies read per round; default 200
	MarkEvery time.Duration // how long sent replies may wait to be marked; default 100 ms
	// BeforeMark, when set, runs before every marking of replies sent,
	// for a sender that keeps something of its sends that must be stored
	// first (WhatsApp's message ids); an error leaves the replies unmarked.
	BeforeMark func(ctx context.Context) error
	Log        *slog.Logger
	Now        func() time.Time
	// Metrics, when set, records every attempt, its latency and the sends
	// in flight.
	Metrics *Metrics
	// Changes, when set, wakes the deliverer when another process commits
	// a reply (PostgreSQL LISTEN/NOTIFY); Poke does it for this process.
	// The periodic look every Interval stays as a safety net.
	Changes Changes

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
	limiters map[string]*pacer
	paused   map[string]time.Time // channel → no sending before
	paces    map[string]*pace     // channel/chat → its message bucket
	swept    time.Time            // when full buckets were last forgotten
	messages map[int64][2]string  // broadcast → text, button

	wakeOnce   sync.Once
	wakeC      chan struct{}
	delivering atomic.Bool

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
	if d.ChatBurst == 0 {
		d.ChatBurst = 3
	}
	if d.Workers == 0 {
		total := 0.0
		for ch := range d.Senders {
			total += d.rate(ch)
		}
		d.Workers = min(max(int(math.Ceil(total*0.3*2)), 16), 512)
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
		d.limiters, d.paused, d.paces, d.messages = map[string]*pacer{}, map[string]time.Time{}, map[string]*pace{}, map[int64][2]string{}
		for ch := range d.Senders {
			d.limiters[ch] = newPacer(d.rate(ch))
		}
	}
}

// rate is a channel's messages a second.
func (d *Deliverer) rate(channel string) float64 {
	if r, ok := d.Rates[channel]; ok && r > 0 {
		return r
	}
	return d.Rate
}

// Sending names what a send carries, for a sender that records the
// channel's own ids of what it sent (WhatsApp's wamids, whose status
// webhooks come later): the outbox row of a reply, or the broadcast.
type Sending struct {
	Outbox    int64 // the reply's outbox id; 0 for a broadcast
	Broadcast int64 // the broadcast's id; 0 for a reply
}

type sendingKey struct{}

// WithSending tells the sender, through ctx, what it is sending.
func WithSending(ctx context.Context, s Sending) context.Context {
	return context.WithValue(ctx, sendingKey{}, s)
}

// SendingOf is what ctx says is being sent (zero when nothing does).
func SendingOf(ctx context.Context) Sending {
	s, _ := ctx.Value(sendingKey{}).(Sending)
	return s
}

// Changes reports replies committed by any process (store.DB).
type Changes interface {
	ListenOutbox(ctx context.Context, channel string, wake func(chatID string), lost func()) error
}

func (d *Deliverer) wake() chan struct{} {
	d.wakeOnce.Do(func() { d.wakeC = make(chan struct{}, 1) })
	return d.wakeC
}

// Delivering reports whether this deliverer is sending now (it holds the
// lease, or needs none).
func (d *Deliverer) Delivering() bool { return d.delivering.Load() }

// Poke tells the deliverer that replies were committed: it looks at once
// instead of at its next interval. Safe to call any time, from anywhere.
func (d *Deliverer) Poke() {
	select {
	case d.wake() <- struct{}{}:
	default:
	}
}

// Listen calls wake with the chat of every reply queued for channel, by
// any process, until ctx ends; after a gap in listening (the connection
// lost, or listening failed: it tries again every 2 s) it calls lost, since
// notifications may have been missed.
func Listen(ctx context.Context, changes Changes, channel string, wake func(chatID string), lost func(), log *slog.Logger) {
	for ctx.Err() == nil {
		err := changes.ListenOutbox(ctx, channel, wake, lost)
		if ctx.Err() != nil {
			return
		}
		log.Warn("listening for queued replies failed; trying again", "channel", channel, "err", err)
		lost()
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
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
	if d.Changes != nil {
		for _, ch := range channels {
			go Listen(ctx, d.Changes, ch, func(string) { d.Poke() }, d.Poke, d.Log)
		}
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

// deliverWhile keeps the replies flowing while ctx lasts and the lease (if
// any) is held, and sends broadcasts when no reply waits.
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
	p := newPipeline(ctx, d)
	defer func() {
		if err := p.drain(); err != nil {
			d.Log.Error("deliver", "err", err)
		}
	}()
	d.delivering.Store(true)
	defer d.delivering.Store(false)
	for ctx.Err() == nil {
		if lease != nil && lastCheck.Elapsed() > 2*time.Second {
			if !lease.Held(ctx) {
				d.Log.Warn("deliver: lease lost")
				return
			}
			lastCheck = clock.Start()
		}
		read, started, err := p.fill(channels, false)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("deliver", "err", err)
		}
		wait := p.takeSoonest()
		if err == nil && started == 0 && p.inFlight() == 0 && d.Broadcasts != nil {
			// The replies are out: the rest of the rate is the broadcasts'.
			if d.lastUpkeep.Elapsed() >= time.Second {
				d.lastUpkeep = clock.Start()
				if err := d.broadcastUpkeep(ctx); err != nil && ctx.Err() == nil {
					d.Log.Error("broadcast", "err", err)
				}
			}
			b, err := d.broadcastRound(ctx, channels)
			if err != nil && ctx.Err() == nil {
				d.Log.Error("broadcast", "err", err)
			}
			if b > 0 {
				continue
			}
		}
		if read >= d.Batch && started > 0 {
			continue // more waiting, and senders free
		}
		if wait == 0 || wait > d.Interval {
			wait = d.Interval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-d.wake():
			// Pokes come with every reply committed and every chat done:
			// one look gathers what a few milliseconds bring.
			select {
			case <-ctx.Done():
			case <-time.After(fillGap):
			}
		}
		t.Stop()
	}
}

// fillGap gathers the pokes that arrive together into one look at the outbox.
const fillGap = time.Millisecond

// Round delivers what is due now, once, and returns when it is out: how
// many replies it read and how soon there may be more to do. (Run keeps
// doing this without rounds.)
//
// The replies are grouped by chat, the chat waiting longest first, and up
// to Workers chats are served at once: many sends are in flight, while one
// chat's replies go strictly one after another in commit order, and a
// chat's failure holds back only that chat's later replies.
func (d *Deliverer) Round(ctx context.Context, channels []string) (int, time.Duration, error) {
	d.defaults()
	p := newPipeline(ctx, d)
	read, _, err := p.fill(channels, true)
	if derr := p.drain(); err == nil {
		err = derr
	}
	if err != nil {
		return read, 0, err
	}
	return read, p.r.soonest, nil
}

// byChat groups replies (in commit order) by chat, ordered by each chat's
// oldest reply.
func byChat(pending []flows.Outgoing) [][]flows.Outgoing {
	at := map[string]int{}
	var queues [][]flows.Outgoing
	for _, p := range pending {
		key := p.Channel + "/" + p.ChatID
		i, ok := at[key]
		if !ok {
			i = len(queues)
			at[key] = i
			queues = append(queues, nil)
		}
		queues[i] = append(queues[i], p)
	}
	return queues
}

// round is one Round's shared state: the sent replies waiting to be marked,
// the soonest time there is more to do, and the first store error.
type round struct {
	d        *Deliverer
	ctx      context.Context // the sends' (not cancelled mid-call in the pipeline)
	stop     context.Context // no new send once it ends
	mu       sync.Mutex
	sent     []int64        // sent, to be marked
	unmarked map[int64]bool // sent and not yet marked (being marked included)
	// marked are the ids marked lately, with markSeq at their marking: a
	// read of the outbox that began before then may still see them waiting.
	marked   map[int64]uint64
	markSeq  uint64
	lastMark clock.Stopwatch
	soonest  time.Duration
	err      error
}

func (r *round) note(wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if wait > 0 && (r.soonest == 0 || wait < r.soonest) {
		r.soonest = wait
	}
}

func (r *round) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

func (r *round) failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err != nil
}

// mark records the sent replies, at the latest MarkEvery after they were
// sent (all of them when final).
func (r *round) mark(final bool) error {
	r.mu.Lock()
	if len(r.sent) == 0 || (!final && r.lastMark.Elapsed() < r.d.MarkEvery) {
		r.mu.Unlock()
		return nil
	}
	ids := r.sent
	r.sent, r.lastMark = nil, clock.Start()
	r.mu.Unlock()
	var err error
	if r.d.BeforeMark != nil {
		err = r.d.BeforeMark(context.WithoutCancel(r.ctx))
	}
	if err == nil {
		err = r.d.Outbox.MarkSent(context.WithoutCancel(r.ctx), ids)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.sent = append(r.sent, ids...) // marked again with the next ones
		return err
	}
	r.markSeq++
	for _, id := range ids {
		delete(r.unmarked, id)
		if r.marked != nil {
			r.marked[id] = r.markSeq
		}
	}
	return nil
}

// chat sends one chat's replies in order, until one cannot go now.
func (r *round) chat(q []flows.Outgoing) {
	d, ctx, stop := r.d, r.ctx, r.stop
	for _, p := range q {
		if stop.Err() != nil || r.failed() {
			return
		}
		key := p.Channel + "/" + p.ChatID
		if wait := d.pausedFor(p.Channel); wait > 0 {
			r.note(wait)
			return
		}
		if ok, wait := d.takeChat(key, d.Now()); !ok {
			r.note(wait)
			return
		}
		if err := d.limiters[p.Channel].Wait(stop); err != nil {
			return
		}
		// A 429 may have paused the channel while this one waited for its
		// turn: sends in flight do not hammer on.
		if wait := d.pausedFor(p.Channel); wait > 0 {
			r.note(wait)
			return
		}
		err := d.send(ctx, p)
		if err == nil {
			r.mu.Lock()
			r.sent = append(r.sent, p.ID)
			r.unmarked[p.ID] = true
			r.mu.Unlock()
			if !p.Reply.Answers.IsZero() {
				d.Metrics.delivered(p.Channel, d.Now().Sub(p.Reply.Answers))
			}
			if err := r.mark(false); err != nil {
				r.fail(err)
				return
			}
			continue
		}
		if !r.failure(p, err) {
			return
		}
	}
}

// failure handles a reply that could not be sent; it reports whether the
// chat's next reply may go in this round.
func (r *round) failure(p flows.Outgoing, err error) bool {
	d := r.d
	se := Classify(err)
	bg := context.WithoutCancel(r.ctx)
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
		until := d.pause(p.Channel, se.RetryAfter)
		d.Log.Warn("deliver: throttled, pausing the channel", "channel", p.Channel, "retry_after", se.RetryAfter)
		r.note(until.Sub(d.Now()))
	case Unreachable:
		d.Log.Info("deliver: chat unreachable", "channel", p.Channel, "chat_id", p.ChatID, "err", se.Err)
		if err := d.Outbox.MarkUnreachable(bg, p.Channel, p.ChatID, se.Err.Error()); err != nil {
			r.fail(err)
		}
	case Permanent:
		d.Log.Warn("deliver: reply cannot be sent, dropped", "channel", p.Channel, "chat_id", p.ChatID, "outbox_id", p.ID, "err", se.Err)
		if err := d.Outbox.MarkDropped(bg, p.ID, se.Err.Error()); err != nil {
			r.fail(err)
			return false
		}
		return true // its next reply may go
	default:
		// A limit on this one chat (WhatsApp's pair rate) says how long to
		// wait; its later replies wait behind this one.
		backoff := max(retryBackoff(p.Attempts), se.RetryAfter)
		d.Log.Warn("deliver: send failed, will retry", "channel", p.Channel, "chat_id", p.ChatID, "outbox_id", p.ID,
			"attempt", p.Attempts+1, "retry_in", backoff, "err", se.Err)
		if err := d.Outbox.MarkFailed(bg, p.ID, se.Err.Error(), d.Now().Add(backoff)); err != nil {
			r.fail(err)
		}
		r.note(backoff)
	}
	return false
}

// pausedFor is how long a channel is still paused after a 429 (0: not).
func (d *Deliverer) pausedFor(channel string) time.Duration {
	d.mu.Lock()
	until := d.paused[channel]
	d.mu.Unlock()
	return max(until.Sub(d.Now()), 0)
}

// pause stops a channel for retry_after (at least a second), for every
// sender of this process; it returns until when.
func (d *Deliverer) pause(channel string, retryAfter time.Duration) time.Time {
	now := d.Now()
	until := now.Add(max(retryAfter, time.Second))
	d.mu.Lock()
	began := !d.paused[channel].After(now)
	if until.After(d.paused[channel]) {
		d.paused[channel] = until
	}
	until = d.paused[channel]
	d.mu.Unlock()
	d.Metrics.refused(channel, began)
	return until
}

// pace is one chat's token bucket: ChatBurst messages at once, then one
// every PerChat, so a two- or three-message answer arrives together while a
// runaway loop is held to the platform's one a second per chat.
type pace struct {
	tokens float64
	at     time.Time
}

// takeChat takes one of the chat's messages; when none is left it says how
// long until the next.
func (d *Deliverer) takeChat(key string, now time.Time) (bool, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.swept) > time.Minute {
		for k, p := range d.paces {
			if p.tokens+float64(now.Sub(p.at))/float64(d.PerChat) >= float64(d.ChatBurst) {
				delete(d.paces, k)
			}
		}
		d.swept = now
	}
	p := d.paces[key]
	if p == nil {
		p = &pace{tokens: float64(d.ChatBurst), at: now}
		d.paces[key] = p
	}
	if now.After(p.at) {
		p.tokens = min(float64(d.ChatBurst), p.tokens+float64(now.Sub(p.at))/float64(d.PerChat))
		p.at = now
	}
	if p.tokens >= 1 {
		p.tokens--
		return true, 0
	}
	return false, time.Duration((1 - p.tokens) * float64(d.PerChat))
}

// send delivers a reply, after the parts an earlier attempt delivered.
func (d *Deliverer) send(ctx context.Context, p flows.Outgoing) error {
	s := d.Senders[p.Channel]
	ctx = WithSending(ctx, Sending{Outbox: p.ID})
	return d.measured(p.Channel, "", func() error {
		if ps, ok := s.(PartSender); ok && p.PartsSent > 0 {
			return ps.SendFrom(ctx, p.ChatID, p.Reply, p.PartsSent)
		}
		return s.Send(ctx, p.ChatID, p.Reply)
	})
}

// measured makes one send call, counted in flight while it is on its way
// and recorded with its outcome ("sent" or the Failure, after prefix).
func (d *Deliverer) measured(channel, prefix string, call func() error) error {
	d.Metrics.flying(channel, 1)
	start := clock.Start()
	err := call()
	took := start.Elapsed()
	d.Metrics.flying(channel, -1)
	outcome := "sent"
	if err != nil {
		outcome = Classify(err).Kind.String()
	}
	d.Metrics.attempt(channel, prefix+outcome, took)
	return err
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
