package sponsor

import (
	"fmt"
	"time"

	"github.com/lindungi/lindungi/iuran"
)

// Waiting is the workers of a batch waiting for its sponsor (never paid
// for, or whose protection has ended) who share a bracket and an
// occupation: each of them costs the same.
type Waiting struct {
	Bracket    int
	Occupation string
	Workers    int
}

// Price is what one worker of a Waiting group costs for the batch's months.
type Price struct {
	Waiting
	JKK, JKM, JHT int64 // the table amounts for all the months
	Discount      int64 // waived of JKK and JKM
	Amount        int64 // JKK + JKM + JHT − Discount
}

// Prices prices a batch's waiting workers for its months of cover from
// start, with the quote every price goes through: JHT when the batch pays
// it, the discounts in force for each worker's sector, none when public
// funds (APBN, APBD) pay. total is what the sponsor owes.
func Prices(tariffs *iuran.Table, discounts *iuran.Discounts, b Batch, start time.Time, waiting []Waiting) (prices []Price, total int64, err error) {
	prices = make([]Price, 0, len(waiting))
	for _, w := range waiting {
		q, err := tariffs.Quote(iuran.QuoteRequest{Bracket: w.Bracket, JHT: b.JHT, Months: b.Months, Start: start, Discounts: discounts,
			Sector: iuran.OccupationSector(w.Occupation), PublicFunds: b.PublicFunds})
		if err != nil {
			return nil, 0, fmt.Errorf("batch %d: price bracket %d: %w", b.ID, w.Bracket, err)
		}
		p := Price{Waiting: w, JKK: q.Totals.JKK, JKM: q.Totals.JKM, JHT: q.Totals.JHT, Discount: q.Totals.Discount, Amount: q.Totals.Total}
		prices = append(prices, p)
		total += p.Amount * int64(w.Workers)
	}
	return prices, total, nil
}
