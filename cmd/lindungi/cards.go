package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/lindungi/lindungi/chart"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/kartu"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/wilayah"
)

// cards draws the images replies name, for the channels (bot.Photos): a
// reply naming "card:<reference>" gets the registration's current card,
// "qris:<order>" a payment's QR code, "link:<url>" a claim link's QR code
// and "chart:coverage" the admins' chart of active coverage.
type cards struct {
	db        *store.DB
	cat       *locales.Catalog
	publicURL string
	loc       *time.Location
	regions   *wilayah.Data // names of the chart's kabupaten/kota
}

func (c cards) Photo(ctx context.Context, name string) ([]byte, error) {
	kind, what, ok := flows.ParsePhoto(name)
	switch {
	case !ok:
		return nil, fmt.Errorf("no image called %q", name)
	case kind == flows.PhotoChart:
		return c.coverageChart(ctx)
	case kind == flows.PhotoQRIS:
		payload, err := c.db.QRString(ctx, what)
		if err != nil {
			return nil, err
		}
		if payload == "" {
			return nil, fmt.Errorf("payment %s has no QRIS code", what)
		}
		return qrcode.Encode(payload, qrcode.Medium, 512)
	case kind == flows.PhotoLink:
		// A claim link for a resident, to scan with their phone's camera.
		if !strings.HasPrefix(what, "https://t.me/") {
			return nil, fmt.Errorf("not a link to draw: %q", name)
		}
		return qrcode.Encode(what, qrcode.Medium, 512)
	}
	ref := what
	d, err := c.db.Card(ctx, ref)
	if err != nil {
		return nil, err
	}
	// The card is an official document: Indonesian.
	const lang = "id"
	T := func(key string) string { return c.cat.T(lang, key, nil) }
	programs := T("programs.base")
	if d.JHT {
		programs = T("programs.with_jht")
	}
	card := kartu.Card{
		Name: nama.Display(d.Name), Reference: d.Ref, KPJ: d.KPJ, Programs: programs,
		VerifyURL: c.publicURL + "/verify/" + d.Token,
		Labels: kartu.Labels{Title: T("card.title"), Subtitle: T("card.subtitle"), Name: T("card.name"), Reference: T("card.reference"),
			KPJ: T("card.kpj"), KPJPending: T("card.kpj_pending"), Programs: T("card.programs"), Coverage: T("card.coverage"), Scan: T("card.scan")},
	}
	if !d.CoveredFrom.IsZero() && !d.CoveredTo.IsZero() {
		card.CoverFrom, card.CoverTo = c.cat.Date(lang, d.CoveredFrom), c.cat.Date(lang, d.CoveredTo)
	}
	return kartu.Render(card)
}

// chartBars is how many kabupaten/kota the coverage chart shows one by one;
// the others share the last bar.
const chartBars = 14

// coverageChart draws the workers protected today by kabupaten/kota, most
// first. Like the card it is in Indonesian.
func (c cards) coverageChart(ctx context.Context) ([]byte, error) {
	counts, err := c.db.CoverageByRegency(ctx)
	if err != nil {
		return nil, err
	}
	const lang = "id"
	var bars []chart.Bar
	var rest chart.Bar
	others := 0
	for _, n := range counts {
		if n.Active == 0 {
			continue // the counts come most active first
		}
		if len(bars) < chartBars {
			label := c.cat.T(lang, "stats.unknown", nil)
			if r, ok := c.regions.Get(n.Key); ok {
				label = r.Name
			} else if n.Key != "" {
				label = n.Key
			}
			bars = append(bars, chart.Bar{Label: label, Value: int64(n.Active)})
			continue
		}
		others++
		rest.Value += int64(n.Active)
	}
	if others > 0 {
		rest.Label = c.cat.T(lang, "stats.rest_regencies", map[string]any{"Count": others})
		bars = append(bars, rest)
	}
	if len(bars) == 0 {
		bars = []chart.Bar{{Label: c.cat.T(lang, "stats.chart_empty", nil)}}
	}
	title := c.cat.T(lang, "stats.chart_title", map[string]any{"Date": c.cat.Date(lang, clock.Now().In(c.loc))})
	return chart.Bars(title, bars, chart.Options{XLabel: c.cat.T(lang, "stats.chart_axis", nil),
		Format: func(v int64) string { return locales.Number(lang, v) }})
}

var verifyPage = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
.ok{color:#0b6e4f}.no{color:#9a3412}h1{font-size:1.3rem}</style></head>
<body><h1>{{.Title}}</h1>
{{if .Found}}<p>{{.NameLabel}}: <strong>{{.Initials}}</strong></p><p>{{.ProgramsLabel}}: {{.Programs}}</p>
<p class="{{if .Active}}ok{{else}}no{{end}}"><strong>{{.Standing}}</strong></p>{{else}}<p class="no">{{.NotFound}}</p>{{end}}
</body></html>`))

// verifyHandler is the public page a card's QR code opens: name initials,
// programmes and whether coverage is active today. No NIK, no phone.
func verifyHandler(db *store.DB, cat *locales.Catalog, loc *time.Location, now func() time.Time, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := "id"
		if strings.HasPrefix(r.Header.Get("Accept-Language"), "en") {
			lang = "en"
		}
		T := func(key string, data map[string]any) string { return cat.T(lang, key, data) }
		d, found, err := db.Verify(r.Context(), r.PathValue("token"))
		if err != nil && !errors.Is(err, store.ErrUnknownPayment) {
			log.Error("verify page", "err", err)
			http.Error(w, "error", http.StatusInternalServerError)
			return
		}
		today := now().In(loc)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
		covered := found && !d.CoveredFrom.IsZero() && !d.CoveredTo.IsZero() && !today.After(d.CoveredTo)
		active := covered && !today.Before(d.CoveredFrom)
		standing := T("verify.inactive", nil)
		switch {
		case active:
			standing = T("verify.active", map[string]any{"To": cat.Date(lang, d.CoveredTo)})
		case covered:
			standing = T("verify.upcoming", map[string]any{"From": cat.Date(lang, d.CoveredFrom), "To": cat.Date(lang, d.CoveredTo)})
			active = true // paid for: shown as good
		}
		programs := T("programs.base", nil)
		if d.JHT {
			programs = T("programs.with_jht", nil)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if !found {
			w.WriteHeader(http.StatusNotFound)
		}
		verifyPage.Execute(w, map[string]any{
			"Lang": lang, "Title": T("verify.title", nil), "Found": found, "NameLabel": T("card.name", nil), "Initials": initials(d.Name),
			"ProgramsLabel": T("card.programs", nil), "Programs": programs, "Active": active, "Standing": standing, "NotFound": T("verify.not_found", nil),
		})
	})
}

// initials shows a name as "S. A." — enough to match a card, not to identify.
func initials(name string) string {
	var parts []string
	for _, w := range strings.Fields(name) {
		r := []rune(w)
		parts = append(parts, strings.ToUpper(string(r[0]))+".")
	}
	return strings.Join(parts, " ")
}
