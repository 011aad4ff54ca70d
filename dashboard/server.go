// Package dashboard is the staff's web page under /admin/: coverage at a
// glance, where registrations stall, registrations, agents, roles and the
// audit log. Staff sign in with a one-time link asked for in chat (/dasbor)
// or printed by `lindungi admin link`; no passwords.
package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/peta"
	"github.com/lindungi/lindungi/ratelimit"
	"github.com/lindungi/lindungi/wilayah"
)

// Session lifetimes: signed out after 30 minutes without a request, and 12
// hours after signing in whatever happens.
const (
	SessionIdle = 30 * time.Minute
	SessionMost = 12 * time.Hour
)

// cookieName is the session cookie; its path is /admin/.
const cookieName = "lindungi_staff"

// csp is the pages' policy: their own stylesheet and script file (nothing
// inline), images drawn inline, requests and forms to themselves only,
// never framed.
const csp = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

//go:embed templates/*.html static/*
var files embed.FS

// Actions are the staff's actions that tell people in chat (flows.Engine).
type Actions interface {
	DecideAgent(ctx context.Context, actor string, id int64, status, reason string) (flows.Agent, error)
	Correct(ctx context.Context, actor, ref, field, value, reason string) error
	// AgentFee is what an agent of role earns on collected Rupiah.
	AgentFee(role string, collected int64) int64
}

// Config is what the dashboard needs.
type Config struct {
	Store   Store
	Actions Actions
	Imports Importer // imports.go: runs sponsor lists' imports
	// Broadcasts composes and steers broadcasts (broadcasts.go).
	Broadcasts Broadcaster
	Catalog    *locales.Catalog
	Regions    *wilayah.Data
	Province   string   // the deployment's province (its dotted code): the map's
	Admins     []string // LINDUNGI_ADMINS: admins whatever the roles say
	Location   *time.Location
	Now        func() time.Time // nil means clock.Now
	// SecureCookie sends the session cookie over HTTPS only.
	SecureCookie bool
	// LoginsPerMinute bounds sign-in attempts per address (default 20:
	// bursts of 5, a sign-in being a GET and a POST).
	LoginsPerMinute int
	Log             *slog.Logger
}

type server struct {
	Config
	pages map[string]*template.Template
	peta  *peta.Map // the province's kabupaten/kota; nil when none is shipped
}

// New builds the dashboard's handler; it serves paths under /admin/.
func New(cfg Config) (http.Handler, error) {
	_, mux, err := build(cfg)
	if err != nil {
		return nil, err
	}
	return headers(mux), nil
}

// routes is the dashboard's mux, with the patterns it serves (a test asks
// every one of them for a session).
type routes struct {
	*http.ServeMux
	patterns []string
}

func (m *routes) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routes) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// build makes the server and its routes.
func build(cfg Config) (*server, *routes, error) {
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.LoginsPerMinute == 0 {
		cfg.LoginsPerMinute = 20
	}
	s := &server{Config: cfg, pages: map[string]*template.Template{}}
	if err := s.parse(); err != nil {
		return nil, nil, err
	}
	if cfg.Province != "" {
		m, err := peta.Load(cfg.Province)
		switch {
		case err == nil:
			s.peta = m
		case !errors.Is(err, peta.ErrNoMap):
			return nil, nil, err
		}
	}
	mux := &routes{ServeMux: http.NewServeMux()}
	login := ratelimit.Handler(cfg.LoginsPerMinute, cfg.Now, http.HandlerFunc(s.login))
	mux.Handle("GET /admin/login", login)
	mux.Handle("POST /admin/login", login)
	mux.HandleFunc("GET /admin/static/{name}", s.static)
	mux.Handle("POST /admin/logout", s.auth(anyone, s.logout))
	mux.Handle("POST /admin/lang", s.auth(anyone, s.setLang))
	mux.Handle("GET /admin/{$}", s.auth(anyone, s.overview))
	mux.Handle("GET /admin/pendaftar", s.auth(anyone, s.registrations))
	mux.Handle("GET /admin/pendaftar.csv", s.auth(anyone, s.exportCSV))
	mux.Handle("GET /admin/pendaftar/{ref}", s.auth(anyone, s.record))
	mux.Handle("POST /admin/pendaftar/{ref}/nik", s.auth(adminOnly, s.revealNIK))
	mux.Handle("POST /admin/pendaftar/{ref}/koreksi", s.auth(adminOnly, s.correct))
	mux.Handle("GET /admin/agen", s.auth(notSponsor, s.agents))
	mux.Handle("POST /admin/agen/{id}", s.auth(adminOnly, s.decide))
	mux.Handle("GET /admin/peran", s.auth(adminOnly, s.roles))
	mux.Handle("POST /admin/peran", s.auth(adminOnly, s.setRole))
	mux.Handle("POST /admin/peran/hapus", s.auth(adminOnly, s.removeRole))
	mux.Handle("GET /admin/audit", s.auth(adminOnly, s.audit))
	s.broadcastRoutes(mux)
	s.importRoutes(mux)
	s.paymentRoutes(mux)
	return s, mux, nil
}

// headers sets what every dashboard response carries.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: with no-referrer a browser's form
		// posts say "Origin: null", which sameOrigin refuses.
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (s *server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := files.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b) //nolint:errcheck
}

// viewer is the signed-in staff member of a request.
type viewer struct {
	Actor string
	Role  string
	Scope Scope
	Lang  string
	CSRF  string
	hash  []byte
}

// Masked reports whether personal data is masked for the viewer.
func (v viewer) Masked() bool { return v.Role == RoleStaf }

// Admin reports whether the viewer may act.
func (v viewer) Admin() bool { return v.Role == RoleAdmin }

// A rule says which roles may open a page.
type rule func(role string) bool

func anyone(string) bool          { return true }
func adminOnly(role string) bool  { return role == RoleAdmin }
func notSponsor(role string) bool { return role != RoleSponsor }

// wholeProvince is the roles that see past any kabupaten/kota or batch:
// broadcasts and uploaded lists go to the whole province.
func wholeProvince(role string) bool { return role == RoleAdmin || role == RoleStaf }

// notSupervisor keeps a supervisor (one or more kabupaten/kota) from the
// sponsors' batches, which are the province's lists.
func notSupervisor(role string) bool { return role != RoleSupervisor }
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

type ctxKey struct{}

// auth serves h to a signed-in staff member whose role the rule allows:
// without a session 303 to a page that says how to sign in (401 for
// anything but a page view), outside the role 403 and an audit line; a POST
// without the session's CSRF token (or from another origin) is refused.
func (s *server) auth(allow rule, h func(http.ResponseWriter, *http.Request, viewer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		c, err := r.Cookie(cookieName)
		if err != nil || c.Value == "" || len(c.Value) > 100 {
			s.signedOut(w, r)
			return
		}
		hash := flows.StaffLinkHash(c.Value)
		sess, err := s.Store.StaffSession(ctx, hash, SessionIdle, SessionMost)
		if errors.Is(err, ErrNotFound) {
			s.clearCookie(w)
			s.signedOut(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v := viewer{Actor: sess.Actor, Lang: sess.Lang, CSRF: sess.CSRF, hash: hash}
		if !s.Catalog.Supported(v.Lang) {
			v.Lang = locales.Default
		}
		if v.Role, v.Scope, err = RoleOf(ctx, s.Store, s.Admins, sess.Actor); err != nil {
			s.fail(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
				s.Log.Warn("dashboard: post refused", "actor", sess.Actor, "path", r.URL.Path, "reason", "csrf")
				if err := s.Store.Audit(ctx, sess.Actor, "dasbor:csrf_refused", r.Method+" "+r.URL.Path, ""); err != nil {
					s.fail(w, r, err)
					return
				}
				s.page(w, r, http.StatusForbidden, "error", v, map[string]any{"Message": s.T(v, "dasbor.err.csrf", nil)})
				return
			}
		}
		if v.Role == "" || !allow(v.Role) {
			if err := s.Store.Audit(ctx, v.Actor, "dasbor:forbidden", r.Method+" "+r.URL.Path, "role="+v.Role); err != nil {
				s.fail(w, r, err)
				return
			}
			s.page(w, r, http.StatusForbidden, "error", v, map[string]any{"Message": s.T(v, "dasbor.err.forbidden", nil)})
			return
		}
		h(w, r.WithContext(context.WithValue(ctx, ctxKey{}, v)), v)
	})
}

// RoleStore is what RoleOf reads.
type RoleStore interface {
	ChatAdmin(ctx context.Context, actor string) (bool, error)
	StaffRole(ctx context.Context, actor string) (Staff, bool, error)
}

// RoleOf is actor's role and scope: LINDUNGI_ADMINS (admins) and chat
// admins are admins; others have the role given on the dashboard, or none
// ("", nothing in scope). The dashboard, /dasbor and `lindungi admin link`
// all ask it.
func RoleOf(ctx context.Context, st RoleStore, admins []string, actor string) (string, Scope, error) {
	if slices.Contains(admins, actor) {
		return RoleAdmin, Scope{}, nil
	}
	ok, err := st.ChatAdmin(ctx, actor)
	if err != nil {
		return "", Scope{None: true}, err
	}
	if ok {
		return RoleAdmin, Scope{}, nil
	}
	staff, ok, err := st.StaffRole(ctx, actor)
	if err != nil || !ok {
		return "", Scope{None: true}, err
	}
	switch staff.Role {
	case RoleSupervisor:
		return staff.Role, Scope{Regencies: staff.Regencies, None: len(staff.Regencies) == 0}, nil
	case RoleSponsor:
		return staff.Role, Scope{Batches: staff.Batches, None: len(staff.Batches) == 0}, nil
	}
	return staff.Role, Scope{}, nil
}

// sameOrigin refuses a request another site's page sent: Origin, when the
// browser gives it, must be this host.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" { // not a browser's form: the CSRF token still decides
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (s *server) signedOut(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, ".csv") {
		s.page(w, r, http.StatusUnauthorized, "signin", viewer{Lang: locales.Default}, nil)
		return
	}
	http.Error(w, "sign in first", http.StatusUnauthorized)
}

func (s *server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/admin/", MaxAge: -1, HttpOnly: true,
		Secure: s.SecureCookie, SameSite: http.SameSiteStrictMode})
}

// login shows (GET) and spends (POST) a sign-in link. GET only asks to
// press a button: chat apps open links to draw previews, and that must not
// spend a one-time link.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	v := viewer{Lang: locales.Default}
	token := r.FormValue("t")
	if r.Method == http.MethodGet {
		if token == "" || len(token) > 100 {
			s.page(w, r, http.StatusBadRequest, "signin", v, map[string]any{"Message": s.T(v, "dasbor.login.bad", nil)})
			return
		}
		s.page(w, r, http.StatusOK, "login", v, map[string]any{"Token": token})
		return
	}
	if !sameOrigin(r) || token == "" || len(token) > 100 {
		s.page(w, r, http.StatusBadRequest, "signin", v, map[string]any{"Message": s.T(v, "dasbor.login.bad", nil)})
		return
	}
	secret, err := newSecret()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	csrf, err := newSecret()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	actor, err := s.Store.RedeemStaffLink(r.Context(), flows.StaffLinkHash(token), flows.StaffLinkHash(secret), csrf)
	if errors.Is(err, ErrNotFound) {
		s.Log.Info("dashboard: sign-in link refused")
		s.page(w, r, http.StatusForbidden, "signin", v, map[string]any{"Message": s.T(v, "dasbor.login.used", nil)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.Audit(r.Context(), actor, "dasbor:login", "dasbor", ""); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: secret, Path: "/admin/", HttpOnly: true, Secure: s.SecureCookie,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionMost / time.Second)})
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

func (s *server) logout(w http.ResponseWriter, r *http.Request, v viewer) {
	if err := s.Store.EndStaffSession(r.Context(), v.hash); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:logout", "dasbor", ""); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearCookie(w)
	s.page(w, r, http.StatusOK, "signin", viewer{Lang: v.Lang}, map[string]any{"Message": s.T(v, "dasbor.logged_out", nil)})
}

func (s *server) setLang(w http.ResponseWriter, r *http.Request, v viewer) {
	lang := r.PostFormValue("lang")
	if !s.Catalog.Supported(lang) {
		http.Error(w, "unknown language", http.StatusBadRequest)
		return
	}
	if err := s.Store.SetSessionLang(r.Context(), v.hash, lang); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, localPath(r.PostFormValue("back")), http.StatusSeeOther)
}

// localPath is a page of the dashboard to go back to: back when it is one
// (its path cleaned: no "..", no backslash a browser reads as a slash, no
// other host), else the overview.
func localPath(back string) string {
	u, err := url.Parse(back)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(back, "\\\x00") {
		return "/admin/"
	}
	p := path.Clean(u.Path)
	if !strings.HasPrefix(p+"/", "/admin/") || strings.HasPrefix(back, "//") {
		return "/admin/"
	}
	if p == "/admin" {
		p = "/admin/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// fail answers a server error without its details.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.Log.Error("dashboard", "path", r.URL.Path, "err", err)
	http.Error(w, "something went wrong; try again", http.StatusInternalServerError)
}

// T renders a text in the viewer's language.
func (s *server) T(v viewer, key string, data map[string]any) string {
	return s.Catalog.T(v.Lang, key, data)
}
