package flows

import (
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/tanggal"
)

// Auto-debit (bayar otomatis): a worker's linked GoPay account is charged
// every month by a Midtrans subscription, on a day of the month the worker
// picks. This file holds its calendar: which day is offered, when the first
// charge falls, and when the next one does.

// Auto-debit's retry schedule: Midtrans retries a failed charge at most 3
// times; one day apart gives a worker whose wallet was empty three more
// mornings to top it up. After the last retry fails the subscription is
// paused.
const (
	AutoDebitRetries    = 3
	AutoDebitRetryEvery = 24 * time.Hour
)

// MaxChargeDay is the last day of the month a charge may be set on: every
// month has a 28th, so a monthly schedule never slides (a charge on the
// 31st would fall in March after February).
const MaxChargeDay = 28

// ChargeHour is the hour of the charge day (deployment time) Midtrans
// charges at: the morning, when a day earner's wallet is fullest after the
// evening before.
const ChargeHour = 8

// DefaultChargeDay is the day of the month offered first: the day before
// coverage ends (coveredTo is the last covered day), at most MaxChargeDay.
// A worker never covered yet (coveredTo zero) is offered tomorrow's day.
func DefaultChargeDay(coveredTo, today time.Time) int {
	d := tanggal.Midnight(today).AddDate(0, 0, 1)
	if !coveredTo.IsZero() {
		d = tanggal.Midnight(coveredTo).AddDate(0, 0, -1)
	}
	return min(d.Day(), MaxChargeDay)
}

// ChargeDayChoices are the days offered as buttons: the default first,
// then the usual paydays, without repeats.
func ChargeDayChoices(def int) []int {
	out := []int{def}
	for _, d := range []int{1, 5, 10, 15, 20, 25} {
		if d != def {
			out = append(out, d)
		}
	}
	return out
}

// ParseChargeDay reads a day of the month the worker typed or tapped:
// "5", "tgl 5", "tanggal 25", "5." — 1 to MaxChargeDay. ok is false for
// anything else.
func ParseChargeDay(s string) (day int, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"tanggal", "tgl.", "tgl", "day"} {
		if rest, cut := strings.CutPrefix(s, p); cut {
			s = strings.TrimSpace(rest)
			break
		}
	}
	s = strings.TrimSuffix(s, ".")
	if len(s) == 0 || len(s) > 2 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxChargeDay || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	return n, true
}

// dayIn is the given day of the month of t, at ChargeHour in t's location.
func dayIn(t time.Time, day int) time.Time {
	return time.Date(t.Year(), t.Month(), day, ChargeHour, 0, 0, 0, t.Location())
}

// FirstCharge is when the first charge falls for a worker whose last
// covered day is coveredTo, charged on day of the month from now on: the
// last such day on or before the day before coverage ends, so no day goes
// uncovered; when that day is already past (now), the next such day, which
// is after coverage ends (late: the charge back-pays from the day after
// coveredTo, within the arrears window, with no fine). A worker never
// covered is charged on the next such day. All in now's location.
func FirstCharge(now, coveredTo time.Time, day int) (at time.Time, late bool) {
	if day < 1 || day > MaxChargeDay {
		day = MaxChargeDay
	}
	next := func(after time.Time) time.Time {
		c := dayIn(after, day)
		if !c.After(after) {
			c = dayIn(time.Date(after.Year(), after.Month()+1, 1, 0, 0, 0, 0, after.Location()), day)
		}
		return c
	}
	if coveredTo.IsZero() {
		return next(now), false
	}
	loc := now.Location()
	last := time.Date(coveredTo.Year(), coveredTo.Month(), coveredTo.Day()-1, ChargeHour, 0, 0, 0, loc) // the day before it ends
	c := dayIn(last, day)
	if c.After(last) {
		c = dayIn(time.Date(last.Year(), last.Month()-1, 1, 0, 0, 0, 0, loc), day)
	}
	if c.After(now) {
		return c, false
	}
	c = next(now)
	return c, c.After(last)
}

// NextCharge is the first charge of a monthly schedule that began at first
// (on a day ≤ MaxChargeDay) strictly after after.
func NextCharge(first, after time.Time) time.Time {
	if first.After(after) {
		return first
	}
	loc := first.Location()
	a := after.In(loc)
	n := (a.Year()-first.Year())*12 + int(a.Month()-first.Month())
	c := first.AddDate(0, n, 0)
	if !c.After(a) {
		c = first.AddDate(0, n+1, 0)
	}
	return c
}
