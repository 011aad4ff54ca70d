package sandbox

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/payments"
)

var (
	secret = []byte("sandbox-secret-for-tests-0123456")
	now    = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("WIB", 7*3600))
)

func provider(t testing.TB) *Provider {
	t.Helper()
	p, err := New(Options{Secret: secret, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreate(t *testing.T) {
	p := provider(t)
	tests := []struct {
		method     payments.Method
		length     int
		prefix     string
		billerCode string
	}{
		{payments.BCA, 16, "12345", ""},
		{payments.BNI, 16, "988", ""},
		{payments.BRI, 15, "26215", ""},
		{payments.Permata, 16, "8562", ""},
		{payments.Mandiri, 12, "99", "70012"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		inv := payments.Invoice{OrderID: "LDG-" + string(tt.method), Amount: 50400, Method: tt.method}
		in, err := p.Create(context.Background(), inv)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.VANumber) != tt.length || !strings.HasPrefix(in.VANumber, tt.prefix) || !digits(in.VANumber) {
			t.Errorf("%s: VA %q, want %d digits starting %s", tt.method, in.VANumber, tt.length, tt.prefix)
		}
		if in.Provider != "sandbox" || in.OrderID != inv.OrderID || in.Bank != tt.method || in.Amount != 50400 || in.BillerCode != tt.billerCode || !in.ExpiresAt.Equal(now.Add(24*time.Hour)) || !strings.HasPrefix(in.ProviderRef, "sbx-") {
			t.Errorf("%s: %+v", tt.method, in)
		}
		again, _ := p.Create(context.Background(), inv)
		if again != in {
			t.Errorf("%s: not deterministic: %+v then %+v", tt.method, in, again)
		}
		if seen[in.VANumber] {
			t.Errorf("%s: VA %s repeated", tt.method, in.VANumber)
		}
		seen[in.VANumber] = true
	}
	// Another order at the same bank gets another code; the invoice's expiry is kept.
	exp := now.Add(2 * time.Hour)
	in, err := p.Create(context.Background(), payments.Invoice{OrderID: "LDG-bca-2", Amount: 1, Method: payments.BCA, ExpiresAt: exp})
	if err != nil || seen[in.VANumber] || !in.ExpiresAt.Equal(exp) {
		t.Errorf("second order: %+v, %v", in, err)
	}
	// Another secret, other codes.
	other, _ := New(Options{Secret: []byte("another-secret-of-32-bytes-00000")})
	if in2, _ := other.Create(context.Background(), payments.Invoice{OrderID: "LDG-bca-2", Amount: 1, Method: payments.BCA}); in2.VANumber == in.VANumber {
		t.Error("codes do not depend on the secret")
	}
	if _, err := p.Create(context.Background(), payments.Invoice{OrderID: "LDG-1", Amount: 0, Method: payments.BCA}); err == nil {
		t.Error("zero amount accepted")
	}
}

func TestPrefix(t *testing.T) {
	p, err := New(Options{Secret: secret, Prefix: map[payments.Method]string{payments.BCA: "39011"}})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Code("LDG-1", payments.BCA); !strings.HasPrefix(c, "39011") || len(c) != 16 {
		t.Errorf("code %s", c)
	}
	for _, o := range []Options{
		{Secret: []byte("short")},
		{Secret: secret, Prefix: map[payments.Method]string{payments.BCA: "12a"}},
		{Secret: secret, Prefix: map[payments.Method]string{payments.Mandiri: "123456789012"}},
		{Secret: secret, Prefix: map[payments.Method]string{"gopay": "1"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestVerify(t *testing.T) {
	p := provider(t)
	paidAt := time.Date(2026, 11, 25, 3, 12, 31, 0, time.UTC)
	for _, st := range []payments.Status{payments.Pending, payments.Paid, payments.Expired, payments.Cancelled, payments.Failed, payments.Refunded} {
		h, body := p.Notify("LDG-1", 50400, st, paidAt)
		n, err := p.Verify(context.Background(), h, body)
		if err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		want := payments.Notification{Provider: "sandbox", OrderID: "LDG-1", ProviderRef: p.ref("LDG-1"), Status: st, Amount: 50400}
		if st == payments.Paid || st == payments.Refunded {
			want.PaidAt = paidAt
		}
		if n.Provider != want.Provider || n.OrderID != want.OrderID || n.ProviderRef != want.ProviderRef || n.Status != want.Status || n.Amount != want.Amount || !n.PaidAt.Equal(want.PaidAt) || !bytes.Equal(n.Raw, body) {
			t.Errorf("%s:\n got %+v\nwant %+v", st, n, want)
		}
	}
	// The ref matches Create's.
	in, _ := p.Create(context.Background(), payments.Invoice{OrderID: "LDG-1", Amount: 50400, Method: payments.BRI})
	if in.ProviderRef != p.ref("LDG-1") {
		t.Error("Create and the notification disagree on the ref")
	}
}

func TestVerifyRefuses(t *testing.T) {
	p := provider(t)
	body := p.NotificationBody("LDG-1", 50400, payments.Paid, now)
	sig := p.Sign(body)
	hdr := func(v string) http.Header {
		h := http.Header{}
		if v != "" {
			h.Set(Header, v)
		}
		return h
	}
	tampered := bytes.Replace(body, []byte("50400"), []byte("504000"), 1)
	other, _ := New(Options{Secret: []byte("another-secret-of-32-bytes-00000")})
	signedBy := func(p *Provider, b string) (http.Header, []byte) { return hdr(p.Sign([]byte(b))), []byte(b) }
	tests := []struct {
		name   string
		h      http.Header
		body   []byte
		forged bool
	}{
		{"no header", hdr(""), body, true},
		{"nil header", nil, body, true},
		{"not hex", hdr("zz" + sig[2:]), body, true},
		{"truncated", hdr(sig[:32]), body, true},
		{"other secret", hdr(other.Sign(body)), body, true},
		{"tampered amount", hdr(sig), tampered, true},
		{"garbage with a wrong signature", hdr(sig), []byte("\x00\xff not json"), true},
		{"too large", hdr(sig), make([]byte, payments.MaxNotificationSize+1), true},
	}
	for _, tt := range []struct{ name, body string }{
		{"unknown status", `{"order_id":"LDG-1","transaction_id":"x","status":"settlement","amount":1}`},
		{"unknown field", `{"order_id":"LDG-1","transaction_id":"x","status":"paid","amount":1,"bonus":1}`},
		{"fractional amount", `{"order_id":"LDG-1","transaction_id":"x","status":"paid","amount":1.5}`},
		{"negative amount", `{"order_id":"LDG-1","transaction_id":"x","status":"paid","amount":-1}`},
		{"bad order id", `{"order_id":"","transaction_id":"x","status":"paid","amount":1}`},
		{"two objects", `{"order_id":"LDG-1","transaction_id":"x","status":"paid","amount":1}{}`},
		{"not json", `order_id=LDG-1`},
	} {
		h, b := signedBy(p, tt.body)
		tests = append(tests, struct {
			name   string
			h      http.Header
			body   []byte
			forged bool
		}{tt.name, h, b, false})
	}
	for _, tt := range tests {
		_, err := p.Verify(context.Background(), tt.h, tt.body)
		if err == nil || errors.Is(err, payments.ErrForged) != tt.forged {
			t.Errorf("%s: %v, want forged=%v", tt.name, err, tt.forged)
		}
	}
	// Uppercase hex is the same signature.
	if _, err := p.Verify(context.Background(), hdr(strings.ToUpper(sig)), body); err != nil {
		t.Errorf("uppercase: %v", err)
	}
}

func TestStatusIsANoOp(t *testing.T) {
	p := provider(t)
	_, err := p.Status(context.Background(), "LDG-1")
	if !errors.Is(err, payments.ErrNotFound) || payments.IsTransient(err) {
		t.Errorf("Status: %v, want permanent ErrNotFound", err)
	}
}

// FuzzVerify: Verify never panics, accepts only bodies signed with the
// secret, and a signature never survives a change to the body.
func FuzzVerify(f *testing.F) {
	p := provider(f)
	for _, st := range []payments.Status{payments.Paid, payments.Expired, payments.Pending} {
		f.Add(p.NotificationBody("LDG-1", 50400, st, now), 0, byte('x'), true)
	}
	f.Add([]byte(`{"order_id":1}`), 3, byte('"'), false)
	f.Fuzz(func(t *testing.T, body []byte, pos int, b byte, sign bool) {
		sig := "00"
		if sign {
			sig = p.Sign(body)
		}
		h := http.Header{Header: {sig}}
		n, err := p.Verify(context.Background(), h, body)
		if err == nil && (!sign || n.Amount < 0 || !bytes.Equal(n.Raw, body)) {
			t.Fatalf("accepted %q with signature %s: %+v", body, sig, n)
		}
		if len(body) == 0 {
			return
		}
		// The same signature over a changed body.
		changed := bytes.Clone(body)
		i := pos % len(changed)
		if i < 0 {
			i = -i
		}
		if changed[i] == b {
			return
		}
		changed[i] = b
		if _, err := p.Verify(context.Background(), h, changed); !errors.Is(err, payments.ErrForged) {
			t.Fatalf("signature of %q accepted for %q: %v", body, changed, err)
		}
	})
}

func TestCancel(t *testing.T) {
	p := provider(t)
	var c payments.Canceller = p // the development provider can cancel too
	in, err := p.Create(context.Background(), payments.Invoice{OrderID: "LDG-old", Amount: 50400, Method: payments.BRI})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, order string
		ok          bool
	}{
		{"issued code", in.OrderID, true},
		{"again", in.OrderID, true},
		{"never issued", "LDG-never", true}, // the sandbox cannot know
		{"empty", "", false},
		{"slash", "LDG/1", false},
		{"too long", strings.Repeat("x", payments.MaxOrderID+1), false},
	}
	for _, tt := range tests {
		err := c.Cancel(context.Background(), tt.order)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Cancel(%q) = %v, want ok=%v", tt.name, tt.order, err, tt.ok)
		}
		var pe *payments.Error
		if err != nil && (errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "sandbox: cancel: ")) {
			t.Errorf("%s: %v, want a plain sandbox error", tt.name, err)
		}
	}
	// Cancelling changes nothing the sandbox derives: the same invoice still
	// gets the same code (the caller's database says it is cancelled).
	again, err := p.Create(context.Background(), payments.Invoice{OrderID: "LDG-old", Amount: 50400, Method: payments.BRI})
	if err != nil || again != in {
		t.Errorf("Create after Cancel: %+v, %v; want %+v", again, err, in)
	}
}
