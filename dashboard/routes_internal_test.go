package dashboard

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/locales"
)

// wildcard is a pattern's {name} or {$}.
var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// No page or endpoint of the dashboard answers without a session, however
// many are added: every pattern the mux serves is asked, with and without
// a made-up cookie. Only the sign-in page and the stylesheet and script
// are public.
func TestEveryRouteNeedsASession(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	_, mux, err := build(Config{Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	h := headers(mux)
	public := map[string]bool{"GET /admin/login": true, "POST /admin/login": true, "GET /admin/static/{name}": true}
	if len(mux.patterns) < 30 {
		t.Fatalf("only %d routes: %v", len(mux.patterns), mux.patterns)
	}
	for _, p := range mux.patterns {
		if public[p] {
			continue
		}
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			t.Errorf("pattern %q has no method", p)
			continue
		}
		path = strings.ReplaceAll(path, "{$}", "")
		path = wildcard.ReplaceAllString(path, "1")
		for _, cookie := range []string{"", "made-up"} {
			req := httptest.NewRequest(method, path, strings.NewReader("csrf=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if cookie != "" {
				// No session's cookie is that long: refused before the store
				// is asked (a well-formed unknown one is tried against the
				// store in TestNothingWithoutASession).
				req.AddCookie(&http.Cookie{Name: cookieName, Value: strings.Repeat("x", 101)})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s without a session (cookie %q): %d, want 401", method, path, cookie, rec.Code)
			}
			if strings.Contains(rec.Body.String(), `name="csrf"`) {
				t.Errorf("%s %s without a session shows a form with a CSRF token", method, path)
			}
		}
	}
	t.Logf("%d routes asked", len(mux.patterns))
}

// The language switch goes back only to a page of the dashboard.
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/admin/pendaftar?q=siti": "/admin/pendaftar?q=siti",
		"/admin/":                 "/admin/",
		"/admin":                  "/admin/",
		"/admin/../\\evil.com":    "/admin/",
		"/admin/../../etc":        "/admin/",
		"//evil.com/admin/":       "/admin/",
		"https://evil.com/admin/": "/admin/",
		"/admin/./siaran/1":       "/admin/siaran/1",
		"/adminx":                 "/admin/",
		"":                        "/admin/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
