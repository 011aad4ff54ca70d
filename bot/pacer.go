package bot

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lindungi/lindungi/clock"
)

// pacer spaces a channel's sends. At a chat platform's rates (up to 100/s)
// it sends evenly at the rate, and never lets more than ⌊rate⌋ sends begin
// within one second plus a margin, however late the ones before came.
//
// A token bucket alone cannot promise that: with room for one send it
// banks a token while a send is late (a busy scheduler, a slow call), and
// the next goes at once, so some second holds the rate plus one. A
// platform counting per second answers that 31st message with a 429, which
// pauses the whole channel. The margin covers the network's jitter between
// the start of a send and its arrival; at 30/s it costs 1.5% of the rate
// (29.56 a second, 29 or 30 in every second).
//
// Faster rates (tests, benchmarks) are a plain bucket with a tenth of a
// second's worth of burst.
type pacer struct {
	bucket *rate.Limiter
	mu     sync.Mutex
	starts []time.Time // the last len(starts) sends, a ring; nil: no window
	next   int
}

// pacerMargin is how much longer than a second the window of ⌊rate⌋ sends is.
const pacerMargin = 15 * time.Millisecond

func newPacer(perSecond float64) *pacer {
	if perSecond > 100 {
		return &pacer{bucket: rate.NewLimiter(rate.Limit(perSecond), int(perSecond)/10)}
	}
	p := &pacer{bucket: rate.NewLimiter(rate.Limit(perSecond), 1)}
	if n := int(math.Floor(perSecond)); n >= 1 {
		p.starts = make([]time.Time, n)
	}
	return p
}

// Wait blocks until a send may begin, or ctx ends.
func (p *pacer) Wait(ctx context.Context) error {
	if err := p.bucket.Wait(ctx); err != nil {
		return err
	}
	if p.starts == nil {
		return nil
	}
	// The real clock, as the bucket's: this is about the platform's count,
	// not about any date the service decides on.
	now := clock.Now()
	if wait := p.reserve(now).Sub(now); wait > 0 {
		return clock.Sleep(ctx, wait)
	}
	return nil
}

// reserve takes the next send's place in the window: it may begin at the
// time returned, now or later. The place is taken even if that send does
// not happen: it only makes the window stricter.
func (p *pacer) reserve(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := now
	if first := p.starts[p.next]; !first.IsZero() {
		if due := first.Add(time.Second + pacerMargin); due.After(now) {
			at = due
		}
	}
	p.starts[p.next] = at
	p.next = (p.next + 1) % len(p.starts)
	return at
}
