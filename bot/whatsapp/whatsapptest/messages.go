package whatsapptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"
)

// units counts as the client does: UTF-16 code units.
func units(s string) int { return len(utf16.Encode([]rune(s))) }

// wireMessage is a sent message as the client encodes it.
type wireMessage struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	To               string `json:"to"`
	Recipient        string `json:"recipient"`
	Type             string `json:"type"`
	Text             *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image *struct {
		ID      string `json:"id"`
		Link    string `json:"link"`
		Caption string `json:"caption"`
	} `json:"image"`
	Interactive *struct {
		Type   string `json:"type"`
		Header *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"header"`
		Body *struct {
			Text string `json:"text"`
		} `json:"body"`
		Footer *struct {
			Text string `json:"text"`
		} `json:"footer"`
		Action struct {
			Button  string `json:"button"`
			Buttons []struct {
				Type  string `json:"type"`
				Reply Row    `json:"reply"`
			} `json:"buttons"`
			Sections []struct {
				Title string `json:"title"`
				Rows  []Row  `json:"rows"`
			} `json:"sections"`
		} `json:"action"`
	} `json:"interactive"`
	Template *struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
		Components []struct {
			Type       string `json:"type"`
			SubType    string `json:"sub_type"`
			Index      string `json:"index"`
			Parameters []struct {
				Type    string `json:"type"`
				Text    string `json:"text"`
				Payload string `json:"payload"`
			} `json:"parameters"`
		} `json:"components"`
	} `json:"template"`
}

// message checks and accepts one message.
func (s *Server) message(w http.ResponseWriter, raw []byte, generic map[string]any, later *scripted) {
	var m wireMessage
	if generic == nil || json.Unmarshal(raw, &m) != nil {
		invalidParameter(w, "Request body is not valid JSON")
		return
	}
	if m.MessagingProduct != "whatsapp" {
		invalidParameter(w, "The parameter messaging_product is required.")
		return
	}
	to := m.To
	if to == "" {
		to = m.Recipient
	}
	if to == "" {
		invalidParameter(w, "The parameter to is required.")
		return
	}
	if m.To != "" && strings.ContainsAny(m.To, "+ -") {
		invalidParameter(w, "Invalid WhatsApp ID or phone number: use digits only.")
		return
	}
	out := &Message{To: to, RecipientType: m.RecipientType, Type: m.Type, Raw: append(json.RawMessage(nil), raw...)}
	if problem := s.check(&m, out); problem != "" {
		if strings.HasPrefix(problem, "#100 ") {
			invalidParameter(w, strings.TrimPrefix(problem, "#100 "))
		} else {
			invalid(w, problem)
		}
		return
	}
	if f, ok := s.templateProblem(out); ok {
		fail(w, f)
		return
	}
	s.mu.Lock()
	now := s.now()
	freeForm := m.Type != "template"
	if freeForm && s.window {
		if last, ok := s.wrote[to]; !ok || now.Sub(last) >= 24*time.Hour {
			s.mu.Unlock()
			fail(w, ReEngagement)
			return
		}
	}
	if s.limit > 0 {
		i := 0
		for i < len(s.recent) && now.Sub(s.recent[i]) >= time.Second {
			i++
		}
		s.recent = s.recent[i:]
		if len(s.recent) >= s.limit {
			s.throttled++
			s.mu.Unlock()
			fail(w, Throughput)
			return
		}
		s.recent = append(s.recent, now)
	}
	out.ID, out.At = s.newWAMID(to), now
	s.msgs = append(s.msgs, out)
	notify, hook, client := s.notify, s.hookURL, s.hookClient
	s.mu.Unlock()
	contact := map[string]any{"input": to}
	if m.To != "" && m.RecipientType != "group" {
		contact["wa_id"] = m.To
	} else if m.Recipient != "" {
		contact["user_id"] = m.Recipient
	}
	writeJSON(w, 200, map[string]any{"messaging_product": "whatsapp", "contacts": []any{contact},
		"messages": []any{map[string]any{"id": out.ID, "message_status": "accepted"}}})
	if notify != nil {
		notify(*out)
	}
	if hook != "" {
		s.hooks.Add(1)
		go func() {
			defer s.hooks.Done()
			s.postStatuses(hook, client, *out, later)
		}()
	}
}

// check holds a message to WhatsApp's limits and decodes it into out; it
// returns Meta's details of the first breach ("#100 …" for a malformed
// request), "" when none.
func (s *Server) check(m *wireMessage, out *Message) string {
	switch m.Type {
	case "text":
		if m.Text == nil || strings.TrimSpace(m.Text.Body) == "" {
			return "#100 The parameter text['body'] is required."
		}
		if n := units(m.Text.Body); n > 4096 {
			return fmt.Sprintf("#100 Param text['body'] must be at most 4096 characters long (got %d).", n)
		}
		out.Text = m.Text.Body
	case "image":
		if m.Image == nil || (m.Image.ID == "" && m.Image.Link == "") {
			return "#100 The parameter image['id'] is required."
		}
		if m.Image.Link != "" {
			return "#100 This fake takes uploaded images only: a card must never be a public link."
		}
		s.mu.Lock()
		_, known := s.media[m.Image.ID]
		s.mu.Unlock()
		if !known {
			return "#100 Invalid media id: " + m.Image.ID
		}
		if units(m.Image.Caption) > 1024 {
			return "#100 Param image['caption'] must be at most 1024 characters long."
		}
		out.Image, out.Text = m.Image.ID, m.Image.Caption
	case "interactive":
		return checkInteractive(m, out)
	case "template":
		t := m.Template
		if t == nil || t.Name == "" || t.Language.Code == "" {
			return "#100 The parameter template['name'] and template['language'] are required."
		}
		ot := &Template{Name: t.Name, Lang: t.Language.Code}
		for _, c := range t.Components {
			for _, p := range c.Parameters {
				switch {
				case c.Type == "button" && p.Type == "payload":
					ot.Payloads = append(ot.Payloads, p.Payload)
				case p.Type == "text" && (strings.ContainsAny(p.Text, "\n\t") || strings.Contains(p.Text, "     ")):
					return "#100 Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
				case p.Type == "text" && p.Text == "":
					return "#100 Param text cannot be empty"
				case c.Type == "header":
					ot.Header = append(ot.Header, p.Text)
				case c.Type == "body":
					ot.Body = append(ot.Body, p.Text)
				}
			}
		}
		out.Template = ot
	default:
		return "#100 The parameter type is not one of text, image, interactive, template."
	}
	return ""
}

func checkInteractive(m *wireMessage, out *Message) string {
	in := m.Interactive
	if in == nil {
		return "#100 The parameter interactive is required."
	}
	if in.Body == nil || strings.TrimSpace(in.Body.Text) == "" {
		return "Body text length invalid. Min length: 1, Max length: 1024"
	}
	if units(in.Body.Text) > 1024 {
		return "Body text length invalid. Min length: 1, Max length: 1024"
	}
	if in.Header != nil && units(in.Header.Text) > 60 {
		return "Header text length invalid. Max length: 60"
	}
	if in.Footer != nil && units(in.Footer.Text) > 60 {
		return "Footer text length invalid. Max length: 60"
	}
	oi := &Interactive{Type: in.Type, Body: in.Body.Text, Button: in.Action.Button}
	switch in.Type {
	case "button":
		if n := len(in.Action.Buttons); n < 1 || n > 3 {
			return "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3"
		}
		ids, titles := map[string]bool{}, map[string]bool{}
		for _, b := range in.Action.Buttons {
			if b.Type != "reply" {
				return "#100 Invalid button type: " + b.Type
			}
			if n := units(b.Reply.Title); n < 1 || n > 20 || strings.TrimSpace(b.Reply.Title) == "" {
				return "Button title length invalid. Min length: 1, Max length: 20"
			}
			if n := len(b.Reply.ID); n < 1 || n > 256 {
				return "Button id length invalid. Min length: 1, Max length: 256"
			}
			if ids[b.Reply.ID] {
				return "Duplicate button id: " + b.Reply.ID
			}
			if titles[b.Reply.Title] {
				return "Button title is not unique: " + b.Reply.Title
			}
			ids[b.Reply.ID], titles[b.Reply.Title] = true, true
			oi.Buttons = append(oi.Buttons, b.Reply)
		}
	case "list":
		if n := units(in.Action.Button); n < 1 || n > 20 || strings.TrimSpace(in.Action.Button) == "" {
			return "Button label length invalid. Min length: 1, Max length: 20"
		}
		secs := in.Action.Sections
		if len(secs) < 1 || len(secs) > 10 {
			return "Invalid sections count. Min allowed sections: 1, Max allowed sections: 10"
		}
		ids := map[string]bool{}
		for _, sec := range secs {
			if len(secs) > 1 && strings.TrimSpace(sec.Title) == "" {
				return "Section title is required when there is more than one section"
			}
			if units(sec.Title) > 24 {
				return "Section title length invalid. Max length: 24"
			}
			if len(sec.Rows) == 0 {
				return "Invalid rows count in a section. Min allowed rows: 1"
			}
			for _, r := range sec.Rows {
				if n := units(r.Title); n < 1 || n > 24 || strings.TrimSpace(r.Title) == "" {
					return "Row title length invalid. Min length: 1, Max length: 24"
				}
				if units(r.Description) > 72 {
					return "Row description length invalid. Max length: 72"
				}
				if n := len(r.ID); n < 1 || n > 200 {
					return "Row id length invalid. Min length: 1, Max length: 200"
				}
				if ids[r.ID] {
					return "Duplicate row id: " + r.ID
				}
				ids[r.ID] = true
				oi.Rows = append(oi.Rows, r)
			}
		}
		if len(oi.Rows) > 10 {
			return fmt.Sprintf("Total row count exceed max allowed count: 10 (got %d)", len(oi.Rows))
		}
		oi.Sections = len(secs)
	default:
		return "#100 Unsupported interactive type: " + in.Type
	}
	out.Text, out.Interactive = in.Body.Text, oi
	return ""
}

// templateProblem checks a template message against the registered ones.
func (s *Server) templateProblem(m *Message) (Failure, bool) {
	if m.Template == nil {
		return Failure{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.templates) == 0 {
		return Failure{}, false
	}
	for _, t := range s.templates {
		if t.name != m.Template.Name || t.lang != m.Template.Lang {
			continue
		}
		switch {
		case t.status == "PAUSED":
			return TemplatePaused, true
		case t.status == "DISABLED":
			return Failure{Status: 400, Code: 132016, Message: "(#132016) Template is disabled", Details: "Template has been paused too many times due to low quality and is now permanently disabled."}, true
		case t.status != "APPROVED":
			return Failure{Status: 400, Code: 132001, Message: "(#132001) Template name does not exist in the translation",
				Details: fmt.Sprintf("template name (%s) does not exist in %s (status %s)", t.name, t.lang, t.status)}, true
		case t.params >= 0 && t.params != len(m.Template.Body):
			f := TemplateParams
			f.Details = fmt.Sprintf("body: number of localizable_params (%d) does not match the expected number of params (%d)", len(m.Template.Body), t.params)
			return f, true
		}
		return Failure{}, false
	}
	f := TemplateMissing
	f.Details = fmt.Sprintf("template name (%s) does not exist in %s", m.Template.Name, m.Template.Lang)
	return f, true
}
