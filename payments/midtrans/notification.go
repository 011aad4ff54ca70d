package midtrans

import (
	"context"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/lindungi/lindungi/payments"
)

// Signature is Midtrans' signature_key: hex(SHA-512(order_id + status_code +
// gross_amount + server_key)), the fields exactly as they appear in the JSON.
func Signature(orderID, statusCode, grossAmount, serverKey string) string {
	sum := signature(orderID, statusCode, grossAmount, serverKey)
	return hex.EncodeToString(sum[:])
}

func signature(orderID, statusCode, grossAmount, serverKey string) [sha512.Size]byte {
	b := make([]byte, 0, len(orderID)+len(statusCode)+len(grossAmount)+len(serverKey))
	b = append(append(append(append(b, orderID...), statusCode...), grossAmount...), serverKey...)
	return sha512.Sum512(b)
}

// Verify checks a notification body's signature_key, then parses it. The
// header is not used: Midtrans signs inside the body. The signature covers
// order_id, status_code and gross_amount only, not transaction_status (200
// covers settlement, cancel, refund and chargeback alike), so every
// notification is confirmed with GET /v2/{order_id}/status (unless
// Options.SkipConfirm). When Midtrans then says something else (a reversal
// since, or an edited copy of a genuine notification), its own answer is
// returned instead, its body as Raw, with the claim in Unbacked: what it
// says is all that is applied.
func (c *Client) Verify(ctx context.Context, _ http.Header, body []byte) (payments.Notification, error) {
	t, err := c.verified("notification", body)
	if err != nil {
		return payments.Notification{}, err
	}
	n, err := notification(t, body)
	if err != nil || !c.confirm {
		return n, err
	}
	st, raw, err := c.status(ctx, "confirm", n.OrderID)
	if err != nil {
		return payments.Notification{}, err
	}
	cn, err := notification(st, raw)
	if err != nil {
		return payments.Notification{}, &payments.Error{Provider: Name, Op: "confirm", Kind: payments.Permanent, Err: err}
	}
	if cn.Status == n.Status && cn.Amount == n.Amount && cn.ProviderRef == n.ProviderRef {
		return n, nil
	}
	cn.Unbacked = n.Status
	return cn, nil
}

// Status asks Midtrans where an order stands (GET /v2/{order_id}/status); the
// answer's signature_key is checked like a notification's.
func (c *Client) Status(ctx context.Context, orderID string) (payments.Notification, error) {
	if err := payments.ValidOrderID(orderID); err != nil {
		return payments.Notification{}, err
	}
	t, raw, err := c.status(ctx, "status", orderID)
	if err != nil {
		return payments.Notification{}, err
	}
	n, err := notification(t, raw)
	if err != nil {
		return payments.Notification{}, &payments.Error{Provider: Name, Op: "status", Kind: payments.Permanent, Err: err}
	}
	return n, nil
}

// status fetches and verifies an order's status answer.
func (c *Client) status(ctx context.Context, op, orderID string) (transaction, []byte, error) {
	code, body, err := c.do(ctx, op, http.MethodGet, "/v2/"+url.PathEscape(orderID)+"/status", nil)
	if err != nil {
		return transaction{}, nil, err
	}
	if e := failure(op, code, body); e != nil && !transactionAnswer(code, body) {
		return transaction{}, nil, e
	}
	t, err := c.verified(op, body)
	if err != nil {
		return transaction{}, nil, err
	}
	if t.OrderID != orderID {
		return transaction{}, nil, fmt.Errorf("midtrans: %s %s: answer is for order %q: %w", op, orderID, t.OrderID, payments.ErrForged)
	}
	return t, body, nil
}

// transactionAnswer reports a status answer that describes a transaction:
// HTTP 200 with a transaction_status, whatever its status_code (202 for a
// denied one, 407 for an expired one). Its signature is checked next.
func transactionAnswer(httpStatus int, body []byte) bool {
	var t struct {
		TransactionStatus string `json:"transaction_status"`
	}
	return httpStatus == http.StatusOK && json.Unmarshal(body, &t) == nil && t.TransactionStatus != ""
}

// verified checks body's signature_key in constant time, reading nothing but
// the signed fields first, and only then decodes the rest.
func (c *Client) verified(op string, body []byte) (transaction, error) {
	if len(body) > payments.MaxNotificationSize {
		return transaction{}, fmt.Errorf("midtrans: %s: body of %d bytes: %w", op, len(body), payments.ErrForged)
	}
	var signed struct {
		OrderID      string `json:"order_id"`
		StatusCode   string `json:"status_code"`
		GrossAmount  string `json:"gross_amount"`
		SignatureKey string `json:"signature_key"`
	}
	if err := json.Unmarshal(body, &signed); err != nil {
		return transaction{}, fmt.Errorf("midtrans: %s: no readable signature: %w", op, payments.ErrForged)
	}
	want := signature(signed.OrderID, signed.StatusCode, signed.GrossAmount, c.key)
	got, err := hex.DecodeString(signed.SignatureKey)
	if err != nil || subtle.ConstantTimeCompare(got, want[:]) != 1 {
		return transaction{}, fmt.Errorf("midtrans: %s: signature_key does not match: %w", op, payments.ErrForged)
	}
	var t transaction
	if err := json.Unmarshal(body, &t); err != nil {
		return transaction{}, fmt.Errorf("midtrans: %s %s: %w", op, signed.OrderID, err)
	}
	return t, nil
}

// notification maps a verified Midtrans transaction to a Notification.
func notification(t transaction, raw []byte) (payments.Notification, error) {
	if err := payments.ValidOrderID(t.OrderID); err != nil {
		return payments.Notification{}, fmt.Errorf("midtrans: notification: %w", err)
	}
	fail := func(format string, a ...any) (payments.Notification, error) {
		return payments.Notification{}, fmt.Errorf("midtrans: notification for %s: %s", t.OrderID, fmt.Sprintf(format, a...))
	}
	// The signed fields must be in Midtrans' exact formats, so that their
	// concatenation cannot be re-cut into other values with the same signature.
	if _, ok := statusCode(t.StatusCode); !ok {
		return fail("status_code %q is not 3 digits", t.StatusCode)
	}
	amount, err := ParseAmount(t.GrossAmount)
	if err != nil {
		return fail("gross_amount: %v", err)
	}
	st, err := mapStatus(t.TransactionStatus, t.FraudStatus)
	if err != nil {
		return fail("%v", err)
	}
	// transaction_status is not signed; status_code is. Money only counts with
	// the success code.
	if st == payments.Paid && t.StatusCode != "200" {
		return payments.Notification{}, fmt.Errorf("midtrans: notification for %s: transaction_status %q with status_code %s: %w", t.OrderID, t.TransactionStatus, t.StatusCode, payments.ErrForged)
	}
	n := payments.Notification{Provider: Name, OrderID: t.OrderID, ProviderRef: t.TransactionID, Status: st, Amount: amount, Raw: raw}
	if st == payments.Paid || st == payments.Refunded {
		at := t.SettlementTime
		if at == "" && st == payments.Paid {
			at = t.TransactionTime
		}
		if at != "" {
			pt, err := time.ParseInLocation(timeLayout, at, WIB)
			if err != nil {
				return fail("settlement_time %q: %v", at, err)
			}
			n.PaidAt = pt
		}
	}
	return n, nil
}

// mapStatus maps Midtrans' transaction_status (and fraud_status, for card
// captures) to ours.
func mapStatus(status, fraud string) (payments.Status, error) {
	switch status {
	case "pending", "authorize":
		return payments.Pending, nil
	case "settlement":
		return payments.Paid, nil
	case "capture":
		switch fraud {
		case "", "accept":
			return payments.Paid, nil
		case "challenge":
			return payments.Pending, nil
		case "deny":
			return payments.Failed, nil
		}
		return "", fmt.Errorf("unknown fraud_status %q", fraud)
	case "expire":
		return payments.Expired, nil
	case "cancel":
		return payments.Cancelled, nil
	case "deny", "failure":
		return payments.Failed, nil
	case "refund", "partial_refund", "chargeback", "partial_chargeback":
		return payments.Refunded, nil
	}
	return "", fmt.Errorf("unknown transaction_status %q", status)
}

// ParseAmount reads Midtrans' gross_amount ("16800.00") as whole Rupiah.
// Fractions of a Rupiah, signs, exponents, leading zeros and values beyond
// 10^15 are refused.
func ParseAmount(s string) (int64, error) {
	whole, frac, dot := s, "", false
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			whole, frac, dot = s[:i], s[i+1:], true
			break
		}
	}
	if whole == "" || !digits(whole) || (dot && (frac == "" || !digits(frac))) {
		return 0, fmt.Errorf("amount %q is not a number of Rupiah", s)
	}
	if len(whole) > 1 && whole[0] == '0' {
		return 0, fmt.Errorf("amount %q has a leading zero", s)
	}
	for i := 0; i < len(frac); i++ {
		if frac[i] != '0' {
			return 0, fmt.Errorf("amount %q has a fraction of a Rupiah", s)
		}
	}
	if len(whole) > 15 {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	var n int64
	for i := 0; i < len(whole); i++ {
		n = n*10 + int64(whole[i]-'0')
	}
	return n, nil
}

// FormatAmount writes whole Rupiah as Midtrans does: "16800.00".
func FormatAmount(n int64) string { return fmt.Sprintf("%d.00", n) }
