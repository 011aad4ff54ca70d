package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

func TestAutoDebitRows(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	ref := register(t, db)
	var regID int64
	if err := db.SQL().Get(&regID, `SELECT id FROM registrations WHERE ref = $1`, ref); err != nil {
		t.Fatal(err)
	}
	a := flows.AutoDebit{RegistrationID: regID, Channel: "t", ChatID: "c1", Provider: "midtrans", AccountID: "acc-1",
		AccountStatus: flows.AccountPending, Status: flows.AutoDebitLinking}
	err := db.AutoDebitAtomically(ctx, func(ctx context.Context, tx flows.AutoDebitTx) error {
		var err error
		if a.ID, err = tx.NewAutoDebit(ctx, a); err != nil {
			return err
		}
		if _, err := tx.NewAutoDebit(ctx, a); !errors.Is(err, flows.ErrDuplicate) {
			t.Errorf("a second auto-debit in force: %v", err)
		}
		return nil
	})
	if err == nil {
		t.Fatal("the transaction with a failed insert committed") // Postgres aborts it
	}
	// Again, alone.
	if err := db.AutoDebitAtomically(ctx, func(ctx context.Context, tx flows.AutoDebitTx) error {
		var err error
		a.ID, err = tx.NewAutoDebit(ctx, a)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 12, 24, 8, 0, 0, 0, time.UTC)
	a.RegistrationRef = ref
	a.AccountStatus, a.Token, a.SubscriptionID, a.Amount, a.ChargeDay, a.FirstCharge, a.Status = flows.AccountEnabled, "tok", "sub-1", 16800, 24, first, flows.AutoDebitActive
	line := flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800}
	n := payments.Notification{Provider: "midtrans", OrderID: "SUBS-sub-1-1", ProviderRef: "tx-1", Status: payments.Paid, Amount: 16800}
	err = db.AutoDebitAtomically(ctx, func(ctx context.Context, tx flows.AutoDebitTx) error {
		if err := tx.SaveAutoDebit(ctx, a); err != nil {
			return err
		}
		got, err := tx.LockAutoDebitBySubscription(ctx, "sub-1")
		if err != nil {
			return err
		}
		if got != a {
			t.Errorf("read back %+v\nwant %+v", got, a)
		}
		for i, want := range []bool{true, false} {
			created, err := tx.RecordCharge(ctx, got, n, line)
			if err != nil || created != want {
				t.Errorf("record %d: %v %v", i, created, err)
			}
		}
		if list, err := tx.LockAutoDebitsOf(ctx, "acc-1", "", ""); err != nil || len(list) != 1 {
			t.Errorf("of the account: %v %v", list, err)
		}
		if list, err := tx.LockAutoDebitsOf(ctx, "", "t", "other"); err != nil || len(list) != 0 {
			t.Errorf("of another chat: %v %v", list, err)
		}
		if _, err := tx.LockAutoDebitBySubscription(ctx, "nope"); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("unknown subscription: %v", err)
		}
		reg, err := tx.AutoDebitRegistration(ctx, regID)
		if err != nil || reg.Ref != ref || reg.Sponsored || !reg.CoveredTo.IsZero() {
			t.Errorf("registration: %+v %v", reg, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Method   string `db:"method"`
		PayerRef string `db:"payer_ref"`
		Status   string `db:"status"`
	}
	if err := db.SQL().Get(&p, `SELECT method, payer_ref, status FROM payments WHERE order_id = 'SUBS-sub-1-1'`); err != nil {
		t.Fatal(err)
	}
	if p.Method != "gopay" || p.PayerRef != "t:c1" || p.Status != "pending" {
		t.Fatalf("charge recorded as %+v", p)
	}
	// The dashboard's record shows it.
	rec, err := db.Record(ctx, dashboard.Scope{}, ref, db.Now())
	if err != nil || rec.AutoDebit != (dashboard.AutoDebit{Status: "active", Amount: 16800, Day: 24}) {
		t.Fatalf("record: %+v, %v", rec.AutoDebit, err)
	}
}
