package midtrans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/lindungi/lindungi/payments"
)

// The Subscriptions API (https://docs.midtrans.com/reference/subscriptions-api)
// charges a linked GoPay account on a schedule, retrying a failed charge on
// Midtrans' retry schedule (at most 3 retries, every minute, hour or day).
// Each charge is an ordinary GoPay transaction: Midtrans posts it to the
// Recurring Notification URL with the usual signature_key.

// MaxRetries is the most retries Midtrans makes of a failed charge.
const MaxRetries = 3

// SubscriptionStatus is "active" or "inactive" (disabled).
type SubscriptionStatus string

// Subscription statuses.
const (
	SubscriptionActive   SubscriptionStatus = "active"
	SubscriptionInactive SubscriptionStatus = "inactive"
)

// SubscriptionRequest is a monthly GoPay subscription to create.
type SubscriptionRequest struct {
	Name      string // ours, unique: e.g. "BPU-LD2611-7K3M9Q"
	Amount    int64  // Rupiah per charge
	AccountID string // the ENABLED GoPay account
	Token     string // its GOPAY_WALLET payment_option_token
	Start     time.Time
	Months    int // how many charges at most (max_interval); 0: 12
	// Retries of a failed charge, RetryEvery apart (1..MaxRetries, a whole
	// number of days, hours or minutes); 0: no retry.
	Retries    int
	RetryEvery time.Duration
}

// Subscription is a subscription as Midtrans describes it.
type Subscription struct {
	ID             string
	Name           string
	Amount         int64
	Status         SubscriptionStatus
	Token          string
	AccountID      string
	Interval       int
	IntervalUnit   string
	MaxInterval    int
	StartTime      time.Time
	NextExecution  time.Time // zero when Midtrans gave none
	Retries        int
	RetryInterval  int
	RetryUnit      string
	TransactionIDs []string
}

type schedule struct {
	Interval            int    `json:"interval"`
	IntervalUnit        string `json:"interval_unit"`
	MaxInterval         int    `json:"max_interval,omitempty"`
	StartTime           string `json:"start_time,omitempty"`
	PreviousExecutionAt string `json:"previous_execution_at,omitempty"`
	NextExecutionAt     string `json:"next_execution_at,omitempty"`
}

type retrySchedule struct {
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"interval_unit"`
	MaxInterval  int    `json:"max_interval"`
}

type gopayAccount struct {
	AccountID string `json:"account_id"`
}

type subscriptionBody struct {
	ID             string         `json:"id,omitempty"`
	Name           string         `json:"name"`
	Amount         string         `json:"amount"`
	Currency       string         `json:"currency"`
	PaymentType    string         `json:"payment_type,omitempty"`
	Token          string         `json:"token"`
	Schedule       schedule       `json:"schedule"`
	RetrySchedule  *retrySchedule `json:"retry_schedule,omitempty"`
	Gopay          *gopayAccount  `json:"gopay,omitempty"`
	Status         string         `json:"status,omitempty"`
	TransactionIDs []string       `json:"transaction_ids,omitempty"`
}

// subTimeLayout is the Subscriptions API's time: "2027-01-01 07:00:00 +0700".
const subTimeLayout = "2006-01-02 15:04:05 -0700"

// retryUnit writes a retry interval in Midtrans' largest whole unit.
func retryUnit(d time.Duration) (int, string, error) {
	switch {
	case d <= 0:
		return 0, "", errors.New("retry interval is not positive")
	case d%(24*time.Hour) == 0:
		return int(d / (24 * time.Hour)), "day", nil
	case d%time.Hour == 0:
		return int(d / time.Hour), "hour", nil
	case d%time.Minute == 0:
		return int(d / time.Minute), "minute", nil
	}
	return 0, "", fmt.Errorf("retry interval %s is not whole minutes", d)
}

// subscriptionRequest is the body of POST /v1/subscriptions.
func subscriptionRequest(r SubscriptionRequest) (subscriptionBody, error) {
	if err := payments.ValidOrderID(r.Name); err != nil {
		return subscriptionBody{}, fmt.Errorf("midtrans: subscription name: %w", err)
	}
	if r.Amount <= 0 {
		return subscriptionBody{}, fmt.Errorf("midtrans: subscription %s: amount %d is not positive", r.Name, r.Amount)
	}
	if err := validAccountID(r.AccountID); err != nil {
		return subscriptionBody{}, err
	}
	if r.Token == "" || r.Start.IsZero() {
		return subscriptionBody{}, fmt.Errorf("midtrans: subscription %s: needs the account's token and a start", r.Name)
	}
	months := r.Months
	if months == 0 {
		months = 12
	}
	if months < 1 {
		return subscriptionBody{}, fmt.Errorf("midtrans: subscription %s: %d months", r.Name, months)
	}
	b := subscriptionBody{Name: r.Name, Amount: strconv.FormatInt(r.Amount, 10), Currency: "IDR", PaymentType: "gopay", Token: r.Token,
		Schedule: schedule{Interval: 1, IntervalUnit: "month", MaxInterval: months, StartTime: r.Start.In(WIB).Format(subTimeLayout)},
		Gopay:    &gopayAccount{AccountID: r.AccountID}}
	if r.Retries > 0 {
		if r.Retries > MaxRetries {
			return subscriptionBody{}, fmt.Errorf("midtrans: subscription %s: %d retries, at most %d", r.Name, r.Retries, MaxRetries)
		}
		n, unit, err := retryUnit(r.RetryEvery)
		if err != nil {
			return subscriptionBody{}, fmt.Errorf("midtrans: subscription %s: %w", r.Name, err)
		}
		b.RetrySchedule = &retrySchedule{Interval: n, IntervalUnit: unit, MaxInterval: r.Retries}
	}
	return b, nil
}

// CreateSubscription creates a monthly GoPay subscription.
func (c *Client) CreateSubscription(ctx context.Context, r SubscriptionRequest) (Subscription, error) {
	req, err := subscriptionRequest(r)
	if err != nil {
		return Subscription{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Subscription{}, err
	}
	code, b, err := c.do(ctx, "subscribe", http.MethodPost, "/v1/subscriptions", body)
	if err != nil {
		return Subscription{}, err
	}
	s, err := subscriptionFrom("subscribe", code, b)
	if err != nil {
		return Subscription{}, err
	}
	if s.Name != r.Name || s.Amount != r.Amount {
		return Subscription{}, &payments.Error{Provider: Name, Op: "subscribe", Kind: payments.Permanent, HTTPStatus: code,
			Err: fmt.Errorf("answer is %s of %d, not %s of %d", s.Name, s.Amount, r.Name, r.Amount)}
	}
	return s, nil
}

// GetSubscription asks Midtrans about a subscription (GET /v1/subscriptions/{id}).
func (c *Client) GetSubscription(ctx context.Context, id string) (Subscription, error) {
	if err := validAccountID(id); err != nil {
		return Subscription{}, err
	}
	code, b, err := c.do(ctx, "subscription", http.MethodGet, "/v1/subscriptions/"+url.PathEscape(id), nil)
	if err != nil {
		return Subscription{}, err
	}
	return subscriptionFrom("subscription", code, b)
}

// SetSubscriptionAmount changes what the next charges take (PATCH
// /v1/subscriptions/{id}); the schedule is kept. Midtrans wants the name,
// currency and token with it, so the subscription is read first.
func (c *Client) SetSubscriptionAmount(ctx context.Context, id string, amount int64) error {
	if amount <= 0 {
		return fmt.Errorf("midtrans: subscription %s: amount %d is not positive", id, amount)
	}
	s, err := c.GetSubscription(ctx, id)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"name": s.Name, "amount": strconv.FormatInt(amount, 10), "currency": "IDR", "token": s.Token,
		"schedule": map[string]int{"interval": 1}})
	if err != nil {
		return err
	}
	return c.subscriptionCall(ctx, "update", http.MethodPatch, "/v1/subscriptions/"+url.PathEscape(id), body)
}

// DisableSubscription stops a subscription's charges (POST …/disable); it
// is not an error for one disabled already.
func (c *Client) DisableSubscription(ctx context.Context, id string) error {
	if err := validAccountID(id); err != nil {
		return err
	}
	return c.subscriptionCall(ctx, "disable", http.MethodPost, "/v1/subscriptions/"+url.PathEscape(id)+"/disable", nil)
}

// EnableSubscription starts a disabled subscription's charges again.
func (c *Client) EnableSubscription(ctx context.Context, id string) error {
	if err := validAccountID(id); err != nil {
		return err
	}
	return c.subscriptionCall(ctx, "enable", http.MethodPost, "/v1/subscriptions/"+url.PathEscape(id)+"/enable", nil)
}

func (c *Client) subscriptionCall(ctx context.Context, op, method, path string, body []byte) error {
	code, b, err := c.do(ctx, op, method, path, body)
	if err != nil {
		return err
	}
	if e := subscriptionFailure(op, code, b); e != nil {
		return e
	}
	return nil
}

// subscriptionFailure reads a Subscriptions API error: its bodies carry
// status_message and validation_message (singular), no status_code.
func subscriptionFailure(op string, httpStatus int, body []byte) *payments.Error {
	e := failure(op, httpStatus, body)
	if e == nil {
		return nil
	}
	var t struct {
		ValidationMessage []string `json:"validation_message"`
	}
	if json.Unmarshal(body, &t) == nil && len(t.ValidationMessage) > 0 {
		e.Message = fmt.Sprintf("%s %q", e.Message, t.ValidationMessage)
	}
	return e
}

// subscriptionFrom reads Midtrans' answer about a subscription.
func subscriptionFrom(op string, httpStatus int, body []byte) (Subscription, error) {
	if e := subscriptionFailure(op, httpStatus, body); e != nil {
		return Subscription{}, e
	}
	bad := func(format string, a ...any) (Subscription, error) {
		return Subscription{}, &payments.Error{Provider: Name, Op: op, Kind: payments.Permanent, HTTPStatus: httpStatus, Err: fmt.Errorf(format, a...)}
	}
	var t subscriptionBody
	if err := json.Unmarshal(body, &t); err != nil {
		return bad("answer: %w", err)
	}
	if err := validAccountID(t.ID); err != nil {
		return bad("subscription id: %w", err)
	}
	amount, err := ParseAmount(t.Amount)
	if err != nil || amount == 0 {
		return bad("amount %q", t.Amount)
	}
	s := Subscription{ID: t.ID, Name: t.Name, Amount: amount, Status: SubscriptionStatus(t.Status), Token: t.Token,
		Interval: t.Schedule.Interval, IntervalUnit: t.Schedule.IntervalUnit, MaxInterval: t.Schedule.MaxInterval, TransactionIDs: t.TransactionIDs}
	if s.Status != SubscriptionActive && s.Status != SubscriptionInactive {
		return bad("status %q", t.Status)
	}
	if t.Gopay != nil {
		s.AccountID = t.Gopay.AccountID
	}
	if t.RetrySchedule != nil {
		s.Retries, s.RetryInterval, s.RetryUnit = t.RetrySchedule.MaxInterval, t.RetrySchedule.Interval, t.RetrySchedule.IntervalUnit
	}
	for _, f := range []struct {
		s  string
		to *time.Time
	}{{t.Schedule.StartTime, &s.StartTime}, {t.Schedule.NextExecutionAt, &s.NextExecution}} {
		if f.s == "" {
			continue
		}
		at, err := parseSubTime(f.s)
		if err != nil {
			return bad("schedule: %w", err)
		}
		*f.to = at
	}
	return s, nil
}

// parseSubTime reads "2027-01-01 07:00:00 +0700", or the same without a
// zone (then WIB).
func parseSubTime(s string) (time.Time, error) {
	if at, err := time.Parse(subTimeLayout, s); err == nil {
		return at, nil
	}
	return time.ParseInLocation(timeLayout, s, WIB)
}

// RecurringKind is what a recurring notification is about.
type RecurringKind string

// Kinds of recurring notification.
const (
	RecurringCharge RecurringKind = "charge" // a subscription's charge (paid, failed, pending)
	AccountUnbound  RecurringKind = "unbind" // a linked account was unlinked
)

// Recurring is a verified notification at the Recurring Notification URL.
type Recurring struct {
	Kind RecurringKind
	// Charge: the transaction (verified like every notification: signature,
	// then status query) and the subscription it belongs to, confirmed by
	// the subscription's own transaction_ids.
	Charge         payments.Notification
	SubscriptionID string
	// Message is Midtrans' reason for a failed charge ("Insufficient
	// balance"), as given; empty otherwise.
	Message string
	// Unbind: the account, now DISABLED by Midtrans' own answer.
	AccountID string
}

// VerifyRecurring checks a notification posted to the Recurring
// Notification URL. A charge is verified like every Midtrans notification
// (signature_key, then GET /v2/{order_id}/status) and then tied to its
// subscription by GET /v1/subscriptions/{id}, which must list the
// transaction. An unbind notification is believed only when GET
// /v2/pay/account/{id} says DISABLED. Errors as Verify: ErrForged for what
// does not check (answer 401), a transient *Error when Midtrans could not
// be asked (5xx, the gateway retries), a plain error for the malformed.
func (c *Client) VerifyRecurring(ctx context.Context, body []byte) (Recurring, error) {
	if len(body) > payments.MaxNotificationSize {
		return Recurring{}, fmt.Errorf("midtrans: recurring: body of %d bytes: %w", len(body), payments.ErrForged)
	}
	var head struct {
		OrderID        string `json:"order_id"`
		AccountID      string `json:"account_id"`
		SubscriptionID string `json:"subscription_id"`
		StatusMessage  string `json:"status_message"`
		SignatureKey   string `json:"signature_key"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return Recurring{}, fmt.Errorf("midtrans: recurring: %w", payments.ErrForged)
	}
	if head.OrderID == "" && head.AccountID != "" {
		// An unbind: its signature's recipe is not documented the way a
		// transaction's is, so Midtrans' own answer decides.
		if head.SignatureKey == "" {
			return Recurring{}, fmt.Errorf("midtrans: unbind notification unsigned: %w", payments.ErrForged)
		}
		a, err := c.Account(ctx, head.AccountID)
		if errors.Is(err, payments.ErrNotFound) {
			return Recurring{}, fmt.Errorf("midtrans: unbind of an account Midtrans does not know: %w", payments.ErrForged)
		}
		if err != nil {
			return Recurring{}, err
		}
		if a.Status != AccountDisabled {
			return Recurring{}, fmt.Errorf("midtrans: unbind notification for account %s that is %s: %w", a.ID, a.Status, payments.ErrForged)
		}
		return Recurring{Kind: AccountUnbound, AccountID: a.ID}, nil
	}
	n, err := c.Verify(ctx, nil, body)
	if err != nil {
		return Recurring{}, err
	}
	if head.SubscriptionID == "" {
		return Recurring{}, fmt.Errorf("midtrans: recurring notification for %s names no subscription", n.OrderID)
	}
	s, err := c.GetSubscription(ctx, head.SubscriptionID)
	if errors.Is(err, payments.ErrNotFound) {
		return Recurring{}, fmt.Errorf("midtrans: recurring notification for unknown subscription: %w", payments.ErrForged)
	}
	if err != nil {
		return Recurring{}, err
	}
	if !slices.Contains(s.TransactionIDs, n.ProviderRef) {
		return Recurring{}, fmt.Errorf("midtrans: transaction of %s is not subscription %s's: %w", n.OrderID, s.ID, payments.ErrForged)
	}
	r := Recurring{Kind: RecurringCharge, Charge: n, SubscriptionID: s.ID}
	if n.Status == payments.Failed || n.Status == payments.Expired {
		r.Message = cut(head.StatusMessage, 200)
	}
	return r, nil
}
