package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
)

type outboxRow struct {
	ID        int64     `db:"id"`
	Channel   string    `db:"channel"`
	ChatID    string    `db:"chat_id"`
	Payload   []byte    `db:"payload"`
	CreatedAt time.Time `db:"created_at"`
	Attempts  int       `db:"attempts"`
	PartsSent int       `db:"parts_sent"`
}

func decodeOutbox(rows []outboxRow) ([]flows.Outgoing, error) {
	out := make([]flows.Outgoing, 0, len(rows))
	for _, r := range rows {
		o := flows.Outgoing{ID: r.ID, Channel: r.Channel, ChatID: r.ChatID, CreatedAt: r.CreatedAt, Attempts: r.Attempts, PartsSent: r.PartsSent}
		if err := json.Unmarshal(r.Payload, &o.Reply); err != nil {
			return nil, fmt.Errorf("decode outbox %d: %w", r.ID, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// PendingFor lists the unsent replies of one chat, oldest first.
func (d *DB) PendingFor(ctx context.Context, channel, chatID string) ([]flows.Outgoing, error) {
	var rows []outboxRow
	err := d.db.SelectContext(ctx, &rows, `
		SELECT id, channel, chat_id, payload, created_at, attempts, parts_sent FROM outbox
		WHERE channel = $1 AND chat_id = $2 AND sent_at IS NULL AND failed_at IS NULL ORDER BY id`, channel, chatID)
	if err != nil {
		return nil, fmt.Errorf("pending replies of %s/%s: %w", channel, chatID, err)
	}
	return decodeOutbox(rows)
}

// Pending lists up to limit replies of the given channels that are due for
// delivery, oldest first: not sent, not given up, not waiting for a retry
// nor behind a reply of its chat that waits for one (a chat's order holds),
// and not for a chat that is unreachable. The replies in skip (the ones a
// deliverer has in hand: being sent, or sent and not yet marked) are left
// out, so a look at a busy outbox reads and decodes only new work.
func (d *DB) Pending(ctx context.Context, channels []string, skip []int64, limit int) ([]flows.Outgoing, error) {
	if skip == nil {
		skip = []int64{} // NULL would leave out every row
	}
	var rows []outboxRow
	err := d.db.SelectContext(ctx, &rows, `
		SELECT id, channel, chat_id, payload, created_at, attempts, parts_sent FROM outbox o
		WHERE channel = ANY($1) AND sent_at IS NULL AND failed_at IS NULL
			AND (next_attempt_at IS NULL OR next_attempt_at <= $3)
			AND NOT EXISTS (SELECT 1 FROM unreachable_chats u WHERE u.channel = o.channel AND u.chat_id = o.chat_id)
			-- an earlier reply of the chat waiting for its retry holds this one back
			AND NOT EXISTS (SELECT 1 FROM outbox w WHERE w.channel = o.channel AND w.chat_id = o.chat_id AND w.id < o.id
				AND w.sent_at IS NULL AND w.failed_at IS NULL AND w.next_attempt_at IS NOT NULL AND w.next_attempt_at > $3)
			AND id <> ALL($4::bigint[])
		ORDER BY id LIMIT $2`, pq.Array(channels), limit, d.now(), pq.Array(skip))
	if err != nil {
		return nil, fmt.Errorf("pending replies: %w", err)
	}
	return decodeOutbox(rows)
}

// MarkSent marks delivered replies in one statement.
func (d *DB) MarkSent(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	// A reply the channel said failed, to be sent again (Resend), while
	// its marking was on its way, stays waiting.
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET sent_at = $2 WHERE id = ANY($1) AND sent_at IS NULL AND delivery <> 'resend'`,
		pq.Array(ids), d.now()); err != nil {
		return fmt.Errorf("mark %d replies sent: %w", len(ids), err)
	}
	return nil
}

// MarkFailed records a failed attempt; the reply is tried again from retryAt.
func (d *DB) MarkFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1`,
		id, reason, retryAt); err != nil {
		return fmt.Errorf("mark reply %d failed: %w", id, err)
	}
	return nil
}

// MarkPartsSent records that the first parts of a reply sent in parts were
// delivered before an attempt failed: the next attempt starts after them.
func (d *DB) MarkPartsSent(ctx context.Context, id int64, parts int) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET parts_sent = greatest(parts_sent, $2) WHERE id = $1`, id, parts); err != nil {
		return fmt.Errorf("mark %d parts of reply %d sent: %w", parts, id, err)
	}
	return nil
}

// MarkDropped gives up on a reply that can never be delivered.
func (d *DB) MarkDropped(ctx context.Context, id int64, reason string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2, failed_at = $3 WHERE id = $1`,
		id, reason, d.now()); err != nil {
		return fmt.Errorf("drop reply %d: %w", id, err)
	}
	return nil
}

// MarkUnreachable records that a chat blocked the bot (or is gone) and gives
// up on its waiting replies. The chat is reachable again when it next writes.
func (d *DB) MarkUnreachable(ctx context.Context, channel, chatID, reason string) error {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark %s/%s unreachable: %w", channel, chatID, err)
	}
	defer tx.Rollback() //nolint:errcheck
	now := d.now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO unreachable_chats (channel, chat_id, since, reason) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, chat_id) DO UPDATE SET reason = EXCLUDED.reason`, channel, chatID, now, reason); err != nil {
		return fmt.Errorf("mark %s/%s unreachable: %w", channel, chatID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET failed_at = $3, last_error = $4
		WHERE channel = $1 AND chat_id = $2 AND sent_at IS NULL AND failed_at IS NULL`, channel, chatID, now, "unreachable: "+reason); err != nil {
		return fmt.Errorf("drop replies of %s/%s: %w", channel, chatID, err)
	}
	return tx.Commit()
}

// Unreachable reports whether a chat is marked unreachable.
func (d *DB) Unreachable(ctx context.Context, channel, chatID string) (bool, error) {
	var yes bool
	err := d.db.GetContext(ctx, &yes, `SELECT EXISTS (SELECT 1 FROM unreachable_chats WHERE channel = $1 AND chat_id = $2)`, channel, chatID)
	if err != nil {
		return false, fmt.Errorf("unreachable %s/%s: %w", channel, chatID, err)
	}
	return yes, nil
}

// PruneUpdates forgets update ids seen before the cutoff (48 hours by the
// channels issue: Telegram may restart its ids after a week of silence).
func (d *DB) PruneUpdates(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM processed_updates WHERE seen_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune update ids: %w", err)
	}
	return res.RowsAffected()
}

// PruneOutbox deletes the replies created before the cutoff: the outbox is
// a delivery queue, not an archive, and its texts hold names, payment codes
// and claim codes. That includes replies never delivered: those of a chat
// that blocked the bot, or of a web chat never opened again, would be stale
// by then (codes expired, reminders past). It deletes in batches of 5,000,
// oldest first, and returns how many it deleted.
func (d *DB) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	// Ids grow with time: every row below the first one created after the
	// cutoff is older (give or take a transaction's length).
	var bound sql.NullInt64
	if err := d.db.GetContext(ctx, &bound, `SELECT coalesce((SELECT id FROM outbox WHERE created_at >= $1 ORDER BY id LIMIT 1),
		(SELECT max(id) + 1 FROM outbox))`, before); err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	if !bound.Valid {
		return 0, nil // empty
	}
	var total int64
	for {
		res, err := d.db.ExecContext(ctx, `
			DELETE FROM outbox WHERE id IN (
				SELECT id FROM outbox WHERE id < $1 ORDER BY id LIMIT 5000)`, bound.Int64)
		if err != nil {
			return total, fmt.Errorf("prune outbox: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 || ctx.Err() != nil {
			if _, err := d.db.ExecContext(ctx, `DELETE FROM channel_messages WHERE created_at < $1`, before); err != nil {
				return total, fmt.Errorf("prune the channel's message ids: %w", err)
			}
			return total, nil
		}
	}
}

// BacklogOf counts the replies of the given channels waiting for delivery.
func (d *DB) BacklogOf(ctx context.Context, channels []string) (int, error) {
	waiting, err := d.Waiting(ctx, channels)
	n := 0
	for _, w := range waiting {
		n += w.Waiting
	}
	return n, err
}

// Waiting reports, for each of the channels, how many replies wait for
// delivery and when the oldest of them was queued (for the metrics).
func (d *DB) Waiting(ctx context.Context, channels []string) (map[string]flows.Backlog, error) {
	var rows []struct {
		Channel string    `db:"channel"`
		Waiting int       `db:"waiting"`
		Oldest  time.Time `db:"oldest"`
	}
	if err := d.db.SelectContext(ctx, &rows, `SELECT channel, count(*) AS waiting, min(created_at) AS oldest FROM outbox o
		WHERE channel = ANY($1) AND sent_at IS NULL AND failed_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM unreachable_chats u WHERE u.channel = o.channel AND u.chat_id = o.chat_id)
		GROUP BY channel`, pq.Array(channels)); err != nil {
		return nil, fmt.Errorf("replies waiting: %w", err)
	}
	out := make(map[string]flows.Backlog, len(channels))
	for _, ch := range channels {
		out[ch] = flows.Backlog{}
	}
	for _, r := range rows {
		out[r.Channel] = flows.Backlog{Waiting: r.Waiting, Oldest: r.Oldest}
	}
	return out, nil
}

// LastChoices returns the buttons of the newest delivered reply of a chat that
// had some, so a restarted channel still knows what "2" means.
func (d *DB) LastChoices(ctx context.Context, channel, chatID string) ([]flows.Choice, error) {
	var payload []byte
	err := d.db.GetContext(ctx, &payload, `
		SELECT payload FROM outbox WHERE channel = $1 AND chat_id = $2 AND sent_at IS NOT NULL AND (payload::jsonb) ? 'choices'
		ORDER BY id DESC LIMIT 1`, channel, chatID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last choices of %s/%s: %w", channel, chatID, err)
	}
	var r flows.Reply
	if err := json.Unmarshal(payload, &r); err != nil {
		return nil, fmt.Errorf("decode last choices of %s/%s: %w", channel, chatID, err)
	}
	return r.Choices, nil
}
