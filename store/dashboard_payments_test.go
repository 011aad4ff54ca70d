package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
)

// dpRegister stores a registration awaiting payment in a kabupaten/kota,
// with its own chat and NIK, and returns its reference.
func (e *bcEnv) dpRegister(regency, nik string) string {
	e.t.Helper()
	var ref string
	must(e.t, e.db.Atomically(e.ctx, "telegram", "dp-"+nik, func(ctx context.Context, tx flows.Tx) error {
		var err error
		ref, err = tx.CreateRegistration(ctx, flows.Registration{NIK: nik, Name: "Siti Rahayu", Phone: "+6281234500001",
			BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true, Province: "61", Regency: regency, District: regency + ".05",
			Village: regency + ".05.1002", Occupation: "petani", Income: 1000000, MonthlyIuran: 16800})
		return err
	}))
	return ref
}

// dpPay issues a payment of 16.800 per registration through provider and
// method, paid by a telegram chat, and returns its order id.
func (e *bcEnv) dpPay(provider string, method payments.Method, refs ...string) string {
	e.t.Helper()
	order := fmt.Sprint("DP-", next())
	var lines []flows.PaymentLine
	for _, ref := range refs {
		lines = append(lines, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
	}
	_, err := e.db.CreatePayment(e.ctx, store.NewPayment{
		Instruction: payments.Instruction{Provider: provider, OrderID: order, Bank: method, VANumber: "88" + order, Amount: int64(16800 * len(refs))},
		PayerKind:   store.PayerWorker, PayerRef: "telegram:dp", Items: lines})
	must(e.t, err)
	return order
}

// dpNotify applies a provider's notification for an order.
func (e *bcEnv) dpNotify(provider, order string, status payments.Status, amount int64, at time.Time) flows.PaymentResult {
	e.t.Helper()
	r, err := flows.ApplyPayment(e.ctx, e.db, payments.Notification{Provider: provider, OrderID: order, Status: status, Amount: amount,
		PaidAt: at, Raw: []byte(`{}`)}, wib, e.db.Now, nil)
	must(e.t, err)
	return r
}

func dpOrders(ps []dashboard.FlaggedPayment) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.OrderID)
	}
	return out
}

// A day's settlements are Report's in the whole scope; a kabupaten/kota
// counts only the part of each payment for its registrations; a sponsor
// its batches.
func TestPaymentDayInScopes(t *testing.T) {
	e := newBcEnv(t)
	a1, a2 := e.dpRegister("61.71", "6171054508900001"), e.dpRegister("61.71", "6171054508900002")
	b1 := e.dpRegister("61.04", "6104054508900003")
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, wib)

	e.dpNotify("sandbox", e.dpPay("sandbox", payments.BRI, a1), payments.Paid, 16800, day.Add(9*time.Hour))
	e.dpNotify("midtrans", e.dpPay("midtrans", payments.BNI, a2, b1), payments.Paid, 33600, day.Add(30*time.Minute)) // 17:30 UTC the day before
	yesterday := e.dpPay("sandbox", payments.BRI, b1)
	e.dpNotify("sandbox", yesterday, payments.Paid, 16800, day.Add(-time.Minute))
	wrong := e.dpPay("sandbox", payments.QRIS, a1)
	e.dpNotify("sandbox", wrong, payments.Paid, 1000, day.Add(10*time.Hour)) // flagged, not settled
	b := e.ovBatch("Pemkab Sanggau", "61.03", 2)

	got, err := e.db.PaymentDay(e.ctx, dashboard.Scope{}, day)
	must(t, err)
	rep, err := e.db.Report(e.ctx, day, wib)
	must(t, err)
	if got.Count != int64(rep.Settled) || got.Amount != rep.Total || got.Count != 2 || got.Amount != 50400 {
		t.Errorf("all: %d payments, %d; the report says %d, %d; want 2, 50400", got.Count, got.Amount, rep.Settled, rep.Total)
	}
	for _, part := range []struct {
		name string
		got  []dashboard.PaymentTotal
		want []store.ReportLine
	}{{"channel", got.ByChannel, rep.ByChannel}, {"provider", got.ByProvider, rep.ByProvider}} {
		var want []dashboard.PaymentTotal
		for _, l := range part.want {
			want = append(want, dashboard.PaymentTotal{Key: l.Key, Count: int64(l.Count), Amount: l.Total})
		}
		if !slices.Equal(part.got, want) {
			t.Errorf("by %s %+v, the report %+v", part.name, part.got, want)
		}
	}
	if want := []dashboard.PaymentTotal{{Key: "bni", Count: 1, Amount: 33600}, {Key: "bri", Count: 1, Amount: 16800}}; !slices.Equal(got.ByMethod, want) {
		t.Errorf("by method %+v, want %+v", got.ByMethod, want)
	}

	for _, c := range []struct {
		name          string
		scope         dashboard.Scope
		count, amount int64
	}{
		{"Pontianak", dashboard.Scope{Regencies: []string{"61.71"}}, 2, 33600},
		{"Mempawah", dashboard.Scope{Regencies: []string{"61.04"}}, 1, 16800},
		{"elsewhere", dashboard.Scope{Regencies: []string{"61.01"}}, 0, 0},
		{"a batch", dashboard.Scope{Batches: []int64{b.ID}}, 0, 0},
		{"nothing", dashboard.Scope{None: true}, 0, 0},
	} {
		got, err := e.db.PaymentDay(e.ctx, c.scope, day)
		must(t, err)
		if got.Count != c.count || got.Amount != c.amount {
			t.Errorf("%s: %d payments, %d; want %d, %d", c.name, got.Count, got.Amount, c.count, c.amount)
		}
	}
	prev, err := e.db.PaymentDay(e.ctx, dashboard.Scope{Regencies: []string{"61.04"}}, day.AddDate(0, 0, -1))
	must(t, err)
	if prev.Count != 1 || prev.Amount != 16800 {
		t.Errorf("the day before in 61.04: %+v", prev)
	}
}

// A flagged payment is open until an admin resolves it (once); the
// resolution keeps the history and changes neither the payment nor any
// coverage; a new flag opens it again.
func TestResolveFlaggedPayment(t *testing.T) {
	e := newBcEnv(t)
	a, b := e.dpRegister("61.71", "6171054508900011"), e.dpRegister("61.04", "6104054508900012")
	wrong := e.dpPay("sandbox", payments.BRI, a)
	if r := e.dpNotify("sandbox", wrong, payments.Paid, 20000, bcToday); r.Outcome != flows.PaymentFlagged {
		t.Fatalf("wrong amount: %+v", r)
	}
	erased := e.dpPay("sandbox", payments.BNI, b)
	e.db.SQL().MustExec(`UPDATE registrations SET deleted_at = $2 WHERE ref = $1`, b, bcToday)
	if r := e.dpNotify("sandbox", erased, payments.Paid, 16800, bcToday.Add(time.Minute)); r.Outcome != flows.PaymentFlagged {
		t.Fatalf("for an erased registration: %+v", r)
	}
	ok := e.dpPay("sandbox", payments.BRI, a)
	e.dpNotify("sandbox", ok, payments.Paid, 16800, bcToday)

	open := func(s dashboard.Scope) []dashboard.FlaggedPayment {
		t.Helper()
		ps, err := e.db.FlaggedPayments(e.ctx, s, false, 100)
		must(t, err)
		return ps
	}
	all := open(dashboard.Scope{})
	if got := dpOrders(all); !slices.Equal(got, []string{wrong, erased}) {
		t.Fatalf("open %v, want [%s %s]", got, wrong, erased)
	}
	if p := all[0]; p.Flag != store.FlagAmountMismatch || p.Reason != "received 20000, invoiced 16800" || !slices.Equal(p.Refs, []string{a}) ||
		p.Amount != 16800 || p.Method != "bri" || p.Status != "paid" || p.Resolved != nil {
		t.Errorf("mismatch: %+v", p)
	}
	if p := all[1]; p.Flag != store.FlagErased || !slices.Equal(p.Refs, []string{b}) {
		t.Errorf("erased: %+v", p)
	}
	if got := dpOrders(open(dashboard.Scope{Regencies: []string{"61.04"}})); !slices.Equal(got, []string{erased}) {
		t.Errorf("61.04 sees %v, want only %s", got, erased)
	}
	if got := open(dashboard.Scope{None: true}); len(got) != 0 {
		t.Errorf("no scope sees %v", dpOrders(got))
	}

	var before struct {
		Status    string `db:"status"`
		Flag      string `db:"flag"`
		CoveredTo string `db:"covered_to"`
	}
	state := `SELECT p.status, p.flag, coalesce(r.covered_to::text, '') AS covered_to FROM payments p
		JOIN payment_items i ON i.payment_id = p.id JOIN registrations r ON r.id = i.registration_id WHERE p.order_id = $1`
	must(t, e.db.SQL().Get(&before, state, wrong))

	res := dashboard.Resolve{OrderID: wrong, Resolution: dashboard.ResolutionRefunded, Note: "dikembalikan lewat BRI, bukti 42"}
	if err := e.db.ResolvePayment(e.ctx, "telegram:9", dashboard.Scope{Regencies: []string{"61.04"}}, res); !errors.Is(err, dashboard.ErrNotFound) {
		t.Errorf("resolved outside the scope: %v", err)
	}
	if err := e.db.ResolvePayment(e.ctx, "telegram:42", dashboard.Scope{}, dashboard.Resolve{OrderID: ok, Resolution: "other", Note: "coba saja"}); !errors.Is(err, dashboard.ErrResolved) {
		t.Errorf("resolved a payment never flagged: %v", err)
	}
	must(t, e.db.ResolvePayment(e.ctx, "telegram:42", dashboard.Scope{}, res))
	if err := e.db.ResolvePayment(e.ctx, "telegram:42", dashboard.Scope{}, res); !errors.Is(err, dashboard.ErrResolved) {
		t.Errorf("resolved twice: %v", err)
	}
	if got := dpOrders(open(dashboard.Scope{})); !slices.Equal(got, []string{erased}) {
		t.Errorf("open after resolving: %v", got)
	}
	done, err := e.db.FlaggedPayments(e.ctx, dashboard.Scope{}, true, 10)
	must(t, err)
	if len(done) != 1 || done[0].OrderID != wrong || done[0].Flag != store.FlagAmountMismatch || done[0].Resolved == nil ||
		*done[0].Resolved != (dashboard.PaymentResolution{Resolution: res.Resolution, Note: res.Note, By: "telegram:42", At: done[0].Resolved.At}) ||
		!done[0].Resolved.At.Equal(bcToday) {
		t.Errorf("resolved %+v", done)
	}
	var after struct {
		Status    string `db:"status"`
		Flag      string `db:"flag"`
		CoveredTo string `db:"covered_to"`
	}
	must(t, e.db.SQL().Get(&after, state, wrong))
	if after != before {
		t.Errorf("resolving changed the payment or coverage: %+v, before %+v", after, before)
	}
	var kinds []string
	must(t, e.db.SQL().Select(&kinds, `SELECT e.kind FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1 ORDER BY e.id`, wrong))
	if !slices.Contains(kinds, "flagged") || kinds[len(kinds)-1] != "resolved" {
		t.Errorf("history %v, want the flag kept and a resolved event last", kinds)
	}
	var audited int
	must(t, e.db.SQL().Get(&audited, `SELECT count(*) FROM audit_log WHERE actor = 'telegram:42' AND action = 'dasbor:resolve_payment' AND subject = $1
		AND detail LIKE '%resolution=refunded%bukti 42'`, wrong))
	if audited != 1 {
		t.Errorf("%d audit lines for the resolution, want 1", audited)
	}

	// The invoiced amount arrives after all: the flag goes (nothing open);
	// then a refund flags it anew, open again.
	e.dpNotify("sandbox", wrong, payments.Paid, 16800, bcToday.Add(time.Hour))
	if got := dpOrders(open(dashboard.Scope{})); !slices.Equal(got, []string{erased}) {
		t.Errorf("open after the flag cleared: %v", got)
	}
	e.dpNotify("sandbox", wrong, payments.Refunded, 16800, time.Time{})
	if got := dpOrders(open(dashboard.Scope{})); !slices.Equal(got, []string{wrong, erased}) && !slices.Equal(got, []string{erased, wrong}) {
		t.Errorf("open after a refund: %v, want %s open again", got, wrong)
	}
	must(t, e.db.ResolvePayment(e.ctx, "telegram:42", dashboard.Scope{}, dashboard.Resolve{OrderID: wrong, Resolution: dashboard.ResolutionOther,
		Note: "refund dari penyedia, dicek"}))
	if done, _ := e.db.FlaggedPayments(e.ctx, dashboard.Scope{}, true, 10); len(done) != 2 || done[0].Flag != store.FlagRefunded {
		t.Errorf("resolutions %+v, want two, the refund's newest", done)
	}
}

// An export has Registrations' rows in the scope, NIK masked, and opened
// only when asked.
func TestStaffExport(t *testing.T) {
	e := newBcEnv(t)
	const nikA, nikB = "6171054508900021", "6104054508900022"
	a, b := e.dpRegister("61.71", nikA), e.dpRegister("61.04", nikB)
	q := dashboard.Query{Page: 1, PerPage: 100}
	rows, total, err := e.db.StaffExport(e.ctx, dashboard.Scope{}, q, bcToday, false)
	must(t, err)
	if total != 2 || len(rows) != 2 {
		t.Fatalf("%d rows of %d, want 2", len(rows), total)
	}
	for _, r := range rows {
		if r.NIK != "" || r.NIKMasked == "" || r.NIKMasked == nikA || r.NIKMasked == nikB {
			t.Errorf("%s without NIK: %q masked %q", r.Ref, r.NIK, r.NIKMasked)
		}
	}
	rows, _, err = e.db.StaffExport(e.ctx, dashboard.Scope{}, q, bcToday, true)
	must(t, err)
	got := map[string]string{}
	for _, r := range rows {
		got[r.Ref] = r.NIK
	}
	if got[a] != nikA || got[b] != nikB {
		t.Errorf("NIKs %v", got)
	}
	rows, total, err = e.db.StaffExport(e.ctx, dashboard.Scope{Regencies: []string{"61.04"}}, q, bcToday, true)
	must(t, err)
	if total != 1 || len(rows) != 1 || rows[0].Ref != b || rows[0].NIK != nikB {
		t.Errorf("61.04: %d of %d, %+v", len(rows), total, rows)
	}
}
