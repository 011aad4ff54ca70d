package web

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
)

var verifyPage = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
.ok{color:#0b6e4f}.soon{color:#6b4e00}.no{color:#9a3412}h1{font-size:1.3rem}</style></head>
<body><h1>{{.Title}}</h1>
{{if .Found}}<p>{{.NameLabel}}: <strong>{{.Initials}}</strong></p><p>{{.ProgramsLabel}}: {{.Programs}}</p>
<p class="{{.Class}}"><strong>{{.Standing}}</strong></p>{{else}}<p class="no">{{.NotFound}}</p>{{end}}
</body></html>`))

// Cards finds a membership card by the token of its verification link
// (store.DB).
type Cards interface {
	Verify(ctx context.Context, token string) (flows.Card, bool, error)
}

// VerifyPage is the public page a card's QR code opens
// (GET /verify/{token}): name initials, programmes and whether coverage is
// active today, in loc. No NIK, no phone.
func VerifyPage(cards Cards, cat *locales.Catalog, loc *time.Location, now func() time.Time, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := "id"
		if strings.HasPrefix(r.Header.Get("Accept-Language"), "en") {
			lang = "en"
		}
		T := func(key string, data map[string]any) string { return cat.T(lang, key, data) }
		d, found, err := cards.Verify(r.Context(), r.PathValue("token"))
		if err != nil {
			log.Error("verify page", "err", err)
			http.Error(w, "error", http.StatusInternalServerError)
			return
		}
		standing, class := T("verify.inactive", nil), "no"
		if found {
			switch flows.CardStanding(d.CoveredFrom, d.CoveredTo, now().In(loc)) {
			case flows.CardActive:
				standing, class = T("verify.active", map[string]any{"To": cat.Date(lang, d.CoveredTo)}), "ok"
			case flows.CardUpcoming:
				// Paid for, but not protected yet: never "Terlindungi"
				// before the first day.
				standing, class = T("verify.upcoming", map[string]any{"From": cat.Date(lang, d.CoveredFrom), "To": cat.Date(lang, d.CoveredTo)}), "soon"
			}
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
			"ProgramsLabel": T("card.programs", nil), "Programs": programs, "Class": class, "Standing": standing, "NotFound": T("verify.not_found", nil),
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
