package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/tanggal"
)

// AutoDebitStatus is where an auto-debit stands.
type AutoDebitStatus string

// Auto-debit statuses.
const (
	AutoDebitLinking    AutoDebitStatus = "linking"    // the GoPay account is PENDING: the worker has the activation link
	AutoDebitConfirming AutoDebitStatus = "confirming" // ENABLED: the worker is asked the amount and the day
	AutoDebitActive     AutoDebitStatus = "active"     // the subscription charges every month
	AutoDebitPaused     AutoDebitStatus = "paused"     // a charge failed after every retry: the subscription is disabled
	AutoDebitStopped    AutoDebitStatus = "stopped"    // the worker stopped it, or the account was unlinked
)

// Why an auto-debit stopped.
const (
	StopByWorker = "worker"
	StopUnbound  = "unbound"
	StopErased   = "erased" // the worker erased their data (/hapus): the account is unbound too
)

// GoPay account statuses (Midtrans' words).
const (
	AccountPending  = "PENDING"
	AccountEnabled  = "ENABLED"
	AccountExpired  = "EXPIRED"
	AccountDisabled = "DISABLED"
)

// AutoDebit is one registration's auto-debit, as stored.
type AutoDebit struct {
	ID              int64
	RegistrationID  int64
	RegistrationRef string
	Channel, ChatID string // the worker's own chat: it linked the account, it is told
	Provider        string
	AccountID       string
	AccountStatus   string
	Token           string
	SubscriptionID  string
	Amount          int64
	ChargeDay       int
	FirstCharge     time.Time
	Status          AutoDebitStatus
	Failures        int
	StopReason      string
}

// AutoDebitRegistration is what auto-debit needs of the registration it pays.
type AutoDebitRegistration struct {
	Ref        string
	Name       string
	Bracket    int
	JHT        bool
	Occupation string
	CoveredTo  time.Time // zero: never covered
	Lang       string    // its chat's language
	Sponsored  bool      // a sponsor pays JKK and JKM: no auto-debit
}

// GoPayAccount is a linked GoPay account as the provider describes it.
type GoPayAccount struct {
	ID, Status     string
	AppURL, WebURL string // the activation links, while PENDING
	Token          string // once ENABLED
}

// SubscriptionPlan is the monthly charge to set up at the provider.
type SubscriptionPlan struct {
	Name              string
	Amount            int64
	AccountID, Token  string
	Start             time.Time
	Retries           int
	RetryEvery        time.Duration
	MonthsOfSchedules int
}

// AutoDebitProvider links GoPay accounts and runs subscriptions (the
// Midtrans client, adapted in cmd/lindungi).
type AutoDebitProvider interface {
	Name() string
	LinkAccount(ctx context.Context, phone, redirectURL string) (GoPayAccount, error)
	Account(ctx context.Context, id string) (GoPayAccount, error)
	CreateSubscription(ctx context.Context, p SubscriptionPlan) (id string, err error)
	SetSubscriptionAmount(ctx context.Context, id string, amount int64) error
	DisableSubscription(ctx context.Context, id string) error
	EnableSubscription(ctx context.Context, id string) error
	// Unbind unlinks a GoPay account (an erasure: nothing of the worker's
	// stays linked).
	Unbind(ctx context.Context, accountID string) error
}

// RecurringEvent is a verified notification of the provider's recurring
// URL: a subscription's charge, or an unlinked account.
type RecurringEvent struct {
	Charge         payments.Notification // set for a charge
	SubscriptionID string
	Message        string // the provider's reason for a failed charge
	UnboundAccount string // set for an unbind
}

// AutoDebitStore opens the transactions of auto-debit (store.DB).
type AutoDebitStore interface {
	AutoDebitAtomically(ctx context.Context, fn func(ctx context.Context, tx AutoDebitTx) error) error
}

// AutoDebitTx is what auto-debit needs of a transaction.
type AutoDebitTx interface {
	// NewAutoDebit records an auto-debit being linked; ErrDuplicate when
	// the registration has one in force.
	NewAutoDebit(ctx context.Context, a AutoDebit) (int64, error)
	// LockAutoDebit loads and locks one (ErrNotFound).
	LockAutoDebit(ctx context.Context, id int64) (AutoDebit, error)
	// LockAutoDebitBySubscription loads and locks the auto-debit of a
	// provider's subscription (ErrNotFound).
	LockAutoDebitBySubscription(ctx context.Context, subscriptionID string) (AutoDebit, error)
	// LockAutoDebitsOf locks the auto-debits not stopped of a linked
	// account ("" for any), or of a chat (channel and chatID, "" for any).
	LockAutoDebitsOf(ctx context.Context, accountID, channel, chatID string) ([]AutoDebit, error)
	// SaveAutoDebit writes an auto-debit's state back.
	SaveAutoDebit(ctx context.Context, a AutoDebit) error
	// RegistrationIDOf is the id of a live registration (ErrNotFound).
	RegistrationIDOf(ctx context.Context, ref string) (int64, error)
	// AutoDebitRegistration reads the registration an auto-debit pays.
	AutoDebitRegistration(ctx context.Context, registrationID int64) (AutoDebitRegistration, error)
	// RecordCharge records a subscription's charge as a payment of its
	// registration, once: created is true the first time the order is
	// seen, and once more when a charge recorded pending ends (settled or
	// denied later); false for every other repeat.
	RecordCharge(ctx context.Context, a AutoDebit, n payments.Notification, line PaymentLine) (created bool, err error)
	// SendTo queues replies for a chat, delivered after commit.
	SendTo(ctx context.Context, channel, chatID string, replies []Reply) error
}

// AutoDebits runs auto-debit: linking, confirming, the monthly charges, a
// price change, stopping. Its messages go through the outbox, in the
// transaction that decided them.
type AutoDebits struct {
	e        *Engine
	store    AutoDebitStore
	prov     AutoDebitProvider
	pay      PaymentStore
	redirect string
}

// NewAutoDebits wires auto-debit: e for texts, prices and the clock, store
// for its rows, pay to apply a charge like every payment, prov the
// provider; redirect is where GoPay sends the worker after linking ("").
func NewAutoDebits(e *Engine, store AutoDebitStore, pay PaymentStore, prov AutoDebitProvider, redirect string) *AutoDebits {
	return &AutoDebits{e: e, store: store, prov: prov, pay: pay, redirect: redirect}
}

func (s *AutoDebits) now() time.Time { return s.e.now().In(s.e.cfg.Location) }

func (s *AutoDebits) lang(l string) string {
	if s.e.cat.Supported(l) {
		return l
	}
	return locales.Default
}

func (s *AutoDebits) say(lang, key string, data map[string]any, choices ...Choice) Reply {
	in := InputNone
	if len(choices) > 0 {
		in = InputText
	}
	return noticeOf(NoticeMessage, lang, Reply{Text: s.e.cat.T(lang, key, data), Choices: choices, Input: in})
}

// price is what one month of reg costs when its next month starts.
func (s *AutoDebits) price(reg AutoDebitRegistration) (iuran.Quote, error) {
	start := tanggal.Midnight(s.now()).AddDate(0, 0, 1)
	if !reg.CoveredTo.IsZero() {
		start = time.Date(reg.CoveredTo.Year(), reg.CoveredTo.Month(), reg.CoveredTo.Day()+1, 0, 0, 0, 0, s.e.cfg.Location)
	}
	return s.e.tariffs.Quote(iuran.QuoteRequest{Bracket: reg.Bracket, JHT: reg.JHT, Months: 1, Start: start, Discounts: s.e.discounts,
		Sector: iuran.OccupationSector(reg.Occupation)})
}

// Link starts linking the GoPay account of the worker's own phone for a
// registration the chat owns, and sends the activation link. The phone is
// the chat's own (a WhatsApp number, a Telegram contact shared): an agent
// can offer auto-debit, only the worker's phone links it.
func (s *AutoDebits) Link(ctx context.Context, registrationID int64, channel, chatID, phone string) (a AutoDebit, err error) {
	err = s.store.AutoDebitAtomically(ctx, func(ctx context.Context, tx AutoDebitTx) error {
		a, err = s.link(ctx, tx, registrationID, channel, chatID, phone)
		return err
	})
	return a, err
}

func (s *AutoDebits) link(ctx context.Context, tx AutoDebitTx, registrationID int64, channel, chatID, phone string) (AutoDebit, error) {
	reg, err := tx.AutoDebitRegistration(ctx, registrationID)
	if err != nil {
		return AutoDebit{}, err
	}
	if reg.Sponsored {
		return AutoDebit{}, errors.New("a sponsored registration has no auto-debit")
	}
	// One in force per registration: looked for first, since a refused
	// insert would spoil the chat's transaction. A paused one is resumed.
	live, err := tx.LockAutoDebitsOf(ctx, "", channel, chatID)
	if err != nil {
		return AutoDebit{}, err
	}
	for _, a := range live {
		if a.RegistrationID != registrationID {
			continue
		}
		if a.Status == AutoDebitPaused {
			return s.resume(ctx, tx, a, reg)
		}
		return a, fmt.Errorf("auto-debit of %s: %w", reg.Ref, ErrDuplicate)
	}
	acc, err := s.prov.LinkAccount(ctx, phone, s.redirect)
	if err != nil {
		return AutoDebit{}, fmt.Errorf("link gopay: %w: %w", errProvider, err)
	}
	a := AutoDebit{RegistrationID: registrationID, Channel: channel, ChatID: chatID, Provider: s.prov.Name(), AccountID: acc.ID,
		AccountStatus: acc.Status, Status: AutoDebitLinking}
	if a.ID, err = tx.NewAutoDebit(ctx, a); err != nil {
		return AutoDebit{}, err
	}
	link := acc.AppURL
	if link == "" {
		link = acc.WebURL
	}
	lang := s.lang(reg.Lang)
	return a, tx.SendTo(ctx, channel, chatID, []Reply{s.say(lang, "autodebit.link", map[string]any{"Name": nama.Display(reg.Name), "URL": link},
		Choice{Label: s.e.cat.T(lang, "autodebit.linked_button", nil), Data: fmt.Sprintf("au:check:%d", a.ID)})})
}

// resume turns a paused auto-debit on again, at the price of the month its
// next charge pays, and says so.
func (s *AutoDebits) resume(ctx context.Context, tx AutoDebitTx, a AutoDebit, reg AutoDebitRegistration) (AutoDebit, error) {
	q, err := s.price(reg)
	if err != nil {
		return a, fmt.Errorf("price %s: %w", reg.Ref, err)
	}
	if q.Totals.Total != a.Amount {
		if err := s.prov.SetSubscriptionAmount(ctx, a.SubscriptionID, q.Totals.Total); err != nil {
			return a, fmt.Errorf("resume %s: %w: %w", a.SubscriptionID, errProvider, err)
		}
		a.Amount = q.Totals.Total
	}
	if err := s.prov.EnableSubscription(ctx, a.SubscriptionID); err != nil {
		return a, fmt.Errorf("resume %s: %w: %w", a.SubscriptionID, errProvider, err)
	}
	a.Status, a.Failures = AutoDebitActive, 0
	if err := tx.SaveAutoDebit(ctx, a); err != nil {
		return a, err
	}
	lang := s.lang(reg.Lang)
	return a, tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{s.say(lang, "autodebit.resumed", map[string]any{"Name": nama.Display(reg.Name),
		"Amount": rupiahOf(a.Amount), "Day": a.ChargeDay, "Next": s.e.cat.Date(lang, NextCharge(a.FirstCharge.In(s.e.cfg.Location), s.now()))})})
}

// Check follows a linking account: once ENABLED the worker is asked to
// confirm the amount and the day (the default day first); EXPIRED or
// DISABLED stops it. changed is false while it is still PENDING.
func (s *AutoDebits) Check(ctx context.Context, id int64) (a AutoDebit, changed bool, err error) {
	err = s.store.AutoDebitAtomically(ctx, func(ctx context.Context, tx AutoDebitTx) error {
		a, changed, err = s.check(ctx, tx, id)
		return err
	})
	return a, changed, err
}

func (s *AutoDebits) check(ctx context.Context, tx AutoDebitTx, id int64) (a AutoDebit, changed bool, err error) {
	err = func() error {
		if a, err = tx.LockAutoDebit(ctx, id); err != nil {
			return err
		}
		if a.Status != AutoDebitLinking {
			return nil
		}
		acc, err := s.prov.Account(ctx, a.AccountID)
		if err != nil {
			return fmt.Errorf("gopay account: %w: %w", errProvider, err)
		}
		reg, err := tx.AutoDebitRegistration(ctx, a.RegistrationID)
		if err != nil {
			return err
		}
		lang := s.lang(reg.Lang)
		switch acc.Status {
		case AccountPending:
			return nil
		case AccountEnabled:
			q, err := s.price(reg)
			if err != nil {
				return fmt.Errorf("price %s: %w", reg.Ref, err)
			}
			a.AccountStatus, a.Token, a.Status, a.Amount = acc.Status, acc.Token, AutoDebitConfirming, q.Totals.Total
			a.ChargeDay = DefaultChargeDay(reg.CoveredTo, s.now())
			changed = true
			var choices []Choice
			for i, d := range ChargeDayChoices(a.ChargeDay) {
				key := "autodebit.day_choice"
				if i == 0 {
					key = "autodebit.day_default"
				}
				choices = append(choices, Choice{Label: s.e.cat.T(lang, key, map[string]any{"Day": d}), Data: fmt.Sprintf("au:day:%d:%d", a.ID, d)})
			}
			if err := tx.SaveAutoDebit(ctx, a); err != nil {
				return err
			}
			return tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{s.say(lang, "autodebit.confirm",
				map[string]any{"Name": nama.Display(reg.Name), "Amount": rupiahOf(a.Amount), "Day": a.ChargeDay}, choices...)})
		default:
			a.AccountStatus, a.Status, a.StopReason, changed = acc.Status, AutoDebitStopped, StopUnbound, true
			if err := tx.SaveAutoDebit(ctx, a); err != nil {
				return err
			}
			return tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{s.say(lang, "autodebit.link_failed", nil)})
		}
	}()
	return a, changed, err
}

// Confirm takes the worker's yes with the day of the month (1 to
// MaxChargeDay) and creates the subscription: monthly, from the first
// charge (see FirstCharge), with Midtrans' retry schedule. Only the chat
// that linked the account may confirm.
func (s *AutoDebits) Confirm(ctx context.Context, id int64, channel, chatID string, day int) (a AutoDebit, err error) {
	err = s.store.AutoDebitAtomically(ctx, func(ctx context.Context, tx AutoDebitTx) error {
		a, err = s.confirm(ctx, tx, id, channel, chatID, day)
		return err
	})
	return a, err
}

func (s *AutoDebits) confirm(ctx context.Context, tx AutoDebitTx, id int64, channel, chatID string, day int) (a AutoDebit, err error) {
	err = func() error {
		if a, err = tx.LockAutoDebit(ctx, id); err != nil {
			return err
		}
		if a.Channel != channel || a.ChatID != chatID {
			return fmt.Errorf("auto-debit %d: confirmed from another chat: %w", id, ErrNotFound)
		}
		if a.Status != AutoDebitConfirming {
			return nil // confirmed already (a second tap), or stopped meanwhile
		}
		if day < 1 || day > MaxChargeDay {
			return fmt.Errorf("auto-debit %d: day %d", id, day)
		}
		reg, err := tx.AutoDebitRegistration(ctx, a.RegistrationID)
		if err != nil {
			return err
		}
		q, err := s.price(reg)
		if err != nil {
			return fmt.Errorf("price %s: %w", reg.Ref, err)
		}
		first, late := FirstCharge(s.now(), reg.CoveredTo, day)
		sub, err := s.prov.CreateSubscription(ctx, SubscriptionPlan{Name: fmt.Sprintf("BPU-%s-%d", reg.Ref, a.ID), Amount: q.Totals.Total,
			AccountID: a.AccountID, Token: a.Token, Start: first, Retries: AutoDebitRetries, RetryEvery: AutoDebitRetryEvery})
		if err != nil {
			return fmt.Errorf("subscribe %s: %w: %w", reg.Ref, errProvider, err)
		}
		a.SubscriptionID, a.Amount, a.ChargeDay, a.FirstCharge, a.Status, a.Failures = sub, q.Totals.Total, day, first, AutoDebitActive, 0
		if err := tx.SaveAutoDebit(ctx, a); err != nil {
			return err
		}
		lang := s.lang(reg.Lang)
		key := "autodebit.started"
		if late {
			key = "autodebit.started_late"
		}
		return tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{s.say(lang, key, map[string]any{"Name": nama.Display(reg.Name),
			"Amount": rupiahOf(a.Amount), "Day": day, "First": s.e.cat.Date(lang, first), "End": s.e.cat.Date(lang, reg.CoveredTo)})})
	}()
	return a, err
}

// ApplyRecurring applies a verified recurring notification. A charge is
// recorded once as a payment of its registration and applied like every
// payment (ApplyPayment: coverage extended exactly once, the receipt
// queued); a failed one tells the worker once per order, with a one-tap
// fallback (a payment code for the month), and after the last retry pauses
// the subscription. An unbind stops every auto-debit of the account.
func (s *AutoDebits) ApplyRecurring(ctx context.Context, ev RecurringEvent) (PaymentResult, error) {
	if ev.UnboundAccount != "" {
		return PaymentResult{Outcome: PaymentUpdated}, s.stopAll(ctx, ev.UnboundAccount, "", "", StopUnbound)
	}
	n := ev.Charge
	err := s.store.AutoDebitAtomically(ctx, func(ctx context.Context, tx AutoDebitTx) error {
		a, err := tx.LockAutoDebitBySubscription(ctx, ev.SubscriptionID)
		if errors.Is(err, ErrNotFound) {
			return ErrUnknownPayment
		}
		if err != nil {
			return err
		}
		reg, err := tx.AutoDebitRegistration(ctx, a.RegistrationID)
		if errors.Is(err, ErrNotFound) {
			// Erased at the worker's request while a charge was under way:
			// the money is recorded for its registration, and ApplyPayment
			// flags it for an admin to refund (it covers nobody).
			_, err := tx.RecordCharge(ctx, a, n, PaymentLine{RegistrationRef: a.RegistrationRef, Months: 1, Amount: n.Amount})
			return err
		}
		if err != nil {
			return err
		}
		q, err := s.price(reg)
		if err != nil {
			return fmt.Errorf("price %s: %w", reg.Ref, err)
		}
		// The payment is invoiced at what a month costs now: a charge of
		// another amount (a price change that did not reach Midtrans) is
		// flagged for an admin by ApplyPayment, never applied as a month.
		line := lineOf(reg.Ref, q)
		created, err := tx.RecordCharge(ctx, a, n, line)
		if err != nil || !created {
			return err
		}
		lang := s.lang(reg.Lang)
		switch n.Status {
		case payments.Paid:
			if a.Failures != 0 {
				a.Failures = 0
				return tx.SaveAutoDebit(ctx, a)
			}
		case payments.Failed, payments.Expired, payments.Cancelled:
			a.Failures++
			fallback := Choice{Label: s.e.cat.T(lang, "autodebit.fallback_button", nil), Data: "au:code:" + reg.Ref}
			if a.Failures > AutoDebitRetries {
				if err := s.prov.DisableSubscription(ctx, a.SubscriptionID); err != nil {
					return fmt.Errorf("pause %s: %w", a.SubscriptionID, err)
				}
				a.Status = AutoDebitPaused
				if err := tx.SaveAutoDebit(ctx, a); err != nil {
					return err
				}
				return tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{s.say(lang, "autodebit.paused",
					map[string]any{"Name": nama.Display(reg.Name)}, fallback)})
			}
			if err := tx.SaveAutoDebit(ctx, a); err != nil {
				return err
			}
			if a.Failures > 1 {
				return nil // told at the first failure; Midtrans is retrying
			}
			key := "autodebit.failed"
			if ev.Message != insufficientBalance {
				key = "autodebit.failed_other"
			}
			return tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{s.say(lang, key,
				map[string]any{"Name": nama.Display(reg.Name), "Amount": rupiahOf(n.Amount), "Retries": AutoDebitRetries}, fallback)})
		}
		return nil
	})
	if err != nil {
		return PaymentResult{}, fmt.Errorf("recurring %s: %w", n.OrderID, err)
	}
	return ApplyPayment(ctx, s.pay, n, s.e.cfg.Location, s.e.now, s.e)
}

// errProvider marks a failure of the provider (Midtrans unreachable, a
// refusal): the chat says "try again" and nothing is written.
var errProvider = errors.New("auto-debit provider")

// insufficientBalance is GoPay's reason for an empty wallet.
const insufficientBalance = "Insufficient balance"

// Stop answers /stopotomatis: every auto-debit of the chat is disabled at
// the provider (the GoPay account stays linked; nothing else is
// unbound). n is how many there were.
func (s *AutoDebits) Stop(ctx context.Context, channel, chatID string) (n int, err error) {
	err = s.store.AutoDebitAtomically(ctx, func(ctx context.Context, tx AutoDebitTx) error {
		n, err = s.stopChat(ctx, tx, channel, chatID)
		return err
	})
	return n, err
}

func (s *AutoDebits) stopChat(ctx context.Context, tx AutoDebitTx, channel, chatID string) (int, error) {
	list, err := tx.LockAutoDebitsOf(ctx, "", channel, chatID)
	if err != nil {
		return 0, err
	}
	return len(list), s.stop(ctx, tx, list, StopByWorker)
}

func (s *AutoDebits) stopAll(ctx context.Context, accountID, channel, chatID, reason string) error {
	return s.store.AutoDebitAtomically(ctx, func(ctx context.Context, tx AutoDebitTx) error {
		list, err := tx.LockAutoDebitsOf(ctx, accountID, channel, chatID)
		if err != nil {
			return err
		}
		return s.stop(ctx, tx, list, reason)
	})
}

func (s *AutoDebits) stop(ctx context.Context, tx AutoDebitTx, list []AutoDebit, reason string) error {
	for _, a := range list {
		if a.SubscriptionID != "" && a.Status == AutoDebitActive {
			if err := s.prov.DisableSubscription(ctx, a.SubscriptionID); err != nil {
				return fmt.Errorf("disable %s: %w: %w", a.SubscriptionID, errProvider, err)
			}
		}
		a.Status, a.StopReason = AutoDebitStopped, reason
		if reason == StopUnbound {
			a.AccountStatus = AccountDisabled
		}
		if err := tx.SaveAutoDebit(ctx, a); err != nil {
			return err
		}
		reg, err := tx.AutoDebitRegistration(ctx, a.RegistrationID)
		if err != nil {
			return err
		}
		lang := s.lang(reg.Lang)
		key := "autodebit.stopped"
		if reason == StopUnbound {
			key = "autodebit.unbound"
		}
		if err := tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{s.say(lang, key, map[string]any{"Name": nama.Display(reg.Name)})}); err != nil {
			return err
		}
	}
	return nil
}

// Reprice brings every active subscription's amount to the price of the
// month its next charge pays (a discount period starting or ending, a
// changed income bracket) and tells the worker; run it daily, so the
// change reaches Midtrans before the next charge. changed is how many moved.
func (s *AutoDebits) Reprice(ctx context.Context) (changed int, err error) {
	ids, err := s.live(ctx, AutoDebitActive)
	if err != nil {
		return 0, err
	}
	// One transaction each: a Midtrans call never holds the others' rows.
	for _, id := range ids {
		err := s.store.AutoDebitAtomically(ctx, func(ctx context.Context, tx AutoDebitTx) error {
			a, err := tx.LockAutoDebit(ctx, id)
			if err != nil || a.Status != AutoDebitActive {
				return err
			}
			moved, err := s.reprice(ctx, tx, a)
			if moved {
				changed++
			}
			return err
		})
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// live lists the ids of the auto-debits in a status.
func (s *AutoDebits) live(ctx context.Context, status AutoDebitStatus) ([]int64, error) {
	var ids []int64
	err := s.store.AutoDebitAtomically(ctx, func(ctx context.Context, tx AutoDebitTx) error {
		list, err := tx.LockAutoDebitsOf(ctx, "", "", "")
		for _, a := range list {
			if a.Status == status {
				ids = append(ids, a.ID)
			}
		}
		return err
	})
	return ids, err
}

func (s *AutoDebits) reprice(ctx context.Context, tx AutoDebitTx, a AutoDebit) (bool, error) {
	reg, err := tx.AutoDebitRegistration(ctx, a.RegistrationID)
	if err != nil {
		return false, err
	}
	q, err := s.price(reg)
	if err != nil {
		return false, fmt.Errorf("price %s: %w", reg.Ref, err)
	}
	if q.Totals.Total == a.Amount {
		return false, nil
	}
	if err := s.prov.SetSubscriptionAmount(ctx, a.SubscriptionID, q.Totals.Total); err != nil {
		return false, fmt.Errorf("reprice %s: %w", a.SubscriptionID, err)
	}
	old := a.Amount
	a.Amount = q.Totals.Total
	if err := tx.SaveAutoDebit(ctx, a); err != nil {
		return false, err
	}
	lang := s.lang(reg.Lang)
	next := NextCharge(a.FirstCharge, s.now())
	return true, tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{s.say(lang, "autodebit.price_changed", map[string]any{"Name": nama.Display(reg.Name),
		"Old": rupiahOf(old), "New": rupiahOf(a.Amount), "Next": s.e.cat.Date(lang, next)})})
}

// FollowLinks asks Midtrans about every account still waiting for the
// worker's approval (see Check): one approved in GoPay gets the amount and
// day question without the worker pressing "Sudah saya setujui"; one
// Midtrans calls EXPIRED (its activation link ran out) or DISABLED ends.
// Run it every few minutes. changed is how many
// moved on.
func (s *AutoDebits) FollowLinks(ctx context.Context) (changed int, err error) {
	ids, err := s.live(ctx, AutoDebitLinking)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		_, moved, err := s.Check(ctx, id)
		if errors.Is(err, errProvider) {
			continue // asked again next time
		}
		if err != nil {
			return changed, err
		}
		if moved {
			changed++
		}
	}
	return changed, nil
}
