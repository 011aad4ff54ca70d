package dashboard_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/telepon"
	"github.com/lindungi/lindungi/vault"
	"github.com/lindungi/lindungi/wilayah"
)

// browserChromium is Debian's Chromium, as bot/web's browser test drives it.
const browserChromium = "/usr/bin/chromium"

// browserAdmin is the LINDUNGI_ADMINS admin; browserStaf and
// browserSupervisor are given their roles on the roles page.
const (
	browserAdmin      = "telegram:42"
	browserStaf       = "telegram:77"
	browserSupervisor = "telegram:88"
	browserAgentChat  = "5550001"
	browserNIK        = "3201234567890123"
	browserPhone      = "+6281234567890"
)

// browserEnv is a served dashboard on a database of its own.
type browserEnv struct {
	t       *testing.T
	dsn     string
	key     string // LINDUNGI_DATA_KEY, base64
	db      *store.DB
	vault   *vault.Vault
	regions *wilayah.Data
	loc     *time.Location
	srv     *httptest.Server
	bin     string // the lindungi command, built from ./cmd/lindungi; "" makes links in process
}

// browserSeed is what was put in the database.
type browserSeed struct {
	regencyA, regencyB string   // two kabupaten/kota of Kalimantan Barat
	refsA, refsB       []string // registrations domiciled in each
	sealedRef          string   // a registration in A with a real sealed NIK and phone
	pendingAgent       int64    // an agent waiting for approval
	chatsA             int      // workers in A with a chat of their own
}

// TestDashboardInBrowser signs staff in with links from `lindungi admin
// link` in a real headless Chromium and checks, against the database, what
// each role sees and may do; it saves a full-page screenshot of every page
// on a phone and on a laptop.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not with -short")
	}
	if _, err := os.Stat(browserChromium); err != nil {
		msg := fmt.Sprintf("SKIP ********** dashboard browser test NOT RUN: %s is missing. Install the Debian package `chromium` (apt-get install chromium) **********", browserChromium)
		if os.Getenv("LINDUNGI_REQUIRE_BROWSER") != "" { // CI installs Chromium: missing there is a failure
			t.Fatal(msg)
		}
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	sw := clock.Start()
	e := browserStart(t)
	seed := browserSeedData(e)
	t.Logf("set up in %v (lindungi admin link: %s)", sw.Elapsed().Round(time.Millisecond), map[bool]string{true: "the built command", false: "in process"}[e.bin != ""])

	// One browser; each staff member has a browser context (cookies) of their own.
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
	if err := chromedp.Do(bctx); err != nil { // start the browser with no deadline
		t.Fatalf("start %s: %v", browserChromium, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	admin, cancelAdmin := browserTab(t, ctx)
	defer cancelAdmin()

	ok := t.Run("admin signs in with a link and sees the totals", func(t *testing.T) {
		browserSignIn(t, e, admin, browserAdmin)
		ck := browserCookie(t, e, admin)
		if !ck.HTTPOnly || ck.SameSite != network.CookieSameSiteStrict || ck.Path != "/admin/" {
			t.Errorf("session cookie: HttpOnly %v, SameSite %q, path %q; want HttpOnly, Strict, /admin/", ck.HTTPOnly, ck.SameSite, ck.Path)
		}
		got := browserTotals(t, e, admin)
		t.Logf("overview: %+v", got)
		if want := e.browserCountTotals(""); got != want {
			t.Errorf("overview totals %+v, counted in the database %+v", got, want)
		}
		if got.registered != int64(len(seed.refsA)+len(seed.refsB)) {
			t.Errorf("overview: %d registered, seeded %d", got.registered, len(seed.refsA)+len(seed.refsB))
		}
		// The map: every kabupaten/kota of the province, the seeded ones
		// coloured and linked to their registrations.
		if n, want := browserEval[int](t, admin, `document.querySelectorAll('#peta svg path').length`), len(e.regions.Children("61")); n != want {
			t.Errorf("the map draws %d regions, the province has %d", n, want)
		}
		link := browserEval[string](t, admin, `(document.querySelector('#peta a[href$="wilayah=`+seed.regencyA+`"] path') || {}).getAttribute?.('class') || ''`)
		if link == "" || link == "m0" {
			t.Errorf("%s on the map: class %q, want a coverage shade with a link", seed.regencyA, link)
		}
	})
	if !ok {
		t.FailNow() // the rest needs the admin signed in
	}

	t.Run("admin approves a pending agent", func(t *testing.T) {
		browserOpen(t, admin, e.srv.URL+"/admin/agen", http.StatusOK)
		sel := fmt.Sprintf(`#agent-%d button[name="action"][value="setujui"]`, seed.pendingAgent)
		browserSubmit(t, admin, sel, http.StatusOK)
		if loc := browserEval[string](t, admin, `location.pathname + location.search`); loc != "/admin/agen?ok=setujui" {
			t.Errorf("after approving: at %s, want /admin/agen?ok=setujui", loc)
		}
		if n := browserEval[int](t, admin, fmt.Sprintf(`document.querySelectorAll('#agent-%d').length`, seed.pendingAgent)); n != 0 {
			t.Error("the approved agent is still among the applications")
		}
		var status, by string
		browserMust(t, e.db.SQL().QueryRow(`SELECT status, decided_by FROM agents WHERE id = $1`, seed.pendingAgent).Scan(&status, &by))
		if status != flows.AgentApproved || by != browserAdmin {
			t.Errorf("agent %d: status %q decided by %q, want %q by %s", seed.pendingAgent, status, by, flows.AgentApproved, browserAdmin)
		}
		var queued int
		browserMust(t, e.db.SQL().QueryRow(`SELECT count(*) FROM outbox WHERE channel = 'telegram' AND chat_id = $1`, browserAgentChat).Scan(&queued))
		if queued == 0 {
			t.Errorf("no message queued in the outbox to the agent's chat %s", browserAgentChat)
		}
	})

	var broadcast int64
	t.Run("admin composes a broadcast and watches it go", func(t *testing.T) {
		browserOpen(t, admin, e.srv.URL+"/admin/siaran/baru", http.StatusOK)
		// The count follows the boxes without a reload (the page's script).
		browserStep(t, admin, "tick "+seed.regencyA, chromedp.Click(chromedp.CSS(`#f-reg input[value="`+seed.regencyA+`"]`)))
		want := locales.Number("id", int64(seed.chatsA))
		browserWait(t, admin, `document.getElementById('bc-count').textContent.trim() === '`+want+`'`)
		browserStep(t, admin, "write", chromedp.SendKeys(chromedp.ID("teks"), "Iuran *Desember* sudah bisa dibayar."),
			chromedp.Click(chromedp.CSS(`input[name="tombol"][value="pay"]`)))
		browserWait(t, admin, `(document.querySelector('#pv-telegram .bubble b') || {}).textContent === 'Desember'`)
		if chip := browserEval[string](t, admin, `document.querySelector('#pv-telegram .chip').textContent`); !strings.Contains(chip, "Bayar iuran") {
			t.Errorf("the preview's button reads %q", chip)
		}
		if web := browserEval[string](t, admin, `(document.querySelector('#pv-web .bubble') || {textContent: 'none'}).textContent`); web == "none" ||
			(web != "" && !strings.Contains(web, "*Desember*")) {
			t.Logf("web preview: %q", web)
		}
		browserSubmit(t, admin, "#kirim", http.StatusOK)
		path := browserEval[string](t, admin, `location.pathname`)
		id, err := strconv.ParseInt(strings.TrimPrefix(path, "/admin/siaran/"), 10, 64)
		if err != nil {
			t.Fatalf("after sending: at %s", path)
		}
		broadcast = id
		var by, status string
		browserMust(t, e.db.SQL().QueryRow(`SELECT created_by, status FROM broadcasts WHERE id = $1`, id).Scan(&by, &status))
		if by != browserAdmin || status != flows.BroadcastScheduled {
			t.Errorf("broadcast %d: by %q, %s", id, by, status)
		}
		// The sender starts it and sends in two rounds, as bot.Deliverer
		// does; the page follows over server-sent events, never reloading.
		ctx := context.Background()
		if _, err := e.db.StartBroadcasts(ctx); err != nil {
			t.Fatal(err)
		}
		browserWait(t, admin, `document.getElementById('bc-total').textContent.trim() === '`+want+`'`)
		browserEval[bool](t, admin, `window.stayed = true`)
		send := func(n int, blockOne bool) {
			items, err := e.db.ClaimBroadcastItems(ctx, []string{"telegram"}, n)
			browserMust(t, err)
			var res []flows.BroadcastResult
			for i, it := range items {
				state := "sent"
				if blockOne && i == 0 {
					state = "blocked"
				}
				res = append(res, flows.BroadcastResult{BroadcastID: it.BroadcastID, Channel: it.Channel, ChatID: it.ChatID, State: state})
			}
			browserMust(t, e.db.FinishBroadcastItems(ctx, res))
		}
		send(3, true)
		browserWait(t, admin, `document.getElementById('bc-sent').textContent.trim() === '2' && document.getElementById('bc-blocked').textContent.trim() === '1'`)
		if !browserEval[bool](t, admin, `window.stayed === true`) {
			t.Error("the page reloaded to show progress")
		}
		browserSubmit(t, admin, "#jeda", http.StatusOK)
		browserMust(t, e.db.SQL().QueryRow(`SELECT status FROM broadcasts WHERE id = $1`, id).Scan(&status))
		if status != flows.BroadcastPaused {
			t.Errorf("after Jeda: %s", status)
		}
		browserSubmit(t, admin, "#lanjut", http.StatusOK)
		send(seed.chatsA, false)
		if _, err := flows.FinishBroadcasts(ctx, e.db, nil); err != nil {
			t.Fatal(err)
		}
		// Done: the page draws itself again, with no buttons.
		browserWait(t, admin, `document.getElementById('bc-status').textContent.trim() === 'selesai'`)
		sent := browserEval[string](t, admin, `document.getElementById('bc-sent').textContent.trim()`)
		if sent != locales.Number("id", int64(seed.chatsA-1)) || browserEval[int](t, admin, `document.querySelectorAll('#jeda, #lanjut, #batal').length`) != 0 {
			t.Errorf("done: %s sent, want %d; or still offers to steer", sent, seed.chatsA-1)
		}
	})

	t.Run("admin gives roles", func(t *testing.T) {
		browserGiveRole(t, admin, e, browserStaf, dashboard.RoleStaf, "")
		browserGiveRole(t, admin, e, browserSupervisor, dashboard.RoleSupervisor, seed.regencyB)
		table := browserEval[string](t, admin, `document.getElementById('roles').innerText`)
		for _, who := range []string{browserStaf, browserSupervisor} {
			if !strings.Contains(table, who) {
				t.Errorf("roles table has no %s:\n%s", who, table)
			}
		}
		var role, regencies, by string
		browserMust(t, e.db.SQL().QueryRow(`SELECT role, array_to_string(regencies, ','), granted_by FROM staff_roles WHERE actor = $1`, browserSupervisor).
			Scan(&role, &regencies, &by))
		if role != dashboard.RoleSupervisor || regencies != seed.regencyB || by != browserAdmin {
			t.Errorf("%s: role %q over %q by %q, want supervisor over %s by %s", browserSupervisor, role, regencies, by, seed.regencyB, browserAdmin)
		}
	})

	t.Run("staf sees masked data and may not act", func(t *testing.T) {
		staf, cancel := browserTab(t, ctx)
		defer cancel()
		browserSignIn(t, e, staf, browserStaf)
		if got, want := browserTotals(t, e, staf), e.browserCountTotals(""); got != want {
			t.Errorf("staf's overview totals %+v, counted %+v", got, want)
		}
		browserOpen(t, staf, e.srv.URL+"/admin/pendaftar/"+seed.sealedRef, http.StatusOK)
		shown := strings.TrimSpace(browserEval[string](t, staf, `document.getElementById('rec-nik').textContent`))
		if want := nik.Mask(browserNIK); shown != want || strings.Contains(strings.ReplaceAll(shown, " ", ""), browserNIK) {
			t.Errorf("staf sees NIK %q, want the masked %q", shown, want)
		}
		facts := browserEval[string](t, staf, `document.querySelector('.facts').innerText`)
		if !strings.Contains(facts, telepon.Mask(browserPhone)) || strings.Contains(facts, browserPhone[3:]) {
			t.Errorf("staf's record page does not show the phone masked as %s:\n%s", telepon.Mask(browserPhone), facts)
		}
		if name := browserEval[string](t, staf, `document.getElementById('rec-name').textContent`); !strings.Contains(name, "*") {
			t.Errorf("staf sees the name %q unmasked", name)
		}
		if n := browserEval[int](t, staf, `document.querySelectorAll('#reveal, form[action$="/nik"], form[action$="/koreksi"]').length`); n != 0 {
			t.Errorf("staf's record page offers %d reveal/correct controls, want none", n)
		}
		if n := browserEval[int](t, staf, `document.querySelectorAll('nav a[href="/admin/peran"], nav a[href="/admin/audit"]').length`); n != 0 {
			t.Error("staf's navigation links to the roles or audit page")
		}
		browserOpen(t, staf, e.srv.URL+"/admin/peran", http.StatusForbidden)

		// A form the page does not offer, posted with the staf's own
		// session and CSRF token: refused and audited.
		csrf := browserEval[string](t, staf, `document.querySelector('form[action="/admin/logout"] input[name="csrf"]').value`)
		if csrf == "" {
			t.Fatal("no CSRF token in the staf's page")
		}
		ck := browserCookie(t, e, staf)
		for _, post := range []struct{ path, form string }{
			{"/admin/pendaftar/" + seed.sealedRef + "/nik", "reason=mau+lihat+saja"},
			{fmt.Sprintf("/admin/agen/%d", seed.pendingAgent), "action=tangguhkan&reason=coba+coba+saja"},
		} {
			if code := browserPost(t, e, ck, post.path, post.form+"&csrf="+url.QueryEscape(csrf)); code != http.StatusForbidden {
				t.Errorf("staf's POST %s: %d, want 403", post.path, code)
			}
			var n int
			browserMust(t, e.db.SQL().QueryRow(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = 'dasbor:forbidden' AND subject = $2`,
				browserStaf, "POST "+post.path).Scan(&n))
			if n != 1 {
				t.Errorf("%d audit lines dasbor:forbidden for the staf's POST %s, want 1", n, post.path)
			}
		}
		var revealed int
		browserMust(t, e.db.SQL().QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'dasbor:reveal_nik'`).Scan(&revealed))
		var status string
		browserMust(t, e.db.SQL().QueryRow(`SELECT status FROM agents WHERE id = $1`, seed.pendingAgent).Scan(&status))
		if revealed != 0 || status != flows.AgentApproved {
			t.Errorf("the refused posts acted: %d NIK reveals, agent %s", revealed, status)
		}
	})

	t.Run("supervisor sees only their kabupaten", func(t *testing.T) {
		sup, cancel := browserTab(t, ctx)
		defer cancel()
		browserSignIn(t, e, sup, browserSupervisor)
		got, want := browserTotals(t, e, sup), e.browserCountTotals(seed.regencyB)
		if got != want || got.registered != int64(len(seed.refsB)) {
			t.Errorf("supervisor's overview totals %+v, counted for %s %+v (%d seeded there)", got, seed.regencyB, want, len(seed.refsB))
		}
		browserOpen(t, sup, e.srv.URL+"/admin/pendaftar", http.StatusOK)
		var listed []string
		browserMust(t, json.Unmarshal([]byte(browserEval[string](t, sup,
			`JSON.stringify([...document.querySelectorAll('#registrations tbody a[href^="/admin/pendaftar/"]')].map(a => a.textContent.trim()))`)), &listed))
		for _, ref := range listed {
			if !slices.Contains(seed.refsB, ref) {
				t.Errorf("supervisor of %s is listed %s, not of their kabupaten", seed.regencyB, ref)
			}
		}
		if len(listed) != len(seed.refsB) {
			t.Errorf("supervisor is listed %d registrations, want the %d of %s", len(listed), len(seed.refsB), seed.regencyB)
		}
		browserOpen(t, sup, e.srv.URL+"/admin/pendaftar/"+seed.refsB[0], http.StatusOK)
		browserOpen(t, sup, e.srv.URL+"/admin/pendaftar/"+seed.refsA[0], http.StatusNotFound)
		if body := browserEval[string](t, sup, `document.body.innerText`); strings.Contains(body, seed.regencyA) || strings.Contains(body, "Siti") {
			t.Errorf("the 404 page tells something of the record: %q", body)
		}
	})

	t.Run("screenshots", func(t *testing.T) {
		dir := browserShotDir(t)
		anon, cancel := browserTab(t, ctx)
		defer cancel()
		token, _, err := flows.NewStaffLink() // the button page only: a GET never spends a link
		browserMust(t, err)
		pages := []struct {
			name string
			ctx  context.Context
			path string
			code int
		}{
			{"signin", anon, "/admin/", http.StatusUnauthorized},
			{"login", anon, "/admin/login?t=" + token, http.StatusOK},
			{"overview", admin, "/admin/", http.StatusOK},
			{"pendaftar", admin, "/admin/pendaftar", http.StatusOK},
			{"record", admin, "/admin/pendaftar/" + seed.sealedRef, http.StatusOK},
			{"agen", admin, "/admin/agen", http.StatusOK},
			{"peran", admin, "/admin/peran", http.StatusOK},
			{"audit", admin, "/admin/audit", http.StatusOK},
			{"siaran", admin, "/admin/siaran", http.StatusOK},
			{"siaran-baru", admin, "/admin/siaran/baru?reg=" + seed.regencyA + "&teks=Iuran+*Desember*+sudah+bisa+dibayar.&tombol=pay", http.StatusOK},
		}
		if broadcast != 0 {
			pages = append(pages, struct {
				name string
				ctx  context.Context
				path string
				code int
			}{"siaran-satu", admin, fmt.Sprintf("/admin/siaran/%d", broadcast), http.StatusOK})
		}
		for _, width := range []int64{390, 1366} {
			for _, p := range pages {
				vp := chromedp.EmulateViewport(width, 900)
				if width < 600 {
					vp = chromedp.EmulateViewport(width, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
				}
				browserStep(t, p.ctx, "viewport", vp)
				browserOpen(t, p.ctx, e.srv.URL+p.path, p.code)
				if p.name == "overview" && width == 390 {
					if w := browserEval[int](t, p.ctx, `document.documentElement.scrollWidth`); w > 391 {
						t.Errorf("overview at 390 px is %d px wide: the page scrolls sideways", w)
					}
				}
				if w := browserEval[int](t, p.ctx, `document.documentElement.scrollWidth`); w > int(width)+1 {
					t.Logf("%s at %d px is %d px wide", p.name, width, w)
				}
				png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatalf("screenshot %s at %d: %v", p.name, width, err)
				}
				f := filepath.Join(dir, fmt.Sprintf("%s-%d.png", p.name, width))
				browserMust(t, os.WriteFile(f, png, 0o644))
			}
		}
		t.Logf("%d screenshots in %s", 2*len(pages), dir)
	})
	t.Logf("done in %v", sw.Elapsed().Round(time.Millisecond))
}

// browserStart opens a fresh database (migrated), builds the engine and
// the dashboard, serves it, and builds the lindungi command for links.
func browserStart(t *testing.T) *browserEnv {
	t.Helper()
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "lindungi")
	var buildErr error
	built := make(chan struct{})
	go func() { buildErr = browserBuild(bin); close(built) }() // while the database is made
	defer func() { <-built }()                                 // a Fatal below still waits for the build

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
	if err != nil {
		t.Fatal(err)
	}
	cfg := flows.DefaultConfig()
	cfg.Admins = []string{browserAdmin}
	db, err := store.Open(ctx, dsn, v, store.Options{Location: cfg.Location})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	regions, err := wilayah.Load()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	engine := flows.New(flows.Deps{Store: db, Catalog: cat, Regions: regions, Tariffs: iuran.Default(), Log: quiet}, cfg)
	h, err := dashboard.New(dashboard.Config{Store: db, Actions: engine, Broadcasts: engine, Catalog: cat, Regions: regions, Province: cfg.Province, Admins: cfg.Admins,
		Location: cfg.Location, Log: quiet,
		LoginsPerMinute: 600}) // every sign-in of the test comes from 127.0.0.1
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	<-built
	var noGo *browserNoGo
	switch {
	case errors.As(buildErr, &noGo):
		t.Logf("%v: sign-in links are made in process, not by `lindungi admin link`", buildErr)
		bin = ""
	case buildErr != nil:
		t.Fatal(buildErr)
	}
	return &browserEnv{t: t, dsn: dsn, key: base64.StdEncoding.EncodeToString(key), db: db, vault: v, regions: regions,
		loc: cfg.Location, srv: srv, bin: bin}
}

// browserNoGo is the error of a machine with no go command.
type browserNoGo struct{ err error }

func (e *browserNoGo) Error() string { return "no go command to build cmd/lindungi: " + e.err.Error() }

// browserBuild builds ./cmd/lindungi into bin.
func browserBuild(bin string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return &browserNoGo{err}
	}
	cmd := exec.Command(goCmd, "build", "-o", bin, "github.com/lindungi/lindungi/cmd/lindungi")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/lindungi: %w\n%s", err, out)
	}
	return nil
}

// browserLink is a one-time sign-in link for actor: printed by `lindungi
// admin link` (which migrates the database itself and checks the actor may
// have one).
func (e *browserEnv) browserLink(t *testing.T, actor string) string {
	t.Helper()
	if e.bin == "" {
		token, hash, err := flows.NewStaffLink()
		browserMust(t, err)
		browserMust(t, e.db.CreateStaffLink(context.Background(), actor, hash, clock.Now().Add(flows.StaffLinkTTL)))
		return e.srv.URL + "/admin/login?t=" + token
	}
	cmd := exec.Command(e.bin, "admin", "link", actor)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+e.dsn, "LINDUNGI_DATA_KEY="+e.key, "LINDUNGI_DATA_KEY_FILE=",
		"LINDUNGI_ADMINS="+browserAdmin, "LINDUNGI_PUBLIC_URL="+e.srv.URL, "LINDUNGI_LOG_LEVEL=warn")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("lindungi admin link %s: %v\n%s", actor, err, stderr.String())
	}
	link := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(link, e.srv.URL+"/admin/login?t=") || strings.Contains(link, "\n") {
		t.Fatalf("lindungi admin link %s printed %q, want one link to %s/admin/login", actor, link, e.srv.URL)
	}
	return link
}

// browserSeedData puts registrations in two kabupaten/kota (awaiting,
// protected, in arrears), one with a sealed NIK and phone, and a pending
// and an approved agent.
func browserSeedData(e *browserEnv) browserSeed {
	t := e.t
	t.Helper()
	var s browserSeed
	for _, r := range e.regions.Children("61") {
		if len(e.regions.Children(r.Code)) == 0 {
			continue
		}
		switch {
		case r.Code == "61.71":
			s.regencyA = r.Code
		case s.regencyB == "" && r.Code != "61.71":
			s.regencyB = r.Code
		}
	}
	if s.regencyA == "" || s.regencyB == "" {
		t.Fatalf("wilayah: no two kabupaten/kota with kecamatan in 61 (%q, %q)", s.regencyA, s.regencyB)
	}
	now := clock.Now()
	today := now.In(e.loc)
	day := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
	sql := e.db.SQL()

	var approved int64
	sealed := func(s string) []byte {
		b, err := e.vault.SealString(s)
		browserMust(t, err)
		return b
	}
	agentVillage := func(regency string) string { return browserVillages(e.regions, regency)[0] }
	browserMust(t, sql.QueryRow(`INSERT INTO agents (channel, user_id, chat_id, role, nik_sealed, nik_hash, name, village, institution, status, decided_by, decided_at, created_at, updated_at)
		VALUES ('telegram', '5550002', '5550002', 'ketua_rt', $1, $2, 'Yohanes Ading', $3, '', 'approved', $4, $5, $5, $5) RETURNING id`,
		sealed("6104011203800002"), e.vault.Hash("nik", "6104011203800002"), agentVillage(s.regencyB), browserAdmin, now.Add(-20*24*time.Hour)).Scan(&approved))
	browserMust(t, sql.QueryRow(`INSERT INTO agents (channel, user_id, chat_id, role, nik_sealed, nik_hash, name, village, institution, status, created_at, updated_at)
		VALUES ('telegram', $1, $1, 'ketua_rt', $2, $3, 'Rahmat Hidayat', $4, 'RT 03 / RW 05', 'pending', $5, $5) RETURNING id`,
		browserAgentChat, sealed("6171051506850001"), e.vault.Hash("nik", "6171051506850001"), agentVillage(s.regencyA), now.Add(-2*time.Hour)).Scan(&s.pendingAgent))

	type reg struct {
		name, occupation string
		covered          string // "" never paid
		agent            bool
	}
	names := []reg{
		{"Siti Rahayu", "pedagang_pasar", "", false}, {"Budi Santoso", "ojek", day(25), false}, {"Dewi Lestari", "petani", day(3), false},
		{"Agus Salim", "nelayan", day(-12), false}, {"Nur Aini", "buruh_harian", "", false}, {"Hendra Wijaya", "sopir", day(60), false},
		{"Maria Ulfa", "penjahit", "", false}, {"Ahmad Fauzi", "tukang_bangunan", day(-200), false},
		{"Lina Marlina", "petani", day(40), true}, {"Yusuf Kurniawan", "nelayan", "", false}, {"Rina Susanti", "umkm", day(-5), true},
	}
	villagesA, villagesB := browserVillages(e.regions, s.regencyA), browserVillages(e.regions, s.regencyB)
	for i, r := range names {
		inA := i < 8
		villages := villagesB
		if inA {
			villages = villagesA
		}
		village := villages[i%len(villages)]
		vr, _ := e.regions.Get(village)
		district := vr.Parent
		dr, _ := e.regions.Get(district)
		ref := fmt.Sprintf("LD%s-B%05d", today.Format("0601"), i+1)
		status, coveredFrom, coveredTo := flows.StatusAwaitingPayment, any(nil), any(nil)
		if r.covered != "" {
			status, coveredTo = flows.StatusActive, r.covered
			to, _ := time.Parse(time.DateOnly, r.covered)
			coveredFrom = to.AddDate(0, -1, 0).Format(time.DateOnly)
		}
		var nikSealed, nikHash, phoneSealed, phoneHash []byte
		if i == 0 {
			nikSealed, nikHash = sealed(browserNIK), e.vault.Hash("nik", browserNIK)
			phoneSealed, phoneHash = sealed(browserPhone), e.vault.Hash("phone", browserPhone)
			s.sealedRef = ref
		}
		channel, chat, agent := "telegram", strconv.Itoa(900000+i), any(nil)
		if r.agent {
			channel, chat, agent = "", "", approved
		}
		created := now.Add(-time.Duration(i*3+1) * 24 * time.Hour)
		if _, err := sql.Exec(`INSERT INTO registrations (ref, channel, chat_id, name, province, regency, district, village, occupation, status,
				covered_from, covered_to, monthly_iuran, nik_sealed, nik_hash, phone_sealed, phone_hash, agent_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, '61', $5, $6, $7, $8, $9, $10, $11, 16800, $12, $13, $14, $15, $16, $17, $17)`,
			ref, channel, chat, r.name, dr.Parent, district, village, r.occupation, status, coveredFrom, coveredTo,
			nikSealed, nikHash, phoneSealed, phoneHash, agent, created); err != nil {
			t.Fatalf("seed registration %s: %v", ref, err)
		}
		if inA && channel != "" {
			s.chatsA++
		}
		if inA {
			s.refsA = append(s.refsA, ref)
		} else {
			s.refsB = append(s.refsB, ref)
		}
	}
	if _, err := e.db.FoldRollups(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// browserVillages lists a few villages of a kabupaten/kota, from two of its kecamatan.
func browserVillages(regions *wilayah.Data, regency string) []string {
	var out []string
	for i, d := range regions.Children(regency) {
		if i == 2 {
			break
		}
		for j, v := range regions.Children(d.Code) {
			if j == 2 {
				break
			}
			out = append(out, v.Code)
		}
	}
	return out
}

// browserCounts are the overview's first three tiles.
type browserCounts struct{ registered, awaiting, active int64 }

// browserCountTotals counts live registrations straight from the table, in
// one kabupaten/kota ("" for all), with the standings of the dashboard:
// awaiting is never paid, active is covered today or later.
func (e *browserEnv) browserCountTotals(regency string) browserCounts {
	var c browserCounts
	today := clock.Now().In(e.loc).Format(time.DateOnly)
	browserMust(e.t, e.db.SQL().QueryRow(`SELECT count(*),
			count(*) FILTER (WHERE covered_to IS NULL AND status = 'menunggu_pembayaran'),
			count(*) FILTER (WHERE covered_to >= $1::date)
		FROM registrations WHERE deleted_at IS NULL AND ($2 = '' OR regency = $2)`, today, regency).Scan(&c.registered, &c.awaiting, &c.active))
	return c
}

// browserTotals opens the overview and reads its tiles ("1.234" → 1234).
func browserTotals(t *testing.T, e *browserEnv, ctx context.Context) browserCounts {
	t.Helper()
	browserOpen(t, ctx, e.srv.URL+"/admin/", http.StatusOK)
	read := func(id string) int64 {
		s := browserEval[string](t, ctx, fmt.Sprintf(`document.getElementById(%q).textContent`, id))
		n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(s), ".", ""), 10, 64)
		if err != nil {
			t.Fatalf("#%s reads %q: %v", id, s, err)
		}
		return n
	}
	return browserCounts{read("total-registered"), read("total-awaiting"), read("total-active")}
}

// browserSignIn opens a link from `lindungi admin link`, presses the
// button and lands on the overview, signed in as actor.
func browserSignIn(t *testing.T, e *browserEnv, ctx context.Context, actor string) {
	t.Helper()
	link := e.browserLink(t, actor)
	browserOpen(t, ctx, link, http.StatusOK)
	browserSubmit(t, ctx, "#masuk", http.StatusOK)
	if path := browserEval[string](t, ctx, `location.pathname`); path != "/admin/" {
		t.Fatalf("after signing in as %s: at %s, want /admin/", actor, path)
	}
	if who := browserEval[string](t, ctx, `document.querySelector('.who span').textContent`); !strings.Contains(who, actor) {
		t.Fatalf("signed in as %q, want %s", who, actor)
	}
	// The link is spent: a second press is refused.
	browserOpen(t, ctx, link, http.StatusOK)
	browserSubmit(t, ctx, "#masuk", http.StatusForbidden)
}

// browserGiveRole fills the roles page's form and saves it.
func browserGiveRole(t *testing.T, ctx context.Context, e *browserEnv, actor, role, scope string) {
	t.Helper()
	browserOpen(t, ctx, e.srv.URL+"/admin/peran", http.StatusOK)
	form := `form[action="/admin/peran"] `
	fill := []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(form+`input[name="actor"]`), actor),
		chromedp.SetValue(chromedp.CSS(form+`select[name="role"]`), role),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="note"]`), "uji peramban"),
	}
	if scope != "" {
		fill = append(fill, chromedp.SendKeys(chromedp.CSS(form+`input[name="scope"]`), scope))
	}
	browserStep(t, ctx, "fill the role form", fill...)
	browserSubmit(t, ctx, form+`button.primary`, http.StatusOK)
	if path := browserEval[string](t, ctx, `location.pathname`); path != "/admin/peran" {
		t.Fatalf("after giving %s the role %s: at %s", actor, role, path)
	}
	if note := browserEval[string](t, ctx, `(document.querySelector('.note') || {textContent: ''}).textContent`); note != "" {
		t.Fatalf("giving %s the role %s: %s", actor, role, note)
	}
}

// browserTab opens a tab in a browser context of its own (its own cookies).
// Its first action runs without a deadline: the tab lives as long as the
// context of that first run.
func browserTab(t *testing.T, ctx context.Context) (context.Context, context.CancelFunc) {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(tab); err != nil {
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	return tab, cancel
}

// browserOpen navigates and checks the status.
func browserOpen(t *testing.T, ctx context.Context, u string, code int) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.Run(sctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	if resp == nil || int(resp.Status) != code {
		t.Fatalf("open %s: %v, want %d\n%s", u, browserStatus(resp), code, browserText(ctx))
	}
}

// browserSubmit clicks a form's button, waits for the next page and checks its status.
func browserSubmit(t *testing.T, ctx context.Context, sel string, code int) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("press %s: %v\n%s", sel, err, browserText(ctx))
	}
	if resp == nil || int(resp.Status) != code {
		t.Fatalf("press %s: %v, want %d\n%s", sel, browserStatus(resp), code, browserText(ctx))
	}
}

func browserStatus(resp *network.Response) string {
	if resp == nil {
		return "no response"
	}
	return fmt.Sprintf("%d %s (%s)", resp.Status, resp.StatusText, resp.URL)
}

// browserStep runs actions with a deadline.
func browserStep(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, browserText(ctx))
	}
}

// browserWait waits until a JavaScript expression holds in the page; the
// page may reload meanwhile.
func browserWait(t *testing.T, ctx context.Context, expr string) {
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
			t.Fatalf("wait for %s: %v\n%s", expr, err, browserText(ctx))
		}
		clock.Sleep(ctx, 100*time.Millisecond)
	}
}

// browserEval evaluates a JavaScript expression in the page.
func browserEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// browserText is the page's text, for a failure message.
func browserText(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Evaluate[string](`location.href + '\n' + document.body.innerText`))
	if err != nil {
		return "(no page text: " + err.Error() + ")"
	}
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return strings.TrimSpace(s)
}

// browserCookie is the browser's session cookie for the dashboard.
func browserCookie(t *testing.T, e *browserEnv, ctx context.Context) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.srv.URL + "/admin/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "lindungi_staff" && c.Value != "" {
			return c
		}
	}
	t.Fatal("no lindungi_staff cookie in the browser")
	return nil
}

// browserPost posts a form with a session cookie, as a script could, and
// returns the status.
func browserPost(t *testing.T, e *browserEnv, ck *network.Cookie, path, form string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form))
	browserMust(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	c := e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	browserMust(t, err)
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	return resp.StatusCode
}

// browserShotDir is where screenshots go: $LINDUNGI_SCREENSHOTS, else
// testdata/screenshots (its .gitignore keeps them out of git).
func browserShotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LINDUNGI_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
		browserMust(t, os.MkdirAll(dir, 0o755))
		ignore := filepath.Join(dir, ".gitignore")
		if _, err := os.Stat(ignore); errors.Is(err, os.ErrNotExist) {
			browserMust(t, os.WriteFile(ignore, []byte("*.png\n"), 0o644))
		}
		return dir
	}
	browserMust(t, os.MkdirAll(dir, 0o755))
	return dir
}

func browserMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
