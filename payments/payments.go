// Package payments holds what every payment provider shares: the invoice we
// ask a gateway to collect, the instruction the worker follows to pay it, the
// notification the gateway sends back, and the small Provider interface the
// adapters (payments/sandbox, payments/midtrans) implement.
//
// Amounts are whole Rupiah (int64). Providers never log and never keep state
// of their own: the caller stores the Instruction and every Notification (its
// Raw body is meant for the append-only event log).
package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Method is how the worker pays: a bank's virtual account (Mandiri's is a
// "bill payment" with a biller code and a bill key), a payment code paid in
// cash at a convenience store, or a QRIS code scanned with any bank or
// e-wallet app.
type Method string

// The banks a virtual account can be opened at.
const (
	BCA     Method = "bca"
	BNI     Method = "bni"
	BRI     Method = "bri"
	Mandiri Method = "mandiri"
	Permata Method = "permata"
)

// The convenience stores a payment code can be paid at, and QRIS.
const (
	Alfamart  Method = "alfamart"  // Alfamart group (Alfamart, Alfamidi, DAN+DAN)
	Indomaret Method = "indomaret" // Indomaret
	QRIS      Method = "qris"      // a dynamic QRIS code (Instruction.QRString)
)

// Methods lists the banks, in the order a worker is offered them. It lists
// banks only (it feeds the bank picker); see StoreMethods and QRIS.
func Methods() []Method { return []Method{BRI, BNI, Mandiri, BCA, Permata} }

// StoreMethods lists the convenience stores, in the order a worker is
// offered them.
func StoreMethods() []Method { return []Method{Alfamart, Indomaret} }

// Minimum is the smallest amount m takes, in Rupiah: Rp10.000 at the
// convenience stores' counters (Xendit and DOKU document it for Alfamart and
// Indomaret; see iuran/SOURCES.md), none (1) elsewhere. A discounted month
// (Rp8.400) cannot be paid at a store.
func (m Method) Minimum() int64 {
	if m.Kind() == "store" {
		return 10_000
	}
	return 1
}

// Valid reports whether m is one of Methods, StoreMethods or QRIS.
func (m Method) Valid() bool { return m.Kind() != "" }

// Kind is how m is paid: "va" for a bank's virtual account (Methods),
// "store" for a convenience store's payment code (StoreMethods), "qris" for
// QRIS; "" when m is not a valid Method.
func (m Method) Kind() string {
	switch m {
	case BCA, BNI, BRI, Mandiri, Permata:
		return "va"
	case Alfamart, Indomaret:
		return "store"
	case QRIS:
		return "qris"
	}
	return ""
}

// MaxOrderID is the longest order id gateways accept (Midtrans: 50).
const MaxOrderID = 50

// MaxNotificationSize is the largest notification body a provider reads; the
// webhook handler should cut the request body there (http.MaxBytesReader).
// Real notifications are about 1 KB.
const MaxNotificationSize = 64 << 10

// Item is one line of an invoice, as the gateway shows it to the payer.
type Item struct {
	ID       string // ours, e.g. the registration's reference; optional
	Name     string // e.g. "JKK+JKM Des 2026–Feb 2027"; gateways cut it at 50 characters
	Price    int64  // Rupiah, per unit
	Quantity int
}

// Invoice is a payment we ask a provider to collect.
type Invoice struct {
	OrderID      string // ours, unique per attempt, ≤ MaxOrderID characters of [A-Za-z0-9-_.~]
	Amount       int64  // Rupiah
	Method       Method
	CustomerName string    // shown by some banks' apps; optional
	ExpiresAt    time.Time // when the payment code stops working; zero: the provider's default (Midtrans: 24 h)
	Items        []Item    // optional; when given, Price×Quantity must sum to Amount
}

// Validate checks what every provider requires of an invoice.
func (inv Invoice) Validate() error {
	if err := ValidOrderID(inv.OrderID); err != nil {
		return err
	}
	if inv.Amount <= 0 {
		return fmt.Errorf("payments: invoice %s: amount %d is not positive", inv.OrderID, inv.Amount)
	}
	if !inv.Method.Valid() {
		return fmt.Errorf("payments: invoice %s: unknown method %q", inv.OrderID, inv.Method)
	}
	if inv.Amount < inv.Method.Minimum() {
		return fmt.Errorf("payments: invoice %s: %s takes at least %d, not %d", inv.OrderID, inv.Method, inv.Method.Minimum(), inv.Amount)
	}
	if len(inv.Items) > 0 {
		var sum int64
		for i, it := range inv.Items {
			if it.Price <= 0 || it.Quantity <= 0 || it.Name == "" {
				return fmt.Errorf("payments: invoice %s: item %d needs a name, a positive price and quantity", inv.OrderID, i+1)
			}
			if it.Price > inv.Amount/int64(it.Quantity) {
				return fmt.Errorf("payments: invoice %s: item %d is more than the whole amount", inv.OrderID, i+1)
			}
			sum += it.Price * int64(it.Quantity)
			if sum > inv.Amount {
				break
			}
		}
		if sum != inv.Amount {
			return fmt.Errorf("payments: invoice %s: items sum to more or less than the amount %d", inv.OrderID, inv.Amount)
		}
	}
	return nil
}

// ValidOrderID checks an order id against what gateways accept: 1 to 50
// characters of letters, digits, '-', '_', '.', '~'.
func ValidOrderID(id string) error {
	if id == "" || len(id) > MaxOrderID {
		return fmt.Errorf("payments: order id %q: want 1 to %d characters", id, MaxOrderID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
		default:
			return fmt.Errorf("payments: order id %q: character %q not allowed", id, c)
		}
	}
	return nil
}

// Instruction is how the worker pays an invoice.
type Instruction struct {
	Provider    string
	OrderID     string
	ProviderRef string // the provider's id for the transaction (Midtrans transaction_id)
	Bank        Method // the invoice's Method: a bank, a store or QRIS
	VANumber    string // the virtual account number, Mandiri's bill key, or a store's payment code; empty for QRIS
	BillerCode  string // Mandiri bill payment only (e.g. "70012")
	QRString    string // QRIS only: the EMVCo payload to draw as a QR code (see CheckQRString)
	Amount      int64
	ExpiresAt   time.Time // zero when the provider did not say
}

// Status is where a payment stands at the provider.
type Status string

// Payment statuses, mapped from each provider's own words.
const (
	Pending   Status = "pending"   // waiting for the worker to pay
	Paid      Status = "paid"      // money received (Midtrans settlement, or capture accepted)
	Expired   Status = "expired"   // the code expired unpaid
	Cancelled Status = "cancelled" // cancelled by us or the provider before payment
	Failed    Status = "failed"    // denied or failed
	Refunded  Status = "refunded"  // paid, then (partly) refunded or charged back
)

// Issued is a payment as the code its payer was given finds it (a
// provider's test page shows it): the order, what it asks and where it
// stands.
type Issued struct {
	OrderID string
	Amount  int64
	Status  Status
	Method  Method
}

// Notification is what a provider says about a payment, from a webhook or a
// status query.
type Notification struct {
	Provider    string
	OrderID     string
	ProviderRef string
	Status      Status
	Amount      int64     // Rupiah, as the provider reports it (may differ from the invoice: check it)
	PaidAt      time.Time // for Paid (and Refunded when known); zero otherwise
	Raw         []byte    // the body as received, for the append-only event log
	// Unbacked is the status a notification claimed that the provider's own
	// status query did not back (an edited copy, or a change since); Status
	// is then what the query said. "" when they agreed or it was not asked.
	Unbacked Status
}

// Provider is one payment gateway.
type Provider interface {
	// Name is the provider's name in configuration and URLs
	// (/payments/{name}/notification).
	Name() string

	// Create opens a payment for the invoice. Errors: a plain error for an
	// invalid invoice; *Error otherwise (IsTransient: try again with the same
	// order id; ErrDuplicate: the order id is used up, make a new one).
	Create(ctx context.Context, inv Invoice) (Instruction, error)

	// Verify checks a notification's signature or token in constant time
	// before it trusts anything in it, then parses it. A signature that does
	// not check wraps ErrForged (answer 401, change nothing). Other errors:
	// a malformed but authentic notification (answer 400, log it), or a
	// transient *Error when the provider had to be asked (answer 5xx so the
	// gateway retries).
	Verify(ctx context.Context, header http.Header, body []byte) (Notification, error)

	// Status asks the provider where a payment stands (reconciliation).
	// ErrNotFound when the provider does not know the order.
	Status(ctx context.Context, orderID string) (Notification, error)
}

// Sentinel errors, checked with errors.Is.
var (
	ErrForged    = errors.New("payments: signature does not check")
	ErrNotFound  = errors.New("payments: payment unknown to the provider")
	ErrDuplicate = errors.New("payments: order id already used at the provider")
)

// Kind says what a provider failure means for the caller.
type Kind int

// Kinds of provider failure.
const (
	Transient Kind = iota + 1 // network error, timeout, 5xx, 429: try again later with backoff
	Permanent                 // 4xx, a refused request or an answer we cannot use: retrying will not help
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a provider's failure to do what was asked.
type Error struct {
	Provider   string
	Op         string // "charge", "status", "confirm"
	Kind       Kind
	HTTPStatus int    // 0 when no answer came
	Code       string // the provider's own code (Midtrans status_code), if any
	Message    string // the provider's message (Midtrans status_message), if any
	Err        error  // the cause: a network error, ErrNotFound, ErrDuplicate…
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s: %s", e.Provider, e.Op, e.Kind)
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.HTTPStatus)
		if e.Code != "" && e.Code != fmt.Sprint(e.HTTPStatus) {
			s += ", code " + e.Code
		}
		s += ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// IsTransient reports whether err is a provider failure worth retrying.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == Transient
}

// Canceller is a Provider that can cancel an unpaid payment code, as when a
// worker asks for a new code for the same registration and the old one is
// replaced. Providers that cannot cancel do not implement it; the caller
// checks with a type assertion.
type Canceller interface {
	// Cancel stops orderID's code from taking money. A plain error for an
	// invalid order id (nothing is sent). Otherwise nil when the code is
	// cancelled, now or before (so Cancel may be retried with the same
	// order id); ErrNotFound when the provider does not know the order;
	// ErrNotCancellable when the payment is final already (paid, expired,
	// failed) and its code takes no money anyway: ask Status which, since a
	// paid one must still be honoured; a transient *Error (IsTransient) when
	// the provider could not be asked or did not answer, and the code may
	// still be open. Errors from the provider are *Error with Op "cancel".
	Cancel(ctx context.Context, orderID string) error
}

// ErrNotCancellable is a Cancel of a payment the provider has closed
// already: paid, expired or failed (Midtrans' status_code 412, "Merchant
// cannot modify the status of the transaction"). It is permanent: retrying
// does not help, and Status tells where the payment ended.
var ErrNotCancellable = errors.New("payments: payment is final at the provider and cannot be cancelled")
