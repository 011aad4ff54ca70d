package whatsapp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// SignatureHeader carries the HMAC-SHA256 of a webhook POST's raw body,
// keyed with the app secret: "sha256=<hex>".
const SignatureHeader = "X-Hub-Signature-256"

// maxWebhookBody bounds a webhook request body. Meta's are a few KB, and
// "can be up to 3MB" (the Cloud API's webhooks page): a smaller bound would
// refuse a real one, which Meta would deliver again and again.
const maxWebhookBody = 3 << 20

// Sign is the X-Hub-Signature-256 value of body under the app secret.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header is the X-Hub-Signature-256 of the
// raw body under the app secret, compared in constant time. An empty
// secret verifies nothing.
func VerifySignature(appSecret string, body []byte, header string) bool {
	if appSecret == "" {
		return false
	}
	sig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(sig) != 2*sha256.Size {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Submit hands events, in order, to whatever stores them (the dispatcher,
// or the engine): nil only when every one is stored or was seen before.
type Submit func(ctx context.Context, evs []flows.Event) error

// PageTurner sends the page of a list a user asked for (Client.TurnPage).
type PageTurner interface {
	TurnPage(ctx context.Context, p PageTurn) error
}

// WebhookOptions configure WebhookHandler.
type WebhookOptions struct {
	VerifyToken string // answers Meta's GET handshake; "" answers none
	AppSecret   string // checks every POST's signature; "" accepts none
	Submit      Submit // the users' messages, as events (required)
	// Statuses, when set, takes the status webhooks (sent, delivered,
	// read, failed); nil drops them.
	Statuses func(ctx context.Context, sts []Status) error
	// Templates, when set, takes template review updates; nil logs them.
	Templates func(ctx context.Context, us []TemplateUpdate) error
	// Pages sends the pages of long lists (the Client); nil hands page
	// taps to the flows, which ask their question again.
	Pages PageTurner
	// Seen, when set, is told the wamids of the messages stored, to mark
	// them read (Client.MarkReadSoon); it must not block.
	Seen func(wamids []string)
	// Hold keeps each message this long before it is stored, so that a
	// chat's message whose webhook came late (Meta does not keep order) is
	// stored before the later ones that arrived first; 0 stores at once.
	// It holds the 200 too, and orders only what reaches this process.
	Hold time.Duration
	Log  *slog.Logger
	Now  func() time.Time // when messages were received (Event.Received); nil means clock.Now
}

// WebhookHandler takes Meta's webhook (mount it at GET and POST
// /whatsapp/webhook):
//   - GET is the verification handshake: with hub.mode=subscribe and the
//     right hub.verify_token (compared in constant time) it answers 200 with
//     hub.challenge as plain text, else 403;
//   - a POST's X-Hub-Signature-256 is checked over the raw body before
//     anything is parsed: 401 when it is missing or wrong (429 beyond 10 a
//     second), 413 for a body over 3 MiB, 400 for a signed body that is not
//     JSON;
//   - messages go to Submit, statuses to Statuses, page taps to Pages; the
//     answer is 200 once they returned nil, else 500, so that Meta delivers
//     the webhook again (a message seen before is ignored by the engine).
func WebhookHandler(o WebhookOptions) http.Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = clock.Now
	}
	if o.Submit == nil {
		o.Submit = func(context.Context, []flows.Event) error {
			return errors.New("whatsapp webhook: no Submit configured")
		}
	}
	h := &webhook{o: o, refused: bot.NewRefusals(o.Log, "whatsapp webhook: wrong or missing signature or verify token")}
	if o.Hold > 0 {
		h.seq = &sequencer{hold: o.Hold, submit: o.Submit, chats: map[string]*chatSeq{}}
	}
	return h
}

type webhook struct {
	o       WebhookOptions
	refused *bot.Refusals
	seq     *sequencer
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.verify(w, r)
	case http.MethodPost:
		h.post(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// maxChallenge bounds the echoed hub.challenge (Meta's is a number).
const maxChallenge = 256

func (h *webhook) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token, challenge := q.Get("hub.verify_token"), q.Get("hub.challenge")
	if q.Get("hub.mode") != "subscribe" || h.o.VerifyToken == "" || len(challenge) > maxChallenge ||
		subtle.ConstantTimeCompare([]byte(token), []byte(h.o.VerifyToken)) != 1 {
		if !h.refused.Note(r.RemoteAddr) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, challenge)
}

func (h *webhook) post(w http.ResponseWriter, r *http.Request) {
	body, ok := bot.ReadBody(w, r, maxWebhookBody)
	if !ok {
		return
	}
	if !VerifySignature(h.o.AppSecret, body, r.Header.Get(SignatureHeader)) {
		if !h.refused.Note(r.RemoteAddr) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	u, err := Parse(body)
	if errors.Is(err, ErrNotWhatsApp) {
		w.WriteHeader(http.StatusOK) // another product's webhook on the same app: not ours
		return
	}
	if err != nil {
		h.o.Log.Warn("whatsapp webhook: a signed body that cannot be read", "err", err)
		http.Error(w, "body is not a WhatsApp webhook", http.StatusBadRequest)
		return
	}
	if err := h.handle(r.Context(), u); err != nil {
		h.o.Log.Error("whatsapp webhook: not stored", "err", err)
		http.Error(w, "not stored, try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handle stores what an update holds; an error means Meta should deliver it again.
func (h *webhook) handle(ctx context.Context, u *Update) error {
	o := h.o
	for _, e := range u.Errors {
		o.Log.Warn("whatsapp webhook: Meta reports an error", "code", e.Code, "err", e)
	}
	for _, err := range u.Unreadable {
		o.Log.Error("whatsapp webhook: part of a delivery could not be read and is left out", "err", err)
	}
	received := o.Now()
	evs := u.Events()
	for i := range evs {
		evs[i].Received = received
	}
	var turns []PageTurn
	for _, p := range u.PageTurns {
		if o.Pages == nil {
			evs = append(evs, p.Event(received))
		} else {
			turns = append(turns, p)
		}
	}
	if len(evs) > 0 {
		var err error
		if h.seq != nil {
			err = h.seq.submitAll(ctx, evs, u.Messages)
		} else {
			err = o.Submit(ctx, evs)
		}
		if err != nil {
			return err
		}
	}
	if len(u.Statuses) > 0 && o.Statuses != nil {
		if err := o.Statuses(ctx, u.Statuses); err != nil {
			return err
		}
	}
	if len(u.Templates) > 0 {
		for _, t := range u.Templates {
			o.Log.Info("whatsapp: template review", "template", t.Name, "language", t.Language, "event", t.Event, "reason", t.Reason)
		}
		if o.Templates != nil {
			if err := o.Templates(ctx, u.Templates); err != nil {
				return err
			}
		}
	}
	// Page turns last: a delivery Meta repeats for a failure above does not
	// send a page twice.
	var late []flows.Event
	for _, p := range turns {
		err := o.Pages.TurnPage(ctx, p)
		switch {
		case err == nil:
		case errors.Is(err, ErrNoMenu):
			late = append(late, p.Event(received))
		case bot.Classify(err).Kind == bot.Retryable || bot.Classify(err).Kind == bot.Throttled:
			return err
		default:
			o.Log.Warn("whatsapp webhook: a list's page could not be sent", "err", err)
		}
	}
	if len(late) > 0 {
		if err := o.Submit(ctx, late); err != nil {
			return err
		}
	}
	if o.Seen != nil {
		ids := make([]string, 0, len(u.Messages)+len(u.PageTurns))
		for _, m := range u.Messages {
			ids = append(ids, m.Event.UpdateID)
		}
		for _, p := range u.PageTurns {
			ids = append(ids, p.WAMID)
		}
		if len(ids) > 0 {
			o.Seen(ids)
		}
	}
	return nil
}

// Event is the page tap as an event the flows do not know (a stale
// choice): they ask their question again.
func (p PageTurn) Event(received time.Time) flows.Event {
	return flows.Event{Channel: Channel, ChatID: p.ChatID, UserID: p.ChatID, UpdateID: p.WAMID, Kind: flows.KindChoice,
		Choice: pageID(p.Key, p.Page), Received: received}
}

// sequencer holds messages for a while before storing them, each chat's
// in timestamp order: whoever's hold ends first stores, under the chat's
// lock, every held message of the chat up to its own latest, and the
// others wait for that.
type sequencer struct {
	hold   time.Duration
	submit Submit
	mu     sync.Mutex
	chats  map[string]*chatSeq
	seq    uint64
}

type chatSeq struct {
	lock    chan struct{} // held while the chat's messages are stored
	waiting []*held       // by (sent, seq)
	refs    int           // requests with messages of the chat held
}

type held struct {
	ev   flows.Event
	sent time.Time
	seq  uint64
	done chan struct{}
	err  error
}

func (a *held) before(b *held) bool {
	if !a.sent.Equal(b.sent) {
		return a.sent.Before(b.sent)
	}
	return a.seq < b.seq
}

// submitAll holds evs (with their messages' timestamps; events without a
// message, the stale page taps, go as received) and stores them in order.
func (s *sequencer) submitAll(ctx context.Context, evs []flows.Event, msgs []Inbound) error {
	sent := map[string]time.Time{}
	for _, m := range msgs {
		sent[m.Event.UpdateID] = m.Sent
	}
	mine := make([]*held, 0, len(evs))
	last := map[string]*held{} // chat → its latest message of this request
	var order []string         // the chats, as they first appear
	s.mu.Lock()
	for _, ev := range evs {
		key := ev.Channel + "/" + ev.ChatID
		s.seq++
		t, ok := sent[ev.UpdateID]
		if !ok {
			t = ev.Received
		}
		h := &held{ev: ev, sent: t, seq: s.seq, done: make(chan struct{})}
		c := s.chats[key]
		if c == nil {
			c = &chatSeq{lock: make(chan struct{}, 1)}
			s.chats[key] = c
		}
		if last[key] == nil {
			c.refs++
			order = append(order, key)
		}
		i := len(c.waiting)
		for i > 0 && h.before(c.waiting[i-1]) {
			i--
		}
		c.waiting = append(c.waiting, nil)
		copy(c.waiting[i+1:], c.waiting[i:])
		c.waiting[i] = h
		if last[key] == nil || last[key].before(h) {
			last[key] = h
		}
		mine = append(mine, h)
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		for _, key := range order {
			c := s.chats[key]
			if c.refs--; c.refs == 0 && len(c.waiting) == 0 {
				delete(s.chats, key)
			}
		}
		s.mu.Unlock()
	}()
	if err := clock.Sleep(ctx, s.hold); err != nil {
		s.abandon(order, mine, err)
		return err
	}
	for _, key := range order {
		s.flush(ctx, key, last[key])
	}
	var first error
	for _, h := range mine {
		<-h.done
		if h.err != nil && first == nil {
			first = h.err
		}
	}
	return first
}

// flush stores the chat's held messages up to upto, in order.
func (s *sequencer) flush(ctx context.Context, key string, upto *held) {
	s.mu.Lock()
	c := s.chats[key]
	s.mu.Unlock()
	c.lock <- struct{}{}
	defer func() { <-c.lock }()
	s.mu.Lock()
	n := 0
	for n < len(c.waiting) && !upto.before(c.waiting[n]) {
		n++
	}
	batch := append([]*held(nil), c.waiting[:n]...)
	c.waiting = c.waiting[n:]
	s.mu.Unlock()
	if len(batch) == 0 {
		return // another request stored them
	}
	evs := make([]flows.Event, len(batch))
	for i, h := range batch {
		evs[i] = h.ev
	}
	err := s.submit(ctx, evs)
	for _, h := range batch {
		h.err = err
		close(h.done)
	}
}

// abandon takes back this request's messages not yet stored (its client
// went away); those another request took are that one's to finish.
func (s *sequencer) abandon(order []string, mine []*held, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gone := map[*held]bool{}
	for _, h := range mine {
		gone[h] = true
	}
	for _, key := range order {
		c := s.chats[key]
		kept := c.waiting[:0]
		for _, h := range c.waiting {
			if gone[h] {
				h.err = err
				close(h.done)
				continue
			}
			kept = append(kept, h)
		}
		c.waiting = kept
	}
}
