package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	At      time.Time `db:"at"`
	Actor   string    `db:"actor"`
	Action  string    `db:"action"`
	Subject string    `db:"subject"`
	Detail  string    `db:"detail"`
}

// AuditLog lists the audit log since a time, oldest first, optionally for
// one actor ("channel:user_id"); at most limit entries.
func (d *DB) AuditLog(ctx context.Context, actor string, since time.Time, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := d.db.SelectContext(ctx, &out, `SELECT at, actor, action, subject, detail FROM audit_log
		WHERE at >= $1 AND ($2 = '' OR actor = $2) ORDER BY at, id LIMIT $3`, since, actor, limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// AgentActor is the audit log's actor ("channel:user_id") of the agent with
// this number (the "#12" admins see); ErrNotFound for none.
func (d *DB) AgentActor(ctx context.Context, id int64) (string, error) {
	var actor string
	err := d.db.GetContext(ctx, &actor, `SELECT channel || ':' || user_id FROM agents WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("agent %d: %w", id, flows.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("agent %d: %w", id, err)
	}
	return actor, nil
}
