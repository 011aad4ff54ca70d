// Package midtrans is the Midtrans Core API adapter: payments opened with
// POST /v2/charge (payment_type bank_transfer for BCA, BNI, BRI and Permata
// virtual accounts, echannel for Mandiri bill payment, cstore for Alfamart
// and Indomaret payment codes, qris for QRIS), notifications verified with
// their signature_key, GET /v2/{order_id}/status for reconciliation, and
// POST /v2/{order_id}/cancel for a code a new one replaced (see Cancel).
//
// Midtrans' signature covers order_id, status_code and gross_amount only, not
// transaction_status. A paid notification is therefore confirmed with a
// (signed) status query before it is believed, unless Options.SkipConfirm.
package midtrans

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/payments"
)

// Name is the provider's name in configuration and URLs.
const Name = "midtrans"

// SandboxURL is Midtrans' sandbox Core API; production is https://api.midtrans.com.
const SandboxURL = "https://api.sandbox.midtrans.com"

// Mandiri bill payment labels: Mandiri shows at most 10 and 30 characters.
const (
	billInfo1 = "Bayar:"
	billInfo2 = "Iuran BPJS Ketenagakerjaan"
)

// storeMessage is what the cashier and the receipt show for a convenience
// store payment (cstore.message, and Alfamart's first free-text line, which
// takes at most 40 characters and no '|').
const storeMessage = "Iuran BPJS Ketenagakerjaan"

// qrisAcquirer is the QRIS acquirer Midtrans charges through.
const qrisAcquirer = "gopay"

const maxItemName = 50 // Midtrans item_details.name

// WIB is the zone of Midtrans' timestamps ("2026-11-26 10:00:00"): UTC+7,
// without daylight saving, so no tzdata is needed.
var WIB = time.FixedZone("WIB", 7*60*60)

const timeLayout = "2006-01-02 15:04:05"

// Options configure a Client.
type Options struct {
	ServerKey  string       // required ("SB-Mid-server-…" in the sandbox)
	BaseURL    string       // default SandboxURL
	HTTPClient *http.Client // default: a client with a 15 s timeout
	Now        func() time.Time
	// SkipConfirm believes paid notifications without asking GET
	// /v2/{order_id}/status first. Only for benchmarks: the signature does
	// not cover transaction_status.
	SkipConfirm bool
}

// Client talks to Midtrans. It is safe for concurrent use.
type Client struct {
	key     string
	base    string
	auth    string
	http    *http.Client
	now     func() time.Time
	confirm bool
}

var (
	_ payments.Provider  = (*Client)(nil)
	_ payments.Canceller = (*Client)(nil)
)

// New returns a Midtrans client.
func New(o Options) (*Client, error) {
	if strings.TrimSpace(o.ServerKey) == "" {
		return nil, errors.New("midtrans: no server key")
	}
	base := strings.TrimRight(o.BaseURL, "/")
	if base == "" {
		base = SandboxURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("midtrans: base URL %q is not an http(s) address", o.BaseURL)
	}
	c := &Client{
		key:     o.ServerKey,
		base:    base,
		auth:    "Basic " + base64.StdEncoding.EncodeToString([]byte(o.ServerKey+":")),
		http:    o.HTTPClient,
		now:     o.Now,
		confirm: !o.SkipConfirm,
	}
	if c.http == nil {
		// Notifications arrive in bursts, each confirmed with a status
		// query: keep their connections for reuse (the default keeps 2 per
		// host, and every other query would open a TLS connection).
		t := &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second, ExpectContinueTimeout: time.Second}
		if d, ok := http.DefaultTransport.(*http.Transport); ok {
			t = d.Clone() // the standard settings, unless a library replaced them
		}
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 32, 32
		c.http = &http.Client{Timeout: 15 * time.Second, Transport: t}
	}
	if c.now == nil {
		c.now = clock.Now
	}
	return c, nil
}

// Name is "midtrans".
func (c *Client) Name() string { return Name }

// The charge request (Core API).
type chargeRequest struct {
	PaymentType        string             `json:"payment_type"`
	TransactionDetails transactionDetails `json:"transaction_details"`
	BankTransfer       *bankTransfer      `json:"bank_transfer,omitempty"`
	Echannel           *echannel          `json:"echannel,omitempty"`
	CStore             *cstore            `json:"cstore,omitempty"`
	QRIS               *qris              `json:"qris,omitempty"`
	ItemDetails        []itemDetail       `json:"item_details,omitempty"`
	CustomerDetails    *customerDetails   `json:"customer_details,omitempty"`
	CustomExpiry       *customExpiry      `json:"custom_expiry,omitempty"`
}

type transactionDetails struct {
	OrderID     string `json:"order_id"`
	GrossAmount int64  `json:"gross_amount"`
}

type bankTransfer struct {
	Bank string `json:"bank"`
}

type echannel struct {
	BillInfo1 string `json:"bill_info1"`
	BillInfo2 string `json:"bill_info2"`
}

type cstore struct {
	Store             string `json:"store"` // "alfamart" or "indomaret"
	Message           string `json:"message,omitempty"`
	AlfamartFreeText1 string `json:"alfamart_free_text_1,omitempty"`
}

type qris struct {
	Acquirer string `json:"acquirer"`
}

type itemDetail struct {
	ID       string `json:"id,omitempty"`
	Price    int64  `json:"price"`
	Quantity int    `json:"quantity"`
	Name     string `json:"name"`
}

type customerDetails struct {
	FirstName string `json:"first_name"`
}

type customExpiry struct {
	OrderTime      string `json:"order_time"`
	ExpiryDuration int64  `json:"expiry_duration"`
	Unit           string `json:"unit"`
}

// transaction is the shape Midtrans uses for charge responses, status
// responses and notifications alike.
type transaction struct {
	StatusCode         string     `json:"status_code"`
	StatusMessage      string     `json:"status_message"`
	ValidationMessages []string   `json:"validation_messages"`
	TransactionID      string     `json:"transaction_id"`
	OrderID            string     `json:"order_id"`
	GrossAmount        string     `json:"gross_amount"`
	PaymentType        string     `json:"payment_type"`
	TransactionTime    string     `json:"transaction_time"`
	TransactionStatus  string     `json:"transaction_status"`
	FraudStatus        string     `json:"fraud_status"`
	VANumbers          []vaNumber `json:"va_numbers"`
	PermataVANumber    string     `json:"permata_va_number"`
	BillKey            string     `json:"bill_key"`
	BillerCode         string     `json:"biller_code"`
	PaymentCode        string     `json:"payment_code"` // cstore
	Store              string     `json:"store"`        // cstore: "alfamart", "indomaret"
	QRString           string     `json:"qr_string"`    // qris (charge answers only)
	ExpiryTime         string     `json:"expiry_time"`
	SettlementTime     string     `json:"settlement_time"`
	SignatureKey       string     `json:"signature_key"`
}

type vaNumber struct {
	Bank     string `json:"bank"`
	VANumber string `json:"va_number"`
}

// chargeBody is the JSON Midtrans receives for an invoice, at time now.
func chargeBody(inv payments.Invoice, now time.Time) (chargeRequest, error) {
	r := chargeRequest{TransactionDetails: transactionDetails{OrderID: inv.OrderID, GrossAmount: inv.Amount}}
	switch inv.Method {
	case payments.Mandiri:
		r.PaymentType = "echannel"
		r.Echannel = &echannel{BillInfo1: billInfo1, BillInfo2: billInfo2}
	case payments.Alfamart:
		r.PaymentType = "cstore"
		r.CStore = &cstore{Store: string(inv.Method), Message: storeMessage, AlfamartFreeText1: storeMessage}
	case payments.Indomaret:
		r.PaymentType = "cstore"
		r.CStore = &cstore{Store: string(inv.Method), Message: storeMessage}
	case payments.QRIS:
		r.PaymentType = "qris"
		r.QRIS = &qris{Acquirer: qrisAcquirer}
	default:
		r.PaymentType = "bank_transfer"
		r.BankTransfer = &bankTransfer{Bank: string(inv.Method)}
	}
	for _, it := range inv.Items {
		r.ItemDetails = append(r.ItemDetails, itemDetail{ID: it.ID, Price: it.Price, Quantity: it.Quantity, Name: cut(it.Name, maxItemName)})
	}
	if name := strings.TrimSpace(inv.CustomerName); name != "" {
		r.CustomerDetails = &customerDetails{FirstName: cut(name, 255)}
	}
	if !inv.ExpiresAt.IsZero() {
		d := inv.ExpiresAt.Sub(now)
		if d < time.Minute {
			return r, fmt.Errorf("midtrans: invoice %s expires %s, less than a minute from now", inv.OrderID, inv.ExpiresAt.Format(time.RFC3339))
		}
		if d > 180*24*time.Hour {
			return r, fmt.Errorf("midtrans: invoice %s expires more than 180 days from now", inv.OrderID)
		}
		// Whole minutes, rounded down: the code never outlives the invoice.
		r.CustomExpiry = &customExpiry{OrderTime: now.In(WIB).Format(timeLayout + " -0700"), ExpiryDuration: int64(d / time.Minute), Unit: "minute"}
	}
	return r, nil
}

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// Create opens a payment (POST /v2/charge): a bank virtual account, a
// convenience store's payment code (Instruction.VANumber) or a QRIS code
// (Instruction.QRString). If Midtrans already has the order id (406, e.g. a
// retry after a timeout whose first attempt went through) and it is the same
// pending payment, Create returns its instruction again, so a Create may be
// retried with the same invoice. QRIS is the exception: the status answer
// does not carry qr_string, so a repeated QRIS order id gives ErrDuplicate.
func (c *Client) Create(ctx context.Context, inv payments.Invoice) (payments.Instruction, error) {
	if err := inv.Validate(); err != nil {
		return payments.Instruction{}, err
	}
	req, err := chargeBody(inv, c.now())
	if err != nil {
		return payments.Instruction{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return payments.Instruction{}, fmt.Errorf("midtrans: charge %s: %w", inv.OrderID, err)
	}
	status, resp, err := c.do(ctx, "charge", http.MethodPost, "/v2/charge", body)
	if err != nil {
		return payments.Instruction{}, err
	}
	if e := failure("charge", status, resp); e != nil {
		if errors.Is(e, payments.ErrDuplicate) {
			if in, ok := c.again(ctx, inv); ok {
				return in, nil
			}
		}
		return payments.Instruction{}, e
	}
	var t transaction
	if err := json.Unmarshal(resp, &t); err != nil {
		// The charge may have gone through: a retry meets 406 and recovers it.
		return payments.Instruction{}, &payments.Error{Provider: Name, Op: "charge", Kind: payments.Transient, HTTPStatus: status, Err: fmt.Errorf("unreadable response: %w", err)}
	}
	return instruction(t, inv, status)
}

// again recovers the instruction of an order Midtrans already has, when it
// is the same payment and still payable.
func (c *Client) again(ctx context.Context, inv payments.Invoice) (payments.Instruction, bool) {
	t, _, err := c.status(ctx, "charge", inv.OrderID)
	if err != nil || t.TransactionStatus != "pending" || !sameMethod(t, inv.Method) {
		return payments.Instruction{}, false
	}
	in, err := instruction(t, inv, http.StatusOK)
	return in, err == nil
}

func sameMethod(t transaction, m payments.Method) bool {
	switch m.Kind() {
	case "store":
		return t.PaymentType == "cstore" && strings.EqualFold(t.Store, string(m))
	case "qris":
		return t.PaymentType == "qris"
	}
	if m == payments.Mandiri {
		return t.PaymentType == "echannel"
	}
	if t.PaymentType != "bank_transfer" {
		return false
	}
	if m == payments.Permata && t.PermataVANumber != "" {
		return true
	}
	for _, v := range t.VANumbers {
		if v.Bank == string(m) {
			return true
		}
	}
	return false
}

// instruction reads a charge (or status) response for inv.
func instruction(t transaction, inv payments.Invoice, status int) (payments.Instruction, error) {
	bad := func(format string, a ...any) (payments.Instruction, error) {
		return payments.Instruction{}, &payments.Error{Provider: Name, Op: "charge", Kind: payments.Permanent, HTTPStatus: status, Code: t.StatusCode, Message: t.StatusMessage, Err: fmt.Errorf(format, a...)}
	}
	if t.OrderID != inv.OrderID {
		return bad("answer is for order %q, not %q", t.OrderID, inv.OrderID)
	}
	amount, err := ParseAmount(t.GrossAmount)
	if err != nil {
		return bad("gross_amount: %v", err)
	}
	if amount != inv.Amount {
		return bad("gross_amount %s is not the invoice's %d", t.GrossAmount, inv.Amount)
	}
	in := payments.Instruction{Provider: Name, OrderID: inv.OrderID, ProviderRef: t.TransactionID, Bank: inv.Method, Amount: amount, ExpiresAt: inv.ExpiresAt}
	switch inv.Method.Kind() {
	case "store":
		if t.PaymentType != "cstore" || (t.Store != "" && !strings.EqualFold(t.Store, string(inv.Method))) {
			return bad("answer is a %s payment at %q, not %s", t.PaymentType, t.Store, inv.Method)
		}
		// Midtrans' codes are digits; letters are let through (upper case) in
		// case a store's codes change, nothing else is.
		in.VANumber = t.PaymentCode
		if in.VANumber == "" || len(in.VANumber) > 32 || !alnum(in.VANumber) {
			return bad("payment_code %q is not 1 to 32 digits or capital letters", in.VANumber)
		}
	case "qris":
		if t.PaymentType != "qris" {
			return bad("answer is a %s payment, not qris", t.PaymentType)
		}
		if err := payments.CheckQRString(t.QRString); err != nil {
			return bad("qr_string: %v", err)
		}
		in.QRString = t.QRString
	default:
		switch inv.Method {
		case payments.Mandiri:
			in.VANumber, in.BillerCode = t.BillKey, t.BillerCode
			if in.BillerCode == "" {
				return bad("no biller_code")
			}
		case payments.Permata:
			in.VANumber = t.PermataVANumber
		}
		if in.VANumber == "" {
			for _, v := range t.VANumbers {
				if v.Bank == string(inv.Method) {
					in.VANumber = v.VANumber
				}
			}
		}
		if in.VANumber == "" {
			return bad("no virtual account number for %s", inv.Method)
		}
		if !digits(in.VANumber) || !digits(in.BillerCode) {
			return bad("payment code %q/%q is not all digits", in.VANumber, in.BillerCode)
		}
	}
	if in.ProviderRef == "" {
		return bad("no transaction_id")
	}
	if t.ExpiryTime != "" {
		at, err := time.ParseInLocation(timeLayout, t.ExpiryTime, WIB)
		if err != nil {
			return bad("expiry_time %q: %v", t.ExpiryTime, err)
		}
		in.ExpiresAt = at
	}
	return in, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// alnum reports whether s is digits and capital letters only.
func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'A' || s[i] > 'Z') {
			return false
		}
	}
	return true
}

// maxResponse caps what is read of a Midtrans answer.
const maxResponse = 1 << 20

// do sends one request; an error means no answer came (always transient).
func (c *Client) do(ctx context.Context, op, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, &payments.Error{Provider: Name, Op: op, Kind: payments.Permanent, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", c.auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, &payments.Error{Provider: Name, Op: op, Kind: payments.Transient, Err: scrub(err, c.key)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return resp.StatusCode, nil, &payments.Error{Provider: Name, Op: op, Kind: payments.Transient, HTTPStatus: resp.StatusCode, Err: err}
	}
	return resp.StatusCode, b, nil
}

// scrub keeps the server key out of error texts (a URL error quotes the URL).
func scrub(err error, key string) error {
	if key != "" && strings.Contains(err.Error(), key) {
		return errors.New(strings.ReplaceAll(err.Error(), key, "[server key]"))
	}
	return err
}

// failure reads a Midtrans answer: nil when it is a success. Midtrans puts
// its own status_code in the body and sometimes answers HTTP 200 with an
// error status_code there; both are checked.
func failure(op string, httpStatus int, body []byte) *payments.Error {
	var t struct {
		StatusCode         string   `json:"status_code"`
		StatusMessage      string   `json:"status_message"`
		ValidationMessages []string `json:"validation_messages"`
	}
	parsed := json.Unmarshal(body, &t) == nil
	code := httpStatus
	if httpStatus/100 == 2 {
		if !parsed {
			return &payments.Error{Provider: Name, Op: op, Kind: payments.Transient, HTTPStatus: httpStatus, Err: errors.New("answer is not JSON")}
		}
		if n, ok := statusCode(t.StatusCode); ok {
			code = n
		} else if t.StatusCode != "" {
			return &payments.Error{Provider: Name, Op: op, Kind: payments.Permanent, HTTPStatus: httpStatus, Code: t.StatusCode, Err: errors.New("status_code is not a number")}
		}
	}
	if code/100 == 2 {
		return nil
	}
	msg := t.StatusMessage
	if len(t.ValidationMessages) > 0 {
		msg += " [" + strings.Join(t.ValidationMessages, "; ") + "]"
	}
	if msg == "" && !parsed && len(body) > 0 {
		msg = cut(strings.TrimSpace(string(body)), 200)
	}
	e := &payments.Error{Provider: Name, Op: op, Kind: payments.Permanent, HTTPStatus: httpStatus, Code: t.StatusCode, Message: msg}
	switch {
	case code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout:
		e.Kind = payments.Transient
	case code == http.StatusNotFound:
		e.Err = payments.ErrNotFound
	case code == http.StatusNotAcceptable && op == "charge":
		e.Err = payments.ErrDuplicate
	case op == "cancel" && (code == http.StatusPreconditionFailed || (code == statusExpired && t.StatusCode == "407")):
		// 412: "Merchant cannot modify the status of the transaction"
		// (settled, expired, cancelled already); Midtrans' own 407 (not a
		// proxy's HTTP 407): expired.
		e.Err = payments.ErrNotCancellable
	}
	return e
}

// statusCode reads a 3-digit status_code.
func statusCode(s string) (int, bool) {
	if len(s) != 3 || !digits(s) {
		return 0, false
	}
	return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0'), true
}
