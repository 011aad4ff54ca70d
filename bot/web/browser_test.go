package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/lindungi/lindungi/clock"
)

const chromiumPath = "/usr/bin/chromium"

// TestBrowserRegistration registers a worker in a real headless Chromium on
// a 360 px wide screen, by pressing buttons and typing, and checks the
// database.
func TestBrowserRegistration(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := fmt.Sprintf("SKIP ********** browser test NOT RUN: %s is missing. Install the Debian package `chromium` (apt-get install chromium) **********", chromiumPath)
		if os.Getenv("LINDUNGI_REQUIRE_BROWSER") != "" { // CI installs Chromium: missing there is a failure
			t.Fatal(msg)
		}
		fmt.Fprintln(os.Stderr, msg) // seen with -v and in `go test -json`; `go test` hides a passing package's output
		t.Skip(msg)
	}
	srv := start(t, testOptions(), nil)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
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
		chromedp.WindowSize(360, 740),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil { // start the browser with no deadline
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, transcript(ctx))
		}
	}
	// waitFor waits until expr holds, through a reload of the page.
	waitFor := func(what, expr string) {
		t.Helper()
		deadline := clock.Now().Add(15 * time.Second)
		for {
			ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
			ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](`(() => { try { return !!(`+expr+`); } catch (e) { return false; } })()`))
			cancel()
			if err == nil && ok {
				return
			}
			if clock.Now().After(deadline) {
				t.Fatalf("wait for %s: %v\n%s", what, err, transcript(ctx))
			}
			clock.Sleep(ctx, 100*time.Millisecond) //nolint:errcheck // the deadline above decides
		}
	}
	// waitBot waits until the newest bot message contains text.
	waitBot := func(text string) {
		t.Helper()
		q, _ := json.Marshal(text)
		waitFor(text, fmt.Sprintf(`(function(){var b=document.querySelectorAll('.msg.bot .bubble');`+
			`return b.length>0&&b[b.length-1].textContent.indexOf(%s)>=0})()`, q))
	}
	press := func(data string) {
		t.Helper()
		step("press "+data, chromedp.Click(chromedp.CSS(`#log .msg:last-child button[data-choice="`+data+`"]:enabled`)))
	}
	typeText := func(s string) {
		t.Helper()
		step("type "+s, chromedp.SendKeys(chromedp.ID("msg"), s), chromedp.Click(chromedp.ID("send")))
	}

	step("open the page",
		chromedp.EmulateViewport(360, 740, chromedp.EmulatePortrait, chromedp.EmulateMobile),
		chromedp.Navigate(srv.URL))
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != "id" {
		t.Errorf("page language %q (%v), want id", lang, err)
	}
	waitBot("Setuju?") // the page starts the chat by itself
	shot(t, ctx, "consent")
	press("cs:yes")
	waitBot("Ketik NIK")
	if mode, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('msg').inputMode`)); err != nil || mode != "numeric" {
		t.Errorf("NIK question: inputmode %q (%v), want numeric: the phone's number keypad", mode, err)
	}
	typeText("6171054508900123")
	waitBot("nama lengkap")
	typeText("Siti Aminah")
	waitBot("nomor HP")
	ph, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('msg').placeholder + '|' + document.getElementById('msg').inputMode`))
	if err != nil || ph != cat.T("id", "web.placeholder_phone", nil)+"|tel" {
		t.Errorf("phone question: input %q (%v), want the phone placeholder and a phone keypad", ph, err)
	}
	shot(t, ctx, "phone")
	typeText("081234567890")
	waitBot("Kecamatan Pontianak Kota") // the villages of the NIK's kecamatan
	typeText("darat sekip")
	waitBot("pekerjaan")
	press("oc:petani")
	waitBot("penghasilan")
	press("in:base")
	waitBot("Periksa data")
	shot(t, ctx, "review")

	// Old buttons cannot be pressed again.
	enabled, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#log .msg:not(:last-child) button:enabled').length`))
	if err != nil || enabled != 0 {
		t.Errorf("%d buttons of older messages are still enabled (%v)", enabled, err)
	}

	press("rv:ok")
	step("wait for the confirmation", chromedp.Poll[chromedp.Void](
		`document.getElementById('log').textContent.indexOf('Nomor pendaftaran')>=0`, chromedp.WithPollingTimeout(15*time.Second)))
	png := shot(t, ctx, "registered")
	// The kept screenshot (README, reviews) is written when missing or asked
	// for, so that an ordinary run leaves the tree alone.
	keep := filepath.Join("testdata", "screenshot.png")
	if _, err := os.Stat(keep); (err != nil || os.Getenv("LINDUNGI_WEB_SCREENSHOT") != "") && len(png) < 150<<10 {
		if err := os.WriteFile(keep, png, 0o644); err != nil {
			t.Logf("keep screenshot: %v", err)
		}
	}

	// Paying: the payment code has a copy button; the test bank's address
	// is a link to tap.
	typeText("/bayar")
	waitBot("berapa bulan")
	press("pm:1")
	waitBot("Bayar lewat bank")
	press("pb:bni")
	step("wait for the payment code", chromedp.Poll[chromedp.Void](`document.querySelectorAll('#log .code').length > 0`,
		chromedp.WithPollingTimeout(15*time.Second)))
	code, err := chromedp.Run(ctx, chromedp.Evaluate[string](`([...document.querySelectorAll('#log .code')].pop() || {}).textContent || ''`))
	if err != nil || len(code) < 8 {
		t.Fatalf("the payment code is not marked to copy: %q (%v)\n%s", code, err, transcript(ctx))
	}
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: "granted", Origin: srv.URL}); err != nil {
			t.Fatalf("grant %s: %v", perm, err)
		}
	}
	step("press Salin", chromedp.Click(chromedp.CSS(`#log .msg:has(.code) button.copy`)))
	step("wait for Tersalin", chromedp.Poll[chromedp.Void](`document.querySelector('#log .msg:has(.code) button.copy').textContent.indexOf('Tersalin')>=0`,
		chromedp.WithPollingTimeout(5*time.Second)))
	copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil || copied != code {
		t.Errorf("the clipboard holds %q (%v), want the payment code %q", copied, err, code)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#log .msg:has(.code) .bubble a[href^="http"]') || {}).href || ''`))
	if want := strings.Replace(testSandboxPay, "%s", code, 1); err != nil || href != want {
		t.Errorf("the test bank's link is %q (%v), want a link to %s", href, err, want)
	}
	step("tap the link", chromedp.Click(chromedp.CSS(`#log .msg:has(.code) .bubble a[href^="http"]`)))
	shot(t, ctx, "payment-code")

	// The language switch: one tap, the page and the chat in English.
	step("tap English", chromedp.Click(chromedp.ID("lang")))
	waitFor("English", `document.documentElement.lang === 'en' && document.getElementById('lang').textContent === 'Bahasa Indonesia'`)
	waitBot("Language changed to English")
	shot(t, ctx, "english")
	step("tap Bahasa Indonesia", chromedp.Click(chromedp.ID("lang")))
	waitFor("Indonesian", `document.documentElement.lang === 'id' && document.getElementById('lang').textContent === 'English'`)
	waitBot("Bahasa diganti")

	// A reload shows the same conversation again (from the browser's copy).
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#log .msg').length`))
	step("reload", chromedp.Reload())
	after, err := chromedp.Run(ctx, chromedp.Poll[int](`document.querySelectorAll('#log .msg').length`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || after != before {
		t.Errorf("after a reload %d messages (%v), before %d", after, err, before)
	}

	// The registration is in the database, under the hash of the cookie.
	ck, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	var secret string
	for _, c := range ck.Cookies {
		if c.Name == "lindungi" {
			secret = c.Value
			if !c.HTTPOnly {
				t.Error("cookie is not HttpOnly")
			}
		}
	}
	if secret == "" {
		t.Fatal("no chat cookie in the browser")
	}
	db, err := sql.Open("postgres", testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name, regency, district, village, occupation, status string
	var female bool
	var birth time.Time
	var iuran int64
	err = db.QueryRow(`SELECT name, regency, district, village, occupation, female, birth_date, monthly_iuran, status
		FROM registrations WHERE channel = $1 AND chat_id = $2`, Channel, chatOf(t, secret)).
		Scan(&name, &regency, &district, &village, &occupation, &female, &birth, &iuran, &status)
	if err != nil {
		t.Fatalf("registration of the browser's chat: %v", err)
	}
	got := fmt.Sprintf("%s|%s|%s|%s|%s|%v|%s|%d|%s", name, regency, district, village, occupation, female, birth.Format("2006-01-02"), iuran, status)
	if want := "Siti Aminah|61.71|61.71.05|61.71.05.1002|petani|true|1990-08-05|16800|menunggu_pembayaran"; got != want {
		t.Errorf("registration\n got %s\nwant %s", got, want)
	}

	// Security review M6: /hapus also clears the page's copy of the
	// conversation, on screen and in localStorage, and a reload shows nothing of it.
	kept, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(localStorage)`))
	if !strings.Contains(kept, "Siti Aminah") {
		t.Fatalf("the transcript was not kept before the erasure: %s", kept)
	}
	typeText("/hapus")
	waitBot("Hapus semua data Anda")
	press("cf:yes")
	waitBot("Data Anda sudah dihapus")
	step("reload after the erasure", chromedp.Reload())
	waitBot("Data Anda sudah dihapus")
	left, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(localStorage) + document.getElementById('log').textContent`))
	if err != nil || strings.Contains(left, "Siti") || strings.Contains(left, "Aminah") || strings.Contains(left, "6171") {
		t.Errorf("after /hapus the page keeps %q (%v)", left, err)
	}
}

// shot takes a screenshot, writes it to the test's temporary directory and logs its path.
func shot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(t.TempDir(), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", p, len(png))
	return png
}

// transcript is the page's text, for a failure message.
func transcript(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.getElementById('log').innerText`))
	if err != nil {
		return "(no page text: " + err.Error() + ")"
	}
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return strings.TrimSpace(s)
}
