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
}

func decodeOutbox(rows []outboxRow) ([]flows.Outgoing, error) {
	out := make([]flows.Outgoing, 0, len(rows))
	for _, r := range rows {
		o := flows.Outgoing{ID: r.ID, Channel: r.Channel, ChatID: r.ChatID, CreatedAt: r.CreatedAt, Attempts: r.Attempts}
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
		SELECT id, channel, chat_id, payload, created_at, attempts FROM outbox
		WHERE channel = $1 AND chat_id = $2 AND sent_at IS NULL ORDER BY id`, channel, chatID)
	if err != nil {
		return nil, fmt.Errorf("pending replies of %s/%s: %w", channel, chatID, err)
	}
	return decodeOutbox(rows)
}

// Pending lists up to limit unsent replies of the given channels, oldest first.
func (d *DB) Pending(ctx context.Context, channels []string, limit int) ([]flows.Outgoing, error) {
	var rows []outboxRow
	err := d.db.SelectContext(ctx, &rows, `
		SELECT id, channel, chat_id, payload, created_at, attempts FROM outbox
		WHERE channel = ANY($1) AND sent_at IS NULL ORDER BY id LIMIT $2`, pq.Array(channels), limit)
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
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET sent_at = $2 WHERE id = ANY($1) AND sent_at IS NULL`,
		pq.Array(ids), d.now()); err != nil {
		return fmt.Errorf("mark %d replies sent: %w", len(ids), err)
	}
	return nil
}

// MarkFailed records a failed delivery attempt.
func (d *DB) MarkFailed(ctx context.Context, id int64, reason string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, id, reason); err != nil {
		return fmt.Errorf("mark reply %d failed: %w", id, err)
	}
	return nil
}

// Backlog counts unsent replies.
func (d *DB) Backlog(ctx context.Context) (int, error) {
	var n int
	if err := d.db.GetContext(ctx, &n, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`); err != nil {
		return 0, fmt.Errorf("outbox backlog: %w", err)
	}
	return n, nil
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
