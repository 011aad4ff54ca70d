package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/tanggal"
)

// ovArrearsFrom is the earliest last covered day still in arrears on today
// (iuran's rule, walked as store's segments do).
func ovArrearsFrom(today time.Time) time.Time {
	e := today.AddDate(0, -iuran.ArrearsMonths, -7)
	for iuran.ArrearsUntil(e).Before(today) {
		e = e.AddDate(0, 0, 1)
	}
	return e
}

// ovDay is the dashboard's day today of bcToday.
var ovDay = time.Date(2026, 11, 25, 0, 0, 0, 0, wib)

// directOverview counts what Overview should say on day (midnight WIB)
// straight from registrations and payments, in a scope, with the standings
// of segments.go's standingsSQL.
func (e *bcEnv) directOverview(s dashboard.Scope, day time.Time) dashboard.Overview {
	e.t.Helper()
	today := day.Format(time.DateOnly)
	from := ovArrearsFrom(day).Format(time.DateOnly)
	scope := `cardinality($3::text[]) = 0` // $3 is always used: its type must be known
	var arg any = pq.StringArray{}
	switch {
	case s.None:
		scope = `cardinality($3::text[]) < 0`
	case len(s.Batches) > 0:
		scope, arg = `r.sponsor_batch_id = ANY($3)`, pq.Int64Array(s.Batches)
	case len(s.Regencies) > 0:
		scope, arg = `r.regency = ANY($3)`, pq.StringArray(s.Regencies)
	}
	live := `WITH r AS (SELECT r.regency, r.district,
			CASE WHEN r.sponsor_batch_id IS NOT NULL THEN 'import' WHEN r.agent_id IS NOT NULL OR r.channel = '' THEN 'agent' ELSE r.channel END AS source,
			CASE WHEN r.covered_to IS NULL AND r.status = 'menunggu_pembayaran' THEN 'awaiting'
				WHEN r.covered_to >= $1::date THEN 'active'
				WHEN r.covered_to < $1::date AND r.covered_to >= $2::date THEN 'arrears'
				WHEN r.covered_to < $2::date THEN 'ended' ELSE '' END AS standing
		FROM registrations r WHERE r.deleted_at IS NULL AND ` + scope + `) `
	o := dashboard.Overview{Day: day}
	must(e.t, e.db.SQL().Get(&o.Totals, live+`SELECT count(*) AS registered,
		count(*) FILTER (WHERE standing = 'awaiting') AS awaiting, count(*) FILTER (WHERE standing = 'active') AS active,
		count(*) FILTER (WHERE standing = 'arrears') AS arrears, count(*) FILTER (WHERE standing = 'ended') AS ended FROM r`, today, from, arg))
	type area struct {
		Code       string `db:"code"`
		Registered int64  `db:"registered"`
		Active     int64  `db:"active"`
	}
	by := func(col string) []area {
		var rows []area
		must(e.t, e.db.SQL().Select(&rows, live+`SELECT `+col+` AS code, count(*) AS registered, count(*) FILTER (WHERE standing = 'active') AS active
			FROM r GROUP BY 1 ORDER BY 2 DESC, 1`, today, from, arg))
		return rows
	}
	for _, a := range by("regency") {
		o.Regencies = append(o.Regencies, dashboard.Area{Code: a.Code, Registered: a.Registered, Active: a.Active})
	}
	for _, a := range by("district") {
		o.Districts = append(o.Districts, dashboard.Area{Code: a.Code, Registered: a.Registered, Active: a.Active})
	}
	for _, a := range by("source") {
		o.Sources = append(o.Sources, dashboard.Source{Source: a.Code, Registered: a.Registered, Active: a.Active})
	}

	// The series: registrations made (still live) and payments settled (not
	// refunded, whatever became of the registration since), per day here.
	start := day.AddDate(0, 0, -89)
	for i := range 90 {
		o.Days = append(o.Days, dashboard.Day{Day: start.AddDate(0, 0, i)})
	}
	type dayRow struct {
		Day    time.Time `db:"day"`
		N      int64     `db:"n"`
		Amount int64     `db:"amount"`
	}
	local := func(col string) string { return `((` + col + ` AT TIME ZONE 'UTC') + interval '7 hours')::date` }
	var regs, pays []dayRow
	must(e.t, e.db.SQL().Select(&regs, `SELECT `+local("r.created_at")+` AS day, count(*) AS n, 0 AS amount
		FROM registrations r WHERE r.deleted_at IS NULL AND `+scope+` AND r.created_at >= $1 AND $2::boolean GROUP BY 1`,
		start, true, arg))
	must(e.t, e.db.SQL().Select(&pays, `SELECT `+local("p.paid_at")+` AS day, count(*) AS n, sum(i.amount) AS amount
		FROM payments p JOIN payment_items i ON i.payment_id = p.id JOIN registrations r ON r.id = i.registration_id
		WHERE p.status = 'paid' AND p.paid_at IS NOT NULL AND `+scope+` AND p.paid_at >= $1 AND $2::boolean GROUP BY 1`,
		start, true, arg))
	at := func(t time.Time) *dashboard.Day {
		i := int(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, wib).Sub(start).Hours() / 24)
		if i < 0 || i >= len(o.Days) {
			return nil
		}
		return &o.Days[i]
	}
	for _, r := range regs {
		if d := at(r.Day); d != nil {
			d.Registrations += r.N
		}
	}
	for _, r := range pays {
		if d := at(r.Day); d != nil {
			d.Payments += r.N
			d.Amount += r.Amount
		}
	}
	return o
}

// sameOverview compares the figures of got (Overview) with want (counted
// directly), field by field.
func sameOverview(t *testing.T, label string, got, want dashboard.Overview) {
	t.Helper()
	if !got.Day.Equal(want.Day) {
		t.Errorf("%s: day %v, want %v", label, got.Day, want.Day)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"totals", got.Totals, want.Totals}, {"regencies", got.Regencies, want.Regencies},
		{"districts", got.Districts, want.Districts}, {"sources", got.Sources, want.Sources},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: %s %+v\n  want %+v", label, f.name, f.got, f.want)
		}
	}
	if len(got.Days) != len(want.Days) {
		t.Fatalf("%s: %d days, want %d", label, len(got.Days), len(want.Days))
	}
	for i := range got.Days {
		g, w := got.Days[i], want.Days[i]
		if !g.Day.Equal(w.Day) || g.Registrations != w.Registrations || g.Payments != w.Payments || g.Amount != w.Amount {
			t.Errorf("%s: day %s: %d registrations, %d payments, Rp %d; want %s: %d, %d, Rp %d", label,
				g.Day.Format(time.DateOnly), g.Registrations, g.Payments, g.Amount, w.Day.Format(time.DateOnly), w.Registrations, w.Payments, w.Amount)
		}
	}
}

func (e *bcEnv) overview(s dashboard.Scope) dashboard.Overview {
	e.t.Helper()
	return e.overviewOn(s, bcToday)
}

// overviewOn is the overview on the day of t.
func (e *bcEnv) overviewOn(s dashboard.Scope, t time.Time) dashboard.Overview {
	e.t.Helper()
	o, err := e.db.Overview(e.ctx, s, t)
	must(e.t, err)
	return o
}

func (e *bcEnv) deltas() int {
	e.t.Helper()
	var n int
	must(e.t, e.db.SQL().Get(&n, `SELECT count(*) FROM rollup_deltas`))
	return n
}

// fold folds the rollups: afterwards nothing waits in rollup_deltas.
func (e *bcEnv) fold() {
	e.t.Helper()
	before := e.deltas()
	n, err := e.db.FoldRollups(e.ctx)
	must(e.t, err)
	if n != before {
		e.t.Errorf("FoldRollups folded %d deltas of %d", n, before)
	}
	if left := e.deltas(); left != 0 {
		e.t.Errorf("%d deltas left after FoldRollups", left)
	}
	for _, table := range []string{"registration_areas", "registration_sources"} {
		var zero int
		must(e.t, e.db.SQL().Get(&zero, `SELECT count(*) FROM `+table+` WHERE n = 0`))
		if zero != 0 {
			e.t.Errorf("%d empty groups kept in %s", zero, table)
		}
	}
}

// ovPay stores a pending payment of registrations (ref → amount), created
// at bcToday, and returns its id.
func (e *bcEnv) ovPay(items map[string]int64) int64 {
	e.t.Helper()
	var sum int64
	for _, a := range items {
		sum += a
	}
	var id int64
	must(e.t, e.db.SQL().Get(&id, `INSERT INTO payments (order_id, provider, payer_kind, payer_ref, method, amount, status, created_at, updated_at)
		VALUES ($1, 'sandbox', 'worker', 'telegram:ov', (ARRAY['bri', 'bni', 'qris'])[1 + $3::int % 3], $2, 'pending', $4, $4) RETURNING id`,
		fmt.Sprintf("OV-%d", next()), sum, next(), bcToday))
	for ref, a := range items {
		e.db.SQL().MustExec(`INSERT INTO payment_items (payment_id, registration_id, months, jkk, jkm, jht, amount)
			SELECT $1, id, 1, $3, 0, 0, $3 FROM registrations WHERE ref = $2`, id, ref, a)
	}
	return id
}

// settle marks payments paid, each at its time, in one statement.
func (e *bcEnv) settle(at map[int64]time.Time) {
	e.t.Helper()
	var ids []int64
	var times []time.Time
	for id, t := range at {
		ids, times = append(ids, id), append(times, t)
	}
	e.db.SQL().MustExec(`UPDATE payments p SET status = 'paid', paid_at = v.at, updated_at = v.at
		FROM unnest($1::bigint[], $2::timestamptz[]) AS v (id, at) WHERE p.id = v.id`, pq.Int64Array(ids), pq.Array(times))
}

// ovBatch opens a sponsor batch and imports workers into it, in regency
// (district regency+".01"), made at the clock's time.
func (e *bcEnv) ovBatch(name, regency string, workers int) store.Batch {
	e.t.Helper()
	b, _, err := e.db.OpenBatch(e.ctx, store.BatchSpec{Sponsor: name, FileName: name + ".csv", FileSHA: fmt.Sprint("ov-", next()), Months: 3, CreatedBy: "test"})
	must(e.t, err)
	var ws []roster.Worker
	for i := range workers {
		w := rosterWorker(2+i, fmt.Sprintf("6172014508%06d", 900000+next()))
		w.Regency, w.District, w.Village = regency, regency+".01", regency+".01.1001"
		ws = append(ws, w)
	}
	res, err := sponsor.ImportChunk(e.ctx, e.db, b, ws, iuran.Default())
	must(e.t, err)
	if res.Imported != workers {
		e.t.Fatalf("batch %s: %+v", name, res)
	}
	return b
}

// The overview, read from the rollups, says what counting registrations and
// payments directly says, in every scope, before and after the deltas are
// folded in, through inserts, payments settled and refunded, coverage
// extended, regions corrected, erasures and deletes.
func TestOverviewMatchesDirectCount(t *testing.T) {
	e := newBcEnv(t)
	today := ovDay.Format(time.DateOnly)
	from := ovArrearsFrom(ovDay)
	agent := e.addAgent("telegram", "ov-agent", "61.71.05.1002", flows.AgentApproved)

	// 120 registrations in one statement: four kabupaten/kota, three
	// kecamatan each, every channel, some by an agent, every standing,
	// made over the last 130 days (so some before the series).
	e.db.SQL().MustExec(`INSERT INTO registrations (ref, channel, chat_id, province, regency, district, occupation, status, covered_to, agent_id, created_at, updated_at)
		SELECT 'OV-R' || g, ch, CASE WHEN ch = '' THEN '' ELSE 'ov' || g END, '61', reg, reg || '.0' || (1 + g % 3), 'petani',
			CASE WHEN g % 6 IN (0, 5) THEN 'menunggu_pembayaran' ELSE 'aktif' END,
			CASE g % 6 WHEN 1 THEN $1::date + g % 40 WHEN 2 THEN $1::date - (1 + g % 20) WHEN 3 THEN $1::date - (120 + g)
				WHEN 4 THEN $1::date + 200 END,
			CASE WHEN g % 7 = 0 OR (ch = '' AND g % 8 <> 7) THEN $2::bigint END,
			$3::timestamptz - (g * 37 % 130) * interval '1 day' - (g % 24) * interval '1 hour', $3
		FROM generate_series(1, 120) g,
			LATERAL (SELECT (ARRAY['telegram', 'whatsapp', 'web', ''])[1 + g % 4] AS ch,
				(ARRAY['61.71', '61.04', '61.72', '61.01', '61.71'])[1 + g % 5] AS reg) AS x`, today, agent, bcToday)
	// The standings' edges, an unknown region, and an active row never paid.
	for i, c := range []struct {
		regency, status string
		covered         any
	}{
		{"61.71", "aktif", today}, {"61.71", "aktif", ovDay.AddDate(0, 0, -1)}, {"61.04", "aktif", from}, {"61.04", "aktif", from.AddDate(0, 0, -1)},
		{"", "menunggu_pembayaran", nil}, {"61.72", "aktif", nil},
	} {
		district := ""
		if c.regency != "" {
			district = c.regency + ".09"
		}
		e.db.SQL().MustExec(`INSERT INTO registrations (ref, channel, chat_id, province, regency, district, status, covered_to, created_at, updated_at)
			VALUES ($1, 'whatsapp', $2, '61', $3, $4, $5, $6::date, $7, $7)`, fmt.Sprint("OV-E", i), fmt.Sprint("ove", i), c.regency, district, c.status, c.covered, bcToday)
	}
	// Last covered days at the edges of the days checked below: year end,
	// and 29 February 2028 (30 November 2027's arrears end on it).
	for i, day := range []string{"2026-09-29", "2026-09-30", "2026-10-01", "2026-12-31", "2027-01-01",
		"2027-11-28", "2027-11-29", "2027-11-30", "2027-12-01", "2028-02-28", "2028-02-29", "2028-03-01"} {
		e.db.SQL().MustExec(`INSERT INTO registrations (ref, channel, chat_id, province, regency, district, status, covered_to, created_at, updated_at)
			VALUES ($1, 'telegram', $2, '61', '61.04', '61.04.02', 'aktif', $3::date, $4, $4)`, fmt.Sprint("OV-D", i), fmt.Sprint("ovd", i), day, bcToday)
	}
	// Two sponsors' batches, imported now.
	b1 := e.ovBatch("Pemkab Sambas", "61.01", 3)
	b2 := e.ovBatch("Pemkab Kubu Raya", "61.12", 2)

	scopes := []struct {
		name string
		s    dashboard.Scope
	}{
		{"all", dashboard.Scope{}},
		{"Pontianak", dashboard.Scope{Regencies: []string{"61.71"}}},
		{"two regencies", dashboard.Scope{Regencies: []string{"61.04", "61.01"}}},
		{"no region", dashboard.Scope{Regencies: []string{""}}},
		{"batch", dashboard.Scope{Batches: []int64{b1.ID}}},
		{"batches", dashboard.Scope{Batches: []int64{b1.ID, b2.ID}}},
		{"none", dashboard.Scope{None: true}},
	}
	// The days asked: today, earlier this month (still from the rollups),
	// half a year back (its arrears reach before the rollups' horizon once
	// folded: counted directly), year end, 29 February and a day long after
	// every coverage ended.
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, wib) }
	days := []time.Time{ovDay, date(2026, 11, 1), date(2026, 5, 15), date(2026, 12, 31), date(2027, 1, 1),
		date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1), date(2031, 6, 1)}
	check := func(stage string) {
		t.Helper()
		for _, sc := range scopes {
			for _, day := range days {
				// Any time of the day is that day.
				sameOverview(t, stage+", "+sc.name+", "+day.Format(time.DateOnly),
					e.overviewOn(sc.s, day.Add(23*time.Hour+59*time.Minute)), e.directOverview(sc.s, day))
			}
		}
	}
	check("inserted")
	e.fold()
	check("inserted, folded")

	// Payments: several settled in one statement at different hours
	// (one before the series, one at 00:30 WIB: the day before in UTC),
	// one refunded after, one settled twice (its time corrected), one left pending.
	at := func(daysAgo, h, m int) time.Time {
		return time.Date(2026, 11, 25-daysAgo, h, m, 0, 0, wib)
	}
	p1 := e.ovPay(map[string]int64{"OV-R1": 16800, "OV-R2": 16800, "OV-R3": 36800})
	p2 := e.ovPay(map[string]int64{"OV-R7": 16800})
	p3 := e.ovPay(map[string]int64{"OV-R13": 50400, "OV-R14": 16800})
	p4 := e.ovPay(map[string]int64{"OV-R19": 16800})
	p5 := e.ovPay(map[string]int64{"OV-R25": 100800})
	p6 := e.ovPay(map[string]int64{"OV-R31": 16800})
	e.ovPay(map[string]int64{"OV-R37": 16800}) // pending
	e.settle(map[int64]time.Time{p1: at(0, 0, 30), p2: at(3, 14, 0), p3: at(100, 9, 0), p4: at(10, 23, 59)})
	e.settle(map[int64]time.Time{p5: at(1, 8, 0)})
	check("paid")
	e.fold()
	e.settle(map[int64]time.Time{p6: at(2, 7, 0)})
	e.db.SQL().MustExec(`UPDATE payments SET status = 'refunded', flag = 'refunded', updated_at = $2 WHERE id = $1`, p2, bcToday)
	e.db.SQL().MustExec(`UPDATE payments SET paid_at = $2 WHERE id = $1`, p5, at(5, 8, 0))
	e.db.SQL().MustExec(`UPDATE payments SET flag = 'amount_mismatch' WHERE id = $1`, p4) // no change to the counts
	// The sponsor's transfer is stored settled at once (its items after it).
	if n, err := flows.PaySponsorBatch(e.ctx, e.db, b1.ID, "SP2D-OV", "test", iuran.Default(), nil, wib, e.db.Now, nil); err != nil || n != 3 {
		t.Fatalf("pay batch: %d, %v", n, err)
	}
	check("refunded, sponsor paid")

	// Coverage extended for several at once, one moved to another regency
	// by a correction (its payment with it), one by hand, an unrelated
	// update, an erasure, a soft delete and a hard delete.
	e.db.SQL().MustExec(`UPDATE registrations SET covered_to = covered_to + 60, status = 'aktif' WHERE ref IN ('OV-R2', 'OV-R8', 'OV-R9', 'OV-E1')`)
	e.db.SQL().MustExec(`UPDATE registrations SET covered_to = $1::date, status = 'aktif' WHERE ref IN ('OV-R1', 'OV-R3', 'OV-R6')`, today)
	must(t, e.admin(func(ctx context.Context, tx flows.Tx) error {
		_, err := tx.CorrectRegistration(ctx, "OV-R1", flows.Correction{Field: flows.FieldVillage, Value: "61.71.02.1001",
			District: "61.71.02", Regency: "61.71", Province: "61", Reason: "salah ketik"})
		return err
	}))
	e.db.SQL().MustExec(`UPDATE registrations SET regency = '61.72', district = '61.72.03' WHERE ref = 'OV-R14'`)
	e.db.SQL().MustExec(`UPDATE registrations SET kpj = '12345678' WHERE ref LIKE 'OV-R1%'`)
	must(t, e.db.Atomically(e.ctx, "telegram", "ov4", func(ctx context.Context, tx flows.Tx) error {
		_, err := tx.Forget(ctx)
		return err
	}))
	e.db.SQL().MustExec(`UPDATE registrations SET deleted_at = $1 WHERE ref IN ('OV-R5', 'OV-R13')`, bcToday)
	e.db.SQL().MustExec(`DELETE FROM registrations WHERE ref = 'OV-R10'`)
	check("updated")
	e.fold()
	check("updated, folded")
	e.fold() // nothing to fold: nothing changes
	check("folded twice")
	var ended int
	must(t, e.db.SQL().Get(&ended, `SELECT count(*) FROM registration_areas WHERE covered_to = '0001-01-02'`))
	if ended == 0 {
		t.Errorf("no coverage folded as ended long ago")
	}

	// Months later the horizon moves: what was in arrears has ended; the
	// days before are counted directly.
	e.clk.Set(time.Date(2027, 3, 10, 9, 0, 0, 0, wib))
	days = append(days, date(2027, 3, 10), date(2027, 2, 20))
	e.db.SQL().MustExec(`UPDATE registrations SET covered_to = '2026-10-15' WHERE ref = 'OV-R4'`)
	check("months later")
	e.fold()
	check("months later, folded")
	var left int
	must(t, e.db.SQL().Get(&left, `SELECT count(*) FROM registration_areas WHERE covered_to > '0001-01-02' AND covered_to < '2026-10-01'`))
	if left != 0 {
		t.Errorf("%d groups of coverage ended before the horizon kept their day", left)
	}

	// Sanity: the dataset covers what it means to.
	all := e.overview(dashboard.Scope{})
	if tt := all.Totals; tt.Awaiting == 0 || tt.Active == 0 || tt.Arrears == 0 || tt.Ended == 0 || tt.Registered <= tt.Awaiting+tt.Active+tt.Arrears+tt.Ended {
		t.Errorf("totals %+v: want every standing and some with none", tt)
	}
	sources := map[string]bool{}
	for _, s := range all.Sources {
		sources[s.Source] = true
	}
	for _, s := range []string{"telegram", "whatsapp", "web", "agent", "import"} {
		if !sources[s] {
			t.Errorf("no registrations from %s: %+v", s, all.Sources)
		}
	}
	var paidDays, amount int64
	for _, d := range all.Days {
		if d.Payments > 0 {
			paidDays++
		}
		amount += d.Amount
	}
	if paidDays < 4 || amount == 0 {
		t.Errorf("payments on %d days, Rp %d", paidDays, amount)
	}
	if len(all.Funnel) != 0 || !all.Days[89].Day.Equal(ovDay) {
		t.Errorf("funnel %+v, last day %v", all.Funnel, all.Days[89].Day)
	}
	var audited int
	must(t, e.db.SQL().Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'dasbor:correct' AND subject = 'OV-R1' AND detail = 'field=village reason=salah ketik'`))
	if audited != 1 {
		t.Errorf("the correction audited %d times", audited)
	}
}

// A correction sets one field of a live registration; an unknown, erased
// or unchecked field is refused.
func TestCorrectRegistration(t *testing.T) {
	e := newBcEnv(t)
	e.addWorker(worker{"telegram", "cr1", "61.71", "61.71.05", "petani", false, nil, 0, false})
	e.addWorker(worker{"telegram", "cr2", "61.71", "61.71.05", "petani", false, nil, 0, true})
	var refs []string
	must(t, e.db.SQL().Select(&refs, `SELECT ref FROM registrations ORDER BY id`))
	correct := func(ref string, c flows.Correction) (flows.Owner, error) {
		var o flows.Owner
		err := e.admin(func(ctx context.Context, tx flows.Tx) (err error) {
			o, err = tx.CorrectRegistration(ctx, ref, c)
			return err
		})
		return o, err
	}
	o, err := correct(refs[0], flows.Correction{Field: flows.FieldName, Value: "Siti Aminah", Reason: "KTP"})
	if err != nil || o.Ref != refs[0] || o.Channel != "telegram" || o.ChatID != "cr1" {
		t.Fatalf("name: %+v, %v", o, err)
	}
	var name string
	must(t, e.db.SQL().Get(&name, `SELECT name FROM registrations WHERE ref = $1`, refs[0]))
	if name != "Siti Aminah" {
		t.Errorf("name %q", name)
	}
	if _, err := correct(refs[1], flows.Correction{Field: flows.FieldName, Value: "X", Reason: "r"}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("erased: %v", err)
	}
	if _, err := correct("LDT-none", flows.Correction{Field: flows.FieldName, Value: "X", Reason: "r"}); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := correct(refs[0], flows.Correction{Field: "nik", Value: "1", Reason: "r"}); !errors.Is(err, flows.ErrRefused) {
		t.Errorf("nik: %v", err)
	}
	entries, err := e.db.AuditEntries(e.ctx, dashboard.AuditFilter{Action: "dasbor:correct"})
	must(t, err)
	if len(entries) != 1 || entries[0].Subject != refs[0] || entries[0].Actor != "t:boss" || entries[0].Detail != "field=name reason=KTP" {
		t.Errorf("audit %+v", entries)
	}
}

// The funnel counts, per week begun, who reached each step, who stopped
// there and the errors made at it, before and after folding; only the
// unscoped overview has it.
func TestOverviewFunnel(t *testing.T) {
	e := newBcEnv(t)
	week := tanggal.WeekStart(ovDay) // Monday 23 November 2026
	last := week.AddDate(0, 0, -7)   // the week before
	old := week.AddDate(0, 0, -7*12) // before the 12 weeks shown
	chat := func(i int, fn func(ctx context.Context, tx flows.Tx) error) {
		t.Helper()
		must(t, e.db.Atomically(e.ctx, "telegram", fmt.Sprint("fn", i), fn))
	}
	// Walks a conversation of week through steps, recording each move.
	walk := func(i int, w time.Time, steps ...string) {
		t.Helper()
		chat(i, func(ctx context.Context, tx flows.Tx) error {
			from := ""
			for _, s := range steps {
				if err := tx.FunnelMove(ctx, w, from, s); err != nil {
					return err
				}
				from = s
			}
			return nil
		})
	}
	walk(1, week, flows.StepConsent, flows.StepNIK, flows.StepName)
	walk(2, week, flows.StepConsent, flows.StepNIK)
	walk(3, week, flows.StepConsent)
	walk(4, last, flows.StepConsent, flows.StepNIK, flows.StepName, flows.StepPhone, flows.StepDomicile, flows.StepOccupation,
		flows.StepIncome, flows.StepReview, flows.StepDone)
	walk(5, old, flows.StepConsent)
	chat(1, func(ctx context.Context, tx flows.Tx) error {
		for _, k := range []string{"nik.err.length", "nik.err.length", "nik.err.checksum"} {
			if err := tx.FunnelError(ctx, week, flows.StepNIK, k); err != nil {
				return err
			}
		}
		return tx.FunnelError(ctx, week, flows.StepName, "name.err.short")
	})
	chat(2, func(ctx context.Context, tx flows.Tx) error {
		if err := tx.FunnelError(ctx, week, flows.StepNIK, "nik.err.age"); err != nil {
			return err
		}
		return tx.FunnelError(ctx, week, flows.StepNIK, "nik.err.age")
	})
	// A rolled-back transaction counts nothing.
	if err := e.db.Atomically(e.ctx, "telegram", "fn9", func(ctx context.Context, tx flows.Tx) error {
		if err := tx.FunnelMove(ctx, week, "", flows.StepConsent); err != nil {
			return err
		}
		return fmt.Errorf("changed my mind")
	}); err == nil {
		t.Fatal("the failing transaction committed")
	}

	step := func(name string, reached, stopped int64, errKey string, errN, errsN int64) dashboard.Step {
		return dashboard.Step{Step: name, Reached: reached, Stopped: stopped, Error: errKey, ErrorN: errN, ErrorsN: errsN}
	}
	steps := func(set ...dashboard.Step) []dashboard.Step {
		var out []dashboard.Step
		for _, name := range flows.FunnelSteps {
			s := dashboard.Step{Step: name}
			for _, g := range set {
				if g.Step == name {
					s = g
				}
			}
			out = append(out, s)
		}
		return out
	}
	want := []dashboard.Week{
		{Week: week, Steps: steps(step(flows.StepConsent, 3, 1, "", 0, 0),
			// nik.err.age and nik.err.length are made twice each: the first by key wins the tie.
			step(flows.StepNIK, 2, 1, "nik.err.age", 2, 5), step(flows.StepName, 1, 1, "name.err.short", 1, 1))},
		{Week: last, Steps: steps(step(flows.StepConsent, 1, 0, "", 0, 0), step(flows.StepNIK, 1, 0, "", 0, 0), step(flows.StepName, 1, 0, "", 0, 0),
			step(flows.StepPhone, 1, 0, "", 0, 0), step(flows.StepDomicile, 1, 0, "", 0, 0), step(flows.StepOccupation, 1, 0, "", 0, 0),
			step(flows.StepIncome, 1, 0, "", 0, 0), step(flows.StepReview, 1, 0, "", 0, 0), step(flows.StepDone, 1, 1, "", 0, 0))},
	}
	checkFunnel := func(stage string) {
		t.Helper()
		got := e.overview(dashboard.Scope{}).Funnel
		if len(got) != len(want) {
			t.Fatalf("%s: %d weeks %+v, want %d", stage, len(got), got, len(want))
		}
		for i := range want {
			if !got[i].Week.Equal(want[i].Week) || !reflect.DeepEqual(got[i].Steps, want[i].Steps) {
				t.Errorf("%s: week %d: %v %+v\n  want %v %+v", stage, i, got[i].Week, got[i].Steps, want[i].Week, want[i].Steps)
			}
		}
		for _, s := range []dashboard.Scope{{Regencies: []string{"61.71"}}, {Batches: []int64{1}}, {None: true}} {
			if f := e.overview(s).Funnel; len(f) != 0 {
				t.Errorf("%s: scope %+v sees the funnel: %+v", stage, s, f)
			}
		}
	}
	checkFunnel("appended")
	e.fold()
	checkFunnel("folded")
	// More after the fold adds to the folded rows.
	walk(6, week, flows.StepConsent)
	want[0].Steps[0].Reached, want[0].Steps[0].Stopped = 4, 2
	checkFunnel("more, appended")
	e.fold()
	checkFunnel("more, folded")
}

// A database upgraded to 0030 with registrations and payments in the old
// rollups, folded and not, counts exactly.
func TestOverviewAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	u, drop, err := pgtest.Create(ctx)
	must(t, err)
	t.Cleanup(drop)
	clk := &fakeClock{t: bcToday}
	db, err := store.Open(ctx, u, testVault(t), store.Options{Now: clk.Now, Location: wib})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	e := &bcEnv{t: t, ctx: ctx, db: db, clk: clk}

	// Migrations up to 0029 applied as Migrate does, by hand.
	files, err := os.ReadDir("migrations")
	must(t, err)
	db.SQL().MustExec(`CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	migrate := func(upTo int) {
		t.Helper()
		for _, f := range files {
			var v int
			if _, err := fmt.Sscanf(f.Name(), "%d_", &v); err != nil {
				t.Fatalf("migration %s: %v", f.Name(), err)
			}
			var done bool
			must(t, db.SQL().Get(&done, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, v))
			if done || v > upTo {
				continue
			}
			b, err := os.ReadFile(filepath.Join("migrations", f.Name()))
			must(t, err)
			db.SQL().MustExec(string(b))
			db.SQL().MustExec(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, v, f.Name())
		}
	}
	insert := func(from, to int) {
		t.Helper()
		db.SQL().MustExec(`INSERT INTO registrations (ref, channel, chat_id, province, regency, district, status, covered_to, created_at, updated_at)
			SELECT 'UP-' || g, (ARRAY['telegram', 'whatsapp', 'web'])[1 + g % 3], 'up' || g, '61', reg, reg || '.0' || (1 + g % 3),
				CASE WHEN g % 4 = 0 THEN 'menunggu_pembayaran' ELSE 'aktif' END,
				CASE WHEN g % 4 <> 0 THEN $3::date + (g * 13 % 400) - 300 END,
				$4::timestamptz - (g * 7 % 100) * interval '1 day', $4
			FROM generate_series($1::int, $2::int) g,
				LATERAL (SELECT (ARRAY['61.71', '61.04', '61.72'])[1 + g % 3] AS reg) AS x`, from, to, ovDay.Format(time.DateOnly), bcToday)
	}
	pay := func(refs ...string) {
		t.Helper()
		for i, ref := range refs {
			id := e.ovPay(map[string]int64{ref: int64(16800 * (1 + i%3))})
			e.settle(map[int64]time.Time{id: bcToday.AddDate(0, 0, -i*3)})
		}
	}
	migrate(27)
	insert(1, 60)
	pay("UP-1", "UP-2", "UP-3")
	migrate(28) // its backfill: the old rollups hold these
	insert(61, 100)
	pay("UP-5", "UP-61", "UP-62")
	db.SQL().MustExec(`UPDATE registrations SET deleted_at = $1 WHERE ref IN ('UP-7', 'UP-70')`, bcToday)
	var pending int
	must(t, db.SQL().Get(&pending, `SELECT count(*) FROM rollup_deltas`))
	if pending == 0 {
		t.Fatal("no deltas pending before the upgrade")
	}
	migrate(29)
	_, err = db.Migrate(ctx)
	must(t, err)

	scopes := []dashboard.Scope{{}, {Regencies: []string{"61.71"}}, {Regencies: []string{"61.04", "61.72"}}}
	check := func(stage string) {
		t.Helper()
		for _, s := range scopes {
			for _, day := range []time.Time{ovDay, ovDay.AddDate(0, 0, 40), ovDay.AddDate(0, -7, 0), ovDay.AddDate(2, 0, 0)} {
				sameOverview(t, fmt.Sprintf("%s, %v, %s", stage, s.Regencies, day.Format(time.DateOnly)), e.overviewOn(s, day), e.directOverview(s, day))
			}
		}
	}
	check("upgraded")
	if o := e.overview(dashboard.Scope{}); o.Totals.Registered != 98 {
		t.Errorf("%d registrations, want 98", o.Totals.Registered)
	}
	e.fold()
	check("upgraded, folded")
	insert(101, 120)
	pay("UP-101", "UP-8")
	check("more")
	e.fold()
	check("more, folded")
}
