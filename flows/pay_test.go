package flows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

func TestPayByVirtualAccountAndConfirm(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	must(t, c.press("rv:ok"), "Rp16.800 per bulan", "berapa bulan") // straight on to paying
	must(t, c.last[0].Text, "Nomor pendaftaran: LD", "setelah iuran pertama dibayar")
	labels := []string{}
	for _, ch := range c.choices() {
		labels = append(labels, ch.Label)
	}
	must(t, strings.Join(labels, "|"), "1 bulan Rp16.800", "3 bulan Rp50.400", "6 bulan Rp100.800", "12 bulan Rp201.600")
	must(t, c.text("5"), "Mohon pilih 1, 3, 6, atau 12 bulan")
	must(t, c.press("pm:3"), "Total Rp50.400 untuk 3 bulan", "bank atau toko apa")
	must(t, c.text("/kembali"), "berapa bulan")
	c.press("pm:3")
	must(t, c.press("BCA"), "Ada lagi")
	must(t, c.last[0].Text, "Bayar Rp50.400 (3 bulan, Siti Aminah)", "nomor bayar BCA", "BCA mobile")

	var p struct {
		OrderID string `db:"order_id"`
		VA      string `db:"va_number"`
		Amount  int64  `db:"amount"`
		Status  string `db:"status"`
	}
	if err := testDB.SQL().Get(&p, `SELECT order_id, va_number, amount, status FROM payments WHERE payer_ref = $1`, "test:"+c.id); err != nil {
		t.Fatal(err)
	}
	if p.Amount != 50400 || p.Status != "pending" || !strings.Contains(c.last[0].Text, p.VA) || len(p.VA) != 16 {
		t.Fatalf("payment %+v, reply %q", p, c.last[0].Text)
	}
	must(t, c.text("/status"), "menunggu pembayaran iuran", "Nomor bayar BCA "+p.VA+" (Rp50.400), berlaku sampai")

	// The bank's notification arrives: the confirmation is queued for the chat in the same transaction.
	n := payments.Notification{Provider: sandboxPay.Name(), OrderID: p.OrderID, Status: payments.Paid, Amount: 50400, PaidAt: clock.Now()}
	r, err := flows.ApplyPayment(context.Background(), testDB, n, flows.DefaultConfig().Location, testDB.Now, env.Engine(flows.DefaultConfig()))
	if err != nil || r.Outcome != flows.PaymentApplied {
		t.Fatalf("apply: %+v, %v", r, err)
	}
	confirm := c.flush()
	if len(confirm) != 2 || confirm[1].Photo != flows.CardPhoto(strings.SplitN(p.OrderID, "-", 3)[0]+"-"+strings.SplitN(p.OrderID, "-", 3)[1]) {
		t.Fatalf("confirmation: %+v", confirm)
	}
	today := clock.Now().In(flows.DefaultConfig().Location)
	from := time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, time.UTC)
	must(t, confirm[0].Text, "Iuran Siti Aminah sudah kami terima", "Terlindungi "+cat.Date("id", from))
	must(t, c.text("/status"), "terlindungi (iuran sudah dibayar)", "Terlindungi "+cat.Date("id", from), "Bayar iuran berikutnya paling lambat", "KPJ: menyusul",
		"Dibayar "+cat.Date("id", today)+": Rp50.400 untuk 3 bulan")
	c.text("/kartu")
	if len(c.last) != 2 || !strings.HasPrefix(c.last[0].Photo, "card:LD") {
		t.Errorf("/kartu: %+v", c.last)
	}
}

func TestPayWithoutRegistration(t *testing.T) {
	c := newChat(t)
	must(t, c.text("/bayar"), "Belum ada pendaftaran yang bisa dibayar")
	must(t, c.text("/kartu"), "Kartu Anda ada setelah iuran pertama dibayar")
	c.text("halo")
	must(t, c.text("/bayar"), "Selesaikan dulu pendaftaran ini", "Setuju?")
}

func TestReminderButtonWorksAnywhere(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	rs := env.Engine(flows.DefaultConfig()).ReminderReplies("id", flows.Reminder{Kind: flows.RemindBefore, Name: "siti aminah", Ref: "LD", DaysLeft: 3,
		End: time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC)})
	must(t, rs[0].Text, "Perlindungan Siti Aminah berakhir 3 hari lagi (28 Februari 2027)")
	c.text("/status") // the chat is somewhere else when the reminder's button is pressed
	must(t, lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: rs[0].Choices[0].Data})), "berapa bulan")
}

func TestUnfinishedRegistrationIsNudgedOnce(t *testing.T) {
	c := newChat(t)
	e := env.Engine(flows.DefaultConfig())
	run := func() {
		t.Helper()
		if _, err := flows.RunNudges(context.Background(), testDB, 100, testDB.Now, flows.NudgeAfter, e.DraftTTL(), e.NudgeReplies); err != nil {
			t.Fatal(err)
		}
	}
	c.text("halo")
	c.press("cs:yes")
	clock.Add(24 * time.Hour)
	c.text(freshNIK()) // touched a day later: the nudge moves
	clock.Add(2*24*time.Hour + time.Hour)
	run()
	if got := c.flush(); len(got) != 0 {
		t.Fatalf("nudged though touched a day ago: %+v", got)
	}
	clock.Add(24 * time.Hour)
	run()
	run()
	got := c.flush()
	if len(got) != 1 {
		t.Fatalf("%d nudges", len(got))
	}
	must(t, got[0].Text, "Pendaftaran BPJS Ketenagakerjaan Anda belum selesai", "dihapus pada")
	must(t, lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: got[0].Choices[0].Data})), "sedang mengisi pendaftaran", "Ketik nama lengkap")
}

func TestSubscriptionMakesTheNextInvoice(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	c.press("pm:sub")
	c.press("pb:bni")
	must(t, c.last[0].Text, "Rp16.800 (1 bulan", "tiap bulan kami kirim nomor bayar")
	var order string
	testDB.SQL().Get(&order, `SELECT order_id FROM payments WHERE payer_ref = $1`, "test:"+c.id)
	e := env.Engine(flows.DefaultConfig())
	loc := flows.DefaultConfig().Location
	r, err := flows.ApplyPayment(context.Background(), testDB, payments.Notification{Provider: sandboxPay.Name(), OrderID: order,
		Status: payments.Paid, Amount: 16800, PaidAt: clock.Now()}, loc, testDB.Now, e)
	if err != nil || r.Outcome != flows.PaymentApplied {
		t.Fatalf("apply: %+v %v", r, err)
	}
	c.flush()
	// A week before the end, the reminder is the next invoice.
	end := r.Coverage[0].To
	clock.Add(end.Sub(clock.Now()) - 7*24*time.Hour + 12*time.Hour)
	if _, err := flows.RunReminders(context.Background(), testDB, 1000, loc, e.ReminderReplies, e.RenewalInvoice); err != nil {
		t.Fatal(err)
	}
	got := c.flush()
	if len(got) != 1 {
		t.Fatalf("%d messages a week before the end: %+v", len(got), got)
	}
	must(t, got[0].Text, "Perlindungan Siti Aminah berakhir", "nomor bayar BNI", "Rp16.800 (1 bulan")
	var pending int
	testDB.SQL().Get(&pending, `SELECT count(*) FROM payments WHERE payer_ref = $1 AND status = 'pending'`, "test:"+c.id)
	if pending != 1 {
		t.Errorf("%d pending invoices after the renewal", pending)
	}
	must(t, c.text("/stoplangganan"), "nomor bayar tidak lagi kami kirim tiap bulan")
	must(t, c.text("/stoplangganan"), "tidak ada yang perlu dihentikan")
}

func TestPayAtAMinimarket(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	c.press("pm:1")
	must(t, c.text("gopay"), "Mohon tekan salah satu pilihan")
	c.press("Indomaret")
	must(t, c.last[0].Text, "di kasir Indomaret dengan nomor bayar", "pembayaran Midtrans")
}

func TestPayWithQRIS(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	c.press("pm:1")
	c.press("QRIS")
	must(t, c.last[0].Text, "dengan QRIS: pindai gambar ini", "Scan/QRIS")
	if !strings.HasPrefix(c.last[0].Photo, "qris:LD") {
		t.Fatalf("QRIS reply has no QR picture: %+v", c.last[0])
	}
	var q string
	testDB.SQL().Get(&q, `SELECT qr_string FROM payments WHERE order_id = $1`, strings.TrimPrefix(c.last[0].Photo, "qris:"))
	if !strings.HasPrefix(q, "000201") || payments.CheckQRString(q) != nil {
		t.Errorf("stored QRIS payload %q", q)
	}
}

// downPayer is a provider that fails (502) until it is back, counting calls.
type downPayer struct {
	back  bool
	calls int
}

func (d *downPayer) Create(ctx context.Context, inv payments.Invoice) (payments.Instruction, error) {
	d.calls++
	if !d.back {
		return payments.Instruction{}, &payments.Error{Provider: "midtrans", Op: "charge", Kind: payments.Transient, HTTPStatus: 502,
			Err: errors.New("502 Bad Gateway")}
	}
	return sandboxPay.Create(ctx, inv)
}

// While the provider fails, a chat asking for a code is told to try again
// and keeps its question; after three failures the provider is left alone
// for a while (no connection held waiting for it), then tried again.
func TestPayWhileTheProviderIsDown(t *testing.T) {
	down := &downPayer{}
	engine := flows.New(flows.Deps{Store: env.DB, Catalog: env.Catalog, Regions: env.Regions, Tariffs: env.Tariffs, Now: env.Now,
		Log: env.Log, Payer: down}, flows.DefaultConfig())
	var chats []*chat
	for range 4 {
		c := newChat(t)
		c.e = engine
		c.toReview(freshNIK())
		c.press("rv:ok")
		must(t, c.press("pm:1"), "bank atau toko apa")
		chats = append(chats, c)
	}
	for i, c := range chats {
		must(t, c.press("BCA"), "nomor bayar belum bisa dibuat sekarang", "bank atau toko apa")
		if want := min(i+1, 3); down.calls != want {
			t.Fatalf("after %d tries the provider was called %d times, want %d", i+1, down.calls, want)
		}
	}
	down.back = true
	must(t, chats[3].press("BCA"), "nomor bayar belum bisa dibuat sekarang") // still within the break
	clock.Add(31 * time.Second)
	must(t, chats[3].press("BCA"), "Ada lagi")
	must(t, chats[3].last[0].Text, "nomor bayar BCA")
	must(t, chats[0].press("BCA"), "Ada lagi")
	if down.calls != 5 {
		t.Errorf("the provider was called %d times, want 5", down.calls)
	}
}
