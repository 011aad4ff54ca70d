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
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/tanggal"
)

// Tabungan iuran: a worker tops their registration's balance up with any
// amount from SavingsMinimum; whenever the balance covers a month that is
// due (see SavingsMonthDue), the month is bought from it in the
// transaction that credited the top-up. The balance is a ledger of
// append-only entries (store: savings_entries).

// States of topping up.
const (
	StSaveAmount State = "save_amount" // how much to put in
	StSaveBank   State = "save_bank"   // which bank, shop or QRIS
)

// EvSave starts a top-up of the registration picked.
const EvSave = "save"

// Commands of the savings balance.
const (
	cmdSave    = "save"    // /tabung
	cmdBalance = "balance" // /saldo
)

// saveEvents move through topping up (cancelling: payEvents, the states
// being payStates).
var saveEvents = table{
	{EvSave, append([]State{StWelcome, StDone, StPayWho, StPayMonths}, agentStates...), StSaveAmount},
	{EvNext, []State{StSaveAmount}, StSaveBank},
	{EvNext, []State{StSaveBank}, StDone},
	{EvBack, []State{StSaveAmount}, StDone},
	{EvBack, []State{StSaveBank}, StSaveAmount},
}

// SavingsMinimum is the smallest top-up, in Rupiah (a shop's counter asks
// for more: see payments.Method.Minimum).
const SavingsMinimum = 5_000

// SavingsMaximum is the largest top-up in one code: a typo of a zero too
// many is asked again.
const SavingsMaximum = 2_000_000

// SavingsDueDays is how many days before coverage ends the balance buys the
// next month.
const SavingsDueDays = 7

// Savings entry kinds.
const (
	SavingsTopUp  = "topup"  // a settled top-up, credited
	SavingsMonth  = "month"  // a month bought from the balance
	SavingsRefund = "refund" // the balance of an erased registration, flagged for an admin to refund
)

// FlagSavingsRefund flags a top-up whose registration was erased with money
// left in its balance: an admin refunds it.
const FlagSavingsRefund = "savings_refund"

// SavingsEntry is one entry of a balance's ledger.
type SavingsEntry struct {
	At       time.Time
	Kind     string
	Amount   int64     // added (top-up) or taken (month, refund)
	From, To time.Time // a month bought: the period
}

// SavingsHolder is a registration whose balance is credited or spent,
// locked for the transaction.
type SavingsHolder struct {
	RegistrationID  int64
	Ref, Name       string
	Channel, ChatID string // the chat that owns it ("" for a resident no chat owns yet)
	Lang            string
	Status          string
	CoveredTo       time.Time // zero: never covered
	Bracket         int
	JHT             bool
	Occupation      string
	Sponsored       bool // a sponsor pays its JKK and JKM: the balance buys no month
	Erased          bool
	Balance         int64
}

// BoughtMonth is a month bought from a balance.
type BoughtMonth struct {
	Line     PaymentLine // its price
	From, To time.Time
}

// SavingsTx is what crediting and spending a balance needs of a
// payment's (or a job's) transaction.
type SavingsTx interface {
	// SavingsTopUp is the registration a top-up payment saves for, locked
	// with its balance (ok false: the payment is not a top-up).
	SavingsTopUp(ctx context.Context, paymentID int64) (h SavingsHolder, ok bool, err error)
	// CreditSavings appends the settled top-up's entry (once per payment).
	CreditSavings(ctx context.Context, regID, paymentID, amount int64) error
	// BuySavingsMonth appends the entry of a month bought (paymentID: the
	// top-up whose settlement bought it, 0 for none).
	BuySavingsMonth(ctx context.Context, regID, paymentID int64, m BoughtMonth) error
}

// ChatSavingsTx is what topping up from a chat needs.
type ChatSavingsTx interface {
	// RecordTopUp stores an issued top-up code for a registration of the chat.
	RecordTopUp(ctx context.Context, ins payments.Instruction, ref string) error
	// Savings is a registration's balance and its last entries, newest first.
	Savings(ctx context.Context, ref string, last int) (balance int64, entries []SavingsEntry, err error)
}

// SavingsMonthDue is the month a balance buys on today, if one is due: the
// first month of a registration awaiting its first payment, or the month
// after the coverage when it ends within SavingsDueDays or has lapsed
// within the arrears window. A sponsored or erased registration buys none,
// nor one whose membership has ended (the worker decides).
func SavingsMonthDue(h SavingsHolder, today time.Time) (from, to time.Time, ok bool) {
	if h.Erased || h.Sponsored {
		return from, to, false
	}
	today = tanggal.Midnight(today)
	if h.CoveredTo.IsZero() {
		if h.Status != StatusAwaitingPayment {
			return from, to, false
		}
		from, to = iuran.FirstCoverage(today, 1)
		return from, to, true
	}
	end := time.Date(h.CoveredTo.Year(), h.CoveredTo.Month(), h.CoveredTo.Day(), 0, 0, 0, 0, today.Location())
	switch iuran.Status(end, today) {
	case iuran.Active:
		if today.AddDate(0, 0, SavingsDueDays).Before(end) {
			return from, to, false
		}
	case iuran.Arrears:
	default:
		return from, to, false
	}
	from, to = iuran.Extend(end, 1, today)
	return from, to, true
}

// savingsPricer prices the month a balance buys (the Engine).
type savingsPricer interface {
	savingsPrice(h SavingsHolder, start time.Time) (PaymentLine, error)
	savingsReplies(h SavingsHolder, credited int64, bought []BoughtMonth) []Reply
	nextMonth(h SavingsHolder) (PaymentLine, bool)
	savingsNow() time.Time
}

func (e *Engine) savingsPrice(h SavingsHolder, start time.Time) (PaymentLine, error) {
	q, err := e.tariffs.Quote(iuran.QuoteRequest{Bracket: h.Bracket, JHT: h.JHT, Months: 1, Start: start, Discounts: e.discounts,
		Sector: iuran.OccupationSector(h.Occupation)})
	if err != nil {
		return PaymentLine{}, fmt.Errorf("price a month of %s: %w", h.Ref, err)
	}
	return lineOf(h.Ref, q), nil
}

// spendSavings buys, from the locked balance, every month due on today it
// covers (a registration in arrears may buy more than one), extending the
// coverage and planning its reminders.
func spendSavings(ctx context.Context, tx interface {
	SavingsTx
	ExtendCoverage(ctx context.Context, it PaidItem, from, to time.Time) error
	PlanJobs(ctx context.Context, jobs []Job) error
}, h *SavingsHolder, paymentID int64, pr savingsPricer, now time.Time, loc *time.Location) ([]BoughtMonth, error) {
	var out []BoughtMonth
	today := tanggal.Midnight(now.In(loc))
	for range 12 {
		from, to, ok := SavingsMonthDue(*h, today)
		if !ok {
			break
		}
		line, err := pr.savingsPrice(*h, from)
		if err != nil {
			return out, err
		}
		if line.Amount > h.Balance {
			break
		}
		m := BoughtMonth{Line: line, From: from, To: to}
		if err := tx.BuySavingsMonth(ctx, h.RegistrationID, paymentID, m); err != nil {
			return out, err
		}
		if err := tx.ExtendCoverage(ctx, PaidItem{RegistrationID: h.RegistrationID, Ref: h.Ref, Months: 1}, from, to); err != nil {
			return out, err
		}
		if err := tx.PlanJobs(ctx, ReminderPlan(h.Ref, to, now, loc)); err != nil {
			return out, err
		}
		h.Balance -= line.Amount
		h.CoveredTo, h.Status = to, StatusActive
		out = append(out, m)
	}
	return out, nil
}

// applyTopUp settles a top-up (step settles it): its amount is credited
// once to the registration's balance, the months due that the balance
// covers are bought, and the chat is told; a top-up for a registration
// erased before the money came is flagged for an admin to refund.
func applyTopUp(ctx context.Context, tx PaymentTx, p StoredPayment, h SavingsHolder, n payments.Notification, step PaymentStep,
	now time.Time, loc *time.Location, notices PaymentNotices) (PaymentResult, error) {
	res := PaymentResult{PaymentID: p.ID, Status: payments.Paid, Outcome: PaymentApplied}
	paidAt := n.PaidAt
	if paidAt.IsZero() {
		paidAt = now
	}
	events, flag := step.Events, step.Flag
	pr, _ := notices.(savingsPricer)
	var bought []BoughtMonth
	if h.Erased {
		res.Outcome, flag = PaymentFlagged, FlagErased
		events = append(events, PaymentEvent{"flagged", fmt.Sprintf("top-up for a registration erased at the worker's request before the money arrived, %d to refund", p.Amount)})
	} else {
		if err := tx.CreditSavings(ctx, h.RegistrationID, p.ID, p.Amount); err != nil {
			return res, err
		}
		h.Balance += p.Amount
		events = append(events, PaymentEvent{"applied", fmt.Sprintf("savings credited %d, balance %d", p.Amount, h.Balance)})
		if pr != nil {
			var err error
			if bought, err = spendSavings(ctx, tx, &h, p.ID, pr, now, loc); err != nil {
				return res, err
			}
		}
		for _, m := range bought {
			events = append(events, PaymentEvent{"savings_month", fmt.Sprintf("%s – %s bought for %d, balance %d",
				m.From.Format(time.DateOnly), m.To.Format(time.DateOnly), m.Line.Amount, h.Balance)})
			res.Coverage = append(res.Coverage, Coverage{Lang: h.Lang, RegistrationRef: h.Ref, Name: h.Name, Channel: h.Channel, ChatID: h.ChatID,
				From: m.From, To: m.To})
		}
	}
	if err := tx.SetPaymentStatus(ctx, p.ID, payments.Paid, flag, n.ProviderRef, paidAt, now); err != nil {
		return res, err
	}
	if pr != nil && !h.Erased && h.Channel != "" {
		if err := tx.SendTo(ctx, h.Channel, h.ChatID, pr.savingsReplies(h, p.Amount, bought)); err != nil {
			return res, err
		}
	}
	return res, tx.RecordPaymentEvents(ctx, p.ID, n, events)
}

// savingsReplies tell a worker a top-up arrived: the month(s) it bought
// with the new end, or how much is still missing, and the balance.
func (e *Engine) savingsReplies(h SavingsHolder, credited int64, bought []BoughtMonth) []Reply {
	lang := h.Lang
	if !e.cat.Supported(lang) {
		lang = "id"
	}
	data := map[string]any{"Name": nama.Display(h.Name), "Amount": rupiahOf(credited), "Balance": rupiahOf(h.Balance)}
	if len(bought) > 0 {
		data["Months"], data["To"] = len(bought), e.cat.Date(lang, bought[len(bought)-1].To)
		text := e.cat.T(lang, "savings.bought", data)
		return []Reply{noticeOf(NoticeMessage, lang, Reply{Text: text, Input: InputNone}), cardReply(e, lang, h.Ref, h.Name)}
	}
	text := e.cat.T(lang, "savings.credited", data)
	if !h.CoveredTo.IsZero() && iuran.Status(h.CoveredTo, e.now().In(e.cfg.Location)) == iuran.Ended {
		// The balance buys no restart: the worker decides (/bayar).
		return []Reply{noticeOf(NoticeMessage, lang, Reply{Text: text + "\n" + e.cat.T(lang, "savings.ended", nil), Input: InputNone})}
	}
	if next, ok := e.nextMonth(h); ok {
		if missing := next.Amount - h.Balance; missing > 0 {
			text += "\n" + e.cat.T(lang, "savings.missing", map[string]any{"Price": rupiahOf(next.Amount), "Missing": rupiahOf(missing)})
		} else if !h.CoveredTo.IsZero() && iuran.Status(h.CoveredTo, e.now().In(e.cfg.Location)) == iuran.Active {
			// Not due yet: bought at the reminder a week before the end.
			text += "\n" + e.cat.T(lang, "savings.enough", map[string]any{"Price": rupiahOf(next.Amount),
				"Date": e.cat.Date(lang, h.CoveredTo.AddDate(0, 0, -SavingsDueDays))})
		}
	}
	return []Reply{noticeOf(NoticeMessage, lang, Reply{Text: text, Input: InputNone})}
}

// nextMonth is the price of the month after a registration's coverage
// (from tomorrow when it has none or it ended).
func (e *Engine) nextMonth(h SavingsHolder) (PaymentLine, bool) {
	if h.Sponsored || h.Erased {
		return PaymentLine{}, false
	}
	today := tanggal.Midnight(e.now().In(e.cfg.Location))
	start := today.AddDate(0, 0, 1)
	if !h.CoveredTo.IsZero() {
		end := time.Date(h.CoveredTo.Year(), h.CoveredTo.Month(), h.CoveredTo.Day(), 0, 0, 0, 0, e.cfg.Location)
		start, _ = iuran.Extend(end, 1, today)
	}
	line, err := e.savingsPrice(h, start)
	return line, err == nil
}

// savable lists the chat's registrations a balance can be saved for: the
// payable ones that pay their own JKK and JKM.
func (t *turn) savable(ctx context.Context) ([]RegistrationView, error) {
	regs, err := t.payable(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(regs, func(r RegistrationView) bool { return r.Sponsor != "" }), nil
}

// startSave answers /tabung and the "Tabung iuran" button.
func (t *turn) startSave(ctx context.Context) error {
	t.s.Pending = ""
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
		t.enter(StDone) // topping up from the start
	}
	regs, err := t.savable(ctx)
	if err != nil {
		return err
	}
	t.s.Data.Saving, t.s.Data.SaveTopUp = true, 0
	switch len(regs) {
	case 0:
		t.s.Data.Saving = false
		return t.askNote(ctx, "savings.none", nil)
	case 1:
		t.s.Data.PayRef = regs[0].Ref
		return t.fire(ctx, EvSave, "")
	}
	return t.fire(ctx, EvPay, "")
}

// savingFor is the registration being topped up.
func (t *turn) savingFor(ctx context.Context) (RegistrationView, bool, error) {
	regs, err := t.savable(ctx)
	if err != nil {
		return RegistrationView{}, false, err
	}
	r, ok := refIn(regs, t.s.Data.PayRef)
	return r, ok, nil
}

// holderOf is a registration of the chat as its balance sees it.
func holderOf(r RegistrationView, balance int64) SavingsHolder {
	return SavingsHolder{Ref: r.Ref, Name: r.Name, Status: r.Status, CoveredTo: r.CoveredTo, Bracket: r.Bracket, JHT: r.JHT,
		Occupation: r.Occupation, Sponsored: r.Sponsor != "", Balance: balance}
}

// saveQuestions are the questions of topping up (see question).
func saveQuestions() map[State]question {
	return map[State]question{
		StSaveAmount: {"sa", (*turn).promptSave, (*turn).answerSave},
		StSaveBank:   {"sb", (*turn).promptSave, (*turn).answerSave},
	}
}

// saveAmounts are the amounts offered as buttons.
var saveAmounts = []int64{5_000, 10_000, 20_000}

func (t *turn) promptSave(ctx context.Context) (Reply, error) {
	reg, ok, err := t.savingFor(ctx)
	if err != nil || !ok {
		return Reply{}, errors.Join(err, errors.New("topping up a registration that is gone"))
	}
	switch t.s.State {
	case StSaveAmount:
		balance, _, err := t.tx.Savings(ctx, reg.Ref, 0)
		if err != nil {
			return Reply{}, err
		}
		var choices []Choice
		for _, a := range saveAmounts {
			choices = append(choices, Choice{Label: rupiahOf(a), Data: "sa:" + strconv.FormatInt(a, 10)})
		}
		data := map[string]any{"Name": nama.Display(reg.Name), "Balance": rupiahOf(balance), "Minimum": rupiahOf(SavingsMinimum)}
		text := ""
		if next, ok := t.nextMonth(holderOf(reg, balance)); ok {
			data["Price"] = rupiahOf(next.Amount)
			if missing := next.Amount - balance; missing > 0 {
				data["Missing"] = rupiahOf(missing)
				text = t.T("savings.amount_missing", data)
				if missing >= SavingsMinimum && !slices.Contains(saveAmounts, missing) {
					choices = append(choices, Choice{Label: t.T("savings.missing_choice", data), Data: "sa:" + strconv.FormatInt(missing, 10)})
				}
			}
		}
		if text == "" {
			text = t.T("savings.amount", data)
		}
		return Reply{Text: text, Choices: choices, Input: InputText}, nil
	case StSaveBank:
		var choices []Choice
		for _, m := range append(append(payments.Methods(), payments.StoreMethods()...), payments.QRIS) {
			if t.s.Data.SaveTopUp < m.Minimum() {
				continue // the store's counter refuses so small an amount
			}
			choices = append(choices, Choice{Label: t.T("bank."+string(m), nil), Data: "sb:" + string(m)})
		}
		return Reply{Text: t.T("savings.bank", map[string]any{"Amount": rupiahOf(t.s.Data.SaveTopUp)}), Choices: choices, Input: InputText}, nil
	}
	return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
}

func (t *turn) answerSave(ctx context.Context) error {
	switch t.s.State {
	case StSaveAmount:
		var amount int64
		var ok bool
		if t.ev.Kind == KindChoice {
			amount, ok = parseRupiah(strings.TrimPrefix(t.ev.Choice, "sa:"))
		} else {
			amount, ok = parseRupiah(t.text())
		}
		switch {
		case !ok:
			return t.askNote(ctx, "savings.amount_unclear", map[string]any{"Minimum": rupiahOf(SavingsMinimum)})
		case amount < SavingsMinimum:
			return t.askNote(ctx, "savings.amount_small", map[string]any{"Minimum": rupiahOf(SavingsMinimum), "Amount": rupiahOf(amount)})
		case amount > SavingsMaximum:
			return t.askNote(ctx, "savings.amount_large", map[string]any{"Maximum": rupiahOf(SavingsMaximum), "Amount": rupiahOf(amount)})
		}
		t.s.Data.SaveTopUp = amount
		return t.fire(ctx, EvNext, "")
	case StSaveBank:
		return t.takeBank(ctx, "sb", t.issueTopUp)
	}
	return fmt.Errorf("not a savings state: %s", t.s.State)
}

// parseRupiah reads an amount typed as "10000", "10.000", "Rp10.000",
// "10rb" or "10 ribu".
func parseRupiah(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "rp"), ".")
	s = strings.NewReplacer(" ", "", ".", "", ",", "").Replace(s)
	unit := int64(1)
	for _, suffix := range []string{"ribu", "rb", "k"} {
		if rest, ok := strings.CutSuffix(s, suffix); ok {
			s, unit = rest, 1000
			break
		}
	}
	if s == "" || len(s) > 10 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n * unit, true
}

// issueTopUp asks the payment provider for a code for the top-up and
// records it, in the chat's transaction.
func (t *turn) issueTopUp(ctx context.Context, bank payments.Method) error {
	reg, ok, err := t.savingFor(ctx)
	if err != nil {
		return err
	}
	if !ok {
		t.enter(StDone)
		return t.askNote(ctx, "savings.none", nil)
	}
	amount := t.s.Data.SaveTopUp
	ins, ok, err := t.payCode(ctx, reg.Ref+"-"+t.newID(), amount, bank)
	if !ok {
		return err
	}
	if err := t.tx.RecordTopUp(ctx, ins, reg.Ref); err != nil {
		return err
	}
	exp := ins.ExpiresAt.In(t.cfg.Location)
	key := "savings.instruction"
	switch ins.Bank.Kind() {
	case "store":
		key = "savings.instruction_store"
	case "qris":
		key = "savings.instruction_qris"
	}
	r := Reply{Text: t.T(key, map[string]any{
		"Total": rupiahOf(ins.Amount), "Bank": t.T("bank."+string(ins.Bank), nil), "Code": ins.VANumber, "Name": nama.Display(reg.Name),
		"Expiry": t.cat.Date(t.s.Lang, exp) + " " + exp.Format("15.04"),
		"Steps":  t.T("pay.steps."+string(ins.Bank), map[string]any{"Code": ins.VANumber, "Biller": ins.BillerCode}),
	}), Input: InputNone}
	if ins.Bank.Kind() == "qris" {
		r.Photo = QRISPhoto(ins.OrderID)
	}
	t.addSandboxHint(&r, ins)
	t.say(r)
	t.s.Data.PayRef, t.s.Data.Saving, t.s.Data.SaveTopUp = "", false, 0
	return t.fire(ctx, EvNext, "")
}

// balance answers /saldo: each savable registration's balance, what is
// missing for its next month, and its last entries.
func (t *turn) balance(ctx context.Context) error {
	t.s.Pending = ""
	regs, err := t.savable(ctx)
	if err != nil {
		return err
	}
	if len(regs) == 0 {
		return t.askNote(ctx, "savings.none", nil)
	}
	var parts []string
	for _, r := range regs {
		bal, entries, err := t.tx.Savings(ctx, r.Ref, 5)
		if err != nil {
			return err
		}
		lines := []string{t.T("savings.balance", map[string]any{"Name": nama.Display(r.Name), "Balance": rupiahOf(bal)})}
		if next, ok := t.nextMonth(holderOf(r, bal)); ok && next.Amount > bal {
			lines = append(lines, t.T("savings.missing", map[string]any{"Price": rupiahOf(next.Amount), "Missing": rupiahOf(next.Amount - bal)}))
		}
		for _, e := range entries {
			lines = append(lines, t.entryLine(e))
		}
		if len(entries) == 0 {
			lines = append(lines, t.T("savings.no_entries", nil))
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	return t.ask(ctx, strings.Join(parts, "\n\n")+"\n"+t.T("savings.how", nil))
}

// entryLine is one ledger entry as /saldo shows it.
func (t *turn) entryLine(e SavingsEntry) string {
	data := map[string]any{"Date": t.cat.Date(t.s.Lang, e.At.In(t.cfg.Location)), "Amount": rupiahOf(max(e.Amount, -e.Amount))}
	switch e.Kind {
	case SavingsMonth:
		data["From"], data["To"] = t.cat.Date(t.s.Lang, e.From), t.cat.Date(t.s.Lang, e.To)
		return t.T("savings.entry_month", data)
	case SavingsRefund:
		return t.T("savings.entry_refund", data)
	}
	return t.T("savings.entry_topup", data)
}

// savingsLine is a registration's balance in /status, "" when it has none.
func (t *turn) savingsLine(ctx context.Context, r RegistrationView) (string, error) {
	if r.Sponsor != "" || r.Status == StatusDeleted {
		return "", nil
	}
	bal, _, err := t.tx.Savings(ctx, r.Ref, 0)
	if err != nil || bal == 0 {
		return "", err
	}
	return t.T("status.savings", map[string]any{"Balance": rupiahOf(bal)}), nil
}

// savingsLeft is what the chat's registrations hold in their balances: on
// /hapus the store flags it for an admin to refund, and the worker is told.
func (t *turn) savingsLeft(ctx context.Context) (int64, error) {
	regs, err := t.tx.Registrations(ctx)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, r := range regs {
		if r.Status == StatusDeleted {
			continue
		}
		bal, _, err := t.tx.Savings(ctx, r.Ref, 0)
		if err != nil {
			return 0, err
		}
		sum += bal
	}
	return sum, nil
}

// Saved is what a savings balance holds, and what it lacks for the next
// month (Price the month's).
type Saved struct{ Balance, Price, Missing int64 }

// SavingsJobTx is what a reminder needs to buy a month from a balance.
type SavingsJobTx interface {
	SavingsTx
	// LockSavings locks a registration with its balance (ok false: erased or unknown).
	LockSavings(ctx context.Context, ref string) (h SavingsHolder, ok bool, err error)
	ExtendCoverage(ctx context.Context, it PaidItem, from, to time.Time) error
}

// remindSavings buys, at a reminder, the month due that a balance topped
// up earlier covers now, and tells the chat (bought true: the reminder is
// not needed); else it says what the balance lacks, for the reminder.
func remindSavings(ctx context.Context, tx JobTx, ref string, loc *time.Location, sp savingsPricer) (Saved, bool, error) {
	if sp == nil {
		return Saved{}, false, nil
	}
	h, ok, err := tx.LockSavings(ctx, ref)
	if err != nil || !ok || h.Balance == 0 {
		return Saved{}, false, err
	}
	credited := h.Balance
	bought, err := spendSavings(ctx, tx, &h, 0, sp, sp.savingsNow(), loc)
	if err != nil {
		return Saved{}, false, err
	}
	if len(bought) > 0 {
		if h.Channel != "" {
			if err := tx.SendTo(ctx, h.Channel, h.ChatID, sp.savingsReplies(h, credited, bought)); err != nil {
				return Saved{}, false, err
			}
		}
		return Saved{}, true, nil
	}
	s := Saved{Balance: h.Balance}
	if next, ok := sp.nextMonth(h); ok && next.Amount > h.Balance {
		s.Price, s.Missing = next.Amount, next.Amount-h.Balance
	}
	return s, false, nil
}

func (e *Engine) savingsNow() time.Time { return e.now() }

// saveFor tops up the registration picked among several (a sponsored one
// has no balance: the question is asked again).
func (t *turn) saveFor(ctx context.Context, r RegistrationView) error {
	if r.Sponsor != "" {
		return t.askNote(ctx, "savings.sponsored", map[string]any{"Sponsor": r.Sponsor})
	}
	return t.fire(ctx, EvSave, "")
}
