package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// WebSessionIdle is how long a web chat session lives after it was last
// seen (the cookie's own life).
const WebSessionIdle = 90 * 24 * time.Hour

// WebChat finds the chat of a web session key (bot/web hashes the cookie's
// secret); false when no live session has it. A session seen again is
// marked so at most once a day.
func (d *DB) WebChat(ctx context.Context, key string) (string, bool, error) {
	now := d.now()
	var chat string
	err := d.db.GetContext(ctx, &chat, `
		WITH touch AS (UPDATE web_sessions SET seen_at = $2 WHERE key = $1 AND seen_at < $4 AND seen_at >= $3)
		SELECT chat_id FROM web_sessions WHERE key = $1 AND seen_at >= $3`, key, now, now.Add(-WebSessionIdle), now.Add(-24*time.Hour))
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("web session: %w", err)
	}
	return chat, true, nil
}

// OpenWebSession records a session the web chat issued, for a new chat;
// when two requests open it at once, both get the same chat.
func (d *DB) OpenWebSession(ctx context.Context, key, chat string) (string, error) {
	now := d.now()
	var got string
	err := d.db.GetContext(ctx, &got, `
		INSERT INTO web_sessions (key, chat_id, created_at, seen_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (key) DO UPDATE SET seen_at = $3 RETURNING chat_id`, key, chat, now)
	if err != nil {
		return "", fmt.Errorf("open web session: %w", err)
	}
	return got, nil
}

// RotateWebSession moves a chat from one session key to a new one: the old
// key stops working at once.
func (d *DB) RotateWebSession(ctx context.Context, oldKey, newKey string) error {
	res, err := d.db.ExecContext(ctx, `
		WITH old AS (DELETE FROM web_sessions WHERE key = $1 RETURNING chat_id)
		INSERT INTO web_sessions (key, chat_id, created_at, seen_at) SELECT $2, chat_id, $3, $3 FROM old`, oldKey, newKey, d.now())
	if err != nil {
		return fmt.Errorf("rotate web session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("rotate web session: %d sessions had the old key (%v)", n, err)
	}
	return nil
}

// PruneWebSessions deletes sessions not seen for WebSessionIdle.
func (d *DB) PruneWebSessions(ctx context.Context) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE seen_at < $1`, d.now().Add(-WebSessionIdle))
	if err != nil {
		return 0, fmt.Errorf("prune web sessions: %w", err)
	}
	return res.RowsAffected()
}
