// Package clock is the one wall clock that Lindungi's decisions read: expiry,
// coverage, due dates, ages, discounts, quiet hours and retention all start
// from Now, directly or through the Now fields that default to it.
//
// LINDUNGI_TEST_CLOCK moves it, for a test run at another date or a trainer
// demonstrating reminders on a staging server:
//
//	LINDUNGI_TEST_CLOCK=2028-02-29T08:00:00+07:00   starts the clock at that instant
//	LINDUNGI_TEST_CLOCK=+400d                       runs it 400 days ahead (also -30d, +36h, +90m)
//
// The moved clock runs at the real speed: it is the real clock plus an
// offset fixed the first time the clock is read. Durations are measured with
// a Stopwatch, never with time.Since of a reading (Add moves the monotonic
// reading too). Go reads its clock through the vDSO, so libfaketime cannot
// move it from outside.
package clock

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Env is the environment variable that moves the clock.
const Env = "LINDUNGI_TEST_CLOCK"

// Now is the time now: the real clock, moved by LINDUNGI_TEST_CLOCK when it
// is set. A malformed value panics here; Check reports it as an error first.
func Now() time.Time {
	s := setting()
	if s.err != nil {
		panic(s.err)
	}
	return time.Now().Add(s.offset)
}

// Check reports a malformed LINDUNGI_TEST_CLOCK, so a program can refuse it
// at start instead of failing later.
func Check() error { return setting().err }

// Moved reports whether LINDUNGI_TEST_CLOCK moves the clock, and by how much.
func Moved() (time.Duration, bool) {
	s := setting()
	return s.offset, s.err == nil && s.raw != ""
}

// Describe is one line saying what the clock reads and why: for logs and the
// test runs at other dates.
func Describe() string {
	s := setting()
	switch {
	case s.err != nil:
		return s.err.Error()
	case s.raw == "":
		return "clock: real, now " + Now().In(wib).Format(describeLayout)
	default:
		return fmt.Sprintf("clock: moved by %s=%s, now %s", Env, s.raw, Now().In(wib).Format(describeLayout))
	}
}

// Describe writes the time in WIB, where most of Lindungi's users live.
var wib = time.FixedZone("WIB", 7*3600)

const describeLayout = "Monday 2 January 2006 15:04:05 MST"

type config struct {
	raw    string
	offset time.Duration
	err    error
}

// setting reads the environment once, the first time the clock is read: an
// instant becomes the offset from the real clock at that moment.
var setting = sync.OnceValue(func() config {
	raw := strings.TrimSpace(os.Getenv(Env))
	if raw == "" {
		return config{}
	}
	off, err := Parse(raw, time.Now())
	if err != nil {
		return config{raw: raw, err: fmt.Errorf("%s=%q: %w", Env, raw, err)}
	}
	return config{raw: raw, offset: off}
})

// Parse reads a LINDUNGI_TEST_CLOCK value and returns the offset it means
// from the real time real: an RFC 3339 instant (2028-02-29T08:00:00+07:00)
// or a signed offset in days, hours, minutes or seconds (+400d, -30d, +36h,
// +1h30m).
func Parse(raw string, real time.Time) (time.Duration, error) {
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t.Sub(real), nil
	}
	if raw == "" || (raw[0] != '+' && raw[0] != '-') {
		return 0, fmt.Errorf("want an instant such as 2028-02-29T08:00:00+07:00 or an offset such as +400d")
	}
	if days, ok := strings.CutSuffix(raw[1:], "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("want a whole number of days, such as +400d")
		}
		d := time.Duration(n) * 24 * time.Hour
		if raw[0] == '-' {
			d = -d
		}
		return d, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, fmt.Errorf("want an instant such as 2028-02-29T08:00:00+07:00 or an offset such as +400d, +36h")
	}
	return d, nil
}

// Stopwatch measures a real duration (a latency, a timeout, a pace) on the
// monotonic clock, which LINDUNGI_TEST_CLOCK never moves. It is not a date:
// time.Since of a moved reading would be off by the offset.
type Stopwatch struct{ start time.Time }

// Start starts a stopwatch.
func Start() Stopwatch { return Stopwatch{start: time.Now()} }

// Elapsed is the real time since Start; a stopwatch never started has run
// forever.
func (s Stopwatch) Elapsed() time.Duration {
	if s.start.IsZero() {
		return time.Duration(math.MaxInt64)
	}
	return time.Since(s.start)
}

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
