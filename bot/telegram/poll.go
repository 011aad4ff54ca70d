package telegram

import (
	"context"
	"fmt"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// Backoff after a failed getUpdates or submit: doubling from minBackoff up to
// maxBackoff; a 429 waits its retry_after instead.
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
)

// Submit hands a batch of events, in update order, to whatever stores them
// (the dispatcher, or the engine directly). It returns nil only when every
// event is stored (or was seen before); the updates are confirmed to Telegram
// only then.
type Submit func(ctx context.Context, evs []flows.Event) error

// Poll takes updates by long polling until ctx ends (then it returns nil).
// Unlike the library's GetUpdatesChan it confirms updates only after submit
// has stored them: getUpdates(offset) → submit → offset = highest
// update_id + 1, which the next getUpdates confirms. When submit fails the
// same updates are fetched again after a backoff. Button presses are
// answered as they arrive (AcknowledgeSoon). A webhook left from webhook
// mode is deleted first (getUpdates refuses to work while one is set);
// pending updates are kept.
func (c *Client) Poll(ctx context.Context, submit Submit) error {
	return c.poll(ctx, nil, submit, nil)
}

// Inbox keeps fetched updates until the engine has handled them
// (store.DB): the engine deletes an update's row as it handles it.
type Inbox interface {
	StoreInbox(ctx context.Context, channel string, evs []flows.Event) error
	InboxWaiting(ctx context.Context, channel string, limit int) ([]flows.Event, error)
}

// PollPipelined is Poll with an inbox: each batch is stored, then the next
// getUpdates goes out at once (its offset confirms only stored updates),
// while enqueue (bot.Dispatcher.Enqueue) hands the stored ones to the
// engine, in order, without waiting for them. At start it hands over what
// an earlier process stored and did not handle.
func (c *Client) PollPipelined(ctx context.Context, inbox Inbox, enqueue Submit) error {
	handOver := func(ctx context.Context) error {
		left, err := inbox.InboxWaiting(ctx, Channel, 100000)
		if err != nil || len(left) == 0 {
			return err
		}
		c.log.Info("telegram: handling the updates stored before a restart", "count", len(left))
		return enqueue(ctx, left)
	}
	store := func(ctx context.Context, evs []flows.Event) error { return inbox.StoreInbox(ctx, Channel, evs) }
	return c.poll(ctx, handOver, store, enqueue)
}

// poll is the long-polling loop: first (may be nil) runs once before the
// first getUpdates, until it works; keep must store a batch before its
// offset is confirmed (a failure fetches it again); then (may be nil)
// takes the batch once its offset will be confirmed.
func (c *Client) poll(ctx context.Context, first func(context.Context) error, keep, then Submit) error {
	var fetchFailures, keepFailures int
	wait := func(failures *int, err error, what string) bool {
		*failures++
		d := backoff(*failures, err)
		c.log.Warn("telegram: "+what+" failed", "err", err, "retry_in", d)
		return c.sleep(ctx, d) == nil
	}
	for ctx.Err() == nil {
		if err := c.DeleteWebhook(ctx); err != nil {
			if ctx.Err() != nil || !wait(&fetchFailures, err, "deleteWebhook") {
				return nil
			}
			continue
		}
		break
	}
	for first != nil && ctx.Err() == nil {
		err := first(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil || !wait(&keepFailures, err, "stored updates") {
			return nil
		}
	}
	fetchFailures, keepFailures = 0, 0
	offset := 0
	for ctx.Err() == nil {
		cfg := tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: c.pollTimeout, AllowedUpdates: allowedUpdates}
		updates, err := c.api(ctx).GetUpdates(cfg)
		if err != nil {
			if ctx.Err() != nil || !wait(&fetchFailures, fmt.Errorf("telegram: getUpdates: %w", err), "getUpdates") {
				return nil
			}
			continue
		}
		fetchFailures = 0
		if len(updates) == 0 {
			continue
		}
		evs := make([]flows.Event, 0, len(updates))
		got := clock.Now()
		for _, u := range updates {
			if ev, ok := ToEvent(u); ok {
				ev.Received = got
				evs = append(evs, ev)
			}
			// Button presses are answered now, while the engine works, and
			// never hold the next getUpdates.
			c.AcknowledgeSoon(u)
		}
		if len(evs) > 0 {
			if err := keep(ctx, evs); err != nil {
				if ctx.Err() != nil || !wait(&keepFailures, fmt.Errorf("telegram: store %d updates: %w", len(evs), err), "submit") {
					return nil
				}
				continue // the same updates come again: offset unchanged
			}
		}
		keepFailures = 0
		next := offset
		for i, u := range updates {
			// The highest id of the batch, not the highest ever: Telegram
			// may restart its ids lower after a week of silence.
			if i == 0 || u.UpdateID+1 > next {
				next = u.UpdateID + 1
			}
		}
		offset = next
		if then != nil && len(evs) > 0 {
			if err := then(ctx, evs); err != nil {
				return nil // stopping: they are stored, the next start handles them
			}
		}
	}
	return nil
}

// backoff is the wait after the n-th failure in a row.
func backoff(n int, err error) time.Duration {
	if te, ok := apiError(err); ok && te.Code == 429 {
		return classify(err).RetryAfter
	}
	d := minBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}
