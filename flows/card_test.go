package flows_test

import (
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
)

func TestCardStanding(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) // as PostgreSQL gives a date
	to := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		today    time.Time
		from, to time.Time
		want     string
		why      string
	}{
		{time.Date(2026, 11, 30, 23, 0, 0, 0, wib), from, to, flows.CardUpcoming, "the evening before"},
		{time.Date(2026, 12, 1, 0, 30, 0, 0, wib), from, to, flows.CardActive, "the first day, just after midnight in WIB (still 30 Nov in UTC)"},
		{time.Date(2026, 12, 31, 23, 59, 0, 0, wib), from, to, flows.CardActive, "the last day"},
		{time.Date(2027, 1, 1, 0, 1, 0, 0, wib), from, to, flows.CardInactive, "the day after"},
		{time.Date(2026, 12, 10, 12, 0, 0, 0, wib), time.Time{}, time.Time{}, flows.CardInactive, "never paid"},
	} {
		if got := flows.CardStanding(tc.from, tc.to, tc.today); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.why, got, tc.want)
		}
	}
}
