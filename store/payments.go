package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/sponsor"
)

// Payer kinds.
const (
	PayerWorker  = "worker"
	PayerAgent   = "agent"
	PayerSponsor = "sponsor"
)

// Payment flags: why an admin must look at a payment (flows decides them).
const (
	FlagAmountMismatch = flows.FlagAmountMismatch
	FlagRefunded       = flows.FlagRefunded
	FlagPaidTwice      = flows.FlagPaidTwice
	FlagErased         = flows.FlagErased
)

// StatusActive is a registration whose contribution has been paid.
const StatusActive = flows.StatusActive

// NewPayment is a payment to record when its payment code has been issued.
type NewPayment struct {
	Instruction payments.Instruction
	PayerKind   string
	PayerRef    string
	AgentID     int64 // the agent who pays (PayerAgent), 0 for other payers
	Items       []flows.PaymentLine
}

// CreatePayment stores an issued payment with its items and a "created" event.
// The items' amounts must add up to the payment's.
func (d *DB) CreatePayment(ctx context.Context, p NewPayment) (int64, error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("create payment %s: %w", p.Instruction.OrderID, err)
	}
	defer tx.Rollback() //nolint:errcheck
	id, err := insertPayment(ctx, tx, d.now(), p)
	if err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// RecordPayment stores a payment code issued in a chat, paid by the chat's worker.
func (t *chatTx) RecordPayment(ctx context.Context, p flows.PaymentRecord) error {
	_, err := insertPayment(ctx, t.tx, t.now, NewPayment{Instruction: p.Instruction, PayerKind: PayerWorker,
		PayerRef: t.channel + ":" + t.chatID, Items: p.Lines})
	return err
}

func insertPayment(ctx context.Context, tx txx, now time.Time, p NewPayment) (int64, error) {
	var sum int64
	for _, it := range p.Items {
		sum += it.Amount
	}
	in := p.Instruction
	if len(p.Items) == 0 || sum != in.Amount {
		return 0, fmt.Errorf("create payment %s: items add up to %d, the payment is %d", in.OrderID, sum, in.Amount)
	}
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO payments (order_id, provider, payer_kind, payer_ref, method, amount, status, va_number, biller_code,
			provider_ref, expires_at, created_at, updated_at, qr_string, agent_id)
		VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $11, $12, $13) RETURNING id`,
		in.OrderID, in.Provider, p.PayerKind, p.PayerRef, string(in.Bank), in.Amount, in.VANumber, in.BillerCode, in.ProviderRef,
		nullTime(in.ExpiresAt), now, in.QRString, nullID(p.AgentID))
	if err != nil {
		return 0, fmt.Errorf("create payment %s: %w", in.OrderID, err)
	}
	for _, it := range p.Items {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO payment_items (payment_id, registration_id, months, jkk, jkm, jht, discount, amount)
			SELECT $1, id, $3, $4, $5, $6, $7, $8 FROM registrations WHERE ref = $2 AND deleted_at IS NULL`,
			id, it.RegistrationRef, it.Months, it.JKK, it.JKM, it.JHT, it.Discount, it.Amount)
		if err != nil {
			return 0, fmt.Errorf("create payment %s item %s: %w", in.OrderID, it.RegistrationRef, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return 0, fmt.Errorf("create payment %s: no registration %s", in.OrderID, it.RegistrationRef)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, at, kind, status, amount) VALUES ($1, $2, 'created', 'pending', $3)`,
		id, now, in.Amount); err != nil {
		return 0, fmt.Errorf("create payment %s: %w", in.OrderID, err)
	}
	return id, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Statements of applying a notification (prepared once: see hotQueries).
const (
	qLockPayment = `SELECT id, amount, status, flag, applied_at, payer_kind, payer_ref, coalesce(agent_id, 0) AS agent_id
			FROM payments WHERE order_id = $1 AND provider = $2 FOR UPDATE`
	qSetPaymentStatus = `UPDATE payments SET status = $2, flag = $3, provider_ref = CASE WHEN $4 = '' THEN provider_ref ELSE $4 END,
			paid_at = coalesce($6, paid_at), applied_at = coalesce($7, applied_at), updated_at = $5 WHERE id = $1`
	qPaymentEvents = `INSERT INTO payment_events (payment_id, at, kind, status, amount, detail, raw)
			SELECT $1, $2, k, $3, $4, d, CASE WHEN o = 1 THEN $5::bytea END FROM unnest($6::text[], $7::text[]) WITH ORDINALITY AS e(k, d, o) ORDER BY o`
	qCoveredItems = `
		SELECT i.registration_id, r.ref, r.name, r.channel, r.chat_id, i.months, r.covered_from, r.covered_to, coalesce(s.lang, '') AS lang,
			(i.jkk = 0 AND i.jkm = 0 AND i.jht > 0 AND r.sponsor_batch_id IS NOT NULL) AS jht_only, r.deleted_at IS NOT NULL AS erased, i.amount
		FROM payment_items i JOIN registrations r ON r.id = i.registration_id
		LEFT JOIN sessions s ON s.channel = r.channel AND s.chat_id = r.chat_id
		WHERE i.payment_id = $1 ORDER BY r.id FOR UPDATE OF r`
	qExtendCoverage = `UPDATE registrations SET covered_from = CASE WHEN covered_to IS NOT NULL AND covered_to + 1 = $2::date
			THEN covered_from ELSE $2::date END, covered_to = $3::date, status = $4, updated_at = $5,
			verify_token = coalesce(verify_token, $6) WHERE id = $1`
)

// ErrUnknownPayment is returned for a notification about an order we never issued.
var ErrUnknownPayment = flows.ErrUnknownPayment

type paymentRow struct {
	ID        int64        `db:"id"`
	Amount    int64        `db:"amount"`
	Status    string       `db:"status"`
	Flag      string       `db:"flag"`
	AppliedAt sql.NullTime `db:"applied_at"`
	PayerKind string       `db:"payer_kind"`
	PayerRef  string       `db:"payer_ref"`
	AgentID   int64        `db:"agent_id"`
}

// PaymentAtomically runs fn in one transaction for applying a payment
// notification (see flows.ApplyPayment).
func (d *DB) PaymentAtomically(ctx context.Context, fn func(ctx context.Context, tx flows.PaymentTx) error) error {
	return d.atomically(ctx, func(ctx context.Context, t *opTx) error { return fn(ctx, t) })
}

var _ flows.PaymentStore = (*DB)(nil)

func (t *opTx) LockPayment(ctx context.Context, provider, orderID string) (flows.StoredPayment, error) {
	var p paymentRow
	err := t.tx.GetContext(ctx, &p, qLockPayment, orderID, provider)
	if errors.Is(err, sql.ErrNoRows) {
		return flows.StoredPayment{}, ErrUnknownPayment
	}
	if err != nil {
		return flows.StoredPayment{}, fmt.Errorf("lock payment: %w", err)
	}
	return flows.StoredPayment{ID: p.ID, Amount: p.Amount, Status: payments.Status(p.Status), Flag: p.Flag, Applied: p.AppliedAt.Valid,
		PayerKind: p.PayerKind, PayerRef: p.PayerRef, AgentID: p.AgentID}, nil
}

func (t *opTx) SetPaymentStatus(ctx context.Context, id int64, status payments.Status, flag, providerRef string, paidAt, appliedAt time.Time) error {
	if _, err := t.tx.ExecContext(ctx, qSetPaymentStatus, id, string(status), flag, providerRef, t.now, nullTime(paidAt), nullTime(appliedAt)); err != nil {
		return fmt.Errorf("payment %d status: %w", id, err)
	}
	return nil
}

// RecordPaymentEvents writes the events in one statement; the body is kept
// once, on the first (the notification's).
func (t *opTx) RecordPaymentEvents(ctx context.Context, id int64, n payments.Notification, events []flows.PaymentEvent) error {
	kinds, details := make([]string, len(events)), make([]string, len(events))
	for i, e := range events {
		kinds[i], details[i] = e.Kind, e.Detail
	}
	if _, err := t.tx.ExecContext(ctx, qPaymentEvents, id, t.now, string(n.Status), n.Amount, n.Raw, pq.StringArray(kinds), pq.StringArray(details)); err != nil {
		return fmt.Errorf("payment %d events: %w", id, err)
	}
	return nil
}

func (t *opTx) PaidItems(ctx context.Context, paymentID int64) ([]flows.PaidItem, error) {
	var items []struct {
		RegID   int64        `db:"registration_id"`
		Ref     string       `db:"ref"`
		Name    string       `db:"name"`
		Channel string       `db:"channel"`
		ChatID  string       `db:"chat_id"`
		Months  int          `db:"months"`
		From    sql.NullTime `db:"covered_from"`
		To      sql.NullTime `db:"covered_to"`
		Lang    string       `db:"lang"`
		JHTOnly bool         `db:"jht_only"`
		Erased  bool         `db:"erased"`
		Amount  int64        `db:"amount"`
	}
	if err := t.tx.SelectContext(ctx, &items, qCoveredItems, paymentID); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	out := make([]flows.PaidItem, len(items))
	for i, it := range items {
		out[i] = flows.PaidItem{RegistrationID: it.RegID, Ref: it.Ref, Name: it.Name, Channel: it.Channel, ChatID: it.ChatID, Lang: it.Lang,
			Months: it.Months, CoveredFrom: it.From.Time, CoveredTo: it.To.Time, JHTOnly: it.JHTOnly, Erased: it.Erased, Amount: it.Amount}
	}
	return out, nil
}

// ExtendCoverage writes the new coverage (a renewal keeps the start of the
// coverage it extends) and gives the card its verification token.
func (t *opTx) ExtendCoverage(ctx context.Context, it flows.PaidItem, from, to time.Time) error {
	token, err := newToken()
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, qExtendCoverage,
		it.RegistrationID, from.Format(time.DateOnly), to.Format(time.DateOnly), StatusActive, t.now, token); err != nil {
		return fmt.Errorf("coverage of %s: %w", it.Ref, err)
	}
	return nil
}

func (t *opTx) ExtendJHT(ctx context.Context, regID int64, today time.Time, months int) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE registrations SET jht_self = true, updated_at = $2,
		jht_self_to = (greatest(coalesce(jht_self_to, $3::date - 1), $3::date - 1) + make_interval(months => $4))::date
		WHERE id = $1`, regID, t.now, today.Format(time.DateOnly), months); err != nil {
		return fmt.Errorf("jht of registration %d: %w", regID, err)
	}
	return nil
}

func (t *opTx) LockBatch(ctx context.Context, id int64) (sponsor.Batch, error) {
	return lockBatch(ctx, t.tx, id)
}

func (t *opTx) CoverBatch(ctx context.Context, batchID, paymentID int64, from, to, today time.Time, reference string) ([]flows.Coverage, error) {
	return coverBatch(ctx, t.tx, batchID, paymentID, from, to, today, t.now, reference)
}

func (t *opTx) UncoveredItems(ctx context.Context, paymentID int64, covered []string) (flows.Uncovered, error) {
	return uncoveredItems(ctx, t.tx, paymentID, covered)
}

func (t *opTx) PayingAgent(ctx context.Context, agentID int64) (flows.PayingAgent, error) {
	var a struct {
		Role    string `db:"role"`
		Channel string `db:"channel"`
		ChatID  string `db:"chat_id"`
		Lang    string `db:"lang"`
	}
	if err := t.tx.GetContext(ctx, &a, `SELECT a.role, a.channel, a.chat_id, coalesce(s.lang, '') AS lang
		FROM agents a LEFT JOIN sessions s ON s.channel = a.channel AND s.chat_id = a.chat_id WHERE a.id = $1`, agentID); err != nil {
		return flows.PayingAgent{}, fmt.Errorf("agent %d of the payment: %w", agentID, err)
	}
	return flows.PayingAgent{Role: a.Role, Channel: a.Channel, ChatID: a.ChatID, Lang: a.Lang}, nil
}

func (t *opTx) AgentPaid(ctx context.Context, agentID int64, from, to time.Time) (int64, int64, error) {
	var sum collected
	if err := t.tx.GetContext(ctx, &sum, `
		SELECT coalesce(sum(amount) FILTER (WHERE paid_at >= $2 AND paid_at < $3), 0) AS since, coalesce(sum(amount), 0) AS total
		FROM payments WHERE agent_id = $1 AND status = 'paid' AND applied_at IS NOT NULL`,
		agentID, from, to); err != nil {
		return 0, 0, fmt.Errorf("collections of agent %d: %w", agentID, err)
	}
	return sum.Since, sum.Total, nil
}

// txx is what the payment helpers need of a transaction.
type txx interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// PaymentByCode looks a payment up by provider and payment code (the newest
// one): the virtual account number or store code, else the order id (QRIS);
// ErrUnknownPayment when none has it.
func (d *DB) PaymentByCode(ctx context.Context, provider, code string) (payments.Issued, error) {
	var p struct {
		OrderID string `db:"order_id"`
		Amount  int64  `db:"amount"`
		Status  string `db:"status"`
		Method  string `db:"method"`
	}
	err := d.db.GetContext(ctx, &p, `SELECT order_id, amount, status, method FROM payments WHERE provider = $1
		AND (va_number = $2 OR (va_number = '' AND order_id = $2)) ORDER BY id DESC LIMIT 1`, provider, code)
	if errors.Is(err, sql.ErrNoRows) {
		return payments.Issued{}, ErrUnknownPayment
	}
	if err != nil {
		return payments.Issued{}, fmt.Errorf("payment with code %s: %w", code, err)
	}
	return payments.Issued{OrderID: p.OrderID, Amount: p.Amount, Status: payments.Status(p.Status), Method: payments.Method(p.Method)}, nil
}

// newToken makes an unguessable token for a verification link.
func newToken() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// card is the registration's card as the flows show it.
func (r registrationRow) card() flows.Card {
	return flows.Card{Ref: r.Ref, Name: r.Name, KPJ: r.KPJ, JHT: r.JHT, Status: r.Status,
		CoveredFrom: r.CoveredFrom.Time, CoveredTo: r.CoveredTo.Time, Token: r.VerifyToken.String}
}

// Card loads the card of a registration that has been paid for.
func (d *DB) Card(ctx context.Context, ref string) (flows.Card, error) {
	var c registrationRow
	err := d.db.GetContext(ctx, &c, `SELECT ref, name, kpj, jht OR coalesce(jht_self_to >= $2::date, false) AS jht, status, covered_from, covered_to, verify_token FROM registrations
		WHERE ref = $1 AND verify_token IS NOT NULL AND deleted_at IS NULL`, ref, d.todayDate())
	if errors.Is(err, sql.ErrNoRows) {
		return flows.Card{}, ErrUnknownPayment
	}
	if err != nil {
		return flows.Card{}, fmt.Errorf("card %s: %w", ref, err)
	}
	return c.card(), nil
}

// Verify loads what the public verification page of a card shows, by its token.
func (d *DB) Verify(ctx context.Context, token string) (flows.Card, bool, error) {
	var c registrationRow
	err := d.db.GetContext(ctx, &c, `SELECT ref, name, kpj, jht OR coalesce(jht_self_to >= $2::date, false) AS jht, status, covered_from, covered_to, verify_token FROM registrations
		WHERE verify_token = $1 AND deleted_at IS NULL`, token, d.todayDate())
	if errors.Is(err, sql.ErrNoRows) {
		return flows.Card{}, false, nil
	}
	if err != nil {
		return flows.Card{}, false, fmt.Errorf("verify: %w", err)
	}
	return c.card(), true, nil
}

// DayReport is a day's settlements for the finance officer.
type DayReport struct {
	Settled    int
	Total      int64
	ByChannel  []ReportLine // by the payer's channel (telegram, web, console; sponsor for sponsors)
	ByProvider []ReportLine
	Flagged    []FlaggedPayment // every payment an admin must look at, whatever its day
	Savings    SavingsReport    // the savings balances' day
	AutoDebit  AutoDebitReport  // the auto-debits' day
}

// ReportLine is one total of a report.
type ReportLine struct {
	Key   string `db:"key"`
	Count int    `db:"count"`
	Total int64  `db:"total"`
}

// FlaggedPayment is a payment an admin must look at: flagged, and not
// resolved on the dashboard yet.
type FlaggedPayment struct {
	OrderID  string    `db:"order_id"`
	Provider string    `db:"provider"`
	Status   string    `db:"status"`
	Flag     string    `db:"flag"`
	Amount   int64     `db:"amount"`
	Updated  time.Time `db:"updated_at"`
}

// Report sums the settlements of one calendar day in loc.
func (d *DB) Report(ctx context.Context, day time.Time, loc *time.Location) (DayReport, error) {
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 1)
	var r DayReport
	const settled = `FROM payments WHERE applied_at IS NOT NULL AND paid_at >= $1 AND paid_at < $2`
	if err := d.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(amount), 0) `+settled, from, to).Scan(&r.Settled, &r.Total); err != nil {
		return r, fmt.Errorf("report: %w", err)
	}
	if err := d.db.SelectContext(ctx, &r.ByChannel, `SELECT CASE WHEN payer_kind = 'sponsor' THEN 'sponsor' ELSE split_part(payer_ref, ':', 1) END AS key,
		count(*), sum(amount) AS total `+settled+` GROUP BY 1 ORDER BY 1`, from, to); err != nil {
		return r, fmt.Errorf("report: %w", err)
	}
	if err := d.db.SelectContext(ctx, &r.ByProvider, `SELECT provider AS key, count(*), sum(amount) AS total `+settled+` GROUP BY 1 ORDER BY 1`, from, to); err != nil {
		return r, fmt.Errorf("report: %w", err)
	}
	if err := d.db.SelectContext(ctx, &r.Flagged, `SELECT order_id, provider, status, flag, amount, updated_at FROM payments WHERE flag <> '' AND resolution_id IS NULL ORDER BY updated_at`); err != nil {
		return r, fmt.Errorf("report: %w", err)
	}
	var err error
	if r.Savings, err = savingsReport(ctx, d.db, from, to); err != nil {
		return r, err
	}
	if r.AutoDebit, err = autoDebitReport(ctx, d.db, from, to); err != nil {
		return r, err
	}
	return r, nil
}

// Payments lists the payments for the registrations made in this chat, newest first.
func (t *chatTx) Payments(ctx context.Context) ([]flows.PaymentView, error) {
	var rows []struct {
		Ref       string       `db:"ref"`
		OrderID   string       `db:"order_id"`
		Provider  string       `db:"provider"`
		Status    string       `db:"status"`
		Amount    int64        `db:"amount"`
		Total     int64        `db:"total"`
		Months    int          `db:"months"`
		Bank      string       `db:"method"`
		Code      string       `db:"va_number"`
		Biller    string       `db:"biller_code"`
		QR        string       `db:"qr_string"`
		ExpiresAt sql.NullTime `db:"expires_at"`
		PaidAt    sql.NullTime `db:"paid_at"`
	}
	// An agent's or a sponsor's open code pays for several people at once:
	// only its payer may see it, so of those only settled ones are listed.
	err := t.sel(ctx, &rows, `SELECT r.ref, p.order_id, p.provider, p.status, i.amount, p.amount AS total, i.months, p.method, p.va_number,
			p.biller_code, p.qr_string, p.expires_at, p.paid_at
		FROM payments p JOIN payment_items i ON i.payment_id = p.id JOIN registrations r ON r.id = i.registration_id
		WHERE r.channel = $1 AND r.chat_id = $2 AND (p.payer_kind = 'worker' OR p.status = 'paid') ORDER BY p.id DESC LIMIT 50`, t.channel, t.chatID)
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	out := make([]flows.PaymentView, 0, len(rows))
	for _, r := range rows {
		out = append(out, flows.PaymentView{RegistrationRef: r.Ref, Status: r.Status, Amount: r.Amount, Months: r.Months, Bank: r.Bank,
			Code: r.Code, ExpiresAt: r.ExpiresAt.Time, PaidAt: r.PaidAt.Time,
			Instruction: payments.Instruction{Provider: r.Provider, OrderID: r.OrderID, Bank: payments.Method(r.Bank), VANumber: r.Code,
				BillerCode: r.Biller, QRString: r.QR, Amount: r.Total, ExpiresAt: r.ExpiresAt.Time}})
	}
	return out, nil
}

// CancelPayment marks the chat's own pending payment code cancelled: a code
// for the same registration replaced it. A settlement of it that still
// arrives is applied (money received wins).
func (t *chatTx) CancelPayment(ctx context.Context, orderID, why string) error {
	_, err := t.exec(ctx, `WITH c AS (
			UPDATE payments SET status = 'cancelled', updated_at = $3
			WHERE order_id = $1 AND status = 'pending' AND payer_kind = 'worker' AND payer_ref = $2 RETURNING id)
		INSERT INTO payment_events (payment_id, at, kind, status, detail) SELECT id, $3, 'cancelled', 'cancelled', $4 FROM c`,
		orderID, t.channel+":"+t.chatID, t.now, why)
	if err != nil {
		return fmt.Errorf("cancel payment %s: %w", orderID, err)
	}
	return nil
}

// ExpirePayments marks pending payments whose code expired more than grace
// ago as expired (an event each). A settlement that still arrives later is
// applied: money received wins.
func (d *DB) ExpirePayments(ctx context.Context, grace time.Duration) (int, error) {
	now := d.now()
	var n int
	err := d.db.GetContext(ctx, &n, `WITH e AS (
			UPDATE payments SET status = 'expired', updated_at = $1
			WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at < $2 RETURNING id
		), ev AS (
			INSERT INTO payment_events (payment_id, at, kind, status, detail) SELECT id, $1, 'expired', 'expired', 'payment code expired' FROM e
		) SELECT count(*) FROM e`, now, now.Add(-grace))
	if err != nil {
		return 0, fmt.Errorf("expire payments: %w", err)
	}
	return n, nil
}

// PaymentsToCheck claims up to limit pending payments of a provider older
// than age that nobody asked the provider about for age, and notes that they
// are being asked about now.
func (d *DB) PaymentsToCheck(ctx context.Context, provider string, age time.Duration, limit int) ([]string, error) {
	now := d.now()
	var orders []string
	err := d.db.SelectContext(ctx, &orders, `UPDATE payments SET checked_at = $1 WHERE id IN (
			SELECT id FROM payments WHERE provider = $2 AND status = 'pending' AND created_at < $3
				AND (checked_at IS NULL OR checked_at < $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED
		) RETURNING order_id`, now, provider, now.Add(-age), limit)
	if err != nil {
		return nil, fmt.Errorf("payments to check: %w", err)
	}
	return orders, nil
}

// preparedTx runs the hot statements of a transaction prepared.
type preparedTx struct {
	tx *sqlx.Tx
	d  *DB
}

func (p preparedTx) GetContext(ctx context.Context, dest any, q string, args ...any) error {
	if st, ok := p.d.prepared(q); ok {
		return p.tx.StmtxContext(ctx, st).GetContext(ctx, dest, args...)
	}
	return p.tx.GetContext(ctx, dest, q, args...)
}

func (p preparedTx) SelectContext(ctx context.Context, dest any, q string, args ...any) error {
	if st, ok := p.d.prepared(q); ok {
		return p.tx.StmtxContext(ctx, st).SelectContext(ctx, dest, args...)
	}
	return p.tx.SelectContext(ctx, dest, q, args...)
}

func (p preparedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st, ok := p.d.prepared(q); ok {
		return p.tx.StmtxContext(ctx, st).ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, q, args...)
}

// QRString is the QRIS payload of a payment, "" if it has none.
func (d *DB) QRString(ctx context.Context, orderID string) (string, error) {
	var q string
	err := d.db.GetContext(ctx, &q, `SELECT qr_string FROM payments WHERE order_id = $1`, orderID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrUnknownPayment
	}
	if err != nil {
		return "", fmt.Errorf("qr of %s: %w", orderID, err)
	}
	return q, nil
}
