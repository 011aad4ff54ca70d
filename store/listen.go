package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// outboxChannel is the NOTIFY channel of replies queued for web chats
// (migration 0023): its payload is "channel:chat_id".
const outboxChannel = "lindungi_outbox"

// AnnounceReplies makes every transaction of this DB that queues replies
// for a channel delivered by a process (not the web chat, whose own
// trigger always announces, nor the terminal) NOTIFY them while others
// says so: when another process delivers (bot.Deliverer.Delivering). The
// delivering process wakes itself and commits without NOTIFY, whose
// global lock at commit would otherwise cap the engine at a few hundred
// transactions a second. Set it before use.
func (d *DB) AnnounceReplies(others func() bool) { d.announce = others }

func (d *DB) announces(channel string) bool {
	return channel != "web" && channel != "console" && d.announce != nil && d.announce()
}

// ListenOutbox calls wake with the chat of every reply queued for channel
// (only "web" chats notify), from any process, until ctx ends; on one
// dedicated connection, whatever the number of streams waiting. Once the
// listening has begun, and after the connection was lost and is back, lost
// is called: notifications may have been missed before, so every waiting
// stream should look once.
func (d *DB) ListenOutbox(ctx context.Context, channel string, wake func(chatID string), lost func()) error {
	l := pq.NewListener(d.dsn, time.Second, 30*time.Second, nil)
	defer l.Close()
	if err := l.Listen(outboxChannel); err != nil {
		return fmt.Errorf("listen for replies: %w", err)
	}
	// What was queued before the listening began was not announced to it:
	// the listeners look once now.
	lost()
	ping := time.NewTicker(60 * time.Second)
	defer ping.Stop()
	prefix := channel + ":"
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-l.Notify:
			if n == nil { // reconnected
				lost()
				continue
			}
			if chat, ok := strings.CutPrefix(n.Extra, prefix); ok {
				wake(chat)
			}
		case <-ping.C:
			// A dead connection is noticed here, and the listener reconnects.
			go l.Ping() //nolint:errcheck // the reconnect reports through Notify
		}
	}
}
