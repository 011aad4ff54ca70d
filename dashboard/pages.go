package dashboard

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/peta"
)

// perPage is how many registrations a page of the search lists.
const perPage = 50

// parse reads every page's template with the layout.
func (s *server) parse() error {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return err
	}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(s.funcs()).ParseFS(files, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("dashboard template %s: %w", n, err)
		}
		s.pages[base] = t
	}
	return nil
}

// view is what a page's template gets.
type view struct {
	V     viewer
	Nav   string
	Path  string
	Langs []string
	D     map[string]any
}

func (s *server) funcs() template.FuncMap {
	return template.FuncMap{
		"t": func(v viewer, key string, kv ...any) string {
			data := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				data[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return s.Catalog.T(v.Lang, key, data)
		},
		"num":    func(v viewer, n any) string { return locales.Number(v.Lang, toInt64(n)) },
		"rupiah": locales.Rupiah,
		"pct": func(v viewer, part, whole int64) string {
			if whole == 0 {
				return "–"
			}
			return locales.Decimal(v.Lang, 100*float64(part)/float64(whole), 1) + "%"
		},
		"date": func(v viewer, t time.Time) string { return s.Catalog.Date(v.Lang, t.In(s.Location)) },
		"datep": func(v viewer, t *time.Time) string {
			if t == nil {
				return "–"
			}
			return s.Catalog.Date(v.Lang, t.In(s.Location))
		},
		"when":       func(t time.Time) string { return t.In(s.Location).Format("2006-01-02 15:04") },
		"region":     s.regionName,
		"mask":       maskName,
		"maskDigits": maskDigits,
		"svg":        func(c chart) template.HTML { return c.render() },
		"list":       func(xs ...string) []string { return xs },
		"has":        segmentHas,
		// action is an audit action in plain words, where there are some.
		"action": func(v viewer, a string) string {
			key := "dasbor.action." + strings.ReplaceAll(a, ":", ".")
			if s.Catalog.Has(v.Lang, key) {
				return s.Catalog.T(v.Lang, key, nil)
			}
			return a
		},
		// occupation is an occupation's name; one typed in is as typed.
		"occupation": func(v viewer, o string) string {
			if key := "occupation." + o; s.Catalog.Has(v.Lang, key) {
				return s.Catalog.T(v.Lang, key, nil)
			}
			return o
		},
		"ended": ended,
		"excerpt": func(s string, n int) string {
			r := []rune(strings.Join(strings.Fields(s), " "))
			if len(r) <= n {
				return string(r)
			}
			return string(r[:n]) + "…"
		},
	}
}

// toInt64 is a template's integer as int64 (counts come as int or int64).
func toInt64(n any) int64 {
	switch x := n.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	}
	panic(fmt.Sprintf("num: %T is not an integer", n))
}

// regionName is a region's name with its code ("" for none given).
func (s *server) regionName(code string) string {
	if code == "" {
		return "–"
	}
	if s.Regions != nil {
		if r, ok := s.Regions.Get(code); ok {
			return r.Name
		}
	}
	return code
}

// registrationHeader heads a CSV of registrations (Pendaftar, Ekspor).
var registrationHeader = []string{"ref", "nama", "nik", "hp", "kabupaten_kota", "kecamatan", "desa_kelurahan", "pekerjaan", "status", "sumber",
	"agen", "batch", "iuran_bulanan", "jht", "kpj", "terlindungi_sampai", "terdaftar"}

// registrationRecord is one registration as a CSV row, as v may see it:
// the NIK as given, the phone masked, for staf the name and KPJ masked.
func (s *server) registrationRecord(v viewer, x Registration, nik string) []string {
	name, kpj := x.Name, x.KPJ
	if v.Masked() {
		name, kpj = maskName(name), maskDigits(kpj)
	}
	agent, batch, covered := "", "", ""
	if x.AgentID != nil {
		agent = strconv.FormatInt(*x.AgentID, 10)
	}
	if x.BatchID != nil {
		batch = strconv.FormatInt(*x.BatchID, 10)
	}
	if x.CoveredTo != nil {
		covered = x.CoveredTo.Format(time.DateOnly)
	}
	return []string{x.Ref, safeCell(name), nik, x.Phone, s.regionName(x.Regency), s.regionName(x.District), s.regionName(x.Village),
		safeCell(x.Occupation), x.Standing, x.Source, agent, batch, strconv.FormatInt(x.Monthly, 10), strconv.FormatBool(x.JHT), kpj, covered,
		x.CreatedAt.In(s.Location).Format(time.DateOnly)}
}

// maskDigits keeps a number's last four digits: 23011234567 → •••••••4567.
func maskDigits(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("•", len(r))
	}
	return strings.Repeat("•", len(r)-4) + string(r[len(r)-4:])
}

// maskName keeps a name's initials: "Siti Rahayu" → "S*** R*****".
func maskName(name string) string {
	var out []string
	for _, w := range strings.Fields(name) {
		r := []rune(w)
		out = append(out, string(r[0])+strings.Repeat("*", len(r)-1))
	}
	return strings.Join(out, " ")
}

// page renders a page; a template error after the header is only logged.
func (s *server) page(w http.ResponseWriter, r *http.Request, status int, name string, v viewer, data map[string]any) {
	t := s.pages[name]
	if t == nil {
		s.fail(w, r, fmt.Errorf("no page %q", name))
		return
	}
	nav, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/admin/"), "/")
	back := r.URL.Path
	if r.Method != http.MethodGet {
		back = "/admin/"
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, view{V: v, Nav: nav, Path: back, Langs: s.Catalog.Langs(), D: data}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck
}

// today is the day in the deployment's zone.
func (s *server) today() time.Time {
	y, m, d := s.Now().In(s.Location).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, s.Location)
}

func (s *server) overview(w http.ResponseWriter, r *http.Request, v viewer) {
	o, err := s.Store.Overview(r.Context(), v.Scope, s.today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sortAreas(o.Regencies, r.URL.Query().Get("urut"))
	sortAreas(o.Districts, r.URL.Query().Get("urut"))
	var regs, pays []point
	for _, d := range o.Days {
		label := s.Catalog.Date(v.Lang, d.Day)
		regs = append(regs, point{Label: label, Value: d.Registrations, Text: locales.Number(v.Lang, d.Registrations)})
		pays = append(pays, point{Label: label, Value: d.Amount, Text: locales.Rupiah(d.Amount)})
	}
	var sumRegs, sumPays, sumAmount int64
	for _, d := range o.Days {
		sumRegs, sumPays, sumAmount = sumRegs+d.Registrations, sumPays+d.Payments, sumAmount+d.Amount
	}
	s.page(w, r, http.StatusOK, "overview", v, map[string]any{
		"O": o, "Sort": r.URL.Query().Get("urut"),
		"RegChart": chart{Title: s.T(v, "dasbor.chart.registrations", nil), Peak: s.T(v, "dasbor.chart.peak", nil), Points: regs},
		"PayChart": chart{Title: s.T(v, "dasbor.chart.payments", nil), Peak: s.T(v, "dasbor.chart.peak", nil), Points: pays},
		"SumRegs":  sumRegs, "SumPays": sumPays, "SumAmount": sumAmount,
		"Areas": map[string][]Area{"regencies": o.Regencies, "districts": o.Districts},
		"Map":   s.coverageMap(v, o.Regencies),
	})
}

// mapView is the overview's map: the drawing, its legend and its source.
type mapView struct {
	SVG             template.HTML
	Legend          []legendItem
	Source, License string
}

type legendItem struct{ Class, Label string }

// mapShades are the share-protected steps of the map's colours: m1 under
// 20%, m2 under 40%… m5 from 80%; m0 is no registration.
var mapShades = []float64{0.2, 0.4, 0.6, 0.8}

// coverageMap colours each kabupaten/kota of the province by the share of
// its registrations protected today; nil when no map is shipped.
func (s *server) coverageMap(v viewer, regencies []Area) *mapView {
	if s.peta == nil {
		return nil
	}
	by := map[string]Area{}
	for _, a := range regencies {
		by[a.Code] = a
	}
	svg := s.peta.SVG(s.T(v, "dasbor.map.title", nil), func(code string) peta.Fill {
		a := by[code]
		name := s.regionName(code)
		if a.Registered == 0 {
			return peta.Fill{Class: "m0", Title: s.T(v, "dasbor.map.empty", map[string]any{"Name": name})}
		}
		share := float64(a.Active) / float64(a.Registered)
		class := fmt.Sprintf("m%d", len(mapShades)+1)
		for i, edge := range mapShades {
			if share < edge {
				class = fmt.Sprintf("m%d", i+1)
				break
			}
		}
		return peta.Fill{Class: class, Link: "/admin/pendaftar?wilayah=" + code,
			Title: s.T(v, "dasbor.map.region", map[string]any{"Name": name, "Active": locales.Number(v.Lang, a.Active),
				"Registered": locales.Number(v.Lang, a.Registered), "Share": locales.Decimal(v.Lang, 100*share, 1) + "%"})}
	})
	legend := []legendItem{{"m0", s.T(v, "dasbor.map.legend_none", nil)}}
	from := 0
	for i, to := range append(slices.Clone(mapShades), 1) {
		legend = append(legend, legendItem{fmt.Sprintf("m%d", i+1), s.T(v, "dasbor.map.legend", map[string]any{"From": from, "To": int(to * 100)})})
		from = int(to * 100)
	}
	return &mapView{SVG: svg, Legend: legend, Source: s.peta.Source, License: s.peta.License}
}

// sortAreas orders a coverage table as its header link asks: by name
// (code), registrations, protected, or share protected.
func sortAreas(a []Area, by string) {
	switch by {
	case "kode":
		slices.SortStableFunc(a, func(x, y Area) int { return strings.Compare(x.Code, y.Code) })
	case "aktif":
		slices.SortStableFunc(a, func(x, y Area) int { return int(y.Active - x.Active) })
	case "persen":
		share := func(x Area) float64 {
			if x.Registered == 0 {
				return 0
			}
			return float64(x.Active) / float64(x.Registered)
		}
		slices.SortStableFunc(a, func(x, y Area) int {
			switch {
			case share(x) > share(y):
				return -1
			case share(x) < share(y):
				return 1
			}
			return 0
		})
	}
}

// query reads the search form.
func query(r *http.Request) Query {
	f := r.URL.Query()
	q := Query{Text: strings.TrimSpace(f.Get("q")), Village: strings.TrimSpace(f.Get("wilayah")), Status: f.Get("status"),
		Source: f.Get("sumber"), PerPage: perPage}
	q.Agent, _ = strconv.ParseInt(f.Get("agen"), 10, 64)
	q.Batch, _ = strconv.ParseInt(f.Get("batch"), 10, 64)
	q.Page, _ = strconv.Atoi(f.Get("hal"))
	if q.Page < 1 {
		q.Page = 1
	}
	return q
}

func (s *server) registrations(w http.ResponseWriter, r *http.Request, v viewer) {
	q := query(r)
	rows, total, err := s.Store.Registrations(r.Context(), v.Scope, q, s.today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:search", "registrations", fmt.Sprintf("matches=%d shown=%d", total, len(rows))); err != nil {
		s.fail(w, r, err)
		return
	}
	pages := max(1, (total+perPage-1)/perPage)
	link := func(page int) string {
		f := r.URL.Query()
		f.Set("hal", strconv.Itoa(page))
		return "/admin/pendaftar?" + f.Encode()
	}
	data := map[string]any{"Rows": rows, "Total": int64(total), "Q": q, "Page": q.Page, "Pages": pages,
		"Standings": []string{flows.StandingAwaiting, flows.StandingActive, flows.StandingArrears, flows.StandingEnded},
		"Sources":   []string{"telegram", "whatsapp", "web", "agent", "import"}, "CSV": "/admin/pendaftar.csv?" + r.URL.RawQuery}
	if q.Page > 1 {
		data["Prev"] = link(q.Page - 1)
	}
	if q.Page < pages {
		data["Next"] = link(q.Page + 1)
	}
	s.page(w, r, http.StatusOK, "registrations", v, data)
}

func (s *server) record(w http.ResponseWriter, r *http.Request, v viewer) {
	s.showRecord(w, r, v, "", "")
}

// showRecord renders a registration's page, audited as a view; nikShown
// is the NIK revealed by this request, note a message above it.
func (s *server) showRecord(w http.ResponseWriter, r *http.Request, v viewer, nikShown, note string) {
	ref := r.PathValue("ref")
	rec, err := s.Store.Record(r.Context(), v.Scope, ref, s.today())
	if errors.Is(err, ErrNotFound) {
		if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:forbidden", ref, "record outside scope or missing"); err != nil {
			s.fail(w, r, err)
			return
		}
		s.page(w, r, http.StatusNotFound, "error", v, map[string]any{"Message": s.T(v, "dasbor.err.no_record", map[string]any{"Ref": ref})})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:view_record", rec.Ref, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "record", v, map[string]any{"R": rec, "NIK": nikShown, "Note": note, "Fields": flows.CorrectFields})
}

// reason reads a form's reason: 5 to 300 characters.
func reason(r *http.Request) (string, bool) {
	why := strings.TrimSpace(r.PostFormValue("reason"))
	n := len([]rune(why))
	return why, n >= 5 && n <= 300
}

func (s *server) revealNIK(w http.ResponseWriter, r *http.Request, v viewer) {
	why, ok := reason(r)
	if !ok {
		s.showRecord(w, r, v, "", s.T(v, "dasbor.err.reason", nil))
		return
	}
	ref := r.PathValue("ref")
	n, err := s.Store.RevealNIK(r.Context(), v.Scope, ref)
	if errors.Is(err, ErrNotFound) {
		s.showRecord(w, r, v, "", "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:reveal_nik", ref, "reason="+why); err != nil {
		s.fail(w, r, err)
		return
	}
	s.showRecord(w, r, v, n, "")
}

func (s *server) correct(w http.ResponseWriter, r *http.Request, v viewer) {
	why, ok := reason(r)
	if !ok {
		s.showRecord(w, r, v, "", s.T(v, "dasbor.err.reason", nil))
		return
	}
	ref := r.PathValue("ref")
	if _, err := s.Store.Record(r.Context(), v.Scope, ref, s.today()); err != nil {
		s.showRecord(w, r, v, "", "")
		return
	}
	err := s.Actions.Correct(r.Context(), v.Actor, ref, r.PostFormValue("field"), r.PostFormValue("value"), why)
	switch {
	case errors.Is(err, flows.ErrRefused):
		s.showRecord(w, r, v, "", s.T(v, "dasbor.err.correct", map[string]any{"Field": s.T(v, "correction.field."+r.PostFormValue("field"), nil)}))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/pendaftar/"+ref+"?ok=koreksi", http.StatusSeeOther)
}

func (s *server) agents(w http.ResponseWriter, r *http.Request, v viewer) {
	status := r.URL.Query().Get("status")
	all, err := s.Store.StaffAgents(r.Context(), status, 3, s.today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var pending, others []Agent
	for _, a := range all {
		for i, m := range a.Months {
			a.Months[i].Fee = s.Actions.AgentFee(a.Role, m.Amount)
		}
		if v.Role == RoleSupervisor && !inRegencies(a.Village, v.Scope.Regencies) {
			continue
		}
		if a.Status == flows.AgentPending {
			pending = append(pending, a)
		} else {
			others = append(others, a)
		}
	}
	if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:list_agents", "agents", fmt.Sprintf("count=%d", len(pending)+len(others))); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "agents", v, map[string]any{"Pending": pending, "Agents": others, "Note": r.URL.Query().Get("ok")})
}

// inRegencies reports whether a village code lies in one of the regencies.
func inRegencies(village string, regencies []string) bool {
	return slices.ContainsFunc(regencies, func(c string) bool { return strings.HasPrefix(village, c+".") })
}

func (s *server) decide(w http.ResponseWriter, r *http.Request, v viewer) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	status := map[string]string{"setujui": flows.AgentApproved, "tolak": flows.AgentRejected, "tangguhkan": flows.AgentSuspended,
		"pulihkan": flows.AgentApproved}[r.PostFormValue("action")]
	why, ok := reason(r)
	if status == "" || (status == flows.AgentRejected || status == flows.AgentSuspended) && !ok {
		s.page(w, r, http.StatusBadRequest, "error", v, map[string]any{"Message": s.T(v, "dasbor.err.reason", nil), "Back": "/admin/agen"})
		return
	}
	if status == flows.AgentApproved {
		why = ""
	}
	_, err = s.Actions.DecideAgent(r.Context(), v.Actor, id, status, why)
	switch {
	case errors.Is(err, flows.ErrRefused), errors.Is(err, flows.ErrNotFound):
		s.page(w, r, http.StatusConflict, "error", v, map[string]any{"Message": s.T(v, "dasbor.err.decided", map[string]any{"ID": id}), "Back": "/admin/agen"})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/agen?ok="+r.PostFormValue("action"), http.StatusSeeOther)
}

func (s *server) roles(w http.ResponseWriter, r *http.Request, v viewer) {
	s.showRoles(w, r, v, http.StatusOK, "")
}

func (s *server) showRoles(w http.ResponseWriter, r *http.Request, v viewer, status int, note string) {
	all, err := s.Store.StaffRoles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, status, "roles", v, map[string]any{"Roles": all, "Admins": s.Admins, "Names": Roles, "Note": note})
}

func (s *server) setRole(w http.ResponseWriter, r *http.Request, v viewer) {
	st := Staff{Actor: strings.ToLower(strings.TrimSpace(r.PostFormValue("actor"))), Role: r.PostFormValue("role"),
		Note: strings.TrimSpace(r.PostFormValue("note"))}
	if !flows.ValidWho(st.Actor) || !slices.Contains(Roles, st.Role) || len([]rune(st.Note)) > 200 {
		s.showRoles(w, r, v, http.StatusBadRequest, s.T(v, "dasbor.err.role", nil))
		return
	}
	for _, f := range strings.FieldsFunc(r.PostFormValue("scope"), func(r rune) bool { return r == ',' || r == ' ' }) {
		switch st.Role {
		case RoleSupervisor:
			if s.Regions != nil {
				if reg, ok := s.Regions.Get(f); !ok || strings.Count(reg.Code, ".") != 1 {
					s.showRoles(w, r, v, http.StatusBadRequest, s.T(v, "dasbor.err.scope", map[string]any{"Got": f}))
					return
				}
			}
			st.Regencies = append(st.Regencies, f)
		case RoleSponsor:
			id, err := strconv.ParseInt(f, 10, 64)
			if err != nil || id <= 0 {
				s.showRoles(w, r, v, http.StatusBadRequest, s.T(v, "dasbor.err.scope", map[string]any{"Got": f}))
				return
			}
			st.Batches = append(st.Batches, id)
		}
	}
	if st.Role == RoleSupervisor && len(st.Regencies) == 0 || st.Role == RoleSponsor && len(st.Batches) == 0 {
		s.showRoles(w, r, v, http.StatusBadRequest, s.T(v, "dasbor.err.scope", map[string]any{"Got": "–"}))
		return
	}
	if err := s.Store.SetStaffRole(r.Context(), v.Actor, st); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/peran", http.StatusSeeOther)
}

func (s *server) removeRole(w http.ResponseWriter, r *http.Request, v viewer) {
	if _, err := s.Store.RemoveStaffRole(r.Context(), v.Actor, r.PostFormValue("actor")); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/peran", http.StatusSeeOther)
}

func (s *server) audit(w http.ResponseWriter, r *http.Request, v viewer) {
	f := r.URL.Query()
	af := AuditFilter{Actor: strings.TrimSpace(f.Get("actor")), Action: strings.TrimSpace(f.Get("action")), Subject: strings.TrimSpace(f.Get("subject")), Limit: 100}
	af.Before, _ = strconv.ParseInt(f.Get("before"), 10, 64)
	if d, err := time.ParseInLocation(time.DateOnly, f.Get("since"), s.Location); err == nil {
		af.Since = d
	}
	if d, err := time.ParseInLocation(time.DateOnly, f.Get("until"), s.Location); err == nil {
		af.Until = d.AddDate(0, 0, 1)
	}
	entries, err := s.Store.AuditEntries(r.Context(), af)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"Entries": entries, "F": af, "Since": f.Get("since"), "Until": f.Get("until")}
	if len(entries) == af.Limit {
		f.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		data["Older"] = "/admin/audit?" + f.Encode()
	}
	s.page(w, r, http.StatusOK, "audit", v, data)
}

// exportCSV downloads the search's registrations (every page), NIK and
// phone masked, audited.
func (s *server) exportCSV(w http.ResponseWriter, r *http.Request, v viewer) {
	q := query(r)
	q.Page, q.PerPage = 1, 100_000
	rows, total, err := s.Store.Registrations(r.Context(), v.Scope, q, s.today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.Audit(r.Context(), v.Actor, "dasbor:export", "registrations", fmt.Sprintf("rows=%d of=%d query=%s", len(rows), total, r.URL.RawQuery)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="pendaftar-`+s.today().Format("20060102")+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write(registrationHeader) //nolint:errcheck
	for _, x := range rows {
		cw.Write(s.registrationRecord(v, x, x.NIKMasked)) //nolint:errcheck
	}
	cw.Flush()
}

// safeCell keeps a spreadsheet from reading a cell as a formula.
func safeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
