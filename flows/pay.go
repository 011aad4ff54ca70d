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
	"github.com/lindungi/lindungi/kode"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/payments"
)

// States of paying the contribution.
const (
	StPayWho    State = "pay_who"    // which registration, when the chat has several
	StPayMonths State = "pay_months" // 1, 3, 6 or 12 months
	StPayBank   State = "pay_bank"   // which bank's virtual account
)

// Events of paying.
const (
	EvPay    = "pay"     // /bayar: pay a registration's contribution
	EvPayOne = "pay_one" // /bayar when the chat has one registration: straight to the months
)

// payStates are the questions of paying a contribution.
var payStates = []State{StPayWho, StPayMonths, StPayBank, StSaveAmount, StSaveBank}

// payEvents move through paying a contribution.
var payEvents = table{
	{EvPay, append([]State{StWelcome, StDone}, agentStates...), StPayWho},
	{EvPayOne, append([]State{StWelcome, StDone}, agentStates...), StPayMonths},
	{EvNext, []State{StPayWho}, StPayMonths},
	{EvNext, []State{StPayMonths}, StPayBank},
	{EvNext, []State{StPayBank}, StDone},
	{EvBack, []State{StPayWho, StPayMonths}, StDone},
	{EvBack, []State{StPayBank}, StPayMonths},
	{EvCancel, payStates, StDone},
}

// PaymentLine is what one payment pays for one registration.
type PaymentLine struct {
	RegistrationRef string
	Months          int
	JKK, JKM, JHT   int64
	Discount        int64
	Amount          int64
}

// PaymentRecord is an issued payment code, with what it pays for.
type PaymentRecord struct {
	Instruction payments.Instruction
	Lines       []PaymentLine
}

// Covered is a registration whose coverage a settled payment extended.
type Covered struct {
	RegistrationRef string
	Name            string
	From, To        time.Time
	// JHTOnly: a sponsored worker's own JHT payment; the coverage (paid by
	// the sponsor) did not change.
	JHTOnly bool
	Months  int
}

// PaymentTTL is how long a payment code stays valid.
const PaymentTTL = 24 * time.Hour

// payable lists the chat's registrations that can be paid for: awaiting their
// first payment, or protected and due to renew.
func (t *turn) payable(ctx context.Context) ([]RegistrationView, error) {
	regs, err := t.tx.Registrations(ctx)
	if err != nil {
		return nil, err
	}
	var out []RegistrationView
	for _, r := range regs {
		if (r.Status == StatusAwaitingPayment || r.Status == StatusActive) && !r.SponsorPaysAll {
			out = append(out, r)
		}
	}
	return out, nil
}

// startPay answers /bayar and the "Bayar iuran" button.
func (t *turn) startPay(ctx context.Context) error {
	if t.isDraft() {
		return t.askNote(ctx, "pay.finish_first", nil)
	}
	if t.s.State == StClConsent {
		return t.askNote(ctx, "claim.consent_first", nil)
	}
	if slices.Contains(applyStates, t.s.State) || slices.Contains(broadcastStates, t.s.State) || slices.Contains(claimStates, t.s.State) {
		return t.askNote(ctx, "agent.finish_first", nil)
	}
	if t.payer == nil {
		return t.askNote(ctx, "pay.unavailable", nil)
	}
	if slices.Contains(payStates, t.s.State) {
		t.enter(StDone) // paying again from the start
	}
	t.s.Data.Saving = false
	regs, err := t.payable(ctx)
	if err != nil {
		return err
	}
	switch len(regs) {
	case 0:
		t.s.Pending = ""
		t.sayText("pay.none", nil)
		return nil
	case 1:
		t.s.Data.PayRef = regs[0].Ref
		return t.fire(ctx, EvPayOne, "")
	}
	return t.fire(ctx, EvPay, "")
}

// payingFor is the registration being paid for.
func (t *turn) payingFor(ctx context.Context) (RegistrationView, bool, error) {
	regs, err := t.payable(ctx)
	if err != nil {
		return RegistrationView{}, false, err
	}
	r, ok := refIn(regs, t.s.Data.PayRef)
	return r, ok, nil
}

// refIn finds the registration ref among regs.
func refIn(regs []RegistrationView, ref string) (RegistrationView, bool) {
	for _, r := range regs {
		if r.Ref == ref {
			return r, true
		}
	}
	return RegistrationView{}, false
}

func (t *turn) quote(r RegistrationView, months int) (iuran.Quote, error) {
	if r.Sponsor != "" {
		return t.jhtQuote(r, months)
	}
	return t.tariffs.Quote(iuran.QuoteRequest{Bracket: r.Bracket, JHT: r.JHT, Months: months,
		Start: t.coverStart(), Discounts: t.discounts, Sector: iuran.OccupationSector(r.Occupation)})
}

// jhtQuote prices a sponsored worker's own JHT: the sponsor pays JKK and JKM.
func (t *turn) jhtQuote(r RegistrationView, months int) (iuran.Quote, error) {
	q, err := t.tariffs.Quote(iuran.QuoteRequest{Bracket: r.Bracket, JHT: true, Months: months,
		Start: t.coverStart(), Discounts: t.discounts, Sector: iuran.OccupationSector(r.Occupation)})
	if err != nil {
		return q, err
	}
	q.Totals = iuran.Amounts{JHT: q.Totals.JHT, Total: q.Totals.JHT}
	return q, nil
}

func (t *turn) answerPay(ctx context.Context) error {
	switch t.s.State {
	case StPayWho:
		ref := strings.TrimPrefix(t.ev.Choice, "pw:")
		regs, err := t.payable(ctx)
		if err != nil {
			return err
		}
		for _, r := range regs {
			if t.ev.Kind == KindChoice && r.Ref == ref {
				t.s.Data.PayRef = r.Ref
				if t.s.Data.Saving {
					return t.saveFor(ctx, r)
				}
				return t.fire(ctx, EvNext, "")
			}
		}
		return t.askNote(ctx, "pay.who_unclear", nil)
	case StPayMonths:
		if t.ev.Choice == "pm:save" {
			t.s.Data.Saving, t.s.Data.SaveTopUp = true, 0
			return t.fire(ctx, EvSave, "")
		}
		if t.ev.Choice == autoDebitChoiceData {
			return t.startAutoDebit(ctx)
		}
		t.s.Data.PaySub = t.ev.Choice == "pm:sub"
		months := t.monthsAnswer("pm")
		if t.s.Data.PaySub {
			months = 1 // langganan: one month at a time
		}
		if months != 0 {
			// The same months asked again: the code still open, not another.
			if shown, err := t.showOpenCode(ctx, months); shown || err != nil {
				return err
			}
		}
		return t.takeMonths(ctx, months)
	case StPayBank:
		return t.takeBank(ctx, "pb", t.issue)
	}
	return fmt.Errorf("not a payment state: %s", t.s.State)
}

// payQuestions are the questions of paying a contribution (see question).
func payQuestions() map[State]question {
	return map[State]question{
		StPayWho:    {"pw", (*turn).promptPay, (*turn).answerPay},
		StPayMonths: {"pm", (*turn).promptPay, (*turn).answerPay},
		StPayBank:   {"pb", (*turn).promptPay, (*turn).answerPay},
	}
}

// issue asks the payment provider for a payment code and records it with the
// session, in the chat's transaction.
func (t *turn) issue(ctx context.Context, bank payments.Method) error {
	reg, ok, err := t.payingFor(ctx)
	if err != nil {
		return err
	}
	if !ok {
		t.enter(StDone)
		return t.askNote(ctx, "pay.none", nil)
	}
	q, err := t.quote(reg, t.s.Data.PayMonths)
	if err != nil {
		return fmt.Errorf("quote %s: %w", reg.Ref, err)
	}
	open, err := t.openCodes(ctx, reg.Ref)
	if err != nil {
		return err
	}
	ins, ok, err := t.payCode(ctx, reg.Ref+"-"+t.newID(), q.Totals.Total, bank)
	if !ok {
		return err
	}
	if err := t.tx.RecordPayment(ctx, PaymentRecord{Instruction: ins, Lines: []PaymentLine{lineOf(reg.Ref, q)}}); err != nil {
		return err
	}
	// One open code per registration: the new one replaces the others.
	for _, p := range open {
		if err := t.cancelCode(ctx, p.Instruction.OrderID, "replaced by "+ins.OrderID); err != nil {
			return err
		}
	}
	r := t.instructionReply(ins, q.Months, nama.Display(reg.Name))
	if t.s.Data.PaySub && reg.Sponsor == "" {
		if err := t.tx.Subscribe(ctx, reg.Ref, q.Months, string(bank)); err != nil {
			return err
		}
		r.Text += "\n" + t.T("pay.subscribed", nil)
	}
	t.addSandboxHint(&r, ins)
	t.say(r)
	t.s.Data.PayRef, t.s.Data.PayMonths, t.s.Data.PaySub = "", 0, false
	return t.fire(ctx, EvNext, "")
}

// openCodes are the chat's own payment codes of a registration still open.
func (t *turn) openCodes(ctx context.Context, ref string) ([]PaymentView, error) {
	pays, err := t.tx.Payments(ctx)
	if err != nil {
		return nil, err
	}
	var out []PaymentView
	for _, p := range pays {
		if p.RegistrationRef == ref && p.Status == string(payments.Pending) && p.ExpiresAt.After(t.now) && p.Instruction.OrderID != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// showOpenCode shows the code still open for the registration being paid,
// when it is for the same months at today's price, and asks whether to pay
// another way; shown is false when there is none.
func (t *turn) showOpenCode(ctx context.Context, months int) (shown bool, err error) {
	reg, ok, err := t.payingFor(ctx)
	if err != nil || !ok {
		return false, err
	}
	q, err := t.quote(reg, months)
	if err != nil {
		return false, err
	}
	open, err := t.openCodes(ctx, reg.Ref)
	if err != nil {
		return false, err
	}
	for _, p := range open {
		if p.Months != months || p.Amount != q.Totals.Total {
			continue
		}
		r := t.instructionReply(p.Instruction, months, nama.Display(reg.Name))
		r.Text = t.T("pay.open_code", nil) + "\n" + r.Text
		if t.s.Data.PaySub && reg.Sponsor == "" {
			// "Every month" asked with a code open: the open code is the first.
			if err := t.tx.Subscribe(ctx, reg.Ref, months, string(p.Instruction.Bank)); err != nil {
				return true, err
			}
			r.Text += "\n" + t.T("pay.subscribed", nil)
		}
		t.addSandboxHint(&r, p.Instruction)
		t.say(r)
		t.s.Data.PayMonths = months
		return true, t.fire(ctx, EvNext, t.T("pay.other_way", nil))
	}
	return false, nil
}

// canceller is a payment provider that can cancel an unpaid code.
type canceller interface {
	Cancel(ctx context.Context, orderID string) error
}

// cancelCode cancels a code a new one replaced: at the provider where it
// can (a failure there is logged: if the old code is paid anyway, the money
// is applied), and in the store.
func (t *turn) cancelCode(ctx context.Context, orderID, why string) error {
	if c, ok := t.payer.(canceller); ok {
		if err := c.Cancel(ctx, orderID); err != nil {
			t.log.Warn("cancel replaced payment code", "order_id", orderID, "err", err)
		}
	}
	return t.tx.CancelPayment(ctx, orderID, why)
}

// payCode asks the payment provider for a code for amount, valid for
// PaymentTTL: the one path of a worker paying for themselves and of an
// agent paying for residents. ok is false when the provider failed: the
// chat was asked to try again (err is that question's).
func (t *turn) payCode(ctx context.Context, orderID string, amount int64, bank payments.Method) (ins payments.Instruction, ok bool, err error) {
	if amount < bank.Minimum() {
		return ins, false, t.askNote(ctx, "pay.bank_minimum", map[string]any{"Bank": t.T("bank."+string(bank), nil),
			"Minimum": rupiahOf(bank.Minimum()), "Total": rupiahOf(amount)})
	}
	ins, err = t.payer.Create(ctx, payments.Invoice{OrderID: orderID, Amount: amount, Method: bank, ExpiresAt: t.now.Add(PaymentTTL)})
	if err != nil {
		t.log.Warn("create payment", "order_id", orderID, "bank", bank, "err", err)
		return ins, false, t.askNote(ctx, "pay.error", nil)
	}
	return ins, true, nil
}

// lineOf is what a payment pays for one registration, from its quote.
func lineOf(ref string, q iuran.Quote) PaymentLine {
	return PaymentLine{RegistrationRef: ref, Months: q.Months, JKK: q.Totals.JKK, JKM: q.Totals.JKM, JHT: q.Totals.JHT,
		Discount: q.Totals.Discount, Amount: q.Totals.Total}
}

// takeMonths records the months picked and moves on; 0 (none of the
// periods) asks again.
func (t *turn) takeMonths(ctx context.Context, months int) error {
	if months == 0 {
		return t.askNote(ctx, "pay.months_unclear", nil)
	}
	t.s.Data.PayMonths = months
	return t.fire(ctx, EvNext, "")
}

// takeBank issues the payment code at the bank or shop picked (a button
// "prefix:bank" or its name typed), or asks again.
func (t *turn) takeBank(ctx context.Context, prefix string, issue func(context.Context, payments.Method) error) error {
	bank, ok := t.bankAnswer(prefix)
	if !ok {
		return t.askNote(ctx, "pay.bank_unclear", nil)
	}
	return issue(ctx, bank)
}

// monthsAnswer is the months picked: a button "prefix:N" or a typed
// number; 0 when it is not one of the periods one may pay for.
func (t *turn) monthsAnswer(prefix string) int {
	months := 0
	if t.ev.Kind == KindChoice {
		months, _ = strconv.Atoi(strings.TrimPrefix(t.ev.Choice, prefix+":"))
	} else if t.ev.Kind == KindText {
		months, _ = strconv.Atoi(strings.Fields(t.text() + " x")[0])
	}
	if iuran.CheckPeriod(months) != nil {
		return 0
	}
	return months
}

// instructionReply is the message with a payment code (a QR picture for QRIS).
func (t *turn) instructionReply(ins payments.Instruction, months int, name string) Reply {
	r := Reply{Text: t.instructionText(ins, months, name), Input: InputNone}
	if ins.Bank.Kind() == "qris" {
		r.Photo = QRISPhoto(ins.OrderID)
	}
	if ins.VANumber != "" {
		r.Copy = []string{ins.VANumber}
	}
	return r
}

// addSandboxHint adds, with the development provider, the link to the test
// bank's page where the code can be paid.
func (t *turn) addSandboxHint(r *Reply, ins payments.Instruction) {
	if t.cfg.SandboxPayURL == "" {
		return
	}
	code := ins.VANumber
	if code == "" {
		code = ins.OrderID // QRIS has no code to type
	}
	r.Text += "\n" + t.T("pay.sandbox_hint", map[string]any{"URL": fmt.Sprintf(t.cfg.SandboxPayURL, code)})
}

// newID makes the random part of an order id.
func (t *turn) newID() string {
	if t.ids != nil {
		return t.ids()
	}
	return kode.New(6)
}

// promptPay renders the questions of paying.
func (t *turn) promptPay(ctx context.Context) (Reply, error) {
	switch t.s.State {
	case StPayWho:
		regs, err := t.payable(ctx)
		if err != nil {
			return Reply{}, err
		}
		var choices []Choice
		for _, r := range regs {
			choices = append(choices, Choice{Label: nama.Display(r.Name), Data: "pw:" + r.Ref})
		}
		return Reply{Text: t.T("pay.who", nil), Choices: choices, Input: InputText}, nil
	case StPayMonths:
		reg, ok, err := t.payingFor(ctx)
		if err != nil {
			return Reply{}, err
		}
		if !ok {
			return Reply{}, errors.New("paying for a registration that is gone")
		}
		var choices []Choice
		for _, m := range iuran.Periods() {
			q, err := t.quote(reg, m)
			if err != nil {
				return Reply{}, err
			}
			choices = append(choices, Choice{Label: t.T("pay.months_choice", map[string]any{"Months": m, "Total": rupiahOf(q.Totals.Total)}),
				Data: "pm:" + strconv.Itoa(m)})
		}
		one, _ := t.quote(reg, 1)
		if reg.Sponsor != "" {
			// JKK and JKM are the sponsor's: only JHT, and no langganan.
			return Reply{Text: t.T("pay.months_jht", map[string]any{"Sponsor": reg.Sponsor, "Monthly": rupiahOf(one.Totals.Total)}),
				Choices: choices, Input: InputText}, nil
		}
		choices = append(choices, Choice{Label: t.T("pay.subscribe_choice", nil), Data: "pm:sub"})
		choices = append(choices, Choice{Label: t.T("savings.choice", nil), Data: "pm:save"})
		choices = append(choices, t.autoDebitMenuChoice(reg)...)
		return Reply{Text: t.T("pay.months", map[string]any{"Name": nama.Display(reg.Name), "Monthly": rupiahOf(one.Totals.Total),
			"Discount": t.discountNote(one)}),
			Choices: choices, Input: InputText}, nil
	case StPayBank:
		reg, ok, err := t.payingFor(ctx)
		if err != nil || !ok {
			return Reply{}, errors.Join(err, errors.New("paying for a registration that is gone"))
		}
		q, err := t.quote(reg, t.s.Data.PayMonths)
		if err != nil {
			return Reply{}, err
		}
		return t.promptBank(q.Totals.Total, q.Months, "pb")
	}
	return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
}

// promptBank asks how to pay a total: the buttons' data start with prefix.
func (t *turn) promptBank(total int64, months int, prefix string) (Reply, error) {
	var choices []Choice
	for _, m := range append(append(payments.Methods(), payments.StoreMethods()...), payments.QRIS) {
		if total < m.Minimum() {
			continue // the store's counter refuses so small an amount
		}
		choices = append(choices, Choice{Label: t.T("bank."+string(m), nil), Data: prefix + ":" + string(m)})
	}
	return Reply{Text: t.T("pay.bank", map[string]any{"Total": rupiahOf(total), "Months": months}), Choices: choices, Input: InputText}, nil
}

// bankAnswer reads the way to pay, pressed (data prefix:method) or typed.
func (t *turn) bankAnswer(prefix string) (payments.Method, bool) {
	bank := payments.Method(strings.TrimPrefix(t.ev.Choice, prefix+":"))
	if t.ev.Kind == KindText {
		bank = payments.Method(strings.ToLower(strings.TrimSpace(t.text())))
	}
	return bank, bank.Valid()
}

// PaymentReplies are the messages for a worker whose payment settled.
func (e *Engine) PaymentReplies(lang string, c Covered) []Reply {
	if !e.cat.Supported(lang) {
		lang = "id"
	}
	if c.JHTOnly {
		out := []Reply{{Text: e.cat.T(lang, "pay.jht_confirmed", map[string]any{"Name": nama.Display(c.Name), "Months": c.Months}), Input: InputNone,
			Notice: &Notice{Kind: NoticePaidJHT, Lang: lang, Params: []string{nama.Display(c.Name), strconv.Itoa(c.Months)}}}}
		if !c.To.IsZero() { // a card exists once the sponsor has paid
			out = append(out, cardReply(e, lang, c.RegistrationRef, c.Name))
		}
		return out
	}
	to := e.cat.Date(lang, c.To)
	return []Reply{
		{Text: e.cat.T(lang, "pay.confirmed", map[string]any{
			"Name": nama.Display(c.Name), "Ref": c.RegistrationRef,
			"From": e.cat.Date(lang, c.From), "To": to,
		}), Input: InputNone, Notice: &Notice{Kind: NoticePaid, Lang: lang, Params: []string{nama.Display(c.Name), c.RegistrationRef, to}}},
		cardReply(e, lang, c.RegistrationRef, c.Name),
	}
}

func cardReply(e *Engine, lang, ref, name string) Reply {
	return Reply{Text: e.cat.T(lang, "card.caption", map[string]any{"Name": nama.Display(name)}), Photo: CardPhoto(ref), Input: InputNone}
}

// cards answers /kartu: the card of every paid registration of the chat.
func (t *turn) cards(ctx context.Context) error {
	regs, err := t.tx.Registrations(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, r := range regs {
		if r.Status == StatusActive {
			t.say(cardReply(t.Engine, t.s.Lang, r.Ref, r.Name))
			n++
		}
	}
	if n == 0 {
		return t.askNote(ctx, "card.none", nil)
	}
	return t.ask(ctx, "")
}

// unsubscribe answers /berhenti: no more invoices by themselves.
func (t *turn) unsubscribe(ctx context.Context) error {
	regs, err := t.tx.Registrations(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, r := range regs {
		if r.Subscribed {
			if err := t.tx.Subscribe(ctx, r.Ref, 0, ""); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return t.askNote(ctx, "subscribe.none", nil)
	}
	return t.askNote(ctx, "subscribe.stopped", nil)
}

// Renewal is an invoice a subscription makes by itself.
type Renewal struct {
	Ref        string
	Name       string
	Bracket    int
	JHT        bool
	Occupation string // its sector may have a discount
	Months     int
	Method     string
	Start      time.Time // the first day the invoice covers
	Channel    string
	ChatID     string
	Language   string
}

// RenewalInvoice issues the next invoice of a subscription: the payment to
// record and the message with its payment code.
func (e *Engine) RenewalInvoice(ctx context.Context, r Renewal) (PaymentRecord, []Reply, error) {
	lang := r.Language
	if !e.cat.Supported(lang) {
		lang = locales.Default
	}
	if e.payer == nil {
		return PaymentRecord{}, nil, errors.New("no payment provider")
	}
	q, err := e.tariffs.Quote(iuran.QuoteRequest{Bracket: r.Bracket, JHT: r.JHT, Months: r.Months, Start: r.Start, Discounts: e.discounts,
		Sector: iuran.OccupationSector(r.Occupation)})
	if err != nil {
		return PaymentRecord{}, nil, fmt.Errorf("quote %s: %w", r.Ref, err)
	}
	t := &turn{Engine: e, s: &Session{Lang: lang}, now: e.now().In(e.cfg.Location)}
	ins, err := e.payer.Create(ctx, payments.Invoice{OrderID: r.Ref + "-" + t.newID(), Amount: q.Totals.Total,
		Method: payments.Method(r.Method), ExpiresAt: t.now.Add(7 * 24 * time.Hour)})
	if err != nil {
		return PaymentRecord{}, nil, fmt.Errorf("issue renewal of %s: %w", r.Ref, err)
	}
	rec := PaymentRecord{Instruction: ins, Lines: []PaymentLine{{RegistrationRef: r.Ref, Months: q.Months, JKK: q.Totals.JKK, JKM: q.Totals.JKM,
		JHT: q.Totals.JHT, Discount: q.Totals.Discount, Amount: q.Totals.Total}}}
	text := t.T("subscribe.invoice", map[string]any{"Name": nama.Display(r.Name), "End": e.cat.Date(lang, r.Start.AddDate(0, 0, -1))}) + "\n\n" +
		t.instructionText(ins, q.Months, nama.Display(r.Name))
	return rec, []Reply{noticeOf(NoticeMessage, lang, Reply{Text: text, Input: InputNone})}, nil
}

// instructionText says how to pay a payment code; who is what it pays for,
// as shown ("Siti Aminah", "3 warga").
func (t *turn) instructionText(ins payments.Instruction, months int, who string) string {
	exp := ins.ExpiresAt.In(t.cfg.Location)
	key := "pay.instruction"
	switch ins.Bank.Kind() {
	case "store":
		key = "pay.instruction_store"
	case "qris":
		key = "pay.instruction_qris"
	}
	return t.T(key, map[string]any{
		"Total": rupiahOf(ins.Amount), "Bank": t.T("bank."+string(ins.Bank), nil), "Code": ins.VANumber,
		"Biller": ins.BillerCode, "Expiry": t.cat.Date(t.s.Lang, exp) + " " + exp.Format("15.04"),
		"Steps": t.T("pay.steps."+string(ins.Bank), map[string]any{"Code": ins.VANumber, "Biller": ins.BillerCode}),
		"Name":  who, "Months": months,
	})
}
