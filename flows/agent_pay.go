package flows

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/tanggal"
)

// issueAgent asks the payment provider for one payment code for every
// resident picked, and records it as the agent's payment.
func (t *turn) issueAgent(ctx context.Context, bank payments.Method) error {
	a, ok, err := t.approvedAgent(ctx)
	if !ok {
		return err
	}
	picks, err := t.picked(ctx)
	if err != nil {
		return err
	}
	if len(picks) == 0 {
		return t.home(ctx, t.T("agent.pay_none", nil))
	}
	total, lines, err := t.agentQuote(picks, t.s.Data.PayMonths)
	if err != nil {
		return err
	}
	ins, ok, err := t.payCode(ctx, "AG"+strconv.FormatInt(a.ID, 10)+"-"+t.newID(), total, bank)
	if !ok {
		return err
	}
	err = t.tx.RecordAgentPayment(ctx, PaymentRecord{Instruction: ins, Lines: lines})
	t.changed()
	if errors.Is(err, ErrNotYours) || errors.Is(err, ErrNotAgent) {
		return t.home(ctx, t.T("agent.not_approved", nil))
	}
	if err != nil {
		return err
	}
	for _, l := range lines {
		if err := t.tx.AuditOn(ctx, "agent:pay", l.RegistrationRef, "order="+ins.OrderID); err != nil {
			return err
		}
	}
	r := t.instructionReply(ins, lines[0].Months, t.T("agent.pay_for", map[string]any{"Count": len(lines)}))
	t.addSandboxHint(&r, ins)
	t.say(r)
	t.s.Data.Picks, t.s.Data.PayMonths = nil, 0
	return t.fire(ctx, EvNext, "")
}

// remindAgain is how long after a reminder the agent may remind a resident again.
const remindAgain = 20 * time.Hour

// remind sends the agent's reminder to each linked resident who owes or
// whose protection ends within a week, at most once a day each.
func (t *turn) remind(ctx context.Context, a *Agent) error {
	res, err := t.myResidents(ctx)
	if err != nil {
		return err
	}
	var refs []string
	unlinked, recent := 0, 0
	for _, r := range res {
		k, end := t.standing(r)
		due := k == standingAwaiting || k == standingArrears || k == standingActive && end.Sub(tanggal.Midnight(t.now)) <= 7*24*time.Hour
		switch {
		case !due || !payableResident(r):
			continue
		case !r.Linked():
			unlinked++
			continue
		case !r.RemindedAt.IsZero() && t.now.Sub(r.RemindedAt) < remindAgain:
			recent++
			continue
		}
		lang := r.Lang
		if !t.cat.Supported(lang) {
			lang = "id"
		}
		key := "agent.reminder." + k
		text := t.cat.T(lang, key, map[string]any{"Agent": displayName(a.Name), "Role": t.cat.T(lang, "agent.role."+a.Role, nil),
			"Name": displayName(r.Name), "Date": t.cat.Date(lang, end), "Monthly": rupiahOf(r.MonthlyIuran)})
		reply := Reply{Text: text, Input: InputText, Choices: []Choice{{Label: t.cat.T(lang, "remind.pay_now", nil), Data: payNowData}}}
		if err := t.tx.SendTo(ctx, r.Channel, r.ChatID, []Reply{reply}); err != nil {
			return err
		}
		if err := t.tx.AuditOn(ctx, "agent:remind", r.Ref, ""); err != nil {
			return err
		}
		refs = append(refs, r.Ref)
	}
	if len(refs) > 0 {
		if err := t.tx.MarkReminded(ctx, refs); err != nil {
			return err
		}
		t.changed()
	}
	if len(refs) == 0 && unlinked == 0 && recent == 0 {
		return t.askNote(ctx, "agent.remind_none", nil)
	}
	return t.askNote(ctx, "agent.reminded", map[string]any{"Sent": len(refs), "Unlinked": unlinked, "Recent": recent})
}
