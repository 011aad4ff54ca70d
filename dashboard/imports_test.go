package dashboard_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
)

// importAdmin is newEnv's admin.
const importAdmin = "telegram:42"

// importList is a generated list of n workers with bad rows now and then.
func importList(t *testing.T, e *env, n int, seed int64, badEvery int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := roster.Generate(&buf, n, seed, e.db.Regions, badEvery); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importForm is the upload form's fields.
func importForm(csrf, sponsorName string) map[string]string {
	return map[string]string{"csrf": csrf, "sponsor": sponsorName, "funding": "apbd", "months": "12", "jht": ""}
}

// upload posts the upload form with a file; it returns the status, the
// redirect's target and the body.
func (b *browser) upload(fields map[string]string, name string, file []byte) (int, string, string) {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			b.e.t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			b.e.t.Fatal(err)
		}
		fw.Write(file) //nolint:errcheck
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+"/admin/impor", &body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(out)
}

// uploadList uploads a list as the admin and returns the upload's number.
func (b *browser) uploadList(sponsorName string, file []byte) int64 {
	b.e.t.Helper()
	code, loc, body := b.upload(importForm(b.csrf(), sponsorName), "pekerja.csv", file)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/impor/unggahan/") {
		b.e.t.Fatalf("upload: %d to %q\n%s", code, loc, body)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/admin/impor/unggahan/"), 10, 64)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return id
}

// waitDone waits for an upload's import to end and returns it.
func (e *env) waitDone(id int64) sponsor.Upload {
	e.t.Helper()
	sw := clock.Start()
	for {
		u, err := e.db.DB.Upload(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if u.Status == sponsor.UploadDone || u.Status == sponsor.UploadFailed {
			if u.Status == sponsor.UploadFailed {
				e.t.Fatalf("upload %d failed: %s", id, u.Error)
			}
			return u
		}
		if sw.Elapsed() > 30*time.Second {
			e.t.Fatalf("upload %d still %s after 30 s", id, u.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.DB.SQL().Get(&n, query, args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

var (
	rejectedRowRe = regexp.MustCompile(`<tr><td class="num">([0-9]+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>`)
	tileRe        = func(id string) *regexp.Regexp { return regexp.MustCompile(`id="` + id + `">([0-9.]+)<`) }
)

// tile reads a number shown as a tile ("1.234" → 1234).
func tile(t *testing.T, body, id string) int {
	t.Helper()
	m := tileRe(id).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no #%s on the page", id)
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ".", ""))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// An upload with bad rows shows its report (the rejected rows with their
// reasons, the same as its CSV) and stores nothing; confirmed twice at once
// it imports once, and the batch has the rows the report called valid.
func TestImportReportThenImportOnce(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(importAdmin)
	list := importList(t, e, 80, 3, 5)
	id := b.uploadList("Pemkab Sambas", list)

	code, page := b.get(fmt.Sprintf("/admin/impor/unggahan/%d", id))
	if code != http.StatusOK {
		t.Fatalf("upload page: %d", code)
	}
	read, valid, rejected := tile(t, page, "dry-read"), tile(t, page, "dry-valid"), tile(t, page, "dry-rejected")
	if read != 80 || rejected == 0 || valid+rejected != read {
		t.Fatalf("dry run: %d read, %d valid, %d rejected", read, valid, rejected)
	}
	var shown [][]string
	for _, m := range rejectedRowRe.FindAllStringSubmatch(page, -1) {
		shown = append(shown, []string{m[1], html.UnescapeString(m[2]), html.UnescapeString(m[3])})
	}
	if len(shown) != rejected {
		t.Errorf("the page lists %d rejected rows, its tile says %d", len(shown), rejected)
	}
	for _, r := range shown {
		if r[1] == "" || len(r[2]) < 10 {
			t.Errorf("rejected row without a column or reason: %q", r)
		}
	}
	code, report := b.get(fmt.Sprintf("/admin/impor/unggahan/%d/laporan.csv", id))
	if code != http.StatusOK {
		t.Fatalf("report: %d", code)
	}
	report, bom := strings.CutPrefix(report, "\ufeff")
	if !bom {
		t.Error("the report has no byte order mark: Excel would garble its letters")
	}
	recs, err := csv.NewReader(strings.NewReader(report)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 1 || !slices.Equal(recs[0], []string{"baris", "kolom", "alasan"}) {
		t.Fatalf("report header %q", recs[:min(1, len(recs))])
	}
	if !slices.EqualFunc(recs[1:], shown, slices.Equal) {
		t.Errorf("the CSV's rows differ from the page's:\n%q\n%q", recs[1:], shown)
	}
	if n := e.audited(importAdmin, "dasbor:import_report"); n != 1 {
		t.Errorf("%d report downloads audited, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM sponsor_batches`) + e.count(`SELECT count(*) FROM registrations`); n != 0 {
		t.Fatalf("the dry run stored %d batches and registrations", n)
	}
	if !strings.Contains(page, `id="mulai"`) {
		t.Fatal("no button to import")
	}

	// Two presses at once (two tabs): one import.
	csrf := b.csrf()
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Go(func() {
			codes[i], _ = b.post(fmt.Sprintf("/admin/impor/unggahan/%d/mulai", id), url.Values{"csrf": {csrf}})
		})
	}
	wg.Wait()
	if codes[0] != http.StatusSeeOther || codes[1] != http.StatusSeeOther {
		t.Fatalf("confirm: %v", codes)
	}
	u := e.waitDone(id)
	if code, _ := b.post(fmt.Sprintf("/admin/impor/unggahan/%d/mulai", id), url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		t.Errorf("a press after it is done: %d", code)
	}
	if u.Runs != 1 || e.audited(importAdmin, "dasbor:import_start") != 1 {
		t.Errorf("started %d times (%d audited), want once", u.Runs, e.audited(importAdmin, "dasbor:import_start"))
	}
	if n := e.count(`SELECT count(*) FROM sponsor_batches`); n != 1 {
		t.Fatalf("%d batches, want 1", n)
	}
	regs := e.count(`SELECT count(*) FROM registrations WHERE sponsor_batch_id = $1`, u.BatchID)
	if regs != valid || u.Result.Imported != valid || u.Result.Rejected != rejected {
		t.Errorf("imported %d (%d in the batch), rejected %d; the dry run said %d valid, %d rejected", u.Result.Imported, regs, u.Result.Rejected, valid, rejected)
	}
	if e.audited(importAdmin, "sponsor:import") != 1 || e.audited(importAdmin, "dasbor:import_done") != 1 {
		t.Error("the batch or the import's end is not audited as the admin")
	}
	if e.count(`SELECT count(*) FROM dashboard_imports WHERE file_sealed IS NOT NULL`) != 0 {
		t.Error("the file is kept after the import")
	}

	_, page = b.get(fmt.Sprintf("/admin/impor/unggahan/%d", id))
	if got := tile(t, page, "res-imported"); got != regs {
		t.Errorf("the result shows %d imported, the batch has %d", got, regs)
	}
	if !strings.Contains(page, fmt.Sprintf(`href="/admin/impor/%d" id="batch-link"`, u.BatchID)) || strings.Contains(page, `id="mulai"`) {
		t.Error("the finished upload's page links no batch, or still offers to import")
	}
	_, page = b.get(fmt.Sprintf("/admin/impor/%d", u.BatchID))
	if got := tile(t, page, "b-workers"); got != regs {
		t.Errorf("the batch page shows %d workers, the database has %d", got, regs)
	}
	if strings.Contains(page, `id="invoice"`) {
		t.Error("an invoice is offered without a payment provider")
	}
	if code, body := b.post(fmt.Sprintf("/admin/impor/%d/tagihan", u.BatchID), url.Values{"csrf": {b.csrf()}, "bank": {"bni"}}); code != http.StatusConflict ||
		!strings.Contains(body, "Tagihan tidak bisa dibuat") {
		t.Errorf("an invoice without a payment provider: %d", code)
	}
	_, list2 := b.get("/admin/impor")
	if !strings.Contains(list2, fmt.Sprintf(`href="/admin/impor/%d"`, u.BatchID)) {
		t.Error("the Impor page does not list the batch")
	}

	// The same file again: a new upload, told of the batch, adds nobody.
	again := b.uploadList("Pemkab Sambas", list)
	_, page = b.get(fmt.Sprintf("/admin/impor/unggahan/%d", again))
	if !strings.Contains(page, `id="before"`) {
		t.Error("the same file again is not said to be imported before")
	}
	if code, _ := b.post(fmt.Sprintf("/admin/impor/unggahan/%d/mulai", again), url.Values{"csrf": {b.csrf()}}); code != http.StatusSeeOther {
		t.Fatalf("confirm again: %d", code)
	}
	e.waitDone(again)
	if n := e.count(`SELECT count(*) FROM registrations`); n != regs {
		t.Errorf("the same file twice: %d registrations, want %d", n, regs)
	}
}

// Only admins upload and confirm; staf read; a supervisor (a
// kabupaten/kota) sees none of the province's lists; a sponsor sees its
// own batches only, and no uploads.
func TestImportRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.browser()
	admin.signIn(importAdmin)
	id := admin.uploadList("Pemkab Sambas", importList(t, e, 10, 4, 0))
	mine, _, err := e.db.DB.OpenBatch(ctx, sponsor.BatchSpec{Sponsor: "Bank Kalbar", FileName: "a.csv", FileSHA: "aa", Months: 12, CreatedBy: importAdmin})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := e.db.DB.OpenBatch(ctx, sponsor.BatchSpec{Sponsor: "Pemkab Sanggau", FileName: "b.csv", FileSHA: "bb", Months: 12, CreatedBy: importAdmin})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []dashboard.Staff{
		{Actor: "telegram:77", Role: dashboard.RoleStaf},
		{Actor: "telegram:88", Role: dashboard.RoleSupervisor, Regencies: []string{"61.01"}},
		{Actor: "telegram:99", Role: dashboard.RoleSponsor, Batches: []int64{mine.ID}},
	} {
		if err := e.db.DB.SetStaffRole(ctx, importAdmin, st); err != nil {
			t.Fatal(err)
		}
	}
	sup := e.browser()
	sup.signIn("telegram:88")
	for _, p := range []string{"/admin/impor", fmt.Sprintf("/admin/impor/unggahan/%d", id), fmt.Sprintf("/admin/impor/unggahan/%d/laporan.csv", id),
		fmt.Sprintf("/admin/impor/%d", mine.ID), fmt.Sprintf("/admin/impor/%d/qr.png", mine.ID)} {
		if code, _ := sup.get(p); code != http.StatusForbidden {
			t.Errorf("supervisor GET %s: %d, want 403", p, code)
		}
	}
	if code, _ := sup.post(fmt.Sprintf("/admin/impor/unggahan/%d/mulai", id), url.Values{"csrf": {sup.csrf()}}); code != http.StatusForbidden {
		t.Errorf("supervisor confirming: %d, want 403", code)
	}
	if code, _, _ := sup.upload(importForm(sup.csrf(), "Pemkab X"), "x.csv", importList(t, e, 3, 5, 0)); code != http.StatusForbidden {
		t.Errorf("supervisor uploading: %d, want 403", code)
	}
	for _, who := range []string{"telegram:77"} {
		b := e.browser()
		b.signIn(who)
		if code, page := b.get(fmt.Sprintf("/admin/impor/unggahan/%d", id)); code != http.StatusOK || strings.Contains(page, `id="mulai"`) {
			t.Errorf("%s reading the upload: %d (offered to import: %v)", who, code, strings.Contains(page, `id="mulai"`))
		}
		if code, page := b.get("/admin/impor"); code != http.StatusOK || strings.Contains(page, `id="upload"`) {
			t.Errorf("%s on the Impor page: %d (offered the upload form: %v)", who, code, strings.Contains(page, `id="upload"`))
		}
		if code, _, _ := b.upload(importForm(b.csrf(), "Pemkab X"), "x.csv", importList(t, e, 3, 5, 0)); code != http.StatusForbidden {
			t.Errorf("%s uploading: %d, want 403", who, code)
		}
		if code, _ := b.post(fmt.Sprintf("/admin/impor/unggahan/%d/mulai", id), url.Values{"csrf": {b.csrf()}}); code != http.StatusForbidden {
			t.Errorf("%s confirming: %d, want 403", who, code)
		}
		if code, _ := b.post(fmt.Sprintf("/admin/impor/%d/kode", mine.ID), url.Values{"csrf": {b.csrf()}, "days": {"30"}, "confirm": {"1"}}); code != http.StatusForbidden {
			t.Errorf("%s making claim codes: %d, want 403", who, code)
		}
		if code, page := b.get(fmt.Sprintf("/admin/impor/%d", mine.ID)); code != http.StatusOK || strings.Contains(page, `action="/admin/impor/`+strconv.FormatInt(mine.ID, 10)+`/kode"`) {
			t.Errorf("%s on a batch page: %d (offered claim codes: %v)", who, code, strings.Contains(page, "/kode"))
		}
		if n := e.audited(who, "dasbor:forbidden"); n != 3 {
			t.Errorf("%s: %d refusals audited, want 3", who, n)
		}
	}
	if n := e.count(`SELECT count(*) FROM dashboard_imports`); n != 1 {
		t.Errorf("%d uploads stored, want 1", n)
	}
	if u, _ := e.db.DB.Upload(ctx, id); u.Status != sponsor.UploadChecked {
		t.Errorf("the upload is %s after refused confirmations", u.Status)
	}

	sp := e.browser()
	sp.signIn("telegram:99")
	code, page := sp.get("/admin/impor")
	if code != http.StatusOK || !strings.Contains(page, fmt.Sprintf(`href="/admin/impor/%d"`, mine.ID)) ||
		strings.Contains(page, fmt.Sprintf(`href="/admin/impor/%d"`, other.ID)) || strings.Contains(page, "/admin/impor/unggahan/") {
		t.Errorf("the sponsor's Impor page (%d) lists other batches or uploads:\n%s", code, page)
	}
	if code, _ := sp.get(fmt.Sprintf("/admin/impor/%d", mine.ID)); code != http.StatusOK {
		t.Errorf("the sponsor's own batch: %d", code)
	}
	if code, _ := sp.get(fmt.Sprintf("/admin/impor/%d", other.ID)); code != http.StatusNotFound {
		t.Errorf("another sponsor's batch: %d, want 404", code)
	}
	if code, _ := sp.get(fmt.Sprintf("/admin/impor/unggahan/%d", id)); code != http.StatusForbidden {
		t.Errorf("the sponsor reading an upload: %d, want 403", code)
	}
}

// An upload without the session's CSRF token, or too big, is refused and
// stores nothing; the page says why.
func TestImportRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(importAdmin)
	list := importList(t, e, 5, 6, 0)
	for _, csrf := range []string{"", "wrong"} {
		if code, _, _ := b.upload(importForm(csrf, "Pemkab Sambas"), "pekerja.csv", list); code != http.StatusForbidden {
			t.Errorf("upload with CSRF %q: %d, want 403", csrf, code)
		}
	}
	id := b.uploadList("Pemkab Sambas", list)
	if code, _ := b.post(fmt.Sprintf("/admin/impor/unggahan/%d/mulai", id), url.Values{}); code != http.StatusForbidden {
		t.Errorf("confirm without CSRF: %d, want 403", code)
	}
	if u, _ := e.db.DB.Upload(context.Background(), id); u.Status != sponsor.UploadChecked {
		t.Errorf("confirm without CSRF: upload %s", u.Status)
	}

	big := bytes.Repeat([]byte("x"), sponsor.MaxUpload+100<<10)
	code, _, body := b.upload(importForm(b.csrf(), "Pemkab Sambas"), "besar.csv", big)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "File terlalu besar") {
		t.Errorf("a file over 20 MB: %d\n%.400s", code, body)
	}
	// Just over the limit, inside the request's bound: the form says it.
	code, _, body = b.upload(importForm(b.csrf(), "Pemkab Sambas"), "besar.csv", big[:sponsor.MaxUpload+1])
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "File terlalu besar") || !strings.Contains(body, `value="Pemkab Sambas"`) {
		t.Errorf("a file one byte over: %d\n%.400s", code, body)
	}
	code, _, body = b.upload(importForm(b.csrf(), "Pemkab Sambas"), "catatan.csv", []byte("halo,dunia\n1,2\n"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "catatan.csv") {
		t.Errorf("a file without the list's columns: %d\n%.600s", code, body)
	}
	form := importForm(b.csrf(), "Pemkab Sambas")
	form["months"] = "7"
	if code, _, body := b.upload(form, "pekerja.csv", list); code != http.StatusBadRequest || !strings.Contains(body, "1, 3, 6, atau 12") {
		t.Errorf("7 months: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM dashboard_imports`); n != 1 {
		t.Errorf("%d uploads stored, want the 1 accepted", n)
	}
}

// crashAfter is a list whose reading stops with an error after n rows, as
// if the process died there.
type crashAfter struct {
	src sponsor.Source
	n   int
}

func (c *crashAfter) Next() (roster.Row, error) {
	if c.n == 0 {
		return roster.Row{}, fmt.Errorf("crash")
	}
	c.n--
	return c.src.Next()
}

// An import stopped halfway (its process died, the upload left running) is
// resumed by the next start, unless another process still runs it, and
// ends as a clean import ends: nobody twice.
func TestImportResumesAfterCrash(t *testing.T) {
	clean := newEnv(t)
	cb := clean.browser()
	cb.signIn(importAdmin)
	list := importList(t, clean, 120, 7, 6)
	cid := cb.uploadList("Pemprov Kalimantan Barat", list)
	if code, _ := cb.post(fmt.Sprintf("/admin/impor/unggahan/%d/mulai", cid), url.Values{"csrf": {cb.csrf()}}); code != http.StatusSeeOther {
		t.Fatal(code)
	}
	want := clean.waitDone(cid)

	e := newEnv(t)
	ctx := context.Background()
	b := e.browser()
	b.signIn(importAdmin)
	id := b.uploadList("Pemprov Kalimantan Barat", list)
	// Confirmed, then the process died after storing a few chunks.
	if ok, err := e.db.DB.StartUpload(ctx, id, importAdmin); err != nil || !ok {
		t.Fatalf("start: %v %v", ok, err)
	}
	u, file, err := e.db.DB.UploadFile(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := roster.Open(bytes.NewReader(file), u.Spec.FileName)
	if err != nil {
		t.Fatal(err)
	}
	spec := u.Spec
	spec.CreatedBy = u.StartedBy
	cfg := flows.DefaultConfig()
	_, err = sponsor.Import(ctx, e.db.DB, &crashAfter{rd, 50}, sponsor.Options{Batch: spec, ChunkRows: 10, Catalog: e.db.Catalog, Lang: "id",
		Check: roster.NewValidator(e.db.Regions, cfg.Province, e.clock.Now().In(cfg.Location), cfg.MinAge, cfg.MaxAge), Tariffs: e.db.Tariffs})
	if err == nil {
		t.Fatal("the crashed import did not stop")
	}
	rd.Close()
	part := e.count(`SELECT count(*) FROM registrations`)
	if part == 0 || part >= want.Result.Imported {
		t.Fatalf("the crashed run stored %d of %d", part, want.Result.Imported)
	}
	_, page := b.get(fmt.Sprintf("/admin/impor/unggahan/%d", id))
	if !strings.Contains(page, `id="progress"`) {
		t.Error("the running upload's page shows no progress")
	}

	im := e.db.Engine(cfg).SponsorImports(e.db.DB)
	// Another process still holding it: left to that one.
	release, ok, err := e.db.DB.LeaseUpload(ctx, id)
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if n, err := im.Resume(ctx); n != 0 || err != nil {
		t.Errorf("resumed %d (%v) while another process holds it", n, err)
	}
	release()
	if n, err := im.Resume(ctx); n != 1 || err != nil {
		t.Fatalf("resumed %d: %v", n, err)
	}
	got := e.waitDone(id)
	if got.Result != want.Result {
		t.Errorf("resumed import %+v, a clean one %+v", got.Result, want.Result)
	}
	if n := e.count(`SELECT count(*) FROM registrations`); n != want.Result.Imported {
		t.Errorf("%d registrations after the resume, want %d", n, want.Result.Imported)
	}
	b1, _ := e.db.DB.BatchByID(ctx, got.BatchID)
	if b1.Imported != want.Result.Imported || e.count(`SELECT count(*) FROM sponsor_batches`) != 1 {
		t.Errorf("batch counts %d imported, want %d, in one batch", b1.Imported, want.Result.Imported)
	}
	if n, err := im.Resume(ctx); n != 0 || err != nil {
		t.Errorf("nothing left to resume, resumed %d (%v)", n, err)
	}
}

// serveWith serves the environment's database with another engine config
// and payment provider: a deployment with WhatsApp and a test bank.
func serveWith(e *env, cfg flows.Config, payer flows.Payer) *env {
	e.t.Helper()
	e.db.Payer = payer
	eng := e.db.Engine(cfg)
	h, err := dashboard.New(dashboard.Config{Store: e.db.DB, Actions: eng, Broadcasts: eng, Imports: eng.SponsorImports(e.db.DB), Catalog: e.db.Catalog,
		Regions: e.db.Regions, Admins: cfg.Admins, Location: cfg.Location, Now: e.clock.Now, Log: slog.New(slog.DiscardHandler), LoginsPerMinute: 600})
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	return &env{t: e.t, db: e.db, srv: srv, clock: e.clock}
}

// A batch's page: what is due, an invoice with its virtual account, the
// poster's QR code, a transfer recorded, and a sheet of claim codes shown
// once to an admin.
func TestBatchPage(t *testing.T) {
	base := newEnv(t)
	cfg := flows.DefaultConfig()
	cfg.Admins = []string{importAdmin}
	cfg.WhatsAppNumber = "62811000000"
	sb, err := sandbox.New(sandbox.Options{Secret: []byte("dashboard-test-sandbox"), Now: base.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := serveWith(base, cfg, sb)
	ctx := context.Background()
	b := e.browser()
	b.signIn(importAdmin)
	id := b.uploadList("Pemkab Sambas", importList(t, e, 30, 8, 0))
	if code, _ := b.post(fmt.Sprintf("/admin/impor/unggahan/%d/mulai", id), url.Values{"csrf": {b.csrf()}}); code != http.StatusSeeOther {
		t.Fatal(code)
	}
	u := e.waitDone(id)
	batch := fmt.Sprintf("/admin/impor/%d", u.BatchID)
	bt, err := e.db.DB.BatchByID(ctx, u.BatchID)
	if err != nil {
		t.Fatal(err)
	}

	_, page := b.get(batch)
	due, waiting, err := e.db.Engine(cfg).SponsorImports(e.db.DB).Due(ctx, u.BatchID)
	if err != nil {
		t.Fatal(err)
	}
	if waiting != 30 || due == 0 || !strings.Contains(page, locales.Rupiah(due)) {
		t.Errorf("due %d for %d workers, not on the page", due, waiting)
	}
	code, img := b.get(batch + "/qr.png?app=whatsapp")
	if code != http.StatusOK {
		t.Fatalf("qr: %d", code)
	}
	if link := decodeQR(t, []byte(img)); link != flows.WhatsAppSponsorLink(cfg.WhatsAppNumber, bt.ClaimToken) {
		t.Errorf("the QR code opens %q", link)
	}
	if code, _ := b.get(batch + "/qr.png?app=telegram"); code != http.StatusNotFound {
		t.Errorf("a Telegram QR code without a bot: %d", code)
	}

	if code, _ := b.post(batch+"/tagihan", url.Values{"csrf": {b.csrf()}, "bank": {"bni"}}); code != http.StatusSeeOther {
		t.Fatalf("invoice: %d", code)
	}
	var va string
	if err := e.db.DB.SQL().Get(&va, `SELECT va_number FROM payments WHERE payer_ref = $1 AND status = 'pending'`, fmt.Sprintf("batch:%d", u.BatchID)); err != nil || va == "" {
		t.Fatalf("no pending invoice: %v", err)
	}
	// A second press (a stale tab): refused before the provider is asked.
	if code, _ := b.post(batch+"/tagihan", url.Values{"csrf": {b.csrf()}, "bank": {"bni"}}); code != http.StatusConflict {
		t.Errorf("a second invoice while one is open: %d, want 409", code)
	}
	if n := e.count(`SELECT count(*) FROM payments WHERE payer_ref = $1`, fmt.Sprintf("batch:%d", u.BatchID)); n != 1 {
		t.Errorf("%d invoices for the batch, want 1", n)
	}
	_, page = b.get(batch)
	if !strings.Contains(page, va) || strings.Contains(page, `id="invoice"`) {
		t.Error("the batch page does not show the virtual account, or offers a second invoice")
	}

	if code, _ := b.post(batch+"/bayar", url.Values{"csrf": {b.csrf()}, "reference": {"SP2D 001/2026"}}); code != http.StatusBadRequest {
		t.Errorf("a transfer not confirmed: %d", code)
	}
	if code, _ := b.post(batch+"/bayar", url.Values{"csrf": {b.csrf()}, "reference": {"SP2D 001/2026"}, "confirm": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("transfer: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM registrations WHERE sponsor_batch_id = $1 AND covered_to IS NOT NULL`, u.BatchID); n != 30 {
		t.Errorf("%d of 30 covered after the transfer", n)
	}
	if n := e.count(`SELECT count(*) FROM payments WHERE payer_ref = $1 AND status = 'pending'`, fmt.Sprintf("batch:%d", u.BatchID)); n != 0 {
		t.Error("the invoice is still open after the transfer")
	}
	if e.audited(importAdmin, "sponsor:pay") != 1 || e.audited(importAdmin, "sponsor:invoice") != 1 {
		t.Error("the invoice or the transfer is not audited as the admin")
	}

	code, sheet := b.post(batch+"/kode", url.Values{"csrf": {b.csrf()}, "days": {"30"}, "confirm": {"1"}})
	if code != http.StatusOK {
		t.Fatalf("codes: %d", code)
	}
	codes := regexp.MustCompile(`<strong class="code">([A-Z0-9]+)</strong>`).FindAllStringSubmatch(sheet, -1)
	if len(codes) != 30 || e.count(`SELECT count(*) FROM claim_codes WHERE sponsor_batch_id = $1 AND used_at IS NULL`, u.BatchID) != 30 {
		t.Errorf("%d codes on the sheet, want 30", len(codes))
	}
	if e.audited(importAdmin, "sponsor:claim_codes") != 1 {
		t.Error("the codes are not audited")
	}
}

// decodeQR reads a QR code picture.
func decodeQR(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}
