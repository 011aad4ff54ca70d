package flows

import (
	"time"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/tanggal"
)

// coverStart is the first day a payment made now covers: tomorrow.
func (t *turn) coverStart() time.Time { return tanggal.Midnight(t.now).AddDate(0, 0, 1) }

// monthly prices one month of a bracket from tomorrow for a worker of an
// occupation, with the discount in force: the price every text states.
func (t *turn) monthly(bracket int, jht bool, occupation string) iuran.Quote {
	req := iuran.QuoteRequest{Bracket: bracket, JHT: jht, Months: 1, Start: t.coverStart(), Discounts: t.discounts, Sector: iuran.OccupationSector(occupation)}
	q, err := t.tariffs.Quote(req)
	if err != nil { // a bracket the table no longer has: the first
		req.Bracket = 0
		q, _ = t.tariffs.Quote(req)
	}
	return q
}

// discountRule is the discount a month's quote has, if any.
func (t *turn) discountRule(q iuran.Quote) (iuran.Rule, bool) {
	if len(q.Lines) == 0 || q.Lines[0].Rule == "" {
		return iuran.Rule{}, false
	}
	return t.discounts.Rule(q.Lines[0].Rule)
}

// discountUntil is the short form of discountNote: ", diskon sampai …".
func (t *turn) discountUntil(q iuran.Quote) string {
	r, ok := t.discountRule(q)
	if !ok {
		return ""
	}
	return t.T("price.discount_short", map[string]any{"Until": t.cat.Date(t.s.Lang, r.To)})
}

// discountNote says which discount a month's quote has and until when, or "".
func (t *turn) discountNote(q iuran.Quote) string {
	r, ok := t.discountRule(q)
	if !ok {
		return ""
	}
	l := q.Lines[0]
	return t.T("price.discount", map[string]any{"Percent": r.JKKPercent, "Until": t.cat.Date(t.s.Lang, r.To),
		"Full": rupiahOf(l.JKK + l.JKM + l.JHT), "Total": rupiahOf(l.Total)})
}
