package whatsapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// Update is what one webhook delivery holds, translated.
type Update struct {
	// Messages are the users' messages the bot acts on, each chat's in
	// timestamp order, each wamid once.
	Messages []Inbound
	// PageTurns are taps on the rows that turn a list's pages (see Menus).
	PageTurns []PageTurn
	// Statuses report what became of messages the bot sent.
	Statuses []Status
	// Errors are the errors of the delivery itself (value.errors).
	Errors []*Error
	// Templates are changes of the templates' review status.
	Templates []TemplateUpdate
	// Ignored counts the messages the bot does not act on (reactions,
	// system notices, requests for a welcome message).
	Ignored int
	// Unreadable are the parts of the delivery that could not be read (a
	// field of an unexpected type): the rest is read all the same.
	Unreadable []error
}

// Inbound is one message of a user, as an event for the flows plus what the
// event has no field for.
type Inbound struct {
	Event flows.Event
	// Phone is the sender's number in E.164 ("+6281234567890"), "" when
	// WhatsApp left it out (a user with a username). The event has it too
	// (Event.Phone, as the wa_id's digits).
	Phone        string
	UserID       string // the BSUID, "" in webhooks from before them
	ParentUserID string // the parent BSUID, when Meta has them on for the business
	Username     string // the user's WhatsApp username, if they chose one
	Name         string // the profile name (personal data: never log it)
	// Context is the wamid of the bot's message this one answers (a
	// button or list tap, a quoted reply), "" when none.
	Context string
	Sent    time.Time // the message's timestamp
	// PhoneNumberID is the business number it was written to.
	PhoneNumberID string
}

// Status is a status webhook: what became of a message the bot sent. They
// may come out of order (delivered after read) and twice: Rank orders them.
type Status struct {
	WAMID  string
	Status string // "sent", "delivered", "read", "failed" (also "played", "deleted")
	At     time.Time
	// ChatID is the recipient the message went to: its BSUID when it was
	// sent to one, else the phone number's digits (or a group's id). Match
	// a status to its message by WAMID; ChatID is for a store without it.
	ChatID string
	UserID string // the recipient's BSUID, when the webhook has it
	Phone  string // the recipient's number in E.164, when the webhook has it
	// Errors say why a failed message failed (classify them with
	// Error.Kind: 131026 undeliverable, 131047 window closed, …).
	Errors   []*Error
	Billable bool
	Category string // pricing category: "utility", "marketing", "service", …
	Pricing  string // pricing model: "PMP"
	// Callback is the biz_opaque_callback_data the message was sent with.
	Callback string
}

// Failed reports a failed status.
func (s Status) Failed() bool { return s.Status == "failed" }

// Err is the first of a failed status's errors, nil when none.
func (s Status) Err() *Error {
	if len(s.Errors) == 0 {
		return nil
	}
	return s.Errors[0]
}

// Rank orders statuses so that a late webhook never moves a message back:
// sent 1, delivered 2, read and played 3, failed 4; anything else 0. Keep a
// status only when its rank is higher than the one kept.
func Rank(status string) int {
	switch status {
	case "sent":
		return 1
	case "delivered":
		return 2
	case "read", "played":
		return 3
	case "failed":
		return 4
	}
	return 0
}

// TemplateUpdate is a change of a template's review status
// (field message_template_status_update).
type TemplateUpdate struct {
	ID       string
	Name     string
	Language string
	Event    string // "APPROVED", "REJECTED", "PAUSED", "DISABLED", …
	Reason   string
}

// The wire format of webhooks.
type (
	wireBody struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      string `json:"id"`
			Changes []struct {
				Field string          `json:"field"`
				Value json.RawMessage `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	wireValue struct {
		MessagingProduct string `json:"messaging_product"`
		Metadata         struct {
			DisplayPhoneNumber string `json:"display_phone_number"`
			PhoneNumberID      string `json:"phone_number_id"`
		} `json:"metadata"`
		Contacts []wireContact     `json:"contacts"`
		Messages []json.RawMessage `json:"messages"` // each read on its own: one unreadable does not lose the others
		Statuses []json.RawMessage `json:"statuses"`
		Errors   []wireError       `json:"errors"`
	}
	wireContact struct {
		Profile struct {
			Name     string `json:"name"`
			Username string `json:"username"`
		} `json:"profile"`
		WaID         string `json:"wa_id"`
		UserID       string `json:"user_id"`
		ParentUserID string `json:"parent_user_id"`
	}
	wireMessage struct {
		From             string   `json:"from"`
		FromUserID       string   `json:"from_user_id"`
		FromParentUserID string   `json:"from_parent_user_id"`
		ID               string   `json:"id"`
		Timestamp        unixTime `json:"timestamp"`
		Type             string   `json:"type"`
		GroupID          string   `json:"group_id"`
		Context          *struct {
			From string `json:"from"`
			ID   string `json:"id"`
		} `json:"context"`
		Text *struct {
			Body string `json:"body"`
		} `json:"text"`
		Interactive *struct {
			Type        string `json:"type"`
			ButtonReply *struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"button_reply"`
			ListReply *struct {
				ID          string `json:"id"`
				Title       string `json:"title"`
				Description string `json:"description"`
			} `json:"list_reply"`
		} `json:"interactive"`
		Button *struct {
			Payload string `json:"payload"`
			Text    string `json:"text"`
		} `json:"button"`
		Contacts []struct {
			Phones []struct {
				Phone string `json:"phone"`
				WaID  string `json:"wa_id"`
			} `json:"phones"`
		} `json:"contacts"`
	}
	wireStatus struct {
		ID              string      `json:"id"`
		Status          string      `json:"status"`
		Timestamp       unixTime    `json:"timestamp"`
		RecipientID     string      `json:"recipient_id"`
		RecipientUserID string      `json:"recipient_user_id"`
		BizOpaque       string      `json:"biz_opaque_callback_data"`
		Errors          []wireError `json:"errors"`
		Pricing         *struct {
			Billable     bool   `json:"billable"`
			PricingModel string `json:"pricing_model"`
			Category     string `json:"category"`
		} `json:"pricing"`
	}
	wireTemplateUpdate struct {
		ID       json.Number `json:"message_template_id"`
		Name     string      `json:"message_template_name"`
		Language string      `json:"message_template_language"`
		Event    string      `json:"event"`
		Reason   string      `json:"reason"`
	}
)

// unixTime is a Unix time in seconds, as a JSON string ("1764238453", as
// Meta sends it) or number.
type unixTime struct{ time.Time }

func (t *unixTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return fmt.Errorf("timestamp %q is not Unix seconds", s)
	}
	t.Time = time.Unix(n, 0)
	return nil
}

// ErrNotWhatsApp is Parse's answer for a body that is JSON but not a
// WhatsApp Business Account webhook.
var ErrNotWhatsApp = errors.New("whatsapp: not a whatsapp_business_account webhook")

// Parse reads a webhook body (its signature checked first: see
// VerifySignature). Every message of every entry and change is read; the
// messages are ordered by timestamp (stably: those of one chat stay in
// timestamp order), and a wamid seen twice is kept once. Only a body that
// is not JSON, or not a WhatsApp Business Account's, is an error: a
// message or change that cannot be read is left out and named in
// Update.Unreadable.
func Parse(body []byte) (*Update, error) {
	var b wireBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("whatsapp: webhook body: %w", err)
	}
	if b.Object != "whatsapp_business_account" {
		return nil, ErrNotWhatsApp
	}
	u := &Update{}
	seen := map[string]bool{}
	for _, e := range b.Entry {
		for _, ch := range e.Changes {
			switch ch.Field {
			case "messages":
				var v wireValue
				if err := json.Unmarshal(ch.Value, &v); err != nil {
					u.Unreadable = append(u.Unreadable, fmt.Errorf("whatsapp: webhook messages value: %w", err))
					continue
				}
				u.add(v, seen)
			case "message_template_status_update":
				var t wireTemplateUpdate
				if err := json.Unmarshal(ch.Value, &t); err != nil {
					u.Unreadable = append(u.Unreadable, fmt.Errorf("whatsapp: webhook template update: %w", err))
					continue
				}
				u.Templates = append(u.Templates, TemplateUpdate{ID: t.ID.String(), Name: t.Name, Language: t.Language, Event: t.Event, Reason: t.Reason})
			}
		}
	}
	sort.SliceStable(u.Messages, func(i, j int) bool { return u.Messages[i].Sent.Before(u.Messages[j].Sent) })
	return u, nil
}

// add reads one change of the messages field.
func (u *Update) add(v wireValue, seen map[string]bool) {
	for _, w := range v.Errors {
		u.Errors = append(u.Errors, w.toError(0))
	}
	for _, raw := range v.Messages {
		var m wireMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			u.Unreadable = append(u.Unreadable, fmt.Errorf("whatsapp: webhook message: %w", err))
			continue
		}
		if m.ID == "" || seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		in, turn, ok := message(v, m)
		switch {
		case turn != nil:
			u.PageTurns = append(u.PageTurns, *turn)
		case ok:
			u.Messages = append(u.Messages, in)
		default:
			u.Ignored++
		}
	}
	for _, raw := range v.Statuses {
		var s wireStatus
		if err := json.Unmarshal(raw, &s); err != nil {
			u.Unreadable = append(u.Unreadable, fmt.Errorf("whatsapp: webhook status: %w", err))
			continue
		}
		u.Statuses = append(u.Statuses, status(v, s))
	}
}

// sender finds the contact entry of a message's sender.
func sender(v wireValue, m wireMessage) wireContact {
	for _, c := range v.Contacts {
		if (m.From != "" && c.WaID == m.From) || (m.FromUserID != "" && c.UserID == m.FromUserID) {
			return c
		}
	}
	if len(v.Contacts) == 1 {
		return v.Contacts[0]
	}
	return wireContact{}
}

// message translates one message; a page turn comes back as turn, a message
// the bot does not act on with ok false.
func message(v wireValue, m wireMessage) (in Inbound, turn *PageTurn, ok bool) {
	c := sender(v, m)
	phone := firstOf(m.From, c.WaID)
	in = Inbound{
		UserID:        firstOf(m.FromUserID, c.UserID),
		ParentUserID:  firstOf(m.FromParentUserID, c.ParentUserID),
		Username:      c.Profile.Username,
		Name:          c.Profile.Name,
		Sent:          m.Timestamp.Time,
		PhoneNumberID: v.Metadata.PhoneNumberID,
	}
	if isPhone(phone) {
		in.Phone = "+" + strings.TrimPrefix(phone, "+")
	}
	if m.Context != nil {
		in.Context = m.Context.ID
	}
	chat := firstOf(in.UserID, strings.TrimPrefix(phone, "+"))
	if chat == "" {
		return in, nil, false // nobody to answer
	}
	ev := flows.Event{Channel: Channel, ChatID: chat, UserID: chat, UpdateID: m.ID}
	if m.GroupID != "" {
		ev.ChatID, ev.Kind = m.GroupID, flows.KindGroup // the sender's number is not the chat's: no Phone
		in.Event = ev
		return in, nil, true
	}
	switch m.Type {
	case "text":
		if m.Text == nil || strings.TrimSpace(m.Text.Body) == "" {
			ev.Kind = flows.KindMedia
		} else {
			ev.Kind, ev.Text = flows.KindText, m.Text.Body
		}
	case "interactive":
		id := ""
		if it := m.Interactive; it != nil {
			switch {
			case it.ButtonReply != nil:
				id = it.ButtonReply.ID
			case it.ListReply != nil:
				id = it.ListReply.ID
			}
		}
		if key, page, isTurn := parsePageID(id); isTurn {
			return in, &PageTurn{ChatID: chat, Key: key, Page: page, WAMID: m.ID, Context: in.Context}, false
		}
		if id == "" {
			ev.Kind = flows.KindMedia // a Flow's answer, a call permission…: not ours
		} else {
			ev.Kind, ev.Choice = flows.KindChoice, id
		}
	case "button": // a template's quick-reply button
		switch {
		case m.Button == nil:
			ev.Kind = flows.KindMedia
		case m.Button.Payload != "":
			ev.Kind, ev.Choice = flows.KindChoice, m.Button.Payload
		case strings.TrimSpace(m.Button.Text) != "":
			ev.Kind, ev.Text = flows.KindText, m.Button.Text
		default:
			ev.Kind = flows.KindMedia
		}
	case "contacts":
		ev.Kind = flows.KindContact
		ev.Contact = sharedContact(m, strings.TrimPrefix(phone, "+"), chat)
	case "reaction", "system", "request_welcome", "ephemeral", "revoke", "edit":
		return in, nil, false
	default:
		// image, audio, video, sticker, document, location, order,
		// unsupported, and kinds newer than this code: answered politely.
		ev.Kind = flows.KindMedia
	}
	ev.Phone = strings.TrimPrefix(in.Phone, "+") // the wa_id's digits, as flows.Event.Phone has them
	in.Event = ev
	return in, nil, true
}

// sharedContact reads a shared contact card: its first number, and whose it
// is. It is the sender's own (UserID = the sender's) when its WhatsApp id is
// the sender's number; someone else's (UserID = that WhatsApp id) when the
// sender's number is known and differs; unknown ("") otherwise.
func sharedContact(m wireMessage, senderWaID, chat string) *flows.Contact {
	c := &flows.Contact{}
	for _, card := range m.Contacts {
		for _, p := range card.Phones {
			if p.Phone == "" && p.WaID == "" {
				continue
			}
			c.Phone = p.Phone
			if p.WaID != "" {
				c.Phone = "+" + strings.TrimPrefix(p.WaID, "+")
				switch {
				case senderWaID != "" && p.WaID == senderWaID:
					c.UserID = chat
				case senderWaID != "":
					c.UserID = p.WaID
				}
			}
			return c
		}
	}
	return c
}

// status translates one status webhook.
func status(v wireValue, s wireStatus) Status {
	st := Status{WAMID: s.ID, Status: s.Status, At: s.Timestamp.Time, Callback: s.BizOpaque}
	var c wireContact
	for _, vc := range v.Contacts {
		if (s.RecipientID != "" && vc.WaID == s.RecipientID) || (s.RecipientUserID != "" && vc.UserID == s.RecipientUserID) || len(v.Contacts) == 1 {
			c = vc
			break
		}
	}
	phone := firstOf(c.WaID, s.RecipientID)
	if isPhone(phone) {
		st.Phone = "+" + strings.TrimPrefix(phone, "+")
	}
	st.ChatID = firstOf(s.RecipientUserID, s.RecipientID, c.UserID)
	st.UserID = firstOf(s.RecipientUserID, c.UserID)
	for _, w := range s.Errors {
		st.Errors = append(st.Errors, w.toError(0))
	}
	if s.Pricing != nil {
		st.Billable, st.Category, st.Pricing = s.Pricing.Billable, s.Pricing.Category, s.Pricing.PricingModel
	}
	return st
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Events are the updates' messages as flows events, in order.
func (u *Update) Events() []flows.Event {
	evs := make([]flows.Event, 0, len(u.Messages))
	for _, m := range u.Messages {
		evs = append(evs, m.Event)
	}
	return evs
}
