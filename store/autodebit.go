package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

// AutoDebitAtomically runs fn in one transaction of auto-debit (see
// flows.AutoDebits).
func (d *DB) AutoDebitAtomically(ctx context.Context, fn func(ctx context.Context, tx flows.AutoDebitTx) error) error {
	return d.atomically(ctx, func(ctx context.Context, t *opTx) error { return fn(ctx, t) })
}

var _ flows.AutoDebitStore = (*DB)(nil)

// autoDebits is auto-debit's SQL on a transaction: the payment
// notifications' (opTx) and a chat's (chatTx), so that a chat turn links,
// confirms and stops in its own transaction.
type autoDebits struct {
	tx  txx
	now time.Time
	loc *time.Location
}

func (t *opTx) ad() autoDebits   { return autoDebits{t.tx, t.now, t.d.loc} }
func (t *chatTx) ad() autoDebits { return autoDebits{t.tx, t.now, t.loc} }

var (
	_ flows.AutoDebitTx = (*opTx)(nil)
	_ flows.AutoDebitTx = (*chatTx)(nil)
)

// NewAutoDebit: see flows.AutoDebitTx.
func (t *opTx) NewAutoDebit(ctx context.Context, a flows.AutoDebit) (int64, error) {
	return t.ad().create(ctx, a)
}

// NewAutoDebit: see flows.AutoDebitTx.
func (t *chatTx) NewAutoDebit(ctx context.Context, a flows.AutoDebit) (int64, error) {
	return t.ad().create(ctx, a)
}

// LockAutoDebit: see flows.AutoDebitTx.
func (t *opTx) LockAutoDebit(ctx context.Context, id int64) (flows.AutoDebit, error) {
	return t.ad().lock(ctx, `id = $1`, id)
}

// LockAutoDebit: see flows.AutoDebitTx.
func (t *chatTx) LockAutoDebit(ctx context.Context, id int64) (flows.AutoDebit, error) {
	return t.ad().lock(ctx, `id = $1`, id)
}

// LockAutoDebitBySubscription: see flows.AutoDebitTx.
func (t *opTx) LockAutoDebitBySubscription(ctx context.Context, sub string) (flows.AutoDebit, error) {
	return t.ad().lock(ctx, `subscription_id = $1`, sub)
}

// LockAutoDebitBySubscription: see flows.AutoDebitTx.
func (t *chatTx) LockAutoDebitBySubscription(ctx context.Context, sub string) (flows.AutoDebit, error) {
	return t.ad().lock(ctx, `subscription_id = $1`, sub)
}

// LockAutoDebitsOf: see flows.AutoDebitTx.
func (t *opTx) LockAutoDebitsOf(ctx context.Context, accountID, channel, chatID string) ([]flows.AutoDebit, error) {
	return t.ad().lockOf(ctx, accountID, channel, chatID)
}

// LockAutoDebitsOf: see flows.AutoDebitTx.
func (t *chatTx) LockAutoDebitsOf(ctx context.Context, accountID, channel, chatID string) ([]flows.AutoDebit, error) {
	return t.ad().lockOf(ctx, accountID, channel, chatID)
}

// SaveAutoDebit: see flows.AutoDebitTx.
func (t *opTx) SaveAutoDebit(ctx context.Context, a flows.AutoDebit) error {
	return t.ad().save(ctx, a)
}

// SaveAutoDebit: see flows.AutoDebitTx.
func (t *chatTx) SaveAutoDebit(ctx context.Context, a flows.AutoDebit) error {
	return t.ad().save(ctx, a)
}

// AutoDebitRegistration: see flows.AutoDebitTx.
func (t *opTx) AutoDebitRegistration(ctx context.Context, id int64) (flows.AutoDebitRegistration, error) {
	return t.ad().registration(ctx, id)
}

// AutoDebitRegistration: see flows.AutoDebitTx.
func (t *chatTx) AutoDebitRegistration(ctx context.Context, id int64) (flows.AutoDebitRegistration, error) {
	return t.ad().registration(ctx, id)
}

// RegistrationIDOf: see flows.AutoDebitTx.
func (t *opTx) RegistrationIDOf(ctx context.Context, ref string) (int64, error) {
	return t.ad().registrationID(ctx, ref)
}

// RegistrationIDOf: see flows.AutoDebitTx.
func (t *chatTx) RegistrationIDOf(ctx context.Context, ref string) (int64, error) {
	return t.ad().registrationID(ctx, ref)
}

// RecordCharge: see flows.AutoDebitTx.
func (t *opTx) RecordCharge(ctx context.Context, a flows.AutoDebit, n payments.Notification, line flows.PaymentLine) (bool, error) {
	return t.ad().recordCharge(ctx, a, n, line)
}

// RecordCharge: see flows.AutoDebitTx.
func (t *chatTx) RecordCharge(ctx context.Context, a flows.AutoDebit, n payments.Notification, line flows.PaymentLine) (bool, error) {
	return t.ad().recordCharge(ctx, a, n, line)
}

type autoDebitRow struct {
	ID              int64          `db:"id"`
	RegistrationID  int64          `db:"registration_id"`
	RegistrationRef string         `db:"registration_ref"`
	Channel         string         `db:"channel"`
	ChatID          string         `db:"chat_id"`
	Provider        string         `db:"provider"`
	AccountID       string         `db:"account_id"`
	AccountStatus   string         `db:"account_status"`
	Token           string         `db:"token"`
	SubscriptionID  sql.NullString `db:"subscription_id"`
	Amount          int64          `db:"amount"`
	ChargeDay       sql.NullInt64  `db:"charge_day"`
	FirstCharge     sql.NullTime   `db:"first_charge"`
	Status          string         `db:"status"`
	Failures        int            `db:"failures"`
	StopReason      string         `db:"stop_reason"`
}

func (r autoDebitRow) autoDebit() flows.AutoDebit {
	return flows.AutoDebit{ID: r.ID, RegistrationID: r.RegistrationID, RegistrationRef: r.RegistrationRef, Channel: r.Channel, ChatID: r.ChatID, Provider: r.Provider,
		AccountID: r.AccountID, AccountStatus: r.AccountStatus, Token: r.Token, SubscriptionID: r.SubscriptionID.String, Amount: r.Amount,
		ChargeDay: int(r.ChargeDay.Int64), FirstCharge: r.FirstCharge.Time, Status: flows.AutoDebitStatus(r.Status), Failures: r.Failures,
		StopReason: r.StopReason}
}

const autoDebitColumns = `id, registration_id, (SELECT ref FROM registrations r WHERE r.id = registration_id) AS registration_ref, channel, chat_id, provider, account_id, account_status, token, subscription_id, amount,
	charge_day, first_charge, status, failures, stop_reason`

// create records an auto-debit being linked; flows.ErrDuplicate when the
// registration has one in force.
func (t autoDebits) create(ctx context.Context, a flows.AutoDebit) (int64, error) {
	var id int64
	err := t.tx.GetContext(ctx, &id, `
		INSERT INTO autodebits (registration_id, channel, chat_id, provider, account_id, account_status, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		a.RegistrationID, a.Channel, a.ChatID, a.Provider, a.AccountID, a.AccountStatus, string(a.Status), t.now)
	if isUniqueViolation(err) {
		return 0, fmt.Errorf("auto-debit of registration %d: %w", a.RegistrationID, flows.ErrDuplicate)
	}
	if err != nil {
		return 0, fmt.Errorf("new auto-debit: %w", err)
	}
	return id, nil
}

func (t autoDebits) lock(ctx context.Context, where string, arg any) (flows.AutoDebit, error) {
	var r autoDebitRow
	err := t.tx.GetContext(ctx, &r, `SELECT `+autoDebitColumns+` FROM autodebits WHERE `+where+` FOR UPDATE`, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return flows.AutoDebit{}, flows.ErrNotFound
	}
	if err != nil {
		return flows.AutoDebit{}, fmt.Errorf("lock auto-debit: %w", err)
	}
	return r.autoDebit(), nil
}

// lockOf locks the auto-debits not stopped of an account, of a chat, or
// all ("" for any), in id order.
func (t autoDebits) lockOf(ctx context.Context, accountID, channel, chatID string) ([]flows.AutoDebit, error) {
	var rows []autoDebitRow
	if err := t.tx.SelectContext(ctx, &rows, `SELECT `+autoDebitColumns+` FROM autodebits
		WHERE status <> 'stopped' AND ($1 = '' OR account_id = $1) AND ($2 = '' OR (channel = $2 AND chat_id = $3))
		ORDER BY id FOR UPDATE`, accountID, channel, chatID); err != nil {
		return nil, fmt.Errorf("lock auto-debits: %w", err)
	}
	out := make([]flows.AutoDebit, len(rows))
	for i, r := range rows {
		out[i] = r.autoDebit()
	}
	return out, nil
}

// save writes an auto-debit's state back.
func (t autoDebits) save(ctx context.Context, a flows.AutoDebit) error {
	var day any
	if a.ChargeDay != 0 {
		day = a.ChargeDay
	}
	var sub any
	if a.SubscriptionID != "" {
		sub = a.SubscriptionID
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE autodebits SET account_status = $2, token = $3, subscription_id = $4, amount = $5,
		charge_day = $6, first_charge = $7, status = $8, failures = $9, stop_reason = $10, updated_at = $11 WHERE id = $1`,
		a.ID, a.AccountStatus, a.Token, sub, a.Amount, day, nullTime(a.FirstCharge), string(a.Status), a.Failures, a.StopReason, t.now); err != nil {
		return fmt.Errorf("save auto-debit %d: %w", a.ID, err)
	}
	return nil
}

// registration reads the registration an auto-debit pays.
func (t autoDebits) registration(ctx context.Context, registrationID int64) (flows.AutoDebitRegistration, error) {
	var r struct {
		Ref        string       `db:"ref"`
		Name       string       `db:"name"`
		Bracket    int          `db:"income_bracket"`
		JHT        bool         `db:"jht"`
		Occupation string       `db:"occupation"`
		CoveredTo  sql.NullTime `db:"covered_to"`
		Lang       string       `db:"lang"`
		Sponsored  bool         `db:"sponsored"`
	}
	err := t.tx.GetContext(ctx, &r, `SELECT r.ref, r.name, r.income_bracket, r.jht, r.occupation, r.covered_to,
			coalesce(s.lang, '') AS lang, r.sponsor_batch_id IS NOT NULL AS sponsored
		FROM registrations r LEFT JOIN sessions s ON s.channel = r.channel AND s.chat_id = r.chat_id
		WHERE r.id = $1 AND r.deleted_at IS NULL`, registrationID)
	if errors.Is(err, sql.ErrNoRows) {
		return flows.AutoDebitRegistration{}, fmt.Errorf("registration %d: %w", registrationID, flows.ErrNotFound)
	}
	if err != nil {
		return flows.AutoDebitRegistration{}, fmt.Errorf("auto-debit registration: %w", err)
	}
	out := flows.AutoDebitRegistration{Ref: r.Ref, Name: r.Name, Bracket: r.Bracket, JHT: r.JHT, Occupation: r.Occupation, Lang: r.Lang, Sponsored: r.Sponsored}
	if r.CoveredTo.Valid {
		c := r.CoveredTo.Time
		out.CoveredTo = time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, t.loc)
	}
	return out, nil
}

// registrationID is the id of a live registration (flows.ErrNotFound).
func (t autoDebits) registrationID(ctx context.Context, ref string) (int64, error) {
	var id int64
	err := t.tx.GetContext(ctx, &id, `SELECT id FROM registrations WHERE ref = $1 AND deleted_at IS NULL`, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("registration %s: %w", ref, flows.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("registration %s: %w", ref, err)
	}
	return id, nil
}

// recordCharge records a subscription's charge as the worker's payment of
// its registration, once per order: the auto-debit is locked by the
// caller, so two deliveries of one notification see each other.
func (t autoDebits) recordCharge(ctx context.Context, a flows.AutoDebit, n payments.Notification, line flows.PaymentLine) (bool, error) {
	// Each status a charge reaches is handled once: its first notification,
	// and the end of one that was pending (settled or denied later). The
	// auto-debit's row is locked by the caller, so deliveries of one
	// charge take turns here.
	var id int64
	err := t.tx.GetContext(ctx, &id, `SELECT id FROM payments WHERE order_id = $1`, n.OrderID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		ins := payments.Instruction{Provider: a.Provider, OrderID: n.OrderID, ProviderRef: n.ProviderRef, Bank: payments.Method("gopay"), Amount: line.Amount}
		if id, err = insertPayment(ctx, t.tx, t.now, NewPayment{Instruction: ins, PayerKind: PayerWorker, PayerRef: a.Channel + ":" + a.ChatID,
			Items: []flows.PaymentLine{line}}); err != nil {
			return false, err
		}
	case err != nil:
		return false, fmt.Errorf("charge %s: %w", n.OrderID, err)
	default:
		var seen bool
		if err := t.tx.GetContext(ctx, &seen, `SELECT EXISTS (SELECT 1 FROM payment_events WHERE payment_id = $1 AND kind = 'recurring' AND status = $2)`,
			id, string(n.Status)); err != nil {
			return false, fmt.Errorf("charge %s: %w", n.OrderID, err)
		}
		if seen || n.Status == payments.Pending {
			return false, nil
		}
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, at, kind, status, amount, detail) VALUES ($1, $2, 'recurring', $3, $4, $5)`,
		id, t.now, string(n.Status), n.Amount, "subscription charge "+n.OrderID); err != nil {
		return false, fmt.Errorf("charge %s: %w", n.OrderID, err)
	}
	return true, nil
}

// AutoDebitReport is the auto-debits' day, for the finance officer.
type AutoDebitReport struct {
	Charged      int   `db:"charged"` // subscription charges applied that day (their money is among the day's settlements)
	ChargedTotal int64 `db:"charged_total"`
	Failed       int   `db:"failed"` // charges that failed that day (empty wallet, unlinked account)
	Active       int   `db:"active"` // auto-debits charging, at the end of the day
	Paused       int   `db:"paused"` // paused after a charge failed every retry
}

func autoDebitReport(ctx context.Context, tx txx, from, to time.Time) (AutoDebitReport, error) {
	var r AutoDebitReport
	if err := tx.GetContext(ctx, &r, `SELECT
			count(*) FILTER (WHERE applied_at IS NOT NULL AND paid_at >= $1 AND paid_at < $2) AS charged,
			coalesce(sum(amount) FILTER (WHERE applied_at IS NOT NULL AND paid_at >= $1 AND paid_at < $2), 0) AS charged_total,
			count(*) FILTER (WHERE status = 'failed' AND updated_at >= $1 AND updated_at < $2) AS failed,
			(SELECT count(*) FROM autodebits WHERE status = 'active') AS active,
			(SELECT count(*) FROM autodebits WHERE status = 'paused') AS paused
		FROM payments WHERE method = 'gopay' AND order_id LIKE 'SUBS-%'`, from, to); err != nil {
		return r, fmt.Errorf("report: auto-debit: %w", err)
	}
	return r, nil
}

// autoDebitOf is a registration's auto-debit in force, for its dashboard
// page (Status "" when none).
func autoDebitOf(ctx context.Context, tx txx, registrationID int64) (dashboard.AutoDebit, error) {
	var rows []struct {
		Status string        `db:"status"`
		Amount int64         `db:"amount"`
		Day    sql.NullInt64 `db:"charge_day"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT status, amount, charge_day FROM autodebits WHERE registration_id = $1 AND status <> 'stopped'`,
		registrationID); err != nil {
		return dashboard.AutoDebit{}, fmt.Errorf("auto-debit: %w", err)
	}
	if len(rows) == 0 {
		return dashboard.AutoDebit{}, nil
	}
	return dashboard.AutoDebit{Status: rows[0].Status, Amount: rows[0].Amount, Day: int(rows[0].Day.Int64)}, nil
}
