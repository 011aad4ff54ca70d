package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/telepon"
)

// countCap bounds the count of a search: past it the page says "10.000+".
const countCap = 100_000

// scopeWhere restricts registrations r to a dashboard scope.
func scopeWhere(s dashboard.Scope, args *sqlArgs) []string {
	switch {
	case s.None:
		return []string{`false`}
	case len(s.Batches) > 0:
		return []string{`r.sponsor_batch_id = ANY(` + args.add(pq.Int64Array(s.Batches)) + `)`}
	case len(s.Regencies) > 0:
		return []string{`r.regency = ANY(` + args.add(pq.StringArray(s.Regencies)) + `)`}
	}
	return nil
}

const qStaffRegistration = `SELECT r.id, r.ref, r.name, r.nik_sealed, r.phone_sealed, r.regency, r.district, r.village,
		CASE WHEN r.occupation_other <> '' THEN r.occupation_other ELSE r.occupation END AS occupation,
		r.status, registration_source(r.channel, r.agent_id, r.sponsor_batch_id) AS source, r.channel, r.chat_id,
		r.agent_id, coalesce(a.name, '') AS agent_name, r.sponsor_batch_id, r.monthly_iuran, r.jht, r.kpj, r.covered_to,
		r.created_at, r.claimed_at, r.consent_id
	FROM registrations r LEFT JOIN agents a ON a.id = r.agent_id`

type staffRegRow struct {
	dashboard.Registration
	NIKSealed   []byte        `db:"nik_sealed"`
	PhoneSealed []byte        `db:"phone_sealed"`
	ConsentID   sql.NullInt64 `db:"consent_id"`
}

// open masks the row's NIK and phone and names its standing on today.
func (d *DB) staffRegistration(r staffRegRow, today time.Time) (dashboard.Registration, error) {
	out := r.Registration
	n, p, err := d.unseal(r.Ref, r.NIKSealed, r.PhoneSealed)
	if err != nil {
		return out, err
	}
	if n != "" {
		out.NIKMasked = nik.Mask(n)
	}
	if p != "" {
		out.Phone = telepon.Mask(p)
	}
	out.Standing = standingOn(r.Status, r.CoveredTo, today)
	return out, nil
}

// standingOn is a registration's standing on today, as segments match it
// (standingsSQL): "" for none of them (erased, say).
func standingOn(status string, coveredTo *time.Time, today time.Time) string {
	if coveredTo == nil {
		if status == flows.StatusAwaitingPayment {
			return flows.StandingAwaiting
		}
		return ""
	}
	end := time.Date(coveredTo.Year(), coveredTo.Month(), coveredTo.Day(), 0, 0, 0, 0, today.Location())
	switch {
	case !end.Before(today):
		return flows.StandingActive
	case !end.Before(arrearsFrom(today)):
		return flows.StandingArrears
	}
	return flows.StandingEnded
}

// Registrations searches the live registrations in a scope (see
// dashboard.Query), newest first: a page of them and how many match (at
// most countCap).
func (d *DB) Registrations(ctx context.Context, s dashboard.Scope, q dashboard.Query, today time.Time) ([]dashboard.Registration, int, error) {
	today = d.today(today)
	var args sqlArgs
	where := append([]string{`r.deleted_at IS NULL`}, scopeWhere(s, &args)...)
	if t := strings.TrimSpace(q.Text); t != "" {
		p := args.add(t)
		where = append(where, `(r.ref = upper(`+p+`) OR r.name ILIKE '%' || `+p+` || '%')`)
	}
	if q.Village != "" {
		p := args.add(strings.Trim(q.Village, "."))
		where = append(where, `(r.village = `+p+` OR starts_with(r.village, `+p+` || '.'))`)
	}
	if q.Status != "" {
		if err := checkSegment(flows.Segment{Standings: []string{q.Status}}); err != nil {
			return nil, 0, err
		}
		where = append(where, standingsSQL(flows.Segment{Standings: []string{q.Status}}, today, &args))
	}
	if q.Agent > 0 {
		where = append(where, `r.agent_id = `+args.add(q.Agent))
	}
	if q.Batch > 0 {
		where = append(where, `r.sponsor_batch_id = `+args.add(q.Batch))
	}
	if q.Source != "" {
		where = append(where, `registration_source(r.channel, r.agent_id, r.sponsor_batch_id) = `+args.add(q.Source))
	}
	cond := strings.Join(where, ` AND `)
	var total int
	if err := d.db.GetContext(ctx, &total, `SELECT count(*) FROM (SELECT 1 FROM registrations r WHERE `+cond+` LIMIT `+fmt.Sprint(countCap)+`) AS m`, args...); err != nil {
		return nil, 0, fmt.Errorf("search registrations: %w", err)
	}
	per := q.PerPage
	if per <= 0 {
		per = 50
	}
	page := max(q.Page, 1)
	var rows []staffRegRow
	if err := d.db.SelectContext(ctx, &rows, qStaffRegistration+` WHERE `+cond+` ORDER BY r.id DESC LIMIT `+args.add(per)+` OFFSET `+args.add((page-1)*per), args...); err != nil {
		return nil, 0, fmt.Errorf("search registrations: %w", err)
	}
	out := make([]dashboard.Registration, 0, len(rows))
	for _, r := range rows {
		x, err := d.staffRegistration(r, today)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, x)
	}
	return out, total, nil
}

// Record is a live registration's page with its history, in a scope.
func (d *DB) Record(ctx context.Context, s dashboard.Scope, ref string, today time.Time) (dashboard.Record, error) {
	today = d.today(today)
	var args sqlArgs
	where := append([]string{`r.deleted_at IS NULL`, `r.ref = ` + args.add(ref)}, scopeWhere(s, &args)...)
	var row staffRegRow
	err := d.db.GetContext(ctx, &row, qStaffRegistration+` WHERE `+strings.Join(where, ` AND `), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return dashboard.Record{}, fmt.Errorf("record %s: %w", ref, dashboard.ErrNotFound)
	}
	if err != nil {
		return dashboard.Record{}, fmt.Errorf("record %s: %w", ref, err)
	}
	reg, err := d.staffRegistration(row, today)
	if err != nil {
		return dashboard.Record{}, err
	}
	rec := dashboard.Record{Registration: reg}
	rec.History = append(rec.History, dashboard.Event{At: reg.CreatedAt, Kind: "registered", Text: reg.Source})

	var pays []struct {
		At     time.Time  `db:"created_at"`
		PaidAt *time.Time `db:"paid_at"`
		Status string     `db:"status"`
		Method string     `db:"method"`
		Months int        `db:"months"`
		Amount int64      `db:"amount"`
		Flag   string     `db:"flag"`
	}
	if err := d.db.SelectContext(ctx, &pays, `SELECT p.created_at, p.paid_at, p.status, p.method, i.months, i.amount, p.flag
		FROM payment_items i JOIN payments p ON p.id = i.payment_id WHERE i.registration_id = $1`, row.ID); err != nil {
		return rec, fmt.Errorf("record %s: payments: %w", ref, err)
	}
	for _, p := range pays {
		at := p.At
		if p.PaidAt != nil {
			at = *p.PaidAt
		}
		text := fmt.Sprintf("%s · %s · %d bln", p.Status, p.Method, p.Months)
		if p.Flag != "" {
			text += " · " + p.Flag
		}
		rec.History = append(rec.History, dashboard.Event{At: at, Kind: "payment", Text: text, Amount: p.Amount})
	}
	if rec.Savings, err = savingsHistory(ctx, d.db, row.ID, &rec.History); err != nil {
		return rec, fmt.Errorf("record %s: %w", ref, err)
	}
	if rec.AutoDebit, err = autoDebitOf(ctx, d.db, row.ID); err != nil {
		return rec, fmt.Errorf("record %s: %w", ref, err)
	}

	var jobs []struct {
		At      time.Time  `db:"run_at"`
		Done    *time.Time `db:"done_at"`
		Kind    string     `db:"k"`
		Outcome string     `db:"outcome"`
	}
	if err := d.db.SelectContext(ctx, &jobs, `SELECT run_at, done_at, coalesce(payload->>'kind', '') AS k, outcome FROM jobs
		WHERE kind = 'remind' AND payload->>'ref' = $1 AND (done_at IS NOT NULL OR run_at <= $2)`, ref, d.now().Add(30*24*time.Hour)); err != nil {
		return rec, fmt.Errorf("record %s: reminders: %w", ref, err)
	}
	for _, j := range jobs {
		text, at := j.Kind, j.At
		if j.Done != nil {
			at = *j.Done
			if j.Outcome != "" {
				text += " · " + j.Outcome
			}
		} else {
			text += " · planned"
		}
		rec.History = append(rec.History, dashboard.Event{At: at, Kind: "reminder", Text: text})
	}
	if reg.ClaimedAt != nil {
		rec.History = append(rec.History, dashboard.Event{At: *reg.ClaimedAt, Kind: "claim", Text: reg.Channel})
	}
	if row.ConsentID.Valid {
		var c struct {
			Version   string     `db:"text_version"`
			Given     time.Time  `db:"given_at"`
			Withdrawn *time.Time `db:"withdrawn_at"`
		}
		if err := d.db.GetContext(ctx, &c, `SELECT text_version, given_at, withdrawn_at FROM consents WHERE id = $1`, row.ConsentID.Int64); err == nil {
			rec.History = append(rec.History, dashboard.Event{At: c.Given, Kind: "consent", Text: c.Version})
			if c.Withdrawn != nil {
				rec.History = append(rec.History, dashboard.Event{At: *c.Withdrawn, Kind: "consent", Text: "withdrawn"})
			}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return rec, fmt.Errorf("record %s: consent: %w", ref, err)
		}
	}
	var audits []dashboard.AuditEntry
	if err := d.db.SelectContext(ctx, &audits, `SELECT id, at, actor, action, subject, detail FROM audit_log
		WHERE subject = $1 ORDER BY at DESC, id DESC LIMIT 100`, ref); err != nil {
		return rec, fmt.Errorf("record %s: audit: %w", ref, err)
	}
	for _, a := range audits {
		rec.History = append(rec.History, dashboard.Event{At: a.At, Kind: "audit", Text: a.Action, Actor: a.Actor})
	}
	sort.SliceStable(rec.History, func(i, j int) bool { return rec.History[i].At.After(rec.History[j].At) })
	return rec, nil
}

// RevealNIK opens a live registration's NIK, in a scope.
func (d *DB) RevealNIK(ctx context.Context, s dashboard.Scope, ref string) (string, error) {
	var args sqlArgs
	where := append([]string{`r.deleted_at IS NULL`, `r.ref = ` + args.add(ref)}, scopeWhere(s, &args)...)
	var sealed []byte
	err := d.db.GetContext(ctx, &sealed, `SELECT r.nik_sealed FROM registrations r WHERE `+strings.Join(where, ` AND `), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("reveal %s: %w", ref, dashboard.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("reveal %s: %w", ref, err)
	}
	n, _, err := d.unseal(ref, sealed, nil)
	return n, err
}

// StaffAgents lists agents with a status ("" for all but erased), newest
// first, with their live residents and their settled collections per
// month over the last months (this one included).
func (d *DB) StaffAgents(ctx context.Context, status string, months int, today time.Time) ([]dashboard.Agent, error) {
	today = d.today(today)
	var out []dashboard.Agent
	if err := d.db.SelectContext(ctx, &out, `SELECT a.id, a.channel || ':' || a.user_id AS actor, a.role, a.name, a.village, a.institution,
			a.status, a.reason, a.decided_by, a.created_at, a.decided_at,
			(SELECT count(*) FROM registrations r WHERE r.agent_id = a.id AND r.deleted_at IS NULL) AS residents,
			(SELECT count(*) FROM registrations r WHERE r.agent_id = a.id AND r.deleted_at IS NULL AND r.covered_to >= $2::date) AS active
		FROM agents a WHERE ($1 = '' AND a.status <> 'erased' OR a.status = $1) ORDER BY a.id DESC LIMIT 500`,
		status, today.Format(time.DateOnly)); err != nil {
		return nil, fmt.Errorf("staff agents: %w", err)
	}
	if months <= 0 || len(out) == 0 {
		return out, nil
	}
	from := time.Date(today.Year(), today.Month()-time.Month(months-1), 1, 0, 0, 0, 0, d.loc)
	var pays []struct {
		Agent  int64     `db:"agent_id"`
		PaidAt time.Time `db:"paid_at"`
		Amount int64     `db:"amount"`
	}
	if err := d.db.SelectContext(ctx, &pays, `SELECT agent_id, paid_at, amount FROM payments
		WHERE agent_id IS NOT NULL AND status = 'paid' AND paid_at >= $1`, from); err != nil {
		return nil, fmt.Errorf("staff agents: collections: %w", err)
	}
	type key struct {
		agent int64
		month time.Time
	}
	sums := map[key]*dashboard.AgentMonth{}
	for _, p := range pays {
		t := p.PaidAt.In(d.loc)
		k := key{p.Agent, time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, d.loc)}
		if sums[k] == nil {
			sums[k] = &dashboard.AgentMonth{Month: k.month}
		}
		sums[k].Payments++
		sums[k].Amount += p.Amount
	}
	for i := range out {
		for m := range months {
			month := from.AddDate(0, m, 0)
			if s := sums[key{out[i].ID, month}]; s != nil {
				out[i].Months = append(out[i].Months, *s)
			}
		}
	}
	return out, nil
}
