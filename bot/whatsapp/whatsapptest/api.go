package whatsapptest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// read accepts a read receipt.
func (s *Server) read(w http.ResponseWriter, msg map[string]any) {
	id, _ := msg["message_id"].(string)
	if msg["messaging_product"] != "whatsapp" || !strings.HasPrefix(id, "wamid.") {
		invalidParameter(w, "The parameter message_id is required and must be a wamid.")
		return
	}
	if ti, ok := msg["typing_indicator"].(map[string]any); ok && ti["type"] != "text" {
		invalidParameter(w, "typing_indicator.type must be text")
		return
	}
	s.mu.Lock()
	s.reads = append(s.reads, id)
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"success": true})
}

// upload accepts a media upload.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if r.MultipartForm == nil {
		invalidParameter(w, "The request must be multipart/form-data.")
		return
	}
	if r.FormValue("messaging_product") != "whatsapp" {
		invalidParameter(w, "The parameter messaging_product is required.")
		return
	}
	files := r.MultipartForm.File["file"]
	if len(files) != 1 {
		invalidParameter(w, "The parameter file is required.")
		return
	}
	typ := files[0].Header.Get("Content-Type")
	if typ != "image/png" && typ != "image/jpeg" {
		invalidParameter(w, "Param file must be a file with one of the following types: image/jpeg, image/png. Received file of type '"+typ+"'.")
		return
	}
	f, err := files[0].Open()
	if err != nil {
		invalidParameter(w, "cannot read file")
		return
	}
	data, _ := io.ReadAll(f)
	f.Close()
	if len(data) > 5<<20 {
		fail(w, Failure{Status: 400, Code: 131053, Message: "(#131053) Media upload error", Details: "File too big: the maximum for an image is 5 MB."})
		return
	}
	if http.DetectContentType(data) != typ {
		fail(w, Failure{Status: 400, Code: 131053, Message: "(#131053) Media upload error", Details: "The file's content is not of its type " + typ})
		return
	}
	s.mu.Lock()
	id := s.newNumericID()
	s.media[id] = media{data: data, mime: typ}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"id": id})
}

// messageTemplates lists (GET) or creates (POST) templates.
func (s *Server) messageTemplates(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method == http.MethodPost {
		var d struct {
			Name       string          `json:"name"`
			Language   string          `json:"language"`
			Category   string          `json:"category"`
			Components json.RawMessage `json:"components"`
		}
		if json.Unmarshal(body, &d) != nil || d.Name == "" || d.Language == "" || d.Category == "" || len(d.Components) == 0 {
			invalidParameter(w, "name, language, category and components are required")
			return
		}
		s.mu.Lock()
		for _, t := range s.templates {
			if t.name == d.Name && t.lang == d.Language {
				s.mu.Unlock()
				fail(w, Failure{Status: 400, Code: 100, Subcode: 2388024, Message: "Invalid parameter",
					Details: fmt.Sprintf("There is already %s content for this template. You can create a new template and try again.", d.Language)})
				return
			}
		}
		t := &template{id: s.newNumericID(), name: d.Name, lang: d.Language, category: strings.ToUpper(d.Category), status: "PENDING",
			params: bodyParams(d.Components), components: d.Components}
		s.templates = append(s.templates, t)
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"id": t.id, "status": t.status, "category": t.category})
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	from := 0
	if a := r.URL.Query().Get("after"); a != "" {
		n, err := base64.RawURLEncoding.DecodeString(a)
		if err == nil {
			from, _ = strconv.Atoi(string(n))
		}
	}
	s.mu.Lock()
	all := append([]*template(nil), s.templates...)
	s.mu.Unlock()
	sort.SliceStable(all, func(i, j int) bool { return all[i].id < all[j].id })
	var data []map[string]any
	for i := from; i < len(all) && i < from+limit; i++ {
		t := all[i]
		data = append(data, map[string]any{"id": t.id, "name": t.name, "language": t.lang, "status": t.status, "category": t.category})
	}
	page := map[string]any{"data": data}
	if data == nil {
		page["data"] = []any{}
	}
	cursors := map[string]any{"before": base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(from))),
		"after": base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(from + len(data))))}
	paging := map[string]any{"cursors": cursors}
	if from+len(data) < len(all) {
		paging["next"] = s.URL() + "/" + BusinessAccountID + "/message_templates?after=" + cursors["after"].(string)
	}
	page["paging"] = paging
	writeJSON(w, 200, page)
}

// bodyParams counts the {{n}} of a template definition's body.
func bodyParams(components json.RawMessage) int {
	var cs []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(components, &cs) != nil {
		return -1
	}
	for _, c := range cs {
		if strings.EqualFold(c.Type, "BODY") {
			n := 0
			for i := 1; strings.Contains(c.Text, "{{"+strconv.Itoa(i)+"}}"); i++ {
				n = i
			}
			return n
		}
	}
	return 0
}

// postStatuses POSTs the statuses of an accepted message to the webhook.
func (s *Server) postStatuses(url string, client *http.Client, m Message, later *scripted) {
	u := User{}
	if isDigits(m.To) {
		u.Phone = m.To
	} else {
		u.BSUID = m.To
	}
	steps := []StatusEvent{{WAMID: m.ID, Status: "sent", User: u, ToBSUID: u.BSUID != ""}}
	if later != nil {
		steps = append(steps, StatusEvent{WAMID: m.ID, Status: "failed", User: u, ToBSUID: u.BSUID != "", Errors: []Failure{later.f}})
	} else {
		steps = append(steps, StatusEvent{WAMID: m.ID, Status: "delivered", User: u, ToBSUID: u.BSUID != ""})
	}
	for _, st := range steps {
		body := StatusBody(st)
		for try := 0; try < 5; try++ {
			req, err := NewRequest(url, body)
			if err != nil {
				return
			}
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func isDigits(s string) bool {
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
