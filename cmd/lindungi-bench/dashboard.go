package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
)

// targetOverviewP95 is the target for the dashboard's Ringkasan.
const targetOverviewP95 = 300 * time.Millisecond

// overviewRuns is how many times each overview is timed.
const overviewRuns = 20

// dashboardRegencies are the kabupaten/kota of the generated registrations
// (Kalimantan Barat's 14 and one more); each has ten kecamatan.
var dashboardRegencies = []string{"61.01", "61.02", "61.03", "61.04", "61.05", "61.06", "61.07", "61.08", "61.09", "61.10",
	"61.11", "61.12", "61.71", "61.72", "63.71"}

// dashboardBatches is how many sponsor batches the imported registrations
// are spread over (a few thousand each at 1,000,000).
const dashboardBatches = 50

type timings struct{ p50, p95, max time.Duration }

func timingsOf(d []time.Duration) timings {
	s := slices.Clone(d)
	slices.Sort(s)
	return timings{quantile(s, 0.50), quantile(s, 0.95), s[len(s)-1]}
}

type dashboardResult struct {
	registrations, payments int
	rollupRows              int // registration_areas and registration_sources rows after the fold
	seedRegs, seedPays      time.Duration
	fold                    time.Duration
	folded                  int
	all, supervisor         timings
	sponsor                 timings
	search, searchRare      timings // Pendaftar: a name part many have, and a full name
	searchHits              int
	supervisorRegs          int64
	sponsorRegs             int64
	totals                  dashboard.Totals
}

// benchDashboard seeds a fresh database with n registrations (one INSERT …
// SELECT: 15 kabupaten/kota, 150 kecamatan, 5 sources, every standing,
// made over the last 120 days) and settled payments for 3 in 10 of them,
// folds the rollups, and times the overview: unscoped (admin, staf), a
// supervisor's one kabupaten/kota and a sponsor's one batch.
func benchDashboard(ctx context.Context, n int) (dashboardResult, error) {
	res := dashboardResult{registrations: n}
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		return res, err
	}
	defer drop()
	env, err := flowstest.Open(ctx, dsn, flowstest.Options{MaxConns: 4})
	if err != nil {
		return res, err
	}
	defer env.Close()
	db := env.DB
	now := clock.Now()
	loc := flows.DefaultConfig().Location
	today := now.In(loc).Format(time.DateOnly)

	var agent int64
	if err := db.SQL().GetContext(ctx, &agent, `INSERT INTO agents (channel, user_id, chat_id, role, nik_sealed, nik_hash, name, village, status, created_at, updated_at)
		VALUES ('telegram', 'bench-agent', 'bench-agent', 'kader', '\x00', '\x01', 'Agen', '61.71.05.1002', 'approved', $1, $1) RETURNING id`, now); err != nil {
		return res, fmt.Errorf("dashboard: agent: %w", err)
	}
	var batches []int64
	for i := range dashboardBatches {
		b, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: fmt.Sprintf("Pemkab %d", i), FileName: "daftar.csv",
			FileSHA: fmt.Sprint("dashboard-bench-", i), Months: 12, CreatedBy: "bench"})
		if err != nil {
			return res, err
		}
		batches = append(batches, b.ID)
	}

	// seed runs one statement of the seeding without the store's statement
	// timeout: a bulk insert of a million rows, each through the rollup
	// triggers and the indexes, takes longer than any request may.
	seed := func(q string, args ...any) error {
		tx, err := db.SQL().BeginTxx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		return tx.Commit()
	}
	// One statement, as a bulk import would. Independent hashes of g pick
	// the kabupaten/kota and kecamatan, the source (telegram, whatsapp, web,
	// an agent's resident, a sponsor's import), the standing (one in five
	// awaiting, else covered to a day from 300 days ago to 240 ahead) and the
	// minute it was made.
	start := clock.Start()
	if err := seed(`INSERT INTO registrations (id, ref, name, channel, chat_id, province, regency, district, village, occupation,
			income_bracket, monthly_iuran, status, covered_from, covered_to, agent_id, sponsor_batch_id, created_at, updated_at)
		SELECT g, 'LDB-' || g, (ARRAY['Siti', 'Budi', 'Dewi', 'Agus', 'Nur', 'Hendra', 'Maria', 'Ahmad', 'Lina', 'Yusuf', 'Rina', 'Yohanes'])[1 + h[5] % 12]
			|| ' ' || (ARRAY['Rahayu', 'Santoso', 'Lestari', 'Salim', 'Aini', 'Wijaya', 'Ulfa', 'Fauzi', 'Marlina', 'Kurniawan', 'Susanti', 'Ading'])[1 + h[6] / 7 % 12], ch, CASE WHEN ch = '' THEN '' ELSE 'c' || g END, left(reg, 2), reg, dis, dis || '.1001',
			(ARRAY['petani', 'nelayan', 'pedagang_pasar', 'ojek', 'buruh_harian'])[1 + h[6] % 5], 1, 16800,
			CASE WHEN awaiting THEN 'menunggu_pembayaran' ELSE 'aktif' END,
			CASE WHEN NOT awaiting THEN $1::date + (h[4] % 540 - 330) END,
			CASE WHEN NOT awaiting THEN $1::date + (h[4] % 540 - 300) END,
			CASE WHEN src = 3 THEN $2::bigint END,
			CASE WHEN src = 4 THEN ($3::bigint[])[1 + h[2] % cardinality($3::bigint[])] END,
			at, at
		FROM generate_series(1, $4::int) g,
			LATERAL (SELECT array_agg(hashint8(g::bigint * 8 + k) & 2147483647 ORDER BY k) AS h FROM generate_series(1, 6) k) AS hs,
			LATERAL (SELECT h[1] % 5 AS src, ($5::text[])[1 + h[2] % cardinality($5::text[])] AS reg, h[3] % 5 = 0 AS awaiting,
				$6::timestamptz - (h[5] % (120 * 1440)) * interval '1 minute' AS at) AS x,
			LATERAL (SELECT (ARRAY['telegram', 'whatsapp', 'web', '', ''])[1 + src] AS ch,
				reg || '.' || lpad((1 + h[6] / 5 % 10)::text, 2, '0') AS dis) AS y`,
		today, agent, pq.Int64Array(batches), n, pq.StringArray(dashboardRegencies), now); err != nil {
		return res, fmt.Errorf("dashboard: registrations: %w", err)
	}
	if _, err := db.SQL().ExecContext(ctx, `SELECT setval('registrations_id_seq', $1::bigint)`, n); err != nil {
		return res, err
	}
	res.seedRegs = start.Elapsed()

	// Payments for 3 in 10 registrations, one item each, made pending and
	// settled in one statement (as notifications settle them, in bulk), over
	// the last 120 days; one in 50 refunded after.
	start = clock.Start()
	if err := seed(`INSERT INTO payments (id, order_id, provider, payer_kind, payer_ref, method, amount, status, created_at, updated_at)
		SELECT g, 'LDB-P' || g, (ARRAY['midtrans', 'sandbox'])[1 + g % 2], 'worker', 'telegram:c' || g,
			(ARRAY['bri', 'bni', 'mandiri', 'qris'])[1 + g % 4], 16800 * (1 + g % 3), 'pending', $1, $1
		FROM generate_series(1, $2::int) g WHERE g % 10 IN (1, 4, 7)`, now, n); err != nil {
		return res, fmt.Errorf("dashboard: payments: %w", err)
	}
	if err := seed(`INSERT INTO payment_items (payment_id, registration_id, months, jkk, jkm, jht, amount)
		SELECT id, id, 1, amount, 0, 0, amount FROM payments`); err != nil {
		return res, fmt.Errorf("dashboard: payment items: %w", err)
	}
	if err := seed(`UPDATE payments SET status = 'paid', paid_at = $1::timestamptz - ((id * 53) % 172800) * interval '1 minute', updated_at = $1`, now); err != nil {
		return res, fmt.Errorf("dashboard: settle: %w", err)
	}
	if err := seed(`UPDATE payments SET status = 'refunded', flag = 'refunded', updated_at = $1 WHERE id % 50 = 1`, now); err != nil {
		return res, fmt.Errorf("dashboard: refund: %w", err)
	}
	if _, err := db.SQL().ExecContext(ctx, `SELECT setval('payments_id_seq', $1::bigint)`, n); err != nil {
		return res, err
	}
	if err := db.SQL().GetContext(ctx, &res.payments, `SELECT count(*) FROM payments WHERE status = 'paid'`); err != nil {
		return res, err
	}
	res.seedPays = start.Elapsed()

	start = clock.Start()
	if res.folded, err = db.FoldRollups(ctx); err != nil {
		return res, err
	}
	res.fold = start.Elapsed()
	if _, err := db.SQL().ExecContext(ctx, `ANALYZE`); err != nil {
		return res, err
	}
	if err := db.SQL().GetContext(ctx, &res.rollupRows, `SELECT (SELECT count(*) FROM registration_areas) + (SELECT count(*) FROM registration_sources)`); err != nil {
		return res, err
	}

	day := now.In(loc)
	timeIt := func(s dashboard.Scope) (timings, dashboard.Overview, error) {
		var d []time.Duration
		var o dashboard.Overview
		for range overviewRuns {
			start := clock.Start()
			var err error
			if o, err = db.Overview(ctx, s, day); err != nil {
				return timings{}, o, err
			}
			d = append(d, start.Elapsed())
		}
		return timingsOf(d), o, nil
	}
	var o dashboard.Overview
	if res.all, o, err = timeIt(dashboard.Scope{}); err != nil {
		return res, err
	}
	res.totals = o.Totals
	if o.Totals.Registered != int64(n) {
		return res, fmt.Errorf("dashboard: the overview counts %d registrations of %d", o.Totals.Registered, n)
	}
	if res.supervisor, o, err = timeIt(dashboard.Scope{Regencies: []string{"61.71"}}); err != nil {
		return res, err
	}
	res.supervisorRegs = o.Totals.Registered
	if res.sponsor, o, err = timeIt(dashboard.Scope{Batches: batches[:1]}); err != nil {
		return res, err
	}
	res.sponsorRegs = o.Totals.Registered

	// Pendaftar's search by a part of a name: one every twelfth person has,
	// and a full name (one in 144).
	search := func(text string) (timings, int, error) {
		var d []time.Duration
		var hits int
		for range overviewRuns {
			start := clock.Start()
			var err error
			if _, hits, err = db.Registrations(ctx, dashboard.Scope{}, dashboard.Query{Text: text, PerPage: 50}, day); err != nil {
				return timings{}, 0, err
			}
			d = append(d, start.Elapsed())
		}
		return timingsOf(d), hits, nil
	}
	if res.search, res.searchHits, err = search("rahayu"); err != nil {
		return res, err
	}
	if res.searchRare, _, err = search("Siti Rahayu"); err != nil {
		return res, err
	}
	return res, nil
}

func reportDashboard(w io.Writer, r dashboardResult) {
	tw := &table{w: w}
	ms := func(t timings) string {
		return fmt.Sprintf("p50 %s, p95 %s, max %s", roundDur(t.p50), roundDur(t.p95), roundDur(t.max))
	}
	tw.head("dashboard overview: %d registrations, %d settled payments\n", r.registrations, r.payments)
	tw.row("  seed registrations", "%.1f s (one INSERT … SELECT, rollup triggers on)\n", r.seedRegs.Seconds())
	tw.row("  seed payments", "%.1f s (insert, items, settle, refund 1 in 50)\n", r.seedPays.Seconds())
	tw.row("  fold rollups", "%s (%d deltas into %d area and source rows)\n", roundDur(r.fold), r.folded, r.rollupRows)
	tw.row("  totals", "%d awaiting, %d active, %d arrears, %d ended\n", r.totals.Awaiting, r.totals.Active, r.totals.Arrears, r.totals.Ended)
	tw.row("  overview, everything", "%s of %d (target p95 ≤ %v, every scope)\n", ms(r.all), overviewRuns, targetOverviewP95)
	tw.row("  overview, supervisor 61.71", "%s of %d (%d registrations)\n", ms(r.supervisor), overviewRuns, r.supervisorRegs)
	tw.row("  overview, sponsor's batch", "%s of %d (%d registrations)\n", ms(r.sponsor), overviewRuns, r.sponsorRegs)
	tw.row("  search \"rahayu\"", "%s of %d (%d found, counted up to 100.000)\n", ms(r.search), overviewRuns, r.searchHits)
	tw.row("  search \"Siti Rahayu\"", "%s of %d\n", ms(r.searchRare), overviewRuns)
	if r.all.p95 > targetOverviewP95 || r.supervisor.p95 > targetOverviewP95 || r.sponsor.p95 > targetOverviewP95 {
		fmt.Fprintf(w, "!!! the overview's p95 is above %v\n", targetOverviewP95)
	}
}
