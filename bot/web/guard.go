package web

import (
	"net/http"
	"time"

	"github.com/lindungi/lindungi/ratelimit"
)

// pageCSP is the policy of the small server-rendered pages beside the chat
// (the card check, the test bank): their own inline style, forms to
// themselves, no script, never framed.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Guard wraps such a page: a per-address rate limit (IPv6 by /64; 429 with
// Retry-After) and the headers of a page that runs no script and is never
// framed. now is the limit's clock (nil: clock.Now).
func Guard(perMinute int, now func() time.Time, h http.Handler) http.Handler {
	limited := ratelimit.Handler(perMinute, now, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", pageCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		limited.ServeHTTP(w, r)
	})
}
