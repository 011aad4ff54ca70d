package web

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/lindungi/lindungi/clock"
)

// pageCSP is the policy of the small server-rendered pages beside the chat
// (the card check, the test bank): their own inline style, forms to
// themselves, no script, never framed.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Guard wraps such a page: a per-address rate limit (IPv6 by /64; 429 with
// Retry-After) and the headers of a page that runs no script and is never
// framed. now is the limit's clock (nil: clock.Now).
func Guard(perMinute int, now func() time.Time, h http.Handler) http.Handler {
	if now == nil {
		now = clock.Now
	}
	limits := newLimiter(perMinute)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", pageCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if ok, wait := limits.allow(clientKey(r), now()); !ok {
			hd.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		h.ServeHTTP(w, r)
	})
}
