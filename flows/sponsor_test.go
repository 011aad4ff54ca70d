package flows_test

import (
	"context"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/store"
)

// A worker of a sponsor's batch links their chat from the poster's link and
// sees who pays until when.
func TestSponsoredWorkerClaims(t *testing.T) {
	ctx := context.Background()
	n := freshNIK()
	b, _, err := testDB.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemprov Kalimantan Barat", FileName: "pekerja.csv", FileSHA: "sha-" + n,
		Months: 12, Start: time.Date(2027, 1, 1, 0, 0, 0, 0, flows.DefaultConfig().Location), CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	w := roster.Worker{Line: 2, NIK: n, Name: "Rahmat Hidayat", BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true,
		Phone: "+6281377700012", Province: "61", Regency: "61.71", District: "61.71.05", Village: "61.71.05.1001", Occupation: "petani"}
	if _, err := sponsor.ImportChunk(ctx, testDB, b, []roster.Worker{w}, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	if _, err := flows.PaySponsorBatch(ctx, testDB, b.ID, "SP2D-1", "test", iuran.Default(), nil, flows.DefaultConfig().Location, testDB.Now, nil); err != nil {
		t.Fatal(err)
	}
	c := newAgentChat(t, "")
	must(t, c.text("/start "+flows.SponsorPrefix+b.ClaimToken), "dibayar oleh Pemprov Kalimantan Barat", "Ketik NIK Anda")
	c.text(n)
	c.text("Rahmat Hidayat")
	c.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "081377700012", UserID: c.id}})
	got := c.said()
	must(t, got, "Iuran Anda dibayar oleh Pemprov Kalimantan Barat sampai 31 Desember 2027", "sekarang tersambung")
	must(t, c.press("cc:yes"), "Terima kasih")
	must(t, c.text("/status"), "Rahmat Hidayat")

	// JHT at their own cost: the sponsor keeps JKK and JKM.
	must(t, c.text("/bayar"), "Iuran JKK dan JKM Anda dibayar Pemprov Kalimantan Barat", "Rp20.000 per bulan")
	for _, ch := range c.choices() {
		if ch.Data == "pm:sub" {
			t.Errorf("a langganan is offered for a sponsored registration")
		}
	}
	must(t, c.press("pm:3"), "Rp60.000")
	c.press("pb:bca")
	var p struct {
		OrderID string `db:"order_id"`
		Amount  int64  `db:"amount"`
		JKK     int64  `db:"jkk"`
		JHT     int64  `db:"jht"`
	}
	if err := testDB.SQL().Get(&p, `SELECT p.order_id, p.amount, i.jkk, i.jht FROM payments p JOIN payment_items i ON i.payment_id = p.id
		WHERE p.payer_ref = $1`, "test:"+c.id); err != nil {
		t.Fatal(err)
	}
	if p.Amount != 60000 || p.JKK != 0 || p.JHT != 60000 {
		t.Fatalf("JHT payment %+v", p)
	}
	var before string
	testDB.SQL().Get(&before, `SELECT covered_to::text FROM registrations WHERE sponsor_batch_id = $1`, b.ID)
	res, err := flows.ApplyPayment(ctx, testDB, payments.Notification{Provider: sandboxPay.Name(), OrderID: p.OrderID, Status: payments.Paid,
		Amount: 60000, PaidAt: clock.Now()}, flows.DefaultConfig().Location, testDB.Now, c.e)
	if err != nil || res.Outcome != flows.PaymentApplied {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	must(t, lastText(c.flush()[:1]), "Iuran JHT Rahmat Hidayat untuk 3 bulan sudah kami terima")
	var after struct {
		To      string `db:"covered_to"`
		JHTSelf bool   `db:"jht_self"`
		JHT     bool   `db:"jht"`
	}
	testDB.SQL().Get(&after, `SELECT covered_to::text, jht_self, jht FROM registrations WHERE sponsor_batch_id = $1`, b.ID)
	if after.To != before || !after.JHTSelf || after.JHT {
		t.Errorf("after the JHT payment: %+v (coverage was %s)", after, before)
	}
	// A poster link that does not exist.
	other := newAgentChat(t, "")
	must(t, other.send(flows.Event{Kind: flows.KindText, Text: "/start " + flows.SponsorPrefix + "nope"})[0].Text, "tidak berlaku lagi")
}
