package midtranstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// servers numbers the fakes, so that ids stay unique across the fakes of
// one test binary sharing a database (Midtrans' are UUIDs).
var servers atomic.Int64

// uuid is a fresh UUID-shaped id with prefix. s.mu is held.
func (s *Server) uuid(prefix string) string {
	if s.instance == 0 {
		s.instance = servers.Add(1)
	}
	n := s.nextID
	s.nextID++
	return fmt.Sprintf("%s-%04x-%012x", prefix, s.instance&0xffff, n)
}

// The fake's GoPay Tokenization and Subscriptions API:
// POST /v2/pay/account, GET /v2/pay/account/{id}, POST …/{id}/unbind,
// POST /v1/subscriptions, GET and PATCH /v1/subscriptions/{id},
// POST …/{id}/disable and …/enable, with Midtrans' JSON. A test confirms a
// link as the worker would in GoPay (Activate), makes a subscription's
// charge happen (ChargeSubscription: paid, or failed for want of balance)
// and gets the recurring notification Midtrans would post; Unbound is the
// notification of an account the worker unlinked in GoPay.

// AccountState is a linked GoPay account as the fake keeps it.
type AccountState struct {
	ID      string
	Phone   string // the national number sent
	Status  string // PENDING, ENABLED, EXPIRED, DISABLED
	Token   string // the GOPAY_WALLET payment_option_token
	Balance int64
}

// SubscriptionState is a subscription as the fake keeps it.
type SubscriptionState struct {
	ID, Name       string
	Amount         int64
	Status         string // "active" or "inactive"
	Token          string
	AccountID      string
	Interval       int
	IntervalUnit   string
	MaxInterval    int
	StartTime      string
	Retry          *RetrySchedule // nil: none asked
	TransactionIDs []string
	Charges        int // charges made (paid or not)
	Body           []byte
}

// RetrySchedule is a subscription's retry_schedule.
type RetrySchedule struct {
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"interval_unit"`
	MaxInterval  int    `json:"max_interval"`
}

// InsufficientBalance is GoPay's reason for a charge it refused.
const InsufficientBalance = "Insufficient balance"

// recurringEndpoint names the tokenization and subscription endpoints for
// scripted failures: "link", "account", "unbind", "subscribe",
// "subscription", "update", "disable", "enable"; "" for another path.
func recurringEndpoint(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/v2/pay/account" && r.Method == http.MethodPost:
		return "link"
	case strings.HasPrefix(p, "/v2/pay/account/") && strings.HasSuffix(p, "/unbind") && r.Method == http.MethodPost:
		return "unbind"
	case strings.HasPrefix(p, "/v2/pay/account/") && r.Method == http.MethodGet:
		return "account"
	case p == "/v1/subscriptions" && r.Method == http.MethodPost:
		return "subscribe"
	case strings.HasPrefix(p, "/v1/subscriptions/") && strings.HasSuffix(p, "/disable") && r.Method == http.MethodPost:
		return "disable"
	case strings.HasPrefix(p, "/v1/subscriptions/") && strings.HasSuffix(p, "/enable") && r.Method == http.MethodPost:
		return "enable"
	case strings.HasPrefix(p, "/v1/subscriptions/") && r.Method == http.MethodGet:
		return "subscription"
	case strings.HasPrefix(p, "/v1/subscriptions/") && r.Method == http.MethodPatch:
		return "update"
	}
	return ""
}

// pathID is the id in prefix{id}suffix.
func pathID(r *http.Request, prefix, suffix string) string {
	id, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), prefix), suffix))
	if err != nil {
		return ""
	}
	return id
}

// serveRecurring answers a tokenization or subscription endpoint; false
// for any other.
func (s *Server) serveRecurring(w http.ResponseWriter, r *http.Request, endpoint string, body []byte) bool {
	switch endpoint {
	case "link":
		s.link(w, body)
	case "account":
		s.accountAnswer(w, pathID(r, "/v2/pay/account/", ""))
	case "unbind":
		s.unbind(w, pathID(r, "/v2/pay/account/", "/unbind"))
	case "subscribe":
		s.subscribe(w, body)
	case "subscription":
		s.subscriptionAnswer(w, pathID(r, "/v1/subscriptions/", ""))
	case "update":
		s.update(w, pathID(r, "/v1/subscriptions/", ""), body)
	case "disable", "enable":
		s.setActive(w, pathID(r, "/v1/subscriptions/", "/"+endpoint), endpoint == "enable")
	default:
		return false
	}
	return true
}

func (s *Server) link(w http.ResponseWriter, body []byte) {
	var req struct {
		PaymentType  string `json:"payment_type"`
		GopayPartner *struct {
			PhoneNumber string `json:"phone_number"`
			CountryCode string `json:"country_code"`
			RedirectURL string `json:"redirect_url"`
		} `json:"gopay_partner"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, Failure{HTTPStatus: 400, StatusCode: "400", StatusMessage: "Invalid JSON"})
		return
	}
	var bad []string
	if req.PaymentType != "gopay" {
		bad = append(bad, "payment_type must be gopay")
	}
	if req.GopayPartner == nil || req.GopayPartner.PhoneNumber == "" || req.GopayPartner.CountryCode != "62" {
		bad = append(bad, "gopay_partner.phone_number and gopay_partner.country_code are required")
	}
	if len(bad) > 0 {
		s.fail(w, Validation(bad...))
		return
	}
	s.mu.Lock()
	if s.tokenizationOff {
		s.mu.Unlock()
		s.fail(w, TokenizationOff)
		return
	}
	if s.accounts == nil {
		s.accounts = map[string]*AccountState{}
	}
	id := s.uuid("00000269-7836-49e5")
	a := &AccountState{ID: id, Phone: req.GopayPartner.PhoneNumber, Status: "PENDING", Balance: 8_000_000}
	s.accounts[id] = a
	m := s.accountBody(a)
	s.mu.Unlock()
	m["status_code"] = "201"
	writeJSON(w, http.StatusCreated, m)
}

// TokenizationOff is Midtrans' answer to a link while GoPay Tokenization is
// not switched on for the merchant.
var TokenizationOff = Failure{HTTPStatus: 402, StatusCode: "402", StatusMessage: "Payment channel is not activated"}

// SetTokenization switches GoPay Tokenization on or off for the merchant
// (on by default).
func (s *Server) SetTokenization(on bool) {
	s.mu.Lock()
	s.tokenizationOff = !on
	s.mu.Unlock()
}

// accountBody is an account as Midtrans shows it. s.mu is held.
func (s *Server) accountBody(a *AccountState) map[string]any {
	m := map[string]any{"status_code": "200", "payment_type": "gopay", "account_id": a.ID, "account_status": a.Status}
	switch a.Status {
	case "PENDING":
		m["actions"] = []map[string]string{
			{"name": "activation-deeplink", "method": "GET", "url": s.srv.URL + "/v2/pay/account/gpar_" + a.ID + "/link"},
			{"name": "activation-link-url", "method": "GET", "url": "https://simulator.sandbox.midtrans.com/gopay/partner/web/otp?id=" + a.ID},
			{"name": "activation-link-app", "method": "GET", "url": "https://simulator.sandbox.midtrans.com/gopay/partner/app/otp?id=" + a.ID},
		}
		m["metadata"] = map[string]any{"reference_id": "6d5f5ee7-" + a.ID[len(a.ID)-12:]}
	case "ENABLED":
		m["metadata"] = map[string]any{"payment_options": []map[string]any{
			{"name": "PAY_LATER", "active": false, "balance": map[string]string{"value": "0.00", "currency": "IDR"}, "metadata": map[string]any{}, "token": "0ae8e1d6-paylater"},
			{"name": "GOPAY_WALLET", "active": true, "balance": map[string]string{"value": gross(a.Balance), "currency": "IDR"}, "metadata": map[string]any{}, "token": a.Token},
		}}
	}
	return m
}

func (s *Server) accountAnswer(w http.ResponseWriter, id string) {
	s.mu.Lock()
	a := s.accounts[id]
	var m map[string]any
	if a != nil {
		m = s.accountBody(a)
	}
	s.mu.Unlock()
	if a == nil {
		s.fail(w, AccountNotFound)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// AccountNotFound is Midtrans' answer about an account it does not know.
var AccountNotFound = Failure{HTTPStatus: 404, StatusCode: "404", StatusMessage: "Account doesn't exist."}

func (s *Server) unbind(w http.ResponseWriter, id string) {
	s.mu.Lock()
	a := s.accounts[id]
	if a == nil {
		s.mu.Unlock()
		s.fail(w, AccountNotFound)
		return
	}
	a.Status = "DISABLED"
	m := map[string]any{"status_code": "204", "payment_type": "gopay", "account_id": a.ID, "account_status": "DISABLED",
		"channel_response_code": "0", "channel_response_message": "Process service request successfully."}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, m)
}

// Activate is the worker confirming the link in GoPay: the account becomes
// ENABLED with a payment option token. false for an unknown account.
func (s *Server) Activate(accountID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[accountID]
	if a == nil {
		return false
	}
	a.Status, a.Token = "ENABLED", "eyJ0eXBlIjoiR09QQVlfV0FMTEVUIiwiaWQiOiIi"+strconv.Itoa(s.nextID)
	s.nextID++
	return true
}

// Account is the fake's state of an account (ok false if unknown).
func (s *Server) Account(id string) (AccountState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[id]; a != nil {
		return *a, true
	}
	return AccountState{}, false
}

// Unbound unlinks an account as the worker does in the GoPay app and
// returns the unbind notification Midtrans posts.
func (s *Server) Unbound(accountID string) (http.Header, []byte) {
	s.mu.Lock()
	if a := s.accounts[accountID]; a != nil {
		a.Status = "DISABLED"
	}
	s.mu.Unlock()
	m := map[string]any{"account_id": accountID, "account_status": "DISABLED", "payment_type": "gopay", "status_code": "200",
		"signature_key": Sign(accountID, "200", "", ServerKey), "channel_response_code": "0", "channel_response_message": "Process service request successfully."}
	b, _ := json.Marshal(m)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Veritrans")
	return h, b
}

type subscriptionReq struct {
	Name          string         `json:"name"`
	Amount        string         `json:"amount"`
	Currency      string         `json:"currency"`
	PaymentType   string         `json:"payment_type"`
	Token         string         `json:"token"`
	Schedule      *subSchedule   `json:"schedule"`
	RetrySchedule *RetrySchedule `json:"retry_schedule"`
	Gopay         *struct {
		AccountID string `json:"account_id"`
	} `json:"gopay"`
}

type subSchedule struct {
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"interval_unit"`
	MaxInterval  int    `json:"max_interval"`
	StartTime    string `json:"start_time"`
}

// subFailure is a Subscriptions API error body.
func subFailure(w http.ResponseWriter, status int, msg string, validation ...string) {
	m := map[string]any{"status_message": msg}
	if len(validation) > 0 {
		m["validation_message"] = validation
	}
	writeJSON(w, status, m)
}

func (s *Server) subscribe(w http.ResponseWriter, body []byte) {
	var req subscriptionReq
	if err := json.Unmarshal(body, &req); err != nil {
		subFailure(w, 400, "Bad request", "Request body is not valid JSON")
		return
	}
	var bad []string
	amount, err := strconv.ParseInt(req.Amount, 10, 64)
	if req.Name == "" || len(req.Name) > 50 {
		bad = append(bad, "Name must not be empty and at most 50 characters")
	}
	if err != nil || amount < 1 {
		bad = append(bad, "Amount must be a positive number")
	}
	if req.Currency != "IDR" {
		bad = append(bad, "Currency must be IDR")
	}
	if req.PaymentType != "gopay" && req.PaymentType != "credit_card" {
		bad = append(bad, "Payment type must be credit_card or gopay")
	}
	sc := req.Schedule
	if sc == nil || sc.Interval < 1 || (sc.IntervalUnit != "day" && sc.IntervalUnit != "week" && sc.IntervalUnit != "month") {
		bad = append(bad, "Schedule interval and interval_unit are required")
	} else if _, err := time.Parse(layout+" -0700", sc.StartTime); err != nil {
		bad = append(bad, "Schedule start_time must be yyyy-MM-dd HH:mm:ss Z")
	}
	if rs := req.RetrySchedule; rs != nil {
		if rs.MaxInterval < 1 || rs.MaxInterval > 3 || rs.Interval < 1 || (rs.IntervalUnit != "minute" && rs.IntervalUnit != "hour" && rs.IntervalUnit != "day") {
			bad = append(bad, "Retry schedule max_interval must be 1 to 3, interval_unit minute, hour or day")
		}
	}
	if len(bad) > 0 {
		subFailure(w, 400, "Bad request", bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.PaymentType == "gopay" {
		var a *AccountState
		if req.Gopay != nil {
			a = s.accounts[req.Gopay.AccountID]
		}
		if a == nil || a.Status != "ENABLED" || a.Token != req.Token {
			subFailure(w, 400, "Bad request", "Gopay account is not enabled or the token is invalid")
			return
		}
	}
	if s.subs == nil {
		s.subs = map[string]*SubscriptionState{}
	}
	for _, old := range s.subs {
		if old.Name == req.Name { // Midtrans is idempotent on create
			writeJSON(w, http.StatusOK, s.subBody(old))
			return
		}
	}
	id := s.uuid("d98a63b8-97e4-4059")
	st := &SubscriptionState{ID: id, Name: req.Name, Amount: amount, Status: "active", Token: req.Token, Interval: sc.Interval,
		IntervalUnit: sc.IntervalUnit, MaxInterval: sc.MaxInterval, StartTime: sc.StartTime, Retry: req.RetrySchedule, Body: body}
	if req.Gopay != nil {
		st.AccountID = req.Gopay.AccountID
	}
	s.subs[id] = st
	s.subOrder = append(s.subOrder, id)
	writeJSON(w, http.StatusOK, s.subBody(st))
}

// subBody is a subscription as Midtrans shows it. s.mu is held.
func (s *Server) subBody(st *SubscriptionState) map[string]any {
	sc := map[string]any{"interval": st.Interval, "interval_unit": st.IntervalUnit, "max_interval": st.MaxInterval,
		"current_interval": st.Charges, "start_time": st.StartTime}
	if start, err := time.Parse(layout+" -0700", st.StartTime); err == nil && st.IntervalUnit == "month" {
		sc["next_execution_at"] = start.AddDate(0, st.Interval*st.Charges, 0).Format(layout + " -0700")
		if st.Charges > 0 {
			sc["previous_execution_at"] = start.AddDate(0, st.Interval*(st.Charges-1), 0).Format(layout + " -0700")
		}
	}
	m := map[string]any{"id": st.ID, "name": st.Name, "amount": strconv.FormatInt(st.Amount, 10), "currency": "IDR",
		"created_at": s.now().In(wib).Format(layout), "schedule": sc, "status": st.Status, "token": st.Token,
		"payment_type": "gopay", "transaction_ids": append([]string{}, st.TransactionIDs...), "metadata": map[string]any{},
		"customer_details": map[string]any{}}
	if st.Retry != nil {
		m["retry_schedule"] = st.Retry
	}
	if st.AccountID != "" {
		m["gopay"] = map[string]string{"account_id": st.AccountID}
	}
	return m
}

func (s *Server) subscriptionAnswer(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.subs[id]
	if st == nil {
		subFailure(w, 404, "Subscription doesn't exist.")
		return
	}
	writeJSON(w, http.StatusOK, s.subBody(st))
}

func (s *Server) update(w http.ResponseWriter, id string, body []byte) {
	var req subscriptionReq
	if err := json.Unmarshal(body, &req); err != nil {
		subFailure(w, 400, "Bad request", "Request body is not valid JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.subs[id]
	if st == nil {
		subFailure(w, 404, "Subscription doesn't exist.")
		return
	}
	if req.Amount != "" {
		amount, err := strconv.ParseInt(req.Amount, 10, 64)
		if err != nil || amount < 1 {
			subFailure(w, 400, "Bad request", "Amount must be a positive number")
			return
		}
		st.Amount = amount
	}
	if req.Name != "" {
		st.Name = req.Name
	}
	if req.Token != "" {
		st.Token = req.Token
	}
	writeJSON(w, http.StatusOK, map[string]string{"status_message": "Subscription is updated."})
}

func (s *Server) setActive(w http.ResponseWriter, id string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.subs[id]
	if st == nil {
		subFailure(w, 404, "Subscription doesn't exist.")
		return
	}
	st.Status = "inactive"
	if on {
		st.Status = "active"
	}
	writeJSON(w, http.StatusOK, map[string]string{"status_message": "Subscription is updated."})
}

// Subscriptions returns the fake's subscriptions, oldest first.
func (s *Server) Subscriptions() []SubscriptionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SubscriptionState, 0, len(s.subOrder))
	for _, id := range s.subOrder {
		out = append(out, *s.subs[id])
	}
	return out
}

// ChargeSubscription makes a subscription's charge happen as Midtrans does
// on its schedule (or a retry): a GoPay transaction whose order id is
// "SUBS-" and Midtrans' own, settled when paid, denied for want of
// balance otherwise (the worker's balance is not counted). It returns the
// recurring notification Midtrans posts; ok is false for an unknown or
// inactive subscription (Midtrans charges nothing then).
func (s *Server) ChargeSubscription(id string, paid bool) (h http.Header, body []byte, ok bool) {
	return s.chargeSubscription(id, map[bool]string{true: "settlement", false: "deny"}[paid])
}

// ChargeSubscriptionPending starts a subscription's charge that GoPay has
// not finished ("pending", as when the wallet asks the worker): its
// notification; EndCharge finishes it later.
func (s *Server) ChargeSubscriptionPending(id string) (h http.Header, body []byte, ok bool) {
	return s.chargeSubscription(id, "pending")
}

// EndCharge ends a pending charge, settled when paid and denied for want of
// balance otherwise, and returns the notification Midtrans posts then;
// ok is false for an order that is not a pending charge.
func (s *Server) EndCharge(orderID string, paid bool) (h http.Header, body []byte, ok bool) {
	s.mu.Lock()
	t := s.txs[orderID]
	if t == nil || t.status != "pending" {
		s.mu.Unlock()
		return nil, nil, false
	}
	t.status = "deny"
	if paid {
		t.status, t.settlement = "settlement", s.now().In(wib)
	}
	m := s.body(t, ServerKey)
	var sub string
	for _, st := range s.subs {
		if slices.Contains(st.TransactionIDs, t.TransactionID) {
			sub = st.ID
		}
	}
	s.mu.Unlock()
	return recurringBody(m, sub, paid)
}

// recurringBody is a recurring notification's body and headers.
func recurringBody(m map[string]any, sub string, paid bool) (http.Header, []byte, bool) {
	m["status_message"] = "midtrans payment notification"
	if !paid {
		m["status_message"] = InsufficientBalance
		m["channel_response_message"] = InsufficientBalance
	}
	m["subscription_id"] = sub
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Veritrans")
	return h, b, true
}

func (s *Server) chargeSubscription(id, status string) (h http.Header, body []byte, ok bool) {
	paid := status == "settlement"
	s.mu.Lock()
	st := s.subs[id]
	if st == nil || st.Status != "active" {
		s.mu.Unlock()
		return nil, nil, false
	}
	if a := s.accounts[st.AccountID]; st.AccountID != "" && (a == nil || a.Status != "ENABLED") {
		paid = false
	}
	now := s.now().In(wib)
	st.Charges++
	if status == "deny" && paid {
		status = "settlement"
	}
	if !paid && status == "settlement" {
		status = "deny" // an account no longer linked pays nothing
	}
	t := &tx{Charge: Charge{OrderID: fmt.Sprintf("SUBS-%s-%d", st.ID, st.Charges), TransactionID: s.transactionID(),
		PaymentType: "gopay", Bank: "gopay", Amount: st.Amount}, status: status, txTime: now, expiry: now.Add(15 * time.Minute)}
	if status == "settlement" {
		t.settlement = now
	}
	st.TransactionIDs = append(st.TransactionIDs, t.TransactionID)
	s.txs[t.OrderID] = t
	s.order = append(s.order, t.OrderID)
	m := s.body(t, ServerKey)
	sub := st.ID
	s.mu.Unlock()
	return recurringBody(m, sub, status != "deny")
}
