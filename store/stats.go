package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/tanggal"
)

// statsQuery counts the live registrations on today in one scan, by
// kabupaten/kota, occupation, channel and standing (grouping sets), with
// the payers summed in the total row. The standings and payers are the
// segments' own conditions (standingsSQL, payerSQL), so /statistik and a
// broadcast's recipient count always agree.
func statsQuery(today time.Time) (string, []any) {
	var args sqlArgs
	one := func(st string) string {
		return standingsSQL(flows.Segment{Standings: []string{st}}, today, &args)
	}
	standing := `CASE`
	for _, st := range flows.StatsStandings {
		standing += ` WHEN ` + one(st) + ` THEN '` + st + `'`
	}
	standing += ` ELSE '' END`
	q := `SELECT CASE WHEN grouping(regency) = 0 THEN 'regency' WHEN grouping(occupation) = 0 THEN 'occupation'
			WHEN grouping(channel) = 0 THEN 'channel' WHEN grouping(standing) = 0 THEN 'standing' ELSE '' END AS dim,
		coalesce(regency, occupation, channel, standing, '') AS key,
		count(*) AS registered, count(*) FILTER (WHERE active) AS active,
		count(*) FILTER (WHERE self) AS self, count(*) FILTER (WHERE self AND active) AS self_active,
		count(*) FILTER (WHERE agent) AS agent, count(*) FILTER (WHERE agent AND active) AS agent_active,
		count(*) FILTER (WHERE sponsor) AS sponsor, count(*) FILTER (WHERE sponsor AND active) AS sponsor_active
	FROM (SELECT r.regency, r.occupation, r.channel, ` + standing + ` AS standing,
			coalesce(` + one(flows.StandingActive) + `, false) AS active,
			coalesce(` + payerSQL(flows.PayerSelf) + `, false) AS self,
			coalesce(` + payerSQL(flows.PayerAgent) + `, false) AS agent,
			coalesce(` + payerSQL(flows.PayerSponsor) + `, false) AS sponsor
		FROM registrations r WHERE r.deleted_at IS NULL) AS r
	GROUP BY GROUPING SETS ((regency), (occupation), (channel), (standing), ())
	ORDER BY dim, registered DESC, key`
	return q, args
}

type statsRow struct {
	Dim string `db:"dim"`
	flows.Count
	Self          int `db:"self"`
	SelfActive    int `db:"self_active"`
	Agent         int `db:"agent"`
	AgentActive   int `db:"agent_active"`
	Sponsor       int `db:"sponsor"`
	SponsorActive int `db:"sponsor_active"`
}

// qStatsPaid sums the settled payments since the start of today ($1), of
// the week ($2) and of the month ($3).
const qStatsPaid = `SELECT
		count(*) FILTER (WHERE paid_at >= $1) AS today_n, coalesce(sum(amount) FILTER (WHERE paid_at >= $1), 0) AS today_sum,
		count(*) FILTER (WHERE paid_at >= $2) AS week_n, coalesce(sum(amount) FILTER (WHERE paid_at >= $2), 0) AS week_sum,
		count(*) FILTER (WHERE paid_at >= $3) AS month_n, coalesce(sum(amount) FILTER (WHERE paid_at >= $3), 0) AS month_sum
	FROM payments WHERE status = 'paid' AND paid_at >= least($1, $2, $3)`

// stats counts the figures of /statistik on today (midnight in the
// deployment's zone).
func stats(ctx context.Context, tx txx, today time.Time) (flows.Stats, error) {
	st := flows.Stats{Day: today}
	q, args := statsQuery(today)
	var rows []statsRow
	if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return st, fmt.Errorf("stats: count registrations: %w", err)
	}
	standings := map[string]flows.Count{}
	for _, r := range rows {
		switch r.Dim {
		case "regency":
			st.Regencies = append(st.Regencies, r.Count)
		case "occupation":
			st.Occupations = append(st.Occupations, r.Count)
		case "channel":
			st.Channels = append(st.Channels, r.Count)
		case "standing":
			standings[r.Key] = r.Count
		case "":
			st.Total = flows.Count{Registered: r.Registered, Active: r.Active}
			st.Payers = []flows.Count{{Key: flows.PayerSelf, Registered: r.Self, Active: r.SelfActive},
				{Key: flows.PayerAgent, Registered: r.Agent, Active: r.AgentActive},
				{Key: flows.PayerSponsor, Registered: r.Sponsor, Active: r.SponsorActive}}
		}
	}
	if st.Payers == nil { // no registrations at all: the total row is there, but be sure
		st.Payers = []flows.Count{{Key: flows.PayerSelf}, {Key: flows.PayerAgent}, {Key: flows.PayerSponsor}}
	}
	for _, s := range flows.StatsStandings {
		c := standings[s]
		c.Key = s
		st.Standings = append(st.Standings, c)
	}

	st.PaidToday.Since = today
	st.PaidWeek.Since = tanggal.WeekStart(today)
	st.PaidMonth.Since = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, today.Location())
	var paid struct {
		TodayN   int   `db:"today_n"`
		TodaySum int64 `db:"today_sum"`
		WeekN    int   `db:"week_n"`
		WeekSum  int64 `db:"week_sum"`
		MonthN   int   `db:"month_n"`
		MonthSum int64 `db:"month_sum"`
	}
	if err := tx.GetContext(ctx, &paid, qStatsPaid, st.PaidToday.Since, st.PaidWeek.Since, st.PaidMonth.Since); err != nil {
		return st, fmt.Errorf("stats: sum payments: %w", err)
	}
	st.PaidToday.Payments, st.PaidToday.Amount = paid.TodayN, paid.TodaySum
	st.PaidWeek.Payments, st.PaidWeek.Amount = paid.WeekN, paid.WeekSum
	st.PaidMonth.Payments, st.PaidMonth.Amount = paid.MonthN, paid.MonthSum
	return st, nil
}

// Stats counts the figures of /statistik (see flows.AdminTx.Stats).
func (t *chatTx) Stats(ctx context.Context) (flows.Stats, error) {
	return stats(ctx, t.tx, t.today(t.now))
}

// CoverageByRegency counts the live registrations and those protected today
// by kabupaten/kota of domicile, most protected first (the /statistik
// chart). It agrees with Stats.
func (d *DB) CoverageByRegency(ctx context.Context) ([]flows.Count, error) {
	var args sqlArgs
	active := standingsSQL(flows.Segment{Standings: []string{flows.StandingActive}}, d.today(d.now()), &args)
	var out []flows.Count
	err := d.db.SelectContext(ctx, &out, `SELECT r.regency AS key, count(*) AS registered, count(*) FILTER (WHERE `+active+`) AS active
		FROM registrations r WHERE r.deleted_at IS NULL
		GROUP BY r.regency ORDER BY active DESC, registered DESC, key`, args...)
	if err != nil {
		return nil, fmt.Errorf("coverage by regency: %w", err)
	}
	return out, nil
}
