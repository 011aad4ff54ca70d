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

// windowClosed says, of a chat's session row s, that the channel said its
// window closed after the chat last wrote (CloseWindow).
const windowClosed = `EXISTS (SELECT 1 FROM closed_windows w WHERE w.channel = s.channel AND w.chat_id = s.chat_id AND w.closed_at >= s.updated_at)`

// LastInbound is when the chat last wrote (its session was last saved by
// its own message), zero when never or when the channel said since that the
// chat's window had closed (CloseWindow).
func (d *DB) LastInbound(ctx context.Context, channel, chatID string) (time.Time, error) {
	var at sql.NullTime
	err := d.db.GetContext(ctx, &at, `SELECT s.updated_at FROM sessions s WHERE s.channel = $1 AND s.chat_id = $2 AND NOT `+windowClosed,
		channel, chatID)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("when %s/%s last wrote: %w", channel, chatID, err)
	}
	return at.Time, nil
}

// CloseWindow records that the channel refused a free-form message to the
// chat at at because its window had closed: until the chat writes again,
// LastInbound is zero.
func (d *DB) CloseWindow(ctx context.Context, channel, chatID string, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, `INSERT INTO closed_windows (channel, chat_id, closed_at) VALUES ($1, $2, $3)
		ON CONFLICT (channel, chat_id) DO UPDATE SET closed_at = greatest(closed_windows.closed_at, EXCLUDED.closed_at)`,
		channel, chatID, at); err != nil {
		return fmt.Errorf("close the window of %s/%s: %w", channel, chatID, err)
	}
	return nil
}

// qRecordSent is RecordSent's one statement (prepared: it runs for every
// batch of sends). Its commit does not wait for the disk, which loses
// nothing: the replies' marking as sent (synchronous) comes after it and
// its commit flushes this one first; a crash before both sends the replies
// again.
var qRecordSent = `
	WITH cfg AS (
		SELECT set_config('synchronous_commit', 'off', true) AS v
	), s AS (
		SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS s(message_id, chat_id, outbox_id, broadcast_id)
	), m AS (
		INSERT INTO channel_messages AS m (channel, message_id, chat_id, outbox_id, broadcast_id, created_at, updated_at)
		SELECT $1, message_id, chat_id, nullif(outbox_id, 0), nullif(broadcast_id, 0), $6, $6 FROM s
		ON CONFLICT (channel, message_id) DO UPDATE SET outbox_id = EXCLUDED.outbox_id, broadcast_id = EXCLUDED.broadcast_id
		RETURNING m.message_id, m.chat_id, m.status, m.error, m.error_code, coalesce(m.outbox_id, 0) AS outbox_id,
			coalesce(m.broadcast_id, 0) AS broadcast_id
	), o AS (
		-- a new attempt: what was said of an earlier one no longer holds
		UPDATE outbox SET delivery = CASE WHEN EXISTS (SELECT 1 FROM m WHERE m.outbox_id = outbox.id AND m.status = 'failed') THEN 'failed' ELSE '' END
		WHERE id IN (SELECT outbox_id FROM s WHERE outbox_id <> 0)
			AND (delivery <> '' OR EXISTS (SELECT 1 FROM m WHERE m.outbox_id = outbox.id AND m.status = 'failed'))
	), b AS (
		UPDATE broadcast_recipients r SET state = 'failed', error = m.error, updated_at = $6
		FROM m WHERE m.status = 'failed' AND r.broadcast_id = m.broadcast_id AND r.channel = $1 AND r.chat_id = m.chat_id
	)
	-- (cfg joined so that it runs: its value is never NULL)
	SELECT m.* FROM m CROSS JOIN cfg WHERE m.status = 'failed' OR cfg.v IS NULL`

// RecordSent keeps the channel's ids of the messages that carried replies
// or broadcasts, for their status webhooks, in one statement. A status that
// came first is kept and given to the reply; the messages it says failed
// already are returned, to be acted on as RecordStatuses' are.
func (d *DB) RecordSent(ctx context.Context, channel string, sent []flows.SentMessage) ([]flows.StatusChange, error) {
	if len(sent) == 0 {
		return nil, nil
	}
	ids, chats := make(pq.StringArray, len(sent)), make(pq.StringArray, len(sent))
	outbox, broadcasts := make(pq.Int64Array, len(sent)), make(pq.Int64Array, len(sent))
	for i, m := range sent {
		ids[i], chats[i], outbox[i], broadcasts[i] = m.ID, m.ChatID, m.OutboxID, m.BroadcastID
	}
	var rows []statusRow
	var err error
	if st, ok := d.prepared(qRecordSent); ok {
		err = st.SelectContext(ctx, &rows, channel, ids, chats, outbox, broadcasts, d.now())
	} else {
		err = d.db.SelectContext(ctx, &rows, qRecordSent, channel, ids, chats, outbox, broadcasts, d.now())
	}
	if err != nil {
		return nil, fmt.Errorf("record %d message ids sent: %w", len(sent), err)
	}
	return changes(rows), nil
}

type statusRow struct {
	ID          string `db:"message_id"`
	ChatID      string `db:"chat_id"`
	Status      string `db:"status"`
	Error       string `db:"error"`
	Code        int    `db:"error_code"`
	OutboxID    int64  `db:"outbox_id"`
	BroadcastID int64  `db:"broadcast_id"`
}

func changes(rows []statusRow) []flows.StatusChange {
	out := make([]flows.StatusChange, 0, len(rows))
	for _, r := range rows {
		out = append(out, flows.StatusChange{MessageStatus: flows.MessageStatus{ID: r.ID, ChatID: r.ChatID, Status: r.Status, Error: r.Error, Code: r.Code},
			OutboxID: r.OutboxID, BroadcastID: r.BroadcastID})
	}
	return out
}

// qStatus moves messages forward only (sent → delivered → read; failed
// from sent or delivered), whatever order the webhooks come in, and
// reports those that failed now.
var qStatus = `
	WITH cfg AS (
		SELECT set_config('synchronous_commit', $8, true) AS v
	), s AS (
		SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $7::int[]) AS s(message_id, chat_id, status, error, error_code)
	), up AS (
		INSERT INTO channel_messages AS m (channel, message_id, chat_id, status, error, error_code, created_at, updated_at)
		SELECT $1, message_id, chat_id, status, error, error_code, $6, $6 FROM s
		ON CONFLICT (channel, message_id) DO UPDATE SET status = EXCLUDED.status, error = EXCLUDED.error, error_code = EXCLUDED.error_code,
			updated_at = EXCLUDED.updated_at
		WHERE ` + statusRank("EXCLUDED.status") + ` > ` + statusRank("m.status") + `
		RETURNING m.message_id, m.chat_id, m.status, m.error, m.error_code, coalesce(m.outbox_id, 0) AS outbox_id,
			coalesce(m.broadcast_id, 0) AS broadcast_id
	), o AS (
		-- the reply's row is written only when it failed: deliveries and
		-- reads stay here (a thousand a second would rewrite the outbox)
		UPDATE outbox SET delivery = 'failed', last_error = up.error
		FROM up WHERE outbox.id = up.outbox_id AND up.outbox_id <> 0 AND up.status = 'failed'
	), b AS (
		UPDATE broadcast_recipients r SET state = 'failed', error = up.error, updated_at = $6
		FROM up WHERE up.status = 'failed' AND r.broadcast_id = up.broadcast_id AND r.channel = $1 AND r.chat_id = up.chat_id AND r.state = 'sent'
	)
	SELECT up.* FROM up CROSS JOIN cfg WHERE up.status = 'failed' OR cfg.v IS NULL`

// statusRank orders a message's statuses: a later webhook saying less is
// ignored. A failure after "read" cannot happen.
func statusRank(col string) string {
	return `array_position(ARRAY['sent', 'delivered', 'read', 'failed'], ` + col + `)`
}

// RecordStatuses applies status webhooks: each message's status (and its
// reply's delivery, a broadcast's recipient failed) moves forward only. It
// returns the messages that failed now, for the channel to act on.
func (d *DB) RecordStatuses(ctx context.Context, channel string, sts []flows.MessageStatus) ([]flows.StatusChange, error) {
	if len(sts) == 0 {
		return nil, nil
	}
	ids, chats, states, errs := make(pq.StringArray, len(sts)), make(pq.StringArray, len(sts)), make(pq.StringArray, len(sts)), make(pq.StringArray, len(sts))
	codes := make(pq.Int64Array, len(sts))
	// Deliveries and reads are not worth a wait for the disk; a failure,
	// whose reply may go again, is: Meta does not repeat a webhook it got
	// a 200 for.
	synchronous := "off"
	for i, s := range sts {
		ids[i], chats[i], states[i], errs[i], codes[i] = s.ID, s.ChatID, s.Status, s.Error, int64(s.Code)
		if s.Status == "failed" {
			synchronous = "on"
		}
	}
	var rows []statusRow
	if err := d.db.SelectContext(ctx, &rows, qStatus, channel, ids, chats, states, errs, d.now(), codes, synchronous); err != nil {
		return nil, fmt.Errorf("record %d %s statuses: %w", len(sts), channel, err)
	}
	return changes(rows), nil
}

// Resend queues again a reply the channel accepted and then failed to
// deliver (WhatsApp's window had closed: it goes again as its template),
// also when the deliverer has not marked it sent yet (MarkSent leaves it).
func (d *DB) Resend(ctx context.Context, outboxID int64, reason string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET sent_at = NULL, failed_at = NULL, parts_sent = 0, delivery = 'resend',
		next_attempt_at = NULL, last_error = $2 WHERE id = $1`, outboxID, reason); err != nil {
		return fmt.Errorf("queue reply %d again: %w", outboxID, err)
	}
	return nil
}

// StopBroadcasts records that a chat takes no more broadcasts (on WhatsApp:
// the person stopped marketing messages), as if it had opted out.
func (d *DB) StopBroadcasts(ctx context.Context, channel, chatID string) error {
	if _, err := d.db.ExecContext(ctx, qOptOut, channel, chatID, d.now()); err != nil {
		return fmt.Errorf("stop broadcasts to %s/%s: %w", channel, chatID, err)
	}
	return nil
}

// SaveMenu keeps a reply whose choices go out in pages (sealed: a list may
// name people), for the taps that turn them; saving a key again keeps the
// first.
func (d *DB) SaveMenu(ctx context.Context, channel, chatID, key string, r flows.Reply) error {
	plain, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode menu: %w", err)
	}
	sealed, err := d.vault.Seal(plain)
	if err != nil {
		return fmt.Errorf("seal menu: %w", err)
	}
	if _, err := d.db.ExecContext(ctx, `INSERT INTO channel_menus (channel, chat_id, key, reply, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, channel, chatID, key, sealed, d.now()); err != nil {
		return fmt.Errorf("save menu of %s/%s: %w", channel, chatID, err)
	}
	return nil
}

// Menu is a reply SaveMenu kept, younger than a week; flows.ErrNotFound.
func (d *DB) Menu(ctx context.Context, channel, chatID, key string) (flows.Reply, error) {
	var sealed []byte
	err := d.db.GetContext(ctx, &sealed, `SELECT reply FROM channel_menus WHERE channel = $1 AND chat_id = $2 AND key = $3 AND created_at > $4`,
		channel, chatID, key, d.now().Add(-menuTTL))
	if errors.Is(err, sql.ErrNoRows) {
		return flows.Reply{}, fmt.Errorf("menu %s of %s/%s: %w", key, channel, chatID, flows.ErrNotFound)
	}
	if err != nil {
		return flows.Reply{}, fmt.Errorf("menu %s of %s/%s: %w", key, channel, chatID, err)
	}
	plain, err := d.vault.Open(sealed)
	if err != nil {
		return flows.Reply{}, fmt.Errorf("open menu of %s/%s: %w", channel, chatID, err)
	}
	var r flows.Reply
	if err := json.Unmarshal(plain, &r); err != nil {
		return flows.Reply{}, fmt.Errorf("decode menu of %s/%s: %w", channel, chatID, err)
	}
	return r, nil
}

// menuTTL is how long a list's pages can be turned.
const menuTTL = 7 * 24 * time.Hour

// PruneMenus forgets the lists older than a week.
func (d *DB) PruneMenus(ctx context.Context) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM channel_menus WHERE created_at < $1`, d.now().Add(-menuTTL))
	if err != nil {
		return 0, fmt.Errorf("prune menus: %w", err)
	}
	return res.RowsAffected()
}
