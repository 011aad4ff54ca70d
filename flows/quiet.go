package flows

import (
	"time"

	"github.com/lindungi/lindungi/tanggal"
)

// Quiet reports whether a time falls in the quiet hours (QuietFrom–QuietTo,
// local time, "HH:MM"; none when either is empty or they are equal).
func (c Config) Quiet(at time.Time) bool {
	from, ok1 := tanggal.MinuteOfDay(c.QuietFrom)
	to, ok2 := tanggal.MinuteOfDay(c.QuietTo)
	if !ok1 || !ok2 || from == to {
		return false
	}
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	l := at.In(loc)
	m := l.Hour()*60 + l.Minute()
	if from < to {
		return m >= from && m < to
	}
	return m >= from || m < to
}
