// Package whatsapp is the WhatsApp channel, spoken through Meta's WhatsApp
// Cloud API (the Graph API): it takes webhook deliveries (the verification
// handshake, signed POSTs of messages and statuses) and turns them into flows
// events, and it delivers replies fitted to WhatsApp's limits (reply buttons,
// lists, lists in pages, texts in parts, uploaded images, templates),
// classifying Meta's errors for the outbox.
//
// Chats are keyed on the business-scoped user id (BSUID, "ID.1502576394655843")
// when the webhook carries one, else on the wa_id (the phone number's digits).
// A send goes to a BSUID in the request's "recipient" field, to a phone number
// in "to".
//
// The access token travels only in the Authorization header: it is never in a
// URL, an error or a log line.
package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/telepon"
)

// Channel is the channel name sessions and the outbox use for WhatsApp.
const Channel = "whatsapp"

// DefaultAPIURL is the Graph API base the client talks to unless told otherwise.
const DefaultAPIURL = "https://graph.facebook.com/v23.0"

// Window is WhatsApp's customer service window: free-form messages (text,
// interactive, media) reach a user only this long after their last message;
// after it, only an approved template does.
const Window = 24 * time.Hour

// Options configure a Client.
type Options struct {
	AccessToken   string // a system-user access token; never logged
	PhoneNumberID string // the business phone number's id: sends go to {APIURL}/{PhoneNumberID}/messages
	// BusinessAccountID is the WABA id, needed only to submit templates and
	// read their status ({APIURL}/{BusinessAccountID}/message_templates).
	BusinessAccountID string
	APIURL            string       // the Graph API base; "" means DefaultAPIURL
	HTTPClient        *http.Client // nil means one with a 30 s timeout and a large connection pool
	Now               func() time.Time
	Log               *slog.Logger // nil means slog.Default()
	// Photos draws the images replies name (Reply.Photo); nil sends their text only.
	Photos bot.Photos
	// Menus keeps the replies whose choices go out as a list in pages, for
	// the page turns (see Menus); nil means an in-memory store of this
	// process (NewMemoryMenus), which a deployment of several processes
	// must replace with a shared one.
	Menus Menus
	// ListButton opens a list (at most 20 characters); "" means "Pilih".
	ListButton string
	// NextLabel and PrevLabel are the rows that turn the pages of a long
	// list; "" means "Berikutnya ›" and "‹ Sebelumnya".
	NextLabel, PrevLabel string
	// Typing shows the typing indicator with every read receipt (MarkRead):
	// it stays until the reply arrives, or 25 seconds.
	Typing bool
	// Called, when set, is told the kind of every request ("messages",
	// "read", "media", "message_templates", "phone_number"), for the
	// metrics (bot.Metrics.Called).
	Called func(method string)
}

// Client talks to the Cloud API for one business phone number. It is safe
// for concurrent use.
type Client struct {
	api        string
	token      string
	phoneID    string
	wabaID     string
	http       *http.Client
	now        func() time.Time
	log        *slog.Logger
	photos     bot.Photos
	menus      Menus
	listButton string
	next, prev string
	typing     bool
	called     func(method string)

	// authFailed holds the last 190 (token expired or invalid) until a call
	// succeeds again: the health check reports it.
	authFailed atomic.Pointer[Error]

	reads    chan string // wamids waiting for MarkReadSoon's workers
	readOnce sync.Once
}

// New makes a client. It calls nothing: Check verifies the token and the
// phone number id.
func New(o Options) (*Client, error) {
	if o.AccessToken == "" {
		return nil, errors.New("whatsapp: no access token")
	}
	if o.PhoneNumberID == "" {
		return nil, errors.New("whatsapp: no phone number id")
	}
	if strings.ContainsAny(o.PhoneNumberID, "/?#") || strings.ContainsAny(o.BusinessAccountID, "/?#") {
		return nil, errors.New("whatsapp: the phone number id and the business account id are plain ids")
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if !strings.HasPrefix(o.APIURL, "https://") && !strings.HasPrefix(o.APIURL, "http://") {
		return nil, fmt.Errorf("whatsapp: API URL %q must be an http(s) URL such as %s", o.APIURL, DefaultAPIURL)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: transport()}
	}
	if o.Now == nil {
		o.Now = clock.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Menus == nil {
		o.Menus = NewMemoryMenus(10000, 7*24*time.Hour, o.Now)
	}
	if o.ListButton == "" {
		o.ListButton = "Pilih"
	}
	if o.NextLabel == "" {
		o.NextLabel = "Berikutnya ›"
	}
	if o.PrevLabel == "" {
		o.PrevLabel = "‹ Sebelumnya"
	}
	return &Client{
		api: strings.TrimRight(o.APIURL, "/"), token: o.AccessToken, phoneID: o.PhoneNumberID, wabaID: o.BusinessAccountID,
		http: o.HTTPClient, now: o.Now, log: o.Log, photos: o.Photos, menus: o.Menus,
		listButton: fit(o.ListButton, maxListButton), next: fit(o.NextLabel, maxRowTitle), prev: fit(o.PrevLabel, maxRowTitle),
		typing: o.Typing, called: o.Called, reads: make(chan string, readQueue),
	}, nil
}

// maxConns is how many connections to the Graph API stay open for reuse:
// enough for the deliverer's senders in flight and the read receipts.
const maxConns = 1024

// transport keeps connections to the Graph API open for reuse (the default
// keeps 2 per host).
func transport() *http.Transport {
	t := &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second, ExpectContinueTimeout: time.Second}
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		t = d.Clone()
	}
	t.MaxIdleConns, t.MaxIdleConnsPerHost = maxConns, maxConns
	return t
}

// InWindow reports whether a chat whose last message came at last is still
// inside the 24-hour customer service window (free-form messages reach it).
func (c *Client) InWindow(last time.Time) bool {
	return !last.IsZero() && c.now().Sub(last) < Window
}

// Unhealthy is the last "access token expired or invalid" answer (code 190)
// while no call has worked since, nil otherwise: a readiness check fails
// with it.
func (c *Client) Unhealthy() error {
	if e := c.authFailed.Load(); e != nil {
		return fmt.Errorf("whatsapp: the access token was refused: %w", e)
	}
	return nil
}

// PhoneNumber is what the Graph API says of the business phone number.
type PhoneNumber struct {
	ID                 string `json:"id"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	VerifiedName       string `json:"verified_name"`
	QualityRating      string `json:"quality_rating"`
}

// Check asks the Graph API for the business phone number: a wrong token or
// phone number id fails here.
func (c *Client) Check(ctx context.Context) (PhoneNumber, error) {
	var p PhoneNumber
	u := c.api + "/" + c.phoneID + "?fields=id,display_phone_number,verified_name,quality_rating"
	if err := c.call(ctx, "phone_number", http.MethodGet, u, "", nil, &p); err != nil {
		return PhoneNumber{}, fmt.Errorf("whatsapp: phone number %s: %w", c.phoneID, err)
	}
	return p, nil
}

// postJSON sends v to the path under the API and decodes the answer into out.
func (c *Client) postJSON(ctx context.Context, method, path string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("whatsapp: encode %s request: %w", method, err)
	}
	return c.call(ctx, method, http.MethodPost, c.api+path, "application/json", bytes.NewReader(body), out)
}

// maxAnswer bounds what is read of an answer: Graph API answers are small.
const maxAnswer = 1 << 20

// call makes one request. A failure is a *Error when the Graph API answered
// with one (or with a status that is not 2xx), else the transport's error.
func (c *Client) call(ctx context.Context, method, httpMethod, url, contentType string, body io.Reader, out any) error {
	if c.called != nil {
		c.called(method)
	}
	req, err := http.NewRequestWithContext(ctx, httpMethod, url, body)
	if err != nil {
		return fmt.Errorf("whatsapp: %s request: %w", method, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return redact(err, c.token)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("whatsapp: read the %s answer: %w", method, redact(err, c.token))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := errorFrom(resp, raw)
		if e.TokenExpired() {
			c.authFailed.Store(e)
		}
		return e
	}
	c.authFailed.Store(nil)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("whatsapp: %s answer is not the JSON expected: %w", method, err)
		}
	}
	return nil
}

// redact removes the token from an error's text (it is never in a URL, but a
// proxy's answer might quote a header), keeping what errors.Is and errors.As
// need.
func redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), token, "<token>"), err: errors.Unwrap(err)}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// who names a recipient for an error or a log line: a BSUID or group id as
// it is, a phone number masked (0812-••••-7890), never in clear.
func who(to string) string {
	if isPhone(to) {
		return "phone " + telepon.Mask("+"+strings.TrimPrefix(to, "+"))
	}
	return to
}

// isPhone reports whether s is a phone number (digits, maybe a leading '+').
func isPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isBSUID reports whether s is a business-scoped user id: a two-letter
// country code, a dot, then Meta's id ("ID.1502576394655843", a parent
// "US.ENT.11815799212886844830").
func isBSUID(s string) bool {
	cc, rest, ok := strings.Cut(s, ".")
	return ok && len(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' && rest != ""
}
