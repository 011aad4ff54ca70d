package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
)

// qClaimBroadcast takes up to $3 queued recipients of the broadcast $1, if
// it is running, on the channels $2, due at $4, skipping rows another
// claimer holds. A recipient whose chat opted out or became unreachable
// since the start is marked so instead of being sent to; the others become
// "sending", one attempt more.
//
// One broadcast at a time, and ordered as the pending index is, so that the
// plan is an index scan whatever the statistics say: right after a big start
// they say every row is queued, and a sequential scan "until 500 match"
// would read past every row sent since.
const qClaimBroadcast = `
	WITH c AS MATERIALIZED (
		SELECT r.broadcast_id, r.channel, r.chat_id FROM broadcast_recipients r
		WHERE r.broadcast_id = $1 AND r.state = 'queued' AND (r.retry_at IS NULL OR r.retry_at <= $4) AND r.channel = ANY($2)
			AND (SELECT b.status FROM broadcasts b WHERE b.id = $1) = 'running'
		ORDER BY r.channel LIMIT $3
		FOR UPDATE OF r SKIP LOCKED
	), k AS (
		SELECT c.*, CASE
			WHEN EXISTS (SELECT 1 FROM opt_outs o WHERE o.channel = c.channel AND o.chat_id = c.chat_id) THEN 'opted_out'
			WHEN EXISTS (SELECT 1 FROM unreachable_chats u WHERE u.channel = c.channel AND u.chat_id = c.chat_id) THEN 'blocked'
			ELSE 'sending' END AS state
		FROM c
	)
	UPDATE broadcast_recipients r SET state = k.state, attempts = r.attempts + (k.state = 'sending')::int, updated_at = $4,
		retry_at = NULL, error = CASE k.state WHEN 'blocked' THEN 'unreachable' ELSE r.error END
	FROM k WHERE r.broadcast_id = k.broadcast_id AND r.channel = k.channel AND r.chat_id = k.chat_id
	RETURNING r.broadcast_id, r.channel, r.chat_id, r.lang, r.attempts, r.state`

// ClaimBroadcastItems claims up to limit recipients of running broadcasts on
// the given channels for sending, oldest broadcast first: they are "sending"
// when it returns, and no other claimer gets them. The caller sends to each
// and reports every one to FinishBroadcastItems; one it never reports stays
// "sending" until RecoverBroadcasts counts it unknown. Recipients who opted
// out or blocked the bot since the broadcast started are marked so, not
// returned.
func (d *DB) ClaimBroadcastItems(ctx context.Context, channels []string, limit int) ([]flows.BroadcastItem, error) {
	if limit <= 0 || len(channels) == 0 {
		return nil, nil
	}
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim broadcast recipients: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	now := d.now()
	var running []int64
	if err := tx.SelectContext(ctx, &running, `SELECT id FROM broadcasts WHERE status = $1 ORDER BY id`, flows.BroadcastRunning); err != nil {
		return nil, fmt.Errorf("claim broadcast recipients: %w", err)
	}
	var items []flows.BroadcastItem
	for _, id := range running {
		for len(items) < limit {
			var rows []struct {
				BroadcastID int64  `db:"broadcast_id"`
				Channel     string `db:"channel"`
				ChatID      string `db:"chat_id"`
				Lang        string `db:"lang"`
				Attempts    int    `db:"attempts"`
				State       string `db:"state"`
			}
			want := limit - len(items)
			if err := tx.SelectContext(ctx, &rows, qClaimBroadcast, id, pq.StringArray(channels), want, now); err != nil {
				return nil, fmt.Errorf("claim recipients of broadcast %d: %w", id, err)
			}
			for _, r := range rows {
				if r.State == recipientSending {
					items = append(items, flows.BroadcastItem{BroadcastID: r.BroadcastID, Channel: r.Channel, ChatID: r.ChatID, Lang: r.Lang, Attempts: r.Attempts})
				}
			}
			if len(rows) < want {
				break // nothing more to take from this one now
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim broadcast recipients: %w", err)
	}
	return items, nil
}

// FinishBroadcastItems records what sending did, in one statement for the
// whole batch. Only rows still "sending" change (a row RecoverBroadcasts
// counted unknown stays so). A "blocked" result marks the recipient only:
// the caller marks the chat unreachable (MarkUnreachable).
func (d *DB) FinishBroadcastItems(ctx context.Context, results []flows.BroadcastResult) error {
	if len(results) == 0 {
		return nil
	}
	ids := make([]int64, len(results))
	channels, chats, states, errs, retries, was := make([]string, len(results)), make([]string, len(results)),
		make([]string, len(results)), make([]string, len(results)), make([]string, len(results)), make([]string, len(results))
	for i, r := range results {
		switch r.State {
		case recipientSent, recipientFailed, recipientBlocked:
		case recipientQueued:
			if !r.RetryAt.IsZero() {
				retries[i] = r.RetryAt.Format(time.RFC3339Nano)
			}
		default:
			return fmt.Errorf("finish broadcast %d to %s/%s: state %q is not a result", r.BroadcastID, r.Channel, r.ChatID, r.State)
		}
		ids[i], channels[i], chats[i], states[i], errs[i], was[i] = r.BroadcastID, r.Channel, r.ChatID, r.State, r.Error, recipientSending
	}
	// The state a row must be in ("sending") comes with each result, as a
	// join clause: written as a constant, the planner would take it from
	// statistics that, early in a broadcast, see no row "sending", and join
	// every row in flight against every result instead of looking each up.
	if _, err := d.db.ExecContext(ctx, `UPDATE broadcast_recipients r SET state = u.state, error = u.error,
			retry_at = nullif(u.retry_at, '')::timestamptz, updated_at = $8
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
			AS u(broadcast_id, channel, chat_id, state, error, retry_at, was)
		WHERE r.broadcast_id = u.broadcast_id AND r.channel = u.channel AND r.chat_id = u.chat_id AND r.state = u.was`,
		pq.Int64Array(ids), pq.StringArray(channels), pq.StringArray(chats), pq.StringArray(states), pq.StringArray(errs),
		pq.StringArray(retries), pq.StringArray(was), d.now()); err != nil {
		return fmt.Errorf("finish %d broadcast recipients: %w", len(results), err)
	}
	return nil
}

// RecoverBroadcasts counts every recipient left "sending" as unknown: the
// process that claimed it stopped, and whether the message went out cannot
// be known, so it is never sent again. The one delivering process calls it
// when it takes over, before it claims anything.
func (d *DB) RecoverBroadcasts(ctx context.Context) (int, error) {
	res, err := d.db.ExecContext(ctx, `UPDATE broadcast_recipients SET state = $1, updated_at = $2 WHERE state = $3`,
		recipientUnknown, d.now(), recipientSending)
	if err != nil {
		return 0, fmt.Errorf("recover broadcasts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("recover broadcasts: %w", err)
	}
	return int(n), nil
}

// BroadcastAtomically runs fn in one transaction (see flows.FinishBroadcasts).
func (d *DB) BroadcastAtomically(ctx context.Context, fn func(ctx context.Context, tx flows.BroadcastTx) error) error {
	return d.atomically(ctx, func(ctx context.Context, t *opTx) error { return fn(ctx, t) })
}

var _ flows.BroadcastStore = (*DB)(nil)

// FinishRunning marks done the running broadcasts with nobody queued or in
// flight, and returns them (each once, whoever calls it).
func (t *opTx) FinishRunning(ctx context.Context) ([]flows.BroadcastProgress, error) {
	var ids []int64
	if err := t.tx.SelectContext(ctx, &ids, `UPDATE broadcasts b SET status = $1, finished_at = $2, updated_at = $2
		WHERE b.status = $3 AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r
			WHERE r.broadcast_id = b.id AND r.state IN ('queued', 'sending'))
		RETURNING b.id`, flows.BroadcastDone, t.now, flows.BroadcastRunning); err != nil {
		return nil, fmt.Errorf("finish broadcasts: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return progressOf(ctx, t.tx, `WHERE b.id = ANY($1) ORDER BY b.id`, pq.Int64Array(ids))
}

// ActiveBroadcasts counts the recipients of the running and paused
// broadcasts, oldest first, for their live progress; and of those cancelled
// whose progress message still shows their buttons (CloseBroadcastProgress).
func (d *DB) ActiveBroadcasts(ctx context.Context) ([]flows.BroadcastProgress, error) {
	return progressOf(ctx, d.db, `WHERE b.status IN ('running', 'paused')
		OR (b.status = 'cancelled' AND b.progress_ref <> '' AND b.progress_closed_at IS NULL) ORDER BY b.id`)
}

// CloseBroadcastProgress records that a cancelled broadcast's progress
// message now says so.
func (d *DB) CloseBroadcastProgress(ctx context.Context, id int64) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE broadcasts SET progress_closed_at = $2 WHERE id = $1`, id, d.now()); err != nil {
		return fmt.Errorf("broadcast %d: close progress: %w", id, err)
	}
	return nil
}

// BroadcastMessage is a broadcast's text and button. flows.ErrNotFound.
func (d *DB) BroadcastMessage(ctx context.Context, id int64) (text, button string, err error) {
	var m struct {
		Text   string `db:"text"`
		Button string `db:"button"`
	}
	err = d.db.GetContext(ctx, &m, `SELECT text, button FROM broadcasts WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("broadcast %d: %w", id, flows.ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("broadcast %d: %w", id, err)
	}
	return m.Text, m.Button, nil
}

// SetBroadcastProgressRef keeps the channel's id of a broadcast's progress
// message (to edit it in place). flows.ErrNotFound.
func (d *DB) SetBroadcastProgressRef(ctx context.Context, id int64, ref string) error {
	res, err := d.db.ExecContext(ctx, `UPDATE broadcasts SET progress_ref = $2 WHERE id = $1`, id, ref)
	if err != nil {
		return fmt.Errorf("broadcast %d progress message: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = flows.ErrNotFound
		}
		return fmt.Errorf("broadcast %d progress message: %w", id, err)
	}
	return nil
}

// QueueReplies puts replies in a chat's outbox, outside any conversation (a
// broadcast's final report).
func (d *DB) QueueReplies(ctx context.Context, channel, chatID string, replies []flows.Reply) error {
	return queueReplies(ctx, d.db, d.announces(channel), channel, chatID, d.now(), replies)
}

// qOptOut stops broadcasts to a chat ($1, $2) from $3 on.
const qOptOut = `INSERT INTO opt_outs (channel, chat_id, at) VALUES ($1, $2, $3) ON CONFLICT (channel, chat_id) DO NOTHING`

// SetOptOut stops (out) or restarts broadcasts to this chat, and reports
// whether that changed anything; a change is audited.
func (t *chatTx) SetOptOut(ctx context.Context, out bool) (bool, error) {
	q, action := `DELETE FROM opt_outs WHERE channel = $1 AND chat_id = $2`, "self:opt_in"
	args := []any{t.channel, t.chatID}
	if out {
		q, action = qOptOut, "self:opt_out"
		args = append(args, t.now)
	}
	res, err := t.exec(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", action, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", action, err)
	}
	if n == 0 {
		return false, nil
	}
	return true, t.Audit(ctx, action, "")
}
