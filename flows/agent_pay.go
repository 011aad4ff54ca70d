package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/iuran"
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
			"Name": displayName(r.Name), "Date": t.cat.Date(lang, end), "Since": t.cat.Date(lang, iuran.FirstUncovered(end)),
			"Monthly": rupiahOf(t.monthly(r.Bracket, r.JHT, r.Occupation).Totals.Total)})
		reply := noticeOf(NoticeMessage, lang, Reply{Text: text, Input: InputText, Choices: []Choice{{Label: t.cat.T(lang, "remind.pay_now", nil), Data: payNowData}}})
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

// payableResident reports whether an agent may pay for a resident.
func payableResident(r Resident) bool {
	return r.Status == StatusAwaitingPayment || r.Status == StatusActive
}

// startAgentPay begins paying for residents, with picks already chosen.
func (t *turn) startAgentPay(ctx context.Context, picks []string) error {
	if t.payer == nil {
		return t.askNote(ctx, "pay.unavailable", nil)
	}
	res, err := t.myResidents(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(res, payableResident) {
		return t.askNote(ctx, "agent.pay_none", nil)
	}
	t.s.Data.Picks = picks
	t.s.Data.PayMonths = 0
	if len(picks) > 0 {
		next, err := t.machines.transition(ctx, t.s.State, EvAgentPay)
		if err != nil {
			return err
		}
		t.enter(next)
		return t.fire(ctx, EvNext, "")
	}
	return t.fire(ctx, EvAgentPay, "")
}

// picked lists the picked residents that can still be paid for.
func (t *turn) picked(ctx context.Context) ([]Resident, error) {
	res, err := t.myResidents(ctx)
	if err != nil {
		return nil, err
	}
	var out []Resident
	for _, r := range res {
		if payableResident(r) && slices.Contains(t.s.Data.Picks, r.Ref) {
			out = append(out, r)
		}
	}
	return out, nil
}

// owes reports whether a resident has not paid for today: never paid, or in arrears.
func (t *turn) owes(r Resident) bool {
	k, _ := t.standing(r)
	return k == standingAwaiting || k == standingArrears
}

func (t *turn) promptAgentPay(ctx context.Context) (Reply, error) {
	switch t.s.State {
	case StAgPayPick:
		res, err := t.myResidents(ctx)
		if err != nil {
			return Reply{}, err
		}
		var payable []Resident
		due := 0
		for _, r := range res {
			if payableResident(r) {
				payable = append(payable, r)
				if t.owes(r) {
					due++
				}
			}
		}
		pages := max(1, (len(payable)+agentPage-1)/agentPage)
		page := max(0, min(t.s.Data.Page, pages-1))
		var choices []Choice
		for _, r := range payable[page*agentPage : min(len(payable), (page+1)*agentPage)] {
			mark := "☐ "
			if slices.Contains(t.s.Data.Picks, r.Ref) {
				mark = "☑ "
			}
			choices = append(choices, Choice{Label: mark + displayName(r.Name), Data: "pk:t:" + r.Ref})
		}
		if page > 0 {
			choices = append(choices, Choice{Label: t.T("page.prev", nil), Data: fmt.Sprintf("pk:pg:%d", page-1)})
		}
		if page < pages-1 {
			choices = append(choices, Choice{Label: t.T("page.next", map[string]any{"Page": page + 2, "Pages": pages}), Data: fmt.Sprintf("pk:pg:%d", page+1)})
		}
		if due > 0 {
			choices = append(choices, Choice{Label: t.T("agent.pick_due", map[string]any{"Count": due}), Data: "pk:due"})
		}
		var refs []string
		for _, r := range payable[page*agentPage : min(len(payable), (page+1)*agentPage)] {
			refs = append(refs, r.Ref)
		}
		if a, err := t.agent(ctx); err == nil && a != nil {
			t.shown = &shownRecords{action: "agent:pay_list", subject: agentSubject(a.ID), detail: "refs=" + strings.Join(refs, ",")}
		}
		t.mentionRefs(refs)
		n := len(t.s.Data.Picks)
		if n > 0 {
			choices = append(choices, Choice{Label: t.T("agent.pick_go", map[string]any{"Count": n}), Data: "pk:go"})
		}
		return Reply{Text: t.T("agent.pick", map[string]any{"Count": n}), Input: InputText, Choices: choices}, nil
	case StAgPayMonth:
		picks, err := t.picked(ctx)
		if err != nil {
			return Reply{}, err
		}
		var choices []Choice
		for _, m := range iuran.Periods() {
			total, _, err := t.agentQuote(picks, m)
			if err != nil {
				return Reply{}, err
			}
			choices = append(choices, Choice{Label: t.T("pay.months_choice", map[string]any{"Months": m, "Total": rupiahOf(total)}), Data: "ay:" + strconv.Itoa(m)})
		}
		return Reply{Text: t.T("agent.pay_months", map[string]any{"Count": len(picks)}), Input: InputText, Choices: choices}, nil
	case StAgPayBank:
		picks, err := t.picked(ctx)
		if err != nil {
			return Reply{}, err
		}
		total, _, err := t.agentQuote(picks, t.s.Data.PayMonths)
		if err != nil {
			return Reply{}, err
		}
		r, err := t.promptBank(total, t.s.Data.PayMonths, "ab")
		return r, err
	}
	return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
}

// agentQuote prices months of contributions for each resident picked.
func (t *turn) agentQuote(picks []Resident, months int) (int64, []PaymentLine, error) {
	var total int64
	lines := make([]PaymentLine, 0, len(picks))
	for _, r := range picks {
		q, err := t.quote(RegistrationView{Registration: Registration{Bracket: r.Bracket, JHT: r.JHT, Occupation: r.Occupation}}, months)
		if err != nil {
			return 0, nil, fmt.Errorf("quote %s: %w", r.Ref, err)
		}
		total += q.Totals.Total
		lines = append(lines, lineOf(r.Ref, q))
	}
	return total, lines, nil
}

func (t *turn) answerAgentPay(ctx context.Context) error {
	d := &t.s.Data
	switch t.s.State {
	case StAgPayPick:
		res, err := t.myResidents(ctx)
		if err != nil {
			return err
		}
		c := t.ev.Choice
		if t.ev.Kind == KindText {
			switch strings.ToLower(t.text()) {
			case "semua", "all":
				c = "pk:due"
			case "lanjut", "next", "ok":
				c = "pk:go"
			}
		}
		switch {
		case c == "pk:go":
			if len(d.Picks) == 0 {
				return t.askNote(ctx, "agent.pick_empty", nil)
			}
			return t.fire(ctx, EvNext, "")
		case c == "pk:due":
			d.Picks = nil
			for _, r := range res {
				if payableResident(r) && t.owes(r) {
					d.Picks = append(d.Picks, r.Ref)
				}
			}
			return t.ask(ctx, "")
		case strings.HasPrefix(c, "pk:t:"):
			ref := strings.TrimPrefix(c, "pk:t:")
			if !slices.ContainsFunc(res, func(r Resident) bool { return r.Ref == ref && payableResident(r) }) {
				return t.askNote(ctx, "choice.stale", nil)
			}
			if i := slices.Index(d.Picks, ref); i >= 0 {
				d.Picks = slices.Delete(d.Picks, i, i+1)
			} else {
				d.Picks = append(d.Picks, ref)
			}
			return t.ask(ctx, "")
		}
		return t.askNote(ctx, "agent.pick_unclear", nil)
	case StAgPayMonth:
		return t.takeMonths(ctx, t.monthsAnswer("ay"))
	case StAgPayBank:
		return t.takeBank(ctx, "ab", t.issueAgent)
	}
	return fmt.Errorf("not an agent payment state: %s", t.s.State)
}
