package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
)

// qCreateStaffLink stores a sign-in link's hash.
const qCreateStaffLink = `INSERT INTO staff_links (token_hash, actor, created_at, expires_at) VALUES ($1, $2, $3, $4)`

// CreateStaffLink stores a dashboard sign-in link (see dashboard.Store).
func (d *DB) CreateStaffLink(ctx context.Context, actor string, tokenHash []byte, expires time.Time) error {
	now := d.now()
	if _, err := d.db.ExecContext(ctx, qCreateStaffLink, tokenHash, actor, now, expires); err != nil {
		return fmt.Errorf("create staff link: %w", err)
	}
	// Links are short-lived: the ones a day old go when a new one is made.
	if _, err := d.db.ExecContext(ctx, `DELETE FROM staff_links WHERE created_at < $1`, now.Add(-24*time.Hour)); err != nil {
		return fmt.Errorf("prune staff links: %w", err)
	}
	return nil
}

// CreateStaffLinkTx is CreateStaffLink inside a chat's transaction (the
// /dasbor command): the link exists only if its reply is queued.
func (t *chatTx) CreateStaffLink(ctx context.Context, tokenHash []byte, expires time.Time) error {
	if _, err := t.exec(ctx, qCreateStaffLink, tokenHash, t.actor(), t.now, expires); err != nil {
		return fmt.Errorf("create staff link: %w", err)
	}
	return t.AuditOn(ctx, "dasbor:link", "dasbor", "chat")
}

// RedeemStaffLink spends a link and opens a session (see dashboard.Store).
func (d *DB) RedeemStaffLink(ctx context.Context, tokenHash, sessionHash []byte, csrf string) (string, error) {
	now := d.now()
	var actor string
	err := d.db.GetContext(ctx, &actor, `
		WITH spent AS (UPDATE staff_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING actor),
		opened AS (INSERT INTO staff_sessions (id_hash, actor, csrf, created_at, seen_at) SELECT $3, actor, $4, $2, $2 FROM spent)
		SELECT actor FROM spent`, tokenHash, now, sessionHash, csrf)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("staff link: %w", dashboard.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("staff link: %w", err)
	}
	return actor, nil
}

// StaffSession finds a live dashboard session (see dashboard.Store).
func (d *DB) StaffSession(ctx context.Context, sessionHash []byte, idle, most time.Duration) (dashboard.Session, error) {
	now := d.now()
	var s dashboard.Session
	err := d.db.GetContext(ctx, &s, `UPDATE staff_sessions SET seen_at = $2
		WHERE id_hash = $1 AND ended_at IS NULL AND seen_at > $3 AND created_at > $4
		RETURNING actor, csrf, lang, created_at, seen_at`, sessionHash, now, now.Add(-idle), now.Add(-most))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("staff session: %w", dashboard.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("staff session: %w", err)
	}
	return s, nil
}

// EndStaffSession ends a dashboard session.
func (d *DB) EndStaffSession(ctx context.Context, sessionHash []byte) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE staff_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL`, sessionHash, d.now()); err != nil {
		return fmt.Errorf("end staff session: %w", err)
	}
	if _, err := d.db.ExecContext(ctx, `DELETE FROM staff_sessions WHERE seen_at < $1`, d.now().Add(-7*24*time.Hour)); err != nil {
		return fmt.Errorf("prune staff sessions: %w", err)
	}
	return nil
}

// SetSessionLang keeps the language a dashboard session chose.
func (d *DB) SetSessionLang(ctx context.Context, sessionHash []byte, lang string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE staff_sessions SET lang = $2 WHERE id_hash = $1`, sessionHash, lang); err != nil {
		return fmt.Errorf("session language: %w", err)
	}
	return nil
}

type staffRow struct {
	dashboard.Staff
	Regencies pq.StringArray `db:"regencies"`
	Batches   pq.Int64Array  `db:"batches"`
}

func (r staffRow) staff() dashboard.Staff {
	s := r.Staff
	s.Regencies, s.Batches = []string(r.Regencies), []int64(r.Batches)
	return s
}

const qStaffRoles = `SELECT actor, role, regencies, batches, note, granted_by, granted_at FROM staff_roles`

// StaffRole finds the role given to actor on the dashboard.
func (d *DB) StaffRole(ctx context.Context, actor string) (dashboard.Staff, bool, error) {
	var r staffRow
	err := d.db.GetContext(ctx, &r, qStaffRoles+` WHERE actor = $1`, actor)
	if errors.Is(err, sql.ErrNoRows) {
		return dashboard.Staff{}, false, nil
	}
	if err != nil {
		return dashboard.Staff{}, false, fmt.Errorf("staff role %s: %w", actor, err)
	}
	return r.staff(), true, nil
}

// StaffRoles lists the roles given on the dashboard, by actor.
func (d *DB) StaffRoles(ctx context.Context) ([]dashboard.Staff, error) {
	var rows []staffRow
	if err := d.db.SelectContext(ctx, &rows, qStaffRoles+` ORDER BY actor`); err != nil {
		return nil, fmt.Errorf("staff roles: %w", err)
	}
	out := make([]dashboard.Staff, len(rows))
	for i, r := range rows {
		out[i] = r.staff()
	}
	return out, nil
}

// SetStaffRole gives or changes a role, and audits it.
func (d *DB) SetStaffRole(ctx context.Context, by string, s dashboard.Staff) error {
	return d.atomically(ctx, func(ctx context.Context, t *opTx) error {
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO staff_roles (actor, role, regencies, batches, note, granted_by, granted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (actor) DO UPDATE SET role = $2, regencies = $3, batches = $4, note = $5, granted_by = $6, granted_at = $7`,
			s.Actor, s.Role, pq.StringArray(nonNil(s.Regencies)), pq.Int64Array(nonNil(s.Batches)), s.Note, by, d.now()); err != nil {
			return fmt.Errorf("set staff role %s: %w", s.Actor, err)
		}
		detail := "role=" + s.Role
		if len(s.Regencies) > 0 {
			detail += " regencies=" + strings.Join(s.Regencies, ",")
		}
		if len(s.Batches) > 0 {
			detail += fmt.Sprintf(" batches=%v", s.Batches)
		}
		return t.AuditAs(ctx, by, "dasbor:role_set", s.Actor, detail)
	})
}

// RemoveStaffRole takes a role away; false when there was none.
func (d *DB) RemoveStaffRole(ctx context.Context, by, actor string) (bool, error) {
	gone := false
	err := d.atomically(ctx, func(ctx context.Context, t *opTx) error {
		res, err := t.tx.ExecContext(ctx, `DELETE FROM staff_roles WHERE actor = $1`, actor)
		if err != nil {
			return fmt.Errorf("remove staff role %s: %w", actor, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		gone = true
		return t.AuditAs(ctx, by, "dasbor:role_remove", actor, "")
	})
	return gone, err
}

// ChatAdmin reports whether actor ("channel:user_id") was made an admin in chat.
func (d *DB) ChatAdmin(ctx context.Context, actor string) (bool, error) {
	channel, userID, ok := strings.Cut(actor, ":")
	if !ok {
		return false, nil
	}
	var yes bool
	if err := d.db.GetContext(ctx, &yes, `SELECT EXISTS (SELECT 1 FROM admins WHERE channel = $1 AND user_id = $2)`, channel, userID); err != nil {
		return false, fmt.Errorf("chat admin %s: %w", actor, err)
	}
	return yes, nil
}

// Audit writes one line of the audit log.
func (d *DB) Audit(ctx context.Context, actor, action, subject, detail string) error {
	return audit(ctx, d.db, d.now(), actor, action, subject, detail)
}

// AuditEntries lists audit entries, newest first (see dashboard.AuditFilter).
func (d *DB) AuditEntries(ctx context.Context, f dashboard.AuditFilter) ([]dashboard.AuditEntry, error) {
	var args sqlArgs
	where := []string{`true`}
	if f.Actor != "" {
		where = append(where, `actor = `+args.add(f.Actor))
	}
	if f.Action != "" {
		where = append(where, `starts_with(action, `+args.add(f.Action)+`)`)
	}
	if f.Subject != "" {
		where = append(where, `subject = `+args.add(f.Subject))
	}
	if !f.Since.IsZero() {
		where = append(where, `at >= `+args.add(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, `at < `+args.add(f.Until))
	}
	if f.Before > 0 {
		where = append(where, `id < `+args.add(f.Before))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []dashboard.AuditEntry
	if err := d.db.SelectContext(ctx, &out, `SELECT id, at, actor, action, subject, detail FROM audit_log WHERE `+
		strings.Join(where, ` AND `)+` ORDER BY id DESC LIMIT `+args.add(limit), args...); err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// HasStaffRole reports whether the user writing was given a role on the dashboard.
func (t *chatTx) HasStaffRole(ctx context.Context) (bool, error) {
	var yes bool
	if err := t.get(ctx, &yes, `SELECT EXISTS (SELECT 1 FROM staff_roles WHERE actor = $1)`, t.actor()); err != nil {
		return false, fmt.Errorf("staff role %s: %w", t.actor(), err)
	}
	return yes, nil
}

// CorrectRegistration sets one checked field of a live registration (see
// flows.Engine.Correct), audited with the reason but not the values.
func (t *chatTx) CorrectRegistration(ctx context.Context, ref string, c flows.Correction) (flows.Owner, error) {
	var q string
	args := []any{ref, t.now}
	switch c.Field {
	case flows.FieldName:
		q, args = `name = $3`, append(args, c.Value)
	case flows.FieldPhone:
		sealed, err := t.vault.SealString(c.Value)
		if err != nil {
			return flows.Owner{}, fmt.Errorf("correct %s: %w", ref, err)
		}
		q, args = `phone_sealed = $3, phone_hash = $4`, append(args, sealed, t.vault.Hash("phone", c.Value))
	case flows.FieldVillage:
		q, args = `village = $3, district = $4, regency = $5, province = $6`, append(args, c.Value, c.District, c.Regency, c.Province)
	case flows.FieldOccupation:
		q, args = `occupation = $3, occupation_other = ''`, append(args, c.Value)
	default:
		return flows.Owner{}, fmt.Errorf("correct %s: field %q: %w", ref, c.Field, flows.ErrRefused)
	}
	var o ownerRow
	err := t.get(ctx, &o, `WITH up AS (UPDATE registrations SET `+q+`, updated_at = $2 WHERE ref = $1 AND deleted_at IS NULL
			RETURNING ref, name, channel, chat_id, agent_id)
		SELECT up.ref, up.name, up.channel, up.chat_id, coalesce(up.agent_id, 0) AS agent_id, coalesce(a.name, '') AS agent_name
		FROM up LEFT JOIN agents a ON a.id = up.agent_id`, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return flows.Owner{}, fmt.Errorf("correct %s: %w", ref, flows.ErrNotFound)
	}
	if err != nil {
		return flows.Owner{}, fmt.Errorf("correct %s: %w", ref, err)
	}
	return o.owner(), t.AuditOn(ctx, "dasbor:correct", ref, "field="+c.Field+" reason="+c.Reason)
}

var _ dashboard.Store = (*DB)(nil)
