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
	"time"
)

// Temporary contribution relief (PP 50/2025 style, unverified) is modelled as
// dated rules that a deployment loads from a CSV file. Nothing here is applied
// by default: a Quote without Discounts (nil) charges the full table amounts.

// SectorTransport is the sector name the PP 50/2025 example rules use for
// transport workers (ojek, sopir, …). Sectors are free lower-case words agreed
// between the rules file and the caller; "" means "no particular sector".
const SectorTransport = "transport"

// Rule is one dated discount. It applies to every covered month whose first
// day falls in [From, To] (calendar dates, both inclusive; locations are
// ignored, only the dates count), for a member in one of Sectors (empty: every
// sector, including ""). JKKPercent and JKMPercent (0–100) are the part of
// that month's JKK and JKM that is waived; JHT is never discounted.
type Rule struct {
	Name       string
	From, To   time.Time
	Sectors    []string
	JKKPercent int
	JKMPercent int
}

// Discounts is a validated set of rules. A nil *Discounts has no rules.
//
// At most one rule applies to a covered month: of the rules that match the
// month's first day and the member's sector, the one that waives the most
// Rupiah that month; on a tie, the first in file order; a rule that waives
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

// PP50Discounts returns the example rules in discounts-pp50-2025.csv: PP
// 50/2025 as reported in secondary sources (unverified) — 50% of JKK and JKM
// for transport workers in months starting 1 Jan 2026–31 Mar 2027, and for
// every other sector in months starting 1 Apr–31 Dec 2026. They apply only
// when a caller passes them in a QuoteRequest; deployments should rather load
// their own verified copy with ParseDiscounts.
func PP50Discounts() *Discounts {
	d, err := ParseDiscounts(strings.NewReader(pp50CSV))
	if err != nil {
		panic("iuran: embedded discounts are invalid: " + err.Error())
	}
	return d
}

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
