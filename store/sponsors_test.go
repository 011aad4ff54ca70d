package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/store"
)

func rosterWorker(line int, nik string) roster.Worker {
	return roster.Worker{Line: line, NIK: nik, Name: "Pekerja", BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true,
		Province: "61", Regency: "61.72", District: "61.72.01", Village: "61.72.01.1001", Occupation: "nelayan"}
}

func TestImportClassifiesRegisteredNIKs(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	unpaid := register(t, db)    // registered by the worker, never paid
	active := register(t, db)    // registered and paid
	sponsored := register(t, db) // another sponsor pays for it
	niks := map[string]string{}
	for _, ref := range []string{unpaid, active, sponsored} {
		niks[ref] = nikByRef(t, db, ref)
	}
	db.SQL().MustExec(`UPDATE registrations SET covered_from = $2::date, covered_to = $2::date + 30, status = 'aktif' WHERE ref = $1`, active, today())

	other, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemkab Sambas", FileName: "a.csv", FileSHA: "other-" + sponsored, Months: 12, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sponsor.ImportChunk(ctx, db, other, []roster.Worker{rosterWorker(2, niks[sponsored])}, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	b, created, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemprov Kalimantan Barat", FileName: "b.csv", FileSHA: "mine-" + sponsored, Months: 6, CreatedBy: "test"})
	if err != nil || !created {
		t.Fatalf("open: %v, created %v", err, created)
	}
	fresh := fmt.Sprintf("6172014508%06d", clock.Now().UnixNano()%1e6)
	chunk := []roster.Worker{rosterWorker(2, niks[unpaid]), rosterWorker(3, niks[active]), rosterWorker(4, niks[sponsored]), rosterWorker(5, fresh)}
	res, err := sponsor.ImportChunk(ctx, db, b, chunk, iuran.Default())
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]sponsor.Outcome{}
	for _, n := range res.Notes {
		got[n.Line] = n.Outcome
	}
	if res.Imported != 1 || res.Attached != 1 || got[2] != sponsor.Attach || got[3] != sponsor.Active || got[4] != sponsor.Other {
		t.Fatalf("result %+v", res)
	}
	// Re-run: the new one and the attached one are this batch's now.
	res, err = sponsor.ImportChunk(ctx, db, b, chunk, iuran.Default())
	if err != nil || res.Imported != 0 || res.Attached != 0 {
		t.Fatalf("re-run: %+v, %v", res, err)
	}
	for _, n := range res.Notes {
		want := map[int]sponsor.Outcome{2: sponsor.Already, 3: sponsor.Active, 4: sponsor.Other, 5: sponsor.Already}[n.Line]
		if n.Outcome != want {
			t.Errorf("re-run line %d: %s, want %s", n.Line, n.Outcome, want)
		}
	}
	again, created, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemprov Kalimantan Barat", FileName: "b.csv", FileSHA: "mine-" + sponsored, Months: 6, CreatedBy: "test"})
	if err != nil || created || again.ID != b.ID || again.Imported != 1 || again.Attached != 1 || again.Workers != 2 {
		t.Fatalf("the same file again: %+v, created %v, %v", again, created, err)
	}
	n, err := flows.PaySponsorBatch(ctx, db, b.ID, "SP2D-7", "test", iuran.Default(), nil, time.UTC, db.Now, nil)
	if err != nil || n != 2 {
		t.Fatalf("pay: %d, %v", n, err)
	}
	var st struct {
		Status string `db:"status"`
		To     string `db:"covered_to"`
	}
	db.SQL().Get(&st, `SELECT status, covered_to::text FROM registrations WHERE ref = $1`, unpaid)
	if st.Status != "aktif" || st.To == "" {
		t.Errorf("the attached registration after payment: %+v", st)
	}
	// The worker registered themselves: paid by the sponsor now, in the batch's items.
	var items int
	db.SQL().Get(&items, `SELECT count(*) FROM payment_items i JOIN payments p ON p.id = i.payment_id WHERE p.payer_kind = 'sponsor' AND p.payer_ref = 'batch:' || $1`, b.ID)
	if items != 2 {
		t.Errorf("%d items in the sponsor's payment", items)
	}
}

// ImportRows tells decide, inside its transaction, what the NIKs registered
// already are, and gives the batch exactly the registrations of the lines
// decide returns, nothing else.
func TestImportRowsAttachesWhatDecideReturns(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	kept, taken := register(t, db), register(t, db) // unpaid, both: decide takes only one
	active, sponsored := register(t, db), register(t, db)
	db.SQL().MustExec(`UPDATE registrations SET covered_from = $2::date, covered_to = $2::date, status = 'aktif' WHERE ref = $1`, active, today())
	other, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemkab Sanggau", FileName: "a.csv", FileSHA: fmt.Sprint("decide-other-", clock.Now().UnixNano()),
		Months: 12, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sponsor.ImportChunk(ctx, db, other, []roster.Worker{rosterWorker(2, nikByRef(t, db, sponsored))}, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	b, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemkab Sekadau", FileName: "b.csv", FileSHA: fmt.Sprint("decide-", clock.Now().UnixNano()),
		Months: 3, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	fresh := fmt.Sprintf("6172014508%06d", (clock.Now().UnixNano()/13)%1e6)
	var rows []sponsor.Row
	for i, nik := range []string{nikByRef(t, db, kept), nikByRef(t, db, taken), nikByRef(t, db, active), nikByRef(t, db, sponsored), fresh} {
		rows = append(rows, sponsor.NewRow(rosterWorker(i+2, nik), iuran.Default(), false))
	}
	tests := []struct {
		name   string
		attach []int
		want   []sponsor.Existing
		stored sponsor.Stored
	}{
		{"first run", []int{3}, []sponsor.Existing{{Line: 2}, {Line: 3}, {Line: 4, Protected: true}, {Line: 5, OtherBatch: true}},
			sponsor.Stored{Imported: 1, Attached: 1}},
		{"re-run", nil, []sponsor.Existing{{Line: 2}, {Line: 3, ThisBatch: true}, {Line: 4, Protected: true}, {Line: 5, OtherBatch: true},
			{Line: 6, ThisBatch: true}}, sponsor.Stored{}},
	}
	for _, tt := range tests {
		var got []sponsor.Existing
		stored, err := db.ImportRows(ctx, b, rows, func(found []sponsor.Existing) []int {
			got = found
			return tt.attach
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || stored != tt.stored {
			t.Errorf("%s: decide got %+v, stored %+v; want %+v, %+v", tt.name, got, stored, tt.want, tt.stored)
		}
	}
	for ref, want := range map[string]int64{kept: 0, taken: b.ID, active: 0, sponsored: other.ID} {
		var batch int64
		db.SQL().Get(&batch, `SELECT coalesce(sponsor_batch_id, 0) FROM registrations WHERE ref = $1`, ref)
		if batch != want {
			t.Errorf("%s: batch %d, want %d", ref, batch, want)
		}
	}
	var audits int
	db.SQL().Get(&audits, `SELECT count(*) FROM audit_log WHERE action = 'sponsor:attach' AND detail = 'batch=' || $1`, b.ID)
	if audits != 1 {
		t.Errorf("%d attachments audited, want 1", audits)
	}
}

// nikByRef opens a registration's sealed NIK.
func nikByRef(t *testing.T, db *store.DB, ref string) string {
	t.Helper()
	var sealed []byte
	if err := db.SQL().Get(&sealed, `SELECT nik_sealed FROM registrations WHERE ref = $1`, ref); err != nil {
		t.Fatal(err)
	}
	nik, err := testVault(t).OpenString(sealed)
	if err != nil {
		t.Fatal(err)
	}
	return nik
}

// A sponsor's invoice through the payment provider: its settlement protects
// the whole batch at once, from the agreement's start, and only once.
func TestBatchInvoiceSettles(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	b, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "CSR Bank Kalbar", FileName: "c.csv", FileSHA: fmt.Sprintf("inv-%d", clock.Now().UnixNano()),
		Months: 3, Start: time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var ws []roster.Worker
	for i := range 3 {
		ws = append(ws, rosterWorker(i+2, fmt.Sprintf("6172014508%06d", (clock.Now().UnixNano()+int64(i))%1e6)))
	}
	if _, err := sponsor.ImportChunk(ctx, db, b, ws, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	prices, due := batchDue(t, db, b.ID)
	if due != 3*3*16800 {
		t.Fatalf("due %d", due)
	}
	order := fmt.Sprintf("SP%d-test", b.ID)
	ins := payments.Instruction{Provider: "sandbox", OrderID: order, Bank: payments.BNI, VANumber: "8808000000000001", Amount: due}
	if err := db.InvoiceBatch(ctx, b.ID, payments.Instruction{Provider: "sandbox", OrderID: order + "x", Bank: payments.BNI, Amount: due - 1}, prices, "test"); err == nil {
		t.Fatal("a code for the wrong amount was recorded")
	}
	if err := db.InvoiceBatch(ctx, b.ID, ins, prices, "test"); err != nil {
		t.Fatal(err)
	}
	n := payments.Notification{Provider: "sandbox", OrderID: order, Status: payments.Paid, Amount: due, PaidAt: clock.Now()}
	res, err := flows.ApplyPayment(ctx, db, n, time.UTC, db.Now, nil)
	if err != nil || res.Outcome != flows.PaymentApplied || len(res.Coverage) != 3 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	for _, c := range res.Coverage {
		if c.From.Format(time.DateOnly) != "2027-02-01" || c.To.Format(time.DateOnly) != "2027-04-30" {
			t.Errorf("coverage %v – %v, want February to April 2027", c.From, c.To)
		}
	}
	if res, err := flows.ApplyPayment(ctx, db, n, time.UTC, db.Now, nil); err != nil || res.Outcome != flows.PaymentUnchanged {
		t.Errorf("the same notification again: %+v, %v", res, err)
	}
	got, err := db.BatchByID(ctx, b.ID)
	if err != nil || got.PaidAt.IsZero() || got.PaymentRef != order {
		t.Errorf("batch after payment: %+v, %v", got, err)
	}
}

// Paid by transfer and then through a late invoice too: the invoice covers
// nobody again (flagged), nobody's coverage moves. Workers added after the
// payment, and a worker attached in arrears, are paid for by the next payment.
func TestBatchPaidTwiceAndLateWorkers(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	b, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemdes Sungai Ambawang", FileName: "d.csv", FileSHA: fmt.Sprintf("twice-%d", clock.Now().UnixNano()),
		Months: 1, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	nik := func(i int) string { return fmt.Sprintf("6172014508%06d", (clock.Now().UnixNano()/1000+int64(i))%1e6) }
	if _, err := sponsor.ImportChunk(ctx, db, b, []roster.Worker{rosterWorker(2, nik(1)), rosterWorker(3, nik(2))}, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	order := fmt.Sprintf("SP%d-late", b.ID)
	prices, due := batchDue(t, db, b.ID)
	if err := db.InvoiceBatch(ctx, b.ID, payments.Instruction{Provider: "sandbox", OrderID: order, Bank: payments.BNI, VANumber: "1", Amount: due}, prices, "test"); err != nil {
		t.Fatal(err)
	}
	if err := db.InvoiceBatch(ctx, b.ID, payments.Instruction{Provider: "sandbox", OrderID: order + "2", Bank: payments.BNI, VANumber: "2", Amount: due}, prices, "test"); err == nil {
		t.Error("a second invoice while one is open")
	}
	if n, err := flows.PaySponsorBatch(ctx, db, b.ID, "SP2D-1", "test", iuran.Default(), nil, time.UTC, db.Now, nil); err != nil || n != 2 {
		t.Fatalf("pay: %d, %v", n, err)
	}
	var before string
	db.SQL().Get(&before, `SELECT string_agg(covered_to::text, ',') FROM registrations WHERE sponsor_batch_id = $1`, b.ID)
	res, err := flows.ApplyPayment(ctx, db, payments.Notification{Provider: "sandbox", OrderID: order, Status: payments.Paid, Amount: due,
		PaidAt: clock.Now().AddDate(0, 0, 10)}, time.UTC, db.Now, nil)
	if err != nil || res.Outcome != flows.PaymentFlagged {
		t.Fatalf("the late invoice: %+v, %v", res, err)
	}
	var after string
	db.SQL().Get(&after, `SELECT string_agg(covered_to::text, ',') FROM registrations WHERE sponsor_batch_id = $1`, b.ID)
	if after != before {
		t.Errorf("coverage moved from %s to %s", before, after)
	}
	// A later worker, and one who lapsed long ago, are waiting: the next payment covers just them.
	if _, err := sponsor.ImportChunk(ctx, db, b, []roster.Worker{rosterWorker(4, nik(3))}, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	lapsed := register(t, db)
	db.SQL().MustExec(`UPDATE registrations SET covered_from = '2020-01-01', covered_to = '2020-01-31', status = 'aktif', sponsor_batch_id = $2 WHERE ref = $1`, lapsed, b.ID)
	if n, err := flows.PaySponsorBatch(ctx, db, b.ID, "SP2D-2", "test", iuran.Default(), nil, time.UTC, db.Now, nil); err != nil || n != 2 {
		t.Fatalf("the second payment covered %d, %v", n, err)
	}
	if n, err := flows.PaySponsorBatch(ctx, db, b.ID, "SP2D-3", "test", iuran.Default(), nil, time.UTC, db.Now, nil); err != nil || n != 0 {
		t.Errorf("a third payment with nobody waiting covered %d, %v", n, err)
	}
}

// A chunk with the same NIK twice (the caller is meant to drop duplicates,
// the store does not rely on it): the fast insert fails on the unique NIK and
// the row-by-row one keeps the first; the second reads as imported before.
func TestImportChunkDuplicateNIKInChunk(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	b, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemkab Mempawah", FileName: "d.csv", FileSHA: fmt.Sprint("dup-", clock.Now().UnixNano()), Months: 3, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	nik := fmt.Sprintf("6172014508%06d", (clock.Now().UnixNano()/7)%1e6)
	res, err := sponsor.ImportChunk(ctx, db, b, []roster.Worker{rosterWorker(2, nik), rosterWorker(3, nik)}, iuran.Default())
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1 || len(res.Notes) != 1 || res.Notes[0].Outcome != sponsor.Already {
		t.Fatalf("result %+v", res)
	}
	var n int
	db.SQL().Get(&n, `SELECT count(*) FROM registrations WHERE sponsor_batch_id = $1`, b.ID)
	if n != 1 {
		t.Fatalf("%d registrations in the batch", n)
	}
}

// A worker registering in chat while the import runs: their registration is
// not committed when the import looks for known NIKs, so the fast insert
// waits for it and then fails; the import takes the row-by-row way and
// treats the NIK as registered before (here unpaid, so the batch now pays).
func TestImportChunkRacesChatRegistration(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	b, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemkab Landak", FileName: "r.csv", FileSHA: fmt.Sprint("race-", clock.Now().UnixNano()), Months: 3, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	racing := fmt.Sprintf("6172014508%06d", (clock.Now().UnixNano()/3)%1e6)
	other := fmt.Sprintf("6172015508%06d", (clock.Now().UnixNano()/5)%1e6)
	chat := db.SQL().MustBegin()
	defer chat.Rollback() //nolint:errcheck
	ref := fmt.Sprint("LRACE", clock.Now().UnixNano())
	chat.MustExec(`INSERT INTO registrations (ref, channel, chat_id, nik_hash, status, created_at, updated_at)
		VALUES ($1, 'telegram', $1, $2, 'menunggu_pembayaran', now(), now())`, ref, testVault(t).Hash("nik", racing))

	type outcome struct {
		res sponsor.Chunk
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := sponsor.ImportChunk(ctx, db, b, []roster.Worker{rosterWorker(2, other), rosterWorker(3, racing)}, iuran.Default())
		done <- outcome{res, err}
	}()
	// Let the chat's transaction commit only once the import waits for it.
	for waited := 0; ; waited++ {
		var n int
		db.SQL().Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'transactionid'`)
		if n > 0 {
			break
		}
		if waited == 1000 {
			t.Fatal("the import never waited for the chat's registration")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := chat.Commit(); err != nil {
		t.Fatal(err)
	}
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.res.Imported != 1 || o.res.Attached != 1 || len(o.res.Notes) != 1 || o.res.Notes[0].Line != 3 || o.res.Notes[0].Outcome != sponsor.Attach {
		t.Fatalf("result %+v", o.res)
	}
	var batch int64
	db.SQL().Get(&batch, `SELECT coalesce(sponsor_batch_id, 0) FROM registrations WHERE ref = $1`, ref)
	if batch != b.ID {
		t.Fatalf("the chat's registration has batch %d, want %d", batch, b.ID)
	}
}

// A worker pays for themselves while the sponsor's invoice is open: the
// invoice's settlement covers the others, leaves that worker's own coverage
// alone, and flags the payment with that worker's share for a refund. A
// worker erased at their request meanwhile stays erased, and their share
// is flagged too.
func TestBatchInvoiceFlagsWorkersPaidMeanwhile(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	b, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemkab Bengkayang", FileName: "e.csv", FileSHA: fmt.Sprintf("meanwhile-%d", clock.Now().UnixNano()),
		Months: 3, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var ws []roster.Worker
	for i := range 4 {
		ws = append(ws, rosterWorker(i+2, fmt.Sprintf("6172014508%06d", (clock.Now().UnixNano()/11+int64(i))%1e6)))
	}
	if _, err := sponsor.ImportChunk(ctx, db, b, ws, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	prices, due := batchDue(t, db, b.ID)
	order := fmt.Sprintf("SP%d-meanwhile", b.ID)
	if err := db.InvoiceBatch(ctx, b.ID, payments.Instruction{Provider: "sandbox", OrderID: order, Bank: payments.BNI, VANumber: "3", Amount: due}, prices, "test"); err != nil {
		t.Fatal(err)
	}
	// The worker of line 3 paid their own iuran meanwhile.
	self := fmt.Sprintf("LS%d-3", b.ID)
	db.SQL().MustExec(`UPDATE registrations SET covered_from = $2::date, covered_to = $2::date + 29, status = 'aktif' WHERE ref = $1`, self, today())
	var before string
	db.SQL().Get(&before, `SELECT covered_to::text FROM registrations WHERE ref = $1`, self)
	// The worker of line 5 claimed their chat, then asked to be forgotten.
	erased := fmt.Sprintf("LS%d-5", b.ID)
	u := newUser(db, "sponsored")
	db.SQL().MustExec(`UPDATE registrations SET channel = $2, chat_id = $3 WHERE ref = $1`, erased, u.channel, u.id)
	must(t, u.do(func(ctx context.Context, tx flows.Tx) error { _, err := tx.Forget(ctx); return err }))

	res, err := flows.ApplyPayment(ctx, db, payments.Notification{Provider: "sandbox", OrderID: order, Status: payments.Paid, Amount: due, PaidAt: clock.Now()}, time.UTC, db.Now, nil)
	if err != nil || res.Outcome != flows.PaymentFlagged || len(res.Coverage) != 2 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	var st struct {
		Status string `db:"status"`
		Token  bool   `db:"token"`
	}
	db.SQL().Get(&st, `SELECT status, verify_token IS NOT NULL AS token FROM registrations WHERE ref = $1`, erased)
	if st.Status != "dihapus" || st.Token {
		t.Errorf("the erased worker after the sponsor's payment: %+v", st)
	}
	if left, _ := db.PendingFor(ctx, u.channel, u.id); len(left) != 0 {
		t.Errorf("the erased worker's chat was sent %d messages", len(left))
	}
	var after string
	db.SQL().Get(&after, `SELECT covered_to::text FROM registrations WHERE ref = $1`, self)
	if after != before {
		t.Errorf("the self-paying worker's coverage moved from %s to %s", before, after)
	}
	var flag, detail string
	db.SQL().Get(&flag, `SELECT flag FROM payments WHERE order_id = $1`, order)
	db.SQL().Get(&detail, `SELECT e.detail FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1 AND e.kind = 'flagged'`, order)
	share := due / 4
	if flag != store.FlagPaidTwice || !strings.Contains(detail, "2 of the invoice's workers") || !strings.Contains(detail, fmt.Sprint(2*share)) ||
		!strings.Contains(detail, self) || !strings.Contains(detail, erased) {
		t.Errorf("flag %q, detail %q (the share is %d)", flag, detail, share)
	}
	pays, err := db.BatchPayments(ctx, b.ID)
	if err != nil || len(pays) != 1 || pays[0].OrderID != order || pays[0].Flag != store.FlagPaidTwice || pays[0].Note != detail ||
		pays[0].Workers != 4 || pays[0].PaidAt.IsZero() {
		t.Errorf("the batch's payments: %+v, %v", pays, err)
	}
}

// today is the store's default clock's date in WIB, for SQL that sets dates
// the way the store would on this day.
func today() string { return clock.Now().In(wib).Format(time.DateOnly) }

// batchDue is what a batch's waiting workers cost at the table's full price.
func batchDue(t *testing.T, db *store.DB, id int64) ([]sponsor.Price, int64) {
	t.Helper()
	b, waiting, err := db.BatchWaiting(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	prices, due, err := sponsor.Prices(iuran.Default(), nil, b, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), waiting)
	if err != nil {
		t.Fatal(err)
	}
	return prices, due
}
