package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
)

// qBegin records the update id (when there is one) and locks the chat's
// session row in one round trip. It always returns one row: fresh says
// whether the update id is new; the session columns are NULL for a new chat.
const qBegin = `
	WITH seen AS (
		INSERT INTO processed_updates (channel, update_id, seen_at)
		SELECT $1, $3, $4 WHERE $3 <> ''
		ON CONFLICT DO NOTHING RETURNING 1
	), stored AS (
		-- Handled now: an update kept in the inbox (long polling) goes.
		DELETE FROM inbox WHERE channel = $1 AND update_id = $3 AND $3 <> ''
	), back AS (
		-- A chat that writes to us can be reached again (it unblocked the bot).
		DELETE FROM unreachable_chats WHERE channel = $1 AND chat_id = $2
	), cur AS (
		SELECT user_id, flow, state, lang, pending, data, created_at, updated_at
		FROM sessions WHERE channel = $1 AND chat_id = $2 FOR UPDATE
	)
	SELECT (SELECT count(*) FROM seen) AS fresh, cur.* FROM (SELECT 1) AS one LEFT JOIN cur ON true`

// qCreateSession makes the row of a new chat (and so locks it).
const qCreateSession = `
	INSERT INTO sessions (channel, chat_id, created_at, updated_at) VALUES ($1, $2, $3, $3)
	ON CONFLICT (channel, chat_id) DO NOTHING
	RETURNING user_id, flow, state, lang, pending, data, created_at, updated_at`

// qLockSession locks a row another transaction created first.
const qLockSession = `
	SELECT user_id, flow, state, lang, pending, data, created_at, updated_at
	FROM sessions WHERE channel = $1 AND chat_id = $2 FOR UPDATE`

// qSaveAndSend writes the session back and queues the replies, in order, in
// one round trip.
const qSaveAndSend = `
	WITH s AS (
		UPDATE sessions SET user_id = $3, flow = $4, state = $5, lang = $6, pending = $7, data = $8, updated_at = $9
		WHERE channel = $1 AND chat_id = $2
	)
	INSERT INTO outbox (channel, chat_id, payload, created_at, about)
	SELECT $1, $2, p, $9, ` + aboutSQL + ` FROM unnest($10::json[]) WITH ORDINALITY AS r(p, n)
	CROSS JOIN (SELECT CASE WHEN $11::bool THEN pg_notify('` + outboxChannel + `', $1 || ':' || $2) END) AS announce ORDER BY n`

// qSend queues replies without touching the session.
const qSend = `
	INSERT INTO outbox (channel, chat_id, payload, created_at, about)
	SELECT $1, $2, p, $3, ` + aboutSQL + ` FROM unnest($4::json[]) WITH ORDINALITY AS r(p, n)
	CROSS JOIN (SELECT CASE WHEN $5::bool THEN pg_notify('` + outboxChannel + `', $1 || ':' || $2) END) AS announce ORDER BY n`

// aboutSQL copies a reply's About (whom it quotes) into its own column.
const aboutSQL = `CASE WHEN p->'about' IS NOT NULL THEN ARRAY(SELECT json_array_elements_text(p->'about')) END`

type sessionRow struct {
	UserID    sql.NullString `db:"user_id"`
	Flow      sql.NullString `db:"flow"`
	State     sql.NullString `db:"state"`
	Lang      sql.NullString `db:"lang"`
	Pending   sql.NullString `db:"pending"`
	Data      []byte         `db:"data"`
	CreatedAt sql.NullTime   `db:"created_at"`
	UpdatedAt sql.NullTime   `db:"updated_at"`
}

type beginRow struct {
	Fresh int `db:"fresh"`
	sessionRow
}

// Begin records the update id and loads (and locks) the chat's session; see flows.Tx.
func (t *chatTx) Begin(ctx context.Context, updateID string) (*flows.Session, bool, error) {
	var b beginRow
	if err := t.get(ctx, &b, qBegin, t.channel, t.chatID, updateID, t.now); err != nil {
		return nil, false, fmt.Errorf("load session %s/%s: %w", t.channel, t.chatID, err)
	}
	if updateID != "" && b.Fresh == 0 {
		return nil, false, nil // seen before
	}
	row, isNew := b.sessionRow, false
	if !row.CreatedAt.Valid {
		// A new chat: create its row; if another update of it got there first, wait for its lock.
		err := t.get(ctx, &row, qCreateSession, t.channel, t.chatID, t.now)
		if errors.Is(err, sql.ErrNoRows) {
			err = t.get(ctx, &row, qLockSession, t.channel, t.chatID)
		} else {
			isNew = true
		}
		if err != nil {
			return nil, false, fmt.Errorf("create session %s/%s: %w", t.channel, t.chatID, err)
		}
	}
	s := &flows.Session{
		Channel: t.channel, ChatID: t.chatID, UserID: row.UserID.String, Flow: row.Flow.String, State: flows.State(row.State.String),
		Lang: row.Lang.String, Pending: row.Pending.String, CreatedAt: row.CreatedAt.Time, UpdatedAt: row.UpdatedAt.Time, New: isNew,
	}
	t.userID = s.UserID
	if len(row.Data) > 0 {
		plain, err := t.vault.Open(row.Data)
		if err != nil {
			return nil, false, fmt.Errorf("open session %s/%s: %w", t.channel, t.chatID, err)
		}
		if err := json.Unmarshal(plain, &s.Data); err != nil {
			return nil, false, fmt.Errorf("decode session %s/%s: %w", t.channel, t.chatID, err)
		}
	}
	return s, true, nil
}

// SaveSession seals the session's answers; the row is written together with
// the replies when the transaction ends (one round trip for both).
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
	t.save = &savedSession{s: *s, sealed: sealed}
	return nil
}

type savedSession struct {
	s      flows.Session
	sealed []byte
}

// Send queues replies; they are written when the transaction ends.
func (t *chatTx) Send(ctx context.Context, replies []flows.Reply) error {
	for _, r := range replies {
		payload, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode reply: %w", err)
		}
		t.replies = append(t.replies, string(payload))
	}
	return nil
}

// flush writes what SaveSession and Send left for the end of the transaction.
func (t *chatTx) flush(ctx context.Context) error {
	replies := pq.StringArray(t.replies)
	switch {
	case t.save != nil:
		s := t.save.s
		if _, err := t.exec(ctx, qSaveAndSend, t.channel, t.chatID, s.UserID, s.Flow, s.State, s.Lang, s.Pending,
			t.save.sealed, t.now, replies, t.announces(t.channel)); err != nil {
			return fmt.Errorf("save session %s/%s and %d replies: %w", t.channel, t.chatID, len(t.replies), err)
		}
	case len(t.replies) > 0:
		if _, err := t.exec(ctx, qSend, t.channel, t.chatID, t.now, replies, t.announces(t.channel)); err != nil {
			return fmt.Errorf("queue %d replies for %s/%s: %w", len(t.replies), t.channel, t.chatID, err)
		}
	}
	t.save, t.replies = nil, nil
	return nil
}
