package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
)

// BroadcastItem is one recipient claimed for sending (see ClaimBroadcastItems).
type BroadcastItem = flows.BroadcastItem

// BroadcastResult is what sending one item did (see FinishBroadcastItems).
type BroadcastResult = flows.BroadcastResult

// Recipient states (broadcast_recipients.state).
const (
	recipientQueued    = "queued"
	recipientSending   = "sending" // claimed: its message may be on its way
	recipientSent      = "sent"
	recipientFailed    = "failed"
	recipientBlocked   = "blocked"
	recipientOptedOut  = "opted_out"
	recipientUnknown   = "unknown" // left "sending" by a process that stopped
	recipientCancelled = "cancelled"
)

func broadcastSubject(id int64) string { return "broadcast:" + strconv.FormatInt(id, 10) }

// audit records an action of actor in tx.
func audit(ctx context.Context, tx txx, at time.Time, actor, action, subject, detail string) error {
	if _, err := tx.ExecContext(ctx, qAudit, at, actor, action, subject, detail); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// createBroadcast stores a broadcast of actor as scheduled (at now when it
// has no time) and audits it.
func createBroadcast(ctx context.Context, tx txx, now time.Time, actor string, b flows.Broadcast) (int64, error) {
	if strings.TrimSpace(b.Text) == "" {
		return 0, errors.New("broadcast: no text")
	}
	if !slices.Contains([]string{flows.ButtonNone, flows.ButtonPay, flows.ButtonStatus, flows.ButtonCard}, b.Button) {
		return 0, fmt.Errorf("broadcast: unknown button %q", b.Button)
	}
	if err := checkSegment(b.Segment); err != nil {
		return 0, fmt.Errorf("broadcast: %w", err)
	}
	seg, err := json.Marshal(b.Segment)
	if err != nil {
		return 0, fmt.Errorf("broadcast: %w", err)
	}
	at := b.ScheduledAt
	if at.IsZero() {
		at = now
	}
	var id int64
	err = tx.GetContext(ctx, &id, `INSERT INTO broadcasts (segment, text, button, scheduled_at, status, created_by,
		report_channel, report_chat, created_at, updated_at, draft_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, NULLIF($10, ''))
		ON CONFLICT (created_by, draft_key) WHERE draft_key IS NOT NULL DO NOTHING RETURNING id`,
		string(seg), b.Text, b.Button, at, flows.BroadcastScheduled, actor, b.ReportChannel, b.ReportChat, now, b.DraftKey)
	if errors.Is(err, sql.ErrNoRows) {
		// The same form sent again: the broadcast it made the first time.
		if err := tx.GetContext(ctx, &id, `SELECT id FROM broadcasts WHERE created_by = $1 AND draft_key = $2`, actor, b.DraftKey); err != nil {
			return 0, fmt.Errorf("create broadcast: the one of key: %w", err)
		}
		return id, nil
	}
	if err != nil {
		return 0, fmt.Errorf("create broadcast: %w", err)
	}
	detail := "segment " + string(seg) + " at " + at.Format(time.RFC3339)
	if err := audit(ctx, tx, now, actor, "broadcast:create", broadcastSubject(id), detail); err != nil {
		return 0, err
	}
	return id, nil
}

// CreateBroadcast stores a broadcast of the admin writing. Without a report
// chat, the progress and the report go to this chat.
func (t *chatTx) CreateBroadcast(ctx context.Context, b flows.Broadcast) (int64, error) {
	if b.ReportChannel == "" && b.ReportChat == "" {
		b.ReportChannel, b.ReportChat = t.channel, t.chatID
	}
	return createBroadcast(ctx, t.tx, t.now, t.actor(), b)
}

// CreateBroadcastAs stores a broadcast made outside a chat (the CLI), audited
// with actor as its author.
func (d *DB) CreateBroadcastAs(ctx context.Context, actor string, b flows.Broadcast) (int64, error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("create broadcast: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	id, err := createBroadcast(ctx, tx, d.now(), actor, b)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("create broadcast: %w", err)
	}
	return id, nil
}

// qProgress counts each broadcast's recipients by state; callers add WHERE
// and ORDER BY. Rows in flight ("sending") count as queued.
const qProgress = `SELECT b.id, b.status, b.text, b.total, b.scheduled_at, b.started_at, b.finished_at, b.created_by,
		b.report_channel, b.report_chat, b.progress_ref, c.queued, c.sent, c.failed, c.blocked, c.opted_out, c.unknown, m.delivered, m.read
	FROM broadcasts b CROSS JOIN LATERAL (SELECT
		count(*) FILTER (WHERE r.state IN ('queued', 'sending')) AS queued,
		count(*) FILTER (WHERE r.state = 'sent') AS sent,
		count(*) FILTER (WHERE r.state = 'failed') AS failed,
		count(*) FILTER (WHERE r.state = 'blocked') AS blocked,
		count(*) FILTER (WHERE r.state = 'opted_out') AS opted_out,
		count(*) FILTER (WHERE r.state = 'unknown') AS unknown
		FROM broadcast_recipients r WHERE r.broadcast_id = b.id) AS c
	CROSS JOIN LATERAL (SELECT
		-- what WhatsApp's status webhooks said (read implies delivered)
		count(*) FILTER (WHERE cm.status IN ('delivered', 'read')) AS delivered,
		count(*) FILTER (WHERE cm.status = 'read') AS read
		FROM channel_messages cm WHERE cm.broadcast_id = b.id) AS m`

type progressRow struct {
	ID            int64        `db:"id"`
	Status        string       `db:"status"`
	Text          string       `db:"text"`
	Total         int          `db:"total"`
	ScheduledAt   time.Time    `db:"scheduled_at"`
	StartedAt     sql.NullTime `db:"started_at"`
	FinishedAt    sql.NullTime `db:"finished_at"`
	CreatedBy     string       `db:"created_by"`
	ReportChannel string       `db:"report_channel"`
	ReportChat    string       `db:"report_chat"`
	ProgressRef   string       `db:"progress_ref"`
	Queued        int          `db:"queued"`
	Sent          int          `db:"sent"`
	Failed        int          `db:"failed"`
	Blocked       int          `db:"blocked"`
	OptedOut      int          `db:"opted_out"`
	Unknown       int          `db:"unknown"`
	Delivered     int          `db:"delivered"`
	Read          int          `db:"read"`
}

// progressOf runs qProgress with tail (WHERE, ORDER BY, LIMIT).
func progressOf(ctx context.Context, tx txx, tail string, args ...any) ([]flows.BroadcastProgress, error) {
	var rows []progressRow
	if err := tx.SelectContext(ctx, &rows, qProgress+` `+tail, args...); err != nil {
		return nil, fmt.Errorf("broadcast progress: %w", err)
	}
	out := make([]flows.BroadcastProgress, 0, len(rows))
	for _, r := range rows {
		out = append(out, flows.BroadcastProgress{ID: r.ID, Status: r.Status, Text: r.Text, Total: r.Total,
			Queued: r.Queued, Sent: r.Sent, Failed: r.Failed, Blocked: r.Blocked, OptedOut: r.OptedOut, Unknown: r.Unknown, Delivered: r.Delivered, Read: r.Read,
			ScheduledAt: r.ScheduledAt, StartedAt: r.StartedAt.Time, FinishedAt: r.FinishedAt.Time, CreatedBy: r.CreatedBy,
			ReportChannel: r.ReportChannel, ReportChat: r.ReportChat, ProgressRef: r.ProgressRef})
	}
	return out, nil
}

// oneProgress is the progress of one broadcast; flows.ErrNotFound.
func oneProgress(ctx context.Context, tx txx, id int64) (flows.BroadcastProgress, error) {
	ps, err := progressOf(ctx, tx, `WHERE b.id = $1`, id)
	if err != nil {
		return flows.BroadcastProgress{}, err
	}
	if len(ps) == 0 {
		return flows.BroadcastProgress{}, fmt.Errorf("broadcast %d: %w", id, flows.ErrNotFound)
	}
	return ps[0], nil
}

// BroadcastProgress counts a broadcast's recipients. flows.ErrNotFound.
func (t *chatTx) BroadcastProgress(ctx context.Context, id int64) (flows.BroadcastProgress, error) {
	return oneProgress(ctx, t.tx, id)
}

// BroadcastProgressOf counts a broadcast's recipients (the CLI's status).
// flows.ErrNotFound.
func (d *DB) BroadcastProgressOf(ctx context.Context, id int64) (flows.BroadcastProgress, error) {
	return oneProgress(ctx, d.db, id)
}

// RecentBroadcasts lists the latest broadcasts (limit; 10 when 0), newest first.
func (t *chatTx) RecentBroadcasts(ctx context.Context, limit int) ([]flows.BroadcastProgress, error) {
	if limit <= 0 {
		limit = 10
	}
	return progressOf(ctx, t.tx, `ORDER BY b.created_at DESC, b.id DESC LIMIT $1`, limit)
}

// broadcastMoves are the statuses an admin may give and those they may
// follow.
var broadcastMoves = map[string][]string{
	flows.BroadcastPaused:    {flows.BroadcastRunning},
	flows.BroadcastRunning:   {flows.BroadcastPaused},
	flows.BroadcastCancelled: {flows.BroadcastScheduled, flows.BroadcastRunning, flows.BroadcastPaused},
}

// SetBroadcastStatus pauses, resumes or cancels a broadcast (see
// flows.AdminTx); a cancelled one's queued recipients are cancelled with it
// (those in flight are marked by their sender as usual). flows.ErrNotFound
// for any other move, or no such broadcast.
func (t *chatTx) SetBroadcastStatus(ctx context.Context, id int64, status string) (flows.BroadcastProgress, error) {
	from, ok := broadcastMoves[status]
	if !ok {
		return flows.BroadcastProgress{}, fmt.Errorf("broadcast %d to %q: %w", id, status, flows.ErrNotFound)
	}
	res, err := t.exec(ctx, `UPDATE broadcasts SET status = $2, updated_at = $3,
		finished_at = CASE WHEN $2 = 'cancelled' THEN $3 ELSE finished_at END
		WHERE id = $1 AND status = ANY($4)`, id, status, t.now, pq.StringArray(from))
	if err != nil {
		return flows.BroadcastProgress{}, fmt.Errorf("broadcast %d to %s: %w", id, status, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = flows.ErrNotFound
		}
		return flows.BroadcastProgress{}, fmt.Errorf("broadcast %d to %s: %w", id, status, err)
	}
	if status == flows.BroadcastCancelled {
		if _, err := t.exec(ctx, `UPDATE broadcast_recipients SET state = $2, updated_at = $3 WHERE broadcast_id = $1 AND state = $4`,
			id, recipientCancelled, t.now, recipientQueued); err != nil {
			return flows.BroadcastProgress{}, fmt.Errorf("cancel broadcast %d: %w", id, err)
		}
	}
	if err := t.AuditOn(ctx, "broadcast:"+status, broadcastSubject(id), ""); err != nil {
		return flows.BroadcastProgress{}, err
	}
	return oneProgress(ctx, t.tx, id)
}

// StartBroadcasts starts the scheduled broadcasts whose time has come: each
// one's recipients are fixed in one statement (each chat once) and it runs;
// one with nobody to reach is done at once. Each starts in a transaction of
// its own that locks it (FOR UPDATE SKIP LOCKED), so two processes never
// start one twice. It returns the ids it started, those done at once
// included (their status says so; FinishBroadcasts does not list them).
func (d *DB) StartBroadcasts(ctx context.Context) ([]int64, error) {
	var started []int64
	for {
		id, ok, err := d.startBroadcast(ctx)
		if err != nil || !ok {
			return started, err
		}
		started = append(started, id)
	}
}

// startBroadcast starts the next due broadcast; ok is false when none is.
func (d *DB) startBroadcast(ctx context.Context) (id int64, ok bool, err error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("start broadcast: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	now := d.now()
	var b struct {
		ID      int64  `db:"id"`
		Segment []byte `db:"segment"`
	}
	err = tx.GetContext(ctx, &b, `SELECT id, segment FROM broadcasts WHERE status = $1 AND scheduled_at <= $2
		ORDER BY scheduled_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`, flows.BroadcastScheduled, now)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("start broadcast: %w", err)
	}
	var seg flows.Segment
	if err := json.Unmarshal(b.Segment, &seg); err != nil {
		return 0, false, fmt.Errorf("start broadcast %d: segment: %w", b.ID, err)
	}
	q, args, err := recipientsQuery(seg, d.today(now), b.ID, now, recipientQueued)
	if err != nil {
		return 0, false, fmt.Errorf("start broadcast %d: %w", b.ID, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO broadcast_recipients (broadcast_id, channel, chat_id, lang, state, updated_at)
		SELECT $1::bigint, q.channel, q.chat_id, q.lang, $3::text, $2::timestamptz FROM (`+q+`) AS q`, args...)
	if err != nil {
		return 0, false, fmt.Errorf("start broadcast %d: %w", b.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, false, fmt.Errorf("start broadcast %d: %w", b.ID, err)
	}
	status, finished := flows.BroadcastRunning, sql.NullTime{}
	if n == 0 {
		status, finished = flows.BroadcastDone, sql.NullTime{Time: now, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE broadcasts SET status = $2, total = $3, started_at = $4, finished_at = $5, updated_at = $4
		WHERE id = $1`, b.ID, status, n, now, finished); err != nil {
		return 0, false, fmt.Errorf("start broadcast %d: %w", b.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("start broadcast %d: %w", b.ID, err)
	}
	return b.ID, true, nil
}
