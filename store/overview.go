package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/tanggal"
)

// overviewDays is how many days the overview's series covers.
const overviewDays = 90

// funnelWeeks is how many weeks of the funnel the overview shows.
const funnelWeeks = 12

// neverCovered is registration_counts.covered_to of a registration never paid.
const neverCovered = "0001-01-01"

// qFoldRollups moves the appended rollup deltas into their tables, in one
// statement (so a reader summing both never counts a delta twice or not at
// all), and drops the groups that came to nothing.
const qFoldRollups = `WITH moved AS (DELETE FROM rollup_deltas RETURNING *),
	c AS (INSERT INTO registration_counts (regency, district, source, status, covered_to, n)
		SELECT regency, district, source, status, day, sum(n) FROM moved WHERE kind = 'count' GROUP BY 1, 2, 3, 4, 5
		ON CONFLICT (regency, district, source, status, covered_to) DO UPDATE SET n = registration_counts.n + excluded.n),
	h AS (INSERT INTO registration_hours (hour, regency, source, n)
		SELECT hour, regency, source, sum(n) FROM moved WHERE kind = 'hour' GROUP BY 1, 2, 3
		ON CONFLICT (hour, regency, source) DO UPDATE SET n = registration_hours.n + excluded.n),
	p AS (INSERT INTO payment_hours (hour, regency, provider, method, n, amount)
		SELECT hour, regency, source, status, sum(n), sum(m) FROM moved WHERE kind = 'pay' GROUP BY 1, 2, 3, 4
		ON CONFLICT (hour, regency, provider, method) DO UPDATE SET n = payment_hours.n + excluded.n, amount = payment_hours.amount + excluded.amount),
	f AS (INSERT INTO funnel_counts (week, step, error, reached, stopped, errors)
		SELECT day, source, status, sum(n), sum(m), sum(e) FROM moved WHERE kind = 'funnel' GROUP BY 1, 2, 3
		ON CONFLICT (week, step, error) DO UPDATE SET reached = funnel_counts.reached + excluded.reached,
			stopped = funnel_counts.stopped + excluded.stopped, errors = funnel_counts.errors + excluded.errors)
	SELECT count(*) FROM moved`

// FoldRollups folds the dashboard's appended counts into its rollups; it
// returns how many it folded. Readers are exact either way: this keeps
// what they sum small.
func (d *DB) FoldRollups(ctx context.Context) (int, error) {
	var n int
	if err := d.db.GetContext(ctx, &n, qFoldRollups); err != nil {
		return 0, fmt.Errorf("fold rollups: %w", err)
	}
	if n > 0 {
		if _, err := d.db.ExecContext(ctx, `DELETE FROM registration_counts WHERE n = 0`); err != nil {
			return n, fmt.Errorf("fold rollups: %w", err)
		}
	}
	return n, nil
}

// scopedCounts is the registrations counted by region, source, status and
// last covered day, in a scope: from the rollups, or, for sponsor batches
// (a few thousand registrations each), from the registrations themselves.
func scopedCounts(s dashboard.Scope, args *sqlArgs) string {
	if len(s.Batches) > 0 || s.None {
		return `(SELECT regency, district, registration_source(channel, agent_id, sponsor_batch_id) AS source, status,
			coalesce(covered_to, '` + neverCovered + `') AS covered_to, 1 AS n
			FROM registrations WHERE deleted_at IS NULL AND sponsor_batch_id = ANY(` + args.add(pq.Int64Array(nonNil(s.Batches))) + `)) AS c`
	}
	in := regencyFilter(s, args)
	return `(SELECT regency, district, source, status, covered_to, n FROM registration_counts WHERE true` + in + `
		UNION ALL SELECT regency, district, source, status, day, n FROM rollup_deltas WHERE kind = 'count'` + in + `) AS c`
}

// regencyFilter is " AND regency = ANY(…)" for a scope of kabupaten/kota,
// "" for everything.
func regencyFilter(s dashboard.Scope, args *sqlArgs) string {
	if len(s.Regencies) == 0 {
		return ""
	}
	return ` AND regency = ANY(` + args.add(pq.StringArray(s.Regencies)) + `)`
}

type overviewRow struct {
	Dim        string `db:"dim"`
	Key        string `db:"key"`
	Registered int64  `db:"registered"`
	Active     int64  `db:"active"`
	Awaiting   int64  `db:"awaiting"`
	Arrears    int64  `db:"arrears"`
	Ended      int64  `db:"ended"`
}

type hourRow struct {
	Hour   time.Time `db:"hour"`
	N      int64     `db:"n"`
	Amount int64     `db:"amount"`
}

type funnelRow struct {
	Week    time.Time `db:"week"`
	Step    string    `db:"step"`
	Error   string    `db:"error"`
	Reached int64     `db:"reached"`
	Stopped int64     `db:"stopped"`
	Errors  int64     `db:"errors"`
}

// Overview counts the dashboard's Ringkasan on today (midnight in the
// deployment's zone), in a scope, from the rollups: its cost grows with the
// number of regions, days and weeks, not with the registrations.
func (d *DB) Overview(ctx context.Context, s dashboard.Scope, today time.Time) (dashboard.Overview, error) {
	today = d.today(today)
	o := dashboard.Overview{Day: today}
	var args sqlArgs
	from := scopedCounts(s, &args)
	todayP := args.add(today.Format(time.DateOnly))
	arrearsP := args.add(arrearsFrom(today).Format(time.DateOnly))
	awaitingP := args.add(flows.StatusAwaitingPayment)
	q := `SELECT CASE WHEN grouping(regency) = 0 THEN 'regency' WHEN grouping(district) = 0 THEN 'district'
			WHEN grouping(source) = 0 THEN 'source' ELSE '' END AS dim,
		coalesce(regency, district, source, '') AS key,
		coalesce(sum(n), 0) AS registered,
		coalesce(sum(n) FILTER (WHERE covered_to >= ` + todayP + `::date), 0) AS active,
		coalesce(sum(n) FILTER (WHERE covered_to = '` + neverCovered + `' AND status = ` + awaitingP + `), 0) AS awaiting,
		coalesce(sum(n) FILTER (WHERE covered_to <> '` + neverCovered + `' AND covered_to < ` + todayP + `::date AND covered_to >= ` + arrearsP + `::date), 0) AS arrears,
		coalesce(sum(n) FILTER (WHERE covered_to <> '` + neverCovered + `' AND covered_to < ` + arrearsP + `::date), 0) AS ended
		FROM ` + from + `
		GROUP BY GROUPING SETS ((regency), (district), (source), ())
		HAVING grouping(regency, district, source) = 7 OR sum(n) <> 0
		ORDER BY dim, registered DESC, key`
	var rows []overviewRow
	if err := d.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return o, fmt.Errorf("overview: count registrations: %w", err)
	}
	for _, r := range rows {
		switch r.Dim {
		case "regency":
			o.Regencies = append(o.Regencies, dashboard.Area{Code: r.Key, Registered: r.Registered, Active: r.Active})
		case "district":
			o.Districts = append(o.Districts, dashboard.Area{Code: r.Key, Registered: r.Registered, Active: r.Active})
		case "source":
			o.Sources = append(o.Sources, dashboard.Source{Source: r.Key, Registered: r.Registered, Active: r.Active})
		case "":
			o.Totals = dashboard.Totals{Registered: r.Registered, Awaiting: r.Awaiting, Active: r.Active, Arrears: r.Arrears, Ended: r.Ended}
		}
	}

	start := today.AddDate(0, 0, -(overviewDays - 1))
	regs, pays, err := d.overviewHours(ctx, s, start)
	if err != nil {
		return o, err
	}
	byDay := map[time.Time]*dashboard.Day{}
	for i := range overviewDays {
		day := start.AddDate(0, 0, i)
		o.Days = append(o.Days, dashboard.Day{Day: day})
	}
	for i := range o.Days {
		byDay[o.Days[i].Day] = &o.Days[i]
	}
	for _, h := range regs {
		if day := byDay[d.today(h.Hour)]; day != nil {
			day.Registrations += h.N
		}
	}
	for _, h := range pays {
		if day := byDay[d.today(h.Hour)]; day != nil {
			day.Payments += h.N
			day.Amount += h.Amount
		}
	}

	if s.All() {
		if o.Funnel, err = d.funnel(ctx, tanggal.WeekStart(today).AddDate(0, 0, -7*(funnelWeeks-1))); err != nil {
			return o, err
		}
	}
	return o, nil
}

// overviewHours sums the registrations made and the payments settled per
// hour since start, in a scope.
func (d *DB) overviewHours(ctx context.Context, s dashboard.Scope, start time.Time) (regs, pays []hourRow, err error) {
	var regQ, payQ string
	var args sqlArgs
	startP := args.add(start)
	switch {
	case len(s.Batches) > 0 || s.None:
		b := args.add(pq.Int64Array(nonNil(s.Batches)))
		regQ = `SELECT date_trunc('hour', created_at, 'UTC') AS hour, count(*) AS n, 0 AS amount FROM registrations
			WHERE deleted_at IS NULL AND sponsor_batch_id = ANY(` + b + `) AND created_at >= ` + startP + ` GROUP BY 1`
		payQ = `SELECT date_trunc('hour', p.paid_at, 'UTC') AS hour, count(*) AS n, sum(i.amount) AS amount
			FROM registrations r JOIN payment_items i ON i.registration_id = r.id JOIN payments p ON p.id = i.payment_id
			WHERE r.sponsor_batch_id = ANY(` + b + `) AND p.status = 'paid' AND p.paid_at >= ` + startP + ` GROUP BY 1`
	default:
		where := ` WHERE hour >= ` + startP + regencyFilter(s, &args)
		regQ = `SELECT hour, sum(n) AS n, 0 AS amount FROM (SELECT hour, regency, n FROM registration_hours` + where + `
			UNION ALL SELECT hour, regency, n FROM rollup_deltas` + where + ` AND kind = 'hour') AS h GROUP BY hour`
		payQ = `SELECT hour, sum(n) AS n, sum(amount) AS amount FROM (SELECT hour, regency, n, amount FROM payment_hours` + where + `
			UNION ALL SELECT hour, regency, n, m FROM rollup_deltas` + where + ` AND kind = 'pay') AS h GROUP BY hour`
	}
	if err := d.db.SelectContext(ctx, &regs, regQ, args...); err != nil {
		return nil, nil, fmt.Errorf("overview: registrations per day: %w", err)
	}
	if err := d.db.SelectContext(ctx, &pays, payQ, args...); err != nil {
		return nil, nil, fmt.Errorf("overview: payments per day: %w", err)
	}
	return regs, pays, nil
}

// funnel reads the registration funnel of the weeks since the Monday from.
func (d *DB) funnel(ctx context.Context, from time.Time) ([]dashboard.Week, error) {
	var rows []funnelRow
	err := d.db.SelectContext(ctx, &rows, `SELECT week, step, error, sum(reached) AS reached, sum(stopped) AS stopped, sum(errors) AS errors
		FROM (SELECT week, step, error, reached, stopped, errors FROM funnel_counts WHERE week >= $1
			UNION ALL SELECT day, source, status, n, m, e FROM rollup_deltas WHERE kind = 'funnel' AND day >= $1) AS f
		GROUP BY 1, 2, 3`, from.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("overview: funnel: %w", err)
	}
	weeks := map[string]map[string]*dashboard.Step{}
	for _, r := range rows {
		key := r.Week.Format(time.DateOnly)
		if weeks[key] == nil {
			weeks[key] = map[string]*dashboard.Step{}
		}
		st := weeks[key][r.Step]
		if st == nil {
			st = &dashboard.Step{Step: r.Step}
			weeks[key][r.Step] = st
		}
		if r.Error == "" {
			st.Reached += r.Reached
			st.Stopped += r.Stopped
			continue
		}
		st.ErrorsN += r.Errors
		if r.Errors > st.ErrorN || r.Errors == st.ErrorN && r.Error < st.Error {
			st.Error, st.ErrorN = r.Error, r.Errors
		}
	}
	var out []dashboard.Week
	for key, steps := range weeks {
		day, _ := time.ParseInLocation(time.DateOnly, key, d.loc)
		w := dashboard.Week{Week: day}
		for _, name := range flows.FunnelSteps {
			st := dashboard.Step{Step: name}
			if got := steps[name]; got != nil {
				st = *got
			}
			w.Steps = append(w.Steps, st)
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Week.After(out[j].Week) })
	return out, nil
}

// FunnelMove records that a conversation started in week moved its
// furthest step from one step to another ("" for none: it just started).
func (t *chatTx) FunnelMove(ctx context.Context, week time.Time, from, to string) error {
	var args sqlArgs
	w := args.add(week.Format(time.DateOnly))
	q := `INSERT INTO rollup_deltas (kind, source, day, n, m) VALUES ('funnel', ` + args.add(to) + `, ` + w + `::date, 1, 1)`
	if from != "" {
		q += `, ('funnel', ` + args.add(from) + `, ` + w + `::date, 0, -1)`
	}
	if _, err := t.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("funnel: %w", err)
	}
	return nil
}

// FunnelError records an error (a text key) made at a step by a
// conversation started in week.
func (t *chatTx) FunnelError(ctx context.Context, week time.Time, step, key string) error {
	if _, err := t.exec(ctx, `INSERT INTO rollup_deltas (kind, source, status, day, e) VALUES ('funnel', $1, $2, $3::date, 1)`,
		step, key, week.Format(time.DateOnly)); err != nil {
		return fmt.Errorf("funnel error: %w", err)
	}
	return nil
}
