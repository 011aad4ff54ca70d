package midtrans

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

func TestCreateStoresAndQRIS(t *testing.T) {
	tail := `"transaction_details":{"order_id":"%s","gross_amount":50400},` +
		`"item_details":[{"id":"REG-7Q2K","price":16800,"quantity":3,"name":"Iuran JKK+JKM Desember 2026 - Februari 2027"}],` +
		`"customer_details":{"first_name":"Siti Aminah"},` +
		`"custom_expiry":{"order_time":"2026-11-25 10:00:00 +0700","expiry_duration":1440,"unit":"minute"}}`
	insert := func(kind, obj string) string {
		return `{"payment_type":"` + kind + `",` + strings.Replace(tail, `"item_details"`, obj+`,"item_details"`, 1)
	}
	tests := []struct {
		method payments.Method
		want   string // the request body, with %s for the order id
		code   string // the payment code's prefix; "" for QRIS
	}{
		{payments.Alfamart, insert("cstore", `"cstore":{"store":"alfamart","message":"Iuran BPJS Ketenagakerjaan","alfamart_free_text_1":"Iuran BPJS Ketenagakerjaan"}`), "8127"},
		{payments.Indomaret, insert("cstore", `"cstore":{"store":"indomaret","message":"Iuran BPJS Ketenagakerjaan"}`), "5781"},
		{payments.QRIS, insert("qris", `"qris":{"acquirer":"gopay"}`), ""},
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
			if want := strings.Replace(tt.want, "%s", id, 1); string(last.Body) != want {
				t.Errorf("body\n got %s\nwant %s", last.Body, want)
			}
			ch := srv.Charges()[len(srv.Charges())-1]
			want := payments.Instruction{Provider: "midtrans", OrderID: id, ProviderRef: ch.TransactionID, Bank: tt.method, VANumber: ch.VANumber, QRString: ch.QRString, Amount: 50400, ExpiresAt: now.Add(24 * time.Hour)}
			if !in.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("ExpiresAt %v, want %v", in.ExpiresAt, want.ExpiresAt)
			}
			in.ExpiresAt = want.ExpiresAt
			if in != want {
				t.Errorf("instruction\n got %+v\nwant %+v", in, want)
			}
			if tt.code == "" {
				if in.VANumber != "" || payments.CheckQRString(in.QRString) != nil || !strings.Contains(in.QRString, "540550400") {
					t.Errorf("QRIS instruction %+v", in)
				}
			} else if len(in.VANumber) != 16 || !digits(in.VANumber) || !strings.HasPrefix(in.VANumber, tt.code) || in.QRString != "" {
				t.Errorf("payment code %q (QR %q)", in.VANumber, in.QRString)
			}
		})
	}
}

func TestCreateQRISDefaultExpiry(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	in, err := c.Create(context.Background(), payments.Invoice{OrderID: "LDG-qris-min", Amount: 16800, Method: payments.QRIS})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"payment_type":"qris","transaction_details":{"order_id":"LDG-qris-min","gross_amount":16800},"qris":{"acquirer":"gopay"}}`
	if got := string(srv.Charges()[0].Body); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
	if !in.ExpiresAt.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("ExpiresAt %v: Midtrans' QRIS default is 15 minutes", in.ExpiresAt)
	}
}

func TestCreateStoreTwice(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	inv := invoice("LDG-store-again", payments.Indomaret)
	first, err := c.Create(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Create(context.Background(), inv)
	if err != nil || second != first {
		t.Errorf("second Create: %+v, %v; want %+v", second, err, first)
	}
	// The same order id at the other store is not the same payment.
	inv.Method = payments.Alfamart
	if _, err := c.Create(context.Background(), inv); !errors.Is(err, payments.ErrDuplicate) {
		t.Errorf("Create at another store: %v, want ErrDuplicate", err)
	}
	// QRIS: the status answer has no qr_string, so the order id is used up.
	q := invoice("LDG-qris-again", payments.QRIS)
	if _, err := c.Create(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(context.Background(), q); !errors.Is(err, payments.ErrDuplicate) {
		t.Errorf("second QRIS Create: %v, want ErrDuplicate", err)
	}
}

func TestVerifyStoreAndQRISThroughFake(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	for _, m := range []payments.Method{payments.Alfamart, payments.Indomaret, payments.QRIS} {
		id := "LDG-paid-" + string(m)
		if _, err := c.Create(context.Background(), invoice(id, m)); err != nil {
			t.Fatal(err)
		}
		_, body := srv.Notify(id, "settlement", 50400)
		n, err := c.Verify(context.Background(), nil, body)
		if err != nil || n.Status != payments.Paid || n.Amount != 50400 || n.OrderID != id || !n.PaidAt.Equal(now) {
			t.Errorf("%s: %+v, %v", m, n, err)
		}
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil {
			t.Fatal(err)
		}
		if m.Kind() == "store" && (fields["payment_type"] != "cstore" || fields["store"] != string(m) || fields["payment_code"] == nil) {
			t.Errorf("%s notification: %s", m, body)
		}
		if m == payments.QRIS && (fields["payment_type"] != "qris" || fields["acquirer"] != "gopay") {
			t.Errorf("%s notification: %s", m, body)
		}
		st, err := c.Status(context.Background(), id)
		if err != nil || st.Status != payments.Paid {
			t.Errorf("%s: Status %+v, %v", m, st, err)
		}
		_, body = srv.Notify(id, "expire", 50400)
		if n, err := c.Verify(context.Background(), nil, body); err != nil || n.Status != payments.Expired {
			t.Errorf("%s expire: %+v, %v", m, n, err)
		}
	}
}

func TestStoreAndQRISTestdata(t *testing.T) {
	exp := time.Date(2026, 11, 26, 10, 0, 0, 0, WIB)
	qr := midtranstest.QRString("7b2e91c4-d05a-4f6e-8c3a-1b9d2e4f6a80", 50400)
	tests := []struct {
		file   string
		method payments.Method
		want   payments.Instruction
	}{
		{"charge_alfamart.json", payments.Alfamart, payments.Instruction{OrderID: "LDG-ALF-0001", ProviderRef: "3c1e6f0a-8b7d-4e2a-9f51-2d7c4b8e6a10", VANumber: "8127002530231047"}},
		{"charge_indomaret.json", payments.Indomaret, payments.Instruction{OrderID: "LDG-IDM-0001", ProviderRef: "5a0f2c6e-1d3b-4f7a-b8e9-6c4d2a1f0e37", VANumber: "5781002530231048"}},
		{"charge_qris.json", payments.QRIS, payments.Instruction{OrderID: "LDG-QRS-0001", ProviderRef: "7b2e91c4-d05a-4f6e-8c3a-1b9d2e4f6a80", QRString: qr}},
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
			// The answer is refused for another method, amount or order.
			for _, other := range []payments.Method{payments.BCA, payments.Alfamart, payments.Indomaret, payments.QRIS} {
				if other == tt.method {
					continue
				}
				inv := invoice(tt.want.OrderID, other)
				if _, err := c.Create(context.Background(), inv); err == nil || payments.IsTransient(err) {
					t.Errorf("answer accepted for %s: %v", other, err)
				}
			}
			inv.Amount = 16800
			if _, err := c.Create(context.Background(), inv); err == nil || payments.IsTransient(err) {
				t.Errorf("amount mismatch: %v", err)
			}
			if _, err := c.Create(context.Background(), invoice("LDG-OTHER", tt.method)); err == nil {
				t.Error("order mismatch accepted")
			}
		})
	}

	// Notifications for these payment types are signed and mapped as for banks.
	c, err := New(Options{ServerKey: midtranstest.ServerKey, SkipConfirm: true})
	if err != nil {
		t.Fatal(err)
	}
	notes := []struct {
		file string
		want payments.Notification
	}{
		{"notification_settlement_cstore.json", payments.Notification{OrderID: "LDG-IDM-0001", ProviderRef: "5a0f2c6e-1d3b-4f7a-b8e9-6c4d2a1f0e37", Status: payments.Paid, Amount: 50400, PaidAt: time.Date(2026, 11, 25, 13, 13, 56, 0, WIB)}},
		{"notification_settlement_qris.json", payments.Notification{OrderID: "LDG-QRS-0001", ProviderRef: "7b2e91c4-d05a-4f6e-8c3a-1b9d2e4f6a80", Status: payments.Paid, Amount: 50400, PaidAt: time.Date(2026, 11, 25, 10, 3, 12, 0, WIB)}},
	}
	for _, tt := range notes {
		body := testdata(t, tt.file)
		got, err := c.Verify(context.Background(), nil, body)
		want := tt.want
		want.Provider, want.Raw = "midtrans", body
		if err != nil || !equal(got, want) {
			t.Errorf("%s: %+v, %v\nwant %+v", tt.file, got, err, want)
		}
		forged := strings.Replace(string(body), `"50400.00"`, `"5040.00"`, 1)
		if _, err := c.Verify(context.Background(), nil, []byte(forged)); !errors.Is(err, payments.ErrForged) {
			t.Errorf("%s with another amount: %v, want ErrForged", tt.file, err)
		}
	}
}

func TestStoreAndQRISBadAnswers(t *testing.T) {
	edit := func(file string, f func(map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(testdata(t, file), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	qr := func(m map[string]any) string { return m["qr_string"].(string) }
	tests := map[string]struct {
		method payments.Method
		body   []byte
	}{
		"no payment_code":         {payments.Indomaret, edit("charge_indomaret.json", func(m map[string]any) { delete(m, "payment_code") })},
		"payment_code with space": {payments.Indomaret, edit("charge_indomaret.json", func(m map[string]any) { m["payment_code"] = "5781 0025" })},
		"payment_code lower case": {payments.Alfamart, edit("charge_alfamart.json", func(m map[string]any) { m["payment_code"] = "alf123" })},
		"payment_code too long":   {payments.Alfamart, edit("charge_alfamart.json", func(m map[string]any) { m["payment_code"] = strings.Repeat("1", 33) })},
		"store is indomaret":      {payments.Alfamart, edit("charge_alfamart.json", func(m map[string]any) { m["store"] = "indomaret" })},
		"not cstore":              {payments.Alfamart, edit("charge_alfamart.json", func(m map[string]any) { m["payment_type"] = "bank_transfer" })},
		"no qr_string":            {payments.QRIS, edit("charge_qris.json", func(m map[string]any) { delete(m, "qr_string") })},
		"qr_string bad CRC": {payments.QRIS, edit("charge_qris.json", func(m map[string]any) {
			m["qr_string"] = strings.Replace(qr(m), "540550400", "540510000", 1)
		})},
		"qr_string truncated": {payments.QRIS, edit("charge_qris.json", func(m map[string]any) { m["qr_string"] = qr(m)[:40] })},
		"not qris":            {payments.QRIS, edit("charge_qris.json", func(m map[string]any) { m["payment_type"] = "gopay" })},
	}
	for name, tt := range tests {
		c := fixed(t, 200, tt.body)
		inv := invoice(map[payments.Method]string{payments.Alfamart: "LDG-ALF-0001", payments.Indomaret: "LDG-IDM-0001", payments.QRIS: "LDG-QRS-0001"}[tt.method], tt.method)
		if _, err := c.Create(context.Background(), inv); err == nil || payments.IsTransient(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	// Upper-case letters in a store's code are let through.
	c := fixed(t, 200, edit("charge_alfamart.json", func(m map[string]any) { m["payment_code"] = "ALF8127002530" }))
	if in, err := c.Create(context.Background(), invoice("LDG-ALF-0001", payments.Alfamart)); err != nil || in.VANumber != "ALF8127002530" {
		t.Errorf("letters in a store code: %+v, %v", in, err)
	}
}

func TestFakeRefusesBadStoreCharges(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	for _, body := range []string{
		`{"payment_type":"cstore","transaction_details":{"order_id":"x1","gross_amount":1},"cstore":{"store":"lawson"}}`,
		`{"payment_type":"cstore","transaction_details":{"order_id":"x2","gross_amount":1}}`,
		`{"payment_type":"cstore","transaction_details":{"order_id":"x3","gross_amount":1},"cstore":{"store":"alfamart","alfamart_free_text_1":"a|b"}}`,
		`{"payment_type":"qris","transaction_details":{"order_id":"x4","gross_amount":1},"qris":{"acquirer":"ovo"}}`,
	} {
		status, resp, err := c.do(context.Background(), "charge", "POST", "/v2/charge", []byte(body))
		if err != nil || status != 400 {
			t.Errorf("%s: HTTP %d, %v: %s", body, status, err, resp)
		}
	}
}
