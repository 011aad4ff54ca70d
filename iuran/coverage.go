package iuran

import (
	"strconv"
	"time"
)

// Coverage periods are counted in calendar months on calendar dates. Every
// date in and out of this file is a day: the functions read the year, month
// and day of a time.Time in its own location and return midnight in that same
// location (callers pass Asia/Jakarta, or whatever zone the deployment uses).
// Day arithmetic goes through time.Date, never through 24-hour durations, so
// zones with daylight saving do not shift a date.
//
// # The month rule
//
// A covered month that starts on day d of a month ends the day before day d
// of the next month. When the next month has no day d (a month starting on
// the 29th, 30th or 31st, followed by a shorter month), the month ends on the
// last day of that shorter month and the next one starts on the 1st of the
// month after; from then on months start on the 1st. So:
//
//	start 31 Jan 2026, 1 month   → ends 28 Feb 2026 (29 Feb in a leap year)
//	start 1 Dec 2026, 3 months   → ends 28 Feb 2027
//	start 30 Nov 2026, 3 months  → 30 Nov–29 Dec, 30 Dec–29 Jan, 30 Jan–28 Feb: ends 28 Feb 2027
//	start 31 Jan 2026, 2 months  → 31 Jan–28 Feb, 1 Mar–31 Mar: ends 31 Mar 2026
//
// An N-month period is N such months in a row. This equals "the day before
// the same day-of-month N months later, or that month's last day when it has
// no such day" except when the start is on the 29th–31st and a shorter month
// falls inside the period (the last example: the naive rule gives 30 Mar).
// The chained rule is used because it makes renewals exact: paying N months
// and then M months from the day after the end covers the same days as paying
// N+M months at once, with no gap and no overlap:
//
//	CoverageEnd(s, n+m) == CoverageEnd(CoverageEnd(s, n)+1 day, m)
//
// and it never gives less than the naive rule (at most three days more, once).

// ArrearsMonths is how many months after protection ends the arrears can
// still be paid (no late fine); after that many unpaid months the membership
// ends ("berakhir kepesertaan"). DOMAIN.md §1, PROBIS KEPESERTAAN p.59.
const ArrearsMonths = 3

// Standing is where a membership stands on a given day.
type Standing int

// Standings. The zero value, None, is a membership that was never covered.
const (
	None    Standing = iota // never covered (zero end date)
	Active                  // today is on or before the last covered day
	Arrears                 // "menunggak": within ArrearsMonths after the end; arrears can be paid
	Ended                   // more than ArrearsMonths unpaid months: membership ended, restart on payment
)

func (s Standing) String() string {
	switch s {
	case None:
		return "none"
	case Active:
		return "active"
	case Arrears:
		return "arrears"
	case Ended:
		return "ended"
	}
	return "standing(" + strconv.Itoa(int(s)) + ")"
}

// CoverageEnd is the last covered day of a period of months calendar months
// whose first covered day is start (see the month rule above). months < 1
// gives the day before start (an empty period). The result is midnight in
// start's location.
func CoverageEnd(start time.Time, months int) time.Time {
	return addDays(monthsLater(start, months), -1)
}

// MonthStarts returns the first day of each of the months covered by a
// period of the given length that starts on start, following the month rule;
// the month i ends the day before MonthStarts[i+1] (the last one on
// CoverageEnd(start, months)).
func MonthStarts(start time.Time, months int) []time.Time {
	if months < 1 {
		return nil
	}
	out := make([]time.Time, 0, months)
	s := midnight(start)
	for range months {
		out = append(out, s)
		s = nextMonth(s)
	}
	return out
}

// FirstCoverage is the period bought by a first payment that settled on
// settledOn: coverage starts the next day and runs for months calendar months.
func FirstCoverage(settledOn time.Time, months int) (from, to time.Time) {
	from = addDays(settledOn, 1)
	return from, CoverageEnd(from, months)
}

// ArrearsUntil is the last day on which arrears for a membership whose
// coverage ended on end can still be paid: the last day of the
// ArrearsMonths-th unpaid month after end, the unpaid months following the
// month rule like paid ones. The day after, the membership has ended. For end
// 28 Feb 2027 it is 31 May 2027.
//
// This is the package's one arrears rule. Every screen, reminder and agent
// list must use ArrearsUntil or Status, never end.AddDate(0, 3, 0): that gives
// 28 May for end 28 Feb (three days short) and 2 Mar for end 30 Nov (two days
// too long), and so disagrees with Extend, which accepts back-payment exactly
// up to ArrearsUntil.
func ArrearsUntil(end time.Time) time.Time {
	return CoverageEnd(addDays(end, 1), ArrearsMonths)
}

// FirstUncovered is the first day without protection for a membership whose
// last covered day is end: the day after end, at midnight in end's location
// (the zero time when end is zero: never covered). Texts about arrears say
// "tidak terlindungi sejak <FirstUncovered(end)>" — end itself is still a
// covered day — or "perlindungan berakhir <end>". For end 28 Feb 2027 it is
// 1 Mar 2027; for end 31 Dec 2026, 1 Jan 2027.
func FirstUncovered(end time.Time) time.Time {
	if end.IsZero() {
		return time.Time{}
	}
	return addDays(end, 1)
}

// Status says where a membership whose last covered day is end stands on
// today: Active up to and including end, Arrears from the day after end up to
// and including ArrearsUntil(end), Ended after that; None when end is the zero
// time (never covered).
func Status(end, today time.Time) Standing {
	switch {
	case end.IsZero():
		return None
	case dayKey(today) <= dayKey(end):
		return Active
	case dayKey(today) <= dayKey(ArrearsUntil(end)):
		return Arrears
	}
	return Ended
}

// Extend is the period bought by a renewal of months calendar months paid on
// paidOn by a membership whose last covered day is currentEnd:
//
//   - paid on or before currentEnd: from the day after currentEnd;
//   - paid in arrears (on or before ArrearsUntil(currentEnd)): also from the
//     day after currentEnd — the payment back-pays the unpaid months first
//     (no late fine). If it buys fewer months than are unpaid, the membership
//     is still in arrears afterwards, against the new end;
//   - paid later: the membership had ended, so coverage restarts the day
//     after paidOn, as for a first payment;
//   - currentEnd zero (never covered): as FirstCoverage(paidOn, months).
//
// Both results are midnight in currentEnd's location (paidOn's when currentEnd
// is zero or when coverage restarts). Period lengths are not checked here:
// payments go through Quote, which only allows Periods(); sponsored batches
// may use other lengths.
func Extend(currentEnd time.Time, months int, paidOn time.Time) (from, to time.Time) {
	if currentEnd.IsZero() || dayKey(paidOn) > dayKey(ArrearsUntil(currentEnd)) {
		return FirstCoverage(paidOn, months)
	}
	from = addDays(currentEnd, 1)
	return from, CoverageEnd(from, months)
}

// monthsLater is the first day after n months that start on start.
func monthsLater(start time.Time, n int) time.Time {
	s := midnight(start)
	for ; n > 0 && s.Day() > 28; n-- {
		s = nextMonth(s)
	}
	if n <= 0 {
		return s
	}
	// From a day ≤ 28 every month has the same day: no clamping any more.
	y, m, d := s.Date()
	return time.Date(y, m+time.Month(n), d, 0, 0, 0, 0, s.Location())
}

// nextMonth is the day after the covered month that starts on s: the same
// day of the next month, or the 1st of the month after when the next month
// has no such day.
func nextMonth(s time.Time) time.Time {
	y, m, d := s.Date()
	if d > daysIn(y, m+1) {
		return time.Date(y, m+2, 1, 0, 0, 0, 0, s.Location())
	}
	return time.Date(y, m+1, d, 0, 0, 0, 0, s.Location())
}

// daysIn is the number of days in month m of year y (m may be 13: January of y+1).
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func midnight(t time.Time) time.Time { return addDays(t, 0) }

func addDays(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+n, 0, 0, 0, 0, t.Location())
}

// dayKey orders calendar dates (each read in its own location).
func dayKey(t time.Time) int64 {
	y, m, d := t.Date()
	return int64(y)*10000 + int64(m)*100 + int64(d)
}
