package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/tanggal"
	"github.com/lindungi/lindungi/wilayah"
)

// The first groups are listed one by one, the rest summed on one line.
func TestStatsTableTopAndRest(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	regions, err := wilayah.Load()
	if err != nil {
		t.Fatal(err)
	}
	tn := &turn{Engine: New(Deps{Catalog: cat, Regions: regions}, DefaultConfig()), s: &Session{Lang: "id"}}
	var counts []Count
	for i, code := range []string{"61.71", "61.12", "61.01", "61.04", "61.03", "61.05", "61.72", "61.02", "61.08", "61.07", "61.06", "61.10", "", "99.99"} {
		counts = append(counts, Count{Key: code, Registered: 2000 - i*100, Active: 1000 - i*50})
	}
	line := func(label string, c Count) string {
		return tn.T("stats.line", map[string]any{"Label": label, "Registered": locales.Number("id", int64(c.Registered)), "Active": locales.Number("id", int64(c.Active))})
	}
	got := tn.statsTable("stats.by_regency", counts, statsTopRegencies, "stats.rest_regencies", line, func(key string) string {
		if r, ok := regions.Get(key); ok {
			return r.Name
		}
		return tn.orUnknown(key)
	})
	lines := strings.Split(got, "\n")
	if len(lines) != 12 || lines[1] != "Kota Pontianak: 2.000 terdaftar · 1.000 aktif" || lines[10] != "Kabupaten Bengkayang: 1.100 terdaftar · 550 aktif" ||
		lines[11] != "4 kabupaten/kota lainnya: 3.400 terdaftar · 1.700 aktif" {
		t.Errorf("table:\n%s", got)
	}
	if got := tn.statsTable("stats.by_regency", nil, 10, "stats.rest_regencies", line, nil); got != "Per kabupaten/kota (tempat tinggal pekerja):\nBelum ada pendaftaran." {
		t.Errorf("empty table: %q", got)
	}
}

func TestWeekStart(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	for _, c := range []struct{ day, want string }{
		{"2026-11-25", "2026-11-23"}, // Wednesday
		{"2026-11-23", "2026-11-23"}, // Monday
		{"2026-11-01", "2026-10-26"}, // Sunday: the week began last month
		{"2027-01-02", "2026-12-28"}, // and last year
	} {
		d, _ := time.ParseInLocation(time.DateOnly, c.day, wib)
		if got := tanggal.WeekStart(d.Add(15 * time.Hour)); got.Format(time.DateOnly) != c.want || got.Hour() != 0 || got.Location() != wib {
			t.Errorf("tanggal.WeekStart(%s) = %v, want %s", c.day, got, c.want)
		}
	}
}
