package flows_test

import (
	"context"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/roster"
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
	if _, err := testDB.ImportChunk(ctx, b, []roster.Worker{w}, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	if _, err := testDB.PayBatch(ctx, b.ID, "SP2D-1", "test", flows.DefaultConfig().Location, nil); err != nil {
		t.Fatal(err)
	}
	c := newAgentChat(t, "")
	must(t, c.text("/start "+flows.SponsorPrefix+b.ClaimToken), "dibayar oleh Pemprov Kalimantan Barat", "Ketik NIK Anda")
	c.text(n)
	c.text("Rahmat Hidayat")
	got := lastText(c.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "081377700012", UserID: c.id}}))
	must(t, got, "Iuran Anda dibayar oleh Pemprov Kalimantan Barat sampai 31 Desember 2027", "sekarang tertaut")
	must(t, c.press("cc:yes"), "Terima kasih")
	must(t, c.text("/status"), "Rahmat Hidayat")
	// A poster link that does not exist.
	other := newAgentChat(t, "")
	must(t, other.send(flows.Event{Kind: flows.KindText, Text: "/start " + flows.SponsorPrefix + "nope"})[0].Text, "tidak berlaku lagi")
}
