package store

import (
	"context"
	"fmt"
	"time"
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
