package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/markup"
)

// BroadcastStore is what the Siaran pages read.
type BroadcastStore interface {
	// StaffBroadcasts lists broadcasts, newest first, limit of them older
	// than before (0: the newest).
	StaffBroadcasts(ctx context.Context, before int64, limit int) ([]flows.BroadcastProgress, error)
	// BroadcastProgressOf counts a broadcast's recipients; flows.ErrNotFound.
	BroadcastProgressOf(ctx context.Context, id int64) (flows.BroadcastProgress, error)
	// BroadcastDraftOf is a broadcast's segment, text and button; flows.ErrNotFound.
	BroadcastDraftOf(ctx context.Context, id int64) (flows.BroadcastDraft, error)
}

// Broadcaster composes and steers broadcasts (flows.Engine).
type Broadcaster interface {
	PreviewBroadcast(ctx context.Context, actor, lang string, d flows.BroadcastDraft) (flows.BroadcastPreview, error)
	SendBroadcast(ctx context.Context, actor string, d flows.BroadcastDraft) (int64, error)
	SetBroadcastStatus(ctx context.Context, actor string, id int64, status string) (flows.BroadcastProgress, error)
	SegmentFilters(lang string, s flows.Segment) []flows.SegmentFilter
	SegmentSummary(lang string, s flows.Segment) string
}

// broadcastPage is how many broadcasts the list shows at a time.
const broadcastPage = 20

// progressEvery is how often a broadcast's live page is told its counts.
const progressEvery = time.Second

func (s *server) broadcastRoutes(mux *routes) {
	mux.Handle("GET /admin/siaran", s.auth(wholeProvince, s.broadcasts))
	mux.Handle("GET /admin/siaran/baru", s.auth(adminOnly, s.composeBroadcast))
	mux.Handle("POST /admin/siaran/baru", s.auth(adminOnly, s.postBroadcast))
	mux.Handle("POST /admin/siaran/pratinjau", s.auth(adminOnly, s.previewBroadcast))
	mux.Handle("GET /admin/siaran/{id}", s.auth(wholeProvince, s.broadcast))
	mux.Handle("GET /admin/siaran/{id}/events", s.auth(wholeProvince, s.broadcastEvents))
	mux.Handle("POST /admin/siaran/{id}/status", s.auth(adminOnly, s.steerBroadcast))
}

func (s *server) broadcasts(w http.ResponseWriter, r *http.Request, v viewer) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("sebelum"), 10, 64)
	list, err := s.Store.StaffBroadcasts(r.Context(), before, broadcastPage+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var older int64
	if len(list) > broadcastPage {
		list = list[:broadcastPage]
		older = list[len(list)-1].ID
	}
	s.page(w, r, http.StatusOK, "broadcasts", v, map[string]any{"List": list, "Older": older})
}

// draftForm is the composer's form as it was filled in.
type draftForm struct {
	Draft  flows.BroadcastDraft
	Agents bool
	When   string // "sekarang" or "nanti"
	At     string // datetime-local value
}

// readDraft reads the composer's form; a value the page never offers, or
// a time that cannot be read, is an error.
func (s *server) readDraft(r *http.Request) (draftForm, error) {
	if err := r.ParseForm(); err != nil {
		return draftForm{}, err
	}
	f := r.Form
	seg := flows.Segment{Regencies: f["reg"], Districts: f["dist"], Standings: f["st"], Occupations: f["oc"], JHT: f.Get("jht"),
		Payers: f["pay"], Channels: f["ch"], AgentsOnly: f.Get("siapa") == "agen", DueDays: 7}
	if d := f.Get("hari"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			return draftForm{}, fmt.Errorf("hari %q: %w", d, err)
		}
		seg.DueDays = n
	}
	// A kecamatan narrows its kabupaten/kota, as in the chat's composer.
	for _, d := range seg.Districts {
		if reg := parentOf(d); !slices.Contains(seg.Regencies, reg) {
			seg.Regencies = append(seg.Regencies, reg)
		}
	}
	if seg.AgentsOnly { // the worker filters do not apply to agents
		seg.Standings, seg.Occupations, seg.JHT, seg.Payers = nil, nil, "", nil
	}
	df := draftForm{Draft: flows.BroadcastDraft{Segment: seg, Text: strings.ReplaceAll(f.Get("teks"), "\r\n", "\n"), Button: f.Get("tombol"),
		Key: f.Get("kunci")}, Agents: seg.AgentsOnly, When: f.Get("kapan"), At: f.Get("waktu")}
	if len(df.Draft.Key) > 64 {
		return draftForm{}, fmt.Errorf("kunci of %d bytes", len(df.Draft.Key))
	}
	if df.Draft.Key == "" { // a new form: its key, kept by its previews
		k, err := newSecret()
		if err != nil {
			return draftForm{}, err
		}
		df.Draft.Key = k
	}
	if df.When == "nanti" {
		at, err := time.ParseInLocation("2006-01-02T15:04", df.At, s.Location)
		if err != nil {
			// The page says what to give; the zero time would send now.
			df.Draft.At = time.Unix(0, 0)
		} else {
			df.Draft.At = at
		}
	}
	return df, nil
}

// parentOf is the code a region's code belongs to: 61.71.05 → 61.71.
func parentOf(code string) string {
	if i := strings.LastIndexByte(code, '.'); i > 0 {
		return code[:i]
	}
	return code
}

// composer is what the composer page shows of a draft.
func (s *server) composer(ctx context.Context, v viewer, df draftForm) (map[string]any, error) {
	p, err := s.Broadcasts.PreviewBroadcast(ctx, v.Actor, v.Lang, df.Draft)
	if err != nil {
		return nil, err
	}
	filters := s.Broadcasts.SegmentFilters(v.Lang, df.Draft.Segment)
	districts := map[string][]flows.SegmentOption{}
	if s.Regions != nil {
		for _, f := range filters {
			if f.Name != "reg" {
				continue
			}
			for _, o := range f.Options {
				for _, d := range s.Regions.Children(o.Value) {
					districts[o.Value] = append(districts[o.Value], flows.SegmentOption{Value: d.Code, Label: d.Name})
				}
			}
		}
	}
	return map[string]any{"F": df, "P": renderPreview(p), "Filters": filters, "Districts": districts,
		"Summary": s.Broadcasts.SegmentSummary(v.Lang, df.Draft.Segment)}, nil
}

// channelView is a channel's preview as the page draws it.
type channelView struct {
	flows.ChannelPreview
	HTML template.HTML // the text as the channel renders it
}

type previewView struct {
	flows.BroadcastPreview
	Views []channelView
}

// renderPreview renders each channel's text as it shows it: Telegram and
// WhatsApp turn *bold* and _italic_ into type, the web chat shows the
// marks as typed.
func renderPreview(p flows.BroadcastPreview) previewView {
	out := previewView{BroadcastPreview: p}
	for _, c := range p.Channels {
		var h string
		switch c.Channel {
		case "telegram", "whatsapp":
			h = markup.HTML(c.Text)
		default:
			h = template.HTMLEscapeString(c.Text)
		}
		out.Views = append(out.Views, channelView{ChannelPreview: c, HTML: template.HTML(h)}) //nolint:gosec // escaped above
	}
	return out
}

func (s *server) composeBroadcast(w http.ResponseWriter, r *http.Request, v viewer) {
	df, err := s.readDraft(r)
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if df.When == "" {
		df.When = "sekarang"
	}
	s.showComposer(w, r, v, df, http.StatusOK, "")
}

func (s *server) showComposer(w http.ResponseWriter, r *http.Request, v viewer, df draftForm, status int, problem string) {
	data, err := s.composer(r.Context(), v, df)
	if errors.Is(err, flows.ErrRefused) {
		http.Error(w, "a filter value this page does not offer", http.StatusBadRequest)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data["Problem"] = problem
	s.page(w, r, status, "broadcast_new", v, data)
}

// postBroadcast refreshes the composer's count and preview, or sends.
func (s *server) postBroadcast(w http.ResponseWriter, r *http.Request, v viewer) {
	df, err := s.readDraft(r)
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if r.PostFormValue("do") != "kirim" {
		s.showComposer(w, r, v, df, http.StatusOK, "")
		return
	}
	id, err := s.Broadcasts.SendBroadcast(r.Context(), v.Actor, df.Draft)
	var refused *flows.RefusedError
	if errors.As(err, &refused) {
		s.showComposer(w, r, v, df, http.StatusUnprocessableEntity, refused.Key)
		return
	}
	if errors.Is(err, flows.ErrRefused) {
		http.Error(w, "a filter value this page does not offer", http.StatusBadRequest)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/siaran/%d?baru=1", id), http.StatusSeeOther)
}

// previewBroadcast is the composer's count and preview alone, for the
// page's script to redraw them as the form changes.
func (s *server) previewBroadcast(w http.ResponseWriter, r *http.Request, v viewer) {
	df, err := s.readDraft(r)
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	data, err := s.composer(r.Context(), v, df)
	if errors.Is(err, flows.ErrRefused) {
		http.Error(w, "a filter value this page does not offer", http.StatusBadRequest)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := s.pages["broadcast_new"].ExecuteTemplate(&buf, "preview", view{V: v, D: data}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes()) //nolint:errcheck
}

// broadcastOf reads the {id} of a path; false after answering 404.
func (s *server) broadcastOf(w http.ResponseWriter, r *http.Request, v viewer) (flows.BroadcastProgress, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.page(w, r, http.StatusNotFound, "error", v, map[string]any{"Message": s.T(v, "dasbor.err.not_found", nil)})
		return flows.BroadcastProgress{}, false
	}
	p, err := s.Store.BroadcastProgressOf(r.Context(), id)
	if errors.Is(err, flows.ErrNotFound) {
		s.page(w, r, http.StatusNotFound, "error", v, map[string]any{"Message": s.T(v, "dasbor.err.not_found", nil)})
		return p, false
	}
	if err != nil {
		s.fail(w, r, err)
		return p, false
	}
	return p, true
}

func (s *server) broadcast(w http.ResponseWriter, r *http.Request, v viewer) {
	p, ok := s.broadcastOf(w, r, v)
	if !ok {
		return
	}
	d, err := s.Store.BroadcastDraftOf(r.Context(), p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "broadcast", v, map[string]any{"P": p, "Live": s.progressFields(v, p), "Draft": d,
		"Summary": s.Broadcasts.SegmentSummary(v.Lang, d.Segment), "New": r.URL.Query().Get("baru") != "",
		"Note": r.URL.Query().Get("ok")})
}

// segmentHas reports whether a segment's filter (a SegmentFilter name, or
// "dist") holds a value; the composer's boxes are ticked by it.
func segmentHas(s flows.Segment, dim, value string) bool {
	list := map[string][]string{"reg": s.Regencies, "dist": s.Districts, "st": s.Standings, "oc": s.Occupations, "pay": s.Payers,
		"ch": s.Channels}[dim]
	return slices.Contains(list, value)
}

// ended reports whether a broadcast will not change any more.
func ended(status string) bool {
	return status == flows.BroadcastDone || status == flows.BroadcastCancelled
}

// progressFields are a broadcast's counts as the live page shows them,
// by the data-f name of the element that holds each.
func (s *server) progressFields(v viewer, p flows.BroadcastProgress) map[string]string {
	n := func(x int) string { return locales.Number(v.Lang, int64(x)) }
	pct := "0%"
	if p.Total > 0 {
		pct = locales.Decimal(v.Lang, 100*float64(p.Done())/float64(p.Total), 0) + "%"
	}
	return map[string]string{"total": n(p.Total), "queued": n(p.Queued), "sent": n(p.Sent), "delivered": n(p.Delivered),
		"read": n(p.Read), "failed": n(p.Failed), "blocked": n(p.Blocked), "opted_out": n(p.OptedOut), "unknown": n(p.Unknown),
		"done": n(p.Done()), "percent": pct, "status": s.T(v, "dasbor.bc.st."+p.Status, nil)}
}

// sessionCheckEvery is how many progress ticks a stream waits before it
// asks again whether its session and role still allow it.
const sessionCheckEvery = 30

// stillAllowed reports whether v's session is still live and their role
// still sees broadcasts.
func (s *server) stillAllowed(ctx context.Context, v viewer) bool {
	if _, err := s.Store.StaffSession(ctx, v.hash, SessionIdle, SessionMost); err != nil {
		return false
	}
	role, _, err := RoleOf(ctx, s.Store, s.Admins, v.Actor)
	return err == nil && wholeProvince(role)
}

// progressEvent is one server-sent event of a broadcast's live page.
type progressEvent struct {
	Fields map[string]string `json:"f"`
	Status string            `json:"status"`
	Done   int               `json:"done"`
	Total  int               `json:"total"`
	End    bool              `json:"end"`
}

// broadcastEvents streams a broadcast's counts (server-sent events) while
// they change: one event at once, then one whenever they do, until it ends
// (or the page is closed).
func (s *server) broadcastEvents(w http.ResponseWriter, r *http.Request, v viewer) {
	p, ok := s.broadcastOf(w, r, v)
	if !ok {
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) //nolint:errcheck // a server WriteTimeout must not cut the stream
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var last string
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	idle, checks := 0, 0
	for {
		ev := progressEvent{Fields: s.progressFields(v, p), Status: p.Status, Done: p.Done(), Total: p.Total, End: ended(p.Status)}
		b, err := json.Marshal(ev)
		if err != nil {
			s.Log.Error("dashboard: progress event", "err", err)
			return
		}
		switch {
		case string(b) != last:
			fmt.Fprintf(w, "event: progress\ndata: %s\n\n", b)
			last, idle = string(b), 0
		case idle >= 15: // a comment now and then keeps proxies from closing it
			fmt.Fprint(w, ": -\n\n")
			idle = 0
		default:
			idle++
		}
		if err := rc.Flush(); err != nil || ev.End {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		if checks++; checks%sessionCheckEvery == 0 && !s.stillAllowed(r.Context(), v) {
			return // signed out, expired, or the role taken away meanwhile
		}
		if p, err = s.Store.BroadcastProgressOf(r.Context(), p.ID); err != nil {
			if r.Context().Err() == nil {
				s.Log.Error("dashboard: progress", "id", p.ID, "err", err)
			}
			return
		}
	}
}

// steerBroadcast pauses, resumes or cancels a broadcast.
func (s *server) steerBroadcast(w http.ResponseWriter, r *http.Request, v viewer) {
	p, ok := s.broadcastOf(w, r, v)
	if !ok {
		return
	}
	status := map[string]string{"jeda": flows.BroadcastPaused, "lanjut": flows.BroadcastRunning, "batal": flows.BroadcastCancelled}[r.PostFormValue("action")]
	if status == "" {
		http.Error(w, "want jeda, lanjut or batal", http.StatusBadRequest)
		return
	}
	_, err := s.Broadcasts.SetBroadcastStatus(r.Context(), v.Actor, p.ID, status)
	if errors.Is(err, flows.ErrNotFound) {
		s.page(w, r, http.StatusConflict, "error", v, map[string]any{"Message": s.T(v, "dasbor.bc.err.status", map[string]any{"ID": p.ID}),
			"Back": fmt.Sprintf("/admin/siaran/%d", p.ID)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/siaran/%d?ok=%s", p.ID, status), http.StatusSeeOther)
}
