// Package sandbox is the built-in payment provider for development (the
// default of `make run`): it issues realistic virtual account numbers,
// convenience-store payment codes and QRIS payloads without calling anyone, and verifies notifications signed with an HMAC key, which
// the /sandbox/pay page uses to fire the same notification path a real
// gateway would.
//
// The sandbox keeps no state. A payment code is derived from the order id
// and the method (the same invoice always gets the same code; a QRIS payload
// from the order id and the amount), so the pay page
// finds the order through the instruction the caller stored. Status cannot
// know anything: reconciliation is a no-op for the sandbox (ErrNotFound).
// Cancel has nothing to stop either: it checks the order id and succeeds
// (the caller's own record of the code is what the pay page goes by).
package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/payments"
)

// Name is the provider's name in configuration and URLs.
const Name = "sandbox"

// Header carries a notification's signature: hex(HMAC-SHA256(secret, body)).
const Header = "X-Sandbox-Signature"

// BillerCode is the sandbox's Mandiri biller code (Midtrans' is 70012 too).
const BillerCode = "70012"

// DefaultExpiry is how long a code lives when the invoice does not say.
const DefaultExpiry = 24 * time.Hour

// DefaultQRISExpiry is how long a QRIS code lives when the invoice does not
// say (Midtrans' default for QRIS).
const DefaultQRISExpiry = 15 * time.Minute

// QRMerchantName is the merchant name (tag 59) of the sandbox's QRIS codes.
const QRMerchantName = "LINDUNGI SANDBOX"

// codeFormat is the shape of a bank's or a store's payment code: its length in digits and
// a default prefix (company or institution code).
type codeFormat struct {
	length int
	prefix string
}

var formats = map[payments.Method]codeFormat{
	payments.BCA:     {16, "12345"}, // 5-digit company code + 11 digits
	payments.BNI:     {16, "988"},   // 988 + client id + customer number
	payments.BRI:     {15, "26215"}, // BRIVA: 5-digit institution code + 10 digits
	payments.Permata: {16, "8562"},
	payments.Mandiri: {12, "99"}, // bill key; paid with biller code 70012
	// Convenience stores: digits only, like Midtrans' (its samples: Alfamart
	// 16 digits, Indomaret 12 to 18).
	payments.Alfamart:  {16, "8127"},
	payments.Indomaret: {16, "300"},
}

// Options configure a Provider.
type Options struct {
	Secret []byte // HMAC key for notifications, at least 16 bytes
	Now    func() time.Time
	Prefix map[payments.Method]string // override a bank's or a store's code prefix (digits, shorter than the code)
}

// Provider is the sandbox. It is safe for concurrent use.
type Provider struct {
	secret []byte
	now    func() time.Time
	prefix map[payments.Method]string
}

var (
	_ payments.Provider  = (*Provider)(nil)
	_ payments.Canceller = (*Provider)(nil)
)

// New returns a sandbox provider.
func New(o Options) (*Provider, error) {
	if len(o.Secret) < 16 {
		return nil, errors.New("sandbox: secret shorter than 16 bytes")
	}
	p := &Provider{secret: bytes.Clone(o.Secret), now: o.Now, prefix: map[payments.Method]string{}}
	if p.now == nil {
		p.now = clock.Now
	}
	for m, f := range formats {
		p.prefix[m] = f.prefix
	}
	for m, pre := range o.Prefix {
		f, ok := formats[m]
		if !ok {
			return nil, fmt.Errorf("sandbox: prefix for unknown method %q", m)
		}
		if len(pre) >= f.length || !digits(pre) {
			return nil, fmt.Errorf("sandbox: prefix %q for %s: want fewer than %d digits", pre, m, f.length)
		}
		p.prefix[m] = pre
	}
	return p, nil
}

// Name is "sandbox".
func (p *Provider) Name() string { return Name }

func (p *Provider) mac(parts ...string) []byte {
	h := hmac.New(sha256.New, p.secret)
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// Code is the payment code the sandbox gives an order at a bank or a store
// (all digits); "" for QRIS, which has no code (see QRString).
func (p *Provider) Code(orderID string, m payments.Method) string {
	f := formats[m]
	pre := p.prefix[m]
	out := make([]byte, 0, f.length)
	out = append(out, pre...)
	sum := p.mac("va", string(m), orderID)
	for i := 0; len(out) < f.length; i++ {
		if i == len(sum) {
			sum, i = p.mac("va-more", string(sum)), 0
		}
		out = append(out, '0'+sum[i]%10)
	}
	return string(out)
}

// ref is the sandbox's transaction id of an order.
func (p *Provider) ref(orderID string) string {
	return "sbx-" + hex.EncodeToString(p.mac("ref", orderID)[:10])
}

// QRString is the sandbox's QRIS payload for an order: an EMVCo
// merchant-presented, dynamic ("010212") payload with the sandbox's merchant
// account (26) and a QRIS national merchant id (51), MCC 9399, IDR (53 "360"),
// the amount (54), country ID, merchant name QRMerchantName (59), city
// JAKARTA (60), the sandbox's transaction id as bill number (62, sub-tag 01),
// and the CRC field 6304 computed with payments.QRCRC. The same order and
// amount always give the same payload. Amounts of more than 13 digits are
// refused (EMVCo's limit for tag 54).
func (p *Provider) QRString(orderID string, amount int64) (string, error) {
	a := fmt.Sprint(amount)
	if amount <= 0 || len(a) > 13 {
		return "", fmt.Errorf("sandbox: QRIS amount %d: want 1 to 13 digits", amount)
	}
	tlv := func(tag, v string) string { return fmt.Sprintf("%s%02d%s", tag, len(v), v) }
	s := tlv("00", "01") + tlv("01", "12") +
		tlv("26", tlv("00", "ID.LINDUNGI.SANDBOX")+tlv("01", "936099990000000001")+tlv("02", "LDGSANDBOX01")+tlv("03", "UMI")) +
		tlv("51", tlv("00", "ID.CO.QRIS.WWW")+tlv("02", "ID1026000000001")+tlv("03", "UMI")) +
		tlv("52", "9399") + tlv("53", "360") + tlv("54", a) + tlv("58", "ID") +
		tlv("59", QRMerchantName) + tlv("60", "JAKARTA") +
		tlv("62", tlv("01", p.ref(orderID))) + "6304"
	return s + fmt.Sprintf("%04X", payments.QRCRC(s)), nil
}

// Create issues a payment code (a QRIS payload for QRIS); nothing is stored
// and nothing is called.
func (p *Provider) Create(ctx context.Context, inv payments.Invoice) (payments.Instruction, error) {
	if err := inv.Validate(); err != nil {
		return payments.Instruction{}, err
	}
	exp := inv.ExpiresAt
	if exp.IsZero() {
		d := DefaultExpiry
		if inv.Method == payments.QRIS {
			d = DefaultQRISExpiry
		}
		exp = p.now().Add(d)
	}
	in := payments.Instruction{Provider: Name, OrderID: inv.OrderID, ProviderRef: p.ref(inv.OrderID), Bank: inv.Method, Amount: inv.Amount, ExpiresAt: exp}
	switch inv.Method {
	case payments.QRIS:
		qr, err := p.QRString(inv.OrderID, inv.Amount)
		if err != nil {
			return payments.Instruction{}, err
		}
		in.QRString = qr
	case payments.Mandiri:
		in.VANumber, in.BillerCode = p.Code(inv.OrderID, inv.Method), BillerCode
	default:
		in.VANumber = p.Code(inv.OrderID, inv.Method)
	}
	return in, nil
}

// wire is the sandbox notification body.
type wire struct {
	OrderID       string    `json:"order_id"`
	TransactionID string    `json:"transaction_id"`
	Status        string    `json:"status"`
	Amount        int64     `json:"amount"`
	PaidAt        time.Time `json:"paid_at,omitzero"`
}

// Sign is the X-Sandbox-Signature of a body.
func (p *Provider) Sign(body []byte) string {
	h := hmac.New(sha256.New, p.secret)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// NotificationBody is the body the sandbox "gateway" posts when an order
// reaches status (at is when it was paid; ignored unless status is Paid or
// Refunded). Send it with Header set to Sign(body).
func (p *Provider) NotificationBody(orderID string, amount int64, status payments.Status, at time.Time) []byte {
	w := wire{OrderID: orderID, TransactionID: p.ref(orderID), Status: string(status), Amount: amount}
	if status == payments.Paid || status == payments.Refunded {
		w.PaidAt = at.UTC()
	}
	b, err := json.Marshal(w)
	if err != nil {
		panic(err) // cannot happen: plain strings, ints and a time
	}
	return b
}

// Notify returns the headers and body of a signed notification, ready to
// POST to /payments/sandbox/notification.
func (p *Provider) Notify(orderID string, amount int64, status payments.Status, at time.Time) (http.Header, []byte) {
	body := p.NotificationBody(orderID, amount, status, at)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(Header, p.Sign(body))
	return h, body
}

// Verify checks the X-Sandbox-Signature header in constant time before it
// reads the body, then parses it strictly.
func (p *Provider) Verify(ctx context.Context, header http.Header, body []byte) (payments.Notification, error) {
	if len(body) > payments.MaxNotificationSize {
		return payments.Notification{}, fmt.Errorf("sandbox: notification of %d bytes: %w", len(body), payments.ErrForged)
	}
	got, err := hex.DecodeString(header.Get(Header))
	h := hmac.New(sha256.New, p.secret)
	h.Write(body)
	if err != nil || subtle.ConstantTimeCompare(got, h.Sum(nil)) != 1 {
		return payments.Notification{}, fmt.Errorf("sandbox: notification: %s does not match: %w", Header, payments.ErrForged)
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return payments.Notification{}, fmt.Errorf("sandbox: notification: %w", err)
	}
	if dec.More() {
		return payments.Notification{}, errors.New("sandbox: notification: data after the JSON object")
	}
	if err := payments.ValidOrderID(w.OrderID); err != nil {
		return payments.Notification{}, fmt.Errorf("sandbox: notification: %w", err)
	}
	st := payments.Status(w.Status)
	switch st {
	case payments.Pending, payments.Paid, payments.Expired, payments.Cancelled, payments.Failed, payments.Refunded:
	default:
		return payments.Notification{}, fmt.Errorf("sandbox: notification for %s: unknown status %q", w.OrderID, w.Status)
	}
	if w.Amount < 0 {
		return payments.Notification{}, fmt.Errorf("sandbox: notification for %s: negative amount", w.OrderID)
	}
	n := payments.Notification{Provider: Name, OrderID: w.OrderID, ProviderRef: w.TransactionID, Status: st, Amount: w.Amount, Raw: body}
	if st == payments.Paid || st == payments.Refunded {
		n.PaidAt = w.PaidAt
	}
	return n, nil
}

// Status cannot know anything: the sandbox keeps no state, so reconciliation
// is a no-op for it. It always wraps ErrNotFound.
func (p *Provider) Status(ctx context.Context, orderID string) (payments.Notification, error) {
	return payments.Notification{}, &payments.Error{Provider: Name, Op: "status", Kind: payments.Permanent, Message: "the sandbox keeps no state; reconciliation is a no-op", Err: payments.ErrNotFound}
}

// Cancel cancels orderID's code. The sandbox keeps no state of its own (its
// codes live in the caller's database, which marks the code cancelled), so
// there is nothing to stop here: Cancel checks the order id (a plain error
// for an invalid one, as Create's) and returns nil, for any order, as many
// times as it is asked. It never answers ErrNotFound or ErrNotCancellable.
func (p *Provider) Cancel(ctx context.Context, orderID string) error {
	if err := payments.ValidOrderID(orderID); err != nil {
		return fmt.Errorf("sandbox: cancel: %w", err)
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
