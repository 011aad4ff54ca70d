package midtrans

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

// linked links and activates an account at the fake, as a worker would.
func linked(t *testing.T, c *Client, srv *midtranstest.Server) Account {
	t.Helper()
	ctx := context.Background()
	a, err := c.LinkAccount(ctx, "+6281212345678", "https://lindungi.example/gopay")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != AccountPending || !strings.HasPrefix(a.AppURL, "https://") || a.WebURL == "" || a.Token != "" {
		t.Fatalf("link: %+v", a)
	}
	if got, _ := srv.Account(a.ID); got.Phone != "81212345678" {
		t.Fatalf("sent phone %q, want the national number", got.Phone)
	}
	if a, err = c.Account(ctx, a.ID); err != nil || a.Status != AccountPending {
		t.Fatalf("before the worker confirms: %+v, %v", a, err)
	}
	srv.Activate(a.ID)
	if a, err = c.Account(ctx, a.ID); err != nil || a.Status != AccountEnabled || a.Token == "" {
		t.Fatalf("after the worker confirms: %+v, %v", a, err)
	}
	return a
}

func TestLinkSubscribeChargeDisable(t *testing.T) {
	ctx := context.Background()
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	a := linked(t, c, srv)

	start := time.Date(2027, 1, 24, 7, 0, 0, 0, WIB)
	s, err := c.CreateSubscription(ctx, SubscriptionRequest{Name: "BPU-LD2611-7K3M9Q", Amount: 16800, AccountID: a.ID, Token: a.Token,
		Start: start, Retries: 3, RetryEvery: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != SubscriptionActive || s.Amount != 16800 || s.Interval != 1 || s.IntervalUnit != "month" || s.MaxInterval != 12 ||
		!s.StartTime.Equal(start) || s.Retries != 3 || s.RetryInterval != 1 || s.RetryUnit != "day" || s.AccountID != a.ID {
		t.Fatalf("subscription: %+v", s)
	}
	var sent map[string]any
	if err := json.Unmarshal(srv.Subscriptions()[0].Body, &sent); err != nil {
		t.Fatal(err)
	}
	if sent["amount"] != "16800" || sent["currency"] != "IDR" || sent["payment_type"] != "gopay" ||
		sent["schedule"].(map[string]any)["start_time"] != "2027-01-24 07:00:00 +0700" {
		t.Fatalf("request body: %v", sent)
	}

	// A paid charge: signature, status query, then the subscription's own list.
	_, body, ok := srv.ChargeSubscription(s.ID, true)
	if !ok {
		t.Fatal("no charge")
	}
	r, err := c.VerifyRecurring(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != RecurringCharge || r.SubscriptionID != s.ID || r.Charge.Status != payments.Paid || r.Charge.Amount != 16800 ||
		!strings.HasPrefix(r.Charge.OrderID, "SUBS-") || r.Message != "" {
		t.Fatalf("recurring: %+v", r)
	}

	// A refused one says why.
	_, body, _ = srv.ChargeSubscription(s.ID, false)
	if r, err = c.VerifyRecurring(ctx, body); err != nil || r.Charge.Status != payments.Failed || r.Message != midtranstest.InsufficientBalance {
		t.Fatalf("failed charge: %+v, %v", r, err)
	}

	// A price change.
	if err := c.SetSubscriptionAmount(ctx, s.ID, 8400); err != nil {
		t.Fatal(err)
	}
	if s, err = c.GetSubscription(ctx, s.ID); err != nil || s.Amount != 8400 || s.Name != "BPU-LD2611-7K3M9Q" {
		t.Fatalf("after the update: %+v, %v", s, err)
	}

	if err := c.DisableSubscription(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if s, _ = c.GetSubscription(ctx, s.ID); s.Status != SubscriptionInactive {
		t.Fatalf("after disable: %s", s.Status)
	}
	if _, _, ok := srv.ChargeSubscription(s.ID, true); ok {
		t.Fatal("a disabled subscription was charged")
	}
	if err := c.DisableSubscription(ctx, s.ID); err != nil {
		t.Fatalf("disable twice: %v", err)
	}
	if err := c.EnableSubscription(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if s, _ = c.GetSubscription(ctx, s.ID); s.Status != SubscriptionActive {
		t.Fatalf("after enable: %s", s.Status)
	}
}

func TestVerifyRecurringRefuses(t *testing.T) {
	ctx := context.Background()
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	a := linked(t, c, srv)
	s, err := c.CreateSubscription(ctx, SubscriptionRequest{Name: "BPU-A", Amount: 16800, AccountID: a.ID, Token: a.Token, Start: now})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.CreateSubscription(ctx, SubscriptionRequest{Name: "BPU-B", Amount: 16800, AccountID: a.ID, Token: a.Token, Start: now})
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := srv.ChargeSubscription(s.ID, true)

	// Another subscription's id on a genuine charge: its list does not have it.
	var m map[string]any
	json.Unmarshal(body, &m)
	m["subscription_id"] = other.ID
	moved, _ := json.Marshal(m)
	if _, err := c.VerifyRecurring(ctx, moved); !errors.Is(err, payments.ErrForged) {
		t.Errorf("charge moved to another subscription: %v", err)
	}
	// A settlement claimed for a charge that was denied (its signed
	// status_code is 202).
	_, denied, _ := srv.ChargeSubscription(s.ID, false)
	if _, err := c.VerifyRecurring(ctx, midtranstest.Edited(denied, "settlement")); !errors.Is(err, payments.ErrForged) {
		t.Errorf("edited status: %v", err)
	}
	// A paid charge edited to look failed: the status query decides.
	_, paid, _ := srv.ChargeSubscription(s.ID, true)
	if r, err := c.VerifyRecurring(ctx, midtranstest.Edited(paid, "deny")); err != nil || r.Charge.Status != payments.Paid || r.Charge.Unbacked != payments.Failed {
		t.Errorf("edited to deny: %+v, %v", r, err)
	}
	// Forged signature.
	m["signature_key"] = strings.Repeat("0", 128)
	forged, _ := json.Marshal(m)
	if _, err := c.VerifyRecurring(ctx, forged); !errors.Is(err, payments.ErrForged) {
		t.Errorf("forged: %v", err)
	}
	// No subscription named.
	delete(m, "subscription_id")
	m["signature_key"] = midtranstest.Sign(m["order_id"].(string), m["status_code"].(string), m["gross_amount"].(string), midtranstest.ServerKey)
	none, _ := json.Marshal(m)
	if _, err := c.VerifyRecurring(ctx, none); err == nil {
		t.Error("a charge naming no subscription was accepted")
	}

	// An unbind notification for an account still enabled is not believed.
	_, unbind := srv.Unbound(a.ID)
	srv.Activate(a.ID)
	if _, err := c.VerifyRecurring(ctx, unbind); !errors.Is(err, payments.ErrForged) {
		t.Errorf("unbind of an enabled account: %v", err)
	}
	_, unbind = srv.Unbound(a.ID)
	if r, err := c.VerifyRecurring(ctx, unbind); err != nil || r.Kind != AccountUnbound || r.AccountID != a.ID {
		t.Errorf("unbind: %+v, %v", r, err)
	}
	// Midtrans unreachable: transient, the gateway retries.
	srv.Fail("account", 1, midtranstest.InternalError)
	if _, err := c.VerifyRecurring(ctx, unbind); !payments.IsTransient(err) {
		t.Errorf("unbind with Midtrans down: %v", err)
	}
	if _, err := c.VerifyRecurring(ctx, []byte(`{"account_id":"x"}`)); !errors.Is(err, payments.ErrForged) {
		t.Errorf("unsigned unbind: %v", err)
	}
}

func TestUnbind(t *testing.T) {
	ctx := context.Background()
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	a := linked(t, c, srv)
	if err := c.Unbind(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Account(ctx, a.ID); got.Status != AccountDisabled {
		t.Fatalf("after unbind: %s", got.Status)
	}
	if err := c.Unbind(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, payments.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	if err := c.Unbind(ctx, "../charge"); err == nil {
		t.Fatal("a path in an account id was sent")
	}
}

func TestTokenizationOff(t *testing.T) {
	srv := midtranstest.NewServer(t)
	srv.SetTokenization(false)
	c := newClient(t, srv, false)
	_, err := c.LinkAccount(context.Background(), "081212345678", "")
	var e *payments.Error
	if !errors.As(err, &e) || e.Kind != payments.Permanent || e.HTTPStatus != 402 {
		t.Fatalf("link with tokenization off: %v", err)
	}
}

func TestLinkAccountRefusesBadPhones(t *testing.T) {
	c := newClient(t, midtranstest.NewServer(t), false)
	for _, p := range []string{"", "12345", "021555123", "+6281x2345678", "6281234567890123"} {
		if _, err := c.LinkAccount(context.Background(), p, ""); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestSubscriptionRequestChecks(t *testing.T) {
	ok := SubscriptionRequest{Name: "BPU-A", Amount: 16800, AccountID: "acc-1", Token: "tok", Start: now}
	for name, r := range map[string]SubscriptionRequest{
		"no name":        {Amount: 1, AccountID: "a", Token: "t", Start: now},
		"zero amount":    {Name: "A", AccountID: "a", Token: "t", Start: now},
		"no token":       {Name: "A", Amount: 1, AccountID: "a", Start: now},
		"four retries":   {Name: "A", Amount: 1, AccountID: "a", Token: "t", Start: now, Retries: 4, RetryEvery: time.Hour},
		"retry in secs":  {Name: "A", Amount: 1, AccountID: "a", Token: "t", Start: now, Retries: 1, RetryEvery: 90 * time.Second},
		"bad account id": {Name: "A", Amount: 1, AccountID: "a/b", Token: "t", Start: now},
	} {
		if _, err := subscriptionRequest(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	b, err := subscriptionRequest(ok)
	if err != nil || b.RetrySchedule != nil || b.Schedule.MaxInterval != 12 {
		t.Fatalf("%+v, %v", b, err)
	}
	for d, want := range map[time.Duration]string{time.Minute * 30: "30 minute", 2 * time.Hour: "2 hour", 48 * time.Hour: "2 day"} {
		n, unit, err := retryUnit(d)
		if err != nil || strconv.Itoa(n)+" "+unit != want {
			t.Errorf("%s: %d %s %v", d, n, unit, err)
		}
	}
}

func TestAccountAndSubscriptionTestdata(t *testing.T) {
	a, err := accountFrom("link", 201, testdata(t, "pay_account_pending.json"))
	if err != nil || a.Status != AccountPending || !strings.Contains(a.AppURL, "/app/") || !strings.Contains(a.WebURL, "/web/") {
		t.Errorf("pending: %+v, %v", a, err)
	}
	a, err = accountFrom("account", 200, testdata(t, "pay_account_enabled.json"))
	if err != nil || a.Status != AccountEnabled || a.Token != "eyJ0eXBlIjogIkdPUEFZX1dBTExFVCIsICJpZCI6ICIifQ==" {
		t.Errorf("enabled: %+v, %v", a, err)
	}
	a, err = accountFrom("unbind", 200, testdata(t, "pay_account_unbind.json"))
	if err != nil || a.Status != AccountDisabled {
		t.Errorf("unbind: %+v, %v", a, err)
	}
	s, err := subscriptionFrom("subscribe", 200, testdata(t, "subscription_created.json"))
	if err != nil || s.Amount != 16800 || s.Retries != 3 || s.RetryUnit != "day" || s.AccountID != "00000269-7836-49e5-bc65-e592afafec14" ||
		!s.StartTime.Equal(time.Date(2027, 1, 1, 7, 0, 0, 0, WIB)) {
		t.Errorf("subscription: %+v, %v", s, err)
	}
	_, err = subscriptionFrom("subscribe", 400, testdata(t, "subscription_error_400.json"))
	var e *payments.Error
	if !errors.As(err, &e) || e.Kind != payments.Permanent || !strings.Contains(e.Message, "not enabled") {
		t.Errorf("error: %v", err)
	}
	if _, err := subscriptionFrom("subscribe", http.StatusServiceUnavailable, []byte("<html>")); !payments.IsTransient(err) {
		t.Errorf("503: %v", err)
	}
}

// The captured recurring bodies, each checked as Midtrans would answer
// about it (one canned answer: the subscription, or the account).
func TestRecurringTestdata(t *testing.T) {
	ctx := context.Background()
	c := fixed(t, 200, testdata(t, "subscription_charged.json"))
	r, err := c.VerifyRecurring(ctx, testdata(t, "notification_recurring_settlement.json"))
	if err != nil || r.Kind != RecurringCharge || r.SubscriptionID != "d98a63b8-97e4-4059-825f-0f62340407e9" || r.Charge.Status != payments.Paid ||
		r.Charge.Amount != 16800 || r.Charge.OrderID != "SUBS-20270124010203-7K3M9Q" || !r.Charge.PaidAt.Equal(time.Date(2027, 1, 24, 8, 0, 9, 0, WIB)) {
		t.Errorf("settlement: %+v, %v", r, err)
	}
	r, err = c.VerifyRecurring(ctx, testdata(t, "notification_recurring_deny.json"))
	if err != nil || r.Charge.Status != payments.Failed || r.Message != "Insufficient balance" {
		t.Errorf("deny: %+v, %v", r, err)
	}
	// A subscription that does not list the transaction.
	other := fixed(t, 200, testdata(t, "subscription_created.json"))
	if _, err := other.VerifyRecurring(ctx, testdata(t, "notification_recurring_settlement.json")); !errors.Is(err, payments.ErrForged) {
		t.Errorf("not the subscription's: %v", err)
	}
	r, err = fixed(t, 200, testdata(t, "pay_account_unbind.json")).VerifyRecurring(ctx, testdata(t, "notification_unbind.json"))
	if err != nil || r.Kind != AccountUnbound || r.AccountID != "00000269-7836-49e5-bc65-e592afafec14" {
		t.Errorf("unbind: %+v, %v", r, err)
	}
	if _, err := fixed(t, 200, testdata(t, "pay_account_enabled.json")).VerifyRecurring(ctx, testdata(t, "notification_unbind.json")); !errors.Is(err, payments.ErrForged) {
		t.Errorf("unbind of an enabled account: %v", err)
	}
}
