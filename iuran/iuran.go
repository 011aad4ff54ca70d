// Package iuran computes BPU (bukan penerima upah) contributions: the
// declared-income bracket table (brackets.csv, embedded), monthly amounts per
// programme set, multi-month quotes (Table.Quote, Periods), coverage-period
// arithmetic on calendar dates with the one arrears rule (CoverageEnd,
// FirstCoverage, Extend, Status, ArrearsUntil, FirstUncovered), and dated
// discount rules: the relief the law sets (Law, PP 50/2025), combinable with a
// deployment's own (With, ParseDiscounts). A quote applies the rules it is
// passed; members paid from APBN/APBD get none (QuoteRequest.PublicFunds).
//
// The facts behind the data files, with sources and verdicts, are in
// SOURCES.md next to this file.
//
// The package is pure: no I/O beyond its embedded data files, no clock
// (dates are parameters), money in integer Rupiah (int64), no floats.
package iuran

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

//go:embed brackets.csv
var defaultTable string

// Bracket is one row of the table: a declared-income range and what it costs.
type Bracket struct {
	Index     int   // 0-based position in the table, stable for a given table
	IncomeMin int64 // inclusive
	IncomeMax int64 // inclusive
	Base      int64 // the income the contribution is computed on
	JKK       int64 // Jaminan Kecelakaan Kerja, per month
	JKM       int64 // Jaminan Kematian, per month
	JHT       int64 // Jaminan Hari Tua (optional), per month
}

// Monthly is the monthly contribution: JKK + JKM, plus JHT when chosen.
func (b Bracket) Monthly(jht bool) int64 {
	total := b.JKK + b.JKM
	if jht {
		total += b.JHT
	}
	return total
}

// Table is an ordered, validated bracket table.
type Table struct {
	brackets []Bracket
}

// Default is the table shipped with the binary.
func Default() *Table {
	t, err := Parse(strings.NewReader(defaultTable))
	if err != nil {
		panic("iuran: embedded table is invalid: " + err.Error())
	}
	return t
}

// Parse reads a CSV table with the header
// income_min,income_max,base,jkk,jkm,jht (lines starting with # are comments).
func Parse(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 6
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	want := []string{"income_min", "income_max", "base", "jkk", "jkm", "jht"}
	for i, h := range want {
		if strings.TrimSpace(header[i]) != h {
			return nil, fmt.Errorf("header column %d is %q, want %q", i+1, header[i], h)
		}
	}
	var t Table
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read row: %w", err)
		}
		var v [6]int64
		for i, f := range rec {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || n < 0 {
				line, _ := cr.FieldPos(i)
				return nil, fmt.Errorf("line %d column %s: %q is not a non-negative whole number", line, want[i], f)
			}
			v[i] = n
		}
		b := Bracket{Index: len(t.brackets), IncomeMin: v[0], IncomeMax: v[1], Base: v[2], JKK: v[3], JKM: v[4], JHT: v[5]}
		if b.IncomeMax < b.IncomeMin {
			return nil, fmt.Errorf("bracket %d: income_max %d below income_min %d", b.Index+1, b.IncomeMax, b.IncomeMin)
		}
		if n := len(t.brackets); n > 0 && b.IncomeMin <= t.brackets[n-1].IncomeMax {
			return nil, fmt.Errorf("bracket %d overlaps or is out of order", b.Index+1)
		}
		t.brackets = append(t.brackets, b)
	}
	if len(t.brackets) == 0 {
		return nil, errors.New("table has no brackets")
	}
	return &t, nil
}

// Brackets returns the table's rows in income order.
func (t *Table) Brackets() []Bracket {
	return append([]Bracket(nil), t.brackets...)
}

// Bracket returns the row at index i.
func (t *Table) Bracket(i int) (Bracket, bool) {
	if i < 0 || i >= len(t.brackets) {
		return Bracket{}, false
	}
	return t.brackets[i], true
}

// ForIncome returns the bracket a declared monthly income falls in. An income
// below the first row takes the first; above the table, the top bracket; in a
// gap between rows (the table counts in thousands), the lower row.
func (t *Table) ForIncome(income int64) Bracket {
	i := sort.Search(len(t.brackets), func(i int) bool { return t.brackets[i].IncomeMin > income })
	if i == 0 {
		return t.brackets[0]
	}
	return t.brackets[i-1]
}

// Cheapest is the lowest monthly contribution (JKK + JKM on the first bracket).
func (t *Table) Cheapest(jht bool) int64 { return t.brackets[0].Monthly(jht) }
