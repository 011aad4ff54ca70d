package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/ratelimit"
)

// api wraps an /api endpoint: no caching, the per-address rate limit, the
// origin check (403) and the cookie.
func (s *server) api(post bool, h func(w http.ResponseWriter, r *http.Request, sess session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if ok, wait := s.limits.Allow(ratelimit.ClientKey(r), s.o.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeError(w, http.StatusTooManyRequests, "rate_limited")
			return
		}
		if (post && !s.sameOrigin(r)) || (!post && s.crossSiteRead(r)) {
			writeError(w, http.StatusForbidden, "origin")
			return
		}
		if post && !jsonBody(r) {
			writeError(w, http.StatusUnsupportedMediaType, "content_type")
			return
		}
		secret, ok := s.secretOf(r)
		var chat string
		if ok {
			var err error
			if chat, ok, err = s.resolve(r.Context(), secret); err != nil {
				s.log.ErrorContext(r.Context(), "web session", "err", err)
				writeError(w, http.StatusInternalServerError, "internal")
				return
			}
		}
		switch {
		case !ok && post:
			// No cookie, or one this server never issued or has replaced:
			// a new chat, never the one the value may point at.
			secret = s.newSecret()
			var err error
			if chat, _, err = s.resolve(r.Context(), secret); err != nil {
				s.log.ErrorContext(r.Context(), "web session", "err", err)
				writeError(w, http.StatusInternalServerError, "internal")
				return
			}
			s.setCookie(w, secret)
		case !ok:
			writeError(w, http.StatusUnauthorized, "no_chat")
			return
		}
		h(w, r, session{secret: secret, chat: chat})
	})
}

// jsonBody reports a request whose body says it is JSON.
func jsonBody(r *http.Request) bool {
	t, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && t == "application/json"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

// inbound is the body of POST /api/messages.
type inbound struct {
	ID     string  `json:"id"`     // the client's id for this message: a retried POST is handled once
	Text   *string `json:"text"`   // typed text, or
	Choice *string `json:"choice"` // the data of a pressed button
}

// parse checks a message and returns an error code for the client.
func (m *inbound) parse(body io.Reader) string {
	dec := json.NewDecoder(body)
	if err := dec.Decode(m); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "too_large"
		}
		return "bad_json"
	}
	if dec.More() {
		return "bad_json"
	}
	if n := len(m.ID); n < 1 || n > 64 || strings.IndexFunc(m.ID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		return "bad_id"
	}
	switch {
	case (m.Text == nil) == (m.Choice == nil):
		return "text_or_choice"
	case m.Text != nil:
		t := strings.TrimSpace(*m.Text)
		if !utf8.ValidString(t) || t == "" {
			return "bad_text"
		}
		if utf8.RuneCountInString(t) > maxText {
			return "text_too_long"
		}
		m.Text = &t
	default:
		if n := len(*m.Choice); n < 1 || n > 64 || !utf8.ValidString(*m.Choice) {
			return "bad_choice"
		}
	}
	return ""
}

func (s *server) handleMessage(w http.ResponseWriter, r *http.Request, sess session) {
	var m inbound
	if code := m.parse(http.MaxBytesReader(w, r.Body, maxBody)); code != "" {
		writeError(w, http.StatusBadRequest, code)
		return
	}
	chat := sess.chat
	// Update ids are unique per channel in the store, not per chat: the
	// client's id is scoped to its chat, so one browser can neither collide
	// with nor pre-empt another's ids.
	ev := flows.Event{Channel: Channel, ChatID: chat, UserID: chat, UpdateID: chat + ":" + m.ID, Lang: langOf(r), Client: ratelimit.ClientKey(r), Received: s.o.Now()}
	if m.Text != nil {
		ev.Kind, ev.Text = flows.KindText, *m.Text
	} else {
		ev.Kind, ev.Choice = flows.KindChoice, *m.Choice
	}
	replies, err := s.o.Handler.Handle(r.Context(), ev)
	if err != nil {
		s.log.ErrorContext(r.Context(), "handle message", "chat_id", chat, "err", err)
		writeError(w, http.StatusInternalServerError, "internal")
		return
	}
	s.hub.notify(chat)
	var answer struct {
		Tag string `json:"tag,omitempty"` // the transcript's new name after a new cookie
	}
	if slices.ContainsFunc(replies, func(r flows.Reply) bool { return r.Rotate }) {
		// Consent, a claim or an erasure: a new cookie, so a session someone
		// planted before leads nowhere from now on.
		if answer.Tag, err = s.rotate(r.Context(), w, sess); err != nil {
			s.log.ErrorContext(r.Context(), "rotate web session", "chat_id", chat, "err", err)
		}
	}
	writeJSON(w, http.StatusAccepted, answer)
}

// outReply is a reply as the page receives it. ID is the outbox id: it grows
// within a chat, so the page can drop a reply it has already shown.
type outReply struct {
	ID      int64          `json:"id"`
	Text    string         `json:"text"`
	Choices []flows.Choice `json:"choices"`
	Input   flows.Input    `json:"input"`
	Photo   string         `json:"photo,omitempty"` // a signed /api/photo link
	Copy    []string       `json:"copy,omitempty"`  // what in the text gets a copy button
	// Forget: the chat's data was erased; the page drops its transcript.
	Forget bool `json:"forget,omitempty"`
}

// deliver hands the chat's waiting replies to every listener of the chat
// in this process (a chat may be open in several tabs), then writes those
// handed to me and marks them sent. A reply is marked only after a write
// succeeded; if marking fails it is delivered again later and the page
// drops it by id.
func (s *server) deliver(ctx context.Context, cs *chatState, me *listener, chat string, write func([]outReply) error) (int, error) {
	// One read and hand-out at a time per chat: an older read handed out
	// after a newer one would make listeners forget what they were given.
	cs.deliver.Lock()
	pending, err := s.o.Outbox.PendingFor(ctx, Channel, chat)
	if err != nil {
		cs.deliver.Unlock()
		return 0, err
	}
	cs.mu.Lock()
	for l := range cs.subs {
		// Each listener gets each waiting reply once, whatever order they
		// were committed in; a reply leaves the waiting ones when marked.
		handed := make(map[int64]bool, len(pending))
		got := false
		for _, p := range pending {
			if !l.handed[p.ID] {
				l.inbox, got = append(l.inbox, p), true
			}
			handed[p.ID] = true
		}
		l.handed = handed
		if got && l != me {
			l.poke()
		}
	}
	mine := me.inbox
	me.inbox = nil
	cs.mu.Unlock()
	cs.deliver.Unlock()
	if len(mine) == 0 {
		return 0, nil
	}
	out := make([]outReply, 0, len(mine))
	ids := make([]int64, 0, len(mine))
	for _, p := range mine {
		choices := p.Reply.Choices
		if choices == nil {
			choices = []flows.Choice{}
		}
		o := outReply{ID: p.ID, Text: p.Reply.Text, Choices: choices, Input: p.Reply.Input, Forget: p.Reply.Forget, Copy: p.Reply.Copy}
		if p.Reply.Photo != "" && s.o.Photos != nil {
			o.Photo = "/api/photo?" + url.Values{"n": {p.Reply.Photo}, "s": {s.photoSig(chat, p.Reply.Photo)}}.Encode()
		}
		out = append(out, o)
		ids = append(ids, p.ID)
	}
	if err := write(out); err != nil {
		return 0, err
	}
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return len(out), s.o.Outbox.MarkSent(mctx, ids)
}

// handleEvents streams the chat's replies as server-sent events, one
// "reply" event each, until the client goes away or the server stops.
func (s *server) handleEvents(w http.ResponseWriter, r *http.Request, sess session) {
	chat := sess.chat
	ctx := r.Context()
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a server WriteTimeout must not cut the stream
	ctx, closeStream := context.WithTimeout(ctx, s.o.StreamLifetime)
	defer closeStream()
	defer s.streams.open(ratelimit.ClientKey(r), closeStream)()
	// Join before the client sees the stream open: a reply another tab
	// marks sent after that moment must reach this tab too.
	cs, me, leave := s.hub.join(chat)
	defer leave()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	poll := s.pollTicks()
	defer poll.Stop()
	beat := time.NewTicker(s.heartbeat)
	defer beat.Stop()
	var buf bytes.Buffer
	write := func(rs []outReply) error {
		buf.Reset()
		for _, rep := range rs {
			data, err := json.Marshal(rep) // one line: JSON escapes newlines
			if err != nil {
				return err
			}
			fmt.Fprintf(&buf, "id: %d\nevent: reply\ndata: %s\n\n", rep.ID, data)
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		return rc.Flush()
	}
	for {
		if _, err := s.deliver(ctx, cs, me, chat, write); err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "event stream", "chat_id", chat, "err", err)
			}
			return
		}
	wait: // an idle stream costs the database nothing: it waits to be woken
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		case <-me.wake:
		case <-poll.C:
		case <-beat.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			goto wait
		}
	}
}

// ticks is a ticker that may never tick.
type ticks struct {
	C <-chan time.Time
	t *time.Ticker
}

func (t ticks) Stop() {
	if t.t != nil {
		t.t.Stop()
	}
}

// pollTicks is how often a stream or poll looks for replies by itself:
// never when Changes wakes it, else every PollInterval.
func (s *server) pollTicks() ticks {
	if s.o.Changes != nil {
		return ticks{}
	}
	t := time.NewTicker(s.o.PollInterval)
	return ticks{C: t.C, t: t}
}

// handlePoll answers with the chat's waiting replies (a JSON array) as soon
// as there are some, or an empty array after at most longPoll.
func (s *server) handlePoll(w http.ResponseWriter, r *http.Request, sess session) {
	chat := sess.chat
	ctx, cancel := context.WithTimeout(r.Context(), s.longPoll)
	defer cancel()
	cs, me, leave := s.hub.join(chat)
	defer leave()
	poll := s.pollTicks()
	defer poll.Stop()
	write := func(rs []outReply) error {
		data, err := json.Marshal(rs)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if _, err := w.Write(append(data, '\n')); err != nil {
			return err
		}
		return http.NewResponseController(w).Flush()
	}
	for {
		n, err := s.deliver(ctx, cs, me, chat, write)
		if n > 0 {
			if err != nil {
				s.log.WarnContext(ctx, "poll: mark sent", "chat_id", chat, "err", err)
			}
			return
		}
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "poll", "chat_id", chat, "err", err)
			writeError(w, http.StatusInternalServerError, "internal")
			return
		}
		select {
		case <-ctx.Done():
		case <-s.stop:
		case <-me.wake:
			continue
		case <-poll.C:
			continue
		}
		if r.Context().Err() != nil {
			return
		}
		// The wait is over: a reply another tab's stream handed to this poll
		// meanwhile goes out now rather than with the poll.
		if n, _ := s.deliver(r.Context(), cs, me, chat, write); n == 0 {
			writeJSON(w, http.StatusOK, []outReply{})
		}
		return
	}
}

// photoSig signs a photo link for one chat.
func (s *server) photoSig(chat, name string) string {
	m := hmac.New(sha256.New, s.photoKey)
	m.Write([]byte(chat))
	m.Write([]byte{0})
	m.Write([]byte(name))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// handlePhoto serves an image a reply of this chat named, if the link was
// signed for this chat.
func (s *server) handlePhoto(w http.ResponseWriter, r *http.Request, sess session) {
	if s.o.Photos == nil {
		writeError(w, http.StatusNotFound, "no_photos")
		return
	}
	chat := sess.chat
	name, sig := r.URL.Query().Get("n"), r.URL.Query().Get("s")
	if name == "" || !hmac.Equal([]byte(sig), []byte(s.photoSig(chat, name))) {
		writeError(w, http.StatusForbidden, "photo")
		return
	}
	img, err := s.o.Photos.Photo(r.Context(), name)
	if err != nil {
		s.log.Warn("web: draw photo", "name", name, "err", err)
		writeError(w, http.StatusNotFound, "photo")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(img)
}
