package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

// The savings balance (tabungan iuran): top-up payments and the
// append-only ledger of savings_entries (0032_savings.sql).

// RecordTopUp stores a top-up code issued in a chat for one of its
// registrations, paid by the chat's worker.
func (t *chatTx) RecordTopUp(ctx context.Context, ins payments.Instruction, ref string) error {
	var id int64
	err := t.get(ctx, &id, `
		INSERT INTO payments (order_id, provider, payer_kind, payer_ref, method, amount, status, va_number, biller_code,
			provider_ref, expires_at, created_at, updated_at, qr_string, savings_registration_id)
		SELECT $1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $11, $12, r.id
		FROM registrations r WHERE r.ref = $13 AND r.channel = $14 AND r.chat_id = $15 AND r.deleted_at IS NULL RETURNING id`,
		ins.OrderID, ins.Provider, PayerWorker, t.channel+":"+t.chatID, string(ins.Bank), ins.Amount, ins.VANumber, ins.BillerCode,
		ins.ProviderRef, nullTime(ins.ExpiresAt), t.now, ins.QRString, ref, t.channel, t.chatID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("record top-up %s: no registration %s in this chat", ins.OrderID, ref)
	}
	if err != nil {
		return fmt.Errorf("record top-up %s: %w", ins.OrderID, err)
	}
	if _, err := t.exec(ctx, `INSERT INTO payment_events (payment_id, at, kind, status, amount, detail) VALUES ($1, $2, 'created', 'pending', $3, 'savings top-up')`,
		id, t.now, ins.Amount); err != nil {
		return fmt.Errorf("record top-up %s: %w", ins.OrderID, err)
	}
	return nil
}

type savingsEntryRow struct {
	At     time.Time    `db:"at"`
	Kind   string       `db:"kind"`
	Amount int64        `db:"amount"`
	From   sql.NullTime `db:"covered_from"`
	To     sql.NullTime `db:"covered_to"`
}

// Savings is the balance of a registration of the chat and its last
// entries, newest first (last 0: the balance only).
func (t *chatTx) Savings(ctx context.Context, ref string, last int) (int64, []flows.SavingsEntry, error) {
	var bal int64
	if err := t.get(ctx, &bal, `SELECT coalesce(sum(e.amount), 0) FROM savings_entries e JOIN registrations r ON r.id = e.registration_id
		WHERE r.ref = $1 AND r.channel = $2 AND r.chat_id = $3`, ref, t.channel, t.chatID); err != nil {
		return 0, nil, fmt.Errorf("savings of %s: %w", ref, err)
	}
	if last <= 0 {
		return bal, nil, nil
	}
	var rows []savingsEntryRow
	if err := t.sel(ctx, &rows, `SELECT e.at, e.kind, e.amount, e.covered_from, e.covered_to
		FROM savings_entries e JOIN registrations r ON r.id = e.registration_id
		WHERE r.ref = $1 AND r.channel = $2 AND r.chat_id = $3 ORDER BY e.id DESC LIMIT $4`, ref, t.channel, t.chatID, last); err != nil {
		return 0, nil, fmt.Errorf("savings of %s: %w", ref, err)
	}
	return bal, entriesOf(rows), nil
}

func entriesOf(rows []savingsEntryRow) []flows.SavingsEntry {
	out := make([]flows.SavingsEntry, len(rows))
	for i, r := range rows {
		out[i] = flows.SavingsEntry{At: r.At, Kind: r.Kind, Amount: r.Amount, From: r.From.Time, To: r.To.Time}
	}
	return out
}

// holderRow is a registration as its balance sees it.
type holderRow struct {
	ID         int64        `db:"id"`
	Ref        string       `db:"ref"`
	Name       string       `db:"name"`
	Channel    string       `db:"channel"`
	ChatID     string       `db:"chat_id"`
	Lang       string       `db:"lang"`
	Status     string       `db:"status"`
	CoveredTo  sql.NullTime `db:"covered_to"`
	Bracket    int          `db:"income_bracket"`
	JHT        bool         `db:"jht"`
	Occupation string       `db:"occupation"`
	Sponsored  bool         `db:"sponsored"`
	Erased     bool         `db:"erased"`
}

const holderColumns = `r.id, r.ref, r.name, r.channel, r.chat_id, coalesce(s.lang, '') AS lang, r.status, r.covered_to, r.income_bracket, r.jht,
			r.occupation, r.sponsor_batch_id IS NOT NULL AS sponsored, r.deleted_at IS NOT NULL AS erased`

// lockHolder runs a query of holderColumns that locks one registration,
// then reads its balance (after the lock: a transaction that held it
// first is seen).
func lockHolder(ctx context.Context, tx txx, q string, arg any) (flows.SavingsHolder, bool, error) {
	var h holderRow
	err := tx.GetContext(ctx, &h, q, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return flows.SavingsHolder{}, false, nil
	}
	if err != nil {
		return flows.SavingsHolder{}, false, fmt.Errorf("savings holder: %w", err)
	}
	bal, err := balanceOf(ctx, tx, h.ID)
	if err != nil {
		return flows.SavingsHolder{}, false, err
	}
	return flows.SavingsHolder{RegistrationID: h.ID, Ref: h.Ref, Name: h.Name, Channel: h.Channel, ChatID: h.ChatID, Lang: h.Lang,
		Status: h.Status, CoveredTo: h.CoveredTo.Time, Bracket: h.Bracket, JHT: h.JHT, Occupation: h.Occupation,
		Sponsored: h.Sponsored, Erased: h.Erased, Balance: bal}, true, nil
}

// SavingsTopUp locks the registration a top-up saves for, with its balance.
func (t *opTx) SavingsTopUp(ctx context.Context, paymentID int64) (flows.SavingsHolder, bool, error) {
	return lockHolder(ctx, t.tx, `SELECT `+holderColumns+`
		FROM payments p JOIN registrations r ON r.id = p.savings_registration_id
		LEFT JOIN sessions s ON s.channel = r.channel AND s.chat_id = r.chat_id
		WHERE p.id = $1 FOR UPDATE OF r`, paymentID)
}

// LockSavings locks a registration not erased, with its balance.
func (t *opTx) LockSavings(ctx context.Context, ref string) (flows.SavingsHolder, bool, error) {
	return lockHolder(ctx, t.tx, `SELECT `+holderColumns+`
		FROM registrations r LEFT JOIN sessions s ON s.channel = r.channel AND s.chat_id = r.chat_id
		WHERE r.ref = $1 AND r.deleted_at IS NULL FOR UPDATE OF r`, ref)
}

func balanceOf(ctx context.Context, tx txx, regID int64) (int64, error) {
	var bal int64
	if err := tx.GetContext(ctx, &bal, `SELECT coalesce(sum(amount), 0) FROM savings_entries WHERE registration_id = $1`, regID); err != nil {
		return 0, fmt.Errorf("balance of registration %d: %w", regID, err)
	}
	return bal, nil
}

// CreditSavings appends a settled top-up's entry; a second credit of the
// same payment is refused by the ledger's unique index.
func (t *opTx) CreditSavings(ctx context.Context, regID, paymentID, amount int64) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO savings_entries (registration_id, at, kind, amount, payment_id) VALUES ($1, $2, $3, $4, $5)`,
		regID, t.now, flows.SavingsTopUp, amount, paymentID); err != nil {
		return fmt.Errorf("credit top-up %d: %w", paymentID, err)
	}
	return nil
}

// BuySavingsMonth appends a month bought; the same period twice is
// refused by the ledger's unique index.
func (t *opTx) BuySavingsMonth(ctx context.Context, regID, paymentID int64, m flows.BoughtMonth) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO savings_entries (registration_id, at, kind, amount, payment_id, covered_from, covered_to,
			jkk, jkm, jht, discount) VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8, $9, $10, $11)`,
		regID, t.now, flows.SavingsMonth, -m.Line.Amount, nullID(paymentID), m.From.Format(time.DateOnly), m.To.Format(time.DateOnly),
		m.Line.JKK, m.Line.JKM, m.Line.JHT, m.Line.Discount); err != nil {
		return fmt.Errorf("buy a month for registration %d: %w", regID, err)
	}
	return nil
}

// eraseSavings flags what is left in the balances of the chat's
// registrations for an admin to refund, as the chat's worker erases them:
// a refund entry takes the balance to zero, and the registration's newest
// settled top-up carries the flag and an event naming the amount (the
// dashboard's and the daily report's list of payments to look at).
func eraseSavings(ctx context.Context, tx txx, now time.Time, channel, chatID string) error {
	// The registrations are locked first and their balances summed after,
	// in statements of their own: a sum read in the locking statement is
	// the one from before a settlement the lock waited for (a top-up just
	// credited, a month just bought), and would refund the wrong amount.
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT r.id FROM registrations r WHERE r.channel = $1 AND r.chat_id = $2 AND r.deleted_at IS NULL
		ORDER BY r.id FOR UPDATE OF r`, channel, chatID); err != nil {
		return fmt.Errorf("savings to refund: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	var left []struct {
		RegID     int64  `db:"registration_id"`
		Ref       string `db:"ref"`
		Balance   int64  `db:"balance"`
		PaymentID int64  `db:"payment_id"`
	}
	if err := tx.SelectContext(ctx, &left, `
		SELECT r.id AS registration_id, r.ref, b.balance, (SELECT max(e.payment_id) FROM savings_entries e
			WHERE e.registration_id = r.id AND e.kind = 'topup') AS payment_id
		FROM registrations r
		CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0) AS balance FROM savings_entries WHERE registration_id = r.id) b
		WHERE r.id = ANY($1) AND b.balance > 0
		ORDER BY r.id`, pq.Int64Array(ids)); err != nil {
		return fmt.Errorf("savings to refund: %w", err)
	}
	for _, l := range left {
		if _, err := tx.ExecContext(ctx, `INSERT INTO savings_entries (registration_id, at, kind, amount, payment_id) VALUES ($1, $2, $3, $4, $5)`,
			l.RegID, now, flows.SavingsRefund, -l.Balance, l.PaymentID); err != nil {
			return fmt.Errorf("refund savings of %s: %w", l.Ref, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET flag = $2, resolution_id = NULL, updated_at = $3 WHERE id = $1`,
			l.PaymentID, flows.FlagSavingsRefund, now); err != nil {
			return fmt.Errorf("refund savings of %s: %w", l.Ref, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, at, kind, status, amount, detail) VALUES ($1, $2, 'flagged', 'paid', $3, $4)`,
			l.PaymentID, now, l.Balance, fmt.Sprintf("savings balance of %d left as the worker erased the registration %s: to refund", l.Balance, l.Ref)); err != nil {
			return fmt.Errorf("refund savings of %s: %w", l.Ref, err)
		}
	}
	return nil
}

// SavingsCheck is a ledger's consistency for a test or an audit: the
// balance of every registration as its entries' sum, and the registrations
// whose balance is negative (there must be none).
func (d *DB) SavingsCheck(ctx context.Context) (balances map[string]int64, negative []string, err error) {
	var rows []struct {
		Ref     string `db:"ref"`
		Balance int64  `db:"balance"`
	}
	if err := d.db.SelectContext(ctx, &rows, `SELECT r.ref, sum(e.amount) AS balance FROM savings_entries e
		JOIN registrations r ON r.id = e.registration_id GROUP BY r.ref ORDER BY r.ref`); err != nil {
		return nil, nil, fmt.Errorf("savings check: %w", err)
	}
	balances = map[string]int64{}
	for _, r := range rows {
		balances[r.Ref] = r.Balance
		if r.Balance < 0 {
			negative = append(negative, r.Ref)
		}
	}
	return balances, negative, nil
}

// savingsHistory adds a registration's ledger entries to a record's
// history (amounts as positive numbers, the kind saying which way) and
// returns its balance.
func savingsHistory(ctx context.Context, tx txx, regID int64, history *[]dashboard.Event) (int64, error) {
	var rows []savingsEntryRow
	if err := tx.SelectContext(ctx, &rows, `SELECT at, kind, amount, covered_from, covered_to FROM savings_entries
		WHERE registration_id = $1 ORDER BY id`, regID); err != nil {
		return 0, fmt.Errorf("savings: %w", err)
	}
	var bal int64
	for _, e := range entriesOf(rows) {
		bal += e.Amount
		text := e.Kind
		if e.Kind == flows.SavingsMonth {
			text += " " + e.From.Format(time.DateOnly) + " – " + e.To.Format(time.DateOnly)
		}
		*history = append(*history, dashboard.Event{At: e.At, Kind: "savings", Text: text, Amount: max(e.Amount, -e.Amount)})
	}
	return bal, nil
}

// SavingsReport is a day's movements of the savings balances: top-ups
// credited (their money is among the day's settlements), months bought
// from balances (no money came in for them that day), balances to refund,
// and what all balances held at the day's end.
type SavingsReport struct {
	TopUps       int   `db:"topups"`
	TopUpTotal   int64 `db:"topup_total"`
	Months       int   `db:"months"`
	MonthsTotal  int64 `db:"months_total"`
	Refunds      int   `db:"refunds"`
	RefundsTotal int64 `db:"refunds_total"`
	Held         int64 `db:"held"`
}

func savingsReport(ctx context.Context, tx txx, from, to time.Time) (SavingsReport, error) {
	var r SavingsReport
	if err := tx.GetContext(ctx, &r, `SELECT
			count(*) FILTER (WHERE kind = 'topup' AND at >= $1) AS topups,
			coalesce(sum(amount) FILTER (WHERE kind = 'topup' AND at >= $1), 0) AS topup_total,
			count(*) FILTER (WHERE kind = 'month' AND at >= $1) AS months,
			coalesce(-sum(amount) FILTER (WHERE kind = 'month' AND at >= $1), 0) AS months_total,
			count(*) FILTER (WHERE kind = 'refund' AND at >= $1) AS refunds,
			coalesce(-sum(amount) FILTER (WHERE kind = 'refund' AND at >= $1), 0) AS refunds_total,
			coalesce(sum(amount), 0) AS held
		FROM savings_entries WHERE at < $2`, from, to); err != nil {
		return r, fmt.Errorf("report: savings: %w", err)
	}
	return r, nil
}
