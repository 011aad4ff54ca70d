package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
)

// sqlSponsored says whether the registration r is paid for by a sponsor's
// batch (bulk import); the self and sponsor payers follow from it.
const sqlSponsored = `(r.sponsor_batch_id IS NOT NULL)`

// defaultDueDays is how far ahead "due" looks when the segment says 0.
const defaultDueDays = 7

// sqlArgs numbers the parameters of a query as it is put together.
type sqlArgs []any

// add appends a parameter and returns its placeholder.
func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// checkSegment refuses values a segment cannot hold (a typo must not widen
// a broadcast to everyone).
func checkSegment(s flows.Segment) error {
	for _, st := range s.Standings {
		if !slices.Contains([]string{flows.StandingAwaiting, flows.StandingActive, flows.StandingDue, flows.StandingArrears, flows.StandingEnded}, st) {
			return fmt.Errorf("segment: unknown standing %q", st)
		}
	}
	for _, p := range s.Payers {
		if !slices.Contains([]string{flows.PayerSelf, flows.PayerAgent, flows.PayerSponsor}, p) {
			return fmt.Errorf("segment: unknown payer %q", p)
		}
	}
	if s.JHT != "" && s.JHT != "with" && s.JHT != "without" {
		return fmt.Errorf("segment: jht %q: want with, without or nothing", s.JHT)
	}
	if s.DueDays < 0 {
		return fmt.Errorf("segment: due days %d: want 0 or more", s.DueDays)
	}
	return nil
}

// arrearsFrom is the earliest last covered day whose arrears can still be
// paid on today (iuran.Status gives Arrears or Active): a coverage that
// ended before it has ended for good. It follows iuran's month rule, so a
// segment and the worker's own status always agree.
func arrearsFrom(today time.Time) time.Time {
	// ArrearsUntil(end) is never less than the naive "end + 3 months" and at
	// most a few days more: start safely before and walk forward.
	e := today.AddDate(0, -iuran.ArrearsMonths, -7)
	for iuran.ArrearsUntil(e).Before(today) {
		e = time.Date(e.Year(), e.Month(), e.Day()+1, 0, 0, 0, 0, e.Location())
	}
	return e
}

// recipientsQuery is the query of a segment's recipients on the day today
// (midnight in the deployment's zone): one row per chat (channel, chat_id,
// lang), opted-out and unreachable chats left out. Counting and starting a
// broadcast both use it, so they always agree. The caller's own parameters
// come first: they are $1… and the segment's follow.
func recipientsQuery(s flows.Segment, today time.Time, own ...any) (string, []any, error) {
	if err := checkSegment(s); err != nil {
		return "", nil, err
	}
	args := sqlArgs(own)
	var chats string
	if s.AgentsOnly {
		chats = agentChats(s, &args)
	} else {
		chats = workerChats(s, today, &args)
	}
	q := `SELECT c.channel, c.chat_id, coalesce(ss.lang, '') AS lang FROM (` + chats + `) AS c
		LEFT JOIN sessions ss ON ss.channel = c.channel AND ss.chat_id = c.chat_id
		WHERE NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.channel = c.channel AND o.chat_id = c.chat_id)
			AND NOT EXISTS (SELECT 1 FROM unreachable_chats u WHERE u.channel = c.channel AND u.chat_id = c.chat_id)`
	return q, args, nil
}

// workerChats selects the chats of the live registrations the segment
// matches, each chat once.
func workerChats(s flows.Segment, today time.Time, args *sqlArgs) string {
	where := []string{`r.deleted_at IS NULL`, `r.channel <> ''`}
	in := func(column string, values []string) {
		if len(values) > 0 {
			where = append(where, column+` = ANY(`+args.add(pq.StringArray(values))+`)`)
		}
	}
	in("r.regency", s.Regencies)
	in("r.district", s.Districts)
	in("r.occupation", s.Occupations)
	in("r.channel", s.Channels)
	switch s.JHT {
	case "with":
		where = append(where, `r.jht`)
	case "without":
		where = append(where, `NOT r.jht`)
	}
	if len(s.Standings) > 0 {
		where = append(where, standingsSQL(s, today, args))
	}
	if len(s.Payers) > 0 {
		var anyOf []string
		for _, p := range s.Payers {
			anyOf = append(anyOf, payerSQL(p))
		}
		where = append(where, `(`+strings.Join(anyOf, ` OR `)+`)`)
	}
	return `SELECT DISTINCT r.channel, r.chat_id FROM registrations r WHERE ` + strings.Join(where, ` AND `)
}

// payerSQL matches a registration r whose contribution p (a Payer* value,
// checked by checkSegment) pays.
func payerSQL(p string) string {
	switch p {
	case flows.PayerSelf:
		return `(r.agent_id IS NULL AND NOT ` + sqlSponsored + `)`
	case flows.PayerAgent:
		return `(r.agent_id IS NOT NULL AND NOT ` + sqlSponsored + `)`
	case flows.PayerSponsor:
		return sqlSponsored
	}
	return `false`
}

// standingsSQL matches a registration in any of the segment's standings on
// today (see iuran.Status: covered up to and including covered_to).
func standingsSQL(s flows.Segment, today time.Time, args *sqlArgs) string {
	day := func(t time.Time) string { return args.add(t.Format(time.DateOnly)) + `::date` }
	var todayP, fromP string // added once, when needed
	todayArg := func() string {
		if todayP == "" {
			todayP = day(today)
		}
		return todayP
	}
	fromArg := func() string {
		if fromP == "" {
			fromP = day(arrearsFrom(today))
		}
		return fromP
	}
	dueDays := s.DueDays
	if dueDays == 0 {
		dueDays = defaultDueDays
	}
	var anyOf []string
	for _, st := range s.Standings {
		switch st {
		case flows.StandingAwaiting:
			anyOf = append(anyOf, `(r.covered_to IS NULL AND r.status = `+args.add(flows.StatusAwaitingPayment)+`)`)
		case flows.StandingActive:
			anyOf = append(anyOf, `r.covered_to >= `+todayArg())
		case flows.StandingDue:
			anyOf = append(anyOf, `r.covered_to BETWEEN `+todayArg()+` AND `+day(today.AddDate(0, 0, dueDays)))
		case flows.StandingArrears:
			anyOf = append(anyOf, `(r.covered_to < `+todayArg()+` AND r.covered_to >= `+fromArg()+`)`)
		case flows.StandingEnded:
			anyOf = append(anyOf, `r.covered_to < `+fromArg())
		}
	}
	return `(` + strings.Join(anyOf, ` OR `) + `)`
}

// agentChats selects the chats of the approved agents, in the segment's
// regions (matched on the agent's village code: village 61.71.05.1001 is in
// regency 61.71 and district 61.71.05) and channels; the other filters are
// about workers and do not apply.
func agentChats(s flows.Segment, args *sqlArgs) string {
	where := []string{`a.status = ` + args.add(flows.AgentApproved), `a.chat_id <> ''`}
	if len(s.Channels) > 0 {
		where = append(where, `a.channel = ANY(`+args.add(pq.StringArray(s.Channels))+`)`)
	}
	for _, codes := range [][]string{s.Regencies, s.Districts} {
		if len(codes) > 0 {
			where = append(where, `EXISTS (SELECT 1 FROM unnest(`+args.add(pq.StringArray(codes))+`::text[]) AS p(code)
				WHERE starts_with(a.village, p.code || '.'))`)
		}
	}
	return `SELECT DISTINCT a.channel, a.chat_id FROM agents a WHERE ` + strings.Join(where, ` AND `)
}

// today is the calendar date of t in the deployment's zone, at midnight there.
func (d *DB) today(t time.Time) time.Time {
	y, m, day := t.In(d.loc).Date()
	return time.Date(y, m, day, 0, 0, 0, 0, d.loc)
}

// countSegment counts a segment's recipients on today.
func countSegment(ctx context.Context, tx txx, s flows.Segment, today time.Time) (int, error) {
	q, args, err := recipientsQuery(s, today)
	if err != nil {
		return 0, err
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM (`+q+`) AS q`, args...); err != nil {
		return 0, fmt.Errorf("count segment: %w", err)
	}
	return n, nil
}

// SegmentWindow counts the segment's recipients on channel who wrote since
// (their window is open: WhatsApp's 24 hours) and those who did not.
func (t *chatTx) SegmentWindow(ctx context.Context, s flows.Segment, channel string, since time.Time) (inside, outside int, err error) {
	q, args, err := recipientsQuery(s, t.today(t.now), channel, since)
	if err != nil {
		return 0, 0, err
	}
	var n struct {
		Inside int `db:"inside"`
		Total  int `db:"total"`
	}
	if err := t.tx.GetContext(ctx, &n, `SELECT count(*) FILTER (WHERE s.updated_at >= $2 AND NOT `+windowClosed+`) AS inside, count(*) AS total
		FROM (`+q+`) AS q LEFT JOIN sessions s ON s.channel = q.channel AND s.chat_id = q.chat_id
		WHERE q.channel = $1`, args...); err != nil {
		return 0, 0, fmt.Errorf("count segment by window: %w", err)
	}
	return n.Inside, n.Total - n.Inside, nil
}

// SegmentCount counts the people a broadcast to the segment would reach now.
func (t *chatTx) SegmentCount(ctx context.Context, s flows.Segment) (int, error) {
	return countSegment(ctx, t.tx, s, t.today(t.now))
}

// CountSegment counts the people a broadcast to the segment would reach now
// (the CLI; see flows.AdminTx.SegmentCount).
func (d *DB) CountSegment(ctx context.Context, s flows.Segment) (int, error) {
	return countSegment(ctx, d.db, s, d.today(d.now()))
}
