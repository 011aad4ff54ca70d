package sponsor

import (
	"testing"
	"time"

	"github.com/lindungi/lindungi/iuran"
)

// A sponsor's invoice goes through the same quote as a worker's: the
// discount of each worker's sector, none when public funds pay.
func TestPricesFollowTheFunding(t *testing.T) {
	waiting := []Waiting{{Bracket: 0, Occupation: "petani", Workers: 3}, {Bracket: 0, Occupation: "ojek", Workers: 2}}
	for _, tt := range []struct {
		name   string
		start  string
		public bool
		total  int64
		ojek   int64 // one ojek driver's amount
	}{
		{"a company, December 2026", "2026-12-05", false, 5 * 8_400, 8_400},
		{"APBD, December 2026", "2026-12-05", true, 5 * 16_800, 16_800},
		{"a company, January 2027: transport only", "2027-01-05", false, 3*16_800 + 2*8_400, 8_400},
		{"a company, April 2027", "2027-04-05", false, 5 * 16_800, 16_800},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start, _ := time.Parse(time.DateOnly, tt.start)
			b := Batch{ID: 1, Months: 1, PublicFunds: tt.public}
			prices, total, err := Prices(iuran.Default(), iuran.Law(), b, start, waiting)
			if err != nil {
				t.Fatal(err)
			}
			if total != tt.total || prices[1].Amount != tt.ojek || prices[1].Workers != 2 {
				t.Errorf("total %d, ojek %d; want %d and %d", total, prices[1].Amount, tt.total, tt.ojek)
			}
			for _, p := range prices {
				if p.Amount != p.JKK+p.JKM+p.JHT-p.Discount {
					t.Errorf("price %+v does not add up", p)
				}
			}
		})
	}
	// JHT is never discounted.
	start, _ := time.Parse(time.DateOnly, "2026-12-05")
	prices, _, err := Prices(iuran.Default(), iuran.Law(), Batch{ID: 2, Months: 1, JHT: true}, start, waiting[:1])
	if err != nil || prices[0].Amount != 28_400 {
		t.Errorf("with JHT: %+v, %v; want Rp28.400", prices, err)
	}
}
