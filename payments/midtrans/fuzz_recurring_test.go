package midtrans

import (
	"context"
	"testing"

	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

// FuzzAccountAnswer: reading Midtrans' answers about a GoPay account never
// panics, and what it accepts has a known status and an id safe in a path.
func FuzzAccountAnswer(f *testing.F) {
	for _, name := range []string{"pay_account_pending.json", "pay_account_enabled.json", "pay_account_unbind.json", "error_404.json"} {
		f.Add(200, testdata(f, name))
	}
	f.Add(201, []byte(`{"account_id":"a","account_status":"PENDING","actions":[{"name":"activation-link-app","url":"gojek://x"}]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		for _, op := range []string{"link", "account", "unbind"} {
			a, err := accountFrom(op, status, body)
			if err != nil {
				continue
			}
			if !a.Status.valid() || validAccountID(a.ID) != nil {
				t.Fatalf("%s accepted %+v from %s", op, a, body)
			}
		}
	})
}

// FuzzSubscriptionAnswer: reading a subscription never panics, and what it
// accepts has a positive amount, a known status and an id safe in a path.
func FuzzSubscriptionAnswer(f *testing.F) {
	f.Add(200, testdata(f, "subscription_created.json"))
	f.Add(400, testdata(f, "subscription_error_400.json"))
	f.Add(200, []byte(`{"id":"x","amount":"1","status":"active","schedule":{"start_time":"2027-01-01 07:00:00"}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		s, err := subscriptionFrom("subscription", status, body)
		if err != nil {
			return
		}
		if s.Amount <= 0 || validAccountID(s.ID) != nil || (s.Status != SubscriptionActive && s.Status != SubscriptionInactive) {
			t.Fatalf("accepted %+v from %s", s, body)
		}
	})
}

// FuzzVerifyRecurring: a recurring notification never panics the verifier,
// and nothing is accepted that the fake Midtrans did not send: a charge
// must carry the right signature and be on its subscription's list, an
// unbind must be of an account Midtrans says is DISABLED.
func FuzzVerifyRecurring(f *testing.F) {
	srv := midtranstest.Start()
	f.Cleanup(srv.Close)
	c, err := New(Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL(), HTTPClient: srv.Client()})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	a, err := c.LinkAccount(ctx, "081212345678", "")
	if err != nil {
		f.Fatal(err)
	}
	srv.Activate(a.ID)
	if a, err = c.Account(ctx, a.ID); err != nil {
		f.Fatal(err)
	}
	s, err := c.CreateSubscription(ctx, SubscriptionRequest{Name: "BPU-F", Amount: 16800, AccountID: a.ID, Token: a.Token, Start: now})
	if err != nil {
		f.Fatal(err)
	}
	_, paid, _ := srv.ChargeSubscription(s.ID, true)
	_, failed, _ := srv.ChargeSubscription(s.ID, false)
	f.Add(paid)
	f.Add(failed)
	f.Add([]byte(`{"account_id":"` + a.ID + `","signature_key":"00"}`))
	f.Add(testdata(f, "notification_settlement.json"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := c.VerifyRecurring(ctx, body)
		if err != nil {
			return
		}
		switch r.Kind {
		case AccountUnbound:
			if got, _ := srv.Account(r.AccountID); got.Status != "DISABLED" {
				t.Fatalf("unbind of an account that is %s accepted: %s", got.Status, body)
			}
		case RecurringCharge:
			if r.SubscriptionID != s.ID || r.Charge.Amount != 16800 {
				t.Fatalf("accepted %+v from %s", r, body)
			}
		default:
			t.Fatalf("kind %q", r.Kind)
		}
	})
}
