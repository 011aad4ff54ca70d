package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/sponsor"
)

// BatchSpec is a sponsor's list about to be imported.
type BatchSpec = sponsor.BatchSpec

// Batch is an imported (or importing) sponsor's list.
type Batch = sponsor.Batch

// batchRow is a Batch as scanned, with its counts.
type batchRow struct {
	ID         int64        `db:"id"`
	Sponsor    string       `db:"sponsor"`
	FileName   string       `db:"file_name"`
	FileSHA    string       `db:"file_sha256"`
	JHT        bool         `db:"jht"`
	Months     int          `db:"months"`
	Start      sql.NullTime `db:"start_date"`
	Public     sql.NullBool `db:"public_funds"`
	CreatedBy  string       `db:"created_by"`
	CreatedAt  time.Time    `db:"created_at"`
	UpdatedAt  time.Time    `db:"updated_at"`
	FinishedAt sql.NullTime `db:"finished_at"`
	RowsRead   int          `db:"rows_read"`
	Imported   int          `db:"imported"`
	Attached   int          `db:"attached"`
	Rejected   int          `db:"rejected"`
	PaymentRef string       `db:"payment_ref"`
	PaidAt     sql.NullTime `db:"paid_at"`
	ClaimToken string       `db:"claim_token"`
	Workers    int          `db:"workers"`
	Claimed    int          `db:"claimed"`
	Active     int          `db:"active"`
	Monthly    int64        `db:"monthly"`
}

func (r batchRow) value() Batch {
	return Batch{ID: r.ID, Sponsor: r.Sponsor, FileName: r.FileName, FileSHA: r.FileSHA, JHT: r.JHT, Months: r.Months, Start: r.Start.Time,
		PublicFunds: !r.Public.Valid || r.Public.Bool, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt.Time, RowsRead: r.RowsRead,
		Imported: r.Imported, Attached: r.Attached, Rejected: r.Rejected, PaymentRef: r.PaymentRef, PaidAt: r.PaidAt.Time,
		ClaimToken: r.ClaimToken, Workers: r.Workers, Claimed: r.Claimed, Active: r.Active, Monthly: r.Monthly}
}

// OpenBatch finds the batch of this sponsor and file, or starts a new one;
// created says which.
func (d *DB) OpenBatch(ctx context.Context, s BatchSpec) (b Batch, created bool, err error) {
	if s.Months != 1 && s.Months != 3 && s.Months != 6 && s.Months != 12 {
		return Batch{}, false, fmt.Errorf("open batch: %d months: want 1, 3, 6 or 12", s.Months)
	}
	token, err := newToken()
	if err != nil {
		return Batch{}, false, err
	}
	now := d.now()
	var start any
	if !s.Start.IsZero() {
		start = s.Start.Format(time.DateOnly)
	}
	var id int64
	err = d.db.GetContext(ctx, &id, `INSERT INTO sponsor_batches (sponsor, file_name, file_sha256, jht, months, start_date, created_by,
			created_at, updated_at, claim_token, public_funds)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) ON CONFLICT (sponsor, file_sha256) DO NOTHING RETURNING id`,
		s.Sponsor, s.FileName, s.FileSHA, s.JHT, s.Months, start, s.CreatedBy, now, token, s.PublicFunds)
	created = err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = d.db.GetContext(ctx, &id, `SELECT id FROM sponsor_batches WHERE sponsor = $1 AND file_sha256 = $2`, s.Sponsor, s.FileSHA)
	}
	if err != nil {
		return Batch{}, false, fmt.Errorf("open batch of %s: %w", s.Sponsor, err)
	}
	if created {
		if err := audit(ctx, d.db, now, s.CreatedBy, "sponsor:import", batchSubject(id),
			fmt.Sprintf("sponsor=%s file=%s sha256=%s", s.Sponsor, s.FileName, s.FileSHA)); err != nil {
			return Batch{}, false, err
		}
	}
	b, err = d.BatchByID(ctx, id)
	return b, created, err
}

const qBatchCounts = `
	SELECT b.*, coalesce(c.workers, 0) AS workers, coalesce(c.claimed, 0) AS claimed, coalesce(c.active, 0) AS active,
		coalesce(c.monthly, 0) AS monthly
	FROM sponsor_batches b LEFT JOIN LATERAL (
		SELECT count(*) AS workers, count(*) FILTER (WHERE r.channel <> '') AS claimed,
			count(*) FILTER (WHERE r.covered_from <= $1::date AND r.covered_to >= $1::date) AS active, sum(r.monthly_iuran) AS monthly
		FROM registrations r WHERE r.sponsor_batch_id = b.id AND r.deleted_at IS NULL) c ON true`

// BatchByID is one batch with its counts.
func (d *DB) BatchByID(ctx context.Context, id int64) (Batch, error) {
	var b batchRow
	err := d.db.GetContext(ctx, &b, qBatchCounts+` WHERE b.id = $2`, d.todayDate(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, fmt.Errorf("batch %d: %w", id, flows.ErrNotFound)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("batch %d: %w", id, err)
	}
	return b.value(), nil
}

// Batches lists the batches, newest first, with their counts.
func (d *DB) Batches(ctx context.Context) ([]Batch, error) {
	var rows []batchRow
	if err := d.db.SelectContext(ctx, &rows, qBatchCounts+` ORDER BY b.id DESC`, d.todayDate()); err != nil {
		return nil, fmt.Errorf("batches: %w", err)
	}
	out := make([]Batch, len(rows))
	for i, r := range rows {
		out[i] = r.value()
	}
	return out, nil
}

// todayDate is the calendar date now in the deployment's time zone, "2006-01-02".
func (d *DB) todayDate() string { return d.today(d.now()).Format(time.DateOnly) }

// ImportRows stores rows of a batch in one transaction: COPY into a staging
// table, then one set-based insert of the new NIKs, unlinked (no chat until
// the worker claims), waiting for the sponsor's payment. For the rows whose
// NIK is registered already, decide gets what their registrations are
// (locked until the commit, so it stays true) and returns the lines whose
// registrations the batch pays for from now on. Re-running a chunk inserts
// nothing twice.
func (d *DB) ImportRows(ctx context.Context, b Batch, rows []sponsor.Row, decide func([]sponsor.Existing) []int) (sponsor.Stored, error) {
	var res sponsor.Stored
	if len(rows) == 0 {
		return res, nil
	}
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("import chunk: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	// The batch first, then its registrations, as a payment of the batch
	// locks them: the other writers' chunks go on beside this one, a
	// payment waits for it (or it for the payment), never both.
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM sponsor_batches WHERE id = $1 FOR KEY SHARE`, b.ID); err != nil {
		return res, fmt.Errorf("import chunk: batch %d: %w", b.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_rows (
			line int, ref text, nik_sealed bytea, nik_hash bytea, phone_sealed bytea, phone_hash bytea, name text, birth_date date,
			female boolean, province text, regency text, district text, village text, occupation text, occupation_other text,
			income_bracket int, income_base bigint, monthly_iuran bigint, kpj text, skipped boolean NOT NULL DEFAULT false) ON COMMIT DROP`); err != nil {
		return res, fmt.Errorf("import chunk: staging: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `COPY import_rows (line, ref, nik_sealed, nik_hash, phone_sealed, phone_hash, name, birth_date,
		female, province, regency, district, village, occupation, occupation_other, income_bracket, income_base, monthly_iuran, kpj)
		FROM STDIN`)
	if err != nil {
		return res, fmt.Errorf("import chunk: copy: %w", err)
	}
	for _, w := range rows {
		nikSealed, err := d.vault.SealString(w.NIK)
		if err != nil {
			return res, fmt.Errorf("seal nik: %w", err)
		}
		var phoneSealed, phoneHash any
		if w.Phone != "" {
			s, err := d.vault.SealString(w.Phone)
			if err != nil {
				return res, fmt.Errorf("seal phone: %w", err)
			}
			phoneSealed, phoneHash = s, d.vault.Hash("phone", w.Phone)
		}
		if _, err := stmt.ExecContext(ctx, w.Line, batchRef(b.ID, w.Line), nikSealed, d.vault.Hash("nik", w.NIK), phoneSealed, phoneHash,
			w.Name, w.BirthDate.Format(time.DateOnly), w.Female, w.Province, w.Regency, w.District, w.Village, w.Occupation, w.OccupationOther,
			w.Bracket, w.Base, w.Monthly, w.KPJ); err != nil {
			return res, fmt.Errorf("import chunk: copy line %d: %w", w.Line, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return res, fmt.Errorf("import chunk: copy: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return res, fmt.Errorf("import chunk: copy: %w", err)
	}
	now := d.now()
	// One statement inserts the new ones and marks the rows it left out
	// (registered before, or a worker of this batch erased at their
	// request, whose reference stays); those few are looked up alone.
	// The fast way skips what is there already; a registration committed
	// meanwhile by a chat makes it fail, and then the slower speculative
	// insert (ON CONFLICT) goes row by row.
	insertNew := func(skip string) (int64, error) {
		r, err := tx.ExecContext(ctx, `
			WITH ins AS (
				INSERT INTO registrations (ref, channel, chat_id, nik_sealed, nik_hash, phone_sealed, phone_hash, name, birth_date, female,
					province, regency, district, village, occupation, occupation_other, income_bracket, income_base, jht, monthly_iuran, kpj,
					status, created_at, updated_at, sponsor_batch_id)
				SELECT ref, '', '', nik_sealed, nik_hash, phone_sealed, phone_hash, name, birth_date, female, province, regency, district, village,
					occupation, occupation_other, income_bracket, income_base, $2, monthly_iuran, coalesce(kpj, ''), $3, $4, $4, $1
				FROM import_rows s `+skip+`
				RETURNING ref)
			UPDATE import_rows s SET skipped = true WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.ref = s.ref)`,
			b.ID, b.JHT, flows.StatusAwaitingPayment, now)
		if err != nil {
			return 0, err
		}
		return r.RowsAffected()
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT fast`); err != nil {
		return res, fmt.Errorf("import chunk: insert: %w", err)
	}
	skipped, err := insertNew(`WHERE NOT EXISTS (SELECT 1 FROM registrations r WHERE r.nik_hash = s.nik_hash)
					AND NOT EXISTS (SELECT 1 FROM registrations r WHERE r.ref = s.ref)`)
	if isUniqueViolation(err) {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT fast`); err != nil {
			return res, fmt.Errorf("import chunk: insert: %w", err)
		}
		skipped, err = insertNew(`ON CONFLICT DO NOTHING`)
	}
	if err != nil {
		return res, fmt.Errorf("import chunk: insert: %w", err)
	}
	res.Imported = len(rows) - int(skipped)
	var found []existingRow
	if skipped > 0 {
		if err := tx.SelectContext(ctx, &found, `
			SELECT s.line, coalesce(r.sponsor_batch_id = $1, false) AS this_batch, coalesce(r.sponsor_batch_id <> $1, false) AS other_batch,
				coalesce(r.covered_to >= $2::date, false) AS protected, r.deleted_at IS NOT NULL AS erased
			FROM import_rows s JOIN registrations r ON r.nik_hash = s.nik_hash
			WHERE s.skipped ORDER BY s.line FOR NO KEY UPDATE OF r`, b.ID, d.todayDate()); err != nil {
			return res, fmt.Errorf("import chunk: registered already: %w", err)
		}
	}
	existing := make([]sponsor.Existing, len(found))
	for i, f := range found {
		existing[i] = sponsor.Existing(f)
	}
	if attach := decide(existing); len(attach) > 0 {
		lines := make([]int64, len(attach))
		for i, l := range attach {
			lines[i] = int64(l)
		}
		r, err := tx.ExecContext(ctx, `
			WITH a AS (
				UPDATE registrations r SET sponsor_batch_id = $1, updated_at = $3
				FROM import_rows s WHERE s.skipped AND s.line = ANY($2::int[]) AND r.nik_hash = s.nik_hash
				RETURNING r.ref)
			INSERT INTO audit_log (at, actor, action, subject, detail)
			SELECT $3, $4, 'sponsor:attach', a.ref, 'batch=' || $1 FROM a`, b.ID, pq.Array(lines), now, b.CreatedBy)
		if err != nil {
			return res, fmt.Errorf("import chunk: attach: %w", err)
		}
		n, _ := r.RowsAffected()
		res.Attached = int(n)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sponsor_batches SET imported = imported + $2, attached = attached + $3, updated_at = $4 WHERE id = $1`,
		b.ID, res.Imported, res.Attached, now); err != nil {
		return res, fmt.Errorf("import chunk: counts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("import chunk: commit: %w", err)
	}
	return res, nil
}

// existingRow is a sponsor.Existing as scanned.
type existingRow struct {
	Line       int  `db:"line"`
	ThisBatch  bool `db:"this_batch"`
	OtherBatch bool `db:"other_batch"`
	Protected  bool `db:"protected"`
	Erased     bool `db:"erased"`
}

// batchRef is the reference of a worker imported from a batch: stable for
// the same line of the same batch, so a re-run can never insert it twice.
func batchRef(batch int64, line int) string {
	return "LS" + strconv.FormatInt(batch, 10) + "-" + strconv.Itoa(line)
}

// FinishBatch records that the whole file was read.
func (d *DB) FinishBatch(ctx context.Context, id int64, rowsRead, rejected int) error {
	_, err := d.db.ExecContext(ctx, `UPDATE sponsor_batches SET finished_at = $2, rows_read = $3, rejected = $4, updated_at = $2 WHERE id = $1`,
		id, d.now(), rowsRead, rejected)
	if err != nil {
		return fmt.Errorf("finish batch %d: %w", id, err)
	}
	return nil
}

// lockBatch reads a batch and locks it for the transaction.
func lockBatch(ctx context.Context, tx txx, id int64) (Batch, error) {
	var b batchRow
	err := tx.GetContext(ctx, &b, `SELECT *, 0 AS workers, 0 AS claimed, 0 AS active, 0 AS monthly FROM sponsor_batches WHERE id = $1 FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, fmt.Errorf("batch %d: %w", id, flows.ErrNotFound)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("batch %d: %w", id, err)
	}
	return b.value(), nil
}

// batchWaiting groups a batch's workers waiting for the sponsor (never
// paid for, or whose protection has ended) by what prices them: bracket and
// occupation; today is "2006-01-02" in the deployment's zone.
func batchWaiting(ctx context.Context, tx txx, b Batch, today string) ([]sponsor.Waiting, error) {
	var rows []struct {
		Bracket    int    `db:"income_bracket"`
		Occupation string `db:"occupation"`
		Workers    int    `db:"workers"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT income_bracket, occupation, count(*) AS workers FROM registrations
		WHERE sponsor_batch_id = $1 AND deleted_at IS NULL AND (covered_to IS NULL OR covered_to < $2::date)
		GROUP BY income_bracket, occupation ORDER BY income_bracket, occupation`, b.ID, today); err != nil {
		return nil, fmt.Errorf("batch %d: waiting: %w", b.ID, err)
	}
	out := make([]sponsor.Waiting, len(rows))
	for i, r := range rows {
		out[i] = sponsor.Waiting{Bracket: r.Bracket, Occupation: r.Occupation, Workers: r.Workers}
	}
	return out, nil
}

// sameWaiting reports whether prices were made for exactly the workers
// waiting now.
func sameWaiting(prices []sponsor.Price, waiting []sponsor.Waiting) bool {
	if len(prices) != len(waiting) {
		return false
	}
	for i, p := range prices {
		if p.Waiting != waiting[i] {
			return false
		}
	}
	return true
}

// insertBatchItems adds an item per worker of the batch waiting for the
// sponsor, at the price of its bracket and occupation.
func insertBatchItems(ctx context.Context, tx txx, b Batch, payID int64, today string, prices []sponsor.Price) error {
	n := len(prices)
	brackets, occupations := make([]int64, n), make([]string, n)
	jkk, jkm, jht, discount, amount := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, p := range prices {
		brackets[i], occupations[i] = int64(p.Bracket), p.Occupation
		jkk[i], jkm[i], jht[i], discount[i], amount[i] = p.JKK, p.JKM, p.JHT, p.Discount, p.Amount
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO payment_items (payment_id, registration_id, months, jkk, jkm, jht, discount, amount)
		SELECT $1, r.id, $3::int, p.jkk, p.jkm, p.jht, p.discount, p.amount
		FROM registrations r JOIN unnest($5::int[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
			AS p (bracket, occupation, jkk, jkm, jht, discount, amount) ON p.bracket = r.income_bracket AND p.occupation = r.occupation
		WHERE r.sponsor_batch_id = $2 AND r.deleted_at IS NULL AND (r.covered_to IS NULL OR r.covered_to < $4::date)`,
		payID, b.ID, b.Months, today, pq.Array(brackets), pq.Array(occupations), pq.Array(jkk), pq.Array(jkm), pq.Array(jht),
		pq.Array(discount), pq.Array(amount)); err != nil {
		return fmt.Errorf("batch %d: items: %w", b.ID, err)
	}
	return nil
}

// coverBatch protects, in one statement, every registration a batch's
// payment pays for that is still waiting on today (coverage gained
// meanwhile is kept, an erased registration stays erased), from..to, and
// notes the payment's reference on the batch.
func coverBatch(ctx context.Context, tx txx, batchID, payID int64, from, to, today, now time.Time, reference string) ([]flows.Coverage, error) {
	var rows []struct {
		Ref     string `db:"ref"`
		Name    string `db:"name"`
		Channel string `db:"channel"`
		ChatID  string `db:"chat_id"`
		Lang    string `db:"lang"`
	}
	if err := tx.SelectContext(ctx, &rows, `
		WITH c AS (
			UPDATE registrations r SET covered_from = $2::date, covered_to = $3::date, status = $4, updated_at = $5,
				verify_token = coalesce(verify_token, replace(gen_random_uuid()::text, '-', ''))
			FROM payment_items i WHERE i.payment_id = $1 AND i.registration_id = r.id
				-- only those still waiting: coverage gained meanwhile (the worker paid) is kept,
				-- and a registration erased at the worker's request stays erased
				AND (r.covered_to IS NULL OR r.covered_to < $6::date) AND r.deleted_at IS NULL
			RETURNING r.ref, r.name, r.channel, r.chat_id)
		SELECT c.*, coalesce(s.lang, '') AS lang FROM c LEFT JOIN sessions s ON s.channel = c.channel AND s.chat_id = c.chat_id`,
		payID, from.Format(time.DateOnly), to.Format(time.DateOnly), flows.StatusActive, now, today.Format(time.DateOnly)); err != nil {
		return nil, fmt.Errorf("batch %d: coverage: %w", batchID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sponsor_batches SET payment_ref = CASE WHEN payment_ref = '' THEN $2 ELSE payment_ref || ', ' || $2 END,
		paid_at = coalesce(paid_at, $3), updated_at = $3 WHERE id = $1`, batchID, reference, now); err != nil {
		return nil, fmt.Errorf("batch %d: %w", batchID, err)
	}
	out := make([]flows.Coverage, 0, len(rows))
	for _, r := range rows {
		out = append(out, flows.Coverage{Lang: r.Lang, RegistrationRef: r.Ref, Name: r.Name, Channel: r.Channel, ChatID: r.ChatID, From: from, To: to})
	}
	return out, nil
}

// uncoveredItems is what a payment paid for beyond the covered references.
func uncoveredItems(ctx context.Context, tx txx, payID int64, covered []string) (flows.Uncovered, error) {
	var u flows.Uncovered
	var rows []struct {
		Ref    string `db:"ref"`
		Amount int64  `db:"amount"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT r.ref, i.amount FROM payment_items i JOIN registrations r ON r.id = i.registration_id
		WHERE i.payment_id = $1 AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS c(ref) WHERE c.ref = r.ref) ORDER BY r.id`,
		payID, pq.StringArray(covered)); err != nil {
		return u, fmt.Errorf("payment %d: uncovered items: %w", payID, err)
	}
	for _, r := range rows {
		u.Add(r.Ref, r.Amount)
	}
	return u, nil
}

// BatchPayment is a payment for a batch, as `lindungi sponsor show` lists it.
type BatchPayment struct {
	OrderID  string    `db:"order_id"`
	Provider string    `db:"provider"`
	Status   string    `db:"status"`
	Flag     string    `db:"flag"`
	Amount   int64     `db:"amount"`
	Workers  int       `db:"workers"`
	PaidAt   time.Time `db:"-"`
	Note     string    `db:"note"` // why it is flagged, when it is
}

// batchPaymentRow is BatchPayment as scanned.
type batchPaymentRow struct {
	BatchPayment
	PaidAt sql.NullTime `db:"paid_at"`
}

func (r batchPaymentRow) value() BatchPayment {
	v := r.BatchPayment
	v.PaidAt = r.PaidAt.Time
	return v
}

// BatchPayments lists a batch's payments, oldest first.
func (d *DB) BatchPayments(ctx context.Context, id int64) ([]BatchPayment, error) {
	var rows []batchPaymentRow
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT p.order_id, p.provider, p.status, p.flag, p.amount, p.paid_at,
			(SELECT count(*) FROM payment_items i WHERE i.payment_id = p.id) AS workers,
			CASE WHEN p.flag = '' THEN '' ELSE coalesce((SELECT e.detail FROM payment_events e
				WHERE e.payment_id = p.id AND e.kind = 'flagged' ORDER BY e.id DESC LIMIT 1), '') END AS note
		FROM payments p WHERE p.payer_kind = 'sponsor' AND p.payer_ref = $1 ORDER BY p.id`, batchSubject(id)); err != nil {
		return nil, fmt.Errorf("batch %d: payments: %w", id, err)
	}
	out := make([]BatchPayment, len(rows))
	for i, r := range rows {
		out[i] = r.value()
	}
	return out, nil
}

// batchSubject names a batch in the audit log, and is a sponsor payment's
// payer_ref: the batch it pays for.
func batchSubject(id int64) string { return "batch:" + strconv.FormatInt(id, 10) }

// BatchWaiting reads a batch and its workers waiting for the sponsor, by
// what prices them.
func (d *DB) BatchWaiting(ctx context.Context, id int64) (Batch, []sponsor.Waiting, error) {
	b, err := d.BatchByID(ctx, id)
	if err != nil {
		return Batch{}, nil, err
	}
	w, err := batchWaiting(ctx, d.db, b, d.todayDate())
	return b, w, err
}

// BatchInvoiceOpen reports whether a code for batch id is still open.
func (d *DB) BatchInvoiceOpen(ctx context.Context, id int64) (bool, error) {
	var open bool
	if err := d.db.GetContext(ctx, &open, `SELECT EXISTS (SELECT 1 FROM payments WHERE payer_kind = 'sponsor' AND payer_ref = $1 AND status = 'pending')`,
		batchSubject(id)); err != nil {
		return false, fmt.Errorf("batch %d: open invoice: %w", id, err)
	}
	return open, nil
}

// InvoiceBatch records the payment code a provider issued for a batch: one
// payment, an item per worker not yet paid for. It refuses a code whose
// amount no longer matches what is due (workers were added meanwhile).
// When the provider's notification settles it, every worker is protected
// at once (ApplyNotification).
func (d *DB) InvoiceBatch(ctx context.Context, id int64, ins payments.Instruction, prices []sponsor.Price, actor string) error {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("invoice batch %d: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck
	b, err := lockBatch(ctx, tx, id)
	if err != nil {
		return err
	}
	var open int
	if err := tx.GetContext(ctx, &open, `SELECT count(*) FROM payments WHERE payer_kind = 'sponsor' AND payer_ref = $1 AND status = 'pending'`,
		batchSubject(id)); err != nil {
		return fmt.Errorf("invoice batch %d: %w", id, err)
	}
	if open > 0 {
		return fmt.Errorf("invoice batch %d: an invoice for it is still open: pay it or let it expire first: %w", id, flows.ErrRefused)
	}
	waiting, err := batchWaiting(ctx, tx, b, d.todayDate())
	if err != nil {
		return err
	}
	var due int64
	for _, p := range prices {
		due += p.Amount * int64(p.Workers)
	}
	if !sameWaiting(prices, waiting) || due != ins.Amount {
		return fmt.Errorf("invoice batch %d: the workers waiting changed, or the code (%d) is not what is due (%d): issue it again", id, ins.Amount, due)
	}
	now := d.now()
	var payID int64
	if err := tx.GetContext(ctx, &payID, `
		INSERT INTO payments (order_id, provider, payer_kind, payer_ref, method, amount, status, va_number, biller_code, provider_ref,
			expires_at, created_at, updated_at, qr_string)
		VALUES ($1, $2, 'sponsor', $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $10, $11) RETURNING id`,
		ins.OrderID, ins.Provider, batchSubject(id), string(ins.Bank), ins.Amount, ins.VANumber, ins.BillerCode, ins.ProviderRef,
		nullTime(ins.ExpiresAt), now, ins.QRString); err != nil {
		return fmt.Errorf("invoice batch %d: %w", id, err)
	}
	if err := insertBatchItems(ctx, tx, b, payID, d.todayDate(), prices); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, at, kind, status, amount, detail) VALUES ($1, $2, 'created', 'pending', $3, $4)`,
		payID, now, ins.Amount, "sponsor batch "+strconv.FormatInt(id, 10)); err != nil {
		return fmt.Errorf("invoice batch %d: %w", id, err)
	}
	if err := audit(ctx, tx, now, actor, "sponsor:invoice", batchSubject(id), fmt.Sprintf("order=%s amount=%d", ins.OrderID, ins.Amount)); err != nil {
		return err
	}
	return tx.Commit()
}

// RecordTransfer records a sponsor's transfer for a batch as a settled and
// applied payment of its waiting workers' months (see flows.PaySponsorBatch).
func (t *opTx) RecordTransfer(ctx context.Context, batchID, amount int64, prices []sponsor.Price, reference string) (int64, error) {
	b, err := lockBatch(ctx, t.tx, batchID)
	if err != nil {
		return 0, err
	}
	// An invoice still open for the batch is void now: paying it too would
	// pay twice (if it is paid anyway, its settlement covers nobody and is flagged).
	if _, err := t.tx.ExecContext(ctx, `UPDATE payments SET status = 'cancelled', updated_at = $2
		WHERE payer_kind = 'sponsor' AND payer_ref = $1 AND status = 'pending'`, batchSubject(batchID), t.now); err != nil {
		return 0, fmt.Errorf("pay batch %d: %w", batchID, err)
	}
	suffix, err := newToken()
	if err != nil {
		return 0, err
	}
	var payID int64
	if err := t.tx.GetContext(ctx, &payID, `
		INSERT INTO payments (order_id, provider, payer_kind, payer_ref, method, amount, status, provider_ref, paid_at, applied_at, created_at, updated_at)
		VALUES ($1, 'external', 'sponsor', $2, 'transfer', $3, 'paid', $4, $5, $5, $5, $5) RETURNING id`,
		fmt.Sprintf("SP%d-T%s", batchID, suffix[:8]), batchSubject(batchID), amount, reference, t.now); err != nil {
		return 0, fmt.Errorf("pay batch %d: %w", batchID, err)
	}
	if err := insertBatchItems(ctx, t.tx, b, payID, t.d.todayDate(), prices); err != nil {
		return 0, err
	}
	return payID, nil
}

func (t *opTx) BatchWaiting(ctx context.Context, id int64) ([]sponsor.Waiting, error) {
	b, err := lockBatch(ctx, t.tx, id)
	if err != nil {
		return nil, err
	}
	return batchWaiting(ctx, t.tx, b, t.d.todayDate())
}

// BatchCode is a claim code to print for one worker of a batch.
type BatchCode struct {
	Ref, Name, Code string
}

// BatchClaimCodes makes a single-use claim code, valid until expires, for
// every worker of a batch who has not linked their chat yet (an earlier
// unused code of theirs stops working), for the sponsor to print and hand
// out. Only the codes' keyed hashes are kept.
func (d *DB) BatchClaimCodes(ctx context.Context, id int64, expires time.Time, actor string) ([]BatchCode, error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim codes of batch %d: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck
	if _, err := lockBatch(ctx, tx, id); err != nil {
		return nil, err
	}
	var regs []struct {
		ID   int64  `db:"id"`
		Ref  string `db:"ref"`
		Name string `db:"name"`
	}
	if err := tx.SelectContext(ctx, &regs, `SELECT id, ref, name FROM registrations
		WHERE sponsor_batch_id = $1 AND channel = '' AND deleted_at IS NULL ORDER BY id`, id); err != nil {
		return nil, fmt.Errorf("claim codes of batch %d: %w", id, err)
	}
	now := d.now()
	out := make([]BatchCode, 0, len(regs))
	ids := make([]int64, 0, len(regs))
	hashes := make([][]byte, 0, len(regs))
	for _, r := range regs {
		code, err := newClaimCode()
		if err != nil {
			return nil, err
		}
		out = append(out, BatchCode{Ref: r.Ref, Name: r.Name, Code: code})
		ids = append(ids, r.ID)
		hashes = append(hashes, d.vault.Hash("claim", code))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE claim_codes SET used_at = $2, used_by = 'replaced'
		WHERE registration_id = ANY($1) AND used_at IS NULL`, pq.Array(ids), now); err != nil {
		return nil, fmt.Errorf("claim codes of batch %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO claim_codes (code_hash, registration_id, sponsor_batch_id, created_at, expires_at)
		SELECT h, r, $3, $4, $5 FROM unnest($1::bytea[], $2::bigint[]) AS c(h, r)`, pq.Array(hashes), pq.Array(ids), id, now, expires); err != nil {
		return nil, fmt.Errorf("claim codes of batch %d: %w", id, err)
	}
	if err := audit(ctx, tx, now, actor, "sponsor:claim_codes", batchSubject(id),
		fmt.Sprintf("codes=%d expires=%s", len(out), expires.UTC().Format(time.RFC3339))); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}
