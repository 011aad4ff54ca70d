package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/payments"
)

// Auto-debit in the chat: the payment menu's "Bayar otomatis tiap bulan",
// the buttons of its messages (au:…, pressed whatever the chat is doing),
// a typed day of the month, /stopotomatis and its line in /status.

// cmdStopAuto is /stopotomatis.
const cmdStopAuto = "stopauto"

// pendingAutoDebitPfx marks a chat asked the day of the month of an
// auto-debit ("autodebit:ID"): a typed number is that day.
const pendingAutoDebitPfx = "autodebit:"

// autoDebitChoiceData is the payment menu's "Bayar otomatis tiap bulan".
const autoDebitChoiceData = "pm:auto"

// SetAutoDebits offers auto-debit in the chat (nil: not offered, as when
// GoPay Tokenization is not switched on for the merchant).
func (e *Engine) SetAutoDebits(a *AutoDebits) { e.autodebit = a }

// autoDebitTx is the chat's transaction as auto-debit uses it; ok is false
// when auto-debit is not offered.
func (t *turn) autoDebitTx() (AutoDebitTx, bool) {
	if t.autodebit == nil {
		return nil, false
	}
	tx, ok := t.tx.(AutoDebitTx)
	return tx, ok
}

// autoDebitMenuChoice is the payment menu's button, when auto-debit is
// offered for reg.
func (t *turn) autoDebitMenuChoice(reg RegistrationView) []Choice {
	if _, ok := t.autoDebitTx(); !ok || reg.Sponsor != "" {
		return nil
	}
	return []Choice{{Label: t.T("autodebit.choice", nil), Data: autoDebitChoiceData}}
}

// startAutoDebit answers "Bayar otomatis tiap bulan" in the payment menu:
// the GoPay account of the registration's own phone number is linked and
// the activation link sent to this chat, the registration's own.
func (t *turn) startAutoDebit(ctx context.Context) error {
	tx, on := t.autoDebitTx()
	reg, ok, err := t.payingFor(ctx)
	if err != nil {
		return err
	}
	if !on || !ok || reg.Sponsor != "" {
		return t.askNote(ctx, "autodebit.unavailable", nil)
	}
	id, err := tx.RegistrationIDOf(ctx, reg.Ref)
	if err != nil {
		return err
	}
	// The phone is this chat's own when the channel knows it (WhatsApp),
	// else the registration's: GoPay asks that phone to approve.
	phone := t.ev.Phone
	if phone == "" {
		phone = reg.Phone
	}
	if phone == "" {
		return t.askNote(ctx, "autodebit.no_phone", nil)
	}
	_, err = t.autodebit.link(ctx, tx, id, t.ev.Channel, t.ev.ChatID, phone)
	switch {
	case errors.Is(err, ErrDuplicate):
		return t.askNote(ctx, "autodebit.already", nil)
	case errors.Is(err, errProvider):
		t.log.Warn("link gopay", "ref", reg.Ref, "err", err)
		return t.askNote(ctx, "autodebit.error", nil)
	case err != nil:
		return err
	}
	t.s.Data.PayRef, t.s.Data.PayMonths, t.s.Data.PaySub = "", 0, false
	t.enter(StDone)
	return nil
}

// autoDebitChoice answers the buttons of auto-debit's messages: au:check:ID
// (the worker approved in GoPay), au:day:ID:D (the day of the month),
// au:code:REF (a payment code for this month instead), au:stop.
func (t *turn) autoDebitChoice(ctx context.Context) error {
	tx, on := t.autoDebitTx()
	if !on {
		return t.askNote(ctx, "autodebit.unavailable", nil)
	}
	parts := strings.Split(strings.TrimPrefix(t.ev.Choice, "au:"), ":")
	num := func(i int) int64 {
		if i >= len(parts) {
			return 0
		}
		n, _ := strconv.ParseInt(parts[i], 10, 64)
		return n
	}
	switch parts[0] {
	case "check":
		a, changed, err := t.autodebit.check(ctx, tx, num(1))
		if errors.Is(err, ErrNotFound) || err == nil && (a.Channel != t.ev.Channel || a.ChatID != t.ev.ChatID) {
			return t.askNote(ctx, "choice.stale", nil)
		}
		if errors.Is(err, errProvider) {
			t.log.Warn("gopay account status", "err", err)
			return t.askNote(ctx, "autodebit.error", nil)
		}
		if err != nil {
			return err
		}
		switch {
		case a.Status == AutoDebitLinking:
			return t.askNote(ctx, "autodebit.not_yet", nil)
		case a.Status == AutoDebitConfirming && changed:
			t.s.Pending = pendingAutoDebitPfx + strconv.FormatInt(a.ID, 10)
			return nil // the question is on its way
		case a.Status == AutoDebitConfirming:
			t.s.Pending = pendingAutoDebitPfx + strconv.FormatInt(a.ID, 10)
			return t.askNote(ctx, "autodebit.day_unclear", nil)
		}
		return t.askNote(ctx, "choice.stale", nil)
	case "day":
		return t.confirmAutoDebit(ctx, tx, num(1), int(num(2)))
	case "code":
		return t.autoDebitFallback(ctx, strings.Join(parts[1:], ":"))
	case "stop":
		return t.stopAutoDebit(ctx)
	case "offer":
		return t.acceptAutoDebitOffer(ctx, strings.Join(parts[1:], ":"))
	}
	return t.askNote(ctx, "choice.stale", nil)
}

// confirmAutoDebit creates the subscription on the day picked.
func (t *turn) confirmAutoDebit(ctx context.Context, tx AutoDebitTx, id int64, day int) error {
	if day < 1 || day > MaxChargeDay {
		return t.askNote(ctx, "autodebit.day_unclear", nil)
	}
	a, err := t.autodebit.confirm(ctx, tx, id, t.ev.Channel, t.ev.ChatID, day)
	if errors.Is(err, ErrNotFound) {
		return t.askNote(ctx, "choice.stale", nil)
	}
	if errors.Is(err, errProvider) {
		t.log.Warn("gopay subscription", "err", err)
		return t.askNote(ctx, "autodebit.error", nil)
	}
	if err != nil {
		return err
	}
	t.s.Pending = ""
	if a.Status != AutoDebitActive {
		return t.askNote(ctx, "choice.stale", nil)
	}
	return nil // the confirmation is on its way
}

// autoDebitPending reads the day of the month typed after the question.
func (t *turn) autoDebitPending(ctx context.Context) error {
	tx, on := t.autoDebitTx()
	id, _ := strconv.ParseInt(strings.TrimPrefix(t.s.Pending, pendingAutoDebitPfx), 10, 64)
	if t.ev.Kind == KindChoice && strings.HasPrefix(t.ev.Choice, "au:") {
		return t.autoDebitChoice(ctx)
	}
	if !on || t.ev.Kind != KindText {
		t.s.Pending = ""
		return t.askNote(ctx, "choice.stale", nil)
	}
	day, ok := ParseChargeDay(t.text())
	if !ok {
		return t.askNote(ctx, "autodebit.day_unclear", nil)
	}
	return t.confirmAutoDebit(ctx, tx, id, day)
}

// autoDebitFallback answers a failed charge's "Kode bayar bulan ini": the
// way to pay one month of the registration with a code.
func (t *turn) autoDebitFallback(ctx context.Context, ref string) error {
	if t.payer == nil || !(t.s.State == StDone || t.s.State == StWelcome || slices.Contains(payStates, t.s.State)) {
		return t.startPay(ctx)
	}
	t.s.Data.PayRef = ref
	if _, ok, err := t.payingFor(ctx); err != nil || !ok {
		t.s.Data.PayRef = ""
		return errors.Join(err, t.askNote(ctx, "pay.none", nil))
	}
	t.s.Data.PayMonths, t.s.Data.PaySub = 1, false
	t.enter(StPayBank)
	return t.ask(ctx, "")
}

// stopAutoDebit answers /stopotomatis and the button in /status.
func (t *turn) stopAutoDebit(ctx context.Context) error {
	t.s.Pending = ""
	tx, on := t.autoDebitTx()
	if !on {
		return t.askNote(ctx, "autodebit.none", nil)
	}
	n, err := t.autodebit.stopChat(ctx, tx, t.ev.Channel, t.ev.ChatID)
	if errors.Is(err, errProvider) {
		t.log.Warn("stop auto-debit", "err", err)
		return t.askNote(ctx, "autodebit.error", nil)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return t.askNote(ctx, "autodebit.none", nil)
	}
	return nil // each stop is told on its way
}

// chatAutoDebits are the chat's auto-debits in force, by registration ref.
func (t *turn) chatAutoDebits(ctx context.Context) (map[string]AutoDebit, error) {
	tx, on := t.autoDebitTx()
	if !on {
		return nil, nil
	}
	list, err := tx.LockAutoDebitsOf(ctx, "", t.ev.Channel, t.ev.ChatID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]AutoDebit, len(list))
	for _, a := range list {
		out[a.RegistrationRef] = a
	}
	return out, nil
}

// autoDebitLine is what /status says of a registration's auto-debit ("").
func (t *turn) autoDebitLine(ref string, ads map[string]AutoDebit) string {
	a, ok := ads[ref]
	if !ok {
		return ""
	}
	switch a.Status {
	case AutoDebitActive:
		next := NextCharge(a.FirstCharge.In(t.cfg.Location), t.now.Add(-time.Minute))
		return t.T("autodebit.status_active", map[string]any{"Amount": rupiahOf(a.Amount), "Day": a.ChargeDay, "Next": t.cat.Date(t.s.Lang, next)})
	case AutoDebitPaused:
		return t.T("autodebit.status_paused", nil)
	case AutoDebitConfirming:
		return t.T("autodebit.status_confirming", nil)
	}
	return t.T("autodebit.status_linking", nil)
}

// autoDebitStopButton is the message with /status's stop button, when an
// auto-debit is in force.
func (t *turn) autoDebitStopButton(ads map[string]AutoDebit) {
	if len(ads) == 0 {
		return
	}
	names := make([]string, 0, len(ads))
	for ref := range ads {
		names = append(names, ref)
	}
	slices.Sort(names)
	t.say(Reply{Text: t.T("autodebit.status_stop", map[string]any{"Refs": strings.Join(names, ", ")}),
		Choices: []Choice{{Label: t.T("autodebit.stop_button", nil), Data: "au:stop"}}, Input: InputText})
}

// autoDebitMark is the residents list's mark of an auto-debit in force.
func (t *turn) autoDebitMark(r Resident) string {
	if r.AutoDebit == "" {
		return ""
	}
	return " " + t.T("autodebit.resident_mark", nil)
}

// autoDebitResident is the resident page's line about auto-debit.
func (t *turn) autoDebitResident(r Resident) string {
	switch AutoDebitStatus(r.AutoDebit) {
	case AutoDebitActive:
		return "\n" + t.T("autodebit.resident_active", nil)
	case AutoDebitPaused:
		return "\n" + t.T("autodebit.resident_paused", nil)
	case AutoDebitLinking, AutoDebitConfirming:
		return "\n" + t.T("autodebit.resident_linking", nil)
	}
	return ""
}

// offerAutoDebitChoice is the resident page's "Tawarkan bayar otomatis":
// for a resident whose own chat is linked (only their phone can link
// GoPay), with no auto-debit in force.
func (t *turn) offerAutoDebitChoice(r Resident) []Choice {
	if _, on := t.autoDebitTx(); !on || !r.Linked() || r.AutoDebit != "" {
		return nil
	}
	return []Choice{{Label: t.T("autodebit.offer_button", nil), Data: "rs:auto"}}
}

// offerAutoDebit sends the opened resident's own chat the offer, with the
// button that starts linking there.
func (t *turn) offerAutoDebit(ctx context.Context) error {
	r, ok, err := t.focused(ctx)
	if err != nil {
		return err
	}
	if _, on := t.autoDebitTx(); !on || !ok || !r.Linked() || r.AutoDebit != "" {
		return t.askNote(ctx, "autodebit.offer_not_possible", nil)
	}
	lang := r.Lang
	if !t.cat.Supported(lang) {
		lang = t.s.Lang
	}
	offer := noticeOf(NoticeMessage, lang, Reply{Text: t.cat.T(lang, "autodebit.offer", map[string]any{"Name": displayName(r.Name)}), Input: InputText,
		Choices: []Choice{{Label: t.cat.T(lang, "autodebit.offer_yes", nil), Data: "au:offer:" + r.Ref}}})
	if err := t.tx.SendTo(ctx, r.Channel, r.ChatID, []Reply{offer}); err != nil {
		return err
	}
	return t.askNote(ctx, "autodebit.offered", map[string]any{"Name": displayName(r.Name)})
}

// acceptAutoDebitOffer answers an agent's offer in the resident's own
// chat: linking starts there, for the chat's own registration only.
func (t *turn) acceptAutoDebitOffer(ctx context.Context, ref string) error {
	if !(t.s.State == StDone || t.s.State == StWelcome || slices.Contains(payStates, t.s.State)) {
		return t.startPay(ctx)
	}
	t.s.Data.PayRef = ref
	return t.startAutoDebit(ctx)
}

// onAutoDebit reports a reminder before the end that auto-debit makes
// needless: the registration's auto-debit is active (it charges before the
// end; a failed charge tells the worker itself).
func onAutoDebit(ctx context.Context, tx JobTx, job reminderJob, channel, chatID string) (bool, error) {
	adtx, ok := tx.(AutoDebitTx)
	if !ok || job.Kind != RemindBefore {
		return false, nil
	}
	list, err := adtx.LockAutoDebitsOf(ctx, "", channel, chatID)
	if err != nil {
		return false, err
	}
	for _, a := range list {
		if a.RegistrationRef == job.Ref && a.Status == AutoDebitActive {
			return true, nil
		}
	}
	return false, nil
}

// eraseAutoDebits ends the chat's auto-debits before its data is erased
// (/hapus): each subscription is disabled and its GoPay account unbound,
// so nothing keeps charging or stays linked; the token is forgotten.
// Nobody is told: the erasure's own answer says it all. With auto-debit
// switched off since, nothing can be asked of the provider: the rows are
// ended all the same. stop is true when the provider could not be
// reached: the chat was asked to try again and nothing may be erased.
func (t *turn) eraseAutoDebits(ctx context.Context) (stop bool, err error) {
	err = t.endAutoDebits(ctx)
	if errors.Is(err, errProvider) {
		t.log.Warn("erase: end auto-debit", "err", err)
		return true, t.askNote(ctx, "autodebit.error", nil)
	}
	return false, err
}

func (t *turn) endAutoDebits(ctx context.Context) error {
	tx, ok := t.tx.(AutoDebitTx)
	if !ok {
		return nil
	}
	list, err := tx.LockAutoDebitsOf(ctx, "", t.ev.Channel, t.ev.ChatID)
	if err != nil {
		return err
	}
	for _, a := range list {
		if t.autodebit != nil {
			if a.SubscriptionID != "" && a.Status == AutoDebitActive {
				if err := t.autodebit.prov.DisableSubscription(ctx, a.SubscriptionID); err != nil {
					return fmt.Errorf("erase: disable %s: %w: %w", a.SubscriptionID, errProvider, err)
				}
			}
			if a.AccountStatus != AccountDisabled && a.AccountStatus != AccountExpired {
				if err := t.autodebit.prov.Unbind(ctx, a.AccountID); err != nil && !errors.Is(err, payments.ErrNotFound) {
					return fmt.Errorf("erase: unbind %s: %w: %w", a.AccountID, errProvider, err)
				}
			}
		}
		a.Status, a.StopReason, a.Token, a.AccountStatus = AutoDebitStopped, StopErased, "", AccountDisabled
		if err := tx.SaveAutoDebit(ctx, a); err != nil {
			return err
		}
	}
	return nil
}
