package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
)

// memOutbox is an in-memory outbox with one reply for each of many chats, so
// the limiter measurement sees only the Deliverer.
type memOutbox struct {
	mu   sync.Mutex
	next int64
	left int64
	sent map[int64]bool
}

func (m *memOutbox) Pending(ctx context.Context, channels []string, limit int) ([]flows.Outgoing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []flows.Outgoing
	for id := m.next; id < m.left && len(out) < limit; id++ {
		if !m.sent[id] {
			out = append(out, flows.Outgoing{ID: id, Channel: "rate", ChatID: strconv.FormatInt(id, 10), Reply: flows.Reply{Text: "x"}})
		}
	}
	return out, nil
}

func (m *memOutbox) MarkSent(ctx context.Context, ids []int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		m.sent[id] = true
		for m.sent[m.next] {
			m.next++
		}
	}
	return nil
}
func (m *memOutbox) MarkFailed(context.Context, int64, string, time.Time) error    { return nil }
func (m *memOutbox) MarkDropped(context.Context, int64, string) error              { return nil }
func (m *memOutbox) MarkUnreachable(context.Context, string, string, string) error { return nil }

// stampSender notes when each message went out.
type stampSender struct {
	mu    sync.Mutex
	times []time.Time
}

func (s *stampSender) Send(ctx context.Context, chatID string, r flows.Reply) error {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	s.mu.Unlock()
	return nil
}

type limiterResult struct {
	configured float64
	seconds    int
	sent       int
	perSecond  float64
	maxWindow  int // most messages in any one-second window
}

// benchLimiter runs the Deliverer's global limit (configured per second) for
// the given time against an endless outbox and measures what it lets through.
func benchLimiter(ctx context.Context, perSecond float64, seconds int) (limiterResult, error) {
	out := &memOutbox{left: 1 << 40, sent: map[int64]bool{}}
	s := &stampSender{}
	d := &bot.Deliverer{Outbox: out, Senders: map[string]bot.Sender{"rate": s}, Rate: perSecond,
		Interval: 10 * time.Millisecond, Batch: 100, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds)*time.Second)
	defer cancel()
	start := time.Now()
	if err := d.Run(ctx); err != nil {
		return limiterResult{}, err
	}
	elapsed := time.Since(start)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := limiterResult{configured: perSecond, seconds: seconds, sent: len(s.times), perSecond: float64(len(s.times)) / elapsed.Seconds()}
	for i, j := 0, 0; j < len(s.times); j++ {
		for s.times[j].Sub(s.times[i]) >= time.Second {
			i++
		}
		r.maxWindow = max(r.maxWindow, j-i+1)
	}
	return r, nil
}

func reportLimiter(w io.Writer, r limiterResult) {
	tw := &table{w: w}
	tw.head("global rate limiter: configured %.0f/s, %d s, stand-in channel\n", r.configured, r.seconds)
	tw.row("  sent", "%d\n", r.sent)
	tw.row("  measured rate", "%.2f/s (%.1f%% of configured)\n", r.perSecond, 100*r.perSecond/r.configured)
	tw.row("  most in any 1 s window", "%d\n", r.maxWindow)
	if r.maxWindow > int(r.configured)+int(r.configured)/10+1 {
		fmt.Fprintln(w, "!!! a one-second window exceeded the configured rate by more than the burst")
	}
}
