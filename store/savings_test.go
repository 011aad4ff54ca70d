package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
)

// saver registers a worker in a chat of its own and returns the chat and
// the registration's reference.
func saver(t *testing.T, db *store.DB) (chat, ref string) {
	t.Helper()
	regSeq.Lock()
	regSeq.n++
	n := regSeq.n
	regSeq.Unlock()
	chat = fmt.Sprintf("save-%d-%d", clock.Now().UnixNano(), n)
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
	return chat, ref
}

func chatDo(t *testing.T, db *store.DB, chat string, fn func(ctx context.Context, tx flows.Tx) error) {
	t.Helper()
	if err := db.Atomically(context.Background(), "t", chat, fn); err != nil {
		t.Fatal(err)
	}
}

func TestSavingsLedger(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	chat, ref := saver(t, db)
	topUp := func(order string, amount int64) {
		t.Helper()
		chatDo(t, db, chat, func(ctx context.Context, tx flows.Tx) error {
			return tx.RecordTopUp(ctx, payments.Instruction{Provider: "sandbox", OrderID: order, Bank: payments.BNI, VANumber: "988" + order, Amount: amount}, ref)
		})
	}
	balance := func() (int64, []flows.SavingsEntry) {
		t.Helper()
		var bal int64
		var entries []flows.SavingsEntry
		chatDo(t, db, chat, func(ctx context.Context, tx flows.Tx) error {
			var err error
			bal, entries, err = tx.Savings(ctx, ref, 10)
			return err
		})
		return bal, entries
	}
	topUp("S1-"+ref, 7000)
	topUp("S2-"+ref, 9000)
	// Without the engine's prices (notices nil) a top-up is credited and buys nothing.
	for range 3 {
		if _, err := flows.ApplyPayment(ctx, db, paid("S1-"+ref, 7000, clock.Now()), wib, db.Now, nil); err != nil {
			t.Fatal(err)
		}
	}
	if bal, entries := balance(); bal != 7000 || len(entries) != 1 || entries[0].Kind != flows.SavingsTopUp {
		t.Fatalf("balance %d, %+v", bal, entries)
	}
	// The day's report counts the top-up.
	if r, err := db.Report(ctx, db.Now(), wib); err != nil || r.Savings.TopUps < 1 || r.Savings.TopUpTotal < 7000 || r.Savings.Held < 7000 {
		t.Errorf("report: %+v %v", r.Savings, err)
	}
	// Another chat sees nothing of it.
	chatDo(t, db, "someone-else", func(ctx context.Context, tx flows.Tx) error {
		if bal, _, err := tx.Savings(ctx, ref, 10); err != nil || bal != 0 {
			t.Errorf("another chat reads balance %d (%v)", bal, err)
		}
		if err := tx.RecordTopUp(ctx, payments.Instruction{Provider: "sandbox", OrderID: "S9-" + ref, Bank: payments.BNI, Amount: 5000}, ref); err == nil {
			t.Error("a top-up recorded for another chat's registration")
		}
		return nil
	})

	// The ledger refuses a second credit of one payment and one period bought twice.
	var payID int64
	db.SQL().Get(&payID, `SELECT id FROM payments WHERE order_id = $1`, "S1-"+ref)
	err := db.PaymentAtomically(ctx, func(ctx context.Context, tx flows.PaymentTx) error {
		h, ok, err := tx.SavingsTopUp(ctx, payID)
		if err != nil || !ok || h.Ref != ref || h.Balance != 7000 || h.Status != flows.StatusAwaitingPayment {
			return fmt.Errorf("holder %+v %v %v", h, ok, err)
		}
		return tx.CreditSavings(ctx, h.RegistrationID, payID, 7000)
	})
	if err == nil || !strings.Contains(err.Error(), "savings_topup_once") {
		t.Errorf("credited twice: %v", err)
	}
	month := flows.BoughtMonth{Line: flows.PaymentLine{Amount: 3000}, From: time.Date(2027, 1, 1, 0, 0, 0, 0, wib), To: time.Date(2027, 1, 31, 0, 0, 0, 0, wib)}
	err = db.PaymentAtomically(ctx, func(ctx context.Context, tx flows.PaymentTx) error {
		h, _, err := tx.SavingsTopUp(ctx, payID)
		if err != nil {
			return err
		}
		if err := tx.BuySavingsMonth(ctx, h.RegistrationID, 0, month); err != nil {
			return err
		}
		return tx.BuySavingsMonth(ctx, h.RegistrationID, payID, month)
	})
	if err == nil || !strings.Contains(err.Error(), "savings_month_once") {
		t.Errorf("one month bought twice: %v", err)
	}
	if bal, _ := balance(); bal != 7000 {
		t.Fatalf("balance %d after refused writes", bal)
	}

	// The dashboard's record shows the balance and its entries.
	rec, err := db.Record(ctx, dashboard.Scope{}, ref, db.Now())
	if err != nil || rec.Savings != 7000 || !slices.ContainsFunc(rec.History, func(e dashboard.Event) bool {
		return e.Kind == "savings" && e.Text == flows.SavingsTopUp && e.Amount == 7000
	}) {
		t.Errorf("record: %d, %+v, %v", rec.Savings, rec.History, err)
	}

	// Erased: the balance goes to a refund entry and the top-up is flagged.
	chatDo(t, db, chat, func(ctx context.Context, tx flows.Tx) error {
		_, err := tx.Forget(ctx)
		return err
	})
	var p struct {
		Flag   string `db:"flag"`
		Detail string `db:"detail"`
	}
	db.SQL().Get(&p, `SELECT p.flag, e.detail FROM payments p JOIN payment_events e ON e.payment_id = p.id
		WHERE p.order_id = $1 ORDER BY e.id DESC LIMIT 1`, "S1-"+ref)
	if p.Flag != flows.FlagSavingsRefund || !strings.Contains(p.Detail, "7000") {
		t.Errorf("after erasure: %+v", p)
	}
	balances, negative, err := db.SavingsCheck(ctx)
	if err != nil || balances[ref] != 0 || len(negative) > 0 {
		t.Errorf("check: %d, negative %v, %v", balances[ref], negative, err)
	}
	// The top-up still open is paid after the erasure: flagged, not credited.
	r, err := flows.ApplyPayment(ctx, db, paid("S2-"+ref, 9000, clock.Now()), wib, db.Now, nil)
	if err != nil || r.Outcome != flows.PaymentFlagged {
		t.Errorf("late top-up: %+v %v", r, err)
	}
	if balances, _, _ := db.SavingsCheck(ctx); balances[ref] != 0 {
		t.Errorf("late top-up credited: %d", balances[ref])
	}
	// Nothing is ever updated in place.
	if _, err := db.SQL().Exec(`DELETE FROM savings_entries`); err == nil {
		t.Error("entries deleted")
	}
}
