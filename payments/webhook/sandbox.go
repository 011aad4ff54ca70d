package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/origin"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/sandbox"
)

// Codes finds a payment by the code its payer was given (store.DB).
type Codes interface {
	// PaymentByCode is the newest payment of the provider with this
	// payment code; flows.ErrUnknownPayment when there is none.
	PaymentByCode(ctx context.Context, provider, code string) (payments.Issued, error)
}

var sandboxPage = template.Must(template.New("sandbox").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
.code{font:600 1.4rem monospace;letter-spacing:.05em}button{font:inherit;padding:.7rem 1.4rem;border:0;border-radius:.5rem;background:#0b6e4f;color:#fff}
.note{background:#fff4d6;padding:.6rem .8rem;border-radius:.4rem}</style></head>
<body><h1>{{.Title}}</h1><p class="note">{{.Note}}</p>
{{if .Found}}<p>{{.CodeLabel}}<br><span class="code">{{.Code}}</span></p><p>{{.AmountLabel}}: <strong>{{.Amount}}</strong></p>
{{if .Payable}}<form method="post"><input type="hidden" name="token" value="{{.Token}}"><button type="submit">{{.Pay}}</button></form>{{else}}<p>{{.Status}}</p>{{end}}
{{else}}<p>{{.NotFound}}</p>{{end}}</body></html>`))

// sandboxToken is the form token of the test bank's page for a payment
// code: only a page this server rendered can post it.
func sandboxToken(key []byte, code string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("sandbox-pay\x00" + code))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// SandboxPage is the development bank at /sandbox/pay/{code}: GET shows a
// payment by its code, POST pays it by firing p's signed notification
// through notify, the same handler a gateway's notification reaches. A POST
// must come from this server's own page (same origin, and the page's token
// for that code, signed with tokenKey), so another site cannot pay for
// someone by sending the form itself. The page is in Indonesian, or in
// English for a browser that asks for it first.
func SandboxPage(p *sandbox.Provider, codes Codes, cat *locales.Catalog, notify http.Handler, tokenKey []byte, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 4096)
			want := sandboxToken(tokenKey, r.PathValue("code"))
			if !origin.Same(r, nil, "") || subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(want)) != 1 {
				log.Warn("sandbox payment refused: not from its own page", "remote", r.RemoteAddr)
				http.Error(w, "forbidden: pay from the test bank's own page", http.StatusForbidden)
				return
			}
		}
		lang := "id"
		if strings.HasPrefix(r.Header.Get("Accept-Language"), "en") {
			lang = "en"
		}
		code := r.PathValue("code")
		pay, err := codes.PaymentByCode(r.Context(), p.Name(), code)
		if err != nil && !errors.Is(err, flows.ErrUnknownPayment) {
			log.Error("sandbox page", "err", err)
			http.Error(w, "error", http.StatusInternalServerError)
			return
		}
		found := err == nil
		if r.Method == http.MethodPost && found && pay.Status == payments.Pending {
			header, body := p.Notify(pay.OrderID, pay.Amount, payments.Paid, clock.Now())
			req := httptest.NewRequestWithContext(context.WithoutCancel(r.Context()), http.MethodPost, "/payments/"+p.Name()+"/notification", strings.NewReader(string(body)))
			req.Header = header
			rec := httptest.NewRecorder()
			notify.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				log.Error("sandbox payment not applied", "code", rec.Code, "body", rec.Body.String())
			}
			http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
			return
		}
		T := func(key string) string { return cat.T(lang, key, nil) }
		status := T("sandbox.status." + statusKey(pay.Status))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		sandboxPage.Execute(w, map[string]any{ //nolint:errcheck // the client went away
			"Lang": lang, "Title": T("sandbox.title"), "Note": T("sandbox.note"), "Found": found, "Code": code,
			"CodeLabel": T("sandbox.code"), "AmountLabel": T("sandbox.amount"), "Amount": locales.Rupiah(pay.Amount),
			"Payable": pay.Status == payments.Pending, "Pay": T("sandbox.pay"), "Status": status, "NotFound": T("sandbox.not_found"),
			"Token": sandboxToken(tokenKey, code),
		})
	})
}

// statusKey maps a payment status to its text key on the sandbox page.
func statusKey(s payments.Status) string {
	switch s {
	case payments.Paid:
		return "paid"
	case payments.Expired:
		return "expired"
	case payments.Pending:
		return "pending"
	}
	return "other"
}
