package whatsapptest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// User is a WhatsApp user writing to the bot.
type User struct {
	Phone    string // the wa_id (digits); "" for a user with a username whose number WhatsApp hides
	BSUID    string // the business-scoped user id (user_id); "" as in webhooks from before them
	Name     string // the profile name
	Username string // set only by users who chose one
}

// NewUser makes user n with a number and a BSUID.
func NewUser(n int) User {
	return User{Phone: fmt.Sprintf("6281%09d", n), BSUID: fmt.Sprintf("ID.%d", 1502576394655843+int64(n)), Name: "Siti Aminah"}
}

// ChatID is how the channel keys the user's chat: the BSUID, else the number.
func (u User) ChatID() string {
	if u.BSUID != "" {
		return u.BSUID
	}
	return u.Phone
}

// Inbound is one message of a user, as Meta puts it in value.messages.
type Inbound struct {
	User    User
	ID      string         // its wamid
	Message map[string]any // the message object
}

// At gives the message another timestamp.
func (in Inbound) At(t time.Time) Inbound {
	m := make(map[string]any, len(in.Message))
	for k, v := range in.Message {
		m[k] = v
	}
	m["timestamp"] = strconv.FormatInt(t.Unix(), 10)
	in.Message = m
	return in
}

// inbound makes a message of u (and opens their window).
func (s *Server) inbound(u User, typ string, fields map[string]any) Inbound {
	s.mu.Lock()
	now := s.now()
	s.nextID++
	id := "wamid.HBgN" + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%s\x15\x02\x00\x12\x18\x14IN%016X", u.ChatID(), s.nextID)))
	for _, k := range []string{u.Phone, u.BSUID} {
		if k != "" {
			s.wrote[k] = now
		}
	}
	s.mu.Unlock()
	m := map[string]any{"id": id, "timestamp": strconv.FormatInt(now.Unix(), 10), "type": typ}
	if u.Phone != "" {
		m["from"] = u.Phone
	}
	if u.BSUID != "" {
		m["from_user_id"] = u.BSUID
	}
	for k, v := range fields {
		m[k] = v
	}
	return Inbound{User: u, ID: id, Message: m}
}

// Text is a text message.
func (s *Server) Text(u User, body string) Inbound {
	return s.inbound(u, "text", map[string]any{"text": map[string]any{"body": body}})
}

// Tap is a tap on the button or list row with this id or title of the
// newest message to u that has it.
func (s *Server) Tap(t testing.TB, u User, idOrTitle string) Inbound {
	t.Helper()
	msgs := s.Messages(u.ChatID())
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, r := range msgs[i].Choices() {
			if r.ID == idOrTitle || r.Title == idOrTitle {
				return s.TapOn(u, msgs[i], r)
			}
		}
	}
	t.Fatalf("whatsapptest: no button or row %q in the messages to %s", idOrTitle, u.ChatID())
	return Inbound{}
}

// TapOn is a tap on row r of message m: a button_reply or a list_reply.
func (s *Server) TapOn(u User, m Message, r Row) Inbound {
	ctx := map[string]any{"from": DisplayNumber, "id": m.ID}
	if m.Interactive != nil && m.Interactive.Type == "list" {
		reply := map[string]any{"id": r.ID, "title": r.Title}
		if r.Description != "" {
			reply["description"] = r.Description
		}
		return s.inbound(u, "interactive", map[string]any{"context": ctx, "interactive": map[string]any{"type": "list_reply", "list_reply": reply}})
	}
	return s.inbound(u, "interactive", map[string]any{"context": ctx,
		"interactive": map[string]any{"type": "button_reply", "button_reply": map[string]any{"id": r.ID, "title": r.Title}}})
}

// TapTemplate is a tap on quick-reply button index of a template message m.
func (s *Server) TapTemplate(u User, m Message, index int, text string) Inbound {
	payload := ""
	if m.Template != nil && index < len(m.Template.Payloads) {
		payload = m.Template.Payloads[index]
	}
	return s.inbound(u, "button", map[string]any{"context": map[string]any{"from": DisplayNumber, "id": m.ID},
		"button": map[string]any{"payload": payload, "text": text}})
}

// Contact is a shared contact card with one number (waID "" when the
// number is not on WhatsApp).
func (s *Server) Contact(u User, name, phone, waID string) Inbound {
	p := map[string]any{"phone": phone, "type": "CELL"}
	if waID != "" {
		p["wa_id"] = waID
	}
	return s.inbound(u, "contacts", map[string]any{"contacts": []any{map[string]any{
		"name": map[string]any{"formatted_name": name, "first_name": name}, "phones": []any{p}}}})
}

// Attachment is an image, audio (a voice note), video, sticker or document.
func (s *Server) Attachment(u User, kind string) Inbound {
	mime := map[string]string{"image": "image/jpeg", "audio": "audio/ogg; codecs=opus", "video": "video/mp4", "sticker": "image/webp",
		"document": "application/pdf"}[kind]
	obj := map[string]any{"mime_type": mime, "sha256": "81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3", "id": "2754859441498128"}
	if kind == "audio" {
		obj["voice"] = true
	}
	if kind == "document" {
		obj["filename"] = "KTP.pdf"
	}
	return s.inbound(u, kind, map[string]any{kind: obj})
}

// Location is a shared location.
func (s *Server) Location(u User, lat, lon float64) Inbound {
	return s.inbound(u, "location", map[string]any{"location": map[string]any{"latitude": lat, "longitude": lon, "name": "Pontianak"}})
}

// contact is a user's entry in value.contacts.
func contact(u User) map[string]any {
	c := map[string]any{"profile": map[string]any{"name": u.Name}}
	if u.Username != "" {
		c["profile"].(map[string]any)["username"] = u.Username
	}
	if u.Phone != "" {
		c["wa_id"] = u.Phone
	}
	if u.BSUID != "" {
		c["user_id"] = u.BSUID
	}
	return c
}

func envelope(value map[string]any) []byte {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": DisplayNumber, "phone_number_id": PhoneNumberID}
	b, err := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": BusinessAccountID, "changes": []any{map[string]any{"value": value, "field": "messages"}}}}})
	if err != nil {
		panic(fmt.Sprintf("whatsapptest: %v", err))
	}
	return b
}

// MessagesBody is the webhook body of messages, as Meta sends it: one
// entry, one change, the senders in contacts.
func MessagesBody(in ...Inbound) []byte {
	var contacts, msgs []any
	seen := map[string]bool{}
	for _, m := range in {
		if k := m.User.ChatID(); !seen[k] {
			seen[k] = true
			contacts = append(contacts, contact(m.User))
		}
		msgs = append(msgs, m.Message)
	}
	return envelope(map[string]any{"contacts": contacts, "messages": msgs})
}

// StatusEvent is one status webhook of a message the bot sent.
type StatusEvent struct {
	WAMID   string
	Status  string // "sent", "delivered", "read", "failed"
	User    User
	ToBSUID bool      // the message went to the BSUID (recipient_user_id), not the number
	At      time.Time // zero: now
	Errors  []Failure // a failed status's
}

// StatusBody is the webhook body of statuses, as Meta sends it: contacts
// for sent, delivered and read, none for failed.
func StatusBody(sts ...StatusEvent) []byte {
	var contacts, statuses []any
	for _, st := range sts {
		at := st.At
		if at.IsZero() {
			at = time.Unix(1764238500, 0)
		}
		o := map[string]any{"id": st.WAMID, "status": st.Status, "timestamp": strconv.FormatInt(at.Unix(), 10)}
		if st.ToBSUID && st.User.BSUID != "" {
			o["recipient_user_id"] = st.User.BSUID
		} else if st.User.Phone != "" {
			o["recipient_id"] = st.User.Phone
		}
		if st.Status != "failed" {
			contacts = append(contacts, contact(st.User))
			o["pricing"] = map[string]any{"billable": true, "pricing_model": "PMP", "category": "service", "type": "free_customer_service"}
		}
		for _, f := range st.Errors {
			o["errors"] = append(asList(o["errors"]), map[string]any{"code": f.Code, "title": f.Title, "message": f.Title,
				"error_data": map[string]any{"details": f.Details},
				"href":       "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"})
		}
		statuses = append(statuses, o)
	}
	v := map[string]any{"statuses": statuses}
	if len(contacts) > 0 {
		v["contacts"] = contacts
	}
	return envelope(v)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// Signature is the X-Hub-Signature-256 Meta puts on body (AppSecret's HMAC).
func Signature(body []byte) string {
	mac := hmac.New(sha256.New, []byte(AppSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// NewRequest is a webhook POST of body to url, signed as Meta signs it.
func NewRequest(url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set("X-Hub-Signature-256", Signature(body))
	return req, nil
}

// Post delivers messages to the webhook at url, signed.
func Post(client *http.Client, url string, in ...Inbound) (*http.Response, error) {
	req, err := NewRequest(url, MessagesBody(in...))
	if err != nil {
		return nil, err
	}
	return client.Do(req)
}
