// Package web is the browser channel: a small chat page served from the
// binary and the JSON endpoints it talks to (post a message; receive replies
// through server-sent events or, where a proxy breaks those, long polling).
//
// A browser is known by an unguessable cookie; the chat id kept in the
// database is a hash of it, so a database leak does not hand out sessions.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/origin"
	"github.com/lindungi/lindungi/ratelimit"
)

// Channel is the channel name sessions and the outbox use for the web chat.
const Channel = "web"

// Handler processes one inbound event (the flows engine).
type Handler = bot.Handler

// Outbox gives the replies waiting for a chat and marks them delivered.
type Outbox interface {
	PendingFor(ctx context.Context, channel, chatID string) ([]flows.Outgoing, error)
	MarkSent(ctx context.Context, ids []int64) error
}

// Sessions keeps the web chat's sessions (store.DB): a key (a hash of the
// cookie's secret, never the secret) → its chat.
type Sessions interface {
	WebChat(ctx context.Context, key string) (chat string, ok bool, err error)
	OpenWebSession(ctx context.Context, key, chat string) (string, error)
	RotateWebSession(ctx context.Context, oldKey, newKey string) error
}

// Options configure the web chat.
type Options struct {
	Handler  Handler
	Outbox   Outbox
	Sessions Sessions
	Catalog  *locales.Catalog
	Log      *slog.Logger     // nil means slog.Default()
	Now      func() time.Time // nil means clock.Now

	// RatePerMinute is the sustained number of /api requests one client
	// address may make (bursts of a quarter of it are allowed); default 60.
	// Mobile carriers put many phones behind one address: raise it there.
	RatePerMinute int
	// AllowedOrigins are extra origins ("https://portal.example.go.id")
	// allowed to POST; the page's own origin always is.
	AllowedOrigins []string
	// FrameAncestors are the CSP frame-ancestors sources that may embed the
	// page ("https://portal.example.go.id"); default 'self'. Embedding in
	// another site needs SecureCookie too: the cookie then becomes
	// SameSite=None; Partitioned, or the browser would not send it inside
	// the frame.
	FrameAncestors []string
	// SecureCookie marks the cookie Secure (and names it __Host-…): set it
	// whenever the page is served over HTTPS, directly or behind a proxy. A
	// PublicURL starting with https:// does the same.
	SecureCookie bool
	// PublicURL is the address people open the page at; its scheme is the
	// one the page's own requests must come from.
	PublicURL string
	// SessionKey signs the cookie secrets this server issues, so that it
	// accepts no other (the same key in every process; nil: a random one,
	// fine for a single process).
	SessionKey []byte
	// Changes wakes a chat's streams and polls when a reply is queued for
	// it, by any process (store.DB). Without it each open stream looks for
	// new replies every PollInterval (default 500ms); replies made in this
	// process wake it at once either way.
	Changes      bot.Changes
	PollInterval time.Duration
	// StreamsPerAddress and MaxStreams cap the open event streams, from one
	// client address and in all (default 8 and 4,000): a new one past a
	// cap closes the oldest first. StreamLifetime ends a stream after a
	// while (default 30 min; the page reconnects, paying a rate token).
	StreamsPerAddress, MaxStreams int
	StreamLifetime                time.Duration
	// Photos draws the images replies name (the membership card); they are
	// shown inline. PhotoKey signs their links so that a chat can only fetch
	// its own (the same key in every process; nil: a random one, fine for a
	// single process).
	Photos   bot.Photos
	PhotoKey []byte
	// Context ends open event streams and long polls when done, so that
	// http.Server.Shutdown does not wait for them. nil means never.
	Context context.Context
}

const (
	maxText      = 2000     // characters in one message
	maxBody      = 16 << 10 // bytes of one POST body
	cookieMaxAge = 90 * 24 * time.Hour
)

//go:embed static
var static embed.FS

type server struct {
	o        Options
	log      *slog.Logger
	page     *template.Template
	assets   map[string]*asset // by file name
	limits   *ratelimit.Limiter
	hub      *hub
	streams  *streams
	origins  map[string]bool
	csp      string
	photoKey []byte
	// sessionKey signs issued cookie secrets; publicScheme is PublicURL's.
	sessionKey   []byte
	publicScheme string
	cookieName   string
	partition    bool          // cookie for a cross-site frame: SameSite=None; Partitioned
	heartbeat    time.Duration // comment line on an idle event stream
	longPoll     time.Duration // the longest a poll waits
	stop         <-chan struct{}
}

type asset struct {
	body, gz []byte
	ctype    string
	version  string // short hash, the ?v= of the page's links
}

// New builds the web chat's handler, to be mounted at "/".
func New(o Options) (http.Handler, error) {
	s, err := newServer(o)
	if err != nil {
		return nil, err
	}
	return s.routes(), nil
}

func newServer(o Options) (*server, error) {
	if o.Handler == nil || o.Outbox == nil || o.Sessions == nil || o.Catalog == nil {
		return nil, errors.New("web: Handler, Outbox, Sessions and Catalog are required")
	}
	if strings.HasPrefix(strings.ToLower(o.PublicURL), "https://") {
		o.SecureCookie = true
	}
	publicScheme := ""
	if u, err := url.Parse(o.PublicURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		publicScheme = u.Scheme
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = clock.Now
	}
	if o.RatePerMinute <= 0 {
		o.RatePerMinute = 60
	}
	photoKey, sessionKey := o.PhotoKey, o.SessionKey
	for _, k := range []*[]byte{&photoKey, &sessionKey} {
		if len(*k) == 0 {
			*k = make([]byte, 32)
			if _, err := rand.Read(*k); err != nil {
				return nil, err
			}
		}
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.StreamsPerAddress <= 0 {
		o.StreamsPerAddress = 8
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 4000
	}
	if o.StreamLifetime <= 0 {
		o.StreamLifetime = 30 * time.Minute
	}
	s := &server{photoKey: photoKey, sessionKey: sessionKey, publicScheme: publicScheme,
		o: o, log: o.Log.With("channel", Channel),
		assets:    map[string]*asset{},
		limits:    ratelimit.New(o.RatePerMinute),
		hub:       newHub(),
		streams:   newStreams(o.StreamsPerAddress, o.MaxStreams),
		origins:   map[string]bool{},
		heartbeat: 15 * time.Second,
		longPoll:  25 * time.Second,
	}
	if o.Context != nil {
		s.stop = o.Context.Done()
	}
	if o.Changes != nil {
		ctx := o.Context
		if ctx == nil {
			ctx = context.Background()
		}
		// Every stream of a chat that got a reply wakes; all of them after a gap.
		go bot.Listen(ctx, o.Changes, Channel, s.hub.notify, s.hub.notifyAll, s.log)
	}
	for _, allowed := range o.AllowedOrigins {
		n, ok := origin.Normal(allowed)
		if !ok {
			return nil, fmt.Errorf("web: allowed origin %q is not scheme://host[:port]", allowed)
		}
		s.origins[n] = true
	}
	ancestors := "'self'"
	if len(o.FrameAncestors) > 0 {
		for _, a := range o.FrameAncestors {
			if a == "" || strings.ContainsAny(a, " ;,\r\n") {
				return nil, fmt.Errorf("web: frame ancestor %q is not one CSP source", a)
			}
		}
		ancestors = strings.Join(o.FrameAncestors, " ")
		s.partition = o.SecureCookie && ancestors != "'self'"
		if !o.SecureCookie && ancestors != "'self'" {
			o.Log.Warn("web: the chat may be framed by other sites, but without SecureCookie its cookie is SameSite=Lax, which browsers do not send inside a frame of another site")
		}
	}
	s.csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors " + ancestors
	s.cookieName = "lindungi"
	if o.SecureCookie {
		s.cookieName = "__Host-lindungi"
	}
	for _, name := range []string{"app.js", "app.css"} {
		a, err := loadAsset(name)
		if err != nil {
			return nil, err
		}
		s.assets[name] = a
	}
	page, err := template.ParseFS(static, "static/index.html")
	if err != nil {
		return nil, fmt.Errorf("web: page template: %w", err)
	}
	s.page = page
	for _, lang := range o.Catalog.Langs() { // fail now, not on the first visitor
		if err := s.page.Execute(&bytes.Buffer{}, s.pageData(lang, "x")); err != nil {
			return nil, fmt.Errorf("web: page template (%s): %w", lang, err)
		}
	}
	return s, nil
}

func loadAsset(name string) (*asset, error) {
	body, err := static.ReadFile("static/" + name)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(body)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("web: gzip %s: %w", name, err)
	}
	sum := sha256.Sum256(body)
	return &asset{body: body, gz: gz.Bytes(), ctype: mime.TypeByExtension(path.Ext(name)), version: hex.EncodeToString(sum[:6])}, nil
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("GET /static/{name}", s.handleAsset)
	mux.Handle("POST /api/messages", s.api(true, s.handleMessage))
	mux.Handle("GET /api/events", s.api(false, s.handleEvents))
	mux.Handle("GET /api/poll", s.api(false, s.handlePoll))
	mux.Handle("GET /api/photo", s.api(false, s.handlePhoto))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		mux.ServeHTTP(w, r)
	})
}

// pageTexts are the page's own texts: template name → locale key.
var pageTexts = [][2]string{
	{"title", "web.title"},
	{"subtitle", "web.subtitle"},
	{"help", "web.help"},
	{"log", "web.log_label"},
	{"typing", "web.typing"},
	{"input", "web.input_label"},
	{"placeholder", "web.placeholder"},
	{"placeholder_phone", "web.placeholder_phone"},
	{"send", "web.send"},
	{"you", "web.you"},
	{"bot", "web.bot"},
	{"err_send", "web.err_send"},
	{"err_busy", "web.err_busy"},
	{"err_offline", "web.err_offline"},
	{"err_chat", "web.err_chat"},
	{"noscript", "web.noscript"},
	{"copy", "web.copy"},
	{"copied", "web.copied"},
	{"open", "web.open_photo"},
	{"save", "web.save_photo"},
	{"placeholder_number", "web.placeholder_number"},
	{"lang_other", "web.lang_other"},
	{"lang_label", "web.lang_label"},
}

type pageData struct {
	Lang, Tag, JS, CSS string
	LangTo             string // the language the switch changes to
	Keep               int64  // how long the page keeps its transcript: the cookie's life, in seconds
	T                  map[string]string
}

func (s *server) pageData(lang, tag string) pageData {
	to := "en"
	if lang == "en" {
		to = "id"
	}
	d := pageData{Lang: lang, LangTo: to, Tag: tag, Keep: int64(cookieMaxAge.Seconds()), T: map[string]string{},
		JS:  "static/app.js?v=" + s.assets["app.js"].version,
		CSS: "static/app.css?v=" + s.assets["app.css"].version}
	for _, t := range pageTexts {
		d.T[t[0]] = s.o.Catalog.T(lang, t[1], nil)
	}
	return d
}

func (s *server) handlePage(w http.ResponseWriter, r *http.Request) {
	secret, err := s.ensureCookie(w, r)
	if err != nil {
		s.log.ErrorContext(r.Context(), "web session", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := s.page.Execute(&buf, s.pageData(langOf(r), transcriptTag(secret))); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // the page names this browser's transcript
	h.Set("Content-Security-Policy", s.csp)
	if !s.partition && len(s.o.FrameAncestors) == 0 {
		h.Set("X-Frame-Options", "SAMEORIGIN") // for browsers without CSP frame-ancestors
	}
	h.Set("Vary", "Accept-Language, Cookie")
	w.Write(buf.Bytes())
}

func (s *server) handleAsset(w http.ResponseWriter, r *http.Request) {
	a := s.assets[r.PathValue("name")]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Vary", "Accept-Encoding")
	h.Set("ETag", `"`+a.version+`"`)
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if strings.Contains(r.Header.Get("If-None-Match"), a.version) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// langCookie keeps the language chosen with the page's switch.
const langCookie = "lindungi_lang"

// langOf picks the chat language: the one chosen with the page's switch,
// else from Accept-Language: English when the browser prefers it over
// Indonesian, Indonesian otherwise.
func langOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "id" || c.Value == "en") {
		return c.Value
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil {
		return locales.Default
	}
	for _, t := range tags { // sorted by preference
		switch b, _ := t.Base(); b.String() {
		case "en":
			return "en"
		case "id", "ms":
			return "id"
		}
	}
	return locales.Default
}
