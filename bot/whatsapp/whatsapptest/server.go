// Package whatsapptest is a fake WhatsApp Cloud API for tests: an httptest
// server that speaks the Graph API's JSON for what Lindungi uses (POST
// /{phone-number-id}/messages for texts, interactive buttons and lists,
// images, templates and read receipts; POST /{phone-number-id}/media; GET
// /{phone-number-id}; GET and POST /{waba-id}/message_templates), checks
// every message against WhatsApp's limits and answers a breach with Meta's
// error, records every request, fails on request with Meta's real error
// bodies, and builds signed webhook POSTs (messages and statuses) as Meta
// sends them.
package whatsapptest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
)

// The fake business.
const (
	Version           = "v23.0"
	AccessToken       = "EAAGfakeSystemUserTokenForLindungiTests0123456789"
	PhoneNumberID     = "106540352242922"
	BusinessAccountID = "102290129340398"
	DisplayNumber     = "62811000000"
	AppSecret         = "lindungi-test-app-secret-0123456789abcdef"
	VerifyToken       = "lindungi-verify-token-42"
)

// Request is one recorded call.
type Request struct {
	Method string // GET, POST
	Path   string // "/v23.0/106540352242922/messages"
	// Kind is what was asked: "messages" (a message), "read" (a read
	// receipt), "media", "message_templates", "phone_number", or "" for
	// anything else.
	Kind   string
	Body   []byte            // the JSON body (a media upload: nil)
	Fields map[string]string // a media upload's form fields
	Query  url.Values
	At     time.Time
	Failed bool // answered with an error
}

// Row is one reply button or list row as sent.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Interactive is a sent interactive message, decoded.
type Interactive struct {
	Type     string // "button", "list"
	Body     string
	Button   string // a list's button
	Buttons  []Row  // reply buttons
	Rows     []Row  // a list's rows, all sections
	Sections int
}

// Template is a sent template message, decoded.
type Template struct {
	Name     string
	Lang     string
	Header   []string
	Body     []string
	Payloads []string // quick-reply payloads by index
}

// Message is one message the bot sent and the server accepted.
type Message struct {
	ID            string // the wamid the server gave it
	To            string // the "to" or "recipient" it went to
	RecipientType string
	Type          string // "text", "interactive", "image", "template"
	// Text is a text's body, an interactive message's body or an image's
	// caption.
	Text        string
	Interactive *Interactive
	Image       string // an image's media id
	Template    *Template
	Raw         json.RawMessage
	At          time.Time
}

// Choices are the rows or buttons a user can tap on the message.
func (m Message) Choices() []Row {
	if m.Interactive == nil {
		return nil
	}
	if m.Interactive.Type == "button" {
		return m.Interactive.Buttons
	}
	return m.Interactive.Rows
}

// Failure is a scripted error answer, as the Graph API sends it.
type Failure struct {
	Status  int // HTTP status
	Code    int
	Subcode int
	Type    string // "OAuthException" when ""
	Message string
	Details string // error_data.details
	Title   string // the title a status webhook's error has
	Body    string // a raw body instead of Meta's JSON (a gateway's page)
}

// Meta's usual failures.
var (
	Throughput = Failure{Status: 400, Code: 130429, Message: "(#130429) Rate limit hit", Title: "Rate limit hit",
		Details: "Cloud API message throughput has been reached."}
	PairRate = Failure{Status: 400, Code: 131056, Message: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
		Title:   "(Business Account, Consumer Account) pair rate limit hit",
		Details: "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."}
	ReEngagement = Failure{Status: 400, Code: 131047, Message: "(#131047) Re-engagement message", Title: "Re-engagement message",
		Details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}
	Undeliverable = Failure{Status: 400, Code: 131026, Message: "(#131026) Message Undeliverable.", Title: "Message Undeliverable.",
		Details: "Unable to deliver message. Reasons can include: The recipient phone number is not a WhatsApp phone number; the recipient has not accepted our new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version."}
	MarketingStopped = Failure{Status: 400, Code: 131050, Message: "(#131050) Unable to deliver the message.", Title: "Unable to deliver the message.",
		Details: "This recipient has chosen to stop receiving marketing messages on WhatsApp from your business."}
	TemplateParams = Failure{Status: 400, Code: 132000, Message: "(#132000) Number of parameters does not match the expected number of params",
		Title: "Number of parameters does not match the expected number of params", Details: "body: number of localizable_params does not match the expected number of params"}
	TemplateMissing = Failure{Status: 404, Code: 132001, Message: "(#132001) Template name does not exist in the translation",
		Title: "Template name does not exist in the translation", Details: "template name does not exist in the language"}
	TemplatePaused = Failure{Status: 400, Code: 132015, Message: "(#132015) Template is Paused", Title: "Template is Paused",
		Details: "Template is paused due to low quality so it cannot be sent in a template message."}
	TokenExpired = Failure{Status: 401, Code: 190, Subcode: 463,
		Message: "Error validating access token: Session has expired on Friday, 04-Dec-26 09:00:00 PST. The current time is Friday, 04-Dec-26 10:00:00 PST."}
	SpamRate = Failure{Status: 400, Code: 131048, Message: "(#131048) Spam rate limit hit", Title: "Spam rate limit hit",
		Details: "Message failed to send because there are restrictions on how many messages can be sent from this phone number."}
	InternalError = Failure{Status: 500, Code: 1, Message: "An unknown error has occurred."}
	Unknown       = Failure{Status: 500, Code: 131000, Message: "(#131000) Something went wrong", Title: "Something went wrong",
		Details: "Message failed to send due to an unknown error."}
	BadGateway = Failure{Status: 502, Body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"}
)

type scripted struct {
	kind  string
	to    string // "" any recipient
	left  int    // < 0: until Heal
	f     Failure
	later bool // accepted now, failed in a status webhook
}

type media struct {
	data []byte
	mime string
}

type template struct {
	id, name, lang, category, status string
	params                           int // body parameters, -1 unknown
	components                       json.RawMessage
}

// Server is the fake Cloud API.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	now       func() time.Time
	reqs      []Request
	msgs      []*Message
	media     map[string]media
	reads     []string
	fails     []*scripted
	templates []*template
	window    bool                 // enforce the 24-hour window
	wrote     map[string]time.Time // user (phone digits, BSUID) → their last message
	limit     int                  // messages accepted in any 1 s (0: no limit)
	recent    []time.Time
	throttled int
	nextID    int
	delay     atomic.Int64
	notify    func(Message)

	hookURL    string
	hookClient *http.Client
	hooks      sync.WaitGroup
}

// NewServer starts a fake Cloud API that closes when the test ends.
func NewServer(t testing.TB) *Server {
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake Cloud API outside a test (benchmarks); Close stops it.
func Start() *Server {
	s := &Server{now: clock.Now, media: map[string]media{}, wrote: map[string]time.Time{}, nextID: 1 + rand.IntN(1<<20)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server, after the status webhooks on their way.
func (s *Server) Close() {
	s.hooks.Wait()
	s.srv.Close()
}

// URL is the Graph API base to give the client ("…/v23.0").
func (s *Server) URL() string { return s.srv.URL + "/" + Version }

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetNow sets the server's clock (the window's), clock.Now by default.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// Delay makes every call take d more (a network round trip).
func (s *Server) Delay(d time.Duration) { s.delay.Store(int64(d)) }

// OnMessage calls f (outside the server's lock) for every message accepted from now on.
func (s *Server) OnMessage(f func(Message)) {
	s.mu.Lock()
	s.notify = f
	s.mu.Unlock()
}

// Limit answers 130429 to a message beyond perSecond in any one second, as
// Meta's throughput limit does; 0 lifts it.
func (s *Server) Limit(perSecond int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.recent = perSecond, nil
}

// Throttled counts the 130429s the Limit gave.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// EnforceWindow makes free-form messages (text, interactive, image) to a
// user who has not written in 24 hours fail with 131047, as Meta does; a
// user writes through the webhook builders (Text, Tap, …) or Wrote.
func (s *Server) EnforceWindow(on bool) {
	s.mu.Lock()
	s.window = on
	s.mu.Unlock()
}

// Wrote records that a user wrote at t (their window opens).
func (s *Server) Wrote(u User, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{u.Phone, u.BSUID} {
		if k != "" {
			s.wrote[k] = t
		}
	}
}

// AddTemplate registers an approved template with its number of body
// parameters. Once one is registered, a template message that names
// another fails with 132001, one with the wrong count with 132000.
func (s *Server) AddTemplate(name, lang string, bodyParams int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates = append(s.templates, &template{id: s.newNumericID(), name: name, lang: lang, category: "UTILITY", status: "APPROVED", params: bodyParams})
}

// SetTemplateStatus sets a template's review status ("APPROVED", "PAUSED",
// "REJECTED", …), as Meta's review does.
func (s *Server) SetTemplateStatus(name, lang, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.templates {
		if t.name == name && t.lang == lang {
			t.status = status
		}
	}
}

// Fail scripts the next times answers of kind ("messages", "read",
// "media", "message_templates"; to: only messages to that recipient, ""
// any) to be f; times < 0 fails until Heal.
func (s *Server) Fail(kind, to string, times int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, &scripted{kind: kind, to: to, left: times, f: f})
}

// FailLater makes the next times messages to to be accepted (a wamid) and
// then reported failed with f in a status webhook, as Meta does for an
// error it finds after the send (needs StatusWebhook).
func (s *Server) FailLater(to string, times int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, &scripted{kind: "messages", to: to, left: times, f: f, later: true})
}

// Heal removes every scripted failure.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = nil
}

// StatusWebhook makes the server POST status webhooks, signed, to url for
// every message it accepts: "sent" then "delivered" (or "failed", see
// FailLater), as Meta does.
func (s *Server) StatusWebhook(url string, client *http.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookURL, s.hookClient = url, client
}

// Requests returns the recorded calls, oldest first; with kinds given, only those.
func (s *Server) Requests(kinds ...string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if len(kinds) == 0 || contains(kinds, r.Kind) {
			out = append(out, r)
		}
	}
	return out
}

// Messages returns the messages accepted for to (a phone number's digits or
// a BSUID), oldest first.
func (s *Server) Messages(to string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if m.To == to {
			out = append(out, *m)
		}
	}
	return out
}

// AllMessages returns every message accepted, in order.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.msgs))
	for _, m := range s.msgs {
		out = append(out, *m)
	}
	return out
}

// Media returns an uploaded file and its type.
func (s *Server) Media(id string) ([]byte, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.media[id]
	return m.data, m.mime
}

// Reads returns the wamids marked read, in order.
func (s *Server) Reads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reads...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// newNumericID makes an id like Meta's object ids. s.mu is held.
func (s *Server) newNumericID() string {
	s.nextID++
	return strconv.Itoa(1_000_000_000_000_000 + s.nextID)
}

// newWAMID makes a message id for a message to to. s.mu is held.
func (s *Server) newWAMID(to string) string {
	s.nextID++
	return "wamid.HBgN" + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%s\x15\x02\x00\x11\x18\x12%016X", to, s.nextID)))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// fbtrace makes a trace id like Meta's.
func fbtrace() string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	b := make([]byte, 11)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

// fail answers with f as the Graph API does.
func fail(w http.ResponseWriter, f Failure) {
	if f.Body != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
		return
	}
	e := map[string]any{"message": f.Message, "type": f.Type, "code": f.Code, "fbtrace_id": fbtrace()}
	if f.Type == "" {
		e["type"] = "OAuthException"
	}
	if f.Subcode != 0 {
		e["error_subcode"] = f.Subcode
	}
	if f.Details != "" {
		e["error_data"] = map[string]any{"messaging_product": "whatsapp", "details": f.Details}
	}
	writeJSON(w, f.Status, map[string]any{"error": e})
}

// invalid is Meta's answer to a parameter out of its limits.
func invalid(w http.ResponseWriter, details string) {
	fail(w, Failure{Status: 400, Code: 131009, Message: "(#131009) Parameter value is not valid", Details: details})
}

// invalidParameter is Meta's answer to a malformed request.
func invalidParameter(w http.ResponseWriter, details string) {
	fail(w, Failure{Status: 400, Code: 100, Message: "(#100) Invalid parameter", Details: details})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if d := time.Duration(s.delay.Load()); d > 0 {
		time.Sleep(d / 2)
		rec := httptest.NewRecorder()
		s.answer(rec, r)
		time.Sleep(d - d/2)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	s.answer(w, r)
}

// answer serves one call.
func (s *Server) answer(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+Version+"/")
	if !ok {
		fail(w, Failure{Status: 400, Code: 2500, Message: "Unknown path components: " + r.URL.Path})
		return
	}
	object, edge, _ := strings.Cut(rest, "/")
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), At: s.clock()}
	switch {
	case object == PhoneNumberID && edge == "messages" && r.Method == http.MethodPost:
		req.Kind = "messages"
	case object == PhoneNumberID && edge == "media" && r.Method == http.MethodPost:
		req.Kind = "media"
	case object == PhoneNumberID && edge == "" && r.Method == http.MethodGet:
		req.Kind = "phone_number"
	case object == BusinessAccountID && edge == "message_templates":
		req.Kind = "message_templates"
	}
	if req.Kind == "media" {
		if err := r.ParseMultipartForm(6 << 20); err == nil {
			req.Fields = map[string]string{}
			for k, v := range r.MultipartForm.Value {
				req.Fields[k] = v[0]
			}
		}
	} else {
		req.Body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	}
	var msg map[string]any
	if req.Kind == "messages" {
		if json.Unmarshal(req.Body, &msg) == nil && msg["status"] == "read" {
			req.Kind = "read"
		}
	}
	to := ""
	if msg != nil {
		to = firstString(msg["to"], msg["recipient"])
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	i := len(s.reqs) - 1
	s.mu.Unlock()
	failed := func() {
		s.mu.Lock()
		s.reqs[i].Failed = true
		s.mu.Unlock()
	}
	if r.Header.Get("Authorization") != "Bearer "+AccessToken {
		failed()
		fail(w, Failure{Status: 401, Code: 190, Message: "Invalid OAuth access token - Cannot parse access token"})
		return
	}
	if req.Kind == "" {
		failed()
		fail(w, Failure{Status: 400, Code: 100, Subcode: 33,
			Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", strings.ToLower(r.Method), object)})
		return
	}
	sc := s.scripted(req.Kind, to)
	if sc != nil && !sc.later {
		failed()
		fail(w, sc.f)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	switch req.Kind {
	case "messages":
		s.message(rec, req.Body, msg, sc)
	case "read":
		s.read(rec, msg)
	case "media":
		s.upload(rec, r)
	case "phone_number":
		writeJSON(rec, 200, map[string]any{"verified_name": "Lindungi", "display_phone_number": "+62 811-000-000", "quality_rating": "GREEN", "id": PhoneNumberID})
	case "message_templates":
		s.messageTemplates(rec, r, req.Body)
	}
	if rec.status >= 400 {
		failed()
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// scripted consumes a scripted failure for a call, if any.
func (s *Server) scripted(kind, to string) *scripted {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sc := range s.fails {
		if sc.kind != kind || (sc.to != "" && sc.to != to) {
			continue
		}
		if sc.left > 0 {
			sc.left--
			if sc.left == 0 {
				s.fails = append(s.fails[:i], s.fails[i+1:]...)
			}
		}
		return sc
	}
	return nil
}

func firstString(vs ...any) string {
	for _, v := range vs {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return ""
}
