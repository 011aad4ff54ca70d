package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/tanggal"
)

// Payment flags: why an admin must look at a payment.
const (
	FlagAmountMismatch = "amount_mismatch"
	FlagRefunded       = "refunded"
	FlagPaidTwice      = "paid_twice" // a sponsor's invoice settled for workers (some or all) covered already
	FlagErased         = "erased"     // money for a registration erased at the worker's request before it arrived
)

// PaymentOutcome says what a notification did.
type PaymentOutcome string

// Outcomes of ApplyPayment.
const (
	PaymentApplied   PaymentOutcome = "applied"   // the payment settled now: coverage extended
	PaymentFlagged   PaymentOutcome = "flagged"   // money arrived but does not match: an admin must look
	PaymentUpdated   PaymentOutcome = "updated"   // the status moved (expired, cancelled, failed, refunded)
	PaymentUnchanged PaymentOutcome = "unchanged" // a duplicate, or a status that would move backwards
)

// ErrUnknownPayment is returned for a notification about an order we never issued.
var ErrUnknownPayment = errors.New("unknown payment")

// StoredPayment is a payment as recorded, locked while a notification is applied.
type StoredPayment struct {
	ID        int64
	Amount    int64
	Status    payments.Status
	Flag      string
	Applied   bool // its coverage was extended (once, ever)
	PayerKind string
	PayerRef  string // "channel:chat" of a worker, "batch:ID" of a sponsor
	AgentID   int64  // the agent who paid (PayerAgent), 0 otherwise
}

// PaymentEvent is one entry of a payment's append-only history.
type PaymentEvent struct{ Kind, Detail string }

// PaymentStep is what a notification does to a stored payment, decided
// before any coverage is touched.
type PaymentStep struct {
	Outcome PaymentOutcome
	// Write Status and Flag; with Paid, the time the money arrived is the
	// notification's (kept as it was when the notification has none).
	SetStatus bool
	Status    payments.Status
	Flag      string
	Paid      bool
	// Settle: the money is in and matches: extend what it pays for, then
	// SettleOutcome says whether an admin must still look.
	Settle bool
	Events []PaymentEvent
}

// DecidePayment is the rule of one notification for a payment: every
// notification is an event; a settlement with the invoiced amount settles
// (once, however often it is repeated); one with another amount is
// flagged for an admin and settles nothing; a status never moves
// backwards (pending after settlement is ignored), and money received
// wins (a settlement after expiry settles). A refund after settlement is
// flagged and leaves the coverage as it was.
func DecidePayment(p StoredPayment, n payments.Notification) PaymentStep {
	events := []PaymentEvent{{"notification", ""}}
	switch {
	case n.Status == payments.Paid && p.Applied:
		return PaymentStep{Outcome: PaymentUnchanged, Events: append(events, PaymentEvent{"ignored", "already applied"})}
	case n.Status == payments.Paid && n.Amount != p.Amount:
		return PaymentStep{Outcome: PaymentFlagged, SetStatus: true, Status: payments.Paid, Flag: FlagAmountMismatch, Paid: true,
			Events: append(events, PaymentEvent{"flagged", fmt.Sprintf("received %d, invoiced %d", n.Amount, p.Amount)})}
	case n.Status == payments.Paid:
		flag := p.Flag
		if flag == FlagAmountMismatch {
			// A wrong amount was seen first; this settlement of the invoiced
			// amount applies it. The flag goes, its event stays in the history.
			flag = ""
			events = append(events, PaymentEvent{"unflagged", "amount_mismatch cleared: the invoiced amount settled"})
		}
		return PaymentStep{Outcome: PaymentApplied, SetStatus: true, Status: payments.Paid, Flag: flag, Paid: true, Settle: true, Events: events}
	case n.Status == payments.Refunded && p.Status == payments.Paid:
		return PaymentStep{Outcome: PaymentUpdated, SetStatus: true, Status: payments.Refunded, Flag: FlagRefunded,
			Events: append(events, PaymentEvent{"flagged", "refunded after settlement: coverage left as it was"})}
	case p.Status == payments.Pending && n.Status != payments.Pending && n.Status != payments.Refunded:
		return PaymentStep{Outcome: PaymentUpdated, SetStatus: true, Status: n.Status, Flag: p.Flag, Events: events}
	default:
		return PaymentStep{Outcome: PaymentUnchanged, Events: append(events, PaymentEvent{"ignored", fmt.Sprintf("%s after %s", n.Status, p.Status)})}
	}
}

// Uncovered is what a settled payment paid for and did not cover: covered
// another way while its invoice was open, or erased at the worker's request.
type Uncovered struct {
	Count  int
	Amount int64
	Refs   []string // the first few references, for the admin
}

// Add counts one more registration left uncovered.
func (u *Uncovered) Add(ref string, amount int64) {
	u.Count++
	u.Amount += amount
	if len(u.Refs) < 20 {
		u.Refs = append(u.Refs, ref)
	}
}

// list names the registrations: the first few, then how many more.
func (u Uncovered) list() string {
	s := strings.Join(u.Refs, ", ")
	if more := u.Count - len(u.Refs); more > 0 {
		s += fmt.Sprintf(", … (%d more)", more)
	}
	return s
}

// SettleOutcome is the rest of the rule once a settled payment's coverage
// is extended: a sponsor's invoice that covered nobody, or only some of its
// workers (the others paid another way meanwhile, or were erased), and a
// payment for registrations erased before the money came, are flagged for
// an admin (the money is to refund or carry over); the flag replaces the
// one DecidePayment set. Either way the history says how many were covered.
func SettleOutcome(sponsor bool, covered int, left Uncovered) (outcome PaymentOutcome, flag string, events []PaymentEvent) {
	outcome = PaymentApplied
	switch {
	case sponsor && covered == 0:
		outcome, flag = PaymentFlagged, FlagPaidTwice
		events = append(events, PaymentEvent{"flagged", "the batch's workers were covered already (or erased at their request): nobody left to cover"})
	case sponsor && left.Count > 0:
		outcome, flag = PaymentFlagged, FlagPaidTwice
		events = append(events, PaymentEvent{"flagged", fmt.Sprintf("%d of the invoice's workers were covered meanwhile (paid another way) or erased at their request, %d for them is to refund or carry over: %s",
			left.Count, left.Amount, left.list())})
	case !sponsor && left.Count > 0:
		outcome, flag = PaymentFlagged, FlagErased
		events = append(events, PaymentEvent{"flagged", fmt.Sprintf("%d registrations were erased at the worker's request before the money arrived, %d for them is to refund: %s",
			left.Count, left.Amount, left.list())})
	}
	return outcome, flag, append(events, PaymentEvent{"applied", fmt.Sprintf("%d registrations", covered)})
}

// Coverage is the protection a registration has after a payment was applied.
type Coverage struct {
	Lang            string // the language of the chat that owns the registration
	RegistrationRef string
	Name            string
	Channel, ChatID string // the chat that owns the registration; "" for an agent's resident not linked yet
	From, To        time.Time
	JHTOnly         bool // a sponsored worker's own JHT, coverage unchanged
	Months          int  // JHTOnly: the months of JHT paid
}

// Covered is what the registration's messages say of it.
func (c Coverage) Covered() Covered {
	return Covered{RegistrationRef: c.RegistrationRef, Name: c.Name, From: c.From, To: c.To, JHTOnly: c.JHTOnly, Months: c.Months}
}

// PaymentResult is what ApplyPayment did.
type PaymentResult struct {
	Outcome   PaymentOutcome
	PaymentID int64
	Status    payments.Status
	Coverage  []Coverage // for an applied payment
}

// PaidItem is one registration a settled payment pays for, locked.
type PaidItem struct {
	RegistrationID  int64
	Ref, Name       string
	Channel, ChatID string // the chat that owns it ("" for a resident no chat owns yet)
	Lang            string
	Months          int
	CoveredFrom     time.Time // zero: never covered
	CoveredTo       time.Time // zero: never covered; a calendar day
	JHTOnly         bool      // a sponsored worker paying their own JHT
	Erased          bool      // erased at the worker's request
	Amount          int64
}

// PayingAgent is the agent who paid, and where to tell them.
type PayingAgent struct {
	Role            string
	Channel, ChatID string // "" once the agent's record was erased at their request
	Lang            string
}

// PaymentStore opens the transaction a payment notification is applied in
// (store.DB).
type PaymentStore interface {
	PaymentAtomically(ctx context.Context, fn func(ctx context.Context, tx PaymentTx) error) error
}

// PaymentTx is what applying a notification needs of its transaction.
type PaymentTx interface {
	// LockPayment loads and locks a payment (ErrUnknownPayment: no such order).
	LockPayment(ctx context.Context, provider, orderID string) (StoredPayment, error)
	// SetPaymentStatus writes a payment's status and flag, the provider's
	// reference when it gives one, and paid/applied times unless zero.
	SetPaymentStatus(ctx context.Context, id int64, status payments.Status, flag, providerRef string, paidAt, appliedAt time.Time) error
	// RecordPaymentEvents appends events, the notification's body kept once on the first.
	RecordPaymentEvents(ctx context.Context, id int64, n payments.Notification, events []PaymentEvent) error
	// PaidItems locks and lists the registrations a payment pays for.
	PaidItems(ctx context.Context, paymentID int64) ([]PaidItem, error)
	// ExtendCoverage makes a registration active from..to (calendar days)
	// with a verification link.
	ExtendCoverage(ctx context.Context, it PaidItem, from, to time.Time) error
	// PlanJobs plans work for later (reminders).
	PlanJobs(ctx context.Context, jobs []Job) error
	// ExtendJHT adds months of a sponsored worker's own JHT from today on
	// (or from the end of what they paid before).
	ExtendJHT(ctx context.Context, regID int64, today time.Time, months int) error
	// LockBatch reads a sponsor's batch and its terms: when its agreement
	// starts (zero: from the payment), for how many months, who pays.
	LockBatch(ctx context.Context, id int64) (sponsor.Batch, error)
	// CoverBatch covers, at once, every registration the payment pays for
	// that is still waiting on today (not covered meanwhile, not erased),
	// and notes the payment on the batch.
	CoverBatch(ctx context.Context, batchID, paymentID int64, from, to, today time.Time, reference string) ([]Coverage, error)
	// BatchWaiting groups a batch's workers waiting for the sponsor (never
	// paid for, or whose protection has ended) by what prices them.
	BatchWaiting(ctx context.Context, id int64) ([]sponsor.Waiting, error)
	// RecordTransfer records a sponsor's transfer of amount for a batch as
	// a settled payment of every waiting worker's months at its price,
	// cancelling an invoice still open for it; it returns the payment's id.
	RecordTransfer(ctx context.Context, batchID, amount int64, prices []sponsor.Price, reference string) (int64, error)
	// AuditAs records what a staff member or agent did.
	AuditAs(ctx context.Context, actor, action, subject, detail string) error
	// UncoveredItems is what the payment paid for beyond the covered references.
	UncoveredItems(ctx context.Context, paymentID int64, covered []string) (Uncovered, error)
	// PayingAgent is the agent of an agent's payment.
	PayingAgent(ctx context.Context, agentID int64) (PayingAgent, error)
	// AgentPaid is what an agent collected in applied payments from..to, and ever.
	AgentPaid(ctx context.Context, agentID int64, from, to time.Time) (inRange, total int64, err error)
	// SendTo queues replies for a chat, delivered after commit.
	SendTo(ctx context.Context, channel, chatID string, replies []Reply) error
	// SavingsTx credits top-ups and buys months from a balance.
	SavingsTx
}

// ApplyPayment applies a verified notification exactly once, in one
// transaction with the payment locked (see DecidePayment), and queues the
// messages of a settlement in it: each covered registration's own chat is
// told in its language, and an agent who paid gets a summary with what
// they collected in the payment's calendar month; so a crash can never
// apply a payment without telling, nor tell twice.
func (e *Engine) ApplyPayment(ctx context.Context, n payments.Notification) (PaymentResult, error) {
	return ApplyPayment(ctx, e.store, n, e.cfg.Location, e.now, e)
}

// ApplyPayment is Engine.ApplyPayment with its parts given: loc is the
// deployment's time zone (coverage dates are calendar days there), now the
// clock, and notices the messages (nil: tell nobody).
func ApplyPayment(ctx context.Context, ps PaymentStore, n payments.Notification, loc *time.Location, now func() time.Time,
	notices PaymentNotices) (PaymentResult, error) {
	var res PaymentResult
	err := ps.PaymentAtomically(ctx, func(ctx context.Context, tx PaymentTx) error {
		p, err := tx.LockPayment(ctx, n.Provider, n.OrderID)
		if err != nil {
			return err
		}
		at := now()
		step := DecidePayment(p, n)
		if step.Settle {
			// A top-up of a savings balance is credited, not covered.
			if h, ok, err := tx.SavingsTopUp(ctx, p.ID); err != nil {
				return err
			} else if ok {
				res, err = applyTopUp(ctx, tx, p, h, n, step, at, loc, notices)
				return err
			}
		}
		res = PaymentResult{PaymentID: p.ID, Status: p.Status, Outcome: step.Outcome}
		events := step.Events
		var paidAt, appliedAt time.Time
		if step.Paid {
			paidAt = n.PaidAt
		}
		if step.Settle {
			if paidAt.IsZero() {
				paidAt = at
			}
			appliedAt = at
			sponsor, left := false, Uncovered{}
			if res.Coverage, sponsor, left, err = cover(ctx, tx, p, n.OrderID, paidAt, at, loc); err != nil {
				return err
			}
			outcome, flag, more := SettleOutcome(sponsor, len(res.Coverage), left)
			if outcome == PaymentFlagged {
				res.Outcome, step.Flag = outcome, flag
			}
			events = append(events, more...)
		}
		if step.SetStatus {
			if err := tx.SetPaymentStatus(ctx, p.ID, step.Status, step.Flag, n.ProviderRef, paidAt, appliedAt); err != nil {
				return err
			}
			res.Status = step.Status
		}
		// Told once the payment counts as applied: an agent's summary sums it.
		if step.Settle && notices != nil {
			if err := tellSettled(ctx, tx, p, paidAt, loc, res.Coverage, notices); err != nil {
				return err
			}
		}
		return tx.RecordPaymentEvents(ctx, p.ID, n, events)
	})
	if err != nil {
		return PaymentResult{}, fmt.Errorf("apply %s: %w", n.OrderID, err)
	}
	return res, nil
}

// cover extends what a settled payment pays for: a sponsor's invoice covers
// its batch's waiting workers at once, from the agreement's start (sponsor
// true); any other payment each of its registrations. left is what it paid
// for and did not cover.
func cover(ctx context.Context, tx PaymentTx, p StoredPayment, orderID string, paidAt, now time.Time, loc *time.Location) (
	cov []Coverage, sponsor bool, left Uncovered, err error) {
	batch, ok := strings.CutPrefix(p.PayerRef, "batch:")
	if !ok || p.PayerKind != PayerSponsor {
		cov, left, err = extendCoverage(ctx, tx, p.ID, paidAt, now, loc)
		return cov, false, left, err
	}
	id, err := strconv.ParseInt(batch, 10, 64)
	if err != nil {
		return nil, true, left, fmt.Errorf("payment %d: batch %q: %w", p.ID, batch, err)
	}
	b, err := tx.LockBatch(ctx, id)
	if err != nil {
		return nil, true, left, err
	}
	from, to := BatchPeriod(b.Start, b.Months, paidAt, loc)
	if cov, err = tx.CoverBatch(ctx, id, p.ID, from, to, tanggal.Midnight(now.In(loc)), orderID); err != nil {
		return nil, true, left, err
	}
	refs := make([]string, len(cov))
	for i, c := range cov {
		refs[i] = c.RegistrationRef
	}
	left, err = tx.UncoveredItems(ctx, p.ID, refs)
	return cov, true, left, err
}

// BatchPeriod is the coverage a sponsor's payment gives its batch: from
// the agreement's start when it has one, else from the day after the
// payment (in loc), for the batch's months.
func BatchPeriod(start time.Time, months int, paidAt time.Time, loc *time.Location) (from, to time.Time) {
	if !start.IsZero() {
		day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
		return iuran.FirstCoverage(day.AddDate(0, 0, -1), months)
	}
	return iuran.FirstCoverage(tanggal.Midnight(paidAt.In(loc)), months)
}

// extendCoverage extends every registration of a settled payment: from the
// day after the payment (first payment), from the day after the current end
// (renewal, or arrears within the window), or anew after the window. A
// sponsored worker's own JHT leaves the coverage as it is; a registration
// erased before the money came stays erased and is left uncovered.
func extendCoverage(ctx context.Context, tx PaymentTx, paymentID int64, paidAt, now time.Time, loc *time.Location) ([]Coverage, Uncovered, error) {
	paidOn := tanggal.Midnight(paidAt.In(loc))
	var erased Uncovered
	items, err := tx.PaidItems(ctx, paymentID)
	if err != nil {
		return nil, erased, err
	}
	out := make([]Coverage, 0, len(items))
	for _, it := range items {
		c := Coverage{Lang: it.Lang, RegistrationRef: it.Ref, Name: it.Name, Channel: it.Channel, ChatID: it.ChatID}
		switch {
		case it.Erased:
			// Nobody is told; the money is to refund.
			erased.Add(it.Ref, it.Amount)
			continue
		case it.JHTOnly:
			if err := tx.ExtendJHT(ctx, it.RegistrationID, tanggal.Midnight(now.In(loc)), it.Months); err != nil {
				return nil, erased, err
			}
			c.From, c.To, c.JHTOnly, c.Months = it.CoveredFrom, it.CoveredTo, true, it.Months
		default:
			if !it.CoveredTo.IsZero() {
				end := time.Date(it.CoveredTo.Year(), it.CoveredTo.Month(), it.CoveredTo.Day(), 0, 0, 0, 0, loc)
				c.From, c.To = iuran.Extend(end, it.Months, paidOn)
			} else {
				c.From, c.To = iuran.FirstCoverage(paidOn, it.Months)
			}
			if err := tx.ExtendCoverage(ctx, it, c.From, c.To); err != nil {
				return nil, erased, err
			}
			if err := tx.PlanJobs(ctx, ReminderPlan(it.Ref, c.To, now, loc)); err != nil {
				return nil, erased, err
			}
		}
		out = append(out, c)
	}
	return out, erased, nil
}

// tellSettled queues the confirmation of each covered registration for the
// chat that owns it, in that chat's language (a registration an agent made
// that no chat owns yet gets none); when an agent paid, the agent's chat
// gets a summary of the payment and of what they collected in the calendar
// month of paidAt (in loc) and ever.
func tellSettled(ctx context.Context, tx PaymentTx, p StoredPayment, paidAt time.Time, loc *time.Location, cov []Coverage,
	notices PaymentNotices) error {
	for _, c := range cov {
		if c.Channel == "" {
			continue
		}
		if err := tx.SendTo(ctx, c.Channel, c.ChatID, notices.PaymentReplies(c.Lang, c.Covered())); err != nil {
			return err
		}
	}
	if p.PayerKind != PayerAgent || p.AgentID == 0 {
		return nil
	}
	a, err := tx.PayingAgent(ctx, p.AgentID)
	if err != nil {
		return err
	}
	// The month is the one of this payment, even for a notification that comes late.
	local := paidAt.In(loc)
	month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	inMonth, total, err := tx.AgentPaid(ctx, p.AgentID, month, month.AddDate(0, 1, 0))
	if err != nil {
		return err
	}
	paid := AgentPaid{Role: a.Role, Amount: p.Amount, CollectedMonth: inMonth, CollectedTotal: total}
	var refs []string
	for _, c := range cov {
		paid.Covered = append(paid.Covered, c.Covered())
		refs = append(refs, about.Registration(c.RegistrationRef))
	}
	if a.ChatID == "" {
		return nil // the agent's record was erased at their request: nobody to tell
	}
	return tx.SendTo(ctx, a.Channel, a.ChatID, quoting(notices.AgentPaymentReplies(a.Lang, paid), refs...))
}
