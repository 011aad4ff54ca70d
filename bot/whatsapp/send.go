package whatsapp

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
)

// WhatsApp's limits, in characters (counted here in UTF-16 units, which is
// never fewer than Meta counts): Meta's interactive reply buttons and list
// pages, the InteractiveObject reference (see WHATSAPP.md).
const (
	maxText           = 4096 // a text message
	maxBody           = 1024 // an interactive message's body
	maxCaption        = 1024 // an image's caption
	maxButtons        = 3    // reply buttons in one message
	maxButtonTitle    = 20
	maxButtonID       = 256
	maxListButton     = 20 // the button that opens a list
	maxRows           = 10 // rows in one list, all sections together
	maxRowTitle       = 24
	maxRowDescription = 72
	maxRowID          = 200
)

// The wire format of a sent message (POST /{phone-number-id}/messages).
type (
	outMessage struct {
		MessagingProduct string          `json:"messaging_product"`
		RecipientType    string          `json:"recipient_type"`
		To               string          `json:"to,omitempty"`
		Recipient        string          `json:"recipient,omitempty"` // a BSUID
		Type             string          `json:"type"`
		Text             *outText        `json:"text,omitempty"`
		Image            *outMedia       `json:"image,omitempty"`
		Interactive      *outInteractive `json:"interactive,omitempty"`
		Template         *outTemplate    `json:"template,omitempty"`
	}
	outText struct {
		Body       string `json:"body"`
		PreviewURL bool   `json:"preview_url"`
	}
	outMedia struct {
		ID      string `json:"id"`
		Caption string `json:"caption,omitempty"`
	}
	outInteractive struct {
		Type   string    `json:"type"` // "button" or "list"
		Body   outBody   `json:"body"`
		Action outAction `json:"action"`
	}
	outBody struct {
		Text string `json:"text"`
	}
	outAction struct {
		Buttons  []outButton  `json:"buttons,omitempty"`
		Button   string       `json:"button,omitempty"`
		Sections []outSection `json:"sections,omitempty"`
	}
	outButton struct {
		Type  string   `json:"type"` // "reply"
		Reply outReply `json:"reply"`
	}
	outReply struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	outSection struct {
		Title string   `json:"title,omitempty"` // needed only with more than one section
		Rows  []outRow `json:"rows"`
	}
	outRow struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description,omitempty"`
	}
	sentAnswer struct {
		MessagingProduct string `json:"messaging_product"`
		Contacts         []struct {
			Input  string `json:"input"`
			WaID   string `json:"wa_id"`
			UserID string `json:"user_id"`
		} `json:"contacts"`
		Messages []struct {
			ID            string `json:"id"`
			MessageStatus string `json:"message_status"`
		} `json:"messages"`
	}
)

// address fills in the recipient: a phone number goes in "to", a BSUID in
// "recipient", anything else is a group id ("to", recipient_type "group").
func address(m *outMessage, to string) {
	m.MessagingProduct = "whatsapp"
	switch {
	case isPhone(to):
		m.RecipientType, m.To = "individual", strings.TrimPrefix(to, "+")
	case isBSUID(to):
		m.RecipientType, m.Recipient = "individual", to
	default:
		m.RecipientType, m.To = "group", to
	}
}

// Send delivers one reply to a chat (a BSUID, a phone number or a group
// id) and returns the wamids of the messages it sent, in order:
//   - the card (Reply.Photo) first, uploaded, as an image: with the text as
//     its caption when there are no choices and the text fits;
//   - a text longer than WhatsApp allows in parts (4096 characters, split at
//     line breaks), the choices on the last part, whose body fits 1024;
//   - up to 3 choices as reply buttons (titles cut to 20 characters), 4 to 10
//     as a list (rows cut to 24 characters, the whole label then in the
//     row's description), more than 10 as a list in pages (see Menus);
//   - *bold*, _italic_ and ~strike~ as typed: WhatsApp shows them.
//
// A failure is a *bot.SendError wrapping the *Error, its Delivered counting
// the parts that went out (SendFrom resumes after them).
func (c *Client) Send(ctx context.Context, to string, r flows.Reply) ([]string, error) {
	return c.SendFrom(ctx, to, r, 0)
}

// SendFrom sends a reply from its part from on: the card is part 0 (whether
// or not this client can draw it, so that every process numbers the parts
// alike), then the text's parts.
func (c *Client) SendFrom(ctx context.Context, to string, r flows.Reply, from int) ([]string, error) {
	if to == "" {
		return nil, &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("whatsapp: reply without a recipient")}
	}
	if f, ok := c.menus.(interface{ Forget(chatID string) }); ok && r.Forget {
		f.Forget(to) // the chat's data was erased: its kept lists go too
	}
	var ids []string
	first := 0
	if r.Photo != "" {
		first = 1
		if c.photos != nil && from == 0 {
			id, captioned, err := c.sendPhoto(ctx, to, r)
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
			if captioned {
				return ids, nil
			}
		}
	}
	msgs, menu := c.build(to, r, 0)
	if len(msgs) == 0 {
		if r.Photo != "" && c.photos != nil {
			return ids, nil
		}
		return nil, &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("whatsapp: empty reply to %s", who(to))}
	}
	for i, m := range msgs {
		if first+i < from {
			continue // delivered by an earlier attempt
		}
		if menu && i == len(msgs)-1 {
			if err := c.menus.SaveMenu(ctx, to, menuKey(to, r), r); err != nil {
				se := classify(fmt.Errorf("whatsapp: keep the pages of the list to %s: %w", who(to), err))
				se.Delivered = first + i
				return ids, se
			}
		}
		id, err := c.sendMessage(ctx, m)
		if err != nil {
			se := classify(fmt.Errorf("whatsapp: send to %s (part %d of %d): %w", who(to), first+i+1, first+len(msgs), err))
			se.Delivered = first + i
			return ids, se
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// sendMessage posts one message and returns its wamid.
func (c *Client) sendMessage(ctx context.Context, m outMessage) (string, error) {
	var ans sentAnswer
	if err := c.postJSON(ctx, "messages", "/"+c.phoneID+"/messages", m, &ans); err != nil {
		return "", err
	}
	if len(ans.Messages) == 0 || ans.Messages[0].ID == "" {
		// Accepted (2xx) without an id: sending again would double it.
		c.log.Warn("whatsapp: a message was accepted without a wamid", "type", m.Type)
		return "", nil
	}
	return ans.Messages[0].ID, nil
}

// build makes the messages of a reply's text and choices (not its card),
// with the choices' list at page page; menu reports that the list is paged
// (its reply must be kept for the page turns).
func (c *Client) build(to string, r flows.Reply, page int) (msgs []outMessage, menu bool) {
	choices := c.usable(r.Choices)
	text := func(s string) outMessage {
		m := outMessage{Type: "text", Text: &outText{Body: s}}
		address(&m, to)
		return m
	}
	if len(choices) == 0 {
		for _, part := range split(r.Text, maxText) {
			msgs = append(msgs, text(part))
		}
		return msgs, false
	}
	head, body := splitBody(r.Text)
	for _, part := range split(head, maxText) {
		msgs = append(msgs, text(part))
	}
	if strings.TrimSpace(body) == "" {
		body = c.listButton // a body is required
	}
	m := outMessage{Type: "interactive", Interactive: c.interactive(to, r, choices, body, page)}
	address(&m, to)
	return append(msgs, m), len(choices) > maxRows
}

// usable is the choices WhatsApp can show: a label and an id, ids unique.
func (c *Client) usable(choices []flows.Choice) []flows.Choice {
	out := make([]flows.Choice, 0, len(choices))
	seen := make(map[string]bool, len(choices))
	for _, ch := range choices {
		// The id comes back as the choice's data: it must go out unchanged
		// (valid UTF-8) and fit a row's id (200), counted in bytes.
		if strings.TrimSpace(ch.Label) == "" || ch.Data == "" || len(ch.Data) > maxRowID || !utf8.ValidString(ch.Data) || seen[ch.Data] {
			c.log.Warn("whatsapp: choice skipped: it needs a label and a unique id of at most 200 bytes", "data_bytes", len(ch.Data))
			continue
		}
		seen[ch.Data] = true
		out = append(out, ch)
	}
	return out
}

// interactive lays out the choices: reply buttons when there are at most 3
// and their cut titles stay distinct, else a list (in pages beyond 10).
func (c *Client) interactive(to string, r flows.Reply, choices []flows.Choice, body string, page int) *outInteractive {
	in := &outInteractive{Body: outBody{Text: body}}
	if len(choices) <= maxButtons {
		titles := map[string]bool{}
		buttons := make([]outButton, 0, len(choices))
		for _, ch := range choices {
			t := fit(ch.Label, maxButtonTitle)
			titles[t] = true
			buttons = append(buttons, outButton{Type: "reply", Reply: outReply{ID: ch.Data, Title: t}})
		}
		if len(titles) == len(buttons) {
			in.Type, in.Action.Buttons = "button", buttons
			return in
		}
	}
	in.Type = "list"
	l := layout(len(choices), page)
	rows := make([]outRow, 0, maxRows)
	for _, ch := range choices[l.from:l.to] {
		rows = append(rows, row(ch.Data, ch.Label))
	}
	key := menuKey(to, r)
	if l.prev {
		rows = append(rows, row(pageID(key, l.page-1), c.prev))
	}
	if l.next {
		rows = append(rows, row(pageID(key, l.page+1), c.next))
	}
	in.Action.Button = c.listButton
	if l.pages > 1 {
		in.Action.Button = fit(fmt.Sprintf("%s (%d/%d)", c.listButton, l.page+1, l.pages), maxListButton)
	}
	in.Action.Sections = []outSection{{Rows: rows}}
	return in
}

// row is one list row: a label too long for the title is cut there and
// shown whole (up to 72 characters) in the description.
func row(id, label string) outRow {
	r := outRow{ID: id, Title: fit(label, maxRowTitle)}
	if r.Title != oneLine(label) {
		r.Description = fit(label, maxRowDescription)
	}
	return r
}

// fit makes a label of at most n characters: on one line, cut with "…"
// when longer.
func fit(s string, n int) string {
	s = oneLine(s)
	if units(s) <= n {
		return s
	}
	var b strings.Builder
	u := 0
	for _, r := range s {
		w := runeUnits(r)
		if u+w > n-1 {
			break
		}
		b.WriteRune(r)
		u += w
	}
	return strings.TrimSpace(b.String()) + "…"
}

// oneLine joins a label's lines and runs of spaces into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// splitBody splits a text that goes with choices: body is the end that fits
// an interactive message's body (from a line break on, when one allows),
// head what goes before it as text messages.
func splitBody(text string) (head, body string) {
	text = strings.TrimRight(text, "\n")
	if units(text) <= maxBody {
		return "", text
	}
	lines := strings.SplitAfter(text, "\n")
	tail, pos := 0, len(text)
	for i := len(lines) - 1; i > 0; i-- {
		l := units(lines[i])
		if tail+l > maxBody {
			break
		}
		tail += l
		pos -= len(lines[i])
	}
	if pos < len(text) && strings.TrimSpace(text[pos:]) != "" {
		return text[:pos], text[pos:]
	}
	// The last line alone is too long: cut it at a space.
	return cutTail(text, maxBody)
}

// cutTail splits s so that tail has at most limit UTF-16 units, beginning
// at a word when it can.
func cutTail(s string, limit int) (head, tail string) {
	n, start := 0, len(s)
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:start])
		w := runeUnits(r)
		if n+w > limit {
			break
		}
		n += w
		start -= size
	}
	if start > 0 {
		if i := strings.IndexByte(s[start:], ' '); i >= 0 && strings.TrimSpace(s[start+i+1:]) != "" {
			start += i + 1
		}
	}
	return s[:start], s[start:]
}

// split cuts text into WhatsApp's parts (bot.SplitText; blank parts
// are dropped, WhatsApp refuses an empty text).
func split(text string, limit int) []string { return bot.SplitText(text, limit) }

// units is the length of s in UTF-16 code units.
func units(s string) int { return bot.TextUnits(s) }

func runeUnits(r rune) int {
	if w := utf16.RuneLen(r); w > 0 {
		return w
	}
	return 1 // invalid UTF-8 is sent as U+FFFD
}
