package midtrans

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

// FuzzVerify: Verify never panics, and whatever it accepts carries the
// signature of exactly the order id, status code and amount it reports.
func FuzzVerify(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"order_id":"A","status_code":"200","gross_amount":"1.00","signature_key":"00"}`))
	f.Add([]byte(`{"order_id":1}`))
	c, err := New(Options{ServerKey: midtranstest.ServerKey, SkipConfirm: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := c.Verify(context.Background(), nil, body)
		if err != nil {
			return
		}
		var s struct{ OrderID, StatusCode, GrossAmount, SignatureKey string }
		if err := json.Unmarshal(body, &struct {
			OrderID      *string `json:"order_id"`
			StatusCode   *string `json:"status_code"`
			GrossAmount  *string `json:"gross_amount"`
			SignatureKey *string `json:"signature_key"`
		}{&s.OrderID, &s.StatusCode, &s.GrossAmount, &s.SignatureKey}); err != nil {
			t.Fatalf("accepted a body that does not decode: %v", err)
		}
		if !strings.EqualFold(s.SignatureKey, Signature(s.OrderID, s.StatusCode, s.GrossAmount, midtranstest.ServerKey)) {
			t.Fatalf("accepted a bad signature: %s", body)
		}
		if n.OrderID != s.OrderID || n.Amount < 0 || FormatAmount(n.Amount) != normal(s.GrossAmount) || string(n.Raw) != string(body) {
			t.Fatalf("reported %+v for %s", n, body)
		}
	})
}

// normal writes an accepted gross_amount with exactly two zero decimals.
func normal(s string) string {
	whole, _, _ := strings.Cut(s, ".")
	return whole + ".00"
}

// FuzzTamper: a signature made for one (order_id, status_code, gross_amount)
// is never accepted for another, even one whose concatenation is the same
// ("LDG-12"+"00"+… against "LDG-1"+"200"+…).
func FuzzTamper(f *testing.F) {
	f.Add("LDG-12", "00", "16800.00", "settlement")
	f.Add("LDG-", "1200", "16800.00", "settlement")
	f.Add("LDG-1", "20", "016800.00", "settlement")
	f.Add("LDG-1", "2001", "6800.00", "pending")
	f.Add("LDG-1", "200", "16800.00", "cancel")
	f.Add("LDG-1", "200", "16800.0", "settlement")
	f.Add("LDG-1", "200", "168000.00", "settlement")
	c, err := New(Options{ServerKey: midtranstest.ServerKey, SkipConfirm: true})
	if err != nil {
		f.Fatal(err)
	}
	const order, code, gross = "LDG-1", "200", "16800.00"
	sig := Signature(order, code, gross, midtranstest.ServerKey)
	f.Fuzz(func(t *testing.T, o, sc, g, status string) {
		body, err := json.Marshal(map[string]string{"order_id": o, "status_code": sc, "gross_amount": g, "transaction_status": status, "signature_key": sig, "transaction_id": "x"})
		if err != nil {
			return
		}
		n, err := c.Verify(context.Background(), nil, body)
		same := o == order && sc == code && g == gross
		if err == nil && !same {
			t.Fatalf("signature of %s/%s/%s accepted for %q/%q/%q: %+v", order, code, gross, o, sc, g, n)
		}
		if !same && !errors.Is(err, payments.ErrForged) && o+sc+g != order+code+gross {
			t.Fatalf("tampered %q/%q/%q: %v, want ErrForged", o, sc, g, err)
		}
	})
}

// FuzzCancelAnswer: reading a cancel answer never panics, fails with a
// *payments.Error (transient only when Midtrans' answer says so or cannot be
// read), and says cancelled only for an answer about exactly this order
// with transaction_status "cancel" and a success status.
func FuzzCancelAnswer(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(200, b)
	}
	f.Add(412, []byte(`{"status_code":"412","status_message":"Merchant cannot modify the status of the transaction"}`))
	f.Add(200, []byte(`{"status_code":"200","order_id":"LDG-BCA-0001","transaction_status":"cancel"}`))
	f.Add(200, []byte(`{"order_id":"LDG-BCA-0001","transaction_status":"cancel"}`))
	f.Add(500, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		const order = "LDG-BCA-0001"
		e := cancelAnswer(order, status, body)
		if e != nil {
			if e.Provider != Name || e.Op != "cancel" || (e.Kind != payments.Transient && e.Kind != payments.Permanent) {
				t.Fatalf("error %+v", e)
			}
			if errors.Is(e, payments.ErrNotCancellable) && errors.Is(e, payments.ErrNotFound) {
				t.Fatalf("both sentinels: %v", e)
			}
			return
		}
		var a struct {
			StatusCode        *string `json:"status_code"`
			OrderID           string  `json:"order_id"`
			TransactionStatus string  `json:"transaction_status"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("cancelled by an answer that does not decode: %q", body)
		}
		if status/100 != 2 || a.OrderID != order || a.TransactionStatus != "cancel" || (a.StatusCode != nil && *a.StatusCode != "" && (*a.StatusCode)[0] != '2') {
			t.Fatalf("HTTP %d %q taken for a cancel", status, body)
		}
	})
}
