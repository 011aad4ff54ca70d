package dashboard_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/vault"
	"github.com/lindungi/lindungi/wilayah"
)

// TestImportsInBrowser is the Impor pages' acceptance test in a real
// headless Chromium: an admin uploads a list with bad rows, reads the
// report, confirms, watches the import (held for a moment, as if another
// process ran it) and reads the result, then opens the batch, issues an
// invoice and prints claim codes; every page is checked against the
// database and saved as a screenshot at 390 and 1366 px.
func TestImportsInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not with -short")
	}
	if _, err := os.Stat(browserChromium); err != nil {
		msg := fmt.Sprintf("SKIP ********** dashboard imports browser test NOT RUN: %s is missing. Install the Debian package `chromium` (apt-get install chromium) **********", browserChromium)
		if os.Getenv("LINDUNGI_REQUIRE_BROWSER") != "" {
			t.Fatal(msg)
		}
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	e, im := browserImportsStart(t)
	db := e.db.SQL()
	dir := browserShotDir(t)
	list := filepath.Join(t.TempDir(), "pekerja-sambas.csv")
	f, err := os.Create(list)
	browserMust(t, err)
	browserMust(t, roster.Generate(f, 60, 11, e.regions, 5))
	browserMust(t, f.Close())

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browserChromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("accept-lang", "id-ID,id"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", browserChromium, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 120*time.Second)
	defer cancel()
	admin, cancelAdmin := browserTab(t, ctx)
	defer cancelAdmin()
	browserSignIn(t, e, admin, browserAdmin)

	// shoot saves the page as it is at both widths (the page is laid out
	// again at each, not reloaded).
	shoot := func(name string) {
		t.Helper()
		for _, width := range []int64{390, 1366} {
			vp := chromedp.EmulateViewport(width, 900)
			if width < 600 {
				vp = chromedp.EmulateViewport(width, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
			}
			browserStep(t, admin, "viewport", vp)
			if w := browserEval[int](t, admin, `document.documentElement.scrollWidth`); w > int(width)+1 {
				t.Errorf("%s at %d px is %d px wide: the page scrolls sideways", name, width, w)
			}
			png, err := chromedp.Run(admin, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot %s at %d: %v", name, width, err)
			}
			browserMust(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644))
		}
		browserStep(t, admin, "viewport", chromedp.EmulateViewport(1366, 900))
	}

	var upload int64
	t.Run("an import with bad rows shows its report and then imports", func(t *testing.T) {
		browserOpen(t, admin, e.srv.URL+"/admin/impor", http.StatusOK)
		shoot("impor")
		form := `#upload `
		browserStep(t, admin, "fill the upload form",
			chromedp.SetUploadFiles(form+`input[name="file"]`, []string{list}),
			chromedp.SendKeys(form+`input[name="sponsor"]`, "Pemkab Sambas"),
			chromedp.Click(form+`input[name="funding"][value="apbd"]`),
			chromedp.SetValue(form+`select[name="months"]`, "6"),
		)
		browserSubmit(t, admin, "#check", http.StatusOK)
		path := browserEval[string](t, admin, `location.pathname`)
		id, err := strconv.ParseInt(strings.TrimPrefix(path, "/admin/impor/unggahan/"), 10, 64)
		if err != nil {
			t.Fatalf("after the upload: at %s\n%s", path, browserText(admin))
		}
		upload = id
		var read, valid int
		browserMust(t, db.QueryRow(`SELECT rows_read, rows_valid FROM dashboard_imports WHERE id = $1`, id).Scan(&read, &valid))
		rejected := read - valid
		if read != 60 || rejected == 0 {
			t.Fatalf("dry run: %d read, %d valid", read, valid)
		}
		if got := browserEval[int](t, admin, `document.querySelectorAll('#rejected tbody tr').length`); got != rejected {
			t.Errorf("the page lists %d rejected rows, the dry run rejected %d", got, rejected)
		}
		if got := browserEval[string](t, admin, `document.getElementById('dry-rejected').textContent`); got != strconv.Itoa(rejected) {
			t.Errorf("the rejected tile says %q, want %d", got, rejected)
		}
		if reason := browserEval[string](t, admin, `document.querySelector('#rejected tbody tr td:last-child').textContent`); len(reason) < 10 {
			t.Errorf("a rejected row's reason: %q", reason)
		}
		var n int
		browserMust(t, db.QueryRow(`SELECT count(*) FROM registrations`).Scan(&n))
		if n != 0 {
			t.Fatalf("the dry run stored %d registrations", n)
		}
		shoot("impor-laporan")

		// Another process holds the import for a moment: the page shows
		// its progress and reloads itself until it is done.
		release, ok, err := e.db.LeaseUpload(context.Background(), id)
		if err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		browserSubmit(t, admin, "#mulai", http.StatusOK)
		if browserEval[int](t, admin, `document.querySelectorAll('#progress').length`) != 1 {
			t.Errorf("no progress while it runs:\n%s", browserText(admin))
		}
		shoot("impor-berjalan")
		release()
		if _, err := im.Resume(context.Background()); err != nil {
			t.Fatal(err)
		}
		browserWait(t, admin, `document.getElementById('result')`)
		var imported, batch int
		browserMust(t, db.QueryRow(`SELECT imported, batch_id FROM dashboard_imports WHERE id = $1`, id).Scan(&imported, &batch))
		browserMust(t, db.QueryRow(`SELECT count(*) FROM registrations WHERE sponsor_batch_id = $1`, batch).Scan(&n))
		if got := browserEval[string](t, admin, `document.getElementById('res-imported').textContent`); got != strconv.Itoa(n) || n != valid || imported != valid {
			t.Errorf("the result says %s imported; the batch has %d, the dry run said %d valid", got, n, valid)
		}
		shoot("impor-hasil")
	})
	if upload == 0 {
		t.FailNow()
	}

	t.Run("the batch's page: invoice, poster, claim codes", func(t *testing.T) {
		browserSubmit(t, admin, "#batch-link", http.StatusOK)
		var batch, workers int
		browserMust(t, db.QueryRow(`SELECT batch_id FROM dashboard_imports WHERE id = $1`, upload).Scan(&batch))
		browserMust(t, db.QueryRow(`SELECT count(*) FROM registrations WHERE sponsor_batch_id = $1`, batch).Scan(&workers))
		if got := browserEval[string](t, admin, `document.getElementById('b-workers').textContent`); got != strconv.Itoa(workers) {
			t.Errorf("the batch page shows %s workers, the database has %d", got, workers)
		}
		browserStep(t, admin, "pick a bank", chromedp.SetValue(`#invoice select[name="bank"]`, "bri"))
		browserSubmit(t, admin, `#invoice button`, http.StatusOK)
		var va string
		browserMust(t, db.QueryRow(`SELECT va_number FROM payments WHERE payer_ref = $1 AND status = 'pending'`, fmt.Sprintf("batch:%d", batch)).Scan(&va))
		if table := browserEval[string](t, admin, `document.getElementById('payments').innerText`); !strings.Contains(table, va) {
			t.Errorf("the virtual account %s is not on the page:\n%s", va, table)
		}
		if n := browserEval[int](t, admin, `[...document.querySelectorAll('figure.qr img')].filter(i => i.complete && i.naturalWidth > 0).length`); n != 2 {
			t.Errorf("%d poster QR codes drawn, want Telegram's and WhatsApp's", n)
		}
		shoot("impor-batch")

		// English, and back.
		browserSubmit(t, admin, `form[action="/admin/lang"] button[value="en"]`, http.StatusOK)
		if h := browserEval[string](t, admin, `document.getElementById('pay-title').textContent`); h != "Sponsor payment" {
			t.Errorf("in English the payment's heading is %q", h)
		}
		shoot("impor-batch-en")
		browserSubmit(t, admin, `form[action="/admin/lang"] button[value="id"]`, http.StatusOK)

		browserStep(t, admin, "confirm new codes", chromedp.Click(`#codes input[name="confirm"]`))
		browserSubmit(t, admin, "#make-codes", http.StatusOK)
		if n := browserEval[int](t, admin, `document.querySelectorAll('#code-sheet li').length`); n != workers {
			t.Errorf("%d codes on the sheet, want one for each of the %d workers", n, workers)
		}
		var audited int
		browserMust(t, db.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = 'sponsor:claim_codes'`, browserAdmin).Scan(&audited))
		if audited != 1 {
			t.Errorf("%d claim code sheets audited, want 1", audited)
		}
		shoot("impor-kode")

		// Printed: the sheet alone, without the menu and the notes.
		_, err := chromedp.Call(admin, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		browserMust(t, err)
		if shown := browserEval[int](t, admin, `[...document.querySelectorAll('header, .noprint')].filter(x => getComputedStyle(x).display !== 'none').length`); shown != 0 {
			t.Errorf("%d of the menu and the notes are printed", shown)
		}
		png, err := chromedp.Run(admin, chromedp.FullScreenshot(100))
		browserMust(t, err)
		browserMust(t, os.WriteFile(filepath.Join(dir, "impor-kode-cetak-1366.png"), png, 0o644))
		_, err = chromedp.Call(admin, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		browserMust(t, err)
	})
}

// browserImportsStart serves a dashboard with its imports on a database of
// its own: a deployment with a Telegram bot, a WhatsApp number and the test
// bank. Sign-in links are made in process.
func browserImportsStart(t *testing.T) (*browserEnv, *flows.SponsorImports) {
	t.Helper()
	ctx := context.Background()
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	key := make([]byte, vault.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key)
	browserMust(t, err)
	cfg := flows.DefaultConfig()
	cfg.Admins = []string{browserAdmin}
	cfg.WhatsAppNumber = "62811000000"
	cfg.BotUsername = func() string { return "lindungi_bot" }
	db, err := store.Open(ctx, dsn, v, store.Options{Location: cfg.Location})
	browserMust(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	browserMust(t, err)
	cat, err := locales.Load()
	browserMust(t, err)
	regions, err := wilayah.Load()
	browserMust(t, err)
	sb, err := sandbox.New(sandbox.Options{Secret: []byte("browser-imports-sandbox"), Now: clock.Now})
	browserMust(t, err)
	quiet := slog.New(slog.DiscardHandler)
	engine := flows.New(flows.Deps{Store: db, Catalog: cat, Regions: regions, Tariffs: iuran.Default(), Log: quiet, Payer: sb}, cfg)
	im := engine.SponsorImports(db)
	h, err := dashboard.New(dashboard.Config{Store: db, Actions: engine, Broadcasts: engine, Imports: im, Catalog: cat, Regions: regions,
		Admins: cfg.Admins, Location: cfg.Location, Log: quiet, LoginsPerMinute: 600})
	browserMust(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(im.Wait)
	return &browserEnv{t: t, dsn: dsn, key: base64.StdEncoding.EncodeToString(key), db: db, vault: v, regions: regions, loc: cfg.Location, srv: srv}, im
}
