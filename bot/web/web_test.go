package web

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
)

var (
	testDSN string
	testDB  *store.DB
	cat     *locales.Catalog
	engine  *flows.Engine
)

func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(m, &testDSN, func() error {
		// The development provider pays: a payment code, and the test bank's
		// link (on a port nothing listens on: a test never leaves the machine).
		sb, err := sandbox.New(sandbox.Options{Secret: []byte("web-test-sandbox-secret"), Now: clock.Now})
		if err != nil {
			return err
		}
		env, err := flowstest.Open(context.Background(), testDSN, flowstest.Options{})
		if err != nil {
			return err
		}
		env.Payer = sb
		cfg := flows.DefaultConfig()
		cfg.SandboxPayURL = testSandboxPay
		testDB, cat, engine = env.DB, env.Catalog, env.Engine(cfg)
		return nil
	}))
}

// testSandboxPay is the test bank's page of a payment code, in the tests.
const testSandboxPay = "http://127.0.0.1:9/sandbox/pay/%s"

func testOptions() Options {
	return Options{Handler: engine, Outbox: testDB, Sessions: testDB, Changes: testDB, Catalog: cat, Log: slog.New(slog.DiscardHandler), RatePerMinute: 6000,
		SessionKey: []byte("web-test-session-key-0123456789a")}
}

// chatOf is the chat a cookie secret leads to, as the server resolves it
// (a secret it issued and nobody used yet gets its chat now).
func chatOf(t *testing.T, secret string) string {
	t.Helper()
	chat, ok, err := testDB.WebChat(context.Background(), sessionKey(secret))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		if chat, err = testDB.OpenWebSession(context.Background(), sessionKey(secret), newChatID()); err != nil {
			t.Fatal(err)
		}
	}
	return chat
}

// start serves a web chat; adjust may change the options and the server's knobs.
func start(t *testing.T, o Options, adjust func(*server)) *httptest.Server {
	t.Helper()
	if o.Context == nil {
		// The server's listening for replies (one database connection)
		// ends with the test: left running, a package's worth of them
		// used up PostgreSQL's connections, and a new server's listening
		// could not begin in time to hear its replies.
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		o.Context = ctx
	}
	s, err := newServer(o)
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		adjust(s)
	}
	srv := httptest.NewServer(s.routes())
	t.Cleanup(srv.Close)
	return srv
}

// client is one browser: its own cookie jar.
type client struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
	seq int
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *srv.Client()
	c.Jar = jar
	c.Timeout = 30 * time.Second
	return &client{t: t, srv: srv, c: &c}
}

func (c *client) do(method, path string, body string, hdr map[string]string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

func (c *client) get(path string) *http.Response { return c.do("GET", path, "", nil) }

// post sends a message body from the page's own origin and returns the status.
func (c *client) post(body string) int {
	c.t.Helper()
	resp := c.do("POST", "/api/messages", body, map[string]string{"Origin": c.srv.URL, "Content-Type": "application/json"})
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (c *client) text(s string) {
	c.t.Helper()
	c.seq++
	b, _ := json.Marshal(map[string]string{"id": "m" + strconv.Itoa(c.seq), "text": s})
	if st := c.post(string(b)); st != http.StatusAccepted {
		c.t.Fatalf("post %q: status %d", s, st)
	}
}

func (c *client) chat() string {
	c.t.Helper()
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.c.Jar.Cookies(u) {
		if k.Name == "lindungi" {
			return chatOf(c.t, k.Value)
		}
	}
	c.t.Fatal("no cookie")
	return ""
}

func pending(t *testing.T, chat string) []flows.Outgoing {
	t.Helper()
	p, err := testDB.PendingFor(context.Background(), Channel, chat)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPageCookieAndHeaders(t *testing.T) {
	srv := start(t, testOptions(), nil)
	c := newClient(t, srv)
	resp := c.get("/")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var ck *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == "lindungi" {
			ck = k
		}
	}
	if ck == nil {
		t.Fatalf("no cookie in %q", resp.Header["Set-Cookie"])
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) != 32 {
		t.Errorf("cookie value %q is not 32 bytes of base64url", ck.Value)
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge <= 0 || ck.Secure {
		t.Errorf("cookie attributes: %q", resp.Header.Get("Set-Cookie"))
	}
	if id := chatOf(t, ck.Value); len(id) != 32 || strings.Contains(string(body), id) || strings.Contains(string(body), ck.Value) {
		t.Errorf("chat id %q: 32 hex digits, never in the page", id)
	}
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'self'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", h)
	}
	page := string(body)
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(page) || strings.Contains(page, " style=") || strings.Contains(page, "onclick") {
		t.Error("the page has inline script or style, which the CSP forbids")
	}
	for _, want := range []string{`lang="id"`, "Kirim", `<label for="msg"`, cat.T("id", "web.subtitle", nil)} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The whole page, with its script and style, stays small.
	size := len(body)
	for _, m := range regexp.MustCompile(`(?:src|href)="(static/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		resp := c.get("/" + strings.ReplaceAll(m[1], "&amp;", "&"))
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: status %d, Cache-Control %q", m[1], resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		size += len(b)
	}
	if size > 30<<10 {
		t.Errorf("page, script and style are %d bytes (keep under 30 KB)", size)
	}
	t.Logf("page + script + style: %d bytes uncompressed", size)

	// A second visit keeps the secret (and renews the cookie).
	resp = c.get("/")
	resp.Body.Close()
	for _, k := range resp.Cookies() {
		if k.Name == "lindungi" && k.Value != ck.Value {
			t.Error("a returning browser got a new secret")
		}
	}

	// English browsers get the English page; a Secure deployment a __Host- cookie.
	o := testOptions()
	o.SecureCookie = true
	o.FrameAncestors = []string{"https://portal.example.go.id"}
	srv2 := start(t, o, nil)
	resp = newClient(t, srv2).do("GET", "/", "", map[string]string{"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"})
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `lang="en"`) {
		t.Error("English browser got a non-English page")
	}
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-lindungi=", "Secure", "HttpOnly", "SameSite=None", "Partitioned"} {
		if !strings.Contains(sc, want) {
			t.Errorf("embeddable secure cookie %q lacks %q", sc, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://portal.example.go.id") {
		t.Errorf("CSP %q", csp)
	}
}

func TestOriginCheck(t *testing.T) {
	o := testOptions()
	o.AllowedOrigins = []string{"https://portal.example.go.id"}
	srv := start(t, o, nil)
	c := newClient(t, srv)
	body := `{"id":"o1","text":"/bantuan"}`
	tests := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}, 403},
		{"no origin nor referer", map[string]string{}, 403},
		{"foreign referer", map[string]string{"Referer": "https://evil.example/x"}, 403},
		{"null origin", map[string]string{"Origin": "null"}, 403},
		{"look-alike host", map[string]string{"Origin": srv.URL + ".evil.example"}, 403},
		{"own origin", map[string]string{"Origin": srv.URL}, 202},
		{"own referer", map[string]string{"Referer": srv.URL + "/"}, 202},
		{"allowed origin", map[string]string{"Origin": "https://PORTAL.example.go.id:443"}, 202},
	}
	for i, tt := range tests {
		tt.hdr["Content-Type"] = "application/json"
		resp := c.do("POST", "/api/messages", strings.Replace(body, "o1", "o"+strconv.Itoa(i), 1), tt.hdr)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	// A foreign page must not drain a chat's replies through its event stream.
	resp := c.do("GET", "/api/poll", "", map[string]string{"Origin": "https://evil.example"})
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cross-site poll: status %d", resp.StatusCode)
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	o := testOptions()
	o.RatePerMinute = 8 // bursts of 2, then one every 7.5 s
	o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := start(t, o, func(s *server) { s.longPoll = 10 * time.Millisecond })
	c := newClient(t, srv)
	c.get("/").Body.Close() // the page itself is not limited
	for i := range 2 {
		if resp := c.get("/api/poll"); resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	resp := c.get("/api/poll")
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "8" {
		t.Fatalf("third request: status %d, Retry-After %q; want 429, 8", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st := c.post(`{"id":"r1","text":"halo"}`); st != http.StatusTooManyRequests {
		t.Errorf("POST over the limit: status %d", st)
	}
	mu.Lock()
	now = now.Add(8 * time.Second)
	mu.Unlock()
	if resp := c.get("/api/poll"); resp.StatusCode != 200 {
		t.Errorf("after the wait: status %d", resp.StatusCode)
	}
}

func TestBadMessages(t *testing.T) {
	srv := start(t, testOptions(), nil)
	c := newClient(t, srv)
	long := strings.Repeat("é", maxText+1)
	tests := []struct {
		name, body string
		want       int
	}{
		{"not json", `{"id":"a1","text":`, 400},
		{"wrong type", `{"id":"a1","text":5}`, 400},
		{"two values", `{"id":"a1","text":"x"} {"id":"a2"}`, 400},
		{"no id", `{"text":"halo"}`, 400},
		{"long id", `{"id":"` + strings.Repeat("a", 65) + `","text":"halo"}`, 400},
		{"odd id", `{"id":"a b","text":"halo"}`, 400},
		{"neither", `{"id":"a1"}`, 400},
		{"both", `{"id":"a1","text":"x","choice":"cs:yes"}`, 400},
		{"blank text", `{"id":"a1","text":"  "}`, 400},
		{"oversized text", `{"id":"a1","text":"` + long + `"}`, 400},
		{"huge body", `{"id":"a1","text":"` + strings.Repeat("a", maxBody) + `"}`, 400},
		{"long choice", `{"id":"a1","choice":"` + strings.Repeat("a", 65) + `"}`, 400},
		{"longest text", `{"id":"a1","text":"` + long[len("é"):] + `"}`, 202},
		{"choice", `{"id":"a2","choice":"cs:yes"}`, 202},
	}
	for _, tt := range tests {
		if got := c.post(tt.body); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestDuplicateClientIDHandledOnce(t *testing.T) {
	srv := start(t, testOptions(), nil)
	a, b := newClient(t, srv), newClient(t, srv)
	for range 3 {
		if st := a.post(`{"id":"same","text":"/start"}`); st != 202 {
			t.Fatalf("status %d", st)
		}
	}
	first := pending(t, a.chat())
	if len(first) == 0 {
		t.Fatal("no reply to /start")
	}
	a.text("/bantuan") // a new id is handled
	if got := len(pending(t, a.chat())); got <= len(first) {
		t.Errorf("a new message added no reply (%d → %d)", len(first), got)
	}
	// Another browser may use the same client id: ids are per chat.
	if st := b.post(`{"id":"same","text":"/start"}`); st != 202 {
		t.Fatalf("status %d", st)
	}
	if got := pending(t, b.chat()); len(got) != len(first) {
		t.Errorf("the other browser's message with the same id got %d replies, want %d", len(got), len(first))
	}
}

// sse reads server-sent events.
type sse struct {
	r    *bufio.Reader
	body io.Closer
}

func openEvents(t *testing.T, c *client) *sse {
	t.Helper()
	resp := c.get("/api/events")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sse{r: bufio.NewReader(resp.Body), body: resp.Body}
}

type event struct {
	id, name, data string
	comment        bool
}

// next returns the next event or comment (reads block; the client has a timeout).
func (s *sse) next(t *testing.T) event {
	t.Helper()
	var ev event
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("read event: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.name != "" || ev.data != "" || ev.comment {
				return ev
			}
		case strings.HasPrefix(line, ":"):
			ev.comment = true
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

func (s *sse) reply(t *testing.T) outReply {
	t.Helper()
	for {
		ev := s.next(t)
		if ev.comment {
			continue
		}
		var r outReply
		if ev.name != "reply" || json.Unmarshal([]byte(ev.data), &r) != nil || ev.id != strconv.FormatInt(r.ID, 10) {
			t.Fatalf("bad event %+v", ev)
		}
		return r
	}
}

func TestEventsDeliverInOrderAndMarkSent(t *testing.T) {
	o := testOptions()
	o.PollInterval = time.Hour // only the wake-up after a POST can deliver in time
	srv := start(t, o, func(s *server) { s.heartbeat = 50 * time.Millisecond })
	c := newClient(t, srv)
	c.get("/").Body.Close()
	stream := openEvents(t, c)
	if ev := stream.next(t); !ev.comment { // an idle stream says it is alive
		t.Errorf("expected a heartbeat, got %+v", ev)
	}

	c.text("/start")
	r0 := stream.reply(t)
	c.text("/bantuan")
	r := stream.reply(t)
	if !strings.Contains(r0.Text, "Lindungi") || r.ID <= r0.ID || len(r.Choices) != 4 || r.Choices[0].Data != "cs:yes" || len(r0.Choices) != 4 {
		t.Fatalf("welcome: %+v, then help %+v", r0, r)
	}
	c.seq++
	if st := c.post(`{"id":"m99","choice":"cs:yes"}`); st != 202 {
		t.Fatal(st)
	}
	c.text("6171054508900999")
	var got []outReply
	for len(got) == 0 || !strings.Contains(got[len(got)-1].Text, "nama lengkap") {
		got = append(got, stream.reply(t))
		if len(got) > 6 {
			t.Fatalf("unexpected replies %+v", got)
		}
	}
	last := r.ID
	for _, g := range got {
		if g.ID <= last {
			t.Errorf("reply %d after %d: out of order", g.ID, last)
		}
		last = g.ID
		if g.Choices == nil {
			t.Errorf("reply %d: choices must be an array", g.ID)
		}
	}
	if echo := got[len(got)-1].Text; strings.Contains(echo, "4508900999") || !strings.Contains(echo, "NIK diterima") {
		t.Errorf("the NIK's acknowledgement should not show it: %q", echo)
	}
	waitDelivered(t, c.chat())
}

// waitDelivered waits until no reply of chat is pending: MarkSent follows
// the write the client has already read.
func waitDelivered(t *testing.T, chat string) {
	t.Helper()
	waited := clock.Start()
	for len(pending(t, chat)) > 0 {
		if waited.Elapsed() > 5*time.Second {
			t.Fatal("delivered replies still pending")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPollAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	o := testOptions()
	o.Context = ctx
	srv := start(t, o, func(s *server) { s.longPoll = 200 * time.Millisecond })
	c := newClient(t, srv)
	if resp := c.get("/api/poll"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("poll without a chat: status %d", resp.StatusCode)
	}
	c.get("/").Body.Close()
	c.text("/start")
	c.text("/bantuan")
	resp := c.get("/api/poll")
	var rs []outReply
	if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil || len(rs) != 2 || len(rs[1].Choices) == 0 || rs[1].Choices[0].Data != "cs:yes" {
		t.Fatalf("poll: %v %+v", err, rs)
	}
	resp.Body.Close()
	waitDelivered(t, c.chat())
	t0 := clock.Start()
	resp = c.get("/api/poll")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != "[]" || t0.Elapsed() < 150*time.Millisecond {
		t.Errorf("idle poll: %q after %v", b, t0.Elapsed())
	}

	// Shutting down ends open streams.
	stream := openEvents(t, c)
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(stream.r); done <- err }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stream ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the event stream outlived the server's context")
	}
}

type testPhotos struct{}

func (testPhotos) Photo(ctx context.Context, name string) ([]byte, error) {
	return []byte("\x89PNG\r\n\x1a\n" + name), nil
}

func TestPhotoLinksAreSignedPerChat(t *testing.T) {
	o := testOptions()
	o.Photos = testPhotos{}
	s, err := newServer(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.routes())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(srv.URL)
	secret := jar.Cookies(u)[0].Value
	good := "/api/photo?" + url.Values{"n": {"card:LD2611-AAAAAA"}, "s": {s.photoSig(chatOf(t, secret), "card:LD2611-AAAAAA")}}.Encode()
	resp, err = c.Get(srv.URL + good)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.HasSuffix(string(body), "card:LD2611-AAAAAA") {
		t.Fatalf("own photo: %d %q", resp.StatusCode, body)
	}
	// Another chat's link, or a made-up one, is refused.
	other := "/api/photo?" + url.Values{"n": {"card:LD2611-AAAAAA"}, "s": {s.photoSig("another-chat", "card:LD2611-AAAAAA")}}.Encode()
	for _, link := range []string{other, "/api/photo?n=card:LD2611-AAAAAA&s=x"} {
		resp, err = c.Get(srv.URL + link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", link, resp.StatusCode)
		}
	}
}

// A chat open in two tabs shows each reply in both, once.
func TestTwoTabsBothGetTheReplies(t *testing.T) {
	o := testOptions()
	o.PollInterval = time.Hour // only the wake-up after a POST can deliver in time
	srv := start(t, o, func(s *server) { s.heartbeat = time.Hour })
	c := newClient(t, srv)
	c.get("/").Body.Close()
	tab1, tab2 := openEvents(t, c), openEvents(t, c)
	c.text("/start")
	c.text("/bantuan")
	var got [2][]int64
	for i, tab := range []*sse{tab1, tab2} {
		for range 2 {
			got[i] = append(got[i], tab.reply(t).ID)
		}
	}
	if !slices.Equal(got[0], got[1]) || got[0][0] >= got[0][1] {
		t.Fatalf("tab 1 got %v, tab 2 got %v", got[0], got[1])
	}
	// The next message's replies reach both too, and nothing is repeated.
	c.seq++
	if st := c.post(`{"id":"m77","choice":"cs:yes"}`); st != 202 {
		t.Fatal(st)
	}
	r1, r2 := tab1.reply(t), tab2.reply(t)
	if r1.ID != r2.ID || r1.ID <= got[0][1] || !strings.Contains(r1.Text, "NIK") {
		t.Fatalf("after the consent: tab 1 %+v, tab 2 %+v", r1, r2)
	}
	waitDelivered(t, c.chat())
}

// Replies committed out of their id order (a reminder's transaction and the
// chat's own) each reach every tab: what a tab was handed is remembered by
// id, not as the newest id.
func TestRepliesCommittedOutOfOrderReachEveryTab(t *testing.T) {
	o := testOptions()
	o.PollInterval = 20 * time.Millisecond
	srv := start(t, o, func(s *server) { s.heartbeat = time.Hour })
	c := newClient(t, srv)
	c.get("/").Body.Close()
	tab1, tab2 := openEvents(t, c), openEvents(t, c)
	queue := func(tx *sqlx.Tx, text string) int64 {
		var id int64
		if err := tx.Get(&id, `INSERT INTO outbox (channel, chat_id, payload, created_at) VALUES ($1, $2, $3, now()) RETURNING id`,
			Channel, c.chat(), fmt.Sprintf(`{"text":%q}`, text)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	early, late := testDB.SQL().MustBegin(), testDB.SQL().MustBegin()
	defer early.Rollback() //nolint:errcheck
	first := queue(early, "Pengingat: iuran jatuh tempo")
	second := queue(late, "Balasan")
	if err := late.Commit(); err != nil {
		t.Fatal(err)
	}
	if r1, r2 := tab1.reply(t), tab2.reply(t); r1.ID != second || r2.ID != second {
		t.Fatalf("first replies %d and %d, want %d", r1.ID, r2.ID, second)
	}
	if err := early.Commit(); err != nil {
		t.Fatal(err)
	}
	if r1, r2 := tab1.reply(t), tab2.reply(t); r1.ID != first || r2.ID != first || r1.Text != "Pengingat: iuran jatuh tempo" {
		t.Fatalf("the reply committed late: %+v and %+v, want %d", r1, r2, first)
	}
	waitDelivered(t, c.chat())
}
