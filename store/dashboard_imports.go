package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/sponsor"
)

// uploadRow is a sponsor.Upload as scanned.
type uploadRow struct {
	ID         int64         `db:"id"`
	CreatedBy  string        `db:"created_by"`
	CreatedAt  time.Time     `db:"created_at"`
	FileName   string        `db:"file_name"`
	FileSHA    string        `db:"file_sha256"`
	FileSize   int64         `db:"file_size"`
	Lang       string        `db:"lang"`
	Sponsor    string        `db:"sponsor"`
	Public     bool          `db:"public_funds"`
	JHT        bool          `db:"jht"`
	Months     int           `db:"months"`
	Start      sql.NullTime  `db:"start_date"`
	Status     string        `db:"status"`
	Read       int           `db:"rows_read"`
	Valid      int           `db:"rows_valid"`
	Before     sql.NullInt64 `db:"before_batch"`
	StartedBy  string        `db:"started_by"`
	StartedAt  sql.NullTime  `db:"started_at"`
	Runs       int           `db:"runs"`
	Done       int           `db:"rows_done"`
	BatchID    sql.NullInt64 `db:"batch_id"`
	Imported   int           `db:"imported"`
	Attached   int           `db:"attached"`
	Active     int           `db:"active"`
	Other      int           `db:"other"`
	Rejected   int           `db:"rejected"`
	FinishedAt sql.NullTime  `db:"finished_at"`
	Error      string        `db:"error"`
	File       []byte        `db:"file_sealed"`
}

func (r uploadRow) value() sponsor.Upload {
	u := sponsor.Upload{ID: r.ID, Size: r.FileSize, Lang: r.Lang, Status: r.Status, CreatedAt: r.CreatedAt, Read: r.Read, Valid: r.Valid,
		Before: r.Before.Int64, StartedBy: r.StartedBy, StartedAt: r.StartedAt.Time, Runs: r.Runs, Done: r.Done, BatchID: r.BatchID.Int64,
		FinishedAt: r.FinishedAt.Time, Error: r.Error,
		Spec: sponsor.BatchSpec{Sponsor: r.Sponsor, FileName: r.FileName, FileSHA: r.FileSHA, JHT: r.JHT, Months: r.Months, Start: r.Start.Time,
			CreatedBy: r.CreatedBy, PublicFunds: r.Public},
		Result: sponsor.UploadResult{Read: r.Read, Imported: r.Imported, Attached: r.Attached, Active: r.Active, Other: r.Other, Rejected: r.Rejected}}
	if r.Status != sponsor.UploadChecked {
		u.Before = 0 // its own batch, once it runs
	}
	return u
}

// qUploads reads uploads without their file and reports; the batch the
// same sponsor's same file filled already is before_batch.
const qUploads = `SELECT ` + uploadColumns + ` FROM dashboard_imports u`

// uploadColumns are an upload's columns but its file and reports.
const uploadColumns = `u.id, u.created_by, u.created_at, u.file_name, u.file_sha256, u.file_size, u.lang, u.sponsor, u.public_funds, u.jht, u.months,
		u.start_date, u.status, u.rows_read, u.rows_valid, u.started_by, u.started_at, u.runs, u.rows_done, u.batch_id, u.imported, u.attached,
		u.active, u.other, u.rejected, u.finished_at, u.error,
		(SELECT b.id FROM sponsor_batches b WHERE b.sponsor = u.sponsor AND b.file_sha256 = u.file_sha256) AS before_batch`

// uploadSubject names an upload in the audit log.
func uploadSubject(id int64) string { return "upload:" + strconv.FormatInt(id, 10) }

// CreateUpload stores a checked list (see dashboard.ImportStore): the file
// sealed, as NIKs and phone numbers are.
func (d *DB) CreateUpload(ctx context.Context, u sponsor.Upload, file, report []byte) (int64, error) {
	if len(file) == 0 || len(file) > sponsor.MaxUpload {
		return 0, fmt.Errorf("upload %s: %d bytes: want 1 to %d", u.Spec.FileName, len(file), sponsor.MaxUpload)
	}
	sealed, err := d.vault.Seal(file)
	if err != nil {
		return 0, fmt.Errorf("upload %s: seal: %w", u.Spec.FileName, err)
	}
	var start any
	if !u.Spec.Start.IsZero() {
		start = u.Spec.Start.Format(time.DateOnly)
	}
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", u.Spec.FileName, err)
	}
	defer tx.Rollback() //nolint:errcheck
	now := d.now()
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO dashboard_imports (created_by, created_at, updated_at, file_name, file_sha256, file_size,
			file_sealed, lang, sponsor, public_funds, jht, months, start_date, status, rows_read, rows_valid, report)
		VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'checked', $13, $14, $15) RETURNING id`,
		u.Spec.CreatedBy, now, u.Spec.FileName, u.Spec.FileSHA, len(file), sealed, u.Lang, u.Spec.Sponsor, u.Spec.PublicFunds, u.Spec.JHT,
		u.Spec.Months, start, u.Read, u.Valid, report); err != nil {
		return 0, fmt.Errorf("upload %s: %w", u.Spec.FileName, err)
	}
	if err := audit(ctx, tx, now, u.Spec.CreatedBy, "dasbor:import_upload", uploadSubject(id),
		fmt.Sprintf("sponsor=%s file=%s sha256=%s bytes=%d rows=%d valid=%d", u.Spec.Sponsor, u.Spec.FileName, u.Spec.FileSHA, len(file),
			u.Read, u.Valid)); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("upload %s: %w", u.Spec.FileName, err)
	}
	return id, nil
}

// Upload reads an upload without its file (see dashboard.ImportStore).
func (d *DB) Upload(ctx context.Context, id int64) (sponsor.Upload, error) {
	var r uploadRow
	err := d.db.GetContext(ctx, &r, qUploads+` WHERE u.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return sponsor.Upload{}, fmt.Errorf("upload %d: %w", id, dashboard.ErrNotFound)
	}
	if err != nil {
		return sponsor.Upload{}, fmt.Errorf("upload %d: %w", id, err)
	}
	return r.value(), nil
}

// Uploads lists the newest uploads (see dashboard.ImportStore).
func (d *DB) Uploads(ctx context.Context, limit int) ([]sponsor.Upload, error) {
	var rows []uploadRow
	if err := d.db.SelectContext(ctx, &rows, qUploads+` ORDER BY u.id DESC LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	out := make([]sponsor.Upload, len(rows))
	for i, r := range rows {
		out[i] = r.value()
	}
	return out, nil
}

// UploadReport is an upload's report (see dashboard.ImportStore): the dry
// run's, or with final the import's (nil before it is done).
func (d *DB) UploadReport(ctx context.Context, id int64, final bool) ([]byte, error) {
	var report []byte
	err := d.db.GetContext(ctx, &report, `SELECT CASE WHEN $2 THEN result_report ELSE report END FROM dashboard_imports WHERE id = $1`, id, final)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("upload %d: %w", id, dashboard.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("upload %d: report: %w", id, err)
	}
	return report, nil
}

// StartUpload marks a checked upload with valid rows (or a failed one)
// running, once however often it is asked, audited as actor (see
// dashboard.ImportStore).
func (d *DB) StartUpload(ctx context.Context, id int64, actor string) (bool, error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("start upload %d: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck
	now := d.now()
	var runs int
	err = tx.GetContext(ctx, &runs, `UPDATE dashboard_imports SET status = 'running', started_by = $2, started_at = $3, updated_at = $3,
			runs = runs + 1, rows_done = 0, error = ''
		WHERE id = $1 AND status IN ('checked', 'failed') AND rows_valid > 0 RETURNING runs`, id, actor, now)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start upload %d: %w", id, err)
	}
	if err := audit(ctx, tx, now, actor, "dasbor:import_start", uploadSubject(id), fmt.Sprintf("run=%d", runs)); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("start upload %d: %w", id, err)
	}
	return true, nil
}

// LeaseUpload takes an upload's import for this process (see
// flows.SponsorImportStore): an advisory lock on a connection of its own,
// which a crash gives up.
func (d *DB) LeaseUpload(ctx context.Context, id int64) (func(), bool, error) {
	l, ok, err := d.TryLease(ctx, uploadSubject(id))
	if err != nil || !ok {
		return nil, false, err
	}
	return l.Release, true, nil
}

// UploadFile reads an upload and opens its file (see flows.SponsorImportStore).
func (d *DB) UploadFile(ctx context.Context, id int64) (sponsor.Upload, []byte, error) {
	var r uploadRow
	err := d.db.GetContext(ctx, &r, `SELECT `+uploadColumns+`, u.file_sealed FROM dashboard_imports u WHERE u.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return sponsor.Upload{}, nil, fmt.Errorf("upload %d: %w", id, flows.ErrNotFound)
	}
	if err != nil {
		return sponsor.Upload{}, nil, fmt.Errorf("upload %d: %w", id, err)
	}
	if r.File == nil {
		return r.value(), nil, nil
	}
	file, err := d.vault.Open(r.File)
	if err != nil {
		return sponsor.Upload{}, nil, fmt.Errorf("upload %d: open: %w", id, err)
	}
	return r.value(), file, nil
}

// UploadProgress records how many rows the running import has read.
func (d *DB) UploadProgress(ctx context.Context, id int64, rows int) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE dashboard_imports SET rows_done = $2, updated_at = $3 WHERE id = $1 AND status = 'running'`,
		id, rows, d.now()); err != nil {
		return fmt.Errorf("upload %d: progress: %w", id, err)
	}
	return nil
}

// FinishUpload records a running upload as done and drops its file (see
// flows.SponsorImportStore).
func (d *DB) FinishUpload(ctx context.Context, id, batch int64, r sponsor.UploadResult, report []byte) error {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish upload %d: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck
	now := d.now()
	var by string
	err = tx.GetContext(ctx, &by, `UPDATE dashboard_imports SET status = 'done', batch_id = $2, rows_read = $3, rows_done = $3, imported = $4,
			attached = $5, active = $6, other = $7, rejected = $8, result_report = $9, finished_at = $10, updated_at = $10, file_sealed = NULL
		WHERE id = $1 AND status = 'running' RETURNING started_by`, id, batch, r.Read, r.Imported, r.Attached, r.Active, r.Other, r.Rejected,
		report, now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // finished meanwhile
	}
	if err != nil {
		return fmt.Errorf("finish upload %d: %w", id, err)
	}
	if err := audit(ctx, tx, now, by, "dasbor:import_done", uploadSubject(id), fmt.Sprintf("batch=%d read=%d imported=%d attached=%d rejected=%d",
		batch, r.Read, r.Imported, r.Attached, r.Rejected)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish upload %d: %w", id, err)
	}
	return nil
}

// FailUpload records why a running upload's import stopped.
func (d *DB) FailUpload(ctx context.Context, id int64, reason string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE dashboard_imports SET status = 'failed', error = $2, updated_at = $3 WHERE id = $1 AND status = 'running'`,
		id, reason, d.now()); err != nil {
		return fmt.Errorf("fail upload %d: %w", id, err)
	}
	return nil
}

// PruneUploads deletes the uploads never imported (checked but not
// confirmed, or failed) untouched since before: their sealed files hold
// NIKs and phone numbers, kept no longer than needed (UU PDP). It returns
// how many went.
func (d *DB) PruneUploads(ctx context.Context, before time.Time) (int, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM dashboard_imports WHERE status IN ('checked', 'failed') AND updated_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune uploads: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RunningUploads lists the uploads being imported, oldest first.
func (d *DB) RunningUploads(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := d.db.SelectContext(ctx, &ids, `SELECT id FROM dashboard_imports WHERE status = 'running' ORDER BY id`); err != nil {
		return nil, fmt.Errorf("running uploads: %w", err)
	}
	return ids, nil
}

// SponsorBatchPayments lists a batch's payments, oldest first, with their
// payment codes (see dashboard.ImportStore).
func (d *DB) SponsorBatchPayments(ctx context.Context, id int64) ([]dashboard.BatchPayment, error) {
	var rows []struct {
		dashboard.BatchPayment
		ExpiresAt sql.NullTime `db:"expires_at"`
		PaidAt    sql.NullTime `db:"paid_at"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		SELECT p.order_id, p.provider, p.method, p.status, p.flag, p.amount, p.va_number, p.biller_code, p.provider_ref, p.expires_at,
			p.paid_at, p.created_at, (SELECT count(*) FROM payment_items i WHERE i.payment_id = p.id) AS workers
		FROM payments p WHERE p.payer_kind = 'sponsor' AND p.payer_ref = $1 ORDER BY p.id`, batchSubject(id)); err != nil {
		return nil, fmt.Errorf("batch %d: payments: %w", id, err)
	}
	out := make([]dashboard.BatchPayment, len(rows))
	for i, r := range rows {
		out[i] = r.BatchPayment
		if r.ExpiresAt.Valid {
			out[i].ExpiresAt = &r.ExpiresAt.Time
		}
		if r.PaidAt.Valid {
			out[i].PaidAt = &r.PaidAt.Time
		}
	}
	return out, nil
}

// SponsorClaimCodes makes the claim codes of a batch's workers who have
// not linked their chat (BatchClaimCodes), for the dashboard's sheet.
func (d *DB) SponsorClaimCodes(ctx context.Context, id int64, expires time.Time, actor string) ([]dashboard.ClaimCode, error) {
	codes, err := d.BatchClaimCodes(ctx, id, expires, actor)
	if err != nil {
		return nil, err
	}
	out := make([]dashboard.ClaimCode, len(codes))
	for i, c := range codes {
		out[i] = dashboard.ClaimCode{Ref: c.Ref, Name: c.Name, Code: c.Code}
	}
	return out, nil
}
