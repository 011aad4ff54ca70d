package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// FirstSeen records an inbound update id; false means it was processed before.
func (t *chatTx) FirstSeen(ctx context.Context, updateID string) (bool, error) {
	res, err := t.tx.ExecContext(ctx,
		`INSERT INTO processed_updates (channel, update_id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		t.channel, updateID, t.now)
	if err != nil {
		return false, fmt.Errorf("record update %s: %w", updateID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record update %s: %w", updateID, err)
	}
	return n == 1, nil
}

type sessionRow struct {
	UserID    string    `db:"user_id"`
	Flow      string    `db:"flow"`
	State     string    `db:"state"`
	Lang      string    `db:"lang"`
	Pending   string    `db:"pending"`
	Data      []byte    `db:"data"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
	Inserted  bool      `db:"inserted"`
}

// Session loads the chat's session and locks its row until the transaction
// ends; the row is created when the chat is new. One statement does both.
func (t *chatTx) Session(ctx context.Context) (*flows.Session, error) {
	var r sessionRow
	err := t.tx.GetContext(ctx, &r, `
		INSERT INTO sessions (channel, chat_id, created_at, updated_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (channel, chat_id) DO UPDATE SET channel = EXCLUDED.channel
		RETURNING user_id, flow, state, lang, pending, data, created_at, updated_at, (xmax = 0) AS inserted`,
		t.channel, t.chatID, t.now)
	if err != nil {
		return nil, fmt.Errorf("load session %s/%s: %w", t.channel, t.chatID, err)
	}
	s := &flows.Session{
		Channel: t.channel, ChatID: t.chatID, UserID: r.UserID, Flow: r.Flow, State: r.State, Lang: r.Lang,
		Pending: r.Pending, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, New: r.Inserted,
	}
	t.userID = r.UserID
	if len(r.Data) > 0 {
		plain, err := t.vault.Open(r.Data)
		if err != nil {
			return nil, fmt.Errorf("open session %s/%s: %w", t.channel, t.chatID, err)
		}
		if err := json.Unmarshal(plain, &s.Data); err != nil {
			return nil, fmt.Errorf("decode session %s/%s: %w", t.channel, t.chatID, err)
		}
	}
	return s, nil
}

// SaveSession writes the session back, its answers sealed.
func (t *chatTx) SaveSession(ctx context.Context, s *flows.Session) error {
	var sealed []byte
	plain, err := json.Marshal(s.Data)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	if string(plain) != "{}" {
		if sealed, err = t.vault.Seal(plain); err != nil {
			return fmt.Errorf("seal session: %w", err)
		}
	}
	t.userID = s.UserID
	_, err = t.tx.ExecContext(ctx, `
		UPDATE sessions SET user_id = $3, flow = $4, state = $5, lang = $6, pending = $7, data = $8, updated_at = $9
		WHERE channel = $1 AND chat_id = $2`,
		t.channel, t.chatID, s.UserID, s.Flow, s.State, s.Lang, s.Pending, sealed, t.now)
	if err != nil {
		return fmt.Errorf("save session %s/%s: %w", t.channel, t.chatID, err)
	}
	return nil
}
