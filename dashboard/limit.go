package dashboard

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter bounds requests per client address (IPv6 by /64), forgetting
// addresses idle for ten minutes.
type limiter struct {
	mu        sync.Mutex
	perMinute int
	clients   map[netip.Prefix]*client
	swept     time.Time
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// limit serves h within perMinute requests a minute per address (bursts of
// half of that, at least 5: a sign-in is a GET and a POST); beyond, 429 with Retry-After.
func (s *server) limit(perMinute int, h http.Handler) http.Handler {
	l := &limiter{perMinute: perMinute, clients: map[netip.Prefix]*client{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := l.allow(clientPrefix(r), s.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			http.Error(w, "too many sign-in attempts; wait a minute", http.StatusTooManyRequests)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (l *limiter) allow(key netip.Prefix, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > 10*time.Minute {
		for k, c := range l.clients {
			if now.Sub(c.seen) > 10*time.Minute {
				delete(l.clients, k)
			}
		}
		l.swept = now
	}
	c := l.clients[key]
	if c == nil {
		c = &client{lim: rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), max(5, l.perMinute/2))}
		l.clients[key] = c
	}
	c.seen = now
	res := c.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// clientPrefix is the address a request came from: the host itself, or
// its /64 for IPv6.
func clientPrefix(r *http.Request) netip.Prefix {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}
