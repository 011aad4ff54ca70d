// Package midtranstest is a fake Midtrans Core API for tests: an httptest
// server that answers POST /v2/charge (bank_transfer for bca, bni, bri,
// permata; echannel for Mandiri; cstore for alfamart and indomaret; qris),
// GET /v2/{order_id}/status and POST /v2/{order_id}/cancel with Midtrans'
// JSON, checks the server key like Midtrans does, records every request,
// fails on request with Midtrans' error bodies, and produces signed (or
// forged) notification bodies for tests of the webhook endpoint.
//
// The fake sends nothing by itself: a test moves an order on with Notify (a
// payment, an expiry) and posts the body it returns. After a cancel,
// Notification gives the cancel notification Midtrans would post.
//
// It speaks GoPay Tokenization and the Subscriptions API too (recurring.go):
// account linking, subscriptions, their charges' recurring notifications
// and the unbind notification.
package midtranstest

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/payments"
)

// ServerKey is the key the fake accepts (and signs with).
const ServerKey = "SB-Mid-server-LindungiFakeKey_0123456789ab"

// MerchantID is the fake merchant.
const MerchantID = "G812785002"

// BillerCode is Mandiri's biller code for Midtrans.
const BillerCode = "70012"

var wib = time.FixedZone("WIB", 7*60*60)

const layout = "2006-01-02 15:04:05"

// Request is one recorded API call.
type Request struct {
	Method        string
	Path          string
	Authorization string
	Body          []byte
}

// Charge is one charge the fake accepted.
type Charge struct {
	OrderID       string
	TransactionID string
	PaymentType   string // "bank_transfer", "echannel", "cstore" or "qris"
	Bank          string // "bca", "bni", "bri", "permata"; "mandiri" for echannel; the store for cstore; the acquirer ("gopay") for qris
	Amount        int64
	VANumber      string // or the Mandiri bill key, or the store's payment code; empty for qris
	QRString      string // qris only
	Body          []byte // the request body exactly as received
}

// Failure is a scripted error answer, as Midtrans sends it.
type Failure struct {
	HTTPStatus         int    // the HTTP status (Midtrans sometimes answers 200 with an error status_code)
	StatusCode         string // status_code in the body
	StatusMessage      string
	ValidationMessages []string
	Body               string // a raw body instead of Midtrans' JSON (a proxy's page)
}

// Midtrans' usual failures.
var (
	InternalError = Failure{HTTPStatus: 500, StatusCode: "500", StatusMessage: "Sorry. Our system is recovering from unexpected issues. Please retry."}
	Unavailable   = Failure{HTTPStatus: 503, Body: "<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>"}
	AccessDenied  = Failure{HTTPStatus: 401, StatusCode: "401", StatusMessage: "Access denied due to unauthorized transaction, please check client or server key"}
	// NotCancellable is the answer to a cancel of a transaction that is
	// settled, expired, denied or cancelled already.
	NotCancellable = Failure{HTTPStatus: 412, StatusCode: "412", StatusMessage: "Merchant cannot modify the status of the transaction"}
	// NotFound is the answer about an order Midtrans does not know.
	NotFound = Failure{HTTPStatus: 404, StatusCode: "404", StatusMessage: "Transaction doesn't exist."}
)

// Validation is Midtrans' answer to an invalid request.
func Validation(messages ...string) Failure {
	return Failure{HTTPStatus: 400, StatusCode: "400", StatusMessage: "One or more parameters in the payload is invalid.", ValidationMessages: messages}
}

type scripted struct {
	endpoint string // "charge", "status" or "cancel"
	left     int    // < 0: forever
	f        Failure
}

// tx is the fake's record of one order.
type tx struct {
	Charge
	status     string // transaction_status
	txTime     time.Time
	expiry     time.Time
	settlement time.Time
}

// Server is the fake Core API.
type Server struct {
	srv *httptest.Server

	mu     sync.Mutex
	reqs   []Request
	txs    map[string]*tx
	order  []string
	fails  []*scripted
	nextID int
	now    func() time.Time

	// GoPay Tokenization and subscriptions (recurring.go)
	accounts        map[string]*AccountState
	subs            map[string]*SubscriptionState
	subOrder        []string
	tokenizationOff bool
	instance        int64 // this server's number, in its account and subscription ids
}

// NewServer starts a fake that closes when the test ends.
func NewServer(t testing.TB) *Server {
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake outside a test (benchmarks); Close stops it.
func Start() *Server {
	s := &Server{txs: map[string]*tx{}, nextID: 1, now: clock.Now}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the base address, for midtrans.Options.BaseURL.
func (s *Server) URL() string { return s.srv.URL }

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetClock makes the fake read the time from now (transaction, expiry and
// settlement times).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// Fail scripts the next times answers of endpoint ("charge", "status" or
// "cancel") to be f; times < 0 fails until Heal. A scripted failure changes
// nothing: a failed cancel leaves the order as it was.
func (s *Server) Fail(endpoint string, times int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, &scripted{endpoint: endpoint, left: times, f: f})
}

// Heal removes every scripted failure.
func (s *Server) Heal() {
	s.mu.Lock()
	s.fails = nil
	s.mu.Unlock()
}

// Requests returns every recorded call, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Charges returns the accepted charges, oldest first.
func (s *Server) Charges() []Charge {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Charge, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.txs[id].Charge)
	}
	return out
}

// TransactionStatus is the fake's transaction_status of an order ("" if unknown).
func (s *Server) TransactionStatus(orderID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.txs[orderID]; t != nil {
		return t.status
	}
	return ""
}

// StatusCode is the status_code Midtrans sends with a transaction_status.
func StatusCode(transactionStatus string) string {
	switch transactionStatus {
	case "pending", "authorize":
		return "201"
	case "deny", "failure":
		return "202"
	case "expire":
		return "407"
	}
	return "200" // settlement, capture, cancel, refund, partial_refund
}

// Sign is the signature_key Midtrans computes with key.
func Sign(orderID, statusCode, grossAmount, key string) string {
	sum := sha512.Sum512([]byte(orderID + statusCode + grossAmount + key))
	return hex.EncodeToString(sum[:])
}

func gross(amount int64) string { return fmt.Sprintf("%d.00", amount) }

// Notify moves the order to transactionStatus ("settlement", "expire", …)
// with this amount, as when the worker pays or the code expires, and returns
// the notification Midtrans would POST: its headers and a correctly signed
// JSON body. An order the fake has not seen is created (a BCA VA). The
// status endpoint answers with the new state from now on.
func (s *Server) Notify(orderID, transactionStatus string, amount int64) (http.Header, []byte) {
	return s.notify(orderID, transactionStatus, amount, ServerKey)
}

// Edited is a genuine notification body with only its transaction_status
// changed: the signature still checks, since Midtrans does not sign that
// field (the security review's M4).
func Edited(body []byte, transactionStatus string) []byte {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return body
	}
	m["transaction_status"] = transactionStatus
	b, _ := json.Marshal(m)
	return b
}

// Forged is Notify's body signed with the wrong key; the fake's state is
// not changed.
func (s *Server) Forged(orderID, transactionStatus string, amount int64) (http.Header, []byte) {
	return s.notify(orderID, transactionStatus, amount, "SB-Mid-server-NotTheKey")
}

func (s *Server) notify(orderID, transactionStatus string, amount int64, key string) (http.Header, []byte) {
	s.mu.Lock()
	now := s.now().In(wib)
	var t tx
	if cur := s.txs[orderID]; cur != nil {
		t = *cur
	} else {
		t = tx{Charge: Charge{OrderID: orderID, TransactionID: s.transactionID(), PaymentType: "bank_transfer", Bank: "bca"}, txTime: now, expiry: now.Add(24 * time.Hour)}
		t.VANumber = s.vaNumber(t.Bank)
	}
	t.status, t.Amount = transactionStatus, amount
	if transactionStatus == "settlement" || transactionStatus == "capture" {
		t.settlement = now
	}
	if key == ServerKey {
		if s.txs[orderID] == nil {
			s.order = append(s.order, orderID)
		}
		stored := t
		s.txs[orderID] = &stored
	}
	m := s.body(&t, key)
	m["status_message"] = "midtrans payment notification"
	s.mu.Unlock()
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Veritrans")
	return h, b
}

// body is the transaction as Midtrans shows it in notifications and status
// answers, signed with key. s.mu is held.
func (s *Server) body(t *tx, key string) map[string]any {
	code := StatusCode(t.status)
	m := map[string]any{
		"transaction_time":   t.txTime.Format(layout),
		"transaction_status": t.status,
		"transaction_id":     t.TransactionID,
		"status_code":        code,
		"signature_key":      Sign(t.OrderID, code, gross(t.Amount), key),
		"payment_type":       t.PaymentType,
		"order_id":           t.OrderID,
		"merchant_id":        MerchantID,
		"gross_amount":       gross(t.Amount),
		"fraud_status":       "accept",
		"currency":           "IDR",
		"expiry_time":        t.expiry.Format(layout),
	}
	switch {
	case t.PaymentType == "echannel":
		m["bill_key"], m["biller_code"] = t.VANumber, BillerCode
	case t.PaymentType == "cstore":
		m["payment_code"], m["store"] = t.VANumber, t.Bank
	case t.PaymentType == "qris":
		m["acquirer"] = t.Bank // qr_string is in the charge answer only
	case t.PaymentType == "gopay": // a subscription's charge: no payment code
	case t.Bank == "permata":
		m["permata_va_number"] = t.VANumber
	default:
		m["va_numbers"] = []map[string]string{{"bank": t.Bank, "va_number": t.VANumber}}
	}
	if !t.settlement.IsZero() && (t.status == "settlement" || t.status == "capture" || t.status == "refund" || t.status == "partial_refund") {
		m["settlement_time"] = t.settlement.Format(layout)
	}
	return m
}

// transactionID is a fresh UUID-shaped id. s.mu is held.
func (s *Server) transactionID() string {
	n := s.nextID
	s.nextID++
	return fmt.Sprintf("9f3c1a2e-%04x-4c8d-a53c-%012x", n&0xffff, n)
}

// vaNumber is a fresh payment code in the bank's format. s.mu is held.
func (s *Server) vaNumber(bank string) string {
	n := s.nextID
	s.nextID++
	switch bank {
	case "bca":
		return fmt.Sprintf("12785%010d", n) // 15 digits
	case "bni":
		return fmt.Sprintf("9881278500%06d", n) // 16
	case "bri":
		return fmt.Sprintf("127850%012d", n) // 18
	case "permata":
		return fmt.Sprintf("8562%012d", n) // 16
	case "mandiri":
		return fmt.Sprintf("99%010d", n) // bill key, 12
	case "alfamart":
		return fmt.Sprintf("8127%012d", n) // 16 digits, like the docs' sample 8127740588870520
	case "indomaret":
		return fmt.Sprintf("5781%012d", n) // 16 (the docs' samples have 12 to 18)
	}
	return fmt.Sprintf("7%015d", n)
}

// QRString is the fake's qr_string for a QRIS charge: an EMVCo payload in
// the shape of GoPay's dynamic QRIS (merchant account 26 with COM.GO-JEK.WWW,
// the QRIS national id in 51, the amount in 54, the transaction in 62),
// ending with a correct CRC.
func QRString(transactionID string, amount int64) string {
	tlv := func(tag, v string) string { return fmt.Sprintf("%s%02d%s", tag, len(v), v) }
	ref := strings.ReplaceAll(transactionID, "-", "")
	if len(ref) > 25 {
		ref = ref[:25]
	}
	s := tlv("00", "01") + tlv("01", "12") +
		tlv("26", tlv("00", "COM.GO-JEK.WWW")+tlv("01", "936009140"+MerchantID[1:])+tlv("02", MerchantID)+tlv("03", "UMI")) +
		tlv("51", tlv("00", "ID.CO.QRIS.WWW")+tlv("02", "ID1020012345678")+tlv("03", "UMI")) +
		tlv("52", "8398") + tlv("53", "360") + tlv("54", fmt.Sprint(amount)) + tlv("58", "ID") +
		tlv("59", "LINDUNGI") + tlv("60", "JAKARTA SELATAN") + tlv("61", "12190") +
		tlv("62", tlv("05", ref)) + "6304"
	return s + fmt.Sprintf("%04X", payments.QRCRC(s))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) fail(w http.ResponseWriter, f Failure) {
	if f.Body != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.HTTPStatus)
		io.WriteString(w, f.Body)
		return
	}
	m := map[string]any{"status_code": f.StatusCode, "status_message": f.StatusMessage, "id": "6b8a8c8d-0f1e-4a2b-9c3d-4e5f6a7b8c9d"}
	if len(f.ValidationMessages) > 0 {
		m["validation_messages"] = f.ValidationMessages
	}
	writeJSON(w, f.HTTPStatus, m)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	endpoint := ""
	var orderID string
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v2/charge":
		endpoint = "charge"
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/") && strings.HasSuffix(r.URL.Path, "/status"):
		endpoint = "status"
		orderID = pathOrder(r, "/status")
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v2/") && strings.HasSuffix(r.URL.Path, "/cancel"):
		endpoint = "cancel"
		orderID = pathOrder(r, "/cancel")
	default:
		endpoint = recurringEndpoint(r)
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: body})
	f, failed := s.scriptedFailure(endpoint)
	s.mu.Unlock()
	if failed {
		s.fail(w, f)
		return
	}
	if r.Header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte(ServerKey+":")) {
		s.fail(w, AccessDenied)
		return
	}
	switch endpoint {
	case "charge":
		s.charge(w, body)
	case "status":
		s.status(w, orderID)
	case "cancel":
		s.cancel(w, orderID)
	default:
		if !s.serveRecurring(w, r, endpoint, body) {
			s.fail(w, Failure{HTTPStatus: 404, StatusCode: "404", StatusMessage: "The requested resource is not found"})
		}
	}
}

// pathOrder is the order id in /v2/{order_id}{suffix}; "" when it does not
// unescape.
func pathOrder(r *http.Request, suffix string) string {
	id, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), "/v2/"), suffix))
	if err != nil {
		return ""
	}
	return id
}

// scriptedFailure consumes a scripted failure for endpoint, if any. s.mu is held.
func (s *Server) scriptedFailure(endpoint string) (Failure, bool) {
	for i, sc := range s.fails {
		if sc.endpoint != endpoint {
			continue
		}
		if sc.left > 0 {
			sc.left--
			if sc.left == 0 {
				s.fails = append(s.fails[:i], s.fails[i+1:]...)
			}
		}
		return sc.f, true
	}
	return Failure{}, false
}

type chargeRequest struct {
	PaymentType        string `json:"payment_type"`
	TransactionDetails struct {
		OrderID     string `json:"order_id"`
		GrossAmount *int64 `json:"gross_amount"`
	} `json:"transaction_details"`
	BankTransfer *struct {
		Bank string `json:"bank"`
	} `json:"bank_transfer"`
	Echannel *struct {
		BillInfo1 string `json:"bill_info1"`
		BillInfo2 string `json:"bill_info2"`
	} `json:"echannel"`
	CStore *struct {
		Store             string `json:"store"`
		Message           string `json:"message"`
		AlfamartFreeText1 string `json:"alfamart_free_text_1"`
		AlfamartFreeText2 string `json:"alfamart_free_text_2"`
		AlfamartFreeText3 string `json:"alfamart_free_text_3"`
	} `json:"cstore"`
	QRIS *struct {
		Acquirer string `json:"acquirer"`
	} `json:"qris"`
	ItemDetails []struct {
		ID       string `json:"id"`
		Price    int64  `json:"price"`
		Quantity int64  `json:"quantity"`
		Name     string `json:"name"`
	} `json:"item_details"`
	CustomExpiry *struct {
		OrderTime      string `json:"order_time"`
		ExpiryDuration int64  `json:"expiry_duration"`
		Unit           string `json:"unit"`
	} `json:"custom_expiry"`
}

func (s *Server) charge(w http.ResponseWriter, body []byte) {
	var req chargeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, Failure{HTTPStatus: 400, StatusCode: "400", StatusMessage: "Invalid JSON"})
		return
	}
	var bad []string
	td := req.TransactionDetails
	if td.OrderID == "" || len(td.OrderID) > 50 {
		bad = append(bad, "transaction_details.order_id is required and must be at most 50 characters")
	}
	if td.GrossAmount == nil || *td.GrossAmount < 1 {
		bad = append(bad, "transaction_details.gross_amount must be at least 1")
	}
	bank := ""
	switch req.PaymentType {
	case "bank_transfer":
		if req.BankTransfer != nil {
			bank = req.BankTransfer.Bank
		}
		switch bank {
		case "bca", "bni", "bri", "permata", "cimb":
		default:
			bad = append(bad, "bank_transfer.bank is invalid")
		}
	case "echannel":
		bank = "mandiri"
		if req.Echannel == nil || req.Echannel.BillInfo1 == "" || req.Echannel.BillInfo2 == "" {
			bad = append(bad, "echannel.bill_info1 and echannel.bill_info2 are required")
		}
	case "cstore":
		if req.CStore != nil {
			bank = strings.ToLower(req.CStore.Store) // the docs write "Indomaret" too
		}
		switch bank {
		case "indomaret":
		case "alfamart":
			for _, ft := range []string{req.CStore.AlfamartFreeText1, req.CStore.AlfamartFreeText2, req.CStore.AlfamartFreeText3} {
				if len(ft) > 40 || strings.Contains(ft, "|") {
					bad = append(bad, "cstore.alfamart_free_text must be at most 40 characters, without '|'")
				}
			}
		default:
			bad = append(bad, "cstore.store is invalid")
		}
	case "qris":
		bank = "gopay"
		if req.QRIS != nil && req.QRIS.Acquirer != "" {
			bank = req.QRIS.Acquirer
		}
		if bank != "gopay" && bank != "airpay shopee" {
			bad = append(bad, "qris.acquirer is invalid")
		}
	default:
		bad = append(bad, "payment_type is not supported")
	}
	if len(req.ItemDetails) > 0 && td.GrossAmount != nil {
		var sum int64
		for _, it := range req.ItemDetails {
			sum += it.Price * it.Quantity
			if it.Name == "" || len([]rune(it.Name)) > 50 {
				bad = append(bad, "item_details.name is required and must be at most 50 characters")
			}
		}
		if sum != *td.GrossAmount {
			bad = append(bad, "transaction_details.gross_amount is not equal to the sum of item_details")
		}
	}
	s.mu.Lock()
	now := s.now().In(wib)
	s.mu.Unlock()
	expiry := now.Add(24 * time.Hour)
	if req.PaymentType == "qris" {
		expiry = now.Add(15 * time.Minute) // Midtrans' QRIS default
	}
	if ce := req.CustomExpiry; ce != nil {
		start, err := time.Parse(layout+" -0700", ce.OrderTime)
		unit := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[ce.Unit]
		if err != nil || unit == 0 || ce.ExpiryDuration < 1 {
			bad = append(bad, "custom_expiry is invalid")
		} else {
			expiry = start.Add(time.Duration(ce.ExpiryDuration) * unit).In(wib)
		}
	}
	if len(bad) > 0 {
		s.fail(w, Validation(bad...))
		return
	}
	s.mu.Lock()
	if _, dup := s.txs[td.OrderID]; dup {
		s.mu.Unlock()
		s.fail(w, Failure{HTTPStatus: 406, StatusCode: "406", StatusMessage: "The request could not be completed due to a conflict with the current state of the target resource, please try again"})
		return
	}
	t := &tx{Charge: Charge{OrderID: td.OrderID, TransactionID: s.transactionID(), PaymentType: req.PaymentType, Bank: bank, Amount: *td.GrossAmount, Body: body}, status: "pending", txTime: now, expiry: expiry}
	if req.PaymentType == "qris" {
		t.QRString = QRString(t.TransactionID, t.Amount)
	} else {
		t.VANumber = s.vaNumber(bank)
	}
	s.txs[td.OrderID] = t
	s.order = append(s.order, td.OrderID)
	m := s.body(t, ServerKey)
	s.mu.Unlock()
	delete(m, "signature_key") // charge answers are not signed
	m["status_message"] = "Success, Bank Transfer transaction is created"
	switch req.PaymentType {
	case "echannel":
		m["status_message"] = "OK, Mandiri Bill transaction is successful"
	case "cstore":
		m["status_message"] = "Success, cstore transaction is successful"
	case "qris":
		m["status_message"] = "QRIS transaction is created"
		m["qr_string"] = t.QRString
		m["actions"] = []map[string]string{{"name": "generate-qr-code", "method": "GET", "url": s.srv.URL + "/v2/qris/" + t.TransactionID + "/qr-code"}}
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) status(w http.ResponseWriter, orderID string) {
	s.mu.Lock()
	t := s.txs[orderID]
	var m map[string]any
	if t != nil {
		m = s.body(t, ServerKey)
	}
	s.mu.Unlock()
	if t == nil {
		s.fail(w, NotFound)
		return
	}
	m["status_message"] = "Success, transaction is found"
	writeJSON(w, http.StatusOK, m)
}

// cancellable reports whether Midtrans lets the merchant cancel a
// transaction in this status: pending ones (every method the fake charges),
// and card authorizations and captures before settlement.
func cancellable(transactionStatus string) bool {
	switch transactionStatus {
	case "pending", "authorize", "capture":
		return true
	}
	return false
}

// cancel is POST /v2/{order_id}/cancel: a cancellable order becomes
// "cancel" and the answer is Midtrans' (unsigned) cancel response; a settled,
// expired, denied or cancelled one gets 412, an unknown one 404.
func (s *Server) cancel(w http.ResponseWriter, orderID string) {
	s.mu.Lock()
	t := s.txs[orderID]
	if t == nil {
		s.mu.Unlock()
		s.fail(w, NotFound)
		return
	}
	if !cancellable(t.status) {
		s.mu.Unlock()
		s.fail(w, NotCancellable)
		return
	}
	t.status = "cancel"
	m := map[string]any{
		"status_code":        "200",
		"status_message":     "Success, transaction is canceled",
		"transaction_id":     t.TransactionID,
		"order_id":           t.OrderID,
		"gross_amount":       gross(t.Amount),
		"payment_type":       t.PaymentType,
		"transaction_time":   t.txTime.Format(layout),
		"transaction_status": "cancel",
		"fraud_status":       "accept",
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, m)
}

// Notification is the notification Midtrans would POST about the order as
// it stands now (after a cancel: the cancel notification), correctly signed;
// the order is not changed. ok is false for an order the fake has not seen.
func (s *Server) Notification(orderID string) (h http.Header, body []byte, ok bool) {
	s.mu.Lock()
	t := s.txs[orderID]
	if t == nil {
		s.mu.Unlock()
		return nil, nil, false
	}
	m := s.body(t, ServerKey)
	s.mu.Unlock()
	m["status_message"] = "midtrans payment notification"
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	h = http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Veritrans")
	return h, b, true
}
