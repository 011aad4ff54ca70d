package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/sponsor"
)

// Importer runs the imports of uploaded sponsor lists and what a batch's
// page offers (flows.SponsorImports).
type Importer interface {
	// Check is a list's dry run: every row checked, the refused ones
	// reported in lang; nothing stored. A *flows.ListError for a file that
	// cannot be read.
	Check(ctx context.Context, file []byte, spec sponsor.BatchSpec, lang string) (flows.CheckedList, error)
	// Start imports a running upload in the background.
	Start(id int64)
	// Due is what a batch's waiting workers cost if paid now, and how many wait.
	Due(ctx context.Context, id int64) (int64, int, error)
	// CanInvoice says whether a payment provider can issue an invoice.
	CanInvoice() bool
	// Invoice issues one virtual account for a batch's waiting workers.
	// flows.ErrRefused when nobody waits.
	Invoice(ctx context.Context, id int64, bank payments.Method, actor string) (payments.Instruction, error)
	// Pay records a sponsor's transfer for a batch: how many it protected.
	Pay(ctx context.Context, id int64, reference, actor string) (int, error)
	// PosterLinks are a batch's poster links in this deployment.
	PosterLinks(token string) []flows.PosterLink
}

// BatchPayment is a payment for a sponsor batch: an invoice (a virtual
// account) or a transfer recorded by an admin.
type BatchPayment struct {
	OrderID     string     `db:"order_id"`
	Provider    string     `db:"provider"` // "external" for a recorded transfer
	Method      string     `db:"method"`   // the bank, or "transfer"
	Status      string     `db:"status"`
	Flag        string     `db:"flag"`
	Amount      int64      `db:"amount"`
	VANumber    string     `db:"va_number"`
	BillerCode  string     `db:"biller_code"`
	ProviderRef string     `db:"provider_ref"` // a transfer's reference (SP2D)
	Workers     int64      `db:"workers"`
	CreatedAt   time.Time  `db:"created_at"`
	ExpiresAt   *time.Time `db:"-"`
	PaidAt      *time.Time `db:"-"`
}

// ClaimCode is a claim code printed for a sponsored worker.
type ClaimCode struct {
	Ref, Name, Code string
}

// ImportStore is what the Impor pages read and write.
type ImportStore interface {
	// CreateUpload stores a checked list: its file (sealed), the batch it
	// is for and its dry run's report; audited as u.Spec.CreatedBy.
	CreateUpload(ctx context.Context, u sponsor.Upload, file, report []byte) (int64, error)
	// Upload reads an upload without its file. ErrNotFound.
	Upload(ctx context.Context, id int64) (sponsor.Upload, error)
	// Uploads lists the newest uploads.
	Uploads(ctx context.Context, limit int) ([]sponsor.Upload, error)
	// UploadReport is the dry run's report, or with final the import's.
	UploadReport(ctx context.Context, id int64, final bool) ([]byte, error)
	// StartUpload marks a checked (or failed) upload with valid rows
	// running, audited as actor; false when it was not (started already).
	StartUpload(ctx context.Context, id int64, actor string) (bool, error)
	// Batches lists the sponsor batches, newest first, with their counts.
	Batches(ctx context.Context) ([]sponsor.Batch, error)
	// BatchByID is one batch with its counts. flows.ErrNotFound.
	BatchByID(ctx context.Context, id int64) (sponsor.Batch, error)
	// SponsorBatchPayments lists a batch's payments, oldest first.
	SponsorBatchPayments(ctx context.Context, id int64) ([]BatchPayment, error)
	// SponsorClaimCodes makes a claim code, valid until expires, for each
	// worker of a batch who has not linked a chat (their earlier code stops
	// working), audited as actor.
	SponsorClaimCodes(ctx context.Context, id int64, expires time.Time, actor string) ([]ClaimCode, error)
}

// Limits of the Impor pages.
const (
	// uploadBody bounds an upload's request: the file and the form's fields.
	uploadBody = sponsor.MaxUpload + 64<<10
	// reportShown is how many refused rows the page lists (all are in the CSV).
	reportShown = 100
	// uploadsShown is how many uploads the Impor page lists.
	uploadsShown = 30
)

// paymentStatusKeys are the texts of a batch payment's statuses.
var paymentStatusKeys = map[string]string{
	string(payments.Pending):   "dasbor.imp.pay_status.pending",
	string(payments.Paid):      "dasbor.imp.pay_status.paid",
	string(payments.Expired):   "dasbor.imp.pay_status.expired",
	string(payments.Cancelled): "dasbor.imp.pay_status.cancelled",
	string(payments.Failed):    "dasbor.imp.pay_status.failed",
	string(payments.Refunded):  "dasbor.imp.pay_status.refunded",
}

// uploadStatusKeys are the texts of an upload's statuses.
var uploadStatusKeys = map[string]string{
	sponsor.UploadChecked: "dasbor.imp.status.checked",
	sponsor.UploadRunning: "dasbor.imp.status.running",
	sponsor.UploadDone:    "dasbor.imp.status.done",
	sponsor.UploadFailed:  "dasbor.imp.status.failed",
}

func (s *server) importRoutes(mux *routes) {
	mux.Handle("GET /admin/impor", s.auth(notSupervisor, s.imports))
	mux.Handle("POST /admin/impor", s.limitUpload(s.auth(adminOnly, s.upload)))
	mux.Handle("GET /admin/impor/unggahan/{id}", s.auth(wholeProvince, s.uploadPage))
	mux.Handle("GET /admin/impor/unggahan/{id}/laporan.csv", s.auth(wholeProvince, s.uploadReport))
	mux.Handle("GET /admin/impor/unggahan/{id}/hasil.csv", s.auth(wholeProvince, s.uploadReport))
	mux.Handle("POST /admin/impor/unggahan/{id}/mulai", s.auth(adminOnly, s.startUpload))
	mux.Handle("GET /admin/impor/{batch}", s.auth(notSupervisor, s.batchPage))
	// Not "{batch}/qr.png": that and "unggahan/{id}" would both match
	// /admin/impor/unggahan/qr.png.
	mux.Handle("GET /admin/impor/{batch}/{file}", s.auth(notSupervisor, s.batchFile))
	mux.Handle("POST /admin/impor/{batch}/tagihan", s.auth(adminOnly, s.batchInvoice))
	mux.Handle("POST /admin/impor/{batch}/bayar", s.auth(adminOnly, s.batchPay))
	mux.Handle("POST /admin/impor/{batch}/kode", s.auth(adminOnly, s.batchCodes))
}

// uploadView is an upload as its pages show it.
type uploadView struct {
	ID                                           int64
	FileName, Sponsor, Size, Status, StatusKey   string
	JHT, Public                                  bool
	Months                                       int64
	Start                                        *time.Time
	CreatedBy, StartedBy                         string
	CreatedAt                                    time.Time
	StartedAt, FinishedAt                        time.Time
	Read, Valid, Rejected, Done, Before          int64
	Runs                                         int64
	BatchID                                      int64
	Imported, Attached, LeftAlone, Refused       int64
	Checked, Running, Finished, Failed, CanStart bool
}

func (s *server) uploadView(v viewer, u sponsor.Upload) uploadView {
	n := func(i int) int64 { return int64(i) }
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	start := opt(u.Spec.Start)
	return uploadView{ID: u.ID, FileName: u.Spec.FileName, Sponsor: u.Spec.Sponsor, Size: megabytes(v.Lang, u.Size), Status: u.Status,
		StatusKey: uploadStatusKeys[u.Status], JHT: u.Spec.JHT, Public: u.Spec.PublicFunds, Months: n(u.Spec.Months), Start: start,
		CreatedBy: u.Spec.CreatedBy, StartedBy: u.StartedBy, CreatedAt: u.CreatedAt, StartedAt: u.StartedAt, FinishedAt: u.FinishedAt,
		Read: n(u.Read), Valid: n(u.Valid), Rejected: n(u.Rejected()), Done: n(min(u.Done, u.Read)), Before: u.Before, Runs: n(u.Runs),
		BatchID: u.BatchID, Imported: n(u.Result.Imported), Attached: n(u.Result.Attached),
		LeftAlone: n(u.Result.Active + u.Result.Other), Refused: n(u.Result.Rejected),
		Checked: u.Status == sponsor.UploadChecked, Running: u.Status == sponsor.UploadRunning, Finished: u.Status == sponsor.UploadDone,
		Failed:   u.Status == sponsor.UploadFailed,
		CanStart: v.Admin() && u.Valid > 0 && (u.Status == sponsor.UploadChecked || u.Status == sponsor.UploadFailed)}
}

// megabytes is a file's size as people read it: "1,2 MB".
func megabytes(lang string, n int64) string {
	if n < 100<<10 {
		return locales.Decimal(lang, float64(n)/1024, 0) + " KB"
	}
	return locales.Decimal(lang, float64(n)/(1<<20), 1) + " MB"
}

// batchView is a sponsor batch as its pages show it.
type batchView struct {
	ID                                                   int64
	Sponsor, FileName, PaymentRef, Token                 string
	JHT, Public, Finished                                bool
	Months                                               int64
	Start, PaidAt                                        *time.Time
	CreatedAt                                            time.Time
	Read, Imported, Attached, Rejected, Workers, Claimed int64
	Active, Monthly                                      int64
}

func batchOf(b sponsor.Batch) batchView {
	n := func(i int) int64 { return int64(i) }
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return batchView{ID: b.ID, Sponsor: b.Sponsor, FileName: b.FileName, PaymentRef: b.PaymentRef, Token: b.ClaimToken, JHT: b.JHT,
		Public: b.PublicFunds, Finished: !b.FinishedAt.IsZero(), Months: n(b.Months), Start: opt(b.Start), PaidAt: opt(b.PaidAt),
		CreatedAt: b.CreatedAt, Read: n(b.RowsRead), Imported: n(b.Imported), Attached: n(b.Attached), Rejected: n(b.Rejected),
		Workers: n(b.Workers), Claimed: n(b.Claimed), Active: n(b.Active), Monthly: b.Monthly}
}

// inScope reports whether the viewer may see a batch: a sponsor only
// theirs.
func inScope(v viewer, id int64) bool {
	if v.Role == RoleSponsor || v.Scope.None {
		return !v.Scope.None && slices.Contains(v.Scope.Batches, id)
	}
	return true
}

// uploadForm is the upload form's values, kept when it is shown again.
type uploadForm struct {
	Sponsor, Funding, Start string
	JHT                     bool
	Months                  int64
}

func (s *server) imports(w http.ResponseWriter, r *http.Request, v viewer) {
	s.showImports(w, r, v, http.StatusOK, uploadForm{Months: 12}, "")
}

// showImports renders the Impor page: the batches in the viewer's scope,
// the latest uploads and, for admins, the upload form.
func (s *server) showImports(w http.ResponseWriter, r *http.Request, v viewer, status int, form uploadForm, note string) {
	all, err := s.Store.Batches(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var batches []batchView
	for _, b := range all {
		if inScope(v, b.ID) {
			batches = append(batches, batchOf(b))
		}
	}
	var uploads []uploadView
	if v.Role != RoleSponsor {
		us, err := s.Store.Uploads(r.Context(), uploadsShown)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, u := range us {
			uploads = append(uploads, s.uploadView(v, u))
		}
	}
	s.page(w, r, status, "imports", v, map[string]any{"Batches": batches, "Uploads": uploads, "Form": form, "Note": note,
		"Months": []int64{1, 3, 6, 12}, "Max": megabytes(v.Lang, sponsor.MaxUpload), "Off": s.Imports == nil})
}

// limitUpload bounds an upload's body before the form is read: one too big
// is refused with a page that says so (its body read and dropped first, so
// the browser, still sending, shows the page).
// uploadTime is how long an upload may take to arrive and be checked.
const uploadTime = 10 * time.Minute

func (s *server) limitUpload(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > uploadBody {
			io.Copy(io.Discard, io.LimitReader(r.Body, 4*uploadBody)) //nolint:errcheck // refused either way
			v := viewer{Lang: locales.Default}
			if c, err := r.Cookie(cookieName); err == nil && c.Value != "" && len(c.Value) <= 100 {
				if sess, err := s.Store.StaffSession(r.Context(), flows.StaffLinkHash(c.Value), SessionIdle, SessionMost); err == nil && s.Catalog.Supported(sess.Lang) {
					v.Lang = sess.Lang
				}
			}
			s.Log.Info("dashboard: upload refused", "reason", "too big", "bytes", r.ContentLength)
			s.page(w, r, http.StatusRequestEntityTooLarge, "error", v, map[string]any{
				"Message": s.T(v, "dasbor.imp.err.too_big", map[string]any{"Max": megabytes(v.Lang, sponsor.MaxUpload)}), "Back": "/admin/impor"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, uploadBody)
		// A list of 20 MB over a slow line, and its dry run, take longer
		// than the server's timeouts allow other requests (deadlines are
		// the network's: the real clock, not the page's).
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(clock.Now().Add(uploadTime))  //nolint:errcheck // not every writer has deadlines (tests)
		rc.SetWriteDeadline(clock.Now().Add(uploadTime)) //nolint:errcheck
		h.ServeHTTP(w, r)
	})
}

// upload takes a sponsor's list: the form's options checked, the file
// checked row by row (the dry run) and stored with its report; then its
// page.
func (s *server) upload(w http.ResponseWriter, r *http.Request, v viewer) {
	// One spelling of the sponsor's name: the batch is the sponsor's and the file's.
	form := uploadForm{Sponsor: strings.Join(strings.Fields(r.PostFormValue("sponsor")), " "), Funding: r.PostFormValue("funding"),
		Start: strings.TrimSpace(r.PostFormValue("start")), JHT: r.PostFormValue("jht") == "1"}
	form.Months, _ = strconv.ParseInt(r.PostFormValue("months"), 10, 64)
	refuse := func(status int, key string, data map[string]any) {
		s.showImports(w, r, v, status, form, s.T(v, key, data))
	}
	if s.Imports == nil {
		refuse(http.StatusServiceUnavailable, "dasbor.imp.err.off", nil)
		return
	}
	spec := sponsor.BatchSpec{Sponsor: form.Sponsor, JHT: form.JHT, Months: int(form.Months), CreatedBy: v.Actor}
	if n := len([]rune(form.Sponsor)); n < 3 || n > 120 {
		refuse(http.StatusBadRequest, "dasbor.imp.err.sponsor", nil)
		return
	}
	switch form.Funding {
	case "apbn", "apbd":
		spec.PublicFunds = true
	case "other":
	default:
		refuse(http.StatusBadRequest, "dasbor.imp.err.funding", nil)
		return
	}
	if !slices.Contains([]int64{1, 3, 6, 12}, form.Months) {
		refuse(http.StatusBadRequest, "dasbor.imp.err.months", nil)
		return
	}
	if form.Start != "" {
		d, err := time.ParseInLocation(time.DateOnly, form.Start, s.Location)
		if err != nil {
			refuse(http.StatusBadRequest, "dasbor.imp.err.start", nil)
			return
		}
		spec.Start = d
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		refuse(http.StatusBadRequest, "dasbor.imp.err.file", nil)
		return
	}
	defer f.Close()
	file, err := io.ReadAll(io.LimitReader(f, sponsor.MaxUpload+1))
	if err != nil {
		s.fail(w, r, fmt.Errorf("read upload: %w", err))
		return
	}
	switch {
	case len(file) == 0:
		refuse(http.StatusBadRequest, "dasbor.imp.err.file", nil)
		return
	case len(file) > sponsor.MaxUpload:
		refuse(http.StatusRequestEntityTooLarge, "dasbor.imp.err.too_big", map[string]any{"Max": megabytes(v.Lang, sponsor.MaxUpload)})
		return
	}
	name := []rune(strings.TrimSpace(hdr.Filename))
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	sum := sha256.Sum256(file)
	spec.FileName, spec.FileSHA = string(name), hex.EncodeToString(sum[:])
	if spec.FileName == "" {
		spec.FileName = "daftar.csv"
	}
	checked, err := s.Imports.Check(r.Context(), file, spec, v.Lang)
	var le *flows.ListError
	if errors.As(err, &le) {
		s.Log.Info("dashboard: upload refused", "actor", v.Actor, "reason", "unreadable")
		s.showImports(w, r, v, http.StatusUnprocessableEntity, form, s.T(v, "dasbor.imp.err.unreadable", map[string]any{"File": spec.FileName, "Why": le.Text}))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.Store.CreateUpload(r.Context(), sponsor.Upload{Spec: spec, Lang: v.Lang, Read: checked.Read, Valid: checked.Valid}, file, checked.Report)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/impor/unggahan/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// pathID reads a path's number; false when it is none.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// readUpload reads the upload the path names; it answers 404 when there is none.
func (s *server) readUpload(w http.ResponseWriter, r *http.Request, v viewer) (sponsor.Upload, bool) {
	id, ok := pathID(r, "id")
	var u sponsor.Upload
	var err error
	if ok {
		u, err = s.Store.Upload(r.Context(), id)
	}
	if !ok || errors.Is(err, ErrNotFound) {
		s.page(w, r, http.StatusNotFound, "error", v, map[string]any{"Message": s.T(v, "dasbor.imp.err.no_upload", nil), "Back": "/admin/impor"})
		return u, false
	}
	if err != nil {
		s.fail(w, r, err)
		return u, false
	}
	return u, true
}

// reportRows reads a report's rows (line, column, reason), at most limit
// of them, and how many it has.
func reportRows(report []byte, limit int) ([][]string, int64, error) {
	cr := csv.NewReader(bytes.NewReader(report))
	cr.FieldsPerRecord = 3
	var rows [][]string
	var n int64
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, n, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("report: %w", err)
		}
		if first { // the header
			continue
		}
		n++
		if len(rows) < limit {
			rows = append(rows, rec)
		}
	}
}

// uploadPage shows an upload: the dry run's report and the button that
// starts the import; while it runs its progress (the page reloads itself
// every 2 seconds); when it is done what it did and the batch.
func (s *server) uploadPage(w http.ResponseWriter, r *http.Request, v viewer) {
	u, ok := s.readUpload(w, r, v)
	if !ok {
		return
	}
	report, err := s.Store.UploadReport(r.Context(), u.ID, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, total, err := reportRows(report, reportShown)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"U": s.uploadView(v, u), "Rows": rows, "Total": total, "More": total > int64(len(rows))}
	// The refused rows are people's data: a view is audited (not each of
	// a running import's refreshes).
	if len(rows) > 0 && u.Status != sponsor.UploadRunning {
		if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:view_upload", fmt.Sprintf("upload:%d", u.ID), fmt.Sprintf("rows=%d", len(rows))); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if u.Status == sponsor.UploadRunning {
		// A refresh header, not a script: the policy allows none.
		w.Header().Set("Refresh", "2")
	}
	if u.Status == sponsor.UploadDone {
		final, err := s.Store.UploadReport(r.Context(), u.ID, true)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		_, n, err := reportRows(final, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data["Final"] = n
	}
	s.page(w, r, http.StatusOK, "import", v, data)
}

// uploadReport downloads an upload's report, audited: the dry run's
// (laporan.csv) or the import's (hasil.csv).
func (s *server) uploadReport(w http.ResponseWriter, r *http.Request, v viewer) {
	u, ok := s.readUpload(w, r, v)
	if !ok {
		return
	}
	final := strings.HasSuffix(r.URL.Path, "/hasil.csv")
	report, err := s.Store.UploadReport(r.Context(), u.ID, final)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if report == nil {
		http.NotFound(w, r)
		return
	}
	what := map[bool]string{false: "laporan", true: "hasil"}[final]
	if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:import_report", "upload:"+strconv.FormatInt(u.ID, 10), "report="+what); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="impor-%d-%s.csv"`, u.ID, what))
	// A byte order mark first: Excel reads the reasons' letters as UTF-8 then.
	w.Write(append([]byte("\ufeff"), report...)) //nolint:errcheck
}

// startUpload starts an upload's import, once: a second press, or the
// same press in another tab, finds it running and starts nothing.
func (s *server) startUpload(w http.ResponseWriter, r *http.Request, v viewer) {
	u, ok := s.readUpload(w, r, v)
	if !ok {
		return
	}
	if s.Imports == nil {
		s.page(w, r, http.StatusServiceUnavailable, "error", v, map[string]any{"Message": s.T(v, "dasbor.imp.err.off", nil), "Back": "/admin/impor"})
		return
	}
	started, err := s.Store.StartUpload(r.Context(), u.ID, v.Actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if started {
		s.Imports.Start(u.ID)
	}
	http.Redirect(w, r, "/admin/impor/unggahan/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
}

// readBatch reads the batch the path names, if the viewer may see it; it
// answers 404 (audited when it is outside the scope) when not.
func (s *server) readBatch(w http.ResponseWriter, r *http.Request, v viewer) (sponsor.Batch, bool) {
	id, ok := pathID(r, "batch")
	var b sponsor.Batch
	var err error
	if ok && inScope(v, id) {
		b, err = s.Store.BatchByID(r.Context(), id)
	} else if ok {
		err = flows.ErrNotFound
		if aerr := s.Store.Audit(r.Context(), v.Actor, "dasbor:forbidden", "batch:"+strconv.FormatInt(id, 10), "batch outside scope"); aerr != nil {
			s.fail(w, r, aerr)
			return b, false
		}
	}
	if !ok || errors.Is(err, flows.ErrNotFound) {
		s.page(w, r, http.StatusNotFound, "error", v, map[string]any{"Message": s.T(v, "dasbor.imp.err.no_batch", nil), "Back": "/admin/impor"})
		return b, false
	}
	if err != nil {
		s.fail(w, r, err)
		return b, false
	}
	return b, true
}

func (s *server) batchPage(w http.ResponseWriter, r *http.Request, v viewer) {
	b, ok := s.readBatch(w, r, v)
	if !ok {
		return
	}
	s.showBatch(w, r, v, b, http.StatusOK, "")
}

// showBatch renders a batch's page: its counts, what is due, its payments
// and, for admins, the forms that invoice it, record a transfer and print
// claim codes; the poster's links and QR code.
func (s *server) showBatch(w http.ResponseWriter, r *http.Request, v viewer, b sponsor.Batch, status int, note string) {
	pays, err := s.Store.SponsorBatchPayments(r.Context(), b.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"B": batchOf(b), "Payments": pays, "Note": note, "Command": flows.PosterCommand(b.ClaimToken),
		"Banks": payments.Methods(), "PayStatus": paymentStatusKeys}
	open := slices.ContainsFunc(pays, func(p BatchPayment) bool { return p.Status == string(payments.Pending) })
	data["Open"] = open
	if s.Imports != nil {
		due, waiting, err := s.Imports.Due(r.Context(), b.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data["Due"], data["Waiting"] = due, int64(waiting)
		data["Links"] = s.Imports.PosterLinks(b.ClaimToken)
		data["CanInvoice"] = v.Admin() && s.Imports.CanInvoice() && due > 0 && !open
		data["CanPay"] = v.Admin() && due > 0
	}
	if ok := r.URL.Query().Get("ok"); ok != "" && note == "" {
		switch ok {
		case "tagihan":
			data["Done"] = s.T(v, "dasbor.imp.done.invoice", nil)
		case "bayar":
			n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
			data["Done"] = s.T(v, "dasbor.imp.done.pay", map[string]any{"Count": locales.Number(v.Lang, n)})
		}
	}
	s.page(w, r, status, "batch", v, data)
}

// batchFile serves a batch's poster QR code (qr.png, ?app=telegram or
// whatsapp; by default the first link).
func (s *server) batchFile(w http.ResponseWriter, r *http.Request, v viewer) {
	if r.PathValue("file") != "qr.png" || s.Imports == nil {
		http.NotFound(w, r)
		return
	}
	b, ok := s.readBatch(w, r, v)
	if !ok {
		return
	}
	app := r.URL.Query().Get("app")
	for _, l := range s.Imports.PosterLinks(b.ClaimToken) {
		if app != "" && l.Channel != app {
			continue
		}
		png, err := qrcode.Encode(l.URL, qrcode.Medium, 512)
		if err != nil {
			s.fail(w, r, fmt.Errorf("batch %d: qr: %w", b.ID, err))
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="poster-%d-%s.png"`, b.ID, l.Channel))
		w.Write(png) //nolint:errcheck
		return
	}
	http.NotFound(w, r)
}

// batchInvoice issues a batch's virtual account.
func (s *server) batchInvoice(w http.ResponseWriter, r *http.Request, v viewer) {
	b, ok := s.readBatch(w, r, v)
	if !ok {
		return
	}
	if s.Imports == nil {
		s.showBatch(w, r, v, b, http.StatusServiceUnavailable, s.T(v, "dasbor.imp.err.off", nil))
		return
	}
	bank := payments.Method(r.PostFormValue("bank"))
	if !slices.Contains(payments.Methods(), bank) {
		s.showBatch(w, r, v, b, http.StatusBadRequest, s.T(v, "dasbor.imp.err.bank", nil))
		return
	}
	_, err := s.Imports.Invoice(r.Context(), b.ID, bank, v.Actor)
	var pe *payments.Error
	switch {
	case errors.Is(err, flows.ErrRefused):
		s.showBatch(w, r, v, b, http.StatusConflict, s.T(v, "dasbor.imp.err.invoice", nil))
		return
	case errors.As(err, &pe), errors.Is(err, flows.ErrPayBusy), errors.Is(err, flows.ErrPayDown), errors.Is(err, context.DeadlineExceeded):
		s.Log.Warn("dashboard: invoice", "batch", b.ID, "err", err)
		s.showBatch(w, r, v, b, http.StatusBadGateway, s.T(v, "dasbor.imp.err.provider", nil))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/impor/%d?ok=tagihan", b.ID), http.StatusSeeOther)
}

// batchPay records a sponsor's transfer (an SP2D or bank reference) for a
// batch: every waiting worker is protected.
func (s *server) batchPay(w http.ResponseWriter, r *http.Request, v viewer) {
	b, ok := s.readBatch(w, r, v)
	if !ok {
		return
	}
	if s.Imports == nil {
		s.showBatch(w, r, v, b, http.StatusServiceUnavailable, s.T(v, "dasbor.imp.err.off", nil))
		return
	}
	ref := strings.TrimSpace(r.PostFormValue("reference"))
	if n := len([]rune(ref)); n < 3 || n > 100 {
		s.showBatch(w, r, v, b, http.StatusBadRequest, s.T(v, "dasbor.imp.err.reference", nil))
		return
	}
	if r.PostFormValue("confirm") != "1" {
		s.showBatch(w, r, v, b, http.StatusBadRequest, s.T(v, "dasbor.imp.err.confirm", nil))
		return
	}
	n, err := s.Imports.Pay(r.Context(), b.ID, ref, v.Actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if n == 0 { // nobody waited: nothing recorded, but the attempt is
		if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:sponsor_pay", "batch:"+strconv.FormatInt(b.ID, 10), "reference="+ref+" covered=0"); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/impor/%d?ok=bayar&n=%d", b.ID, n), http.StatusSeeOther)
}

// batchCodes makes new claim codes for a batch's unlinked workers and shows
// them once, on a sheet to print: only their hashes are kept, and the
// earlier codes stop working.
func (s *server) batchCodes(w http.ResponseWriter, r *http.Request, v viewer) {
	b, ok := s.readBatch(w, r, v)
	if !ok {
		return
	}
	days, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil || days < 1 || days > 365 {
		s.showBatch(w, r, v, b, http.StatusBadRequest, s.T(v, "dasbor.imp.err.days", nil))
		return
	}
	if r.PostFormValue("confirm") != "1" {
		s.showBatch(w, r, v, b, http.StatusBadRequest, s.T(v, "dasbor.imp.err.confirm", nil))
		return
	}
	expires := s.Now().AddDate(0, 0, days)
	codes, err := s.Store.SponsorClaimCodes(r.Context(), b.ID, expires, v.Actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var links []flows.PosterLink
	if s.Imports != nil {
		links = s.Imports.PosterLinks(b.ClaimToken)
	}
	s.page(w, r, http.StatusOK, "codes", v, map[string]any{"B": batchOf(b), "Codes": codes, "Count": int64(len(codes)), "Expires": expires,
		"Links": links, "Command": flows.PosterCommand(b.ClaimToken)})
}
