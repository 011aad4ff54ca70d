package iuran

import (
	"strconv"
	"testing"
	"time"
)

// wib is a fixed UTC+7 zone (no tzdata needed): results must stay in it.
var wib = time.FixedZone("WIB", 7*3600)

// day parses "2006-01-02" as midnight in WIB.
func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, wib)
	if err != nil {
		panic(err)
	}
	return t
}

func fmtDay(t time.Time) string { return t.Format(time.DateOnly) }

// checkDay fails unless got is midnight in WIB on want.
func checkDay(t *testing.T, what string, got time.Time, want string) {
	t.Helper()
	if fmtDay(got) != want || got.Location() != wib || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
		t.Errorf("%s = %s (%s), want %s midnight WIB", what, got, got.Location(), want)
	}
}

func TestCoverageEnd(t *testing.T) {
	tests := []struct {
		start  string
		months int
		want   string
	}{
		// The and the brief's examples.
		{"2026-12-01", 3, "2027-02-28"},
		{"2026-01-31", 1, "2026-02-28"},
		{"2026-11-30", 3, "2027-02-28"},
		// Plain months.
		{"2026-01-01", 1, "2026-01-31"},
		{"2026-01-01", 12, "2026-12-31"},
		{"2026-01-15", 1, "2026-02-14"},
		{"2026-01-15", 12, "2027-01-14"},
		{"2026-03-28", 1, "2026-04-27"},
		{"2026-02-28", 1, "2026-03-27"},
		{"2026-12-31", 1, "2027-01-30"},
		{"2026-07-31", 1, "2026-08-30"}, // 31 Aug exists
		{"2026-03-31", 1, "2026-04-30"}, // no 31 Apr: April's last day
		{"2026-08-31", 1, "2026-09-30"},
		{"2026-05-31", 6, "2026-11-30"}, // 31 May → 1 Jul (no 31 Jun) → … 1 Dec
		// Clamping then months on the 1st (the chained rule).
		{"2026-01-31", 2, "2026-03-31"},
		{"2026-01-31", 3, "2026-04-30"},
		{"2026-01-31", 12, "2027-01-31"},
		{"2026-01-29", 2, "2026-03-31"},
		{"2026-01-30", 6, "2026-07-31"},
		{"2026-12-31", 2, "2027-02-28"}, // 31 Dec → 31 Jan → 1 Mar
		{"2026-11-29", 3, "2027-02-28"}, // no 29 Feb 2027
		{"2026-11-28", 3, "2027-02-27"},
		// Leap years.
		{"2024-01-31", 1, "2024-02-29"},
		{"2028-01-31", 1, "2028-02-29"},
		{"2027-11-29", 3, "2028-02-28"}, // 29 Feb 2028 exists: the day before
		{"2027-11-30", 3, "2028-02-29"}, // no 30 Feb: February's last day
		{"2024-02-29", 1, "2024-03-28"},
		{"2024-02-29", 12, "2025-02-28"}, // 29 Jan 2025 → no 29 Feb 2025 → 1 Mar
		{"2024-02-29", 6, "2024-08-28"},
		{"2000-01-31", 1, "2000-02-29"}, // divisible by 400: leap
		{"2100-01-31", 1, "2100-02-28"}, // divisible by 100 only: not leap
		{"2023-12-01", 3, "2024-02-29"},
		{"2024-12-01", 3, "2025-02-28"},
		// Degenerate lengths: an empty period ends the day before it starts.
		{"2026-03-01", 0, "2026-02-28"},
		{"2024-03-01", -1, "2024-02-29"},
	}
	for _, tt := range tests {
		checkDay(t, "CoverageEnd("+tt.start+", "+strconv.Itoa(tt.months)+")", CoverageEnd(day(tt.start), tt.months), tt.want)
	}
}

func TestCoverageKeepsLocationAndDropsTime(t *testing.T) {
	// A settlement timestamp in the afternoon: only its date counts.
	settled := time.Date(2026, 11, 30, 16, 45, 12, 999, wib)
	from, to := FirstCoverage(settled, 3)
	checkDay(t, "FirstCoverage from", from, "2026-12-01")
	checkDay(t, "FirstCoverage to", to, "2027-02-28")
	// The date is read in the value's own location: 30 Nov 23:30 UTC is 1 Dec in WIB.
	utc := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)
	from, _ = FirstCoverage(utc.In(wib), 1)
	checkDay(t, "FirstCoverage from (WIB of a UTC instant)", from, "2026-12-02")
	if from, _ := FirstCoverage(utc, 1); from.Location() != time.UTC || fmtDay(from) != "2026-12-01" {
		t.Errorf("FirstCoverage in UTC = %s", from)
	}
}

// naiveEnd is "the day before the same day-of-month n months later, or that
// month's last day when it has no such day".
func naiveEnd(start time.Time, n int) time.Time {
	y, m, d := start.Date()
	tm := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, start.Location())
	if d > daysIn(tm.Year(), tm.Month()) {
		return time.Date(tm.Year(), tm.Month()+1, 0, 0, 0, 0, 0, start.Location())
	}
	return time.Date(tm.Year(), tm.Month(), d-1, 0, 0, 0, 0, start.Location())
}

// Every start day from 2023 to 2029 and every length up to 27 months: the
// period chains exactly, matches MonthStarts, and differs from the naive rule
// by at most three days, never less.
func TestCoverageChains(t *testing.T) {
	for s := day("2023-01-01"); s.Year() < 2030; s = addDays(s, 1) {
		for n := 1; n <= 27; n++ {
			end := CoverageEnd(s, n)
			naive := naiveEnd(s, n)
			if diff := int(end.Sub(naive).Hours() / 24); diff < 0 || diff > 3 {
				t.Fatalf("CoverageEnd(%s, %d) = %s, naive %s", fmtDay(s), n, fmtDay(end), fmtDay(naive))
			}
			if s.Day() <= 28 && !end.Equal(naive) {
				t.Fatalf("CoverageEnd(%s, %d) = %s, naive %s (start ≤ 28 must agree)", fmtDay(s), n, fmtDay(end), fmtDay(naive))
			}
			for k := 1; k < n; k++ {
				if got := CoverageEnd(addDays(CoverageEnd(s, k), 1), n-k); !got.Equal(end) {
					t.Fatalf("%s: %d+%d months ends %s, %d at once ends %s", fmtDay(s), k, n-k, fmtDay(got), n, fmtDay(end))
				}
			}
			starts := MonthStarts(s, n)
			if len(starts) != n || !starts[0].Equal(s) {
				t.Fatalf("MonthStarts(%s, %d) = %v", fmtDay(s), n, starts)
			}
			for i, ms := range starts {
				if !ms.Equal(addDays(CoverageEnd(s, i), 1)) {
					t.Fatalf("MonthStarts(%s, %d)[%d] = %s", fmtDay(s), n, i, fmtDay(ms))
				}
			}
		}
	}
	if MonthStarts(day("2026-01-01"), 0) != nil {
		t.Error("MonthStarts with 0 months is not empty")
	}
}

func TestArrearsUntil(t *testing.T) {
	tests := []struct{ end, want string }{
		{"2027-02-28", "2027-05-31"},
		{"2026-12-31", "2027-03-31"},
		{"2026-01-31", "2026-04-30"},
		{"2026-11-30", "2027-02-28"}, // unpaid months from 1 Dec
		{"2026-10-30", "2027-01-31"}, // unpaid from 31 Oct: 31 Oct–30 Nov (no 31 Nov), Dec, Jan
		{"2026-01-14", "2026-04-14"},
		{"2023-11-28", "2024-02-28"}, // unpaid from 29 Nov: …, 29 Jan–28 Feb 2024
		{"2023-11-29", "2024-02-29"}, // unpaid from 30 Nov: 30 Jan–29 Feb 2024 (leap)
	}
	for _, tt := range tests {
		checkDay(t, "ArrearsUntil("+tt.end+")", ArrearsUntil(day(tt.end)), tt.want)
	}
}

func TestStatus(t *testing.T) {
	end := day("2027-02-28") // ArrearsUntil = 2027-05-31
	tests := []struct {
		today string
		want  Standing
	}{
		{"2026-12-01", Active},
		{"2027-02-27", Active},
		{"2027-02-28", Active}, // the last covered day
		{"2027-03-01", Arrears},
		{"2027-04-15", Arrears},
		{"2027-05-31", Arrears}, // last day arrears can be paid
		{"2027-06-01", Ended},
		{"2030-01-01", Ended},
	}
	for _, tt := range tests {
		if got := Status(end, day(tt.today)); got != tt.want {
			t.Errorf("Status(%s, %s) = %s, want %s", fmtDay(end), tt.today, got, tt.want)
		}
	}
	// The time of day does not matter, nor does the location of today beyond its date.
	if got := Status(end, time.Date(2027, 2, 28, 23, 59, 59, 0, wib)); got != Active {
		t.Errorf("last day at 23:59 = %s", got)
	}
	if got := Status(time.Time{}, day("2027-01-01")); got != None {
		t.Errorf("zero end = %s, want none", got)
	}
	for s, want := range map[Standing]string{None: "none", Active: "active", Arrears: "arrears", Ended: "ended", 9: "standing(9)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

func TestExtend(t *testing.T) {
	tests := []struct {
		name     string
		end      string // "" = never covered
		months   int
		paidOn   string
		from, to string
	}{
		{"before the end", "2027-02-28", 1, "2027-02-20", "2027-03-01", "2027-03-31"},
		{"well before the end", "2027-02-28", 12, "2026-12-05", "2027-03-01", "2028-02-29"},
		{"on the last day", "2027-02-28", 3, "2027-02-28", "2027-03-01", "2027-05-31"},
		{"first day of arrears", "2027-02-28", 1, "2027-03-01", "2027-03-01", "2027-03-31"},
		{"in arrears, back-pays the gap", "2027-02-28", 3, "2027-04-20", "2027-03-01", "2027-05-31"},
		{"in arrears, partly", "2027-02-28", 1, "2027-05-10", "2027-03-01", "2027-03-31"},
		{"last day of the window", "2027-02-28", 6, "2027-05-31", "2027-03-01", "2027-08-31"},
		{"day after the window: restart", "2027-02-28", 1, "2027-06-01", "2027-06-02", "2027-07-01"},
		{"long after: restart", "2027-02-28", 3, "2028-11-30", "2028-12-01", "2029-02-28"},
		{"end clamped (31 Jan start)", "2026-02-28", 1, "2026-02-10", "2026-03-01", "2026-03-31"},
		{"never covered", "", 3, "2026-11-30", "2026-12-01", "2027-02-28"},
	}
	for _, tt := range tests {
		var end time.Time
		if tt.end != "" {
			end = day(tt.end)
		}
		from, to := Extend(end, tt.months, day(tt.paidOn))
		checkDay(t, tt.name+": from", from, tt.from)
		checkDay(t, tt.name+": to", to, tt.to)
	}
	// A renewal in the window keeps currentEnd's location even if paidOn has another.
	from, _ := Extend(day("2027-02-28"), 1, time.Date(2027, 3, 5, 12, 0, 0, 0, time.UTC))
	checkDay(t, "location", from, "2027-03-01")
}

func TestFirstCoverage(t *testing.T) {
	tests := []struct {
		settled  string
		months   int
		from, to string
	}{
		{"2026-11-30", 3, "2026-12-01", "2027-02-28"},
		{"2026-01-30", 1, "2026-01-31", "2026-02-28"},
		{"2026-12-31", 12, "2027-01-01", "2027-12-31"},
		{"2024-02-28", 1, "2024-02-29", "2024-03-28"},
		{"2024-02-29", 6, "2024-03-01", "2024-08-31"},
	}
	for _, tt := range tests {
		from, to := FirstCoverage(day(tt.settled), tt.months)
		checkDay(t, "FirstCoverage("+tt.settled+") from", from, tt.from)
		checkDay(t, "FirstCoverage("+tt.settled+") to", to, tt.to)
	}
}

func FuzzCoverage(f *testing.F) {
	f.Add(2026, 1, 31, 2, 1)
	f.Add(2024, 2, 29, 12, 5)
	f.Add(2026, 11, 30, 3, 100)
	f.Fuzz(func(t *testing.T, y, m, d, n, gap int) {
		y, m, d = 1900+abs(y)%300, 1+abs(m)%12, 1+abs(d)%31
		n = abs(n) % 400
		start := time.Date(y, time.Month(m), d, 0, 0, 0, 0, wib)
		end := CoverageEnd(start, n)
		if end.Location() != wib || end.Hour() != 0 {
			t.Fatalf("CoverageEnd lost location or time: %s", end)
		}
		if n == 0 {
			if !addDays(end, 1).Equal(start) {
				t.Fatalf("empty period ends %s for start %s", end, start)
			}
			return
		}
		// Between n−1 full months (28 days each) and n months (31 days each), plus the clamp.
		days := int(end.Sub(start).Hours()/24) + 1
		if days < 28*n || days > 31*n+3 {
			t.Fatalf("CoverageEnd(%s, %d) = %s: %d days", fmtDay(start), n, fmtDay(end), days)
		}
		k := 1 + abs(gap)%n
		if k < n {
			if got := CoverageEnd(addDays(CoverageEnd(start, k), 1), n-k); !got.Equal(end) {
				t.Fatalf("%s: %d+%d ends %s, %d ends %s", fmtDay(start), k, n-k, fmtDay(got), n, fmtDay(end))
			}
		}
		// Status and Extend agree on the window.
		paid := addDays(end, abs(gap)%200)
		st := Status(end, paid)
		from, to := Extend(end, 1, paid)
		switch st {
		case Active, Arrears:
			if !from.Equal(addDays(end, 1)) {
				t.Fatalf("%s paid %s (%s): from %s", fmtDay(end), fmtDay(paid), st, fmtDay(from))
			}
		case Ended:
			if !from.Equal(addDays(paid, 1)) {
				t.Fatalf("%s paid %s (ended): from %s", fmtDay(end), fmtDay(paid), fmtDay(from))
			}
		default:
			t.Fatalf("Status = %s", st)
		}
		if !to.Equal(CoverageEnd(from, 1)) {
			t.Fatalf("Extend to %s, want %s", fmtDay(to), fmtDay(CoverageEnd(from, 1)))
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // math.MinInt
			return 0
		}
		return -n
	}
	return n
}

func TestFirstUncovered(t *testing.T) {
	tests := []struct{ end, want string }{
		{"2027-02-28", "2027-03-01"},
		{"2026-12-31", "2027-01-01"},
		{"2026-01-31", "2026-02-01"},
		{"2024-02-28", "2024-02-29"},
		{"2024-02-29", "2024-03-01"},
		{"2026-11-30", "2026-12-01"},
	}
	for _, tt := range tests {
		end := day(tt.end)
		got := FirstUncovered(end)
		checkDay(t, "FirstUncovered("+tt.end+")", got, tt.want)
		// One rule: the end is covered, the next day is the first arrears day,
		// and an arrears payment starts coverage there again.
		if Status(end, end) != Active || Status(end, got) != Arrears {
			t.Errorf("%s: Status on end %v, on FirstUncovered %v", tt.end, Status(end, end), Status(end, got))
		}
		if from, _ := Extend(end, 1, got); !from.Equal(got) {
			t.Errorf("%s: Extend starts %s, FirstUncovered %s", tt.end, fmtDay(from), fmtDay(got))
		}
	}
	// A timestamp counts by its date; the zero end (never covered) stays zero.
	checkDay(t, "FirstUncovered(afternoon)", FirstUncovered(time.Date(2027, 2, 28, 16, 30, 0, 0, wib)), "2027-03-01")
	if !FirstUncovered(time.Time{}).IsZero() {
		t.Error("FirstUncovered(zero) is not zero")
	}
}

// end.AddDate(0, 3, 0) is not the arrears rule: it ends the window days
// early, or (normalising a missing day) days late. ArrearsUntil and Status are.
func TestArrearsNotAddDate(t *testing.T) {
	tests := []struct {
		end, addDate, until string
	}{
		{"2027-02-28", "2027-05-28", "2027-05-31"}, // three days early
		{"2026-10-30", "2027-01-30", "2027-01-31"}, // one day early
		{"2026-11-30", "2027-03-02", "2027-02-28"}, // 30 Feb normalised: two days late
		{"2026-12-31", "2027-03-31", "2027-03-31"}, // the same
	}
	for _, tt := range tests {
		end := day(tt.end)
		checkDay(t, "ArrearsUntil("+tt.end+")", ArrearsUntil(end), tt.until)
		if naive := end.AddDate(0, 3, 0); fmtDay(naive) != tt.addDate {
			t.Errorf("AddDate(%s) = %s, want %s", tt.end, fmtDay(naive), tt.addDate)
		}
		if Status(end, ArrearsUntil(end)) != Arrears || Status(end, addDays(ArrearsUntil(end), 1)) != Ended {
			t.Errorf("%s: the arrears window does not end on ArrearsUntil", tt.end)
		}
	}
}
