package bot

import (
	"testing"
	"time"
)

// The window holds whatever the bucket lets through: sends that come late
// and then in a rush never put more than ⌊rate⌋ into one second.
func TestPacerWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		rate float64
		gaps func(i int) time.Duration // when the i-th send asks, after the one before began
	}{
		{"even at the rate", 30, func(int) time.Duration { return time.Second / 30 }},
		{"late, then at once", 30, func(i int) time.Duration {
			if i%10 == 0 {
				return 80 * time.Millisecond
			}
			return 0
		}},
		{"all at once", 30, func(int) time.Duration { return 0 }},
		{"one a second", 1, func(int) time.Duration { return 900 * time.Millisecond }},
		{"a fraction", 2.5, func(int) time.Duration { return 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPacer(tc.rate)
			n := len(p.starts)
			var began []time.Time
			now := t0
			for i := range 300 {
				now = now.Add(tc.gaps(i))
				at := p.reserve(now)
				if at.Before(now) {
					t.Fatalf("send %d may begin at %v, before it asked at %v", i, at, now)
				}
				began = append(began, at)
				now = at
			}
			for i := n; i < len(began); i++ {
				if span := began[i].Sub(began[i-n]); span < time.Second+pacerMargin {
					t.Fatalf("sends %d to %d began within %v: more than %d in a second", i-n, i, span, n)
				}
			}
		})
	}
	// At the rate, the window costs only its margin.
	p := newPacer(30)
	now := t0
	for range 300 {
		now = p.reserve(now.Add(time.Second / 30))
	}
	if got, want := now.Sub(t0), 10*(time.Second+pacerMargin); got > want+time.Second/30 {
		t.Errorf("300 sends at 30/s took %v, want about %v", got, want)
	}
}
