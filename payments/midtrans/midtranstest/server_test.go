package midtranstest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

func TestConcurrentChargesAndNotifications(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c, err := midtrans.New(midtrans.Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			id := fmt.Sprintf("LDG-%d", i)
			m := payments.Methods()[i%5]
			in, err := c.Create(context.Background(), payments.Invoice{OrderID: id, Amount: 16800, Method: m})
			if err != nil {
				errs <- err
				return
			}
			_, body := srv.Notify(id, "settlement", 16800)
			n, err := c.Verify(context.Background(), nil, body)
			if err != nil || n.Status != payments.Paid || n.ProviderRef != in.ProviderRef {
				errs <- fmt.Errorf("%s: %+v, %v", id, n, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(srv.Charges()); n != 50 {
		t.Errorf("%d charges recorded", n)
	}
}

func TestNotifyFieldNames(t *testing.T) {
	srv := midtranstest.NewServer(t)
	h, body := srv.Notify("LDG-1", "settlement", 16800)
	for _, f := range []string{`"order_id":"LDG-1"`, `"status_code":"200"`, `"gross_amount":"16800.00"`, `"transaction_status":"settlement"`, `"signature_key":"` + midtranstest.Sign("LDG-1", "200", "16800.00", midtranstest.ServerKey) + `"`, `"settlement_time":`, `"va_numbers":[{"bank":"bca","va_number":"`} {
		if !strings.Contains(string(body), f) {
			t.Errorf("notification lacks %s: %s", f, body)
		}
	}
	if h.Get("Content-Type") != "application/json" {
		t.Errorf("header %v", h)
	}
	_, forged := srv.Forged("LDG-2", "settlement", 16800)
	if strings.Contains(string(forged), midtranstest.Sign("LDG-2", "200", "16800.00", midtranstest.ServerKey)) {
		t.Error("Forged is correctly signed")
	}
	if srv.TransactionStatus("LDG-2") != "" || srv.TransactionStatus("LDG-1") != "settlement" {
		t.Error("Forged changed the fake's state, or Notify did not")
	}
}
