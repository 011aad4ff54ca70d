package midtrans

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, WIB)

func newClient(t *testing.T, srv *midtranstest.Server, skipConfirm bool) *Client {
	t.Helper()
	srv.SetClock(func() time.Time { return now })
	c, err := New(Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL(), HTTPClient: srv.Client(), Now: func() time.Time { return now }, SkipConfirm: skipConfirm})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func invoice(id string, m payments.Method) payments.Invoice {
	return payments.Invoice{
		OrderID: id, Amount: 50400, Method: m, CustomerName: "Siti Aminah",
		ExpiresAt: now.Add(24 * time.Hour),
		Items:     []payments.Item{{ID: "REG-7Q2K", Name: "Iuran JKK+JKM Desember 2026 - Februari 2027", Price: 16800, Quantity: 3}},
	}
}

func TestCreate(t *testing.T) {
	common := `"transaction_details":{"order_id":"%s","gross_amount":50400},` +
		`"item_details":[{"id":"REG-7Q2K","price":16800,"quantity":3,"name":"Iuran JKK+JKM Desember 2026 - Februari 2027"}],` +
		`"customer_details":{"first_name":"Siti Aminah"},` +
		`"custom_expiry":{"order_time":"2026-11-25 10:00:00 +0700","expiry_duration":1440,"unit":"minute"}}`
	tests := []struct {
		method     payments.Method
		want       string // the request body, with %s for the order id
		vaPrefix   string
		billerCode string
	}{
		{payments.BCA, `{"payment_type":"bank_transfer",` + strings.Replace(common, `"item_details"`, `"bank_transfer":{"bank":"bca"},"item_details"`, 1), "12785", ""},
		{payments.BNI, `{"payment_type":"bank_transfer",` + strings.Replace(common, `"item_details"`, `"bank_transfer":{"bank":"bni"},"item_details"`, 1), "988", ""},
		{payments.BRI, `{"payment_type":"bank_transfer",` + strings.Replace(common, `"item_details"`, `"bank_transfer":{"bank":"bri"},"item_details"`, 1), "12785", ""},
		{payments.Permata, `{"payment_type":"bank_transfer",` + strings.Replace(common, `"item_details"`, `"bank_transfer":{"bank":"permata"},"item_details"`, 1), "8562", ""},
		{payments.Mandiri, `{"payment_type":"echannel",` + strings.Replace(common, `"item_details"`, `"echannel":{"bill_info1":"Bayar:","bill_info2":"Iuran BPJS Ketenagakerjaan"},"item_details"`, 1), "99", "70012"},
	}
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	for _, tt := range tests {
		t.Run(string(tt.method), func(t *testing.T) {
			id := "LDG-" + string(tt.method) + "-1"
			in, err := c.Create(context.Background(), invoice(id, tt.method))
			if err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			last := reqs[len(reqs)-1]
			if last.Method != "POST" || last.Path != "/v2/charge" {
				t.Errorf("request %s %s", last.Method, last.Path)
			}
			if want := "Basic " + base64.StdEncoding.EncodeToString([]byte(midtranstest.ServerKey+":")); last.Authorization != want {
				t.Errorf("Authorization %q, want %q", last.Authorization, want)
			}
			if want := strings.Replace(tt.want, "%s", id, 1); string(last.Body) != want {
				t.Errorf("body\n got %s\nwant %s", last.Body, want)
			}
			ch := srv.Charges()[len(srv.Charges())-1]
			want := payments.Instruction{Provider: "midtrans", OrderID: id, ProviderRef: ch.TransactionID, Bank: tt.method, VANumber: ch.VANumber, BillerCode: tt.billerCode, Amount: 50400, ExpiresAt: now.Add(24 * time.Hour)}
			if !in.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("ExpiresAt %v, want %v", in.ExpiresAt, want.ExpiresAt)
			}
			in.ExpiresAt = want.ExpiresAt
			if in != want {
				t.Errorf("instruction\n got %+v\nwant %+v", in, want)
			}
			if !strings.HasPrefix(in.VANumber, tt.vaPrefix) {
				t.Errorf("VA %s", in.VANumber)
			}
		})
	}
}

func TestCreateMinimal(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	if _, err := c.Create(context.Background(), payments.Invoice{OrderID: "LDG-min", Amount: 16800, Method: payments.BRI}); err != nil {
		t.Fatal(err)
	}
	want := `{"payment_type":"bank_transfer","transaction_details":{"order_id":"LDG-min","gross_amount":16800},"bank_transfer":{"bank":"bri"}}`
	if got := string(srv.Charges()[0].Body); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestCreateRefusesBadInvoices(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	bad := map[string]func(*payments.Invoice){
		"no order id":         func(i *payments.Invoice) { i.OrderID = "" },
		"long order id":       func(i *payments.Invoice) { i.OrderID = strings.Repeat("x", 51) },
		"space in order id":   func(i *payments.Invoice) { i.OrderID = "LDG 1" },
		"zero amount":         func(i *payments.Invoice) { i.Amount = 0 },
		"unknown bank":        func(i *payments.Invoice) { i.Method = "cimb" },
		"items do not sum":    func(i *payments.Invoice) { i.Items[0].Quantity = 2 },
		"expires in the past": func(i *payments.Invoice) { i.ExpiresAt = now.Add(-time.Minute) },
		"expires in 200 days": func(i *payments.Invoice) { i.ExpiresAt = now.Add(200 * 24 * time.Hour) },
	}
	for name, f := range bad {
		inv := invoice("LDG-bad", payments.BCA)
		f(&inv)
		if _, err := c.Create(context.Background(), inv); err == nil || payments.IsTransient(err) {
			t.Errorf("%s: err %v, want a permanent error", name, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid invoices", n)
	}
}

func TestCreateFailures(t *testing.T) {
	tests := []struct {
		name      string
		f         midtranstest.Failure
		transient bool
		message   string
	}{
		{"500", midtranstest.InternalError, true, "recovering"},
		{"503 html", midtranstest.Unavailable, true, "503"},
		{"429", midtranstest.Failure{HTTPStatus: 429, StatusCode: "429", StatusMessage: "Too many requests"}, true, "Too many"},
		{"401", midtranstest.AccessDenied, false, "Access denied"},
		{"400 validation", midtranstest.Validation("transaction_details.gross_amount is not equal to the sum of item_details"), false, "gross_amount is not equal"},
		{"200 with status_code 500", midtranstest.Failure{HTTPStatus: 200, StatusCode: "500", StatusMessage: "Internal Server Error"}, true, "Internal"},
		{"200 with status_code 401", midtranstest.Failure{HTTPStatus: 200, StatusCode: "401", StatusMessage: "Access denied due to unauthorized transaction, please check client or server key"}, false, "Access denied"},
		{"200 not json", midtranstest.Failure{HTTPStatus: 200, Body: "<html>ok</html>"}, true, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := midtranstest.NewServer(t)
			c := newClient(t, srv, false)
			srv.Fail("charge", 1, tt.f)
			_, err := c.Create(context.Background(), invoice("LDG-fail", payments.BNI))
			var pe *payments.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err %v, want *payments.Error", err)
			}
			if payments.IsTransient(err) != tt.transient {
				t.Errorf("transient = %v, want %v (%v)", !tt.transient, tt.transient, err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
			if strings.Contains(err.Error(), midtranstest.ServerKey) {
				t.Error("error shows the server key")
			}
			// The failure was scripted once: the retry goes through.
			if _, err := c.Create(context.Background(), invoice("LDG-fail", payments.BNI)); err != nil {
				t.Errorf("retry: %v", err)
			}
		})
	}
}

func TestWrongServerKey(t *testing.T) {
	srv := midtranstest.NewServer(t)
	srv.SetClock(func() time.Time { return now })
	c, err := New(Options{ServerKey: "SB-Mid-server-wrong", BaseURL: srv.URL(), HTTPClient: srv.Client(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(context.Background(), invoice("LDG-1", payments.BCA))
	if err == nil || payments.IsTransient(err) || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("err %v, want permanent Access denied", err)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	srv := midtranstest.Start()
	c, err := New(Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, err := c.Create(context.Background(), invoice("LDG-1", payments.BCA)); !payments.IsTransient(err) {
		t.Errorf("Create: %v, want transient", err)
	}
	if _, err := c.Status(context.Background(), "LDG-1"); !payments.IsTransient(err) {
		t.Errorf("Status: %v, want transient", err)
	}
}

func TestCreateTwiceRecoversThePendingCharge(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	inv := invoice("LDG-again", payments.Mandiri)
	first, err := c.Create(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Create(context.Background(), inv)
	if err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if first != second {
		t.Errorf("second Create\n got %+v\nwant %+v", second, first)
	}
	// Paid (or another bank): the order id is used up.
	srv.Notify("LDG-again", "settlement", 50400)
	if _, err := c.Create(context.Background(), inv); !errors.Is(err, payments.ErrDuplicate) || payments.IsTransient(err) {
		t.Errorf("Create of a paid order: %v, want ErrDuplicate", err)
	}
	other := invoice("LDG-other", payments.BCA)
	if _, err := c.Create(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	other.Method = payments.BNI
	if _, err := c.Create(context.Background(), other); !errors.Is(err, payments.ErrDuplicate) {
		t.Errorf("Create at another bank: %v, want ErrDuplicate", err)
	}
}

// fixed serves one canned answer for every request.
func fixed(t *testing.T, status int, body []byte) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL, HTTPClient: srv.Client(), Now: func() time.Time { return now }, SkipConfirm: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestChargeResponses(t *testing.T) {
	exp := time.Date(2026, 11, 26, 10, 0, 0, 0, WIB)
	tests := []struct {
		file   string
		method payments.Method
		want   payments.Instruction
	}{
		{"charge_bca.json", payments.BCA, payments.Instruction{OrderID: "LDG-BCA-0001", ProviderRef: "be03df7d-2f97-4c8c-a53c-8959f1b67295", VANumber: "12785002530231"}},
		{"charge_bni.json", payments.BNI, payments.Instruction{OrderID: "LDG-BNI-0001", ProviderRef: "9aed5972-5b6a-401e-894b-a32c91ed1a3a", VANumber: "9881278520006451"}},
		{"charge_bri.json", payments.BRI, payments.Instruction{OrderID: "LDG-BRI-0001", ProviderRef: "ac1f5c7a-04a5-4f4f-8a3e-b3a3c9d5e1f2", VANumber: "127850655498364521"}},
		{"charge_permata.json", payments.Permata, payments.Instruction{OrderID: "LDG-PMT-0001", ProviderRef: "6fd88567-62da-43ff-8fe6-5717e430ffc7", VANumber: "8562000087926752"}},
		{"charge_echannel.json", payments.Mandiri, payments.Instruction{OrderID: "LDG-MDR-0001", ProviderRef: "883af6a4-c1b4-4d39-9bd8-b148fcebe853", VANumber: "990000000260", BillerCode: "70012"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := fixed(t, 200, testdata(t, tt.file))
			inv := invoice(tt.want.OrderID, tt.method)
			got, err := c.Create(context.Background(), inv)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Provider, want.Bank, want.Amount, want.ExpiresAt = "midtrans", tt.method, 50400, exp
			if !got.ExpiresAt.Equal(exp) {
				t.Errorf("ExpiresAt %v, want %v", got.ExpiresAt, exp)
			}
			got.ExpiresAt = exp
			if got != want {
				t.Errorf("\n got %+v\nwant %+v", got, want)
			}
			// The same answer for another order or amount is refused.
			inv.Amount = 16800
			if _, err := c.Create(context.Background(), inv); err == nil || payments.IsTransient(err) {
				t.Errorf("amount mismatch: %v", err)
			}
			inv = invoice("LDG-OTHER", tt.method)
			if _, err := c.Create(context.Background(), inv); err == nil {
				t.Error("order mismatch accepted")
			}
		})
	}
}

func TestErrorBodies(t *testing.T) {
	tests := []struct {
		file      string
		status    int
		transient bool
		is        error
		message   string
	}{
		{"error_401.json", 401, false, nil, "Access denied"},
		{"error_401.json", 200, false, nil, "Access denied"},
		{"error_400.json", 400, false, nil, "gross_amount is not equal to the sum of item_details"},
		{"error_404.json", 404, false, payments.ErrNotFound, "doesn't exist"},
	}
	for _, tt := range tests {
		c := fixed(t, tt.status, testdata(t, tt.file))
		_, err := c.Status(context.Background(), "LDG-BCA-0001")
		if err == nil || payments.IsTransient(err) != tt.transient || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s (HTTP %d): %v", tt.file, tt.status, err)
		}
	}
}

func TestVerifyTestdata(t *testing.T) {
	tests := []struct {
		file string
		want payments.Notification
	}{
		{"notification_pending.json", payments.Notification{OrderID: "LDG-BCA-0001", ProviderRef: "be03df7d-2f97-4c8c-a53c-8959f1b67295", Status: payments.Pending, Amount: 50400}},
		{"notification_settlement.json", payments.Notification{OrderID: "LDG-BCA-0001", ProviderRef: "be03df7d-2f97-4c8c-a53c-8959f1b67295", Status: payments.Paid, Amount: 50400, PaidAt: time.Date(2026, 11, 25, 10, 12, 31, 0, WIB)}},
		{"notification_settlement_echannel.json", payments.Notification{OrderID: "LDG-MDR-0001", ProviderRef: "883af6a4-c1b4-4d39-9bd8-b148fcebe853", Status: payments.Paid, Amount: 50400, PaidAt: time.Date(2026, 11, 25, 19, 3, 44, 0, WIB)}},
		{"notification_expire.json", payments.Notification{OrderID: "LDG-PMT-0001", ProviderRef: "6fd88567-62da-43ff-8fe6-5717e430ffc7", Status: payments.Expired, Amount: 50400}},
		{"status_settlement.json", payments.Notification{OrderID: "LDG-BNI-0001", ProviderRef: "9aed5972-5b6a-401e-894b-a32c91ed1a3a", Status: payments.Paid, Amount: 50400, PaidAt: time.Date(2026, 11, 25, 11, 45, 9, 0, WIB)}},
	}
	c, err := New(Options{ServerKey: midtranstest.ServerKey, SkipConfirm: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		body := testdata(t, tt.file)
		got, err := c.Verify(context.Background(), nil, body)
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		want := tt.want
		want.Provider = "midtrans"
		if !got.PaidAt.Equal(want.PaidAt) || string(got.Raw) != string(body) {
			t.Errorf("%s: PaidAt %v (want %v), Raw kept: %v", tt.file, got.PaidAt, want.PaidAt, string(got.Raw) == string(body))
		}
		got.PaidAt, got.Raw, want.PaidAt = time.Time{}, nil, time.Time{}
		if !equal(got, want) {
			t.Errorf("%s\n got %+v\nwant %+v", tt.file, got, want)
		}
	}
	// The status answer, served by Midtrans, is verified the same way.
	c = fixed(t, 200, testdata(t, "status_settlement.json"))
	n, err := c.Status(context.Background(), "LDG-BNI-0001")
	if err != nil || n.Status != payments.Paid || n.Amount != 50400 {
		t.Errorf("Status: %+v, %v", n, err)
	}
	if _, err := c.Status(context.Background(), "LDG-BCA-0001"); !errors.Is(err, payments.ErrForged) {
		t.Errorf("Status answered for another order: %v, want ErrForged", err)
	}
}

func equal(a, b payments.Notification) bool {
	return a.Provider == b.Provider && a.OrderID == b.OrderID && a.ProviderRef == b.ProviderRef && a.Status == b.Status && a.Amount == b.Amount && a.PaidAt.Equal(b.PaidAt) && string(a.Raw) == string(b.Raw)
}

// signed returns a notification body with fields, signed with key.
func signed(fields map[string]any, key string) []byte {
	m := map[string]any{"transaction_time": "2026-11-25 10:00:00", "transaction_id": "be03df7d-2f97-4c8c-a53c-8959f1b67295", "payment_type": "bank_transfer", "fraud_status": "accept", "status_message": "midtrans payment notification"}
	for k, v := range fields {
		m[k] = v
	}
	s := func(k string) string { v, _ := m[k].(string); return v }
	if _, ok := m["signature_key"]; !ok {
		m["signature_key"] = Signature(s("order_id"), s("status_code"), s("gross_amount"), key)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		status, fraud, code string
		want                payments.Status
	}{
		{"pending", "accept", "201", payments.Pending},
		{"authorize", "accept", "200", payments.Pending},
		{"settlement", "accept", "200", payments.Paid},
		{"capture", "accept", "200", payments.Paid},
		{"capture", "challenge", "200", payments.Pending},
		{"capture", "deny", "200", payments.Failed},
		{"expire", "", "407", payments.Expired},
		{"expire", "", "202", payments.Expired},
		{"cancel", "", "200", payments.Cancelled},
		{"deny", "deny", "202", payments.Failed},
		{"failure", "", "202", payments.Failed},
		{"refund", "", "200", payments.Refunded},
		{"partial_refund", "", "200", payments.Refunded},
		{"chargeback", "", "200", payments.Refunded},
		{"partial_chargeback", "", "200", payments.Refunded},
	}
	c, _ := New(Options{ServerKey: midtranstest.ServerKey, SkipConfirm: true})
	for _, tt := range tests {
		body := signed(map[string]any{"order_id": "LDG-1", "status_code": tt.code, "gross_amount": "16800.00", "transaction_status": tt.status, "fraud_status": tt.fraud, "settlement_time": "2026-11-25 10:12:31"}, midtranstest.ServerKey)
		n, err := c.Verify(context.Background(), nil, body)
		if err != nil || n.Status != tt.want || n.Amount != 16800 || n.OrderID != "LDG-1" {
			t.Errorf("%s/%s: %+v, %v; want %s", tt.status, tt.fraud, n, err, tt.want)
		}
		if (n.Status == payments.Paid) != !n.PaidAt.IsZero() && n.Status != payments.Refunded {
			t.Errorf("%s: PaidAt %v", tt.status, n.PaidAt)
		}
	}
	for _, bad := range []map[string]any{
		{"transaction_status": "bogus", "status_code": "200"},
		{"transaction_status": "capture", "fraud_status": "maybe", "status_code": "200"},
		{"transaction_status": "settlement", "status_code": "200", "settlement_time": "25/11/2026"},
	} {
		bad["order_id"], bad["gross_amount"] = "LDG-1", "16800.00"
		if _, err := c.Verify(context.Background(), nil, signed(bad, midtranstest.ServerKey)); err == nil || errors.Is(err, payments.ErrForged) {
			t.Errorf("%v: %v, want a parse error", bad, err)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	key := midtranstest.ServerKey
	good := map[string]any{"order_id": "LDG-1", "status_code": "200", "gross_amount": "16800.00", "transaction_status": "settlement", "settlement_time": "2026-11-25 10:12:31"}
	with := func(changes map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		for k, v := range changes {
			m[k] = v
		}
		return m
	}
	sig := Signature("LDG-1", "200", "16800.00", key)
	tests := []struct {
		name   string
		body   []byte
		forged bool
	}{
		{"wrong key", signed(good, "SB-Mid-server-other"), true},
		{"no signature", []byte(`{"order_id":"LDG-1","status_code":"200","gross_amount":"16800.00","transaction_status":"settlement"}`), true},
		{"empty body", nil, true},
		{"not json", []byte("order_id=LDG-1&status_code=200"), true},
		{"array", []byte(`[1,2,3]`), true},
		{"signature not hex", signed(with(map[string]any{"signature_key": "zz" + sig[2:]}), key), true},
		{"signature truncated", signed(with(map[string]any{"signature_key": sig[:64]}), key), true},
		{"signature as number", signed(with(map[string]any{"signature_key": 12}), key), true},
		// Garbage everywhere else: the signature is checked first, so a forgery is a forgery.
		{"forged with garbage", signed(with(map[string]any{"transaction_status": 7, "settlement_time": []int{1}, "va_numbers": "x"}), "SB-Mid-server-other"), true},
		{"tampered amount", signed(with(map[string]any{"gross_amount": "168000.00", "signature_key": sig}), key), true},
		{"tampered order", signed(with(map[string]any{"order_id": "LDG-2", "signature_key": sig}), key), true},
		{"pending signature, settlement status", signed(with(map[string]any{"status_code": "201", "signature_key": Signature("LDG-1", "201", "16800.00", key)}), key), true},
		{"expire signature, settlement status", signed(with(map[string]any{"status_code": "407", "signature_key": Signature("LDG-1", "407", "16800.00", key)}), key), true},
		{"too large", signed(with(map[string]any{"padding": strings.Repeat("x", payments.MaxNotificationSize)}), key), true},
		{"fractional amount", signed(with(map[string]any{"gross_amount": "16800.50"}), key), false},
		{"amount with exponent", signed(with(map[string]any{"gross_amount": "1.68e4"}), key), false},
		{"negative amount", signed(with(map[string]any{"gross_amount": "-16800.00"}), key), false},
		{"status_code not 3 digits", signed(with(map[string]any{"status_code": "20"}), key), false},
		{"bad order id", signed(with(map[string]any{"order_id": "LDG 1"}), key), false},
		{"authentic but malformed", signed(with(map[string]any{"transaction_status": 7}), key), false},
	}
	c, _ := New(Options{ServerKey: key, SkipConfirm: true})
	for _, tt := range tests {
		_, err := c.Verify(context.Background(), nil, tt.body)
		if err == nil || errors.Is(err, payments.ErrForged) != tt.forged {
			t.Errorf("%s: %v, want forged=%v", tt.name, err, tt.forged)
		}
	}
	// Uppercase hex is the same signature.
	if _, err := c.Verify(context.Background(), nil, signed(with(map[string]any{"signature_key": strings.ToUpper(sig)}), key)); err != nil {
		t.Errorf("uppercase signature: %v", err)
	}
}

func TestVerifyConfirmsPaid(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	if _, err := c.Create(context.Background(), invoice("LDG-c1", payments.BCA)); err != nil {
		t.Fatal(err)
	}
	// A genuine settlement: confirmed, the notification itself is returned.
	_, body := srv.Notify("LDG-c1", "settlement", 50400)
	n, err := c.Verify(context.Background(), nil, body)
	if err != nil || n.Status != payments.Paid || string(n.Raw) != string(body) || n.PaidAt.IsZero() {
		t.Fatalf("settlement: %+v, %v", n, err)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.Method != "GET" || last.Path != "/v2/LDG-c1/status" {
		t.Errorf("confirmation request %s %s", last.Method, last.Path)
	}
	// A signed cancel (status_code 200 too) rewritten to settlement: the
	// signature checks, the confirmation tells the truth.
	if _, err := c.Create(context.Background(), invoice("LDG-c2", payments.BCA)); err != nil {
		t.Fatal(err)
	}
	_, body = srv.Notify("LDG-c2", "cancel", 50400)
	var m map[string]any
	json.Unmarshal(body, &m)
	m["transaction_status"] = "settlement"
	m["settlement_time"] = "2026-11-25 10:30:00"
	forged, _ := json.Marshal(m)
	n, err = c.Verify(context.Background(), nil, forged)
	if err != nil || n.Status != payments.Cancelled || string(n.Raw) == string(forged) || n.Unbacked != payments.Paid {
		t.Errorf("rewritten cancel: %+v, %v; want cancelled from the status answer, the claim unbacked", n, err)
	}
	// Midtrans down during the confirmation: transient, so the webhook
	// answers 5xx and Midtrans retries.
	srv.Fail("status", 1, midtranstest.InternalError)
	_, body = srv.Notify("LDG-c1", "settlement", 50400)
	if _, err := c.Verify(context.Background(), nil, body); !payments.IsTransient(err) {
		t.Errorf("confirmation failed: %v, want transient", err)
	}
	// An expiry is confirmed too (the status answer's status_code is 407).
	before := len(srv.Requests())
	_, body = srv.Notify("LDG-c3", "expire", 16800)
	if n, err := c.Verify(context.Background(), nil, body); err != nil || n.Status != payments.Expired || n.Unbacked != "" {
		t.Errorf("expire: %+v, %v", n, err)
	}
	if len(srv.Requests()) != before+1 {
		t.Error("an expiry was not confirmed")
	}
	before = len(srv.Requests())
	// Forged notifications from the fake are refused before any request.
	_, body = srv.Forged("LDG-c1", "settlement", 50400)
	if _, err := c.Verify(context.Background(), nil, body); !errors.Is(err, payments.ErrForged) {
		t.Errorf("Forged: %v", err)
	}
	if len(srv.Requests()) != before {
		t.Error("a forged notification made a request")
	}
}

func TestStatus(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	if _, err := c.Status(context.Background(), "LDG-none"); !errors.Is(err, payments.ErrNotFound) || payments.IsTransient(err) {
		t.Errorf("unknown order: %v, want ErrNotFound", err)
	}
	in, err := c.Create(context.Background(), invoice("LDG-s1", payments.Permata))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		status string
		want   payments.Status
	}{{"pending", payments.Pending}, {"settlement", payments.Paid}, {"refund", payments.Refunded}} {
		if step.status != "pending" {
			srv.Notify("LDG-s1", step.status, 50400)
		}
		n, err := c.Status(context.Background(), "LDG-s1")
		if err != nil || n.Status != step.want || n.ProviderRef != in.ProviderRef || n.Amount != 50400 {
			t.Errorf("%s: %+v, %v", step.status, n, err)
		}
	}
	srv.Fail("status", 1, midtranstest.InternalError)
	if _, err := c.Status(context.Background(), "LDG-s1"); !payments.IsTransient(err) {
		t.Errorf("500: %v, want transient", err)
	}
	if _, err := c.Status(context.Background(), "../charge"); err == nil {
		t.Error("an order id with a slash was sent")
	}
}

func TestStatusForgedAnswer(t *testing.T) {
	body := signed(map[string]any{"order_id": "LDG-1", "status_code": "200", "gross_amount": "16800.00", "transaction_status": "settlement"}, "SB-Mid-server-other")
	c := fixed(t, 200, body)
	if _, err := c.Status(context.Background(), "LDG-1"); !errors.Is(err, payments.ErrForged) {
		t.Errorf("unsigned status answer: %v, want ErrForged", err)
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"16800.00", 16800, true},
		{"16800", 16800, true},
		{"16800.0", 16800, true},
		{"0.00", 0, true},
		{"999999999999999.00", 999999999999999, true},
		{"16800.50", 0, false},
		{"16800.01", 0, false},
		{"16800.", 0, false},
		{".00", 0, false},
		{"", 0, false},
		{"-16800.00", 0, false},
		{"+16800.00", 0, false},
		{"016800.00", 0, false},
		{"1.68e4", 0, false},
		{"16,800.00", 0, false},
		{" 16800.00", 0, false},
		{"1000000000000000.00", 0, false},
		{"99999999999999999999", 0, false},
		{"1६800", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestNew(t *testing.T) {
	for _, o := range []Options{{}, {ServerKey: "  "}, {ServerKey: "k", BaseURL: "ftp://x"}, {ServerKey: "k", BaseURL: "api.midtrans.com"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	c, err := New(Options{ServerKey: "k"})
	if err != nil || c.base != SandboxURL || c.http.Timeout != 15*time.Second || !c.confirm {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}

// Security review M4: the signature does not cover transaction_status, so
// an edited copy of a genuine notification claimed a refund or a cancel.
// Every status is confirmed; what Midtrans does not back is not applied.
func TestVerifyConfirmsEveryStatusChange(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	for _, tt := range []struct {
		genuine, edited string // transaction_status sent by Midtrans, and as edited
		want, claimed   payments.Status
	}{
		{"settlement", "refund", payments.Paid, payments.Refunded},
		{"settlement", "chargeback", payments.Paid, payments.Refunded},
		{"settlement", "cancel", payments.Paid, payments.Cancelled},
		{"pending", "cancel", payments.Pending, payments.Cancelled},
		{"pending", "expire", payments.Pending, payments.Expired},
		{"pending", "deny", payments.Pending, payments.Failed},
	} {
		order := "LDG-m4-" + tt.genuine + "-" + tt.edited
		if _, err := c.Create(context.Background(), invoice(order, payments.BNI)); err != nil {
			t.Fatal(err)
		}
		if tt.genuine == "settlement" {
			srv.Notify(order, "settlement", 50400) // Midtrans's own state is now settlement
		}
		_, body := srv.Notify(order, tt.genuine, 50400)
		n, err := c.Verify(context.Background(), nil, midtranstest.Edited(body, tt.edited))
		if err != nil || n.Status != tt.want || n.Unbacked != tt.claimed {
			t.Errorf("%s edited to %s: %+v, %v; want %s, the claim %s unbacked", tt.genuine, tt.edited, n, err, tt.want, tt.claimed)
		}
	}
}
