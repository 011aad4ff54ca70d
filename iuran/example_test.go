package iuran_test

import (
	"fmt"
	"time"

	"github.com/lindungi/lindungi/iuran"
)

// The legal price of a month, and the line a text can print about it.
func ExampleDiscounts_Current() {
	tab := iuran.Default()
	first, _ := tab.Bracket(0)
	start := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	q, err := tab.Quote(iuran.QuoteRequest{Bracket: 0, Months: 1, Start: start, Discounts: iuran.Law()})
	if err != nil {
		panic(err)
	}
	fmt.Println("bayar", q.Totals.Total)
	if r, ok := iuran.Law().Current(start, iuran.SectorOther, first); ok {
		fmt.Printf("diskon %d%% JKK dan JKM sampai %s (%s)\n", r.JKKPercent, r.To.Format(time.DateOnly), r.Name)
	}
	if r, ok := iuran.Law().Current(start, iuran.SectorTransport, first); ok {
		fmt.Printf("transport: sampai %s\n", r.To.Format(time.DateOnly))
	}
	// Output:
	// bayar 8400
	// diskon 50% JKK dan JKM sampai 2026-12-31 (PP 50/2025 sektor lain)
	// transport: sampai 2027-03-31
}

// A deployment's own dated rules on top of the law's.
func ExampleDiscounts_With() {
	extra, err := iuran.NewDiscounts(iuran.Rule{
		Name: "Bantuan nelayan", Sectors: []string{"nelayan"}, JKKPercent: 50, JKMPercent: 50,
		From: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	d, err := iuran.Law().With(extra)
	if err != nil {
		panic(err)
	}
	for _, r := range d.Rules() {
		fmt.Println(r.Name)
	}
	// Output:
	// PP 50/2025 transportasi
	// PP 50/2025 sektor lain
	// Bantuan nelayan
}

// Dates for an arrears text.
func ExampleFirstUncovered() {
	end := time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC)
	fmt.Println("tidak terlindungi sejak", iuran.FirstUncovered(end).Format(time.DateOnly))
	fmt.Println("tunggakan bisa dibayar sampai", iuran.ArrearsUntil(end).Format(time.DateOnly))
	// Output:
	// tidak terlindungi sejak 2027-03-01
	// tunggakan bisa dibayar sampai 2027-05-31
}
