package flows_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

// topUp asks for a top-up of amount through the chat (pressing the amount's
// button when there is one, else typing it) and returns its order id.
func (c *chat) topUp(amount string) string {
	c.t.Helper()
	must(c.t, c.text("/tabung"), "Mau menabung berapa")
	if strings.HasPrefix(amount, "sa:") {
		c.press(amount)
	} else {
		must(c.t, c.text(amount), "Bayar lewat bank, toko, atau QRIS")
	}
	must(c.t, c.press("sb:bni"), "Ada lagi")
	var order string
	if err := testDB.SQL().Get(&order, `SELECT order_id FROM payments WHERE payer_ref = $1 AND savings_registration_id IS NOT NULL
		ORDER BY id DESC LIMIT 1`, "test:"+c.id); err != nil {
		c.t.Fatal(err)
	}
	return order
}

// settle delivers the sandbox's settlement of an order.
func settle(t *testing.T, order string) flows.PaymentResult {
	t.Helper()
	var amount int64
	if err := testDB.SQL().Get(&amount, `SELECT amount FROM payments WHERE order_id = $1`, order); err != nil {
		t.Fatal(err)
	}
	r, err := flows.ApplyPayment(context.Background(), testDB, payments.Notification{Provider: sandboxPay.Name(), OrderID: order,
		Status: payments.Paid, Amount: amount, PaidAt: clock.Now()}, flows.DefaultConfig().Location, testDB.Now, env.Engine(flows.DefaultConfig()))
	if err != nil {
		t.Fatalf("apply %s: %v", order, err)
	}
	return r
}

func ledger(t *testing.T, c *chat) (balance int64, months int) {
	t.Helper()
	var l struct {
		Balance int64 `db:"balance"`
		Months  int   `db:"months"`
	}
	if err := testDB.SQL().Get(&l, `SELECT coalesce(sum(e.amount), 0) AS balance, count(*) FILTER (WHERE e.kind = 'month') AS months
		FROM savings_entries e JOIN registrations r ON r.id = e.registration_id WHERE r.channel = 'test' AND r.chat_id = $1`, c.id); err != nil {
		t.Fatal(err)
	}
	return l.Balance, l.Months
}

// Acceptance: Rp5.000, Rp10.000 and Rp5.000 for a Rp16.800 month buy one
// month when the third settles and leave Rp3.200.
func TestSavingsBuyAMonthWhenTheBalanceCoversIt(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	must(t, c.press("pm:save"), "saldo Rp0", "Iuran 1 bulan Rp16.800, jadi kurang Rp16.800", "Paling sedikit Rp5.000")
	must(t, c.text("4000"), "Paling sedikit Rp5.000 sekali menabung. Yang Anda ketik Rp4.000.", "Mau menabung berapa")
	must(t, c.text("lima ribu"), "Jumlah harus angka Rupiah", "Mau menabung berapa")
	must(t, c.text("Rp5.000"), "Tabung Rp5.000", "QRIS")
	for _, ch := range c.choices() {
		if ch.Data == "sb:alfamart" || ch.Data == "sb:indomaret" {
			t.Errorf("a shop offered for Rp5.000: %+v", ch)
		}
	}
	must(t, c.press("sb:qris"), "Ada lagi")
	must(t, c.last[0].Text, "Tabung Rp5.000 (tabungan iuran Siti Aminah) dengan QRIS")
	if !strings.HasPrefix(c.last[0].Photo, "qris:") {
		t.Errorf("no QR picture: %+v", c.last[0])
	}
	var first string
	testDB.SQL().Get(&first, `SELECT order_id FROM payments WHERE payer_ref = $1 AND savings_registration_id IS NOT NULL`, "test:"+c.id)
	if r := settle(t, first); r.Outcome != flows.PaymentApplied || len(r.Coverage) != 0 {
		t.Fatalf("first top-up: %+v", r)
	}
	must(t, lastText(c.flush()), "Rp5.000 sudah masuk. Saldo sekarang Rp5.000", "kurang Rp11.800 lagi")
	// The same notification again credits nothing.
	if r := settle(t, first); r.Outcome != flows.PaymentUnchanged {
		t.Fatalf("repeated: %+v", r)
	}

	second := c.topUp("sa:10000")
	settle(t, second)
	must(t, lastText(c.flush()), "Saldo sekarang Rp15.000", "kurang Rp1.800 lagi")
	if bal, months := ledger(t, c); bal != 15000 || months != 0 {
		t.Fatalf("balance %d, %d months", bal, months)
	}
	must(t, c.text("/status"), "Tabungan iuran: saldo Rp15.000")

	third := c.topUp("5000")
	r := settle(t, third)
	if r.Outcome != flows.PaymentApplied || len(r.Coverage) != 1 {
		t.Fatalf("third top-up: %+v", r)
	}
	got := c.flush()
	if len(got) != 2 || !strings.HasPrefix(got[1].Photo, "card:") {
		t.Fatalf("messages: %+v", got)
	}
	must(t, got[0].Text, "Iuran 1 bulan Siti Aminah sudah dibayar dari tabungan", "Terlindungi sampai "+cat.Date("id", r.Coverage[0].To), "Sisa saldo Rp3.200")
	if bal, months := ledger(t, c); bal != 3200 || months != 1 {
		t.Fatalf("balance %d, %d months", bal, months)
	}
	must(t, c.text("/status"), "terlindungi", "Tabungan iuran: saldo Rp3.200")
	must(t, c.text("/saldo"), "saldo Rp3.200", "kurang Rp13.600", "dipakai Rp16.800 untuk iuran", "masuk Rp5.000", "masuk Rp10.000", "/tabung")

	// The ledger is append-only.
	if _, err := testDB.SQL().Exec(`UPDATE savings_entries SET amount = 1 WHERE kind = 'topup'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("an entry updated: %v", err)
	}
}

// Acceptance: top-ups settling at the same moment never buy the same month twice.
func TestSavingsConcurrentTopUpsBuyOneMonth(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	var orders []string
	for range 6 {
		orders = append(orders, c.topUp("16800"))
	}
	var wg sync.WaitGroup
	covered := make([]int, len(orders))
	for i, o := range orders {
		wg.Go(func() {
			for range 2 { // each notification twice
				r := settle(t, o)
				covered[i] += len(r.Coverage)
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range covered {
		total += n
	}
	bal, months := ledger(t, c)
	if total != 1 || months != 1 || bal != 5*16800 {
		t.Fatalf("%d coverages, %d months, balance %d", total, months, bal)
	}
	c.flush()
}

// Acceptance: the ledger adds up (sum of entries = balance = money in −
// months bought − refunds due) after a random run of top-ups, settlements
// (some repeated), days passing and erasures.
func TestSavingsLedgerAddsUp(t *testing.T) {
	rnd := rand.New(rand.NewPCG(19, 32))
	start := clock.Now()
	clock.Set(t, start)
	type worker struct {
		c      *chat
		open   []string
		erased bool
	}
	var ws []*worker
	for range 4 {
		c := newChat(t)
		c.toReview(freshNIK())
		c.press("rv:ok")
		c.text("/batal")
		ws = append(ws, &worker{c: c})
	}
	amounts := []string{"sa:5000", "sa:10000", "sa:20000", "7500", "16800"}
	for step := range 60 {
		w := ws[rnd.IntN(len(ws))]
		switch k := rnd.IntN(10); {
		case w.erased:
			continue
		case k < 4:
			w.open = append(w.open, w.c.topUp(amounts[rnd.IntN(len(amounts))]))
		case k < 8 && len(w.open) > 0:
			i := rnd.IntN(len(w.open))
			settle(t, w.open[i])
			if rnd.IntN(3) == 0 {
				settle(t, w.open[i]) // delivered again
			} else {
				w.open = append(w.open[:i], w.open[i+1:]...)
			}
		case k < 9:
			clock.Add(time.Duration(1+rnd.IntN(12)) * 24 * time.Hour)
		case step > 30:
			w.c.text("/hapus")
			w.c.press("cf:yes")
			w.erased = true
		}
		w.c.flush()
	}
	for _, w := range ws { // what was still open settles, some after the erasure
		for _, o := range w.open {
			settle(t, o)
		}
	}
	balances, negative, err := testDB.SavingsCheck(context.Background())
	if err != nil || len(negative) > 0 {
		t.Fatalf("negative balances %v: %v", negative, err)
	}
	var bought, refunded int64
	for _, w := range ws {
		var l struct {
			Ref      string `db:"ref"`
			In       int64  `db:"money_in"`
			Months   int64  `db:"months"`
			Refunds  int64  `db:"refunds"`
			Sum      int64  `db:"sum"`
			Flagged  int64  `db:"flagged"`
			Unstored int64  `db:"uncredited"`
		}
		if err := testDB.SQL().Get(&l, `SELECT r.ref,
			coalesce((SELECT sum(amount) FROM payments p WHERE p.savings_registration_id = r.id AND p.applied_at IS NOT NULL AND p.flag <> 'erased'), 0) AS money_in,
			coalesce((SELECT -sum(amount) FROM savings_entries e WHERE e.registration_id = r.id AND e.kind = 'month'), 0) AS months,
			coalesce((SELECT -sum(amount) FROM savings_entries e WHERE e.registration_id = r.id AND e.kind = 'refund'), 0) AS refunds,
			coalesce((SELECT sum(amount) FROM savings_entries e WHERE e.registration_id = r.id), 0) AS sum,
			(SELECT count(*) FROM payments p WHERE p.savings_registration_id = r.id AND p.flag = 'savings_refund') AS flagged,
			coalesce((SELECT sum(amount) FROM payments p WHERE p.savings_registration_id = r.id AND p.flag = 'erased'), 0) AS uncredited
			FROM registrations r WHERE r.channel = 'test' AND r.chat_id = $1`, w.c.id); err != nil {
			t.Fatal(err)
		}
		if l.Sum != balances[l.Ref] || l.Sum != l.In-l.Months-l.Refunds || l.Months%16800 != 0 {
			t.Errorf("%s: %+v, checked balance %d", l.Ref, l, balances[l.Ref])
		}
		bought, refunded = bought+l.Months, refunded+l.Refunds
		if w.erased && (l.Sum != 0 || (l.Refunds > 0) != (l.Flagged > 0)) {
			t.Errorf("erased %s keeps %d: %+v", l.Ref, l.Sum, l)
		}
	}
	if bought == 0 || refunded == 0 {
		t.Errorf("the run bought %d and refunded %d: it tests too little", bought, refunded)
	}
}

// A balance topped up early buys the month at the reminder a week before
// the end; a balance short of a month is named in the reminder.
func TestSavingsAtTheReminder(t *testing.T) {
	clock.Set(t, clock.Now())
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	c.press("pm:1")
	c.press("pb:bni")
	var order string
	testDB.SQL().Get(&order, `SELECT order_id FROM payments WHERE payer_ref = $1`, "test:"+c.id)
	end := settle(t, order).Coverage[0].To
	c.flush()

	settle(t, c.topUp("16800"))
	must(t, lastText(c.flush()), "Saldo sekarang Rp16.800", "Saldo cukup untuk iuran 1 bulan (Rp16.800)",
		"mulai "+cat.Date("id", end.AddDate(0, 0, -flows.SavingsDueDays)))
	if _, months := ledger(t, c); months != 0 {
		t.Fatalf("bought %d months a month before the end", months)
	}
	e := env.Engine(flows.DefaultConfig())
	remindAt := func(end time.Time) {
		t.Helper()
		loc := flows.DefaultConfig().Location
		at := time.Date(end.Year(), end.Month(), end.Day(), 12, 0, 0, 0, loc).AddDate(0, 0, -flows.SavingsDueDays)
		clock.Set(t, at)
		if _, err := e.RunReminders(context.Background(), 1000); err != nil {
			t.Fatal(err)
		}
	}
	remindAt(end)
	got := c.flush()
	if len(got) != 2 {
		t.Fatalf("at the reminder: %+v", got)
	}
	next := end.AddDate(0, 1, 0)
	must(t, got[0].Text, "sudah dibayar dari tabungan", "Terlindungi sampai "+cat.Date("id", next), "Sisa saldo Rp0")
	if bal, months := ledger(t, c); bal != 0 || months != 1 {
		t.Fatalf("balance %d, %d months", bal, months)
	}

	settle(t, c.topUp("5000"))
	c.flush()
	remindAt(next)
	must(t, lastText(c.flush()), "berakhir 7 hari lagi", "Saldo tabungan iuran Anda Rp5.000. Iuran 1 bulan Rp16.800: kurang Rp11.800")
}

// /hapus with money in the balance flags it for an admin to refund.
func TestSavingsRefundedOnErasure(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	order := c.topUp("sa:10000")
	settle(t, order)
	late := c.topUp("sa:5000")
	c.text("/hapus")
	must(t, c.press("cf:yes"), "Sisa tabungan iuran Rp10.000 akan dikembalikan oleh petugas")
	if bal, _ := ledger(t, c); bal != 0 {
		t.Fatalf("balance %d kept after erasure", bal)
	}
	var flag string
	testDB.SQL().Get(&flag, `SELECT flag FROM payments WHERE order_id = $1`, order)
	if flag != flows.FlagSavingsRefund {
		t.Errorf("flag %q", flag)
	}
	// A top-up paid after the erasure is flagged too, and credits nothing.
	if r := settle(t, late); r.Outcome != flows.PaymentFlagged {
		t.Errorf("late top-up: %+v", r)
	}
	if bal, _ := ledger(t, c); bal != 0 {
		t.Fatalf("balance %d after a late top-up", bal)
	}
}

// The agent sees a linked resident's balance in Warga saya.
func TestSavingsInTheResidentsList(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Agus Salim")
	n := freshNIK()
	ref := a.registerResident(n, "Fitri Handayani", "081211122233")
	r := newAgentChat(t, "")
	r.text("/klaim")
	r.text(n)
	r.text("Fitri Handayani")
	r.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "081211122233", UserID: r.id}})
	r.press("cc:yes")
	settle(t, r.topUp("sa:5000"))
	must(t, lastText(r.flush()), "Rp5.000 sudah masuk")
	must(t, a.press("ah:list"), "Fitri Handayani", "· tabungan Rp5.000")
	must(t, a.press("al:"+ref), "Tabungan iuran: saldo Rp5.000")
}

// In arrears the balance buys the month after the end; after the window it
// buys nothing (a restart is the worker's choice).
func TestSavingsInArrearsAndAfterTheWindow(t *testing.T) {
	clock.Set(t, clock.Now())
	start := clock.Now()
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	c.press("pm:1")
	c.press("pb:bni")
	var order string
	testDB.SQL().Get(&order, `SELECT order_id FROM payments WHERE payer_ref = $1`, "test:"+c.id)
	end := settle(t, order).Coverage[0].To
	c.flush()

	clock.Set(t, start.AddDate(0, 1, 10)) // lapsed, within the arrears window
	r := settle(t, c.topUp("16800"))
	if len(r.Coverage) != 1 || !r.Coverage[0].From.Equal(end.AddDate(0, 0, 1)) {
		t.Fatalf("in arrears: %+v (end %s)", r, end)
	}
	c.flush()

	clock.Set(t, start.AddDate(0, 7, 0)) // the membership ended
	if r := settle(t, c.topUp("sa:20000")); len(r.Coverage) != 0 {
		t.Fatalf("after the window: %+v", r)
	}
	must(t, lastText(c.flush()), "Saldo sekarang Rp20.000", "sudah berhenti lebih dari 3 bulan", "/bayar")
}
