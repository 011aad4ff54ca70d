package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
	"github.com/lindungi/lindungi/payments/webhook"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
)

var dsn string

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &dsn)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// setup registers a worker and issues a Midtrans payment for one month.
func setup(t *testing.T, clk *clock, n int) (*flowstest.Env, *midtranstest.Server, *midtrans.Client, string) {
	t.Helper()
	ctx := context.Background()
	env, err := flowstest.Open(ctx, dsn, flowstest.Options{Now: clk.Now, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	mt := midtranstest.NewServer(t)
	mt.SetClock(clk.Now)
	mc, err := midtrans.New(midtrans.Options{ServerKey: midtranstest.ServerKey, BaseURL: mt.URL(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	var ref string
	err = env.DB.Atomically(ctx, "t", fmt.Sprint("rec", n), func(ctx context.Context, tx flows.Tx) error {
		ref, err = tx.CreateRegistration(ctx, flows.Registration{NIK: fmt.Sprintf("61710545089%05d", 50000+n), Name: "Siti", Phone: "+6281234500001",
			BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true, Province: "61", Regency: "61.71", District: "61.71.05",
			Village: "61.71.05.1002", Occupation: "petani", Income: 1000000, MonthlyIuran: 16800})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	order := ref + "-M"
	ins, err := mc.Create(ctx, payments.Invoice{OrderID: order, Amount: 16800, Method: payments.BNI, ExpiresAt: clk.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.CreatePayment(ctx, store.NewPayment{Instruction: ins, PayerKind: store.PayerWorker, PayerRef: "t:x",
		Items: []flows.PaymentLine{{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800}}}); err != nil {
		t.Fatal(err)
	}
	return env, mt, mc, order
}

// A settlement whose notification never reached us is found by asking.
func TestReconcileFindsALostSettlement(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	env, mt, mc, order := setup(t, clk, 1)
	ctx := context.Background()
	engine := env.Engine(flows.DefaultConfig())
	if n, err := webhook.Reconcile(ctx, mc, env.DB, engine.ApplyPayment, 30*time.Minute, quiet); err != nil || n != 0 {
		t.Fatalf("too young to ask: %d, %v", n, err)
	}
	mt.Notify(order, "settlement", 16800) // paid at the bank; the notification is lost
	clk.Add(31 * time.Minute)
	if n, err := webhook.Reconcile(ctx, mc, env.DB, engine.ApplyPayment, 30*time.Minute, quiet); err != nil || n != 1 {
		t.Fatalf("reconcile: %d, %v", n, err)
	}
	var status string
	env.DB.SQL().Get(&status, `SELECT status FROM payments WHERE order_id = $1`, order)
	if status != "paid" {
		t.Fatalf("status %s", status)
	}
	var confirmations int
	env.DB.SQL().Get(&confirmations, `SELECT count(*) FROM outbox WHERE chat_id = 'rec1'`)
	if confirmations != 2 { // the confirmation and the card
		t.Errorf("%d replies queued", confirmations)
	}
}

// An expired code, and then the money after all: money received wins.
func TestExpiryThenSettlement(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	env, mt, mc, order := setup(t, clk, 2)
	ctx := context.Background()
	clk.Add(25 * time.Hour)
	if n, err := env.DB.ExpirePayments(ctx, 15*time.Minute); err != nil || n < 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	header, body := mt.Notify(order, "settlement", 16800)
	n, err := mc.Verify(ctx, header, body)
	if err != nil {
		t.Fatal(err)
	}
	r, err := flows.ApplyPayment(ctx, env.DB, n, flows.DefaultConfig().Location, env.DB.Now, nil)
	if err != nil || r.Outcome != flows.PaymentApplied {
		t.Fatalf("settlement after expiry: %+v, %v", r, err)
	}
}

// Security review M4, replayed through the real handler: a genuine pending
// notification edited to "cancel", and a genuine settlement edited to
// "refund", both verify (Midtrans signs only order, status_code and
// amount) and both are now confirmed with Midtrans, who says otherwise:
// nothing changes, and it is logged. L8: only a body over the limit is 413.
func TestEditedMidtransStatusChangesNothing(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	env, mt, mc, order := setup(t, clk, 3)
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv := httptest.NewServer(webhook.Handler(mc, env.Engine(flows.DefaultConfig()).ApplyPayment, log))
	defer srv.Close()
	post := func(body []byte) int {
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	state := func() string {
		var s string
		env.DB.SQL().Get(&s, `SELECT status || '/' || flag FROM payments WHERE order_id = $1`, order)
		return s
	}
	_, pending := mt.Notify(order, "pending", 16800)
	if st := post(midtranstest.Edited(pending, "cancel")); st != http.StatusOK || state() != "pending/" {
		t.Fatalf("an edited cancel: %d, payment %s", st, state())
	}
	if !strings.Contains(logs.String(), "not backed by the provider's status query") {
		t.Errorf("the edited notification was not logged: %s", logs.String())
	}
	_, settled := mt.Notify(order, "settlement", 16800)
	if st := post(settled); st != http.StatusOK || state() != "paid/" {
		t.Fatalf("the settlement: %d, payment %s", st, state())
	}
	if st := post(midtranstest.Edited(settled, "refund")); st != http.StatusOK || state() != "paid/" {
		t.Fatalf("an edited refund: %d, payment %s", st, state())
	}
	// L8: a body that cannot be read is a bad request, only a big one 413.
	if st := post(bytes.Repeat([]byte("x"), payments.MaxNotificationSize+1)); st != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: %d", st)
	}
}
