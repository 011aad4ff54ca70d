package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/autodebit"
	"github.com/lindungi/lindungi/payments/midtrans"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

// autoDebitSetup is a worker covered for one month (paid on 25 Nov 2026
// under the law's discount: covered 26 Nov – 25 Dec), the fake Midtrans and
// auto-debit on both.
type autoDebitSetup struct {
	c     *chat
	e     *flows.Engine
	srv   *midtranstest.Server
	mt    autodebit.Midtrans
	ad    *flows.AutoDebits
	regID int64
	ref   string
}

var wibLoc = flows.DefaultConfig().Location

func newAutoDebit(t *testing.T) *autoDebitSetup {
	t.Helper()
	s := &autoDebitSetup{c: newChat(t)}
	s.e = lawEngine(t, time.Date(2026, 11, 25, 16, 0, 0, 0, wibLoc))
	s.c.e = s.e
	s.c.toReview(freshNIK())
	s.c.press("rv:ok")
	s.c.press("pm:1")
	must(t, s.c.press("BCA"), "Ada lagi")
	var p struct {
		OrderID string `db:"order_id"`
		Amount  int64  `db:"amount"`
	}
	if err := testDB.SQL().Get(&p, `SELECT order_id, amount FROM payments WHERE payer_ref = $1`, "test:"+s.c.id); err != nil {
		t.Fatal(err)
	}
	if _, err := flows.ApplyPayment(context.Background(), testDB, payments.Notification{Provider: sandboxPay.Name(), OrderID: p.OrderID,
		Status: payments.Paid, Amount: p.Amount, PaidAt: clock.Now()}, wibLoc, testDB.Now, s.e); err != nil {
		t.Fatal(err)
	}
	s.c.flush()
	if err := testDB.SQL().QueryRow(`SELECT id, ref FROM registrations WHERE channel = 'test' AND chat_id = $1`, s.c.id).Scan(&s.regID, &s.ref); err != nil {
		t.Fatal(err)
	}
	s.srv = midtranstest.NewServer(t)
	s.srv.SetClock(clock.Now)
	c, err := midtrans.New(midtrans.Options{ServerKey: midtranstest.ServerKey, BaseURL: s.srv.URL(), HTTPClient: s.srv.Client(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s.mt = autodebit.Midtrans{C: c}
	s.ad = flows.NewAutoDebits(s.e, testDB, testDB, s.mt, "")
	return s
}

// linkAndConfirm links the worker's GoPay, follows it to ENABLED and
// confirms day.
func (s *autoDebitSetup) linkAndConfirm(t *testing.T, day int) flows.AutoDebit {
	t.Helper()
	ctx := context.Background()
	a, err := s.ad.Link(ctx, s.regID, "test", s.c.id, "081234567890")
	if err != nil {
		t.Fatal(err)
	}
	link := s.c.flush()
	if len(link) != 1 || !strings.Contains(link[0].Text, "https://simulator.sandbox.midtrans.com/gopay/partner/app/") ||
		len(link[0].Choices) != 1 || link[0].Choices[0].Data != "au:check:"+itoa(a.ID) {
		t.Fatalf("link message: %+v", link)
	}
	if got, _ := s.srv.Account(a.AccountID); got.Phone != "81234567890" {
		t.Fatalf("linked %q", got.Phone)
	}
	if _, changed, err := s.ad.Check(ctx, a.ID); err != nil || changed {
		t.Fatalf("still pending: changed %v, %v", changed, err)
	}
	s.srv.Activate(a.AccountID)
	a, changed, err := s.ad.Check(ctx, a.ID)
	if err != nil || !changed || a.Status != flows.AutoDebitConfirming {
		t.Fatalf("after the worker approved: %+v %v %v", a, changed, err)
	}
	ask := s.c.flush()
	if len(ask) != 1 {
		t.Fatalf("confirm question: %+v", ask)
	}
	// Covered to 25 Dec: the day before is the 24th, offered first; the
	// month the charge pays (from 26 Dec) is discounted.
	must(t, ask[0].Text, "Rp8.400 sebulan", "tanggal 24")
	if ask[0].Choices[0].Data != "au:day:"+itoa(a.ID)+":24" || !strings.Contains(ask[0].Choices[0].Label, "disarankan") {
		t.Fatalf("day choices: %+v", ask[0].Choices)
	}
	// A chat that did not link the account cannot confirm.
	if _, err := s.ad.Confirm(ctx, a.ID, "test", "someone-else", day); err == nil {
		t.Fatal("another chat confirmed")
	}
	if a, err = s.ad.Confirm(ctx, a.ID, "test", s.c.id, day); err != nil || a.Status != flows.AutoDebitActive {
		t.Fatalf("confirm: %+v, %v", a, err)
	}
	return a
}

// charge makes Midtrans charge the subscription on at and delivers its
// notification times times.
func (s *autoDebitSetup) charge(t *testing.T, a flows.AutoDebit, at time.Time, paid bool, times int) {
	t.Helper()
	clock.Set(t, at)
	_, body, ok := s.srv.ChargeSubscription(a.SubscriptionID, paid)
	if !ok {
		t.Fatal("the subscription was not charged")
	}
	for range times {
		ev, err := s.mt.VerifyRecurring(context.Background(), body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ad.ApplyRecurring(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *autoDebitSetup) coveredTo(t *testing.T) string {
	t.Helper()
	var to time.Time
	if err := testDB.SQL().Get(&to, `SELECT covered_to FROM registrations WHERE id = $1`, s.regID); err != nil {
		t.Fatal(err)
	}
	return to.Format("2006-01-02")
}

// Acceptance: link → ENABLED → a subscription with the right amount, day
// and retry schedule; three monthly charges extend coverage three times
// (each notification delivered five times extends once); a discount period
// ending changes the amount before the next charge.
func TestAutoDebitChargesMonthly(t *testing.T) {
	s := newAutoDebit(t)
	a := s.linkAndConfirm(t, 24)
	started := s.c.flush()
	must(t, lastText(started), "Bayar otomatis sudah aktif", "Rp8.400", "tiap tanggal 24", "mulai 24 Desember 2026", "/stopotomatis")

	subs := s.srv.Subscriptions()
	if len(subs) != 1 {
		t.Fatalf("%d subscriptions", len(subs))
	}
	sub := subs[0]
	if sub.Amount != 8400 || sub.StartTime != "2026-12-24 08:00:00 +0700" || sub.Interval != 1 || sub.IntervalUnit != "month" ||
		sub.Retry == nil || *sub.Retry != (midtranstest.RetrySchedule{Interval: 1, IntervalUnit: "day", MaxInterval: 3}) || sub.AccountID != a.AccountID {
		t.Fatalf("subscription at Midtrans: %+v", sub)
	}

	s.charge(t, a, time.Date(2026, 12, 24, 8, 0, 0, 0, wibLoc), true, 5)
	if got := s.coveredTo(t); got != "2027-01-25" {
		t.Fatalf("after the first charge covered to %s", got)
	}
	receipt := s.c.flush()
	if len(receipt) != 2 {
		t.Fatalf("one receipt (and the card) for five deliveries: %+v", receipt)
	}
	must(t, receipt[0].Text, "Iuran Siti Aminah sudah kami terima")
	// The finance officer's day report counts the charge once.
	r, err := testDB.Report(context.Background(), time.Date(2026, 12, 24, 0, 0, 0, 0, wibLoc), wibLoc)
	if err != nil {
		t.Fatal(err)
	}
	if r.AutoDebit.Charged < 1 || r.AutoDebit.ChargedTotal < 8400 || r.AutoDebit.ChargedTotal%8400 != 0 || r.AutoDebit.Active < 1 {
		t.Fatalf("report: %+v", r.AutoDebit)
	}

	// January: the discount ends with December's months; the next charge
	// pays from 26 Jan, at the full price.
	clock.Set(t, time.Date(2027, 1, 10, 9, 0, 0, 0, wibLoc))
	if n, err := s.ad.Reprice(context.Background()); err != nil || n != 1 {
		t.Fatalf("reprice: %d, %v", n, err)
	}
	if got := s.srv.Subscriptions()[0].Amount; got != 16800 {
		t.Fatalf("amount at Midtrans before the next charge: %d", got)
	}
	must(t, lastText(s.c.flush()), "berubah dari Rp8.400 menjadi Rp16.800", "24 Januari 2027")
	if n, _ := s.ad.Reprice(context.Background()); n != 0 {
		t.Fatalf("repriced twice: %d", n)
	}

	s.charge(t, a, time.Date(2027, 1, 24, 8, 0, 0, 0, wibLoc), true, 5)
	s.charge(t, a, time.Date(2027, 2, 24, 8, 0, 0, 0, wibLoc), true, 5)
	if got := s.coveredTo(t); got != "2027-03-25" {
		t.Fatalf("after three charges covered to %s", got)
	}
	var applied struct {
		N   int   `db:"n"`
		Sum int64 `db:"sum"`
	}
	if err := testDB.SQL().Get(&applied, `SELECT count(*) AS n, coalesce(sum(amount), 0) AS sum FROM payments
		WHERE payer_ref = $1 AND order_id LIKE 'SUBS-%' AND applied_at IS NOT NULL`, "test:"+s.c.id); err != nil {
		t.Fatal(err)
	}
	if applied.N != 3 || applied.Sum != 8400+16800+16800 {
		t.Fatalf("applied charges: %+v", applied)
	}
}

// Acceptance: an insufficient-balance failure tells the worker and offers
// the fallback; after Midtrans' retries the subscription is paused.
func TestAutoDebitFailedChargeOffersACode(t *testing.T) {
	s := newAutoDebit(t)
	a := s.linkAndConfirm(t, 24)
	s.c.flush()
	at := time.Date(2026, 12, 24, 8, 0, 0, 0, wibLoc)
	s.charge(t, a, at, false, 3)
	told := s.c.flush()
	if len(told) != 1 {
		t.Fatalf("told %d times for one failed charge: %+v", len(told), told)
	}
	must(t, told[0].Text, "saldo GoPay Anda tidak cukup", "Kami coba lagi 3 kali")
	if len(told[0].Choices) != 1 || told[0].Choices[0].Data != "au:code:"+s.ref {
		t.Fatalf("fallback: %+v", told[0].Choices)
	}
	for i := 1; i <= 2; i++ {
		s.charge(t, a, at.AddDate(0, 0, i), false, 1)
		if got := s.c.flush(); len(got) != 0 {
			t.Fatalf("retry %d told again: %+v", i, got)
		}
	}
	s.charge(t, a, at.AddDate(0, 0, 3), false, 2)
	paused := s.c.flush()
	if len(paused) != 1 || len(paused[0].Choices) != 1 {
		t.Fatalf("paused message: %+v", paused)
	}
	must(t, paused[0].Text, "bayar otomatis kami hentikan sementara")
	if st := s.srv.Subscriptions()[0].Status; st != "inactive" {
		t.Fatalf("subscription after the retries: %s", st)
	}
	if got := s.coveredTo(t); got != "2026-12-25" {
		t.Fatalf("failed charges covered to %s", got)
	}
	r, err := testDB.Report(context.Background(), time.Date(2026, 12, 24, 0, 0, 0, 0, wibLoc), wibLoc)
	if err != nil || r.AutoDebit.Failed < 1 || r.AutoDebit.Paused < 1 {
		t.Fatalf("report: %+v, %v", r.AutoDebit, err)
	}

	// /bayar turns it on again, as the pause message says; asking twice
	// says it is on, and the chat goes on.
	s.e.SetAutoDebits(s.ad)
	s.c.text("/bayar")
	must(t, s.c.press("pm:auto"), "menyala lagi", "tiap tanggal 24", "berikutnya 24 Januari 2027")
	if st := s.srv.Subscriptions()[0].Status; st != "active" {
		t.Fatalf("after resuming: %s", st)
	}
	s.c.text("/bayar")
	must(t, s.c.press("pm:auto"), "sudah ada")
	s.c.text("/status")
	must(t, s.c.last[0].Text, "Bayar otomatis GoPay: Rp8.400 tiap tanggal 24")
}

// Acceptance: /stopotomatis disables the subscription and unbinds nothing;
// unlinking the account in GoPay stops it too.
func TestAutoDebitStops(t *testing.T) {
	s := newAutoDebit(t)
	a := s.linkAndConfirm(t, 10)
	s.c.flush()
	n, err := s.ad.Stop(context.Background(), "test", s.c.id)
	if err != nil || n != 1 {
		t.Fatalf("stop: %d, %v", n, err)
	}
	must(t, lastText(s.c.flush()), "Bayar otomatis untuk Siti Aminah sudah berhenti", "tetap tersambung")
	if st := s.srv.Subscriptions()[0].Status; st != "inactive" {
		t.Fatalf("subscription: %s", st)
	}
	if acc, _ := s.srv.Account(a.AccountID); acc.Status != "ENABLED" {
		t.Fatalf("the account was unbound: %s", acc.Status)
	}
	if n, _ := s.ad.Stop(context.Background(), "test", s.c.id); n != 0 {
		t.Fatalf("stopped twice: %d", n)
	}

	// A new auto-debit, then the worker unlinks GoPay.
	a = s.linkAndConfirm(t, 10)
	s.c.flush()
	_, body := s.srv.Unbound(a.AccountID)
	ev, err := s.mt.VerifyRecurring(context.Background(), body)
	if err != nil || ev.UnboundAccount != a.AccountID {
		t.Fatalf("unbind: %+v, %v", ev, err)
	}
	for range 2 {
		if _, err := s.ad.ApplyRecurring(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	must(t, lastText(s.c.flush()), "GoPay Anda sudah tidak tersambung")
	if st := s.srv.Subscriptions()[1].Status; st != "inactive" {
		t.Fatalf("subscription after unbind: %s", st)
	}
	var status string
	if err := testDB.SQL().Get(&status, `SELECT status FROM autodebits WHERE id = $1`, a.ID); err != nil || status != "stopped" {
		t.Fatalf("auto-debit after unbind: %s %v", status, err)
	}
}

// The chat: the payment menu offers it only when auto-debit is on; the
// worker links, approves, types a day (a bad one is asked again), sees it
// in /status and stops it with the button there.
func TestAutoDebitInTheChat(t *testing.T) {
	s := newAutoDebit(t)
	c := s.c
	menu := func() []string {
		c.text("/bayar")
		var data []string
		for _, ch := range c.choices() {
			data = append(data, ch.Data)
		}
		return data
	}
	if got := strings.Join(menu(), " "); strings.Contains(got, "pm:auto") {
		t.Fatalf("offered with tokenization off: %s", got)
	}
	c.text("/batal")
	s.e.SetAutoDebits(s.ad)
	if got := strings.Join(menu(), " "); !strings.Contains(got, "pm:auto") {
		t.Fatalf("not offered: %s", got)
	}
	must(t, c.press("pm:auto"), "Buka tautan ini di HP ini", "https://simulator.sandbox.midtrans.com/gopay/partner/app/")
	check := c.choices()[0].Data
	must(t, c.press(check), "belum tersambung")
	var account string
	if err := testDB.SQL().Get(&account, `SELECT account_id FROM autodebits WHERE registration_id = $1`, s.regID); err != nil {
		t.Fatal(err)
	}
	s.srv.Activate(account)
	must(t, lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: check})), "GoPay Anda sudah tersambung", "Rp8.400 sebulan", "tanggal 24")
	must(t, c.text("29"), "dari 1 sampai 28")
	must(t, c.text("tgl 5"), "Bayar otomatis sudah aktif", "tiap tanggal 5", "mulai 5 Desember 2026")
	if sub := s.srv.Subscriptions(); len(sub) != 1 || sub[0].StartTime != "2026-12-05 08:00:00 +0700" {
		t.Fatalf("subscription: %+v", sub)
	}
	c.text("/status")
	if len(c.last) < 2 {
		t.Fatalf("/status: %+v", c.last)
	}
	must(t, c.last[0].Text, "Bayar otomatis GoPay: Rp8.400 tiap tanggal 5, berikutnya 5 Desember 2026")
	stop := c.last[len(c.last)-1]
	if len(stop.Choices) != 1 || stop.Choices[0].Data != "au:stop" {
		t.Fatalf("stop button: %+v", stop)
	}
	must(t, c.press("au:stop"), "sudah berhenti")
	if st := s.srv.Subscriptions()[0].Status; st != "inactive" {
		t.Fatalf("after the button: %s", st)
	}
	must(t, c.text("/stopotomatis"), "Tidak ada bayar otomatis")
	// The fallback of a failed charge: straight to the way to pay one month.
	must(t, lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: "au:code:" + s.ref})), "bank atau toko apa")
}

// An agent offers auto-debit to a resident whose own chat is linked; only
// that chat can take it up, with the resident's own phone.
func TestAgentOffersAutoDebit(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Rina Marlina")
	n := freshNIK()
	ref := a.registerResident(n, "Agus Salim", "0812 3456 7001")
	a.press("ah:list")
	a.press("al:" + ref)
	a.press("rs:code")
	all := a.last[0].Text
	_, after, ok := strings.Cut(all, "Kode sambung untuk Agus Salim: ")
	if !ok {
		t.Fatalf("no code in %q", all)
	}
	code := strings.Fields(after)[0]
	r := newAgentChat(t, "")
	r.phone = "6281234567001" // the resident's own WhatsApp number
	r.text("sambung " + code)
	r.text(n)
	must(t, r.text("Agus Salim"), "Setuju?")
	r.press("cc:yes")

	srv := midtranstest.NewServer(t)
	mc, err := midtrans.New(midtrans.Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL(), HTTPClient: srv.Client(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ad := flows.NewAutoDebits(a.e, testDB, testDB, autodebit.Midtrans{C: mc}, "")
	a.e.SetAutoDebits(ad)
	r.e = newEngine(agentConfig())
	r.e.SetAutoDebits(ad)

	a.press("rs:back")
	page := a.press("al:" + ref)
	must(t, page, "Agus Salim")
	must(t, a.press("rs:auto"), "Tawaran bayar otomatis sudah kami kirim ke Agus Salim")
	offer := r.flush()
	if len(offer) != 1 || len(offer[0].Choices) != 1 || offer[0].Choices[0].Data != "au:offer:"+ref {
		t.Fatalf("offer: %+v", offer)
	}
	must(t, offer[0].Text, "Hanya HP Anda yang bisa menyambungkan GoPay")
	// The agent's chat cannot take it up: the registration is not its own.
	must(t, lastText(a.send(flows.Event{Kind: flows.KindChoice, Choice: "au:offer:" + ref})), "Belum ada pendaftaran yang bisa dibayar dari HP ini")
	must(t, lastText(r.send(flows.Event{Kind: flows.KindChoice, Choice: "au:offer:" + ref})), "Buka tautan ini di HP ini")
	if subs := srv.Subscriptions(); len(subs) != 0 {
		t.Fatalf("subscribed before the resident confirmed: %+v", subs)
	}
	var phone string
	if err := testDB.SQL().Get(&phone, `SELECT account_id FROM autodebits a JOIN registrations g ON g.id = a.registration_id WHERE g.ref = $1`, ref); err != nil {
		t.Fatal(err)
	}
	if acc, _ := srv.Account(phone); acc.Phone != "81234567001" {
		t.Fatalf("linked the phone %q, not the resident's", acc.Phone)
	}
	a.text("/agen")
	a.press("ah:list")
	must(t, a.press("al:"+ref), "menunggu warga menyetujui di GoPay")
	for _, ch := range a.choices() {
		if ch.Data == "rs:auto" {
			t.Error("offered again while one is in force")
		}
	}
}

// No "pay now" reminder before the end while auto-debit is active; once it
// is stopped the reminders come again.
func TestRemindersWaitForAutoDebit(t *testing.T) {
	s := newAutoDebit(t)
	s.linkAndConfirm(t, 24)
	s.c.flush()
	ctx := context.Background()
	clock.Set(t, time.Date(2026, 12, 18, 10, 0, 0, 0, wibLoc)) // a week before the end (25 Dec)
	if _, err := s.e.RunReminders(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if got := s.c.flush(); len(got) != 0 {
		t.Fatalf("reminded while on auto-debit: %+v", got)
	}
	if _, err := s.ad.Stop(ctx, "test", s.c.id); err != nil {
		t.Fatal(err)
	}
	s.c.flush()
	clock.Set(t, time.Date(2026, 12, 22, 10, 0, 0, 0, wibLoc)) // three days before
	if _, err := s.e.RunReminders(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	got := s.c.flush()
	if len(got) != 1 || len(got[0].Choices) != 1 {
		t.Fatalf("reminder after the stop: %+v", got)
	}
}

// /hapus ends auto-debit first: the subscription disabled, the GoPay
// account unbound, the token forgotten; with Midtrans down nothing is
// erased and the worker is asked to try again.
func TestErasureEndsAutoDebit(t *testing.T) {
	s := newAutoDebit(t)
	s.e.SetAutoDebits(s.ad)
	a := s.linkAndConfirm(t, 24)
	s.c.flush()
	s.srv.Fail("disable", 1, midtranstest.InternalError)
	s.c.text("/hapus")
	must(t, s.c.press("cf:yes"), "GoPay sedang tidak bisa dihubungi")
	var live bool
	if err := testDB.SQL().Get(&live, `SELECT deleted_at IS NULL FROM registrations WHERE id = $1`, s.regID); err != nil || !live {
		t.Fatalf("erased although GoPay could not be reached (%v)", err)
	}
	s.c.text("/hapus")
	must(t, s.c.press("cf:yes"), "Data Anda sudah dihapus")
	if st := s.srv.Subscriptions()[0].Status; st != "inactive" {
		t.Fatalf("subscription after /hapus: %s", st)
	}
	if acc, _ := s.srv.Account(a.AccountID); acc.Status != "DISABLED" {
		t.Fatalf("account after /hapus: %s", acc.Status)
	}
	var row struct {
		Status string `db:"status"`
		Reason string `db:"stop_reason"`
		Token  string `db:"token"`
	}
	if err := testDB.SQL().Get(&row, `SELECT status, stop_reason, token FROM autodebits WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	if row.Status != "stopped" || row.Reason != "erased" || row.Token != "" {
		t.Fatalf("auto-debit after /hapus: %+v", row)
	}
}

// An account approved in GoPay moves on without the worker's tap.
func TestFollowLinks(t *testing.T) {
	s := newAutoDebit(t)
	a, err := s.ad.Link(context.Background(), s.regID, "test", s.c.id, "081234567890")
	if err != nil {
		t.Fatal(err)
	}
	s.c.flush()
	if _, err := s.ad.FollowLinks(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.c.flush(); len(got) != 0 {
		t.Fatalf("told while still pending: %+v", got)
	}
	s.srv.Activate(a.AccountID)
	if _, err := s.ad.FollowLinks(context.Background()); err != nil {
		t.Fatal(err)
	}
	must(t, lastText(s.c.flush()), "GoPay Anda sudah tersambung", "Mau dipotong tanggal berapa")
	s.e.SetAutoDebits(s.ad)
	s.c.text("/status")
	must(t, s.c.last[0].Text, "tinggal pilih tanggal potongnya")
}

// A charge at an amount that is no longer a month's price (the discount
// ended and the new amount did not reach Midtrans) is not a month: it is
// flagged for an admin, and coverage stays where it was.
func TestAutoDebitStaleAmountIsFlagged(t *testing.T) {
	s := newAutoDebit(t)
	a := s.linkAndConfirm(t, 24)
	s.c.flush()
	s.charge(t, a, time.Date(2026, 12, 24, 8, 0, 0, 0, wibLoc), true, 1)
	if got := s.coveredTo(t); got != "2027-01-25" {
		t.Fatalf("after the first charge covered to %s", got)
	}
	s.c.flush()
	// No reprice: Midtrans still charges December's Rp8.400 in January.
	s.charge(t, a, time.Date(2027, 1, 24, 8, 0, 0, 0, wibLoc), true, 2)
	if got := s.coveredTo(t); got != "2027-01-25" {
		t.Errorf("a stale Rp8.400 charge moved coverage to %s", got)
	}
	var flag string
	if err := testDB.SQL().Get(&flag, `SELECT flag FROM payments WHERE payer_ref = $1 AND order_id LIKE 'SUBS-%' ORDER BY id DESC LIMIT 1`,
		"test:"+s.c.id); err != nil {
		t.Fatal(err)
	}
	if flag != flows.FlagAmountMismatch {
		t.Errorf("the stale charge's flag is %q, want %s", flag, flows.FlagAmountMismatch)
	}
}

// A charge GoPay leaves pending and denies later is a failure all the
// same: the worker is told once, with the fallback; one pending and then
// settled extends coverage once.
func TestAutoDebitPendingChargeEndsLater(t *testing.T) {
	s := newAutoDebit(t)
	a := s.linkAndConfirm(t, 24)
	s.c.flush()
	deliver := func(body []byte, times int) {
		t.Helper()
		for range times {
			ev, err := s.mt.VerifyRecurring(context.Background(), body)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ad.ApplyRecurring(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock.Set(t, time.Date(2026, 12, 24, 8, 0, 0, 0, wibLoc))
	_, pending, ok := s.srv.ChargeSubscriptionPending(a.SubscriptionID)
	if !ok {
		t.Fatal("not charged")
	}
	deliver(pending, 2)
	if got := s.c.flush(); len(got) != 0 {
		t.Fatalf("a pending charge told the worker: %+v", got)
	}
	var order string
	if err := testDB.SQL().Get(&order, `SELECT order_id FROM payments WHERE payer_ref = $1 AND order_id LIKE 'SUBS-%' ORDER BY id DESC LIMIT 1`,
		"test:"+s.c.id); err != nil {
		t.Fatal(err)
	}
	_, denied, ok := s.srv.EndCharge(order, false)
	if !ok {
		t.Fatal("the pending charge did not end")
	}
	deliver(denied, 3)
	told := s.c.flush()
	if len(told) != 1 || len(told[0].Choices) != 1 || told[0].Choices[0].Data != "au:code:"+s.ref {
		t.Fatalf("a pending charge denied later: told %+v", told)
	}
	must(t, told[0].Text, "saldo GoPay Anda tidak cukup")

	// The retry stays pending, then settles: one month.
	clock.Set(t, time.Date(2026, 12, 25, 8, 0, 0, 0, wibLoc))
	_, pending, _ = s.srv.ChargeSubscriptionPending(a.SubscriptionID)
	deliver(pending, 1)
	if err := testDB.SQL().Get(&order, `SELECT order_id FROM payments WHERE payer_ref = $1 AND order_id LIKE 'SUBS-%' ORDER BY id DESC LIMIT 1`,
		"test:"+s.c.id); err != nil {
		t.Fatal(err)
	}
	_, settled, ok := s.srv.EndCharge(order, true)
	if !ok {
		t.Fatal("the retry did not end")
	}
	deliver(settled, 3)
	if got := s.coveredTo(t); got != "2027-01-25" {
		t.Errorf("a pending charge settled later covered to %s", got)
	}
}

// A charge under way when the worker erased their data is not lost: its
// money is recorded for the registration and flagged for an admin to
// refund; it covers nobody.
func TestAutoDebitChargeAfterErasureIsFlagged(t *testing.T) {
	s := newAutoDebit(t)
	s.e.SetAutoDebits(s.ad)
	a := s.linkAndConfirm(t, 24)
	s.c.flush()
	clock.Set(t, time.Date(2026, 12, 24, 8, 0, 0, 0, wibLoc))
	_, pending, ok := s.srv.ChargeSubscriptionPending(a.SubscriptionID)
	if !ok {
		t.Fatal("not charged")
	}
	ev, err := s.mt.VerifyRecurring(context.Background(), pending)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ad.ApplyRecurring(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	before := s.coveredTo(t)
	s.c.text("/hapus")
	must(t, s.c.press("cf:yes"), "Data Anda sudah dihapus")
	var order string
	if err := testDB.SQL().Get(&order, `SELECT order_id FROM payments WHERE order_id LIKE 'SUBS-%' AND payer_ref = $1 ORDER BY id DESC LIMIT 1`,
		"test:"+s.c.id); err != nil {
		t.Fatal(err)
	}
	_, settled, ok := s.srv.EndCharge(order, true)
	if !ok {
		t.Fatal("the charge did not end")
	}
	for range 2 {
		ev, err := s.mt.VerifyRecurring(context.Background(), settled)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ad.ApplyRecurring(context.Background(), ev); err != nil {
			t.Fatalf("a charge after the erasure: %v", err)
		}
	}
	var p struct {
		Status  string `db:"status"`
		Flag    string `db:"flag"`
		Applied bool   `db:"applied"`
	}
	if err := testDB.SQL().Get(&p, `SELECT status, flag, applied_at IS NOT NULL AS applied FROM payments WHERE order_id = $1`, order); err != nil {
		t.Fatal(err)
	}
	if p.Status != "paid" || p.Flag == "" {
		t.Errorf("the charge after the erasure: %+v, want paid and flagged for a refund", p)
	}
	if got := s.coveredTo(t); got != before {
		t.Errorf("the erased registration's coverage moved from %s to %s", before, got)
	}
}
