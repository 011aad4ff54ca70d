package bot

// What the channels' webhooks share: reading a bounded body, and
// sampling the requests they refuse.

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lindungi/lindungi/clock"
)

// refusalRate is how many refused webhook requests a second are answered;
// beyond it they get 429 before anything else is done.
const refusalRate = 10

// Refusals throttles and samples a webhook's refused requests (a wrong or
// missing secret or signature: the platform always sends the right one):
// beyond refusalRate a second they are turned away with 429, and one log
// line a minute says how many were refused meanwhile, so a flood fills
// neither the CPU nor the logs.
type Refusals struct {
	log     *slog.Logger
	what    string // the log line's message
	limit   *rate.Limiter
	mu      sync.Mutex
	since   clock.Stopwatch // the last log line
	dropped int             // refused since then
}

// NewRefusals counts refusals, logging them as what.
func NewRefusals(log *slog.Logger, what string) *Refusals {
	return &Refusals{log: log, what: what, limit: rate.NewLimiter(refusalRate, 2*refusalRate)}
}

// Note counts a refused request and reports whether it may be answered
// (false: over the rate, answer 429).
func (f *Refusals) Note(remote string) bool {
	f.mu.Lock()
	f.dropped++
	if f.since.Elapsed() >= time.Minute {
		f.log.Warn(f.what, "remote", remote, "refused_since_last_line", f.dropped)
		f.since, f.dropped = clock.Start(), 0
	}
	f.mu.Unlock()
	return f.limit.Allow()
}

// ReadBody reads a webhook's body up to max bytes, answering 413 (too
// large) or 400 itself when it cannot; ok is false then.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	return body, true
}
