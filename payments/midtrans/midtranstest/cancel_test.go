package midtranstest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

// call sends one request to the fake as Midtrans' clients do and returns
// the HTTP status and the decoded JSON body.
func call(t *testing.T, srv *midtranstest.Server, method, path, key string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: body %q is not JSON", method, path, b)
	}
	return resp.StatusCode, m
}

func TestCancelEndpoint(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c, err := midtrans.New(midtrans.Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"LDG-pending", "LDG-paid", "LDG-expired"} {
		if _, err := c.Create(context.Background(), payments.Invoice{OrderID: id, Amount: 16800, Method: payments.BNI}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Notify("LDG-paid", "settlement", 16800)
	srv.Notify("LDG-expired", "expire", 16800)
	charge := srv.Charges()[0]

	tests := []struct {
		name, method, path, key string
		status                  int
		fields                  map[string]any // fields the body must have
		after                   string         // LDG-pending's transaction_status after
	}{
		{"wrong key", "POST", "/v2/LDG-pending/cancel", "SB-Mid-server-other", 401, map[string]any{"status_code": "401"}, "pending"},
		{"GET is not cancel", "GET", "/v2/LDG-pending/cancel", midtranstest.ServerKey, 404, map[string]any{"status_code": "404"}, "pending"},
		{"pending", "POST", "/v2/LDG-pending/cancel", midtranstest.ServerKey, 200, map[string]any{
			"status_code": "200", "status_message": "Success, transaction is canceled", "transaction_id": charge.TransactionID,
			"order_id": "LDG-pending", "gross_amount": "16800.00", "payment_type": "bank_transfer", "transaction_status": "cancel", "fraud_status": "accept",
		}, "cancel"},
		{"cancelled already", "POST", "/v2/LDG-pending/cancel", midtranstest.ServerKey, 412, map[string]any{"status_code": "412", "status_message": "Merchant cannot modify the status of the transaction"}, "cancel"},
		{"settled", "POST", "/v2/LDG-paid/cancel", midtranstest.ServerKey, 412, map[string]any{"status_code": "412", "status_message": "Merchant cannot modify the status of the transaction"}, "cancel"},
		{"expired", "POST", "/v2/LDG-expired/cancel", midtranstest.ServerKey, 412, map[string]any{"status_code": "412"}, "cancel"},
		{"unknown", "POST", "/v2/LDG-none/cancel", midtranstest.ServerKey, 404, map[string]any{"status_code": "404", "status_message": "Transaction doesn't exist."}, "cancel"},
		{"status after", "GET", "/v2/LDG-pending/status", midtranstest.ServerKey, 200, map[string]any{"status_code": "200", "transaction_status": "cancel", "order_id": "LDG-pending"}, "cancel"},
	}
	for _, tt := range tests {
		status, body := call(t, srv, tt.method, tt.path, tt.key)
		if status != tt.status {
			t.Errorf("%s: HTTP %d, want %d (%v)", tt.name, status, tt.status, body)
		}
		for k, v := range tt.fields {
			if body[k] != v {
				t.Errorf("%s: %s = %v, want %v", tt.name, k, body[k], v)
			}
		}
		if tt.name == "pending" {
			if _, ok := body["transaction_time"].(string); !ok {
				t.Errorf("pending: no transaction_time: %v", body)
			}
		}
		if got := srv.TransactionStatus("LDG-pending"); got != tt.after {
			t.Errorf("%s: LDG-pending is %q, want %q", tt.name, got, tt.after)
		}
	}
	if srv.TransactionStatus("LDG-paid") != "settlement" || srv.TransactionStatus("LDG-expired") != "expire" {
		t.Error("a refused cancel changed the order")
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.Method != "GET" || last.Path != "/v2/LDG-pending/status" {
		t.Errorf("last request %s %s", last.Method, last.Path)
	}
}

func TestCancelScriptedFailure(t *testing.T) {
	srv := midtranstest.NewServer(t)
	srv.Notify("LDG-1", "pending", 16800)
	srv.Fail("cancel", 1, midtranstest.InternalError)
	if status, _ := call(t, srv, "POST", "/v2/LDG-1/cancel", midtranstest.ServerKey); status != 500 {
		t.Errorf("scripted: HTTP %d", status)
	}
	if srv.TransactionStatus("LDG-1") != "pending" {
		t.Error("a failed cancel cancelled")
	}
	if status, _ := call(t, srv, "POST", "/v2/LDG-1/cancel", midtranstest.ServerKey); status != 200 || srv.TransactionStatus("LDG-1") != "cancel" {
		t.Errorf("after the failure: HTTP %d, %s", status, srv.TransactionStatus("LDG-1"))
	}
}

func TestNotification(t *testing.T) {
	srv := midtranstest.NewServer(t)
	if _, _, ok := srv.Notification("LDG-none"); ok {
		t.Error("a notification for an unknown order")
	}
	srv.Notify("LDG-1", "pending", 16800)
	if status, _ := call(t, srv, "POST", "/v2/LDG-1/cancel", midtranstest.ServerKey); status != 200 {
		t.Fatalf("cancel: HTTP %d", status)
	}
	h, body, ok := srv.Notification("LDG-1")
	if !ok || h.Get("Content-Type") != "application/json" {
		t.Fatalf("Notification: %v %v", h, ok)
	}
	for _, f := range []string{`"order_id":"LDG-1"`, `"status_code":"200"`, `"transaction_status":"cancel"`, `"gross_amount":"16800.00"`,
		`"signature_key":"` + midtranstest.Sign("LDG-1", "200", "16800.00", midtranstest.ServerKey) + `"`} {
		if !strings.Contains(string(body), f) {
			t.Errorf("notification lacks %s: %s", f, body)
		}
	}
	if srv.TransactionStatus("LDG-1") != "cancel" {
		t.Error("Notification changed the order")
	}
}
