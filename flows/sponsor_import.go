package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
)

// SponsorImportStore keeps the sponsors' lists uploaded on the dashboard,
// and the batches their imports fill (store.DB).
type SponsorImportStore interface {
	sponsor.Store
	SponsorInvoiceStore
	// BatchByID is one batch with its counts. ErrNotFound.
	BatchByID(ctx context.Context, id int64) (sponsor.Batch, error)
	// LeaseUpload takes an upload's import for this process until release:
	// false when another process runs it (a crash gives the lease up).
	LeaseUpload(ctx context.Context, id int64) (release func(), ok bool, err error)
	// UploadFile reads an upload and its file. ErrNotFound.
	UploadFile(ctx context.Context, id int64) (sponsor.Upload, []byte, error)
	// UploadProgress records how many rows the running import has read.
	UploadProgress(ctx context.Context, id int64, rows int) error
	// FinishUpload records a running upload as done: its batch, what the
	// import did and the report of the rows not imported; the file goes.
	FinishUpload(ctx context.Context, id, batch int64, r sponsor.UploadResult, report []byte) error
	// FailUpload records why a running upload's import stopped.
	FailUpload(ctx context.Context, id int64, reason string) error
	// RunningUploads lists the uploads being imported, oldest first.
	RunningUploads(ctx context.Context) ([]int64, error)
}

// SponsorImports imports the sponsors' lists uploaded on the dashboard, with
// the deployment's rules (the chat's checks, tariffs, texts): a dry run
// first, then, once an admin confirmed, the import itself in the background,
// which a restart resumes. It also does what a batch's page offers: what is
// due, an invoice, an external payment, the poster's links.
type SponsorImports struct {
	e  *Engine
	st SponsorImportStore
	// ChunkRows is how many rows an import stores per transaction; 0:
	// sponsor.ChunkRows.
	ChunkRows int
	wg        sync.WaitGroup
}

// UploadRetention is how long an uploaded list never imported (checked
// but not confirmed, or failed) is kept: it holds NIKs and phone numbers.
const UploadRetention = 7 * 24 * time.Hour

// SponsorImports builds the imports of uploaded lists on st.
func (e *Engine) SponsorImports(st SponsorImportStore) *SponsorImports {
	return &SponsorImports{e: e, st: st}
}

// CheckedList is a list's dry run: nothing stored.
type CheckedList struct {
	Read   int    // data rows
	Valid  int    // rows that passed every check, their NIK first in the file
	Report []byte // CSV of the rows refused: line, column, reason
}

// ListError is a list the import cannot read at all (not a table, no NIK
// column, a broken line); Text says why in the language asked.
type ListError struct {
	Text string
	Err  error
}

func (e *ListError) Error() string { return e.Text }

// Unwrap returns the reader's error.
func (e *ListError) Unwrap() error { return e.Err }

// lang is lang if the catalogue has it, else Indonesian.
func (im *SponsorImports) lang(lang string) string {
	if im.e.cat.Supported(lang) {
		return lang
	}
	return locales.Default
}

// options are an import's options with the deployment's rules, as of now.
func (im *SponsorImports) options(spec sponsor.BatchSpec, lang string, size int) sponsor.Options {
	e := im.e
	return sponsor.Options{Batch: spec, Check: roster.NewValidator(e.regions, e.cfg.Province, e.now().In(e.cfg.Location), e.cfg.MinAge, e.cfg.MaxAge),
		Tariffs: e.tariffs, Catalog: e.cat, Lang: im.lang(lang), Size: int64(size), ChunkRows: im.ChunkRows}
}

// open reads a list's header; a file the roster cannot read is a ListError.
func (im *SponsorImports) open(file []byte, name, lang string) (*roster.Reader, error) {
	rd, err := roster.Open(bytes.NewReader(file), name)
	if err != nil {
		return nil, &ListError{Text: roster.Explain(im.e.cat, im.lang(lang), err).Error(), Err: err}
	}
	return rd, nil
}

// Check is a list's dry run: every row checked as the import will, the
// refused ones reported with the reason in lang; nothing is stored.
func (im *SponsorImports) Check(ctx context.Context, file []byte, spec sponsor.BatchSpec, lang string) (CheckedList, error) {
	rd, err := im.open(file, spec.FileName, lang)
	if err != nil {
		return CheckedList{}, err
	}
	defer rd.Close()
	var report bytes.Buffer
	o := im.options(spec, lang, len(file))
	o.DryRun, o.Report = true, &report
	sum, err := sponsor.Import(ctx, im.st, rd, o)
	if err != nil {
		var fe *roster.FileError
		if errors.As(err, &fe) {
			return CheckedList{}, &ListError{Text: err.Error(), Err: err}
		}
		return CheckedList{}, fmt.Errorf("check %s: %w", spec.FileName, err)
	}
	return CheckedList{Read: sum.Read, Valid: sum.Valid, Report: report.Bytes()}, nil
}

// Start imports a confirmed (running) upload in the background, on a
// context of its own: the request that confirmed it may end.
func (im *SponsorImports) Start(id int64) {
	im.wg.Add(1)
	go func() {
		defer im.wg.Done()
		if _, err := im.Run(context.Background(), id); err != nil {
			im.e.log.Error("import upload", "upload", id, "err", err)
		}
	}()
}

// Wait waits for the imports Start began.
func (im *SponsorImports) Wait() { im.wg.Wait() }

// Run imports a running upload unless another process does: false then,
// or when it is not running (done meanwhile). Running it again after a
// crash is safe: the same file is the same batch, and the rows stored
// before are found, not stored twice. A cancelled ctx leaves it running, to
// be resumed; any other error marks it failed.
func (im *SponsorImports) Run(ctx context.Context, id int64) (bool, error) {
	release, ok, err := im.st.LeaseUpload(ctx, id)
	if err != nil || !ok {
		return false, err
	}
	defer release()
	u, file, err := im.st.UploadFile(ctx, id)
	if err != nil {
		return false, err
	}
	if u.Status != sponsor.UploadRunning {
		return false, nil
	}
	sw := clock.Start()
	res, batch, report, err := im.importFile(ctx, u, file)
	if err != nil {
		if ctx.Err() != nil {
			return true, fmt.Errorf("import upload %d: stopped, resumed at the next start: %w", id, err)
		}
		if ferr := im.st.FailUpload(context.WithoutCancel(ctx), id, err.Error()); ferr != nil {
			return true, errors.Join(err, ferr)
		}
		return true, fmt.Errorf("import upload %d: %w", id, err)
	}
	if err := im.st.FinishUpload(ctx, id, batch, res, report); err != nil {
		return true, err
	}
	im.e.log.Info("import upload done", "upload", id, "batch", batch, "read", res.Read, "imported", res.Imported,
		"attached", res.Attached, "rejected", res.Rejected, "run", u.Runs, "took", sw.Elapsed().Round(time.Millisecond))
	return true, nil
}

// importFile runs the import of an upload's file.
func (im *SponsorImports) importFile(ctx context.Context, u sponsor.Upload, file []byte) (sponsor.UploadResult, int64, []byte, error) {
	spec := u.Spec
	spec.CreatedBy = u.StartedBy // the batch is the confirming admin's
	rd, err := im.open(file, spec.FileName, u.Lang)
	if err != nil {
		return sponsor.UploadResult{}, 0, nil, err
	}
	defer rd.Close()
	var report bytes.Buffer
	o := im.options(spec, u.Lang, len(file))
	o.Report = &report
	src := &countingSource{src: rd, save: func(rows int) {
		if err := im.st.UploadProgress(ctx, u.ID, rows); err != nil {
			im.e.log.Warn("import upload: progress", "upload", u.ID, "err", err)
		}
	}}
	sum, err := sponsor.Import(ctx, im.st, src, o)
	if err != nil {
		return sponsor.UploadResult{}, 0, nil, err
	}
	// The batch's counts are every run's: what a crashed run stored is there.
	b, err := im.st.BatchByID(ctx, sum.Batch.ID)
	if err != nil {
		return sponsor.UploadResult{}, 0, nil, err
	}
	return sponsor.UploadResult{Read: sum.Read, Imported: b.Imported, Attached: b.Attached, Active: sum.Active, Other: sum.Other,
		Rejected: sum.Rejected()}, b.ID, report.Bytes(), nil
}

// countingSource counts the rows read and saves the count every second.
type countingSource struct {
	src  sponsor.Source
	rows int
	last clock.Stopwatch
	save func(rows int)
}

func (c *countingSource) Next() (roster.Row, error) {
	r, err := c.src.Next()
	if err == nil {
		c.rows++
		if c.last.Elapsed() >= time.Second {
			c.last = clock.Start()
			c.save(c.rows)
		}
	}
	return r, err
}

// Resume runs the uploads left running (a crash or a restart stopped them),
// one after the other, those another process runs excepted; it reports how
// many it ran.
func (im *SponsorImports) Resume(ctx context.Context) (int, error) {
	ids, err := im.st.RunningUploads(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		ran, err := im.Run(ctx, id)
		if ran {
			n++
		}
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return n, errors.Join(errs...)
}

// KeepResuming resumes the uploads left running now and then every, until
// ctx ends: a process that died leaves its import to the others.
func (im *SponsorImports) KeepResuming(ctx context.Context, every time.Duration) {
	for {
		n, err := im.Resume(ctx)
		if err != nil && ctx.Err() == nil {
			im.e.log.Error("resume imports", "err", err)
		}
		if n > 0 {
			im.e.log.Info("resumed imports", "count", n)
		}
		if clock.Sleep(ctx, every) != nil {
			return
		}
	}
}

// Due is what a batch's waiting workers cost if paid now, and how many wait.
func (im *SponsorImports) Due(ctx context.Context, id int64) (int64, int, error) {
	b, waiting, err := im.st.BatchWaiting(ctx, id)
	if err != nil {
		return 0, 0, err
	}
	_, due, err := im.e.SponsorDue(ctx, b, waiting)
	if err != nil {
		return 0, 0, err
	}
	n := 0
	for _, w := range waiting {
		n += w.Workers
	}
	return due, n, nil
}

// Invoice issues a batch's virtual account (Engine.InvoiceSponsorBatch).
func (im *SponsorImports) Invoice(ctx context.Context, id int64, bank payments.Method, actor string) (payments.Instruction, error) {
	return im.e.InvoiceSponsorBatch(ctx, im.st, id, bank, actor)
}

// Pay records a sponsor's transfer for a batch (Engine.PaySponsorBatch).
func (im *SponsorImports) Pay(ctx context.Context, id int64, reference, actor string) (int, error) {
	return im.e.PaySponsorBatch(ctx, id, reference, actor)
}

// PosterLinks are a batch's poster links in this deployment (PosterLinks).
func (im *SponsorImports) PosterLinks(token string) []PosterLink {
	bot := ""
	if im.e.cfg.BotUsername != nil {
		bot = im.e.cfg.BotUsername()
	}
	return PosterLinks(bot, im.e.cfg.WhatsAppNumber, token)
}

// CanInvoice says whether a batch's invoice can be issued: a payment
// provider is set.
func (im *SponsorImports) CanInvoice() bool { return im.e.payer != nil }
