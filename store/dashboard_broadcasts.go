package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lindungi/lindungi/flows"
)

// StaffBroadcasts lists the broadcasts for the dashboard, newest first: a
// page of limit before the id before (0 for the newest).
func (d *DB) StaffBroadcasts(ctx context.Context, before int64, limit int) ([]flows.BroadcastProgress, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	if before <= 0 {
		return progressOf(ctx, d.db, `ORDER BY b.id DESC LIMIT $1`, limit)
	}
	return progressOf(ctx, d.db, `WHERE b.id < $2 ORDER BY b.id DESC LIMIT $1`, limit, before)
}

// BroadcastDraftOf is what a broadcast was made of: its segment and
// button. flows.ErrNotFound.
func (d *DB) BroadcastDraftOf(ctx context.Context, id int64) (flows.BroadcastDraft, error) {
	var row struct {
		Segment string `db:"segment"`
		Text    string `db:"text"`
		Button  string `db:"button"`
	}
	err := d.db.GetContext(ctx, &row, `SELECT segment, text, button FROM broadcasts WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return flows.BroadcastDraft{}, fmt.Errorf("broadcast %d: %w", id, flows.ErrNotFound)
	}
	if err != nil {
		return flows.BroadcastDraft{}, fmt.Errorf("broadcast %d: %w", id, err)
	}
	out := flows.BroadcastDraft{Text: row.Text, Button: row.Button}
	if err := json.Unmarshal([]byte(row.Segment), &out.Segment); err != nil {
		return flows.BroadcastDraft{}, fmt.Errorf("broadcast %d segment: %w", id, err)
	}
	return out, nil
}
