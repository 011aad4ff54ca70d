package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
)

// TestPaymentsInBrowser opens the Pembayaran and Ekspor pages in a real
// headless Chromium (see TestDashboardInBrowser): the day's amount is the
// database's, a flagged payment is resolved with the keyboard alone, no
// page scrolls sideways at 390 px, and a screenshot of each is saved on a
// phone and on a laptop.
func TestPaymentsInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not with -short")
	}
	if _, err := os.Stat(browserChromium); err != nil {
		msg := fmt.Sprintf("SKIP ********** payments browser test NOT RUN: %s is missing. Install the Debian package `chromium` (apt-get install chromium) **********", browserChromium)
		if os.Getenv("LINDUNGI_REQUIRE_BROWSER") != "" {
			t.Fatal(msg)
		}
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	e := browserStart(t)
	seed := browserSeedData(e)
	flagged := browserPaySeed(t, e, seed)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browserChromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", browserChromium, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	admin, cancelAdmin := browserTab(t, ctx)
	defer cancelAdmin()
	browserSignIn(t, e, admin, browserAdmin)

	t.Run("the day's amount is the database's", func(t *testing.T) {
		browserOpen(t, admin, e.srv.URL+"/admin/pembayaran", http.StatusOK)
		var amount int64
		today := e.today()
		browserMust(t, e.db.SQL().QueryRow(`SELECT coalesce(sum(amount), 0) FROM payments WHERE applied_at IS NOT NULL AND paid_at >= $1 AND paid_at < $2`,
			today, today.AddDate(0, 0, 1)).Scan(&amount))
		if got := strings.TrimSpace(browserEval[string](t, admin, `document.getElementById('pay-amount').textContent`)); got != locales.Rupiah(amount) || amount == 0 {
			t.Errorf("the page says %s settled today, the database %s", got, locales.Rupiah(amount))
		}
	})

	t.Run("a flagged payment is resolved with the keyboard", func(t *testing.T) {
		browserOpen(t, admin, e.srv.URL+"/admin/pembayaran", http.StatusOK)
		form := `#flag-` + flagged + ` form`
		// Tab from the top of the page reaches the form's controls.
		browserEval[bool](t, admin, `document.activeElement.blur(), true`)
		reached := false
		for range 80 {
			browserStep(t, admin, "tab", chromedp.KeyEvent("\t"))
			if browserEval[bool](t, admin, fmt.Sprintf(`document.activeElement.matches(%q)`, form+` select[name="resolution"]`)) {
				reached = true
				break
			}
		}
		if !reached {
			t.Fatalf("80 presses of Tab never reach the resolution of %s", flagged)
		}
		browserStep(t, admin, "choose with the keyboard", chromedp.KeyEvent("U")) // "Uang dikembalikan"
		if got := browserEval[string](t, admin, fmt.Sprintf(`document.querySelector(%q).value`, form+` select`)); got != "refunded" {
			browserStep(t, admin, "choose", chromedp.SetValue(chromedp.CSS(form+` select`), "refunded"))
			t.Logf("typing U chose %q; chosen by value instead", got)
		}
		browserStep(t, admin, "tab to the note", chromedp.KeyEvent("\t"), chromedp.KeyEvent("dikembalikan lewat BRI, bukti 12"))
		sctx, cancel := context.WithTimeout(admin, 20*time.Second)
		defer cancel()
		resp, err := chromedp.RunResponse(sctx, chromedp.KeyEvent("\r"))
		if err != nil || resp == nil || resp.Status != http.StatusOK {
			t.Fatalf("Enter in the note: %v, %v\n%s", browserStatus(resp), err, browserText(admin))
		}
		if n := browserEval[int](t, admin, `document.querySelectorAll('#pay-done').length`); n != 1 {
			t.Errorf("no word that the payment was resolved\n%s", browserText(admin))
		}
		var note string
		browserMust(t, e.db.SQL().QueryRow(`SELECT r.note FROM payment_resolutions r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = $1`,
			flagged).Scan(&note))
		if note != "dikembalikan lewat BRI, bukti 12" {
			t.Errorf("resolution note %q", note)
		}
	})

	t.Run("screenshots", func(t *testing.T) {
		dir := browserShotDir(t)
		pages := []struct{ name, path string }{{"pembayaran", "/admin/pembayaran"}, {"ekspor", "/admin/ekspor"}}
		for _, width := range []int64{390, 1366} {
			for _, p := range pages {
				vp := chromedp.EmulateViewport(width, 900)
				if width < 600 {
					vp = chromedp.EmulateViewport(width, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
				}
				browserStep(t, admin, "viewport", vp)
				browserOpen(t, admin, e.srv.URL+p.path, http.StatusOK)
				if w := browserEval[int](t, admin, `document.documentElement.scrollWidth`); w > int(width)+1 {
					t.Errorf("%s at %d px is %d px wide: the page scrolls sideways", p.name, width, w)
				}
				png, err := chromedp.Run(admin, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatalf("screenshot %s at %d: %v", p.name, width, err)
				}
				browserMust(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", p.name, width)), png, 0o644))
			}
		}
	})
}

// today is the day in the deployment's zone.
func (e *browserEnv) today() time.Time {
	y, m, d := clock.Now().In(e.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, e.loc)
}

// browserPaySeed settles two payments today and flags two more (a wrong
// amount); it returns the order of the flagged one to resolve.
func browserPaySeed(t *testing.T, e *browserEnv, seed browserSeed) string {
	t.Helper()
	ctx := context.Background()
	pay := func(order string, method payments.Method, paid int64, refs ...string) flows.PaymentResult {
		var lines []flows.PaymentLine
		for _, ref := range refs {
			lines = append(lines, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
		}
		_, err := e.db.CreatePayment(ctx, store.NewPayment{
			Instruction: payments.Instruction{Provider: "sandbox", OrderID: order, Bank: method, VANumber: "88" + order, Amount: int64(16800 * len(refs))},
			PayerKind:   store.PayerWorker, PayerRef: "telegram:900001", Items: lines})
		browserMust(t, err)
		r, err := flows.ApplyPayment(ctx, e.db, payments.Notification{Provider: "sandbox", OrderID: order, Status: payments.Paid, Amount: paid,
			PaidAt: clock.Now(), Raw: []byte(`{}`)}, e.loc, clock.Now, nil)
		browserMust(t, err)
		return r
	}
	pay("BP-1", payments.BRI, 16800, seed.refsA[1])
	pay("BP-2", payments.Alfamart, 33600, seed.refsA[2], seed.refsB[0])
	for _, p := range []struct {
		order string
		ref   string
	}{{"BP-3", seed.refsA[3]}, {"BP-4", seed.refsB[1]}} { // BP-4 stays open for the screenshots
		if r := pay(p.order, payments.BNI, 10000, p.ref); r.Outcome != flows.PaymentFlagged {
			t.Fatalf("a wrong amount: %+v", r)
		}
	}
	return "BP-3"
}
