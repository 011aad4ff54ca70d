package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/store/pgtest"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t     *testing.T
	db    *flowstest.Env
	srv   *httptest.Server
	clock *testClock
}

// newEnv serves a dashboard on a database of its own; admin telegram:42.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dsn, drop, err := pgtest.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	clk := &testClock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	fe, err := flowstest.Open(ctx, dsn, flowstest.Options{Now: clk.Now, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fe.Close() })
	cfg := flows.DefaultConfig()
	cfg.Admins = []string{"telegram:42"}
	h, err := dashboard.New(dashboard.Config{Store: fe.DB, Actions: fe.Engine(cfg), Broadcasts: fe.Engine(cfg), Imports: fe.Engine(cfg).SponsorImports(fe.DB), Catalog: fe.Catalog, Regions: fe.Regions, Province: cfg.Province,
		Admins: cfg.Admins, Location: cfg.Location, Now: clk.Now, Log: slog.New(slog.DiscardHandler), LoginsPerMinute: 600})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, db: fe, srv: srv, clock: clk}
}

// link makes a sign-in link's secret for actor.
func (e *env) link(actor string) string {
	e.t.Helper()
	token, hash, err := flows.NewStaffLink()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.DB.CreateStaffLink(context.Background(), actor, hash, e.clock.Now().Add(flows.StaffLinkTTL)); err != nil {
		e.t.Fatal(err)
	}
	return token
}

// browser is one staff member's cookie jar.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{e: e, c: &c}
}

func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.e.t.Helper()
	resp, err := b.c.PostForm(b.e.srv.URL+path, form)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signIn spends a new link for actor; it fails the test unless it works.
func (b *browser) signIn(actor string) {
	b.e.t.Helper()
	if code, _ := b.post("/admin/login", url.Values{"t": {b.e.link(actor)}}); code != http.StatusSeeOther {
		b.e.t.Fatalf("sign in as %s: %d", actor, code)
	}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the session's CSRF token from a page.
func (b *browser) csrf() string {
	b.e.t.Helper()
	_, body := b.get("/admin/")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.e.t.Fatal("no csrf token on the overview")
	}
	return m[1]
}

func (e *env) audited(actor, action string) int {
	e.t.Helper()
	var n int
	if err := e.db.DB.SQL().Get(&n, `SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2`, actor, action); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// Every page and action answers only with a session.
func TestNothingWithoutASession(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, p := range []string{"/admin/", "/admin/pendaftar", "/admin/pendaftar.csv", "/admin/pendaftar/LD2612-AAAAAA", "/admin/agen", "/admin/peran", "/admin/audit"} {
		if code, body := b.get(p); code != http.StatusUnauthorized || strings.Contains(body, "csrf") {
			t.Errorf("GET %s without a session: %d", p, code)
		}
	}
	for _, p := range []string{"/admin/logout", "/admin/lang", "/admin/pendaftar/LD2612-AAAAAA/nik", "/admin/pendaftar/LD2612-AAAAAA/koreksi",
		"/admin/agen/1", "/admin/peran", "/admin/peran/hapus"} {
		if code, _ := b.post(p, url.Values{"csrf": {"x"}}); code != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %d", p, code)
		}
	}
	// A made-up cookie is no session either.
	u, _ := url.Parse(e.srv.URL + "/admin/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lindungi_staff", Value: "made-up", Path: "/admin/"}})
	if code, _ := b.get("/admin/"); code != http.StatusUnauthorized {
		t.Errorf("a made-up cookie: %d", code)
	}
}

// A link works once, and not after ten minutes; the GET only asks to press.
func TestLinkWorksOnce(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	token := e.link("telegram:42")
	if code, body := b.get("/admin/login?t=" + token); code != http.StatusOK || !strings.Contains(body, `id="masuk"`) {
		t.Fatalf("GET login: %d", code)
	}
	if code, _ := b.post("/admin/login", url.Values{"t": {token}}); code != http.StatusSeeOther {
		t.Fatalf("first use: %d", code)
	}
	if code, body := b.get("/admin/"); code != http.StatusOK || !strings.Contains(body, "total-registered") {
		t.Fatalf("overview after sign-in: %d", code)
	}
	if code, _ := e.browser().post("/admin/login", url.Values{"t": {token}}); code != http.StatusForbidden {
		t.Errorf("second use: %d, want 403", code)
	}
	late := e.link("telegram:42")
	e.clock.Add(flows.StaffLinkTTL + time.Second)
	if code, _ := e.browser().post("/admin/login", url.Values{"t": {late}}); code != http.StatusForbidden {
		t.Errorf("expired link: %d, want 403", code)
	}
	if n := e.audited("telegram:42", "dasbor:login"); n != 1 {
		t.Errorf("%d logins audited, want 1", n)
	}
	// The cookie is HttpOnly, SameSite=Strict, on /admin/.
	resp, err := e.srv.Client().PostForm(e.srv.URL+"/admin/login", url.Values{"t": {e.link("telegram:42")}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := resp.Request.Response
	if c == nil {
		c = resp
	}
	var set string
	for _, h := range c.Header.Values("Set-Cookie") {
		set += h
	}
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/admin/"} {
		if !strings.Contains(set, want) {
			t.Errorf("cookie %q lacks %s", set, want)
		}
	}
}

// Sessions end after 30 idle minutes, after 12 hours whatever, and at logout.
func TestSessionsExpire(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("telegram:42")
	e.clock.Add(29 * time.Minute)
	if code, _ := b.get("/admin/"); code != http.StatusOK {
		t.Fatalf("after 29 minutes: %d", code)
	}
	e.clock.Add(31 * time.Minute)
	if code, _ := b.get("/admin/"); code != http.StatusUnauthorized {
		t.Errorf("after 31 idle minutes: %d, want 401", code)
	}

	b = e.browser()
	b.signIn("telegram:42")
	for range 24 * 4 { // busy all day: a request every 15 minutes
		e.clock.Add(15 * time.Minute)
		code, _ := b.get("/admin/")
		if code == http.StatusUnauthorized {
			break
		}
	}
	if code, _ := b.get("/admin/"); code != http.StatusUnauthorized {
		t.Errorf("a session over 12 hours old still works")
	}

	b = e.browser()
	b.signIn("telegram:42")
	if code, _ := b.post("/admin/logout", url.Values{"csrf": {b.csrf()}}); code != http.StatusOK {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := b.get("/admin/"); code != http.StatusUnauthorized {
		t.Errorf("after logout: %d", code)
	}
}

// A POST without the session's CSRF token, or from another site, is refused.
func TestPostNeedsItsCSRFToken(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("telegram:42")
	form := url.Values{"actor": {"telegram:77"}, "role": {"staf"}}
	if code, _ := b.post("/admin/peran", form); code != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", code)
	}
	form.Set("csrf", "wrong")
	if code, _ := b.post("/admin/peran", form); code != http.StatusForbidden {
		t.Errorf("wrong token: %d, want 403", code)
	}
	form.Set("csrf", b.csrf())
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/admin/peran", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("another origin: %d, want 403", resp.StatusCode)
	}
	if roles, _ := e.db.DB.StaffRoles(context.Background()); len(roles) != 0 {
		t.Fatalf("a refused post gave a role: %v", roles)
	}
	if code, _ := b.post("/admin/peran", form); code != http.StatusSeeOther {
		t.Errorf("with its token: %d", code)
	}
	if roles, _ := e.db.DB.StaffRoles(context.Background()); len(roles) != 1 || roles[0].Role != "staf" {
		t.Errorf("roles %v", roles)
	}
}

// A staf member reads but cannot act: 403 and an audit line.
func TestStafCannotAct(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.DB.SetStaffRole(ctx, "telegram:42", dashboard.Staff{Actor: "telegram:77", Role: dashboard.RoleStaf}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("telegram:77")
	if code, _ := b.get("/admin/pendaftar"); code != http.StatusOK {
		t.Errorf("staf reading registrations: %d", code)
	}
	for _, p := range []string{"/admin/peran", "/admin/audit"} {
		if code, _ := b.get(p); code != http.StatusForbidden {
			t.Errorf("staf GET %s: %d, want 403", p, code)
		}
	}
	if code, _ := b.post("/admin/agen/1", url.Values{"csrf": {b.csrf()}, "action": {"setujui"}}); code != http.StatusForbidden {
		t.Errorf("staf approving an agent: %d, want 403", code)
	}
	if n := e.audited("telegram:77", "dasbor:forbidden"); n != 3 {
		t.Errorf("%d refusals audited, want 3", n)
	}
	// Someone with no role at all sees nothing.
	if err := e.db.DB.SetStaffRole(ctx, "telegram:42", dashboard.Staff{Actor: "telegram:99", Role: dashboard.RoleStaf}); err != nil {
		t.Fatal(err)
	}
	nobody := e.browser()
	nobody.signIn("telegram:99")
	if _, err := e.db.DB.RemoveStaffRole(ctx, "telegram:42", "telegram:99"); err != nil {
		t.Fatal(err)
	}
	if code, _ := nobody.get("/admin/"); code != http.StatusForbidden {
		t.Errorf("a role taken away: %d, want 403", code)
	}
}

// Sign-in attempts are limited per address.
func TestSignInIsRateLimited(t *testing.T) {
	e := newEnv(t)
	h, err := dashboard.New(dashboard.Config{Store: e.db.DB, Catalog: e.db.Catalog, Now: e.clock.Now, Log: slog.New(slog.DiscardHandler), LoginsPerMinute: 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	limited := 0
	for range 20 {
		resp, err := srv.Client().PostForm(srv.URL+"/admin/login", url.Values{"t": {"guess"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if limited < 10 {
		t.Errorf("%d of 20 guesses limited, want most", limited)
	}
}
