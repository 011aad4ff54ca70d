package iuran

import (
	"slices"
	"strconv"
	"time"
)

var periods = []int{1, 3, 6, 12}

// Periods are the numbers of months a member can pay for at once, in order:
// 1, 3, 6 and 12 (BPJS's BPU page).
func Periods() []int { return slices.Clone(periods) }

// CheckPeriod returns a *QuoteError with code QuotePeriod unless months is
// one of Periods().
func CheckPeriod(months int) error {
	if !slices.Contains(periods, months) {
		return &QuoteError{Code: QuotePeriod, Got: months}
	}
	return nil
}

// QuoteCode says why a quote was refused.
type QuoteCode string

// Quote error codes.
const (
	QuotePeriod  QuoteCode = "period"  // Months is not one of Periods()
	QuoteBracket QuoteCode = "bracket" // Bracket is not an index of the table
	QuoteStart   QuoteCode = "start"   // Start is the zero time
)

// QuoteError is returned by Quote and CheckPeriod; Got is the refused value
// (months or bracket index).
type QuoteError struct {
	Code QuoteCode
	Got  int
}

func (e *QuoteError) Error() string {
	if e.Code == QuoteStart {
		return "iuran quote: no start date"
	}
	return "iuran quote: invalid " + string(e.Code) + " " + strconv.Itoa(e.Got)
}

// Fields gives the error's code and details, like AmountError.
func (e *QuoteError) Fields() (code string, got int, char string) { return string(e.Code), e.Got, "" }

// QuoteRequest is what a member is about to pay for.
type QuoteRequest struct {
	Bracket   int        // index into the table (Bracket.Index)
	JHT       bool       // add the optional old-age savings programme
	Months    int        // one of Periods()
	Start     time.Time  // first covered day (see FirstCoverage, Extend)
	Discounts *Discounts // nil: no discount; Law() for the legal price
	Sector    string     // the member's sector for discount rules, e.g. SectorTransport; "" = other
	// PublicFunds is set when the member's JKK and JKM are paid from the
	// state or a regional budget (APBN or APBD), e.g. a local government
	// sponsoring vulnerable workers. PP 50/2025 excludes them from its
	// relief, so no discount rule applies at all. Whether village funds
	// (APBDes) or other sponsors count as APBD is not settled by the sources
	// found (SOURCES.md): the caller decides.
	PublicFunds bool
}

// Amounts are Rupiah for one month or for a whole quote. JKK, JKM and JHT
// are the table amounts before any discount; Discount is what is waived (of
// JKK and JKM only); Total = JKK + JKM + JHT − Discount is what is paid.
type Amounts struct {
	JKK, JKM, JHT int64
	Discount      int64
	Total         int64
}

func (a *Amounts) add(b Amounts) {
	a.JKK += b.JKK
	a.JKM += b.JKM
	a.JHT += b.JHT
	a.Discount += b.Discount
	a.Total += b.Total
}

// Line is one covered month of a quote.
type Line struct {
	Start, End time.Time // first and last covered day of this month
	Amounts              // this month's amounts
	Rule       string    // name of the discount rule applied, "" for none
}

// Quote is the price of a period of coverage, month by month.
type Quote struct {
	Bracket    Bracket
	JHT        bool      // JHT included
	Months     int       // len(Lines)
	Start, End time.Time // first and last covered day (End = CoverageEnd(Start, Months))
	Lines      []Line    // one per covered month, in order
	Totals     Amounts   // sums over Lines; Totals.Total is the amount to pay
}

// Quote prices q: each covered month (following the month rule of
// CoverageEnd) costs the bracket's JKK + JKM (+ JHT), less the discount of
// the one rule, if any, that applies to that month (see Discounts; none when
// q.PublicFunds). Errors are *QuoteError. Example: JKK + JKM on the first
// bracket for 3 months is Rp50.400 (3 × Rp16.800); with Law() for a month
// starting 5 December 2026 one month is Rp8.400.
func (t *Table) Quote(q QuoteRequest) (Quote, error) {
	if err := CheckPeriod(q.Months); err != nil {
		return Quote{}, err
	}
	b, ok := t.Bracket(q.Bracket)
	if !ok {
		return Quote{}, &QuoteError{Code: QuoteBracket, Got: q.Bracket}
	}
	if q.Start.IsZero() {
		return Quote{}, &QuoteError{Code: QuoteStart}
	}
	sector := normSector(q.Sector)
	discounts := q.Discounts
	if q.PublicFunds {
		discounts = nil // APBN/APBD-funded: PP 50/2025's relief does not apply
	}
	starts := MonthStarts(q.Start, q.Months)
	out := Quote{
		Bracket: b,
		JHT:     q.JHT,
		Months:  q.Months,
		Start:   starts[0],
		End:     CoverageEnd(q.Start, q.Months),
		Lines:   make([]Line, len(starts)),
	}
	for i, s := range starts {
		l := Line{Start: s, Amounts: Amounts{JKK: b.JKK, JKM: b.JKM}}
		if i+1 < len(starts) {
			l.End = addDays(starts[i+1], -1)
		} else {
			l.End = out.End
		}
		if q.JHT {
			l.JHT = b.JHT
		}
		if r, offJKK, offJKM := discounts.apply(s, sector, b.JKK, b.JKM); r != nil {
			l.Rule = r.Name
			l.Discount = offJKK + offJKM
		}
		l.Total = l.JKK + l.JKM + l.JHT - l.Discount
		out.Totals.add(l.Amounts)
		out.Lines[i] = l
	}
	return out, nil
}
