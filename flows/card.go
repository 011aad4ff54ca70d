package flows

import "time"

// Card is what a membership card shows, and its public verification page.
type Card struct {
	Ref, Name, KPJ string
	JHT            bool   // JHT covered (by the registration, or the worker's own JHT today)
	Status         string // the registration's
	// CoveredFrom and CoveredTo are calendar days (their date counts,
	// whatever their zone); zero before the first payment.
	CoveredFrom, CoveredTo time.Time
	Token                  string // of the verification link
}

// What a card's coverage is on a day.
const (
	CardActive   = "active"   // covered today
	CardUpcoming = "upcoming" // paid for, starting later
	CardInactive = "inactive" // never paid for, or ended
)

// CardStanding is a card's coverage on today's calendar day (in the zone
// today is in).
func CardStanding(from, to, today time.Time) string {
	if from.IsZero() || to.IsZero() {
		return CardInactive
	}
	day := func(t time.Time) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	switch d := day(today); {
	case d.After(day(to)):
		return CardInactive
	case d.Before(day(from)):
		return CardUpcoming
	}
	return CardActive
}
