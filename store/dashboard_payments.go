package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/dashboard"
)

// paymentScope restricts payments p to a dashboard scope. pay is the
// payment's condition: it pays for a registration in the scope, or (a
// sponsor) it is the sponsor's payment for one of its batches. reg is the
// condition on the registrations r of its items; whole says when a payment
// counts in full rather than by its items in the scope.
func paymentScope(s dashboard.Scope, args *sqlArgs) (pay, reg, whole string) {
	if s.All() {
		return `true`, `true`, `true`
	}
	reg = strings.Join(scopeWhere(s, args), ` AND `)
	pay = `EXISTS (SELECT 1 FROM payment_items i JOIN registrations r ON r.id = i.registration_id WHERE i.payment_id = p.id AND ` + reg + `)`
	whole = `false`
	if !s.None && len(s.Batches) > 0 {
		subjects := make(pq.StringArray, len(s.Batches))
		for i, b := range s.Batches {
			subjects[i] = batchSubject(b)
		}
		whole = `(p.payer_kind = 'sponsor' AND p.payer_ref = ANY(` + args.add(subjects) + `))`
		pay = `(` + whole + ` OR ` + pay + `)`
	}
	return pay, reg, whole
}

// PaymentDay sums the settlements of a day in a scope (see
// dashboard.PaymentDay): payments applied whose money arrived that day, as
// Report counts them, by the payer's channel, provider and method.
func (d *DB) PaymentDay(ctx context.Context, s dashboard.Scope, day time.Time) (dashboard.PaymentDay, error) {
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, day.Location())
	out := dashboard.PaymentDay{Day: from}
	var args sqlArgs
	pFrom, pTo := args.add(from), args.add(from.AddDate(0, 0, 1))
	pay, reg, whole := paymentScope(s, &args)
	var rows []struct {
		Channel  string `db:"channel"`
		Provider string `db:"provider"`
		Method   string `db:"method"`
		Count    int64  `db:"count"`
		Amount   int64  `db:"amount"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		WITH p AS (
			SELECT CASE WHEN p.payer_kind = 'sponsor' THEN 'sponsor' ELSE split_part(p.payer_ref, ':', 1) END AS channel, p.provider, p.method,
				CASE WHEN `+whole+` THEN p.amount ELSE (SELECT coalesce(sum(i.amount), 0) FROM payment_items i
					JOIN registrations r ON r.id = i.registration_id WHERE i.payment_id = p.id AND `+reg+`) END AS amount
			FROM payments p WHERE p.applied_at IS NOT NULL AND p.paid_at >= `+pFrom+` AND p.paid_at < `+pTo+` AND `+pay+`)
		SELECT channel, provider, method, count(*) AS count, sum(amount) AS amount FROM p GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, args...); err != nil {
		return out, fmt.Errorf("payments of %s: %w", from.Format(time.DateOnly), err)
	}
	add := func(lines []dashboard.PaymentTotal, key string, count, amount int64) []dashboard.PaymentTotal {
		for i := range lines {
			if lines[i].Key == key {
				lines[i].Count += count
				lines[i].Amount += amount
				return lines
			}
		}
		return append(lines, dashboard.PaymentTotal{Key: key, Count: count, Amount: amount})
	}
	for _, r := range rows {
		out.Count += r.Count
		out.Amount += r.Amount
		out.ByChannel = add(out.ByChannel, r.Channel, r.Count, r.Amount)
		out.ByProvider = add(out.ByProvider, r.Provider, r.Count, r.Amount)
		out.ByMethod = add(out.ByMethod, r.Method, r.Count, r.Amount)
	}
	return out, nil
}

type flaggedRow struct {
	OrderID    string         `db:"order_id"`
	Provider   string         `db:"provider"`
	Method     string         `db:"method"`
	Status     string         `db:"status"`
	PayerKind  string         `db:"payer_kind"`
	PayerRef   string         `db:"payer_ref"`
	Flag       string         `db:"flag"`
	Reason     string         `db:"reason"`
	Amount     int64          `db:"amount"`
	FlaggedAt  time.Time      `db:"flagged_at"`
	Refs       pq.StringArray `db:"refs"`
	Resolution string         `db:"resolution"`
	Note       string         `db:"note"`
	By         string         `db:"resolved_by"`
	At         sql.NullTime   `db:"resolved_at"`
}

func (r flaggedRow) value() dashboard.FlaggedPayment {
	p := dashboard.FlaggedPayment{OrderID: r.OrderID, Provider: r.Provider, Method: r.Method, Status: r.Status, PayerKind: r.PayerKind,
		Flag: r.Flag, Reason: r.Reason, Amount: r.Amount, FlaggedAt: r.FlaggedAt, Refs: r.Refs}
	if b, ok := strings.CutPrefix(r.PayerRef, "batch:"); ok && r.PayerKind == PayerSponsor {
		p.Batch, _ = strconv.ParseInt(b, 10, 64)
	}
	if r.At.Valid {
		p.Resolved = &dashboard.PaymentResolution{Resolution: r.Resolution, Note: r.Note, By: r.By, At: r.At.Time}
	}
	return p
}

// FlaggedPayments lists flagged payments in a scope (see
// dashboard.PaymentStore): the open ones oldest first, or the resolutions,
// newest first, each with the flag it resolved.
func (d *DB) FlaggedPayments(ctx context.Context, s dashboard.Scope, resolved bool, limit int) ([]dashboard.FlaggedPayment, error) {
	var args sqlArgs
	pay, reg, _ := paymentScope(s, &args)
	cols := `p.order_id, p.provider, p.method, p.status, p.payer_kind, p.payer_ref, p.amount,
		coalesce(f.detail, '') AS reason, coalesce(f.at, p.updated_at) AS flagged_at,
		ARRAY(SELECT r.ref FROM payment_items i JOIN registrations r ON r.id = i.registration_id
			WHERE i.payment_id = p.id AND ` + reg + ` ORDER BY r.id LIMIT 20) AS refs`
	// The history's latest "flagged" line (before the resolution, for one).
	flagged := `LEFT JOIN LATERAL (SELECT e.detail, e.at FROM payment_events e WHERE e.payment_id = p.id AND e.kind = 'flagged' %s
		ORDER BY e.id DESC LIMIT 1) AS f ON true`
	var q string
	if resolved {
		q = `SELECT ` + cols + `, pr.flag, pr.resolution, pr.note, pr.resolved_by, pr.resolved_at
			FROM payment_resolutions pr JOIN payments p ON p.id = pr.payment_id ` + fmt.Sprintf(flagged, `AND e.at <= pr.resolved_at`) + `
			WHERE ` + pay + ` ORDER BY pr.resolved_at DESC, pr.id DESC LIMIT ` + args.add(limit)
	} else {
		q = `SELECT ` + cols + `, p.flag, '' AS resolution, '' AS note, '' AS resolved_by, NULL::timestamptz AS resolved_at
			FROM payments p ` + fmt.Sprintf(flagged, ``) + `
			WHERE p.flag <> '' AND p.resolution_id IS NULL AND ` + pay + ` ORDER BY p.updated_at, p.id LIMIT ` + args.add(limit)
	}
	var rows []flaggedRow
	if err := d.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("flagged payments: %w", err)
	}
	out := make([]dashboard.FlaggedPayment, len(rows))
	for i, r := range rows {
		out[i] = r.value()
	}
	return out, nil
}

// ResolvePayment records an admin's resolution of an open flagged payment
// in a scope (see dashboard.PaymentStore): a payment_resolutions row the
// payment points to, a "resolved" event in its history and an audit line,
// in one transaction. Its status, flag and coverage stay as they are.
func (d *DB) ResolvePayment(ctx context.Context, actor string, s dashboard.Scope, res dashboard.Resolve) error {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("resolve payment %s: %w", res.OrderID, err)
	}
	defer tx.Rollback() //nolint:errcheck
	var args sqlArgs
	order := args.add(res.OrderID)
	pay, _, _ := paymentScope(s, &args)
	var p struct {
		ID         int64         `db:"id"`
		Status     string        `db:"status"`
		Flag       string        `db:"flag"`
		Resolution sql.NullInt64 `db:"resolution_id"`
	}
	err = tx.GetContext(ctx, &p, `SELECT p.id, p.status, p.flag, p.resolution_id FROM payments p
		WHERE p.order_id = `+order+` AND `+pay+` FOR UPDATE OF p`, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("resolve payment %s: %w", res.OrderID, dashboard.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("resolve payment %s: %w", res.OrderID, err)
	}
	if p.Flag == "" || p.Resolution.Valid {
		return fmt.Errorf("resolve payment %s: %w", res.OrderID, dashboard.ErrResolved)
	}
	now := d.now()
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO payment_resolutions (payment_id, flag, resolution, note, resolved_by, resolved_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, p.ID, p.Flag, res.Resolution, res.Note, actor, now); err != nil {
		return fmt.Errorf("resolve payment %s: %w", res.OrderID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET resolution_id = $2 WHERE id = $1`, p.ID, id); err != nil {
		return fmt.Errorf("resolve payment %s: %w", res.OrderID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, at, kind, status, detail) VALUES ($1, $2, 'resolved', $3, $4)`,
		p.ID, now, p.Status, fmt.Sprintf("%s resolved as %s by %s: %s", p.Flag, res.Resolution, actor, res.Note)); err != nil {
		return fmt.Errorf("resolve payment %s: %w", res.OrderID, err)
	}
	if err := audit(ctx, tx, now, actor, "dasbor:resolve_payment", res.OrderID,
		fmt.Sprintf("flag=%s resolution=%s note=%s", p.Flag, res.Resolution, res.Note)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("resolve payment %s: %w", res.OrderID, err)
	}
	return nil
}

// StaffExport is a search's registrations for an export (see
// dashboard.PaymentStore): Registrations' rows, NIK and phone masked, and
// with withNIK the NIKs opened, in the same scope.
func (d *DB) StaffExport(ctx context.Context, s dashboard.Scope, q dashboard.Query, today time.Time, withNIK bool) ([]dashboard.ExportRow, int, error) {
	regs, total, err := d.Registrations(ctx, s, q, today)
	if err != nil {
		return nil, 0, err
	}
	out := make([]dashboard.ExportRow, len(regs))
	for i, r := range regs {
		out[i].Registration = r
	}
	if !withNIK || len(regs) == 0 {
		return out, total, nil
	}
	ids := make(pq.Int64Array, len(regs))
	for i, r := range regs {
		ids[i] = r.ID
	}
	var args sqlArgs
	where := append([]string{`r.deleted_at IS NULL`, `r.id = ANY(` + args.add(ids) + `)`}, scopeWhere(s, &args)...)
	var sealed []struct {
		ID  int64  `db:"id"`
		Ref string `db:"ref"`
		NIK []byte `db:"nik_sealed"`
	}
	if err := d.db.SelectContext(ctx, &sealed, `SELECT r.id, r.ref, r.nik_sealed FROM registrations r WHERE `+strings.Join(where, ` AND `), args...); err != nil {
		return nil, 0, fmt.Errorf("export: nik: %w", err)
	}
	niks := make(map[int64]string, len(sealed))
	for _, x := range sealed {
		n, _, err := d.unseal(x.Ref, x.NIK, nil)
		if err != nil {
			return nil, 0, err
		}
		niks[x.ID] = n
	}
	for i := range out {
		out[i].NIK = niks[out[i].ID]
	}
	return out, total, nil
}
