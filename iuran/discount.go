package iuran

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Temporary contribution relief is modelled as dated rules. The relief the
// law sets today is PP 50/2025 (Law, verified: see SOURCES.md); a deployment
// may add its own dated rules on top (Law().With(more)) or load a complete set
// of its own (ParseDiscounts). A Quote applies only the rules it is given: a
// nil Discounts charges the full table amounts, so callers that want the legal
// price pass Law() or a set built from it.

// Sectors. Sectors are free lower-case words agreed between the rules and the
// caller; "" (SectorOther) means "no particular sector".
const (
	// SectorTransport is the sector of PP 50/2025's longer relief: BPU
	// transport workers — drivers and couriers, app-based or not (ojek,
	// ojek daring, ojek pangkalan, sopir, kurir paket/logistik).
	SectorTransport = "transport"
	// SectorOther is every other BPU worker.
	SectorOther = ""
)

// Rule is one dated discount. It applies to every covered month whose first
// day falls in [From, To] (calendar dates, both inclusive; locations are
// ignored, only the dates count), for a member in one of Sectors (empty: every
// sector, including ""). JKKPercent and JKMPercent (0–100) are the part of
// that month's JKK and JKM that is waived; JHT is never discounted.
//
// The law speaks of calendar iuran months ("iuran April 2026 sampai
// Desember 2026"); a covered month here is a rolling month (see CoverageEnd)
// and counts as the calendar month it starts in. That mapping is this
// package's assumption, not something the sources state (SOURCES.md).
type Rule struct {
	Name       string
	From, To   time.Time
	Sectors    []string
	JKKPercent int
	JKMPercent int
}

// Discounts is a validated set of rules. A nil *Discounts has no rules.
// A Discounts is never modified after it is built, so one value may be shared.
//
// At most one rule applies to a covered month: of the rules that match the
// month's first day and the member's sector, the one that waives the most
// Rupiah that month; on a tie, the first in order; a rule that waives
// nothing (0%) is not applied. Rules never stack.
// This lets a file say "transport, Jan 2026–Mar 2027" and "every sector,
// Apr–Dec 2026" without giving transport workers both discounts.
//
// Amounts: each programme's discount is rounded half up to the whole Rupiah,
// per programme and per month: round(JKK × JKKPercent / 100) +
// round(JKM × JKMPercent / 100). Rp6.800 at 50% is Rp3.400; Rp150 at 1% is Rp2.
type Discounts struct {
	rules []Rule
}

//go:embed discounts-pp50-2025.csv
var pp50CSV string

var law = sync.OnceValue(func() *Discounts {
	d, err := ParseDiscounts(strings.NewReader(pp50CSV))
	if err != nil {
		panic("iuran: embedded discounts are invalid: " + err.Error())
	}
	return d
})

// Law returns the contribution relief the law sets, from the embedded
// discounts-pp50-2025.csv: PP 50/2025 (diundangkan 22 December 2025) waives
// 50% of JKK and JKM (never JHT) for BPU transport workers (SectorTransport)
// in covered months starting 1 Jan 2026–31 Mar 2027, and for every other
// sector in months starting 1 Apr–31 Dec 2026. BPU whose JKK and JKM are paid
// from APBN or APBD get no relief: set QuoteRequest.PublicFunds. Sources and
// verdicts: SOURCES.md. Every call returns the same read-only value; combine
// it with a deployment's own rules through With.
func Law() *Discounts { return law() }

// PP50Discounts is Law, under the name existing callers use.
func PP50Discounts() *Discounts { return Law() }

// NewDiscounts validates rules (as ParseDiscounts does) and copies them.
// Sector names are trimmed and lower-cased.
func NewDiscounts(rules ...Rule) (*Discounts, error) {
	d := &Discounts{}
	for i, r := range rules {
		r, err := checkRule(r, d.rules)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		d.rules = append(d.rules, r)
	}
	return d, nil
}

// Rules returns a copy of the rules in file order.
func (d *Discounts) Rules() []Rule {
	if d == nil {
		return nil
	}
	out := make([]Rule, len(d.rules))
	for i, r := range d.rules {
		r.Sectors = slices.Clone(r.Sectors)
		out[i] = r
	}
	return out
}

// With returns a new set holding d's rules followed by more's, so that on a
// tie d's rule wins (Law().With(extra) keeps the law first). Either may be
// nil. Rule names must stay unique across both sets. With cannot take a
// rule away or lower a discount, since the rule waiving the most applies: to
// replace the law's rules, load a complete set with ParseDiscounts instead.
func (d *Discounts) With(more *Discounts) (*Discounts, error) {
	out := &Discounts{rules: slices.Clone(d.list())}
	for _, r := range more.list() {
		if slices.ContainsFunc(out.rules, func(o Rule) bool { return sameRule(o, r) }) {
			continue // a copy of a rule there already (the law's, in a deployment's file)
		}
		r, err := checkRule(r, out.rules)
		if err != nil {
			return nil, fmt.Errorf("combine discounts: %w", err)
		}
		out.rules = append(out.rules, r)
	}
	return out, nil
}

// sameRule reports whether a and b are the same rule, name and all.
func sameRule(a, b Rule) bool {
	return a.Name == b.Name && a.From.Equal(b.From) && a.To.Equal(b.To) && slices.Equal(a.Sectors, b.Sectors) &&
		a.JKKPercent == b.JKKPercent && a.JKMPercent == b.JKMPercent
}

// Rule returns the rule named name (as stored with a Line), for texts that
// say until when a quoted discount runs (Rule.To).
func (d *Discounts) Rule(name string) (Rule, bool) {
	name = strings.TrimSpace(name)
	for _, r := range d.list() {
		if r.Name == name {
			r.Sectors = slices.Clone(r.Sectors)
			return r, true
		}
	}
	return Rule{}, false
}

// Current returns the rule Quote would apply to a covered month that starts
// on day, for a member of sector paying for bracket b: of the matching rules,
// the one that waives the most Rupiah on b's JKK and JKM, the first on a tie;
// false when none waives anything. A text can then say "Diskon 50% untuk JKK
// dan JKM sampai <Rule.To>". The bracket is needed because a rule's Rupiah
// depends on it when rules waive different parts of JKK and JKM; for an
// intro text before the income is known, pass the first bracket.
// Current knows nothing of funding: a member whose JKK and JKM are paid from
// APBN or APBD gets no discount at all (QuoteRequest.PublicFunds), so do not
// show one.
func (d *Discounts) Current(day time.Time, sector string, b Bracket) (Rule, bool) {
	r, _, _ := d.apply(day, normSector(sector), b.JKK, b.JKM)
	if r == nil {
		return Rule{}, false
	}
	out := *r
	out.Sectors = slices.Clone(r.Sectors)
	return out, true
}

// list is d's rules, nil for a nil d (not a copy: read only).
func (d *Discounts) list() []Rule {
	if d == nil {
		return nil
	}
	return d.rules
}

var discountHeader = []string{"name", "from", "to", "sectors", "jkk_percent", "jkm_percent"}

// ParseDiscounts reads rules from a CSV file with the header
//
//	name,from,to,sectors,jkk_percent,jkm_percent
//
// one rule a row: from and to as YYYY-MM-DD (inclusive), sectors separated
// by | (empty: every sector), percentages as whole numbers 0–100. Lines
// starting with # are comments. A file with only the header has no rules.
// Names must be unique; from must not be after to.
func ParseDiscounts(r io.Reader) (*Discounts, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = len(discountHeader)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	for i, h := range discountHeader {
		if strings.TrimSpace(header[i]) != h {
			return nil, fmt.Errorf("header column %d is %q, want %q", i+1, header[i], h)
		}
	}
	d := &Discounts{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read row: %w", err)
		}
		line, _ := cr.FieldPos(0)
		bad := func(col int, why string) error {
			return fmt.Errorf("line %d column %s: %q %s", line, discountHeader[col], rec[col], why)
		}
		var rule Rule
		rule.Name = strings.TrimSpace(rec[0])
		if rule.From, err = time.Parse(time.DateOnly, strings.TrimSpace(rec[1])); err != nil {
			return nil, bad(1, "is not a date YYYY-MM-DD")
		}
		if rule.To, err = time.Parse(time.DateOnly, strings.TrimSpace(rec[2])); err != nil {
			return nil, bad(2, "is not a date YYYY-MM-DD")
		}
		if s := strings.TrimSpace(rec[3]); s != "" {
			rule.Sectors = strings.Split(s, "|")
		}
		for i, p := range []*int{&rule.JKKPercent, &rule.JKMPercent} {
			n, err := strconv.Atoi(strings.TrimSpace(rec[4+i]))
			if err != nil {
				return nil, bad(4+i, "is not a whole number")
			}
			*p = n
		}
		rule, err = checkRule(rule, d.rules)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		d.rules = append(d.rules, rule)
	}
	return d, nil
}

// checkRule validates r against the rules before it and normalises its sectors.
func checkRule(r Rule, before []Rule) (Rule, error) {
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case r.Name == "":
		return r, errors.New("rule has no name")
	case r.From.IsZero() || r.To.IsZero():
		return r, fmt.Errorf("rule %q: from and to are required", r.Name)
	case dayKey(r.From) > dayKey(r.To):
		return r, fmt.Errorf("rule %q: from %s is after to %s", r.Name, r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
	case r.JKKPercent < 0 || r.JKKPercent > 100 || r.JKMPercent < 0 || r.JKMPercent > 100:
		return r, fmt.Errorf("rule %q: percentages must be 0–100 (jkk %d, jkm %d)", r.Name, r.JKKPercent, r.JKMPercent)
	}
	for _, b := range before {
		if b.Name == r.Name {
			return r, fmt.Errorf("rule %q: name used twice", r.Name)
		}
	}
	sectors := make([]string, 0, len(r.Sectors))
	for _, s := range r.Sectors {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			return r, fmt.Errorf("rule %q: empty sector name", r.Name)
		}
		if !slices.Contains(sectors, s) {
			sectors = append(sectors, s)
		}
	}
	if len(sectors) == 0 {
		sectors = nil
	}
	r.Sectors = sectors
	return r, nil
}

// matches says whether r applies to a covered month starting on monthStart
// for a member of sector (already normalised).
func (r *Rule) matches(monthStart time.Time, sector string) bool {
	k := dayKey(monthStart)
	if k < dayKey(r.From) || k > dayKey(r.To) {
		return false
	}
	return len(r.Sectors) == 0 || slices.Contains(r.Sectors, sector)
}

// apply returns the rule that waives the most for one month (nil if none
// waives anything) and its JKK and JKM discounts.
func (d *Discounts) apply(monthStart time.Time, sector string, jkk, jkm int64) (rule *Rule, offJKK, offJKM int64) {
	if d == nil {
		return nil, 0, 0
	}
	for i := range d.rules {
		r := &d.rules[i]
		if !r.matches(monthStart, sector) {
			continue
		}
		a, b := percentOf(jkk, r.JKKPercent), percentOf(jkm, r.JKMPercent)
		if a+b > offJKK+offJKM { // strictly more: the first rule wins a tie; a rule waiving nothing is not applied
			rule, offJKK, offJKM = r, a, b
		}
	}
	return rule, offJKK, offJKM
}

// percentOf is amount × percent / 100 rounded half up to the Rupiah (amount ≥ 0,
// percent 0–100), computed without overflowing for any table amount.
func percentOf(amount int64, percent int) int64 {
	p := int64(percent)
	return amount/100*p + (amount%100*p+50)/100
}

// normSector is how sectors are compared: trimmed, lower case.
func normSector(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
