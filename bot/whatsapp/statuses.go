package whatsapp

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// StatusStore keeps what the status webhooks say of the messages sent
// (store.DB).
type StatusStore interface {
	// RecordStatuses moves each message's status forward only and returns
	// the messages that failed now, with the reply or broadcast they carried.
	RecordStatuses(ctx context.Context, channel string, sts []flows.MessageStatus) ([]flows.StatusChange, error)
	// RecordSent keeps the wamids of what sends carried (outbox rows or
	// broadcasts) and returns those a status webhook that came first said
	// failed.
	RecordSent(ctx context.Context, channel string, sent []flows.SentMessage) ([]flows.StatusChange, error)
	// CloseWindow: Meta refused a free-form message, the chat's window had
	// closed; until it writes again its replies go as templates.
	CloseWindow(ctx context.Context, channel, chatID string, at time.Time) error
	// Resend queues a reply again that was accepted and then failed.
	Resend(ctx context.Context, outboxID int64, reason string) error
	MarkUnreachable(ctx context.Context, channel, chatID, reason string) error
	// StopBroadcasts: the person stopped marketing messages.
	StopBroadcasts(ctx context.Context, channel, chatID string) error
}

// Statuses applies the status webhooks (WebhookOptions.Statuses): the
// outbox shows what became of each reply, a broadcast counts its delivered
// and read messages and its failures, and a message that failed after Meta
// accepted it is acted on as a refusal at send time would be:
//   - 131047 (the window had closed): the reply goes again, as its template;
//   - 131026 (undeliverable): the chat is marked unreachable;
//   - 131050 (marketing messages stopped): the chat gets no more broadcasts;
//   - 132000–132016 (a template problem): logged as an error, the reply
//     kept failed in the outbox for an admin to see;
//   - anything else: logged, the reply kept failed.
type Statuses struct {
	Store StatusStore
	Log   *slog.Logger
	// Poke wakes the deliverer when a reply was queued again; nil: it is
	// found at the deliverer's next look.
	Poke func()
	// Windows, when set, is told of a chat whose window Meta said closed.
	Windows *Windows
	// Batch, when positive, keeps deliveries and reads this long and writes
	// them together (Run must run): at a thousand messages a second their
	// webhooks would otherwise be a thousand commits more. A failure is
	// written at once. The wamids of the sends are batched too, and written
	// by FlushSent before the deliverer marks the replies sent
	// (bot.Deliverer.BeforeMark), or by Run.
	Batch time.Duration

	mu      sync.Mutex
	pending []flows.MessageStatus
	sent    []flows.SentMessage
}

// maxPending bounds the deliveries and reads waiting for their batch: past
// it a webhook writes them itself.
const maxPending = 20000

// Run writes the batched deliveries and reads every Batch until ctx ends,
// then the last of them.
func (s *Statuses) Run(ctx context.Context) {
	if s.Batch <= 0 {
		return
	}
	t := time.NewTicker(s.Batch)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			s.flush(ctx)
			if err := s.FlushSent(ctx); err != nil && ctx.Err() == nil {
				s.log().Warn("whatsapp: the ids of messages sent not kept; trying again", "err", err)
			}
		}
	}
}

// FlushSent writes the wamids of the sends batched so far, and acts on a
// failure a status webhook reported before them (the reply goes again).
// On an error they are kept for the next call.
func (s *Statuses) FlushSent(ctx context.Context) error {
	s.mu.Lock()
	batch := s.sent
	s.sent = nil
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	failed, err := s.Store.RecordSent(ctx, Channel, batch)
	if err != nil {
		s.mu.Lock()
		if len(s.sent)+len(batch) <= maxPending {
			s.sent = append(batch, s.sent...)
		}
		s.mu.Unlock()
		return fmt.Errorf("whatsapp: keep the ids of %d messages sent: %w", len(batch), err)
	}
	return s.act(ctx, failed)
}

// flush writes what waits; on a failure it is kept for the next round
// (up to maxPending).
func (s *Statuses) flush(ctx context.Context) {
	s.mu.Lock()
	batch := s.pending
	s.pending = nil
	s.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if _, err := s.Store.RecordStatuses(ctx, Channel, batch); err != nil {
		s.log().Warn("whatsapp: deliveries and reads not recorded; trying again", "count", len(batch), "err", err)
		s.mu.Lock()
		if len(s.pending)+len(batch) <= maxPending {
			s.pending = append(batch, s.pending...)
		}
		s.mu.Unlock()
	}
}

func (s *Statuses) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Apply records sts and acts on the failures among them.
func (s *Statuses) Apply(ctx context.Context, sts []Status) error {
	rows := make([]flows.MessageStatus, 0, len(sts))
	for _, st := range sts {
		status := st.Status
		switch status {
		case "played":
			status = "read"
		case "delivered", "read", "failed":
		default:
			// "sent" is what the send's own answer said (RecordSent);
			// "deleted" and what Meta may add: nothing to record.
			continue
		}
		if st.WAMID == "" {
			continue
		}
		why, code := "", 0
		if e := st.Err(); e != nil {
			why, code = e.Error(), e.Code
		} else if status == "failed" {
			why = "whatsapp: failed, no reason given"
		}
		rows = append(rows, flows.MessageStatus{ID: st.WAMID, ChatID: st.ChatID, Status: status, Error: why, Code: code})
	}
	if s.Batch > 0 {
		now := rows[:0]
		s.mu.Lock()
		for _, r := range rows {
			if r.Status != "failed" && len(s.pending) < maxPending {
				s.pending = append(s.pending, r)
			} else {
				now = append(now, r)
			}
		}
		s.mu.Unlock()
		rows = now
	}
	if len(rows) == 0 {
		return nil
	}
	failed, err := s.Store.RecordStatuses(ctx, Channel, rows)
	if err != nil {
		return fmt.Errorf("whatsapp statuses: %w", err)
	}
	return s.act(ctx, failed)
}

// Sent records the wamids of a send (Sender.Sent): what it carried is
// what the deliverer put in ctx (bot.SendingOf). With Batch they wait for
// FlushSent; without, they are written now, and a failure a status
// webhook reported before them is returned (a *Error), for the Sender to
// handle as a refusal at send time. Ids that cannot be kept are logged:
// their statuses will then not find the reply.
func (s *Statuses) Sent(ctx context.Context, chatID string, _ flows.Reply, wamids []string) error {
	what := bot.SendingOf(ctx)
	msgs := make([]flows.SentMessage, len(wamids))
	for i, id := range wamids {
		msgs[i] = flows.SentMessage{ID: id, ChatID: chatID, OutboxID: what.Outbox, BroadcastID: what.Broadcast}
	}
	if s.Batch > 0 {
		s.mu.Lock()
		batched := len(s.sent) < maxPending
		if batched {
			s.sent = append(s.sent, msgs...)
		}
		s.mu.Unlock()
		if batched {
			return nil
		}
	}
	failed, err := s.Store.RecordSent(context.WithoutCancel(ctx), Channel, msgs)
	if err != nil {
		s.log().Warn("whatsapp: the ids of a message sent are not kept; its statuses will not be matched", "chat_id", who(chatID), "err", err)
		return nil
	}
	for _, f := range failed {
		return &Error{Code: f.Code, Message: f.Error}
	}
	return nil
}

// Refused acts on a send Meta refused at once (Sender.Refused) for what
// the refusal says of the chat itself (aboutChat); the deliverer handles
// the rest of it.
func (s *Statuses) Refused(ctx context.Context, chatID string, e *Error) {
	if err := s.aboutChat(context.WithoutCancel(ctx), chatID, e); err != nil {
		s.log().Warn("whatsapp: a refusal not recorded", "chat_id", who(chatID), "err", err)
	}
}

// aboutChat records what a refusal says of its chat: 131047 its window
// closed (its next replies go as templates without a refusal each), 131050
// it stopped marketing messages (no more broadcasts).
func (s *Statuses) aboutChat(ctx context.Context, chatID string, e *Error) error {
	switch {
	case e.WindowClosed():
		s.Windows.Closed(chatID)
		// From now: a status's time is in whole seconds, and a message the
		// chat wrote since reopens the window.
		return s.Store.CloseWindow(ctx, Channel, chatID, clock.Now())
	case e.Code == CodeMarketingStopped:
		s.log().Info("whatsapp: the person stopped marketing messages; no more broadcasts to them", "chat_id", who(chatID))
		return s.Store.StopBroadcasts(ctx, Channel, chatID)
	}
	return nil
}

// act handles the messages that failed after Meta accepted them.
func (s *Statuses) act(ctx context.Context, failed []flows.StatusChange) error {
	log := s.log()
	requeued := false
	for _, f := range failed {
		what := "reply"
		if f.BroadcastID != 0 {
			what = "broadcast"
		}
		chat := who(f.ChatID)
		e := &Error{Code: f.Code, Message: f.Error}
		switch {
		case e.WindowClosed(), e.Code == CodeMarketingStopped:
			if err := s.aboutChat(ctx, f.ChatID, e); err != nil {
				return err
			}
			if e.WindowClosed() && f.OutboxID != 0 {
				if err := s.Store.Resend(ctx, f.OutboxID, f.Error); err != nil {
					return err
				}
				requeued = true
				log.Info("whatsapp: a reply failed outside the 24-hour window; it goes again as its template", "chat_id", chat, "outbox_id", f.OutboxID)
			}
		case e.Code == CodeUndeliverable:
			log.Info("whatsapp: undeliverable, the chat is marked unreachable", "chat_id", chat, "err", f.Error)
			if err := s.Store.MarkUnreachable(ctx, Channel, f.ChatID, f.Error); err != nil {
				return err
			}
		case e.TemplateProblem():
			log.Error("whatsapp: a template was refused; the message is kept failed in the outbox for an admin",
				"chat_id", chat, "what", what, "outbox_id", f.OutboxID, "broadcast_id", f.BroadcastID, "err", f.Error)
		default:
			log.Warn("whatsapp: a message Meta accepted failed", "chat_id", chat, "what", what, "outbox_id", f.OutboxID,
				"broadcast_id", f.BroadcastID, "err", f.Error)
		}
	}
	if requeued && s.Poke != nil {
		s.Poke()
	}
	return nil
}
