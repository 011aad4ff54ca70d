package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
)

var wib = time.FixedZone("WIB", 7*3600)

var regSeq struct {
	sync.Mutex
	n int
}

// register stores a registration awaiting payment and returns its reference.
func register(t *testing.T, db *store.DB) string {
	t.Helper()
	regSeq.Lock()
	regSeq.n++
	n := regSeq.n
	regSeq.Unlock()
	var ref string
	chat := fmt.Sprintf("pay-%d-%d", clock.Now().UnixNano(), n)
	err := db.Atomically(context.Background(), "t", chat, func(ctx context.Context, tx flows.Tx) error {
		var err error
		ref, err = tx.CreateRegistration(ctx, flows.Registration{NIK: fmt.Sprintf("61710545089%05d", 10000+n), Name: "Siti", Phone: "+6281234500001",
			BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true, Province: "61", Regency: "61.71", District: "61.71.05",
			Village: "61.71.05.1002", Occupation: "petani", Income: 1000000, MonthlyIuran: 16800})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func issue(t *testing.T, db *store.DB, order string, amount int64, items ...flows.PaymentLine) {
	t.Helper()
	_, err := db.CreatePayment(context.Background(), store.NewPayment{
		Instruction: payments.Instruction{Provider: "sandbox", OrderID: order, Bank: payments.BCA, VANumber: "1234500000000001", Amount: amount},
		PayerKind:   store.PayerWorker, PayerRef: "t:chat", Items: items,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func paid(order string, amount int64, at time.Time) payments.Notification {
	return payments.Notification{Provider: "sandbox", OrderID: order, Status: payments.Paid, Amount: amount, PaidAt: at, Raw: []byte(`{}`)}
}

func coverage(t *testing.T, db *store.DB, ref string) (from, to, status string) {
	t.Helper()
	err := db.SQL().QueryRow(`SELECT coalesce(covered_from::text, ''), coalesce(covered_to::text, ''), status FROM registrations WHERE ref = $1`, ref).
		Scan(&from, &to, &status)
	if err != nil {
		t.Fatal(err)
	}
	return from, to, status
}

func TestSettlementAppliedOnceUnderConcurrentDuplicates(t *testing.T) {
	db := open(t)
	ref := register(t, db)
	order := "ORD-" + ref
	issue(t, db, order, 50400, flows.PaymentLine{RegistrationRef: ref, Months: 3, JKK: 30000, JKM: 20400, Amount: 50400})
	settled := time.Date(2026, 11, 30, 14, 0, 0, 0, wib)
	var wg sync.WaitGroup
	results := make(chan flows.PaymentResult, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := flows.ApplyPayment(context.Background(), db, paid(order, 50400, settled), wib, db.Now, nil)
			if err != nil {
				t.Error(err)
			}
			results <- r
		}()
	}
	wg.Wait()
	close(results)
	applied := 0
	for r := range results {
		if r.Outcome == flows.PaymentApplied {
			applied++
			if len(r.Coverage) != 1 || r.Coverage[0].From.Format(time.DateOnly) != "2026-12-01" || r.Coverage[0].To.Format(time.DateOnly) != "2027-02-28" {
				t.Errorf("coverage %+v", r.Coverage)
			}
		}
	}
	if applied != 1 {
		t.Fatalf("the settlement was applied %d times", applied)
	}
	if from, to, status := coverage(t, db, ref); from != "2026-12-01" || to != "2027-02-28" || status != flows.StatusActive {
		t.Errorf("registration: %s – %s, %s", from, to, status)
	}
	var events int
	db.SQL().Get(&events, `SELECT count(*) FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1 AND kind = 'notification'`, order)
	if events != 5 {
		t.Errorf("%d notification events, want all 5 recorded", events)
	}
	// A late "pending" never moves the status back.
	r, err := flows.ApplyPayment(context.Background(), db, payments.Notification{Provider: "sandbox", OrderID: order, Status: payments.Pending, Amount: 50400}, wib, db.Now, nil)
	if err != nil || r.Outcome != flows.PaymentUnchanged || r.Status != payments.Paid {
		t.Errorf("pending after settlement: %+v, %v", r, err)
	}

	// A renewal paid before the end extends from the end.
	order2 := order + "-2"
	issue(t, db, order2, 16800, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
	r, err = flows.ApplyPayment(context.Background(), db, paid(order2, 16800, time.Date(2027, 2, 20, 9, 0, 0, 0, wib)), wib, db.Now, nil)
	if err != nil || r.Outcome != flows.PaymentApplied {
		t.Fatalf("renewal: %+v, %v", r, err)
	}
	if from, to, _ := coverage(t, db, ref); from != "2026-12-01" || to != "2027-03-31" {
		t.Errorf("after the renewal: %s – %s", from, to)
	}
}

func TestAmountMismatchIsFlagged(t *testing.T) {
	db := open(t)
	ref := register(t, db)
	order := "ORD-" + ref
	issue(t, db, order, 16800, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
	r, err := flows.ApplyPayment(context.Background(), db, paid(order, 16000, clock.Now()), wib, db.Now, nil)
	if err != nil || r.Outcome != flows.PaymentFlagged {
		t.Fatalf("%+v, %v", r, err)
	}
	if from, _, status := coverage(t, db, ref); from != "" || status != flows.StatusAwaitingPayment {
		t.Errorf("a mismatched payment gave coverage: %q %s", from, status)
	}
	var flag string
	db.SQL().Get(&flag, `SELECT flag FROM payments WHERE order_id = $1`, order)
	if flag != store.FlagAmountMismatch {
		t.Errorf("flag %q", flag)
	}
	// Security review L1: the invoiced amount settles after all: applied,
	// the flag cleared, its history kept.
	r, err = flows.ApplyPayment(context.Background(), db, paid(order, 16800, clock.Now()), wib, db.Now, nil)
	if err != nil || r.Outcome != flows.PaymentApplied {
		t.Fatalf("the right amount: %+v, %v", r, err)
	}
	db.SQL().Get(&flag, `SELECT flag FROM payments WHERE order_id = $1`, order)
	var kinds []string
	db.SQL().Select(&kinds, `SELECT kind FROM payment_events WHERE payment_id = (SELECT id FROM payments WHERE order_id = $1) ORDER BY id`, order)
	if flag != "" || !strings.Contains(strings.Join(kinds, ","), "flagged") || !strings.Contains(strings.Join(kinds, ","), "unflagged,applied") {
		t.Errorf("after the right amount: flag %q, events %v", flag, kinds)
	}
}

func TestSettlementAfterExpiryWins(t *testing.T) {
	db := open(t)
	ref := register(t, db)
	order := "ORD-" + ref
	issue(t, db, order, 16800, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
	r, err := flows.ApplyPayment(context.Background(), db, payments.Notification{Provider: "sandbox", OrderID: order, Status: payments.Expired, Amount: 16800}, wib, db.Now, nil)
	if err != nil || r.Outcome != flows.PaymentUpdated || r.Status != payments.Expired {
		t.Fatalf("expiry: %+v, %v", r, err)
	}
	r, err = flows.ApplyPayment(context.Background(), db, paid(order, 16800, time.Date(2026, 12, 31, 23, 30, 0, 0, wib)), wib, db.Now, nil)
	if err != nil || r.Outcome != flows.PaymentApplied {
		t.Fatalf("settlement after expiry: %+v, %v", r, err)
	}
	if from, to, _ := coverage(t, db, ref); from != "2027-01-01" || to != "2027-01-31" {
		t.Errorf("coverage %s – %s", from, to)
	}
	if _, err := flows.ApplyPayment(context.Background(), db, paid("nope", 1, clock.Now()), wib, db.Now, nil); !errors.Is(err, store.ErrUnknownPayment) {
		t.Errorf("unknown order: %v", err)
	}
}

func TestCreatePaymentChecksItems(t *testing.T) {
	db := open(t)
	ref := register(t, db)
	_, err := db.CreatePayment(context.Background(), store.NewPayment{
		Instruction: payments.Instruction{Provider: "sandbox", OrderID: "bad-" + ref, Bank: payments.BCA, Amount: 20000},
		PayerKind:   store.PayerWorker, PayerRef: "t:x", Items: []flows.PaymentLine{{RegistrationRef: ref, Months: 1, Amount: 16800}},
	})
	if err == nil {
		t.Fatal("items that do not add up were accepted")
	}
	_, err = db.CreatePayment(context.Background(), store.NewPayment{
		Instruction: payments.Instruction{Provider: "sandbox", OrderID: "ghost-" + ref, Bank: payments.BCA, Amount: 16800},
		PayerKind:   store.PayerWorker, PayerRef: "t:x", Items: []flows.PaymentLine{{RegistrationRef: "LD0000-NOPE00", Months: 1, Amount: 16800}},
	})
	if err == nil {
		t.Fatal("a payment for an unknown registration was accepted")
	}
}

// Money that arrives for a registration erased at the worker's request
// (they paid the code after /hapus) does not bring it back: it stays
// erased, nobody is told, and the payment is flagged for a refund.
func TestPaymentForAnErasedRegistrationIsFlagged(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	u := newUser(db, "erased-payer").hello(t, "id")
	ref, err := u.selfRegister(exportReg(newNIK(), newPhone(), "Sudah Pergi"))
	must(t, err)
	order := "erased-order-" + u.id
	issue(t, db, order, 16800, line(ref))
	must(t, u.do(func(ctx context.Context, tx flows.Tx) error { _, err := tx.Forget(ctx); return err }))
	res, err := flows.ApplyPayment(ctx, db, paid(order, 16800, clock.Now()), wib, db.Now, fakeNotices{})
	if err != nil || res.Outcome != flows.PaymentFlagged || len(res.Coverage) != 0 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	if _, to, status := coverage(t, db, ref); status != "dihapus" || to != "" {
		t.Errorf("the erased registration after payment: %s until %q", status, to)
	}
	if left := pending(t, db, u); len(left) != 0 {
		t.Errorf("the erased chat was sent %q", left)
	}
	var flag, detail string
	db.SQL().Get(&flag, `SELECT flag FROM payments WHERE order_id = $1`, order)
	db.SQL().Get(&detail, `SELECT e.detail FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1 AND e.kind = 'flagged'`, order)
	if flag != store.FlagErased || !strings.Contains(detail, "16800 for them is to refund: "+ref) {
		t.Errorf("flag %q, detail %q", flag, detail)
	}
}
