package flows

import (
	"context"
	"slices"
	"strings"

	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/telepon"
)

// Pending confirmations.
const (
	pendingCancel = "cancel"
	pendingDelete = "delete"
)

func (t *turn) command(ctx context.Context, name, arg string) error {
	s := t.s
	if slices.Contains(adminCommands, name) {
		return t.adminCommand(ctx, name, arg)
	}
	if name == cmdDashboard {
		return t.dashboardLink(ctx)
	}
	// A link's text, whatever the chat is doing: Telegram's "/start
	// sambung-CODE", WhatsApp's "/sambung CODE" or "/sponsor TOKEN".
	if l, ok := readLink(t.ev.Text); ok {
		return t.followLink(ctx, l)
	}
	switch name {
	case cmdStart:
		s.Pending = ""
		switch {
		case t.isDraft() && !t.isFreshConsent():
			return t.askNote(ctx, "start.resume", nil)
		case slices.Contains(payStates, s.State):
			return t.askNote(ctx, "pay.resume", nil)
		case slices.Contains(applyStates, s.State) || slices.Contains(claimStates, s.State) || slices.Contains(broadcastStates, s.State):
			return t.askNote(ctx, "start.resume", nil)
		}
		a, err := t.agent(ctx)
		if err != nil {
			return err
		}
		if a != nil && a.Status == AgentApproved {
			return t.home(ctx, "")
		}
		if s.State == StDone {
			return t.askNote(ctx, "start.registered", nil)
		}
		return t.startOver(ctx)
	case cmdAgent:
		return t.startApply(ctx)
	case cmdOptOut:
		return t.optOut(ctx, true)
	case cmdOptIn:
		return t.optOut(ctx, false)
	case cmdClaim:
		return t.startClaim(ctx)
	case cmdCancel:
		if strings.HasPrefix(s.Pending, pendingAdminsPfx) {
			s.Pending = ""
			return t.askNote(ctx, "admin.cancelled", nil)
		}
		if t.isDraft() && s.Data.Agent {
			s.Pending = pendingCancel
			t.say(Reply{Text: t.T("cancel.ask", nil), Choices: t.yesNo("cancel.yes", "cancel.no"), Input: InputText})
			return nil
		}
		if slices.Contains(broadcastStates, s.State) {
			s.Data = Answers{}
			return t.fire(ctx, EvCancel, t.T("broadcast.draft_cancelled", nil))
		}
		if slices.Contains(applyStates, s.State) || slices.Contains(claimStates, s.State) && s.State != StClConsent {
			s.Data = Answers{}
			return t.fire(ctx, EvCancel, t.T("agent.cancelled", nil))
		}
		if can(s.State, EvCancel) && slices.Contains(agentStates, s.State) {
			return t.home(ctx, "")
		}
		if can(s.State, EvCancel) && !t.isDraft() {
			// Paying: nothing typed is lost, so no confirmation.
			return t.fire(ctx, EvCancel, t.T("pay.cancelled", nil))
		}
		if !t.isDraft() {
			return t.askNote(ctx, "cancel.nothing", nil)
		}
		s.Pending = pendingCancel
		t.say(Reply{Text: t.T("cancel.ask", nil), Choices: t.yesNo("cancel.yes", "cancel.no"), Input: InputText})
		return nil
	case cmdBack:
		s.Pending = ""
		if s.Data.Editing && can(s.State, EvReview) {
			return t.fire(ctx, EvReview, "")
		}
		if s.State == StAgPhone && rolesRT[s.Data.Role] == "" {
			return t.fire(ctx, EvBackAlt, "")
		}
		if !can(s.State, EvBack) {
			return t.askNote(ctx, "back.none", nil)
		}
		return t.fire(ctx, EvBack, "")
	case cmdHelp:
		s.Pending = ""
		return t.askNote(ctx, "help."+string(s.State), t.helpData())
	case cmdLanguage:
		// "/bahasa en" (the web page's switch) chooses; "/bahasa" alone
		// switches to the other language.
		if f := strings.Fields(t.text()); len(f) > 1 && t.cat.Supported(strings.ToLower(f[1])) {
			s.Lang = strings.ToLower(f[1])
		} else if s.Lang == "en" {
			s.Lang = "id"
		} else {
			s.Lang = "en"
		}
		return t.askNote(ctx, "language.changed", nil)
	case cmdStatus:
		return t.status(ctx)
	case cmdPay:
		s.Pending = ""
		return t.startPay(ctx)
	case cmdCard:
		s.Pending = ""
		return t.cards(ctx)
	case cmdStopSub:
		s.Pending = ""
		return t.unsubscribe(ctx)
	case cmdStopAuto:
		return t.stopAutoDebit(ctx)
	case cmdSave:
		return t.startSave(ctx)
	case cmdBalance:
		return t.balance(ctx)
	case cmdMyData:
		return t.myData(ctx)
	case cmdDelete:
		s.Pending = pendingDelete
		text, err := t.deleteQuestion(ctx)
		if err != nil {
			return err
		}
		t.say(Reply{Text: text, Choices: t.yesNo("delete.yes", "delete.no"), Input: InputText})
		return nil
	default:
		return t.askNote(ctx, "command.unknown", nil)
	}
}

// deleteQuestion asks before /hapus; an agent also reads what becomes of
// their agent record and of the residents they registered.
func (t *turn) deleteQuestion(ctx context.Context) (string, error) {
	a, err := t.agent(ctx)
	if err != nil {
		return "", err
	}
	q := t.T("delete.ask", nil)
	if a != nil {
		q += "\n\n" + t.T("delete.agent_note", nil)
	}
	return q, nil
}

func (t *turn) yesNo(yesKey, noKey string) []Choice {
	return []Choice{{Label: t.T(yesKey, nil), Data: "cf:yes"}, {Label: t.T(noKey, nil), Data: "cf:no"}}
}

// confirmPending takes the answer to "are you sure?" for /batal and /hapus.
func (t *turn) confirmPending(ctx context.Context) error {
	s := t.s
	yes, ok := t.yesNoAnswer("cf")
	if !ok {
		question := t.T("cancel.ask", nil)
		yesKey, noKey := "cancel.yes", "cancel.no"
		if s.Pending == pendingDelete {
			var err error
			if question, err = t.deleteQuestion(ctx); err != nil {
				return err
			}
			yesKey, noKey = "delete.yes", "delete.no"
		}
		t.say(Reply{Text: t.T("confirm.unclear", nil) + "\n\n" + question, Choices: t.yesNo(yesKey, noKey), Input: InputText})
		return nil
	}
	what := s.Pending
	s.Pending = ""
	switch {
	case what == pendingCancel && yes && s.Data.Agent:
		t.sayText("cancel.done", nil)
		return t.home(ctx, "")
	case what == pendingCancel && yes:
		next, err := t.machines.transition(ctx, s.State, EvCancel)
		if err != nil {
			return err
		}
		s.Data = Answers{}
		t.enter(next)
		t.sayText("cancel.done", nil)
		return nil
	case what == pendingDelete && yes:
		a, err := t.agent(ctx)
		if err != nil {
			return err
		}
		left, err := t.savingsLeft(ctx)
		if err != nil {
			return err
		}
		if stop, err := t.eraseAutoDebits(ctx); stop || err != nil {
			return err // GoPay could not be reached: nothing erased, the worker is asked to try again
		}
		n, err := t.tx.Forget(ctx)
		if err != nil {
			return err
		}
		t.rotate = true
		t.changed()
		s.Data = Answers{}
		t.enter(StWelcome)
		text := t.T("delete.done", map[string]any{"Count": n})
		if a != nil {
			text += "\n" + t.T("delete.agent_done", nil)
		}
		if left > 0 {
			text += "\n" + t.T("savings.delete_note", map[string]any{"Balance": rupiahOf(left)})
		}
		t.say(Reply{Text: text, Input: InputNone, Forget: true})
		return nil
	case what == pendingCancel:
		return t.askNote(ctx, "cancel.kept", nil)
	default:
		return t.askNote(ctx, "delete.kept", nil)
	}
}

// yesNoAnswer reads a yes/no answer given as a button (with the prefix) or as text.
func (t *turn) yesNoAnswer(prefix string) (yes, ok bool) {
	switch t.ev.Kind {
	case KindChoice:
		switch t.ev.Choice {
		case prefix + ":yes":
			return true, true
		case prefix + ":no":
			return false, true
		}
	case KindText:
		switch strings.ToLower(strings.Trim(strings.TrimSpace(t.ev.Text), ".!")) {
		case "ya", "iya", "y", "yes", "benar", "betul", "setuju", "ok", "oke", "correct", "agree":
			return true, true
		case "tidak", "tdk", "gak", "nggak", "no", "n", "salah", "bukan", "wrong", "tidak setuju":
			return false, true
		}
	}
	return false, false
}

func (t *turn) status(ctx context.Context) error {
	regs, err := t.tx.Registrations(ctx)
	if err != nil {
		return err
	}
	pays, err := t.tx.Payments(ctx)
	if err != nil {
		return err
	}
	ads, err := t.chatAutoDebits(ctx)
	if err != nil {
		return err
	}
	var b strings.Builder
	live := 0
	for _, r := range regs {
		if r.Status == StatusDeleted {
			continue
		}
		live++
		b.WriteString(t.T("status.item", map[string]any{
			"Ref": r.Ref, "Name": displayName(r.Name), "Status": t.T("status."+r.Status, nil),
			"Date": t.cat.Date(t.s.Lang, r.CreatedAt.In(t.cfg.Location)), "NIK": nik.Mask(r.NIK),
		}))
		b.WriteString("\n")
		if !r.CoveredTo.IsZero() {
			kpj := r.KPJ
			if kpj == "" {
				kpj = t.T("card.kpj_pending", nil)
			}
			b.WriteString(t.T("status.covered", map[string]any{"From": t.cat.Date(t.s.Lang, r.CoveredFrom), "To": t.cat.Date(t.s.Lang, r.CoveredTo), "KPJ": kpj}))
			b.WriteString("\n")
			b.WriteString(t.T("status.next_due", map[string]any{"Date": t.cat.Date(t.s.Lang, r.CoveredTo)}))
			b.WriteString("\n")
		}
		t.paymentLines(&b, r.Ref, pays)
		if line, err := t.savingsLine(ctx, r); err != nil {
			return err
		} else if line != "" {
			b.WriteString(line + "\n")
		}
		if line := t.autoDebitLine(r.Ref, ads); line != "" {
			b.WriteString(line + "\n")
		}
	}
	var note string
	if live == 0 {
		note = t.T("status.none", nil)
	} else {
		note = t.T("status.header", map[string]any{"Count": live}) + "\n" + strings.TrimSpace(b.String())
	}
	if t.isDraft() {
		note += "\n\n" + t.T("status.draft", nil)
	}
	if err := t.ask(ctx, note); err != nil {
		return err
	}
	t.autoDebitStopButton(ads)
	return nil
}

func (t *turn) myData(ctx context.Context) error {
	if err := t.tx.Audit(ctx, "self.view_data", ""); err != nil {
		return err
	}
	regs, err := t.tx.Registrations(ctx)
	if err != nil {
		return err
	}
	consents, err := t.tx.Consents(ctx)
	if err != nil {
		return err
	}
	var parts []string
	for _, c := range consents {
		if c.WithdrawnAt != nil {
			continue
		}
		parts = append(parts, t.T("mydata.consent", map[string]any{"Date": t.cat.Date(t.s.Lang, c.GivenAt.In(t.cfg.Location)), "Version": c.TextVersion}))
	}
	for _, r := range regs {
		if r.Status == StatusDeleted {
			continue
		}
		parts = append(parts, t.T("mydata.registration", map[string]any{"Ref": r.Ref})+"\n"+t.summary(r.Registration))
	}
	if t.isDraft() && t.s.Data.NIK != "" {
		parts = append(parts, t.T("mydata.draft", nil)+"\n"+t.summary(t.s.Data.registration(t.Engine)))
	}
	a, err := t.agent(ctx)
	if err != nil {
		return err
	}
	if a != nil {
		parts = append(parts, t.T("mydata.agent", map[string]any{"Status": t.T("admin.status."+a.Status, nil)})+"\n"+t.agentSummary(*a))
	}
	if len(parts) == 0 {
		return t.askNote(ctx, "mydata.none", nil)
	}
	t.say(Reply{Text: t.T("mydata.header", nil) + "\n\n" + strings.Join(parts, "\n\n") + "\n\n" + t.T("mydata.footer", nil), Input: InputNone})
	return t.ask(ctx, "")
}

// summary lists a registration's answers with NIK and phone masked.
func (t *turn) summary(r Registration) string {
	lines := []string{
		t.T("field.nik", map[string]any{"Value": maskOrDash(r.NIK, nik.Mask)}),
		t.T("field.name", map[string]any{"Value": orDash(displayName(r.Name))}),
	}
	if !r.BirthDate.IsZero() {
		lines = append(lines, t.T("field.birth", map[string]any{"Value": t.cat.Date(t.s.Lang, r.BirthDate), "Sex": t.sexLabel(r.Female)}))
	} else {
		lines = append(lines, t.T("field.birth", map[string]any{"Value": "-", "Sex": "-"}))
	}
	lines = append(lines,
		t.T("field.phone", map[string]any{"Value": maskOrDash(r.Phone, telepon.Mask)}),
		t.T("field.address", map[string]any{"Value": orDash(t.addressLine(r.Village, r.District, r.Regency))}),
		t.T("field.occupation", map[string]any{"Value": orDash(t.occupationLabel(r.Occupation, r.OccupationOther))}),
	)
	if b, ok := t.tariffs.Bracket(r.Bracket); ok && r.Income > 0 {
		lines = append(lines, t.T("field.income", map[string]any{"Value": t.bracketRange(b)}))
		q := t.monthly(b.Index, r.JHT, r.Occupation)
		jht := ""
		if r.JHT {
			jht = t.T("field.with_jht", nil)
		}
		lines = append(lines, t.T("field.programs", map[string]any{"Total": rupiahOf(q.Totals.Total), "JHT": jht,
			"Discount": t.discountUntil(q)}))
	}
	return strings.Join(lines, "\n")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func maskOrDash(s string, mask func(string) string) string {
	if s == "" {
		return "-"
	}
	return mask(s)
}

func (t *turn) sexLabel(female bool) string {
	if female {
		return t.T("sex.female", nil)
	}
	return t.T("sex.male", nil)
}

// helpData fills the examples used by the help texts.
func (t *turn) helpData() map[string]any {
	low, _ := t.tariffs.Bracket(0)
	return map[string]any{"MinAge": t.cfg.MinAge, "MaxAge": t.cfg.MaxAge, "Below": t.juta(low.IncomeMax + 1000)}
}

// paymentLines adds a registration's open payment code and its last
// settled payments to a status message.
func (t *turn) paymentLines(b *strings.Builder, ref string, pays []PaymentView) {
	paid := 0
	for _, p := range pays {
		if p.RegistrationRef != ref {
			continue
		}
		switch {
		case p.Status == string(payments.Pending) && p.ExpiresAt.After(t.now):
			exp := p.ExpiresAt.In(t.cfg.Location)
			b.WriteString(t.T("status.open_code", map[string]any{"Bank": t.T("bank."+p.Bank, nil), "Code": p.Code, "Total": rupiahOf(p.Amount),
				"Expiry": t.cat.Date(t.s.Lang, exp) + " " + exp.Format("15.04")}))
			b.WriteString("\n")
		case p.Status == string(payments.Paid) && paid < 3:
			paid++
			b.WriteString(t.T("status.paid", map[string]any{"Date": t.cat.Date(t.s.Lang, p.PaidAt.In(t.cfg.Location)), "Total": rupiahOf(p.Amount), "Months": p.Months}))
			b.WriteString("\n")
		}
	}
}
