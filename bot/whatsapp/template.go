package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lindungi/lindungi/bot"
)

// Template is an approved message template with its parameters: the only
// message that reaches a user outside the 24-hour window.
type Template struct {
	Name   string   // "iuran_jatuh_tempo"
	Lang   string   // the template's language code: "id", "en"
	Header []string // the header's text parameters, if it has any
	Body   []string // the body's parameters, {{1}}, {{2}}, … in order
	// Payloads are the quick-reply buttons' payloads, by button index: a
	// tap comes back as a choice with that data ("bayar:LD2611-7K3M9Q").
	Payloads []string
}

// The wire format of a template message.
type (
	outTemplate struct {
		Name       string         `json:"name"`
		Language   outLanguage    `json:"language"`
		Components []outComponent `json:"components,omitempty"`
	}
	outLanguage struct {
		Code string `json:"code"`
	}
	outComponent struct {
		Type       string     `json:"type"`
		SubType    string     `json:"sub_type,omitempty"`
		Index      string     `json:"index,omitempty"`
		Parameters []outParam `json:"parameters"`
	}
	outParam struct {
		Type    string `json:"type"`
		Text    string `json:"text,omitempty"`
		Payload string `json:"payload,omitempty"`
	}
)

// SendTemplate sends the template name in language lang with params as its
// body's parameters, and returns the message's wamid.
func (c *Client) SendTemplate(ctx context.Context, to, name, lang string, params []string) (string, error) {
	return c.SendTemplateMessage(ctx, to, Template{Name: name, Lang: lang, Body: params})
}

// SendTemplateMessage sends a template with header, body and button
// parameters. A parameter's line breaks and tabs become spaces, and runs of
// spaces one (WhatsApp refuses them in parameters); an empty one becomes
// "-" (refused too).
func (c *Client) SendTemplateMessage(ctx context.Context, to string, t Template) (string, error) {
	if t.Name == "" || t.Lang == "" {
		return "", &bot.SendError{Kind: bot.Permanent, Err: errors.New("whatsapp: a template needs a name and a language")}
	}
	ot := &outTemplate{Name: t.Name, Language: outLanguage{Code: t.Lang}}
	texts := func(kind string, params []string) {
		if len(params) == 0 {
			return
		}
		comp := outComponent{Type: kind}
		for _, p := range params {
			comp.Parameters = append(comp.Parameters, outParam{Type: "text", Text: templateParam(p)})
		}
		ot.Components = append(ot.Components, comp)
	}
	texts("header", t.Header)
	texts("body", t.Body)
	for i, p := range t.Payloads {
		ot.Components = append(ot.Components, outComponent{Type: "button", SubType: "quick_reply", Index: strconv.Itoa(i),
			Parameters: []outParam{{Type: "payload", Payload: p}}})
	}
	m := outMessage{Type: "template", Template: ot}
	address(&m, to)
	id, err := c.sendMessage(ctx, m)
	if err != nil {
		return "", classify(fmt.Errorf("whatsapp: send template %s (%s) to %s: %w", t.Name, t.Lang, who(to), err))
	}
	return id, nil
}

// templateParam makes a text WhatsApp takes as a template parameter.
func templateParam(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	return s
}

// TemplateDef is a template as the Graph API's message_templates takes it
// (POST /{waba-id}/message_templates).
type TemplateDef struct {
	Name       string              `json:"name"`
	Language   string              `json:"language"`
	Category   string              `json:"category"` // "UTILITY", "MARKETING", "AUTHENTICATION"
	Components []TemplateComponent `json:"components"`
}

// TemplateComponent is a template's header, body, footer or buttons.
type TemplateComponent struct {
	Type    string           `json:"type"`             // "HEADER", "BODY", "FOOTER", "BUTTONS"
	Format  string           `json:"format,omitempty"` // a header's: "TEXT"
	Text    string           `json:"text,omitempty"`   // with {{1}}, {{2}}, …
	Example *TemplateExample `json:"example,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
}

// TemplateExample gives example values for the parameters (Meta's review
// requires them).
type TemplateExample struct {
	HeaderText []string   `json:"header_text,omitempty"`
	BodyText   [][]string `json:"body_text,omitempty"`
}

// TemplateButton is one of a template's buttons.
type TemplateButton struct {
	Type string `json:"type"` // "QUICK_REPLY", "URL", "PHONE_NUMBER"
	Text string `json:"text"` // at most 25 characters (Meta: 20 in some places: keep to 20)
	URL  string `json:"url,omitempty"`
}

// TemplateInfo is a template as Meta has it: its approval status.
type TemplateInfo struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Language       string `json:"language"`
	Status         string `json:"status"` // "APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"
	Category       string `json:"category"`
	RejectedReason string `json:"rejected_reason,omitempty"`
}

// SubmitTemplate submits a template for Meta's review
// (POST /{waba-id}/message_templates); the answer has its id and status.
func (c *Client) SubmitTemplate(ctx context.Context, d TemplateDef) (TemplateInfo, error) {
	if c.wabaID == "" {
		return TemplateInfo{}, errors.New("whatsapp: submitting templates needs the business account id")
	}
	var ans TemplateInfo
	if err := c.postJSON(ctx, "message_templates", "/"+c.wabaID+"/message_templates", d, &ans); err != nil {
		return TemplateInfo{}, fmt.Errorf("whatsapp: submit template %s (%s): %w", d.Name, d.Language, err)
	}
	ans.Name, ans.Language = d.Name, d.Language
	if ans.Category == "" {
		ans.Category = d.Category
	}
	return ans, nil
}

// Templates lists the business account's templates and their status,
// following the pages of GET /{waba-id}/message_templates.
func (c *Client) Templates(ctx context.Context) ([]TemplateInfo, error) {
	if c.wabaID == "" {
		return nil, errors.New("whatsapp: reading templates needs the business account id")
	}
	var out []TemplateInfo
	after := ""
	for range 100 { // 10,000 templates: far beyond Meta's limit per account
		q := url.Values{"fields": {"id,name,language,status,category,rejected_reason"}, "limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Data   []TemplateInfo `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		u := c.api + "/" + c.wabaID + "/message_templates?" + q.Encode()
		if err := c.call(ctx, "message_templates", http.MethodGet, u, "", nil, &page); err != nil {
			return nil, fmt.Errorf("whatsapp: list templates: %w", err)
		}
		out = append(out, page.Data...)
		if page.Paging.Next == "" || page.Paging.Cursors.After == "" || page.Paging.Cursors.After == after {
			return out, nil
		}
		after = page.Paging.Cursors.After
	}
	return out, nil
}
