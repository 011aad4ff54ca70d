// Package ratelimit bounds requests per client address: a token bucket per
// address (IPv6 by /64), forgotten once full again.
package ratelimit

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lindungi/lindungi/clock"
)

// Limiter is a token bucket per client address. Buckets that have filled
// up again are forgotten, so memory follows the number of recent clients.
type Limiter struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	m     map[string]*rate.Limiter
	swept time.Time
}

// New allows perMinute requests a minute per key, in bursts of a quarter of that.
func New(perMinute int) *Limiter {
	burst := max(perMinute/4, 1)
	return &Limiter{every: rate.Limit(float64(perMinute) / 60), burst: burst, m: map[string]*rate.Limiter{}}
}

// Allow takes one token for key; when none is left it says how long to wait.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.m {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.m, k)
			}
		}
		l.swept = now
	}
	b := l.m[key]
	if b == nil {
		b = rate.NewLimiter(l.every, l.burst)
		l.m[key] = b
	}
	res := b.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Minute
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// ClientKey is the rate-limit key: the remote host, an IPv6 address by its
// /64 (one subscriber gets a whole /64).
func ClientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// Handler serves h within perMinute requests a minute per client address
// (IPv6 by /64; bursts of a quarter of that), else 429 with Retry-After;
// it sets no other header. now is its clock (nil: clock.Now).
func Handler(perMinute int, now func() time.Time, h http.Handler) http.Handler {
	if now == nil {
		now = clock.Now
	}
	limits := New(perMinute)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := limits.Allow(ClientKey(r), now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		h.ServeHTTP(w, r)
	})
}
