package flows

import (
	"math/rand/v2"
	"testing"
	"time"
)

var jkt = time.FixedZone("WIB", 7*3600)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, jkt) }

func at8(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, ChargeHour, 0, 0, 0, jkt) }

func TestChargeDayAcrossShortMonthsAndTheYearsEnd(t *testing.T) {
	tests := []struct {
		name      string
		now       time.Time
		coveredTo time.Time
		day       int // 0: the default
		wantDay   int
		want      time.Time
		late      bool
	}{
		{"ends 1 Mar: the day before is 28 Feb", day(2027, 2, 3), day(2027, 3, 1), 0, 28, at8(2027, 2, 28), false},
		{"ends 1 Mar of a leap year: 29 Feb is past the 28th", day(2028, 2, 3), day(2028, 3, 1), 0, 28, at8(2028, 2, 28), false},
		{"ends 31 Dec: 30 Dec is past the 28th", day(2026, 12, 7), day(2026, 12, 31), 0, 28, at8(2026, 12, 28), false},
		{"ends 1 Jan: the day before is New Year's Eve", day(2026, 12, 7), day(2027, 1, 1), 0, 28, at8(2026, 12, 28), false},
		{"ends 10 Jan, paid on the 20th: back across the year", day(2026, 12, 7), day(2027, 1, 10), 20, 20, at8(2026, 12, 20), false},
		{"ends 1 Jan, the 5th already past: late, in January", time.Date(2026, 12, 15, 9, 0, 0, 0, jkt), day(2027, 1, 1), 5, 5, at8(2027, 1, 5), true},
		{"ends 31 Mar, the 28th passed this morning", time.Date(2027, 3, 28, 9, 0, 0, 0, jkt), day(2027, 3, 31), 28, 28, at8(2027, 4, 28), true},
		{"charge day today, before the hour", time.Date(2027, 3, 28, 7, 0, 0, 0, jkt), day(2027, 3, 31), 28, 28, at8(2027, 3, 28), false},
		{"never covered, on New Year's Eve: tomorrow is the 1st", time.Date(2026, 12, 31, 10, 0, 0, 0, jkt), time.Time{}, 0, 1, at8(2027, 1, 1), false},
		{"never covered, the 30th of January: the 28th comes in February", time.Date(2027, 1, 30, 10, 0, 0, 0, jkt), time.Time{}, 0, 28, at8(2027, 2, 28), false},
		{"ends 30 Apr: the 29th is past the 28th", day(2027, 4, 2), day(2027, 4, 30), 0, 28, at8(2027, 4, 28), false},
	}
	for _, tt := range tests {
		d := tt.day
		if d == 0 {
			d = DefaultChargeDay(tt.coveredTo, tt.now)
			if d != tt.wantDay {
				t.Errorf("%s: default day %d, want %d", tt.name, d, tt.wantDay)
				continue
			}
		}
		got, late := FirstCharge(tt.now, tt.coveredTo, d)
		if !got.Equal(tt.want) || late != tt.late {
			t.Errorf("%s: first charge %s (late %v), want %s (late %v)", tt.name, got, late, tt.want, tt.late)
		}
	}
}

func TestNextCharge(t *testing.T) {
	first := at8(2027, 1, 28)
	for _, tt := range []struct{ after, want time.Time }{
		{at8(2027, 1, 27), first},
		{first, at8(2027, 2, 28)},
		{at8(2027, 2, 28), at8(2027, 3, 28)},
		{day(2027, 12, 30), at8(2028, 1, 28)},
		{at8(2028, 2, 29), at8(2028, 3, 28)},
	} {
		if got := NextCharge(first, tt.after); !got.Equal(tt.want) {
			t.Errorf("after %s: %s, want %s", tt.after, got, tt.want)
		}
	}
	if got := NextCharge(at8(2026, 11, 5), day(2027, 2, 3)); !got.Equal(at8(2027, 2, 5)) {
		t.Errorf("a year on: %s", got)
	}
}

// TestFirstChargeProperties: for any date and any coverage end (a seeded
// random clock), the first charge is on the day asked, after now, never
// after coverage ends unless no such day was left before it, and then in
// the month that follows.
func TestFirstChargeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 2027))
	base := day(2026, 1, 1)
	for range 20000 {
		now := base.Add(time.Duration(r.Int64N(int64(4 * 365 * 24 * time.Hour))))
		var coveredTo time.Time
		if r.IntN(10) > 0 {
			coveredTo = day(now.Year(), now.Month(), now.Day()+r.IntN(400)-30)
		}
		d := 1 + r.IntN(MaxChargeDay)
		got, late := FirstCharge(now, coveredTo, d)
		if got.Day() != d || !got.After(now) || got.Hour() != ChargeHour {
			t.Fatalf("now %s, covered to %s, day %d: %s", now, coveredTo, d, got)
		}
		if got.Sub(now) > 32*24*time.Hour && (coveredTo.IsZero() || late) {
			t.Fatalf("now %s, day %d: %s is more than a month off", now, d, got)
		}
		if coveredTo.IsZero() {
			continue
		}
		last := at8(coveredTo.Year(), coveredTo.Month(), coveredTo.Day()-1)
		if !late && got.After(last) {
			t.Fatalf("now %s, covered to %s, day %d: %s after coverage ends, not late", now, coveredTo, d, got)
		}
		if !late && got.AddDate(0, 1, 0).Before(last) && got.AddDate(0, 1, 0).Day() == d {
			t.Fatalf("now %s, covered to %s, day %d: %s is a month earlier than needed", now, coveredTo, d, got)
		}
		if def := DefaultChargeDay(coveredTo, now); def < 1 || def > MaxChargeDay {
			t.Fatalf("default day %d", def)
		}
	}
}

func TestParseChargeDay(t *testing.T) {
	for in, want := range map[string]int{"5": 5, " 28 ": 28, "tgl 5": 5, "Tanggal 25": 25, "tgl.10": 10, "1.": 1, "05": 5} {
		if got, ok := ParseChargeDay(in); !ok || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0", "29", "31", "-1", "+5", "lima", "5 Desember", "100", "tgl"} {
		if got, ok := ParseChargeDay(in); ok {
			t.Errorf("%q: accepted as %d", in, got)
		}
	}
}

func FuzzParseChargeDay(f *testing.F) {
	for _, s := range []string{"5", "tgl 5", "tanggal 28", "29", "+1", "0x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseChargeDay(s)
		if ok != (d >= 1 && d <= MaxChargeDay) {
			t.Fatalf("%q: %d %v", s, d, ok)
		}
	})
}
