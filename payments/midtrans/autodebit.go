package midtrans

import (
	"context"

	"github.com/lindungi/lindungi/flows"
)

// AutoDebit is the client as auto-debit uses it (flows.AutoDebitProvider):
// GoPay accounts and subscriptions in flows' words, and recurring
// notifications verified into flows.RecurringEvent.
type AutoDebit struct{ C *Client }

var _ flows.AutoDebitProvider = AutoDebit{}

// Name is "midtrans".
func (a AutoDebit) Name() string { return Name }

func gopay(acc Account) flows.GoPayAccount {
	return flows.GoPayAccount{ID: acc.ID, Status: string(acc.Status), AppURL: acc.AppURL, WebURL: acc.WebURL, Token: acc.Token}
}

// LinkAccount is Client.LinkAccount.
func (a AutoDebit) LinkAccount(ctx context.Context, phone, redirectURL string) (flows.GoPayAccount, error) {
	acc, err := a.C.LinkAccount(ctx, phone, redirectURL)
	return gopay(acc), err
}

// Account is Client.Account.
func (a AutoDebit) Account(ctx context.Context, id string) (flows.GoPayAccount, error) {
	acc, err := a.C.Account(ctx, id)
	return gopay(acc), err
}

// CreateSubscription is Client.CreateSubscription.
func (a AutoDebit) CreateSubscription(ctx context.Context, p flows.SubscriptionPlan) (string, error) {
	s, err := a.C.CreateSubscription(ctx, SubscriptionRequest{Name: p.Name, Amount: p.Amount, AccountID: p.AccountID, Token: p.Token,
		Start: p.Start, Months: p.MonthsOfSchedules, Retries: p.Retries, RetryEvery: p.RetryEvery})
	return s.ID, err
}

// SetSubscriptionAmount is Client.SetSubscriptionAmount.
func (a AutoDebit) SetSubscriptionAmount(ctx context.Context, id string, amount int64) error {
	return a.C.SetSubscriptionAmount(ctx, id, amount)
}

// DisableSubscription is Client.DisableSubscription.
func (a AutoDebit) DisableSubscription(ctx context.Context, id string) error {
	return a.C.DisableSubscription(ctx, id)
}

// EnableSubscription is Client.EnableSubscription.
func (a AutoDebit) EnableSubscription(ctx context.Context, id string) error {
	return a.C.EnableSubscription(ctx, id)
}

// Unbind is Client.Unbind.
func (a AutoDebit) Unbind(ctx context.Context, accountID string) error {
	return a.C.Unbind(ctx, accountID)
}

// VerifyRecurring is Client.VerifyRecurring in flows' words.
func (a AutoDebit) VerifyRecurring(ctx context.Context, body []byte) (flows.RecurringEvent, error) {
	r, err := a.C.VerifyRecurring(ctx, body)
	if err != nil {
		return flows.RecurringEvent{}, err
	}
	if r.Kind == AccountUnbound {
		return flows.RecurringEvent{UnboundAccount: r.AccountID}, nil
	}
	return flows.RecurringEvent{Charge: r.Charge, SubscriptionID: r.SubscriptionID, Message: r.Message}, nil
}
