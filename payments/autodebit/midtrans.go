// Package autodebit puts the payment providers' auto-debit APIs in flows'
// words (flows.AutoDebitProvider): the provider packages stay below flows,
// as the layers test holds.
package autodebit

import (
	"context"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments/midtrans"
)

// Midtrans is Midtrans's client as auto-debit uses it: GoPay accounts and
// subscriptions in flows' words, and recurring notifications verified into
// flows.RecurringEvent.
type Midtrans struct{ C *midtrans.Client }

var _ flows.AutoDebitProvider = Midtrans{}

// Name is "midtrans".
func (a Midtrans) Name() string { return midtrans.Name }

func gopay(acc midtrans.Account) flows.GoPayAccount {
	return flows.GoPayAccount{ID: acc.ID, Status: string(acc.Status), AppURL: acc.AppURL, WebURL: acc.WebURL, Token: acc.Token}
}

// LinkAccount is Client.LinkAccount.
func (a Midtrans) LinkAccount(ctx context.Context, phone, redirectURL string) (flows.GoPayAccount, error) {
	acc, err := a.C.LinkAccount(ctx, phone, redirectURL)
	return gopay(acc), err
}

// Account is Client.Account.
func (a Midtrans) Account(ctx context.Context, id string) (flows.GoPayAccount, error) {
	acc, err := a.C.Account(ctx, id)
	return gopay(acc), err
}

// CreateSubscription is Client.CreateSubscription.
func (a Midtrans) CreateSubscription(ctx context.Context, p flows.SubscriptionPlan) (string, error) {
	s, err := a.C.CreateSubscription(ctx, midtrans.SubscriptionRequest{Name: p.Name, Amount: p.Amount, AccountID: p.AccountID, Token: p.Token,
		Start: p.Start, Months: p.MonthsOfSchedules, Retries: p.Retries, RetryEvery: p.RetryEvery})
	return s.ID, err
}

// SetSubscriptionAmount is Client.SetSubscriptionAmount.
func (a Midtrans) SetSubscriptionAmount(ctx context.Context, id string, amount int64) error {
	return a.C.SetSubscriptionAmount(ctx, id, amount)
}

// DisableSubscription is Client.DisableSubscription.
func (a Midtrans) DisableSubscription(ctx context.Context, id string) error {
	return a.C.DisableSubscription(ctx, id)
}

// EnableSubscription is Client.EnableSubscription.
func (a Midtrans) EnableSubscription(ctx context.Context, id string) error {
	return a.C.EnableSubscription(ctx, id)
}

// Unbind is Client.Unbind.
func (a Midtrans) Unbind(ctx context.Context, accountID string) error {
	return a.C.Unbind(ctx, accountID)
}

// VerifyRecurring is Client.VerifyRecurring in flows' words.
func (a Midtrans) VerifyRecurring(ctx context.Context, body []byte) (flows.RecurringEvent, error) {
	r, err := a.C.VerifyRecurring(ctx, body)
	if err != nil {
		return flows.RecurringEvent{}, err
	}
	if r.Kind == midtrans.AccountUnbound {
		return flows.RecurringEvent{UnboundAccount: r.AccountID}, nil
	}
	return flows.RecurringEvent{Charge: r.Charge, SubscriptionID: r.SubscriptionID, Message: r.Message}, nil
}
