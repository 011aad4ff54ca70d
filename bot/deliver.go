// Package bot holds what the channels share: the sender interface and the
// outbox delivery loop.
package bot

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// Sender delivers one reply to one chat of its channel.
type Sender interface {
	Send(ctx context.Context, chatID string, r flows.Reply) error
}

// Outbox is where committed replies wait.
type Outbox interface {
	Pending(ctx context.Context, channels []string, limit int) ([]flows.Outgoing, error)
	MarkSent(ctx context.Context, ids []int64) error
	MarkFailed(ctx context.Context, id int64, reason string) error
}

// Deliverer sends queued replies through the channels that have a Sender and
// marks them sent in batches. Channels without a Sender (the terminal) deliver
// their own replies.
type Deliverer struct {
	Outbox   Outbox
	Senders  map[string]Sender
	Interval time.Duration // how often to look for work when idle; 200 ms by default
	Batch    int           // replies per round; 100 by default
	Log      *slog.Logger
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) error {
	if d.Interval == 0 {
		d.Interval = 200 * time.Millisecond
	}
	if d.Batch == 0 {
		d.Batch = 100
	}
	channels := make([]string, 0, len(d.Senders))
	for ch := range d.Senders {
		channels = append(channels, ch)
	}
	sort.Strings(channels)
	if len(channels) == 0 {
		<-ctx.Done()
		return nil
	}
	tick := time.NewTicker(d.Interval)
	defer tick.Stop()
	for {
		n, err := d.Round(ctx, channels)
		if err != nil && ctx.Err() == nil {
			d.logger().Error("deliver", "err", err)
		}
		if n == d.Batch {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (d *Deliverer) logger() *slog.Logger {
	if d.Log == nil {
		return slog.Default()
	}
	return d.Log
}

// Round delivers one batch and returns how many replies it looked at. A chat
// whose reply fails is skipped for the rest of the round, so its order holds.
func (d *Deliverer) Round(ctx context.Context, channels []string) (int, error) {
	if d.Batch == 0 {
		d.Batch = 100
	}
	pending, err := d.Outbox.Pending(ctx, channels, d.Batch)
	if err != nil {
		return 0, err
	}
	sent := make([]int64, 0, len(pending))
	blocked := map[string]bool{}
	for _, p := range pending {
		key := p.Channel + "/" + p.ChatID
		if blocked[key] {
			continue
		}
		if err := d.Senders[p.Channel].Send(ctx, p.ChatID, p.Reply); err != nil {
			blocked[key] = true
			d.logger().Warn("send failed", "channel", p.Channel, "chat_id", p.ChatID, "outbox_id", p.ID, "err", err)
			if err := d.Outbox.MarkFailed(ctx, p.ID, err.Error()); err != nil {
				return len(pending), err
			}
			continue
		}
		sent = append(sent, p.ID)
	}
	return len(pending), d.Outbox.MarkSent(ctx, sent)
}
