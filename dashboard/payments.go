package dashboard

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// Resolutions of a flagged payment, as an admin records them. A resolution
// is a note on the flag: it never changes the payment nor any coverage.
const (
	ResolutionRefunded    = "refunded"     // the money went back to the payer
	ResolutionCarriedOver = "carried_over" // the money is credited to a later period
	ResolutionOther       = "other"        // the note says what was done
)

// Resolutions lists the resolutions in the order the page offers them.
var Resolutions = []string{ResolutionRefunded, ResolutionCarriedOver, ResolutionOther}

// ErrResolved is returned for resolving a payment that is not open: it was
// resolved already, or its flag has gone.
var ErrResolved = errors.New("payment not open: resolved already or no longer flagged")

// PaymentTotal is one line of a day's settlements.
type PaymentTotal struct {
	Key    string `db:"key"`
	Count  int64  `db:"count"`  // payments
	Amount int64  `db:"amount"` // Rupiah
}

// PaymentDay is the settlements of one day (payments applied whose money
// arrived that day, as `lindungi payments report` counts them), in a scope.
// In a limited scope a payment counts when it pays for a registration in
// it, with only the part for the registrations in it (a sponsor's payment
// for its own batch in full).
type PaymentDay struct {
	Day        time.Time // midnight in the deployment's zone
	Count      int64
	Amount     int64
	ByChannel  []PaymentTotal // the payer's chat channel (telegram, whatsapp, web, console); sponsor
	ByProvider []PaymentTotal // midtrans, xendit, sandbox; external for a sponsor's transfer
	ByMethod   []PaymentTotal // bri, bni, alfamart, qris, transfer…
}

// FlaggedPayment is a payment an admin must look at: open, or resolved.
type FlaggedPayment struct {
	OrderID   string
	Provider  string
	Method    string
	Status    string
	PayerKind string // worker, agent, sponsor
	Batch     int64  // the sponsor batch a sponsor's payment is for, else 0
	Flag      string // for a resolved one, the flag that was resolved
	Reason    string // the history's latest "flagged" line
	Amount    int64
	FlaggedAt time.Time
	Refs      []string // the registrations it pays for, in the scope (the first 20)
	Resolved  *PaymentResolution
}

// PaymentResolution is how an admin resolved a flag.
type PaymentResolution struct {
	Resolution string
	Note       string
	By         string
	At         time.Time
}

// Resolve is an admin's resolution of a flagged payment.
type Resolve struct {
	OrderID    string
	Resolution string // one of Resolutions
	Note       string // what was done: 5 to 300 characters
}

// ExportRow is one registration of an export: the NIK in clear only when
// the export asked for it (else "").
type ExportRow struct {
	Registration
	NIK string
}

// PaymentStore is what the Pembayaran and Ekspor pages read and write.
type PaymentStore interface {
	// PaymentDay sums the settlements of a day (day is its midnight) in a scope.
	PaymentDay(ctx context.Context, scope Scope, day time.Time) (PaymentDay, error)
	// FlaggedPayments lists the flagged payments in a scope: the open ones,
	// oldest flag first, or the resolved ones, newest resolution first; at
	// most limit.
	FlaggedPayments(ctx context.Context, scope Scope, resolved bool, limit int) ([]FlaggedPayment, error)
	// ResolvePayment records an admin's resolution of an open flagged
	// payment, with a "resolved" line in its history and the audit log, in
	// one transaction. ErrNotFound outside the scope, ErrResolved when it
	// is not open.
	ResolvePayment(ctx context.Context, actor string, scope Scope, r Resolve) error
	// StaffExport lists the registrations a search finds in a scope (every
	// page, up to q.PerPage), NIK and phone masked, with the NIK opened
	// too when withNIK; and how many match.
	StaffExport(ctx context.Context, scope Scope, q Query, today time.Time, withNIK bool) ([]ExportRow, int, error)
}

// exportMax bounds an export: the search counts no further.
const exportMax = 100_000

// paymentRoutes serves the Pembayaran and Ekspor pages.
func (s *server) paymentRoutes(mux *routes) {
	mux.Handle("GET /admin/pembayaran", s.auth(anyone, s.payments))
	mux.Handle("POST /admin/pembayaran/{order}/selesai", s.auth(adminOnly, s.resolve))
	mux.Handle("GET /admin/ekspor", s.auth(anyone, s.exportForm))
	mux.Handle("POST /admin/ekspor", s.auth(anyone, s.export))
}

// Texts of the values the payment pages show.
var (
	flagKeys = map[string]string{
		"amount_mismatch": "dasbor.pay.flag.amount_mismatch",
		"paid_twice":      "dasbor.pay.flag.paid_twice",
		"erased":          "dasbor.pay.flag.erased",
		"refunded":        "dasbor.pay.flag.refunded",
		"savings_refund":  "dasbor.pay.flag.savings_refund",
	}
	resolutionKeys = map[string]string{
		ResolutionRefunded:    "dasbor.pay.resolution.refunded",
		ResolutionCarriedOver: "dasbor.pay.resolution.carried_over",
		ResolutionOther:       "dasbor.pay.resolution.other",
	}
	statusKeys = map[string]string{
		"pending":   "dasbor.pay.status.pending",
		"paid":      "dasbor.pay.status.paid",
		"expired":   "dasbor.pay.status.expired",
		"cancelled": "dasbor.pay.status.cancelled",
		"failed":    "dasbor.pay.status.failed",
		"refunded":  "dasbor.pay.status.refunded",
	}
	payerKeys = map[string]string{
		"worker":  "dasbor.pay.payer.worker",
		"agent":   "dasbor.pay.payer.agent",
		"sponsor": "dasbor.pay.payer.sponsor",
	}
)

// label is the text of a value's key, or the value itself when it has none.
func (s *server) label(v viewer, keys map[string]string, value string) string {
	if k, ok := keys[value]; ok {
		return s.T(v, k, nil)
	}
	return value
}

// option is a choice of a select.
type option struct{ Value, Label string }

// totalLine is a line of a day's totals as the page shows it.
type totalLine struct {
	PaymentTotal
	Label string
}

// totalGroup is one table of a day's totals: by channel, provider or method.
type totalGroup struct {
	ID, Title string
	Lines     []totalLine
}

// flagRow is a flagged payment as the page shows it.
type flagRow struct {
	FlaggedPayment
	FlagText, PayerText, MethodText, StatusText, ResolutionText string
}

// payForm is what was typed in a resolution form, and what is wrong with
// it; InList when its payment is among the open ones (the message goes
// above its form, not at the top).
type payForm struct {
	Order, Resolution, Note, Error string
	InList                         bool
}

// payDay reads ?hari=YYYY-MM-DD: a day up to today, else today.
func (s *server) payDay(text string) time.Time {
	today := s.today()
	d, err := time.ParseInLocation(time.DateOnly, text, s.Location)
	if err != nil || d.After(today) {
		return today
	}
	return d
}

func (s *server) payments(w http.ResponseWriter, r *http.Request, v viewer) {
	q := r.URL.Query()
	done := ""
	if q.Get("ok") == "selesai" {
		done = s.T(v, "dasbor.pay.resolved_done", nil)
	}
	s.showPayments(w, r, v, http.StatusOK, q.Get("hari"), nil, done)
}

// showPayments renders the Pembayaran page of a day; form is a resolution
// form sent back with what is wrong with it.
func (s *server) showPayments(w http.ResponseWriter, r *http.Request, v viewer, status int, dayText string, form *payForm, done string) {
	ctx := r.Context()
	day := s.payDay(dayText)
	p, err := s.Store.PaymentDay(ctx, v.Scope, day)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	open, err := s.Store.FlaggedPayments(ctx, v.Scope, false, 200)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resolved, err := s.Store.FlaggedPayments(ctx, v.Scope, true, 50)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.Audit(ctx, v.Actor, "dasbor:view_payments", "payments",
		fmt.Sprintf("day=%s open=%d", day.Format(time.DateOnly), len(open))); err != nil {
		s.fail(w, r, err)
		return
	}
	lines := func(ts []PaymentTotal, name func(string) string) []totalLine {
		out := make([]totalLine, len(ts))
		for i, t := range ts {
			out[i] = totalLine{PaymentTotal: t, Label: name(t.Key)}
		}
		return out
	}
	channel := func(k string) string {
		if k == "sponsor" {
			return s.T(v, "dasbor.pay.payer.sponsor", nil)
		}
		if s.Catalog.Has(v.Lang, "dasbor.source."+k) {
			return s.T(v, "dasbor.source."+k, nil)
		}
		return k
	}
	provider := func(k string) string {
		if k == "external" {
			return s.T(v, "dasbor.pay.provider.external", nil)
		}
		return k
	}
	rows := func(ps []FlaggedPayment) []flagRow {
		out := make([]flagRow, len(ps))
		for i, p := range ps {
			out[i] = flagRow{FlaggedPayment: p, FlagText: s.label(v, flagKeys, p.Flag), PayerText: s.label(v, payerKeys, p.PayerKind),
				MethodText: s.method(v, p.Method), StatusText: s.label(v, statusKeys, p.Status)}
			if p.Resolved != nil {
				out[i].ResolutionText = s.label(v, resolutionKeys, p.Resolved.Resolution)
			}
		}
		return out
	}
	var choices []option
	for _, res := range Resolutions {
		choices = append(choices, option{res, s.label(v, resolutionKeys, res)})
	}
	if form == nil {
		form = &payForm{}
	}
	form.InList = slices.ContainsFunc(open, func(p FlaggedPayment) bool { return p.OrderID == form.Order })
	data := map[string]any{
		"Day": day, "ISO": day.Format(time.DateOnly), "TodayISO": s.today().Format(time.DateOnly), "P": p,
		"Groups": []totalGroup{
			{"channel", s.T(v, "dasbor.pay.by_channel", nil), lines(p.ByChannel, channel)},
			{"provider", s.T(v, "dasbor.pay.by_provider", nil), lines(p.ByProvider, provider)},
			{"method", s.T(v, "dasbor.pay.by_method", nil), lines(p.ByMethod, func(k string) string { return s.method(v, k) })},
		},
		"Open": rows(open), "OpenCount": int64(len(open)), "Resolved": rows(resolved),
		"Resolutions": choices, "Form": form, "Done": done,
		"Prev": "/admin/pembayaran?hari=" + day.AddDate(0, 0, -1).Format(time.DateOnly),
	}
	if day.Before(s.today()) {
		data["Next"] = "/admin/pembayaran?hari=" + day.AddDate(0, 0, 1).Format(time.DateOnly)
	}
	s.page(w, r, status, "payments", v, data)
}

// method names a payment method: a bank or store, else the method itself.
func (s *server) method(v viewer, m string) string {
	switch {
	case m == "transfer":
		return s.T(v, "dasbor.pay.method.transfer", nil)
	case s.Catalog.Has(v.Lang, "bank."+m):
		return s.T(v, "bank."+m, nil)
	}
	return m
}

// resolve records an admin's resolution of a flagged payment.
func (s *server) resolve(w http.ResponseWriter, r *http.Request, v viewer) {
	day := r.PostFormValue("hari")
	f := &payForm{Order: r.PathValue("order"), Resolution: r.PostFormValue("resolution"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	switch n := len([]rune(f.Note)); {
	case !slices.Contains(Resolutions, f.Resolution):
		f.Error = s.T(v, "dasbor.pay.err.resolution", nil)
	case n < 5 || n > 300:
		f.Error = s.T(v, "dasbor.pay.err.note", nil)
	}
	if f.Error != "" {
		s.showPayments(w, r, v, http.StatusBadRequest, day, f, "")
		return
	}
	err := s.Store.ResolvePayment(r.Context(), v.Actor, v.Scope, Resolve{OrderID: f.Order, Resolution: f.Resolution, Note: f.Note})
	switch {
	case errors.Is(err, ErrNotFound):
		f.Error = s.T(v, "dasbor.pay.err.unknown", map[string]any{"Order": f.Order})
		s.showPayments(w, r, v, http.StatusNotFound, day, f, "")
		return
	case errors.Is(err, ErrResolved):
		f.Error = s.T(v, "dasbor.pay.err.resolved", map[string]any{"Order": f.Order})
		s.showPayments(w, r, v, http.StatusConflict, day, f, "")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	back := url.Values{"ok": {"selesai"}}
	if day != "" {
		back.Set("hari", s.payDay(day).Format(time.DateOnly))
	}
	http.Redirect(w, r, "/admin/pembayaran?"+back.Encode(), http.StatusSeeOther)
}

// exportFilters are the search fields an export takes, as Pendaftar's.
var exportFilters = []string{"q", "wilayah", "status", "sumber", "agen", "batch"}

// formQuery reads the search fields of a posted form as query does a URL's.
func formQuery(r *http.Request) Query {
	f := url.Values{}
	for _, k := range exportFilters {
		if x := r.PostFormValue(k); x != "" {
			f.Set(k, x)
		}
	}
	return query(&http.Request{URL: &url.URL{RawQuery: f.Encode()}})
}

// filterText is the search's fields for the audit log: "status=active&wilayah=61.71".
func filterText(q Query) string {
	f := url.Values{}
	for k, x := range map[string]string{"q": q.Text, "wilayah": q.Village, "status": q.Status, "sumber": q.Source} {
		if x != "" {
			f.Set(k, x)
		}
	}
	if q.Agent > 0 {
		f.Set("agen", strconv.FormatInt(q.Agent, 10))
	}
	if q.Batch > 0 {
		f.Set("batch", strconv.FormatInt(q.Batch, 10))
	}
	return f.Encode()
}

func (s *server) exportForm(w http.ResponseWriter, r *http.Request, v viewer) {
	s.showExport(w, r, v, http.StatusOK, query(r), false, "", "")
}

// showExport renders the Ekspor form with the search's matches; msg is
// what is wrong with what was sent.
func (s *server) showExport(w http.ResponseWriter, r *http.Request, v viewer, status int, q Query, nik bool, why, msg string) {
	count := q
	count.Page, count.PerPage = 1, 1
	_, total, err := s.Store.Registrations(r.Context(), v.Scope, count, s.today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, status, "export", v, map[string]any{"Q": q, "Total": int64(total), "NIK": nik, "Reason": why, "Message": msg,
		"Standings": []string{flows.StandingAwaiting, flows.StandingActive, flows.StandingArrears, flows.StandingEnded},
		"Sources":   []string{"telegram", "whatsapp", "web", "agent", "import"}})
}

// export downloads the search's registrations as CSV, phone masked and the
// NIK masked unless an admin gives a reason to open it; audited before any
// row leaves.
func (s *server) export(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx := r.Context()
	q := formQuery(r)
	withNIK := r.PostFormValue("nik") != ""
	why := strings.TrimSpace(r.PostFormValue("reason"))
	if withNIK && !v.Admin() {
		if err := s.Store.Audit(ctx, v.Actor, "dasbor:forbidden", r.Method+" "+r.URL.Path, "role="+v.Role+" nik export"); err != nil {
			s.fail(w, r, err)
			return
		}
		s.page(w, r, http.StatusForbidden, "error", v, map[string]any{"Message": s.T(v, "dasbor.export.nik_admin", nil), "Back": "/admin/ekspor"})
		return
	}
	if withNIK {
		var ok bool
		if why, ok = reason(r); !ok {
			s.showExport(w, r, v, http.StatusBadRequest, q, true, why, s.T(v, "dasbor.export.err.reason", nil))
			return
		}
	}
	q.Page, q.PerPage = 1, exportMax
	rows, total, err := s.Store.StaffExport(ctx, v.Scope, q, s.today(), withNIK)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	action, detail := "dasbor:export", fmt.Sprintf("rows=%d of=%d nik=%t filters=%s", len(rows), total, withNIK, filterText(q))
	if withNIK {
		action, detail = "dasbor:export_nik", detail+" reason="+why
	}
	if err := s.Store.Audit(ctx, v.Actor, action, "registrations", detail); err != nil {
		s.fail(w, r, err)
		return
	}
	name := "pendaftar-" + s.today().Format("20060102")
	if withNIK {
		name += "-nik"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	cw := csv.NewWriter(w)
	cw.Write(registrationHeader) //nolint:errcheck
	for _, x := range rows {
		nik := x.NIKMasked
		if withNIK && x.NIK != "" {
			nik = x.NIK
		}
		if err := cw.Write(s.registrationRecord(v, x.Registration, nik)); err != nil {
			s.Log.Warn("dashboard: export cut short", "actor", v.Actor, "err", err)
			return
		}
	}
	cw.Flush()
}
