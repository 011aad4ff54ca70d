package sandbox

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/payments"
)

func TestCreateStores(t *testing.T) {
	p := provider(t)
	seen := map[string]bool{}
	for _, tt := range []struct {
		method payments.Method
		prefix string
	}{{payments.Alfamart, "8127"}, {payments.Indomaret, "300"}} {
		inv := payments.Invoice{OrderID: "LDG-store-1", Amount: 50400, Method: tt.method}
		in, err := p.Create(context.Background(), inv)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.VANumber) != 16 || !digits(in.VANumber) || !strings.HasPrefix(in.VANumber, tt.prefix) || in.VANumber != p.Code(inv.OrderID, tt.method) {
			t.Errorf("%s: code %q, want 16 digits starting %s", tt.method, in.VANumber, tt.prefix)
		}
		if in.Provider != "sandbox" || in.Bank != tt.method || in.Amount != 50400 || in.BillerCode != "" || in.QRString != "" || !in.ExpiresAt.Equal(now.Add(24*time.Hour)) {
			t.Errorf("%s: %+v", tt.method, in)
		}
		if again, _ := p.Create(context.Background(), inv); again != in {
			t.Errorf("%s: not deterministic: %+v then %+v", tt.method, in, again)
		}
		if seen[in.VANumber] {
			t.Errorf("%s: code repeated", tt.method)
		}
		seen[in.VANumber] = true
	}
	q, err := New(Options{Secret: secret, Prefix: map[payments.Method]string{payments.Indomaret: "9"}})
	if err != nil {
		t.Fatal(err)
	}
	if c := q.Code("LDG-1", payments.Indomaret); !strings.HasPrefix(c, "9") || len(c) != 16 {
		t.Errorf("Indomaret with prefix 9: %s", c)
	}
	if _, err := New(Options{Secret: secret, Prefix: map[payments.Method]string{payments.QRIS: "1"}}); err == nil {
		t.Error("a prefix for QRIS accepted")
	}
	if p.Code("LDG-1", payments.QRIS) != "" {
		t.Error("QRIS has a code")
	}
}

// fields parses one level of EMVCo tag-length-value.
func fields(t *testing.T, s string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for len(s) > 0 {
		if len(s) < 4 {
			t.Fatalf("TLV cut short at %q", s)
		}
		n, err := strconv.Atoi(s[2:4])
		if err != nil || len(s) < 4+n {
			t.Fatalf("TLV length at %q", s)
		}
		if _, dup := m[s[:2]]; dup {
			t.Fatalf("tag %s twice", s[:2])
		}
		m[s[:2]] = s[4 : 4+n]
		s = s[4+n:]
	}
	return m
}

func TestCreateQRIS(t *testing.T) {
	p := provider(t)
	inv := payments.Invoice{OrderID: "LDG-qris-1", Amount: 50400, Method: payments.QRIS}
	in, err := p.Create(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if in.VANumber != "" || in.BillerCode != "" || in.Bank != payments.QRIS || !in.ExpiresAt.Equal(now.Add(DefaultQRISExpiry)) || in.ProviderRef != p.ref(inv.OrderID) {
		t.Errorf("%+v", in)
	}
	if err := payments.CheckQRString(in.QRString); err != nil {
		t.Fatalf("%v: %s", err, in.QRString)
	}
	f := fields(t, in.QRString)
	want := map[string]string{"00": "01", "01": "12", "52": "9399", "53": "360", "54": "50400", "58": "ID", "59": "LINDUNGI SANDBOX", "60": "JAKARTA"}
	for tag, v := range want {
		if f[tag] != v {
			t.Errorf("tag %s = %q, want %q", tag, f[tag], v)
		}
	}
	if !strings.HasPrefix(in.QRString, "000201") || !strings.HasSuffix(in.QRString[:len(in.QRString)-4], "6304") || len(f["63"]) != 4 {
		t.Errorf("payload %s", in.QRString)
	}
	if got := fields(t, f["62"])["01"]; got != in.ProviderRef {
		t.Errorf("bill number %q, want %q", got, in.ProviderRef)
	}
	if fields(t, f["51"])["00"] != "ID.CO.QRIS.WWW" || fields(t, f["26"])["00"] == "" {
		t.Errorf("merchant accounts 26 %q, 51 %q", f["26"], f["51"])
	}
	// Deterministic; another order, amount or secret gives another payload.
	if again, _ := p.Create(context.Background(), inv); again != in {
		t.Errorf("not deterministic:\n%+v\n%+v", in, again)
	}
	for name, qr := range map[string]string{
		"order":  must(p.QRString("LDG-qris-2", 50400)),
		"amount": must(p.QRString("LDG-qris-1", 16800)),
		"secret": must(mustNew(t, []byte("another-secret-of-32-bytes-00000")).QRString("LDG-qris-1", 50400)),
	} {
		if qr == in.QRString || payments.CheckQRString(qr) != nil {
			t.Errorf("another %s: %s", name, qr)
		}
	}
	// The invoice's expiry is kept; 13 digits at most.
	exp := now.Add(time.Hour)
	if in, err := p.Create(context.Background(), payments.Invoice{OrderID: "LDG-qris-3", Amount: 9999999999999, Method: payments.QRIS, ExpiresAt: exp}); err != nil || !in.ExpiresAt.Equal(exp) || fields(t, in.QRString)["54"] != "9999999999999" {
		t.Errorf("%+v, %v", in, err)
	}
	if _, err := p.Create(context.Background(), payments.Invoice{OrderID: "LDG-qris-4", Amount: 10000000000000, Method: payments.QRIS}); err == nil {
		t.Error("14-digit amount accepted")
	}
}

// TestQRStringPinned keeps the sandbox's payload stable (stored instructions
// and screenshots depend on it); the CRC was checked with an independent
// CRC-16/CCITT-FALSE implementation.
func TestQRStringPinned(t *testing.T) {
	got := must(provider(t).QRString("LDG-qris-1", 50400))
	const want = "00020101021226680019ID.LINDUNGI.SANDBOX01189360999900000000010212LDGSANDBOX010303UMI51440014ID.CO.QRIS.WWW0215ID10260000000010303UMI5204939953033605405504005802ID5916LINDUNGI SANDBOX6007JAKARTA62280124sbx-20c1810504e4915181e16304CAC3"
	if got != want {
		t.Errorf("QRString\n got %s\nwant %s", got, want)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func mustNew(t *testing.T, secret []byte) *Provider {
	t.Helper()
	p, err := New(Options{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
