// Package telegramtest is a fake Telegram Bot API for tests: an httptest
// server that speaks the Bot API's JSON for the methods Lindungi uses
// (getMe, getUpdates with offset semantics and long polling, sendMessage,
// editMessageReplyMarkup, answerCallbackQuery, setWebhook, deleteWebhook,
// setMyCommands), records every request, and fails on request with
// Telegram's real error bodies.
package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/lindungi/lindungi/clock"
)

// The fake bot.
const (
	Token       = "123456789:AAHfakeTokenForTests_lindungi-0123456"
	BotID       = 123456789
	BotUsername = "lindungi_test_bot"
)

// Request is one recorded Bot API call.
type Request struct {
	Method string
	Params url.Values // the form values as the client sent them
	At     time.Time  // when it arrived
	Failed bool       // answered with a scripted failure
}

// Message is one message the bot sent.
type Message struct {
	ChatID      int64
	MessageID   int
	Text        string
	ReplyMarkup string    // the reply_markup JSON as sent, "" if none; an edit replaces it
	At          time.Time // when the server received it
	Photo       []byte    // sendPhoto: the uploaded image (Text holds the caption)
	ParseMode   string    // "HTML" for formatted text
	Edits       int       // editMessageText calls that changed it
}

// Button is one inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// InlineKeyboard decodes the message's inline keyboard (nil if it has none).
func (m Message) InlineKeyboard() [][]Button {
	var mk struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	if json.Unmarshal([]byte(m.ReplyMarkup), &mk) != nil {
		return nil
	}
	return mk.InlineKeyboard
}

// Failure is a scripted error answer, as Telegram sends it.
type Failure struct {
	Status      int    // HTTP status and error_code
	Description string // Telegram's description
	RetryAfter  int    // parameters.retry_after, for 429
	Body        string // a raw body instead of Telegram's JSON (a proxy's HTML page)
}

// Telegram's usual failures.
var (
	Blocked       = Failure{Status: 403, Description: "Forbidden: bot was blocked by the user"}
	Deactivated   = Failure{Status: 403, Description: "Forbidden: user is deactivated"}
	ChatNotFound  = Failure{Status: 400, Description: "Bad Request: chat not found"}
	InternalError = Failure{Status: 500, Description: "Internal Server Error"}
	BadGateway    = Failure{Status: 502, Body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"}
)

// TooManyRequests is Telegram's flood-control answer.
func TooManyRequests(retryAfter int) Failure {
	return Failure{Status: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), RetryAfter: retryAfter}
}

type scripted struct {
	method string
	chatID int64 // 0: any chat
	left   int   // answers left; < 0: forever
	f      Failure
}

type msgKey struct {
	chat int64
	id   int
}

type queued struct {
	id  int
	raw json.RawMessage
}

// Server is the fake Bot API.
type Server struct {
	srv *httptest.Server

	mu         sync.Mutex
	reqs       []Request
	queue      []queued
	wake       chan struct{} // closed and replaced when an update is pushed
	nextUpdate int
	nextMsg    int
	msgs       []*Message
	byID       map[msgKey]*Message
	fails      []*scripted
	webhookURL string
	maxConns   int // of the webhook: Telegram's max_connections
	secret     string
	commands   map[string]string // language_code → commands JSON
	notify     func(Message)
	limit      int          // sendMessage calls allowed in any 1 s (0: no limit)
	recent     []time.Time  // accepted sendMessage calls within the last second
	throttled  int          // 429s the limit gave
	conns      atomic.Int64 // connections opened by clients
	delay      atomic.Int64 // every call is answered this much later (a network round trip)
	// hooks, when webhook delivery is on (PostToWebhook), hold the pushed
	// updates waiting to be POSTed to the webhook.
	hooking bool
	hooks   chan queued
	hooked  chan struct{} // closed by Close: the webhook senders stop
	// hookTurn wakes the webhook senders when max_connections changes.
	hookTurn *sync.Cond
	hookWG   sync.WaitGroup
}

// Delay makes every call take d more, as a far-away API does: the round
// trip between the bot and Telegram (150–300 ms from Indonesia to
// Telegram's servers in Europe), half of it before the call is served (a
// message counts as delivered then), half before its answer reaches the
// bot. With webhook delivery on, each POST to the webhook takes d more too.
func (s *Server) Delay(d time.Duration) { s.delay.Store(int64(d)) }

// PostToWebhook makes the server deliver pushed updates as Telegram does
// while a webhook is set: each one POSTed to its URL with the secret in
// X-Telegram-Bot-Api-Secret-Token, over at most the max_connections
// setWebhook asked for (Telegram's default 40, at most 100) at once, tried
// again a second later until it is answered 200. Off (the default),
// updates wait for getUpdates and a set webhook is only recorded.
func (s *Server) PostToWebhook(client *http.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hooking {
		return
	}
	s.hooking = true
	s.hooks = make(chan queued, 1<<16)
	s.hooked = make(chan struct{})
	s.hookTurn = sync.NewCond(&s.mu)
	s.hookWG.Add(100) // Telegram's most; the n-th works while n < max_connections
	for n := range 100 {
		go s.postHooks(client, n)
	}
}

// postHooks is the n-th of Telegram's connections to the webhook: it
// delivers updates while the webhook's max_connections leaves it a turn.
func (s *Server) postHooks(client *http.Client, n int) {
	defer s.hookWG.Done()
	for {
		s.mu.Lock()
		for s.hooking && n >= s.maxConns {
			s.hookTurn.Wait()
		}
		stopped := !s.hooking
		s.mu.Unlock()
		if stopped {
			return
		}
		var q queued
		select {
		case <-s.hooked:
			return
		case q = <-s.hooks:
		}
		for !s.postHook(client, q.raw) {
			select {
			case <-s.hooked:
				return
			case <-time.After(time.Second): // Telegram tries again
			}
		}
	}
}

// postHook POSTs one update to the webhook, taking the round trip; it
// reports whether the bot answered 200.
func (s *Server) postHook(client *http.Client, raw json.RawMessage) bool {
	s.mu.Lock()
	url, secret := s.webhookURL, s.secret
	s.mu.Unlock()
	d := time.Duration(s.delay.Load())
	time.Sleep(d / 2)         // on the way to the bot
	defer time.Sleep(d - d/2) // the answer on its way back
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Limit makes the server answer 429 (retry_after 1) to a sendMessage beyond
// perSecond in any one second, as Telegram's flood control does; 0 lifts it.
func (s *Server) Limit(perSecond int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.recent = perSecond, nil
}

// Throttled counts the 429s the Limit gave.
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// overLimit records a sendMessage call and reports whether it exceeds the limit.
func (s *Server) overLimit(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit == 0 {
		return false
	}
	i := 0
	for i < len(s.recent) && now.Sub(s.recent[i]) >= time.Second {
		i++
	}
	s.recent = s.recent[i:]
	if len(s.recent) >= s.limit {
		s.throttled++
		return true
	}
	s.recent = append(s.recent, now)
	return false
}

// NewServer starts a fake Bot API that closes when the test ends.
func NewServer(t testing.TB) *Server {
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake Bot API outside a test (benchmarks); Close stops it.
func Start() *Server {
	// Each server starts its update ids somewhere new, as Telegram's are:
	// tests sharing a database must not collide in its dedupe table.
	s := &Server{wake: make(chan struct{}), nextUpdate: 100_000_000 + rand.IntN(1<<30), nextMsg: 1, commands: map[string]string{},
		byID: map[msgKey]*Message{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	return s
}

// Conns counts the connections clients opened to the server.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Close stops the server (and its webhook deliveries).
func (s *Server) Close() {
	s.mu.Lock()
	if s.hooking {
		close(s.hooked)
		s.hooking = false
		s.hookTurn.Broadcast()
	}
	s.mu.Unlock()
	s.srv.Close()
	s.hookWG.Wait()
}

// OnMessage calls f (outside the server's lock) for every message the bot
// sends from now on.
func (s *Server) OnMessage(f func(Message)) {
	s.mu.Lock()
	s.notify = f
	s.mu.Unlock()
}

// URL is the server's base address.
func (s *Server) URL() string { return s.srv.URL }

// Endpoint is the Bot API address in the library's format ("…/bot%s/%s").
func (s *Server) Endpoint() string { return s.srv.URL + "/bot%s/%s" }

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Push queues an update for getUpdates: raw JSON ([]byte, string,
// json.RawMessage) or anything that marshals to an update. An update without
// update_id gets the next one. Pushing the same id twice delivers it twice.
// It returns the update's id.
func (s *Server) Push(update any) int {
	var raw []byte
	switch u := update.(type) {
	case []byte:
		raw = u
	case json.RawMessage:
		raw = u
	case string:
		raw = []byte(u)
	default:
		b, err := json.Marshal(u)
		if err != nil {
			panic(fmt.Sprintf("telegramtest: push: %v", err))
		}
		raw = b
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(fmt.Sprintf("telegramtest: push: not JSON: %v", err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := 0
	if f, ok := m["update_id"].(float64); ok && f != 0 {
		id = int(f)
	} else {
		id = s.nextUpdate
		m["update_id"] = id
		raw, _ = json.Marshal(m)
	}
	if id >= s.nextUpdate {
		s.nextUpdate = id + 1
	}
	if s.hooking && s.webhookURL != "" {
		s.hooks <- queued{id: id, raw: raw}
		return id
	}
	s.queue = append(s.queue, queued{id: id, raw: raw})
	close(s.wake)
	s.wake = make(chan struct{})
	return id
}

func user(chatID int64, lang string) map[string]any {
	u := map[string]any{"id": chatID, "is_bot": false, "first_name": "Siti", "last_name": "Aminah", "username": fmt.Sprintf("siti%d", chatID)}
	if lang != "" {
		u["language_code"] = lang
	}
	return u
}

func privateChat(chatID int64) map[string]any {
	if chatID < 0 {
		return map[string]any{"id": chatID, "title": "Kelompok Tani Maju", "type": "supergroup"}
	}
	return map[string]any{"id": chatID, "first_name": "Siti", "last_name": "Aminah", "username": fmt.Sprintf("siti%d", chatID), "type": "private"}
}

func (s *Server) userMessage(chatID int64, fields map[string]any) map[string]any {
	s.mu.Lock()
	id := s.nextMsg
	s.nextMsg++
	s.mu.Unlock()
	m := map[string]any{"message_id": id, "from": user(chatID, "id"), "chat": privateChat(chatID), "date": clock.Now().Unix()}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

// PushText queues a private text message from user chatID (a command gets
// its bot_command entity, as Telegram sends it).
func (s *Server) PushText(chatID int64, text string) int {
	f := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		f["entities"] = []map[string]any{{"offset": 0, "length": len(utf16.Encode([]rune(cmd))), "type": "bot_command"}}
	}
	return s.Push(map[string]any{"message": s.userMessage(chatID, f)})
}

// PushContact queues a shared contact; ownerID is the contact's user_id (0: none).
func (s *Server) PushContact(chatID int64, phone string, ownerID int64) int {
	c := map[string]any{"phone_number": phone, "first_name": "Siti", "last_name": "Aminah"}
	if ownerID != 0 {
		c["user_id"] = ownerID
	}
	return s.Push(map[string]any{"message": s.userMessage(chatID, map[string]any{"contact": c})})
}

// PushCallback queues a button press on the bot's message messageID in
// chatID, carrying the message as it is now (Telegram does the same).
func (s *Server) PushCallback(chatID int64, messageID int, data string) int {
	s.mu.Lock()
	var msg map[string]any
	if m := s.byID[msgKey{chatID, messageID}]; m != nil {
		msg = messageJSON(m)
	}
	s.mu.Unlock()
	if msg == nil {
		msg = map[string]any{"message_id": messageID, "from": botUser(), "chat": privateChat(chatID), "date": clock.Now().Unix(), "text": "…"}
	}
	q := map[string]any{
		"id":            fmt.Sprintf("%d%06d", chatID, messageID),
		"from":          user(chatID, "id"),
		"message":       msg,
		"chat_instance": "-5139278362512340321",
		"data":          data,
	}
	return s.Push(map[string]any{"callback_query": q})
}

// Press presses the button with this label or data on the newest message
// of chatID that has it, and returns the update's id.
func (s *Server) Press(t testing.TB, chatID int64, labelOrData string) int {
	t.Helper()
	msgs := s.Messages(chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].InlineKeyboard() {
			for _, b := range row {
				if b.Text == labelOrData || b.CallbackData == labelOrData {
					return s.PushCallback(chatID, msgs[i].MessageID, b.CallbackData)
				}
			}
		}
	}
	t.Fatalf("telegramtest: no button %q in chat %d", labelOrData, chatID)
	return 0
}

// Fail scripts the next times answers of method (for chatID; 0 = any chat)
// to be f; times < 0 fails until Heal.
func (s *Server) Fail(method string, chatID int64, times int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, &scripted{method: method, chatID: chatID, left: times, f: f})
}

// FailSend scripts sendMessage failures (chatID 0 = every chat).
func (s *Server) FailSend(chatID int64, times int, f Failure) {
	s.Fail("sendMessage", chatID, times, f)
}

// Heal removes every scripted failure.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = nil
}

// Requests returns the recorded calls, oldest first; with methods given,
// only calls of those methods.
func (s *Server) Requests(methods ...string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if len(methods) == 0 || contains(methods, r.Method) {
			out = append(out, r)
		}
	}
	return out
}

// Messages returns the messages the bot sent to chatID, oldest first.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if m.ChatID == chatID {
			out = append(out, *m)
		}
	}
	return out
}

// Pending counts the updates not yet confirmed by a getUpdates offset.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Webhook returns the webhook set, "" if none.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL, s.secret
}

// Commands returns the commands JSON set for a language_code ("" = default).
func (s *Server) Commands(lang string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[lang]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func botUser() map[string]any {
	return map[string]any{"id": BotID, "is_bot": true, "first_name": "Lindungi", "username": BotUsername}
}

func messageJSON(m *Message) map[string]any {
	out := map[string]any{"message_id": m.MessageID, "from": botUser(), "chat": privateChat(m.ChatID), "date": clock.Now().Unix(), "text": m.Text}
	if kb := m.InlineKeyboard(); len(kb) > 0 {
		out["reply_markup"] = json.RawMessage(m.ReplyMarkup)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func ok(w http.ResponseWriter, result any, description ...string) {
	body := map[string]any{"ok": true, "result": result}
	if len(description) > 0 {
		body["description"] = description[0]
	}
	writeJSON(w, http.StatusOK, body)
}

func fail(w http.ResponseWriter, f Failure) {
	if f.Body != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Status)
		fmt.Fprint(w, f.Body)
		return
	}
	body := map[string]any{"ok": false, "error_code": f.Status, "description": f.Description}
	if f.RetryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": f.RetryAfter}
	}
	writeJSON(w, f.Status, body)
}

func badRequest(w http.ResponseWriter, desc string) {
	fail(w, Failure{Status: 400, Description: "Bad Request: " + desc})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if d := time.Duration(s.delay.Load()); d > 0 {
		// Half the round trip on the way there, half on the way back.
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
	rest, found := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if !found || token != Token {
		fail(w, Failure{Status: 401, Description: "Unauthorized"})
		return
	}
	var photo []byte
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			badRequest(w, "can't parse multipart request")
			return
		}
		if fh := r.MultipartForm.File["photo"]; len(fh) == 1 {
			f, err := fh[0].Open()
			if err == nil {
				photo, _ = io.ReadAll(f)
				f.Close()
			}
		}
	} else if err := r.ParseForm(); err != nil {
		badRequest(w, "can't parse request")
		return
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: method, Params: r.Form, At: clock.Now()})
	if f, failed := s.scriptedFailure(method, r.Form); failed {
		s.reqs[len(s.reqs)-1].Failed = true
		s.mu.Unlock()
		fail(w, f)
		return
	}
	s.mu.Unlock()
	switch method {
	case "getMe":
		me := botUser()
		me["can_join_groups"], me["can_read_all_group_messages"], me["supports_inline_queries"] = true, false, false
		ok(w, me)
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage":
		if s.overLimit(clock.Now()) {
			fail(w, TooManyRequests(1))
			return
		}
		s.sendMessage(w, r.Form)
	case "sendPhoto":
		s.sendPhoto(w, r.Form, photo)
	case "editMessageReplyMarkup":
		s.editMarkup(w, r.Form)
	case "editMessageText":
		s.editText(w, r.Form)
	case "answerCallbackQuery":
		if r.Form.Get("callback_query_id") == "" {
			badRequest(w, "query_id is empty") // wording may differ from Telegram's
			return
		}
		ok(w, true)
	case "setWebhook":
		s.mu.Lock()
		s.webhookURL, s.secret = r.Form.Get("url"), r.Form.Get("secret_token")
		s.maxConns = 40 // Telegram's default
		if n, err := strconv.Atoi(r.Form.Get("max_connections")); err == nil && n >= 1 && n <= 100 {
			s.maxConns = n
		}
		if s.hookTurn != nil {
			s.hookTurn.Broadcast()
		}
		s.mu.Unlock()
		ok(w, true, "Webhook was set")
	case "deleteWebhook":
		s.mu.Lock()
		had := s.webhookURL != ""
		s.webhookURL, s.secret = "", ""
		s.mu.Unlock()
		if had {
			ok(w, true, "Webhook was deleted")
		} else {
			ok(w, true, "Webhook is already deleted")
		}
	case "setMyCommands":
		var cmds []map[string]string
		if err := json.Unmarshal([]byte(r.Form.Get("commands")), &cmds); err != nil {
			badRequest(w, "can't parse commands JSON object")
			return
		}
		s.mu.Lock()
		s.commands[r.Form.Get("language_code")] = r.Form.Get("commands")
		s.mu.Unlock()
		ok(w, true)
	default:
		fail(w, Failure{Status: 404, Description: "Not Found"})
	}
}

// scriptedFailure consumes a scripted failure for this call, if any. s.mu is held.
func (s *Server) scriptedFailure(method string, form url.Values) (Failure, bool) {
	chat, _ := strconv.ParseInt(form.Get("chat_id"), 10, 64)
	for i, sc := range s.fails {
		if sc.method != method || (sc.chatID != 0 && sc.chatID != chat) {
			continue
		}
		if sc.left > 0 {
			sc.left--
			if sc.left == 0 {
				s.fails = append(s.fails[:i], s.fails[i+1:]...)
			}
		}
		return sc.f, true
	}
	return Failure{}, false
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hooked := s.webhookURL != ""
	s.mu.Unlock()
	if hooked {
		fail(w, Failure{Status: 409, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
		return
	}
	offset, _ := strconv.Atoi(r.Form.Get("offset"))
	limit, _ := strconv.Atoi(r.Form.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(r.Form.Get("timeout"))
	timer := time.NewTimer(time.Duration(timeout) * time.Second)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if offset > 0 { // updates below the offset are confirmed: forget them
			kept := s.queue[:0]
			for _, q := range s.queue {
				if q.id >= offset {
					kept = append(kept, q)
				}
			}
			s.queue = kept
		}
		batch := make([]json.RawMessage, 0, limit)
		for _, q := range s.queue {
			if len(batch) == limit {
				break
			}
			batch = append(batch, q.raw)
		}
		wake := s.wake
		s.mu.Unlock()
		if len(batch) > 0 || timeout <= 0 {
			ok(w, batch)
			return
		}
		select {
		case <-wake:
		case <-timer.C:
			ok(w, batch)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) sendMessage(w http.ResponseWriter, form url.Values) {
	chat, err := strconv.ParseInt(form.Get("chat_id"), 10, 64)
	if err != nil || chat == 0 {
		badRequest(w, "chat_id is empty")
		return
	}
	text := form.Get("text")
	switch n := len(utf16.Encode([]rune(text))); {
	case strings.TrimSpace(text) == "":
		badRequest(w, "message text is empty")
		return
	case n > 4096:
		badRequest(w, "message is too long")
		return
	}
	markup := form.Get("reply_markup")
	if markup != "" {
		var mk struct {
			InlineKeyboard [][]Button `json:"inline_keyboard"`
		}
		if err := json.Unmarshal([]byte(markup), &mk); err != nil {
			badRequest(w, "can't parse reply keyboard markup JSON object")
			return
		}
		for _, row := range mk.InlineKeyboard {
			for _, b := range row {
				if len(b.CallbackData) == 0 || len(b.CallbackData) > 64 {
					badRequest(w, "BUTTON_DATA_INVALID")
					return
				}
			}
		}
	}
	if pm := form.Get("parse_mode"); pm != "" && pm != "HTML" && pm != "MarkdownV2" && pm != "Markdown" {
		badRequest(w, "unsupported parse_mode")
		return
	}
	s.record(w, Message{ChatID: chat, Text: text, ReplyMarkup: markup, ParseMode: form.Get("parse_mode")})
}

// editText replaces a message's text (and keyboard), as editMessageText does.
func (s *Server) editText(w http.ResponseWriter, form url.Values) {
	chat, _ := strconv.ParseInt(form.Get("chat_id"), 10, 64)
	id, _ := strconv.Atoi(form.Get("message_id"))
	text, markup := form.Get("text"), form.Get("reply_markup")
	if strings.TrimSpace(text) == "" {
		badRequest(w, "message text is empty")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.byID[msgKey{chat, id}]; m != nil {
		if text == m.Text && (markup == m.ReplyMarkup || emptyMarkup(markup) && emptyMarkup(m.ReplyMarkup)) {
			badRequest(w, "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
			return
		}
		m.Text, m.ReplyMarkup, m.ParseMode = text, markup, form.Get("parse_mode")
		m.Edits++
		ok(w, messageJSON(m))
		return
	}
	badRequest(w, "message to edit not found")
}

// record keeps a sent message (numbering it), tells OnMessage's function and
// answers with it.
func (s *Server) record(w http.ResponseWriter, m Message) {
	s.mu.Lock()
	m.MessageID, m.At = s.nextMsg, clock.Now()
	s.nextMsg++
	stored := m
	s.msgs = append(s.msgs, &stored)
	s.byID[msgKey{stored.ChatID, stored.MessageID}] = &stored
	out := messageJSON(&stored)
	notify := s.notify
	s.mu.Unlock()
	if notify != nil {
		notify(m)
	}
	ok(w, out)
}

// emptyMarkup reports whether markup shows no inline buttons.
func emptyMarkup(markup string) bool {
	return len(Message{ReplyMarkup: markup}.InlineKeyboard()) == 0
}

func (s *Server) editMarkup(w http.ResponseWriter, form url.Values) {
	chat, _ := strconv.ParseInt(form.Get("chat_id"), 10, 64)
	id, _ := strconv.Atoi(form.Get("message_id"))
	markup := form.Get("reply_markup")
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.byID[msgKey{chat, id}]; m != nil {
		if markup == m.ReplyMarkup || (emptyMarkup(markup) && emptyMarkup(m.ReplyMarkup)) {
			badRequest(w, "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
			return
		}
		m.ReplyMarkup = markup
		ok(w, messageJSON(m))
		return
	}
	badRequest(w, "message to edit not found")
}

// AllMessages returns every message the bot sent, in the order they arrived.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.msgs))
	for _, m := range s.msgs {
		out = append(out, *m)
	}
	return out
}

// sendPhoto records a photo upload (multipart "photo" file) with its caption.
func (s *Server) sendPhoto(w http.ResponseWriter, form url.Values, photo []byte) {
	chat, err := strconv.ParseInt(form.Get("chat_id"), 10, 64)
	if err != nil || chat == 0 {
		badRequest(w, "chat_id is empty")
		return
	}
	if len(photo) == 0 {
		badRequest(w, "there is no photo in the request")
		return
	}
	if n := len(utf16.Encode([]rune(form.Get("caption")))); n > 1024 {
		badRequest(w, "message caption is too long")
		return
	}
	s.record(w, Message{ChatID: chat, Text: form.Get("caption"), ReplyMarkup: form.Get("reply_markup"), Photo: photo})
}
