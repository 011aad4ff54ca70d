package store

import (
	"context"
	"fmt"
	"slices"
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

// neverCovered is the rollups' covered_to of a registration never paid.
const neverCovered = "0001-01-01"

// endedLongAgo is the rollups' covered_to of every folded coverage whose last
// day is before rollup_horizon.ended_before (the horizon): those have ended on
// any day whose arrears start on or after the horizon, and only such days
// read the rollups. Deltas keep their exact days until folded.
const endedLongAgo = "0001-01-02"

// horizonLagDays is how far the horizon stays behind the earliest last
// covered day still in arrears on the clock's today, so that an overview
// of a day up to about a month ago still reads the rollups.
const horizonLagDays = 31

// vacuumDeltasAt is how many deltas folded at once make FoldRollups vacuum
// rollup_deltas (a bulk import, a batch paid) rather than leave it to
// autovacuum.
const vacuumDeltasAt = 10_000

// rollupHorizon is the horizon FoldRollups moves to on today.
func rollupHorizon(today time.Time) time.Time {
	return arrearsFrom(today).AddDate(0, 0, -horizonLagDays)
}

// qRebucket moves the folded counts of last covered days before the new
// horizon $1 to endedLongAgo.
const qRebucket = `WITH a AS (DELETE FROM registration_areas WHERE covered_to > '` + endedLongAgo + `' AND covered_to < $1::date RETURNING *),
	s AS (DELETE FROM registration_sources WHERE covered_to > '` + endedLongAgo + `' AND covered_to < $1::date RETURNING *),
	ia AS (INSERT INTO registration_areas (regency, district, status, covered_to, n)
		SELECT regency, district, status, '` + endedLongAgo + `', sum(n) FROM a GROUP BY 1, 2, 3
		ON CONFLICT (regency, district, status, covered_to) DO UPDATE SET n = registration_areas.n + excluded.n)
	INSERT INTO registration_sources (regency, source, covered_to, n)
	SELECT regency, source, '` + endedLongAgo + `', sum(n) FROM s GROUP BY 1, 2
	ON CONFLICT (regency, source, covered_to) DO UPDATE SET n = registration_sources.n + excluded.n`

// qFoldRollups moves the appended rollup deltas into their tables, in one
// statement, the last covered days before the horizon $1 to endedLongAgo.
const qFoldRollups = `WITH moved AS (DELETE FROM rollup_deltas RETURNING *),
	counts AS (SELECT regency, district, source, status,
			CASE WHEN day > '` + endedLongAgo + `' AND day < $1::date THEN '` + endedLongAgo + `'::date ELSE day END AS covered_to, n
		FROM moved WHERE kind = 'count'),
	a AS (INSERT INTO registration_areas (regency, district, status, covered_to, n)
		SELECT regency, district, status, covered_to, sum(n) FROM counts GROUP BY 1, 2, 3, 4
		ON CONFLICT (regency, district, status, covered_to) DO UPDATE SET n = registration_areas.n + excluded.n),
	s AS (INSERT INTO registration_sources (regency, source, covered_to, n)
		SELECT regency, source, covered_to, sum(n) FROM counts GROUP BY 1, 2, 3
		ON CONFLICT (regency, source, covered_to) DO UPDATE SET n = registration_sources.n + excluded.n),
	h AS (INSERT INTO registration_hours (hour, regency, n)
		SELECT hour, regency, sum(n) FROM moved WHERE kind = 'hour' GROUP BY 1, 2
		ON CONFLICT (hour, regency) DO UPDATE SET n = registration_hours.n + excluded.n),
	p AS (INSERT INTO payment_hours (hour, regency, n, amount)
		SELECT hour, regency, sum(n), sum(m) FROM moved WHERE kind = 'pay' GROUP BY 1, 2
		ON CONFLICT (hour, regency) DO UPDATE SET n = payment_hours.n + excluded.n, amount = payment_hours.amount + excluded.amount),
	f AS (INSERT INTO funnel_counts (week, step, error, reached, stopped, errors)
		SELECT day, source, status, sum(n), sum(m), sum(e) FROM moved WHERE kind = 'funnel' GROUP BY 1, 2, 3
		ON CONFLICT (week, step, error) DO UPDATE SET reached = funnel_counts.reached + excluded.reached,
			stopped = funnel_counts.stopped + excluded.stopped, errors = funnel_counts.errors + excluded.errors)
	SELECT count(*) FROM moved`

// FoldRollups folds the dashboard's appended counts into its rollups and
// moves their horizon up to the clock's today; it returns how many deltas it
// folded. Readers are exact either way: this keeps what they sum small. One
// transaction (folds wait for each other on the horizon's row), so a reader
// never counts a delta twice or not at all.
func (d *DB) FoldRollups(ctx context.Context) (int, error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("fold rollups: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	var have string
	if err := tx.GetContext(ctx, &have, `SELECT ended_before::text FROM rollup_horizon FOR UPDATE`); err != nil {
		return 0, fmt.Errorf("fold rollups: horizon: %w", err)
	}
	horizon := have
	if want := rollupHorizon(d.today(d.now())).Format(time.DateOnly); want > have {
		if _, err := tx.ExecContext(ctx, `UPDATE rollup_horizon SET ended_before = $1::date`, want); err != nil {
			return 0, fmt.Errorf("fold rollups: horizon: %w", err)
		}
		if _, err := tx.ExecContext(ctx, qRebucket, want); err != nil {
			return 0, fmt.Errorf("fold rollups: ended long ago: %w", err)
		}
		horizon = want
	}
	var n int
	if err := tx.GetContext(ctx, &n, qFoldRollups, horizon); err != nil {
		return 0, fmt.Errorf("fold rollups: %w", err)
	}
	if n > 0 || horizon != have {
		for _, table := range []string{"registration_areas", "registration_sources"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE n = 0`); err != nil {
				return 0, fmt.Errorf("fold rollups: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("fold rollups: %w", err)
	}
	if n >= vacuumDeltasAt {
		// Every reader scans rollup_deltas: left to autovacuum, the pages
		// of a bulk change's deltas, dead now, would cost each overview
		// tens of milliseconds until it came by.
		if _, err := d.db.ExecContext(ctx, `VACUUM rollup_deltas`); err != nil {
			return n, fmt.Errorf("fold rollups: vacuum: %w", err)
		}
	}
	return n, nil
}

// overviewCounts is the query of the overview's counts on today, in a scope:
// rows of dimension regency, district, source and "" (the totals), and
// whether the counts are exact (false: the day's arrears reach before the
// horizon; count again with direct). From the rollups, or, with direct and
// for sponsor batches (a few thousand registrations each, by index), from
// the registrations themselves.
func overviewCounts(s dashboard.Scope, today time.Time, direct bool) (string, []any) {
	var args sqlArgs
	var with, areas, sources string
	rollups := !direct && len(s.Batches) == 0 && !s.None
	if !rollups {
		where := `r.deleted_at IS NULL`
		for _, w := range scopeWhere(s, &args) {
			where += ` AND ` + w
		}
		// Read once (by index for batches) for both.
		with = `r AS MATERIALIZED (SELECT r.regency, r.district, r.status,
				registration_source(r.channel, r.agent_id, r.sponsor_batch_id) AS source,
				coalesce(r.covered_to, '` + neverCovered + `') AS covered_to, 1 AS n
			FROM registrations r WHERE ` + where + `), `
		areas = `SELECT regency, district, status, covered_to, n FROM r`
		sources = `SELECT source, covered_to, n FROM r`
	} else {
		in := regencyFilter(s, &args)
		areas = `SELECT regency, district, status, covered_to, n FROM registration_areas WHERE true` + in + `
			UNION ALL SELECT regency, district, status, day, n FROM rollup_deltas WHERE kind = 'count'` + in
		sources = `SELECT source, covered_to, n FROM registration_sources WHERE true` + in + `
			UNION ALL SELECT source, day, n FROM rollup_deltas WHERE kind = 'count'` + in
	}
	todayP := args.add(today.Format(time.DateOnly))
	arrearsP := args.add(arrearsFrom(today).Format(time.DateOnly))
	awaitingP := args.add(flows.StatusAwaitingPayment)
	exact := `true`
	if rollups {
		// Read in the same statement, so of the same snapshot as the rollups.
		exact = `(SELECT ended_before <= ` + arrearsP + `::date FROM rollup_horizon)`
	}
	active := `covered_to >= ` + todayP + `::date`
	// By kabupaten/kota and kecamatan first (a few hundred groups), then the
	// dimensions and totals of those.
	q := `WITH ` + with + `g AS (SELECT regency, district, sum(n) AS registered,
			sum(n) FILTER (WHERE ` + active + `) AS active,
			sum(n) FILTER (WHERE covered_to = '` + neverCovered + `' AND status = ` + awaitingP + `) AS awaiting,
			sum(n) FILTER (WHERE covered_to <> '` + neverCovered + `' AND covered_to < ` + todayP + `::date AND covered_to >= ` + arrearsP + `::date) AS arrears,
			sum(n) FILTER (WHERE covered_to <> '` + neverCovered + `' AND covered_to < ` + arrearsP + `::date) AS ended
		FROM (` + areas + `) AS a GROUP BY regency, district)
	SELECT CASE WHEN grouping(regency) = 0 THEN 'regency' WHEN grouping(district) = 0 THEN 'district' ELSE '' END AS dim,
		coalesce(regency, district, '') AS key,
		coalesce(sum(registered), 0) AS registered, coalesce(sum(active), 0) AS active, coalesce(sum(awaiting), 0) AS awaiting,
		coalesce(sum(arrears), 0) AS arrears, coalesce(sum(ended), 0) AS ended, ` + exact + ` AS exact
	FROM g GROUP BY GROUPING SETS ((regency), (district), ())
	HAVING grouping(regency, district) = 3 OR sum(registered) <> 0
	UNION ALL
	SELECT 'source', source, sum(n), coalesce(sum(n) FILTER (WHERE ` + active + `), 0), 0, 0, 0, true
	FROM (` + sources + `) AS s GROUP BY source HAVING sum(n) <> 0
	ORDER BY dim, registered DESC, key`
	return q, args
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
	Exact      bool   `db:"exact"`
}

type hourRow struct {
	Kind   string    `db:"kind"`
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
// number of regions, days still exact and weeks, not with the registrations.
// A day so far back that its arrears reach before the rollups' horizon (more
// than a month ago) is counted from the registrations, slowly but exactly.
func (d *DB) Overview(ctx context.Context, s dashboard.Scope, today time.Time) (dashboard.Overview, error) {
	today = d.today(today)
	o := dashboard.Overview{Day: today}
	var rows []overviewRow
	for _, direct := range []bool{false, true} {
		q, args := overviewCounts(s, today, direct)
		rows = rows[:0]
		if err := d.db.SelectContext(ctx, &rows, q, args...); err != nil {
			return o, fmt.Errorf("overview: count registrations: %w", err)
		}
		if !slices.ContainsFunc(rows, func(r overviewRow) bool { return !r.Exact }) {
			break
		}
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

// overviewHours sums the registrations made (kind "reg") and the payments
// settled ("pay") per hour since start, in a scope, in one statement.
func (d *DB) overviewHours(ctx context.Context, s dashboard.Scope, start time.Time) (regs, pays []hourRow, err error) {
	var q string
	var args sqlArgs
	startP := args.add(start)
	switch {
	case len(s.Batches) > 0 || s.None:
		q = `WITH r AS MATERIALIZED (SELECT id, created_at, deleted_at FROM registrations
				WHERE sponsor_batch_id = ANY(` + args.add(pq.Int64Array(nonNil(s.Batches))) + `))
			SELECT 'reg' AS kind, date_trunc('hour', created_at, 'UTC') AS hour, count(*) AS n, 0 AS amount FROM r
			WHERE deleted_at IS NULL AND created_at >= ` + startP + ` GROUP BY 2
			UNION ALL
			SELECT 'pay', date_trunc('hour', p.paid_at, 'UTC'), count(*), sum(i.amount)
			FROM r JOIN payment_items i ON i.registration_id = r.id JOIN payments p ON p.id = i.payment_id
			WHERE p.status = 'paid' AND p.paid_at >= ` + startP + ` GROUP BY 2`
	default:
		where := ` WHERE hour >= ` + startP + regencyFilter(s, &args)
		q = `SELECT 'reg' AS kind, hour, sum(n) AS n, 0 AS amount FROM (SELECT hour, n FROM registration_hours` + where + `
				UNION ALL SELECT hour, n FROM rollup_deltas` + where + ` AND kind = 'hour') AS h GROUP BY hour
			UNION ALL
			SELECT 'pay', hour, sum(n), sum(amount) FROM (SELECT hour, n, amount FROM payment_hours` + where + `
				UNION ALL SELECT hour, n, m FROM rollup_deltas` + where + ` AND kind = 'pay') AS h GROUP BY hour`
	}
	var rows []hourRow
	if err := d.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, nil, fmt.Errorf("overview: registrations and payments per day: %w", err)
	}
	for _, r := range rows {
		if r.Kind == "reg" {
			regs = append(regs, r)
		} else {
			pays = append(pays, r)
		}
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
