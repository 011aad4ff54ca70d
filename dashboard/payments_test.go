package dashboard_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
)

// paySeed is what payEnv put in the database: registrations in Pontianak
// (61.71) and Mempawah (61.04), payments settled on newEnv's day and the
// day before, and two flagged payments, one in each.
type paySeed struct {
	refA, refB       string // a registration in 61.71, one in 61.04
	nikA, nikB       string
	flaggedA         string // amount mismatch, for refA
	flaggedB         string // for refB, erased before the money came
	day, dayBefore   time.Time
	loc              *time.Location
	settledA, spread string // settled today: refA alone; refA and refB
}

var payOrders int

// payRegister stores a registration awaiting payment in a kabupaten/kota.
func (e *env) payRegister(regency, n string) string {
	e.t.Helper()
	var ref string
	err := e.db.DB.Atomically(context.Background(), "telegram", "pay-"+n, func(ctx context.Context, tx flows.Tx) error {
		var err error
		ref, err = tx.CreateRegistration(ctx, flows.Registration{NIK: n, Name: "Siti Rahayu", Phone: "+6281234500001",
			BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true, Province: "61", Regency: regency, District: regency + ".05",
			Village: regency + ".05.1002", Occupation: "petani", Income: 1000000, MonthlyIuran: 16800})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ref
}

// payIssue issues a payment of 16.800 for each registration.
func (e *env) payIssue(provider string, method payments.Method, refs ...string) string {
	e.t.Helper()
	payOrders++
	order := fmt.Sprintf("PAY-%d-%d", payOrders, len(refs))
	var lines []flows.PaymentLine
	for _, ref := range refs {
		lines = append(lines, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
	}
	if _, err := e.db.DB.CreatePayment(context.Background(), store.NewPayment{
		Instruction: payments.Instruction{Provider: provider, OrderID: order, Bank: method, VANumber: "88" + order, Amount: int64(16800 * len(refs))},
		PayerKind:   store.PayerWorker, PayerRef: "telegram:pay", Items: lines}); err != nil {
		e.t.Fatal(err)
	}
	return order
}

// payNotify applies a provider's settlement notification.
func (e *env) payNotify(provider, order string, amount int64, at time.Time) flows.PaymentResult {
	e.t.Helper()
	r, err := flows.ApplyPayment(context.Background(), e.db.DB, payments.Notification{Provider: provider, OrderID: order, Status: payments.Paid,
		Amount: amount, PaidAt: at, Raw: []byte(`{}`)}, flows.DefaultConfig().Location, e.clock.Now, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) paySeed() paySeed {
	e.t.Helper()
	loc := flows.DefaultConfig().Location
	y, m, d := e.clock.Now().In(loc).Date()
	s := paySeed{nikA: "6171054508900031", nikB: "6104054508900032", loc: loc, day: time.Date(y, m, d, 0, 0, 0, 0, loc)}
	s.dayBefore = s.day.AddDate(0, 0, -1)
	s.refA, s.refB = e.payRegister("61.71", s.nikA), e.payRegister("61.04", s.nikB)
	s.settledA = e.payIssue("sandbox", payments.BRI, s.refA)
	e.payNotify("sandbox", s.settledA, 16800, s.day.Add(8*time.Hour))
	s.spread = e.payIssue("midtrans", payments.BNI, s.refA, s.refB)
	e.payNotify("midtrans", s.spread, 33600, s.day.Add(20*time.Minute)) // the day before in UTC
	e.payNotify("sandbox", e.payIssue("sandbox", payments.QRIS, s.refB), 16800, s.dayBefore.Add(12*time.Hour))
	s.flaggedA = e.payIssue("sandbox", payments.BRI, s.refA)
	if r := e.payNotify("sandbox", s.flaggedA, 15000, s.day.Add(9*time.Hour)); r.Outcome != flows.PaymentFlagged {
		e.t.Fatalf("wrong amount: %+v", r)
	}
	other := e.payRegister("61.04", "6104054508900033")
	s.flaggedB = e.payIssue("sandbox", payments.BNI, other)
	e.db.DB.SQL().MustExec(`UPDATE registrations SET deleted_at = $2 WHERE ref = $1`, other, e.clock.Now())
	if r := e.payNotify("sandbox", s.flaggedB, 16800, s.day.Add(9*time.Hour)); r.Outcome != flows.PaymentFlagged {
		e.t.Fatalf("for an erased registration: %+v", r)
	}
	return s
}

// payDB sums the day's settlements straight from payments: applied, the
// money arrived on the day in the deployment's zone.
func (e *env) payDB(day time.Time) (count, amount int64) {
	e.t.Helper()
	if err := e.db.DB.SQL().QueryRow(`SELECT count(*), coalesce(sum(amount), 0) FROM payments
		WHERE applied_at IS NOT NULL AND paid_at >= $1 AND paid_at < $2`, day, day.AddDate(0, 0, 1)).Scan(&count, &amount); err != nil {
		e.t.Fatal(err)
	}
	return count, amount
}

// payTile reads a figure of the page by its id: "Rp50.400" → 50400.
func payTile(t *testing.T, body, id string) int64 {
	t.Helper()
	m := regexp.MustCompile(`id="` + id + `">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no #%s on the page", id)
	}
	n, err := strconv.ParseInt(strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, m[1]), 10, 64)
	if err != nil {
		t.Fatalf("#%s reads %q", id, m[1])
	}
	return n
}

// The page's totals are the database's, on the day and the day before;
// the open flagged payments are listed with their reason.
func TestPaymentsDayTotals(t *testing.T) {
	e := newEnv(t)
	s := e.paySeed()
	b := e.browser()
	b.signIn("telegram:42")
	code, body := b.get("/admin/pembayaran")
	if code != http.StatusOK {
		t.Fatalf("GET /admin/pembayaran: %d", code)
	}
	count, amount := e.payDB(s.day)
	// The payment for an erased registration settles too (flagged for a refund).
	if count != 3 || amount != 67200 {
		t.Fatalf("seeded %d payments, %d settled today; want 3, 67200", count, amount)
	}
	if got := payTile(t, body, "pay-amount"); got != amount {
		t.Errorf("today's amount %d, the database's %d", got, amount)
	}
	if got := payTile(t, body, "pay-count"); got != count {
		t.Errorf("today's payments %d, the database's %d", got, count)
	}
	if !strings.Contains(body, "Rp67.200") || !strings.Contains(body, `id="pay-by-provider"`) || !strings.Contains(body, `data-key="midtrans"`) {
		t.Error("the page does not write the totals as Rupiah, or lacks the providers")
	}
	for _, order := range []string{s.flaggedA, s.flaggedB} {
		if !strings.Contains(body, `id="flag-`+order+`"`) {
			t.Errorf("flagged %s not listed", order)
		}
	}
	if !strings.Contains(body, "received 15000, invoiced 16800") || !strings.Contains(body, "Jumlah uang tidak sama dengan tagihan") {
		t.Error("the mismatch's reason is not shown")
	}
	if got := payTile(t, body, "pay-open"); got != 2 {
		t.Errorf("%d open, want 2", got)
	}
	if strings.Contains(body, `id="pay-next"`) {
		t.Error("today's page links to tomorrow")
	}
	before := s.dayBefore.Format(time.DateOnly)
	if !strings.Contains(body, `href="/admin/pembayaran?hari=`+before+`"`) {
		t.Error("no link to the day before")
	}
	_, body = b.get("/admin/pembayaran?hari=" + before)
	count, amount = e.payDB(s.dayBefore)
	if got := payTile(t, body, "pay-amount"); got != amount || amount != 16800 {
		t.Errorf("the day before: %d, the database's %d", got, amount)
	}
	if !strings.Contains(body, `id="pay-next"`) {
		t.Error("the day before does not link to the day after")
	}
	if got := payTile(t, body, "pay-count"); got != count {
		t.Errorf("the day before: %d payments, the database's %d", got, count)
	}
	if _, body = b.get("/admin/pembayaran?hari=2099-01-01"); payTile(t, body, "pay-amount") != 67200 {
		t.Error("a day in the future does not fall back to today")
	}
}

// An admin resolves a flagged payment with a note: it leaves the open
// list, is audited, and a second resolution is refused; a note missing is
// refused with what was typed kept.
func TestPaymentResolved(t *testing.T) {
	e := newEnv(t)
	s := e.paySeed()
	b := e.browser()
	b.signIn("telegram:42")
	csrf := b.csrf()
	path := "/admin/pembayaran/" + s.flaggedA + "/selesai"
	if code, _ := b.post(path, url.Values{"resolution": {"refunded"}, "note": {"dikembalikan lewat BRI"}}); code != http.StatusForbidden {
		t.Errorf("without csrf: %d, want 403", code)
	}
	code, body := b.post(path, url.Values{"csrf": {csrf}, "resolution": {"carried_over"}, "note": {"abc"}, "hari": {s.day.Format(time.DateOnly)}})
	if code != http.StatusBadRequest || !strings.Contains(body, "Tulis catatan apa yang sudah dilakukan") ||
		!strings.Contains(body, `value="abc"`) || !strings.Contains(body, `value="carried_over" selected`) {
		t.Errorf("a short note: %d, want 400 with the message and what was typed", code)
	}
	if code, body := b.post(path, url.Values{"csrf": {csrf}, "note": {"dikembalikan lewat BRI"}}); code != http.StatusBadRequest ||
		!strings.Contains(body, "Pilih penyelesaiannya") {
		t.Errorf("no resolution: %d", code)
	}
	if n := e.audited("telegram:42", "dasbor:resolve_payment"); n != 0 {
		t.Fatalf("refused forms audited as resolutions: %d", n)
	}
	code, _ = b.post(path, url.Values{"csrf": {csrf}, "resolution": {"refunded"}, "note": {"dikembalikan lewat BRI, bukti 77"}, "hari": {s.day.Format(time.DateOnly)}})
	if code != http.StatusSeeOther {
		t.Fatalf("resolve: %d", code)
	}
	_, body = b.get("/admin/pembayaran?ok=selesai")
	if strings.Contains(body, `id="flag-`+s.flaggedA+`"`) || !strings.Contains(body, `id="flag-`+s.flaggedB+`"`) {
		t.Error("the open list after resolving is wrong")
	}
	if !strings.Contains(body, `id="pay-done"`) || !strings.Contains(body, "dikembalikan lewat BRI, bukti 77") || !strings.Contains(body, "Uang dikembalikan") {
		t.Error("the resolution is not shown among the resolved")
	}
	if n := e.audited("telegram:42", "dasbor:resolve_payment"); n != 1 {
		t.Errorf("%d resolutions audited, want 1", n)
	}
	code, body = b.post(path, url.Values{"csrf": {csrf}, "resolution": {"other"}, "note": {"sekali lagi saja"}})
	if code != http.StatusConflict || !strings.Contains(body, "sudah diselesaikan") {
		t.Errorf("a second resolution: %d, want 409 and why", code)
	}
	if code, _ := b.post("/admin/pembayaran/NO-SUCH/selesai", url.Values{"csrf": {csrf}, "resolution": {"other"}, "note": {"tidak ada"}}); code != http.StatusNotFound {
		t.Errorf("an unknown order: %d, want 404", code)
	}
	var status, flag string
	if err := e.db.DB.SQL().QueryRow(`SELECT status, flag FROM payments WHERE order_id = $1`, s.flaggedA).Scan(&status, &flag); err != nil {
		t.Fatal(err)
	}
	if status != "paid" || flag != flows.FlagAmountMismatch {
		t.Errorf("resolving changed the payment: %s, %s", status, flag)
	}
}

// A staf member sees the payments but cannot resolve, nor export NIKs.
func TestPaymentsStafReadOnly(t *testing.T) {
	e := newEnv(t)
	s := e.paySeed()
	if err := e.db.DB.SetStaffRole(context.Background(), "telegram:42", dashboard.Staff{Actor: "telegram:77", Role: dashboard.RoleStaf}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("telegram:77")
	code, body := b.get("/admin/pembayaran")
	if code != http.StatusOK || !strings.Contains(body, `id="flag-`+s.flaggedA+`"`) || strings.Contains(body, "/selesai") {
		t.Errorf("staf's payments page: %d, or it offers to resolve", code)
	}
	csrf := b.csrf()
	if code, _ := b.post("/admin/pembayaran/"+s.flaggedA+"/selesai", url.Values{"csrf": {csrf}, "resolution": {"refunded"}, "note": {"dikembalikan saja"}}); code != http.StatusForbidden {
		t.Errorf("staf resolving: %d, want 403", code)
	}
	if _, body := b.get("/admin/ekspor"); strings.Contains(body, `name="nik"`) {
		t.Error("staf's export form offers the NIK")
	}
	if code, body := b.post("/admin/ekspor", url.Values{"csrf": {csrf}, "nik": {"1"}, "reason": {"untuk BPJS"}}); code != http.StatusForbidden || strings.Contains(body, s.nikA) {
		t.Errorf("staf exporting NIKs: %d, want 403", code)
	}
	if n := e.audited("telegram:77", "dasbor:forbidden"); n != 2 {
		t.Errorf("%d refusals audited, want 2", n)
	}
	// Without the NIK a staf member exports, names and NIKs masked.
	code, body = b.post("/admin/ekspor", url.Values{"csrf": {csrf}})
	if code != http.StatusOK || strings.Contains(body, s.nikA) || strings.Contains(body, "Siti Rahayu") || !strings.Contains(body, "S*** R*****") {
		t.Errorf("staf's export: %d\n%s", code, body)
	}
}

// payCSV reads an export: ref → its row by column name.
func payCSV(t *testing.T, body string) map[string]map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("not a CSV (%v):\n%s", err, body)
	}
	out := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			row[col] = rec[i]
		}
		out[row["ref"]] = row
	}
	return out
}

// An export has the NIK masked; an admin's with a reason has it in clear
// and an audit line; the filters apply; without csrf nothing.
func TestExportCSV(t *testing.T) {
	e := newEnv(t)
	s := e.paySeed()
	b := e.browser()
	b.signIn("telegram:42")
	csrf := b.csrf()
	if code, body := b.get("/admin/ekspor?wilayah=61.04"); code != http.StatusOK || !strings.Contains(body, `name="nik"`) ||
		!strings.Contains(body, `name="wilayah" value="61.04"`) {
		t.Errorf("admin's export form: %d", code)
	}
	if code, body := b.post("/admin/ekspor", url.Values{"wilayah": {"61.71"}}); code != http.StatusForbidden || strings.Contains(body, s.refA) {
		t.Errorf("export without csrf: %d, want 403", code)
	}
	code, body := b.post("/admin/ekspor", url.Values{"csrf": {csrf}})
	if code != http.StatusOK {
		t.Fatalf("export: %d", code)
	}
	rows := payCSV(t, body)
	if len(rows) != 2 || rows[s.refA]["nik"] != nik.Mask(s.nikA) || strings.Contains(body, s.nikA) || strings.Contains(body, "81234500001") {
		t.Errorf("masked export: %d rows, NIK %q, want %q and the phone masked", len(rows), rows[s.refA]["nik"], nik.Mask(s.nikA))
	}
	if n := e.audited("telegram:42", "dasbor:export"); n != 1 {
		t.Errorf("%d exports audited, want 1", n)
	}

	code, body = b.post("/admin/ekspor", url.Values{"csrf": {csrf}, "nik": {"1"}, "reason": {""}, "wilayah": {"61.71"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "Tulis alasan mengunduh NIK lengkap") || !strings.Contains(body, `name="wilayah" value="61.71"`) {
		t.Errorf("NIK without a reason: %d, want 400 with the filters kept", code)
	}
	code, body = b.post("/admin/ekspor", url.Values{"csrf": {csrf}, "nik": {"1"}, "reason": {"pendaftaran massal ke BPJS"}, "wilayah": {"61.71"}})
	if code != http.StatusOK {
		t.Fatalf("NIK export: %d", code)
	}
	rows = payCSV(t, body)
	if len(rows) != 1 || rows[s.refA]["nik"] != s.nikA || rows[s.refA]["hp"] == "+6281234500001" {
		t.Errorf("NIK export of 61.71: %v", rows)
	}
	var detail string
	if err := e.db.DB.SQL().QueryRow(`SELECT detail FROM audit_log WHERE actor = 'telegram:42' AND action = 'dasbor:export_nik'`).Scan(&detail); err != nil {
		t.Fatalf("no audit line of the NIK export: %v", err)
	}
	for _, want := range []string{"rows=1", "nik=true", "wilayah=61.71", "reason=pendaftaran massal ke BPJS"} {
		if !strings.Contains(detail, want) {
			t.Errorf("audit detail %q lacks %s", detail, want)
		}
	}
}

// A supervisor sees only the payments of their kabupaten/kota's registrations.
func TestPaymentsSupervisorScope(t *testing.T) {
	e := newEnv(t)
	s := e.paySeed()
	if err := e.db.DB.SetStaffRole(context.Background(), "telegram:42", dashboard.Staff{Actor: "telegram:88", Role: dashboard.RoleSupervisor,
		Regencies: []string{"61.04"}}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("telegram:88")
	code, body := b.get("/admin/pembayaran")
	if code != http.StatusOK {
		t.Fatalf("supervisor's payments page: %d", code)
	}
	if strings.Contains(body, `id="flag-`+s.flaggedA+`"`) || !strings.Contains(body, `id="flag-`+s.flaggedB+`"`) {
		t.Error("the supervisor of 61.04 sees another kabupaten's flagged payment, or not their own")
	}
	var part int64
	if err := e.db.DB.SQL().QueryRow(`SELECT coalesce(sum(i.amount), 0) FROM payments p JOIN payment_items i ON i.payment_id = p.id
		JOIN registrations r ON r.id = i.registration_id
		WHERE p.applied_at IS NOT NULL AND p.paid_at >= $1 AND p.paid_at < $2 AND r.regency = '61.04'`, s.day, s.day.AddDate(0, 0, 1)).Scan(&part); err != nil {
		t.Fatal(err)
	}
	if got := payTile(t, body, "pay-amount"); got != part || part != 2*16800 {
		t.Errorf("supervisor's amount %d, 61.04's part in the database %d", got, part)
	}
	if got := payTile(t, body, "pay-count"); got != 2 {
		t.Errorf("supervisor's payments %d, want 2 (its part of one, and the erased one's)", got)
	}
	code, body = b.post("/admin/ekspor", url.Values{"csrf": {b.csrf()}})
	if rows := payCSV(t, body); code != http.StatusOK || len(rows) != 1 || rows[s.refB] == nil {
		t.Errorf("supervisor's export: %d, %v", code, rows)
	}
}
