// Package wilayah provides Indonesia's administrative regions (provinsi,
// kabupaten/kota, kecamatan, desa/kelurahan) with their Kemendagri codes, a
// name search tuned for Indonesian region names, and validation of the region
// part of a NIK.
//
// The data is embedded (see data/): the current list comes from the npm
// package idn-area-data 4.0.1 (ODbL 1.0, data/LICENSE.md; code MIT,
// data/LICENSE-code-MIT; see data/SOURCE.md), unchanged but for a few village
// names shown with the spaces people write (data/display-names.csv: "Darat
// Sekip" for the source's "Daratsekip"), and the pre-2022 codes used to
// validate older NIKs come from the npm package nik-parser 1.0.1 (MIT,
// data/LICENSE-pre2022-MIT; data/pre2022.csv is the codes.csv described in
// data/SOURCE-pre2022.md). Software that ships this data must credit the
// sources and keep the region data under ODbL.
//
// The package has no global mutable state: call Load once and share the
// returned *Data, which is immutable and safe for concurrent use.
package wilayah

import (
	"slices"
	"strconv"
	"strings"
)

// Level is the administrative level of a region.
type Level int

// Administrative levels, from the top.
const (
	Province Level = iota + 1 // provinsi
	Regency                   // kabupaten or kota
	District                  // kecamatan
	Village                   // desa or kelurahan
)

// String returns "province", "regency", "district" or "village".
func (l Level) String() string {
	switch l {
	case Province:
		return "province"
	case Regency:
		return "regency"
	case District:
		return "district"
	case Village:
		return "village"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// Region is one administrative region.
type Region struct {
	Code   string // dotted Kemendagri code: "61", "61.71", "61.71.01", "61.71.01.1001"
	Name   string // as people write it, e.g. "Kota Pontianak", "Darat Sekip" (the source data has "Daratsekip": see data/display-names.csv)
	Parent string // dotted code of the parent region; "" for provinces
	Level  Level
}

// Kind returns the kind of a regency or village: "kabupaten" or "kota" for
// regencies (from the name prefix), and for villages "kelurahan" when the
// village part of the code starts with 1, "desa" for 2 and "desa_adat" for 3.
// It returns "" for other levels or unrecognised codes/names.
func (r Region) Kind() string {
	switch r.Level {
	case Regency:
		switch {
		case strings.HasPrefix(r.Name, "Kabupaten "):
			return "kabupaten"
		case strings.HasPrefix(r.Name, "Kota "):
			return "kota"
		}
	case Village:
		if len(r.Code) == 13 {
			switch r.Code[9] {
			case '1':
				return "kelurahan"
			case '2':
				return "desa"
			case '3':
				return "desa_adat"
			}
		}
	}
	return ""
}

// Data holds the region lists. It is immutable after Load and safe for
// concurrent use.
type Data struct {
	// levels[l-1] holds the regions of level l sorted by code, and keys[l-1]
	// their precomputed search keys (same index).
	levels [4][]Region
	keys   [4][]nameKey
	// pre2022 holds the pre-2022 list (undotted codes), sorted by code.
	pre2022 []preCode
}

type preCode struct {
	code  string // undotted
	name  string
	level Level
}

// nameKey is the normalised form of a region name: norm is Normalize(name)
// and full is the same with stop words kept (equal to norm for most names).
type nameKey struct {
	norm, full         string
	normMask, fullMask uint32 // letterMask of norm and full
}

// Get returns the region with the given dotted code, at any level.
func (d *Data) Get(code string) (Region, bool) {
	l := codeLevel(code)
	if l == 0 {
		return Region{}, false
	}
	rs := d.levels[l-1]
	i, ok := slices.BinarySearchFunc(rs, code, func(r Region, c string) int { return strings.Compare(r.Code, c) })
	if !ok {
		return Region{}, false
	}
	return rs[i], true
}

// Provinces returns all provinces sorted by code. The slice is a fresh copy.
func (d *Data) Provinces() []Region {
	return slices.Clone(d.levels[Province-1])
}

// Count returns the number of regions at a level.
func (d *Data) Count(l Level) int {
	if l < Province || l > Village {
		return 0
	}
	return len(d.levels[l-1])
}

// Children returns the direct children of the region with the given dotted
// code (regencies of a province, districts of a regency, villages of a
// district), sorted by code; Children("") returns the provinces. It returns
// nil for villages and unknown codes. The slice is a fresh copy.
func (d *Data) Children(code string) []Region {
	if code == "" {
		return d.Provinces()
	}
	l := codeLevel(code)
	if l == 0 || l == Village {
		return nil
	}
	if _, ok := d.Get(code); !ok {
		return nil
	}
	lo, hi := d.under(code, l+1)
	if lo == hi {
		return nil
	}
	return slices.Clone(d.levels[l][lo:hi])
}

// under returns the index range in d.levels[level-1] of the regions whose code
// starts with parent+"." (all of them when parent is "").
func (d *Data) under(parent string, level Level) (lo, hi int) {
	rs := d.levels[level-1]
	if parent == "" {
		return 0, len(rs)
	}
	// Codes are digits and dots; '/' is the byte after '.', so [parent+".",
	// parent+"/") is exactly the set of codes under parent.
	lo, _ = slices.BinarySearchFunc(rs, parent+".", cmpCode)
	hi, _ = slices.BinarySearchFunc(rs, parent+"/", cmpCode)
	return lo, hi
}

func cmpCode(r Region, c string) int { return strings.Compare(r.Code, c) }

// codeLevel returns the level a dotted code has by its shape ("NN",
// "NN.NN", "NN.NN.NN", "NN.NN.NN.NNNN"), or 0 if it is malformed.
func codeLevel(code string) Level {
	var l Level
	switch len(code) {
	case 2:
		l = Province
	case 5:
		l = Regency
	case 8:
		l = District
	case 13:
		l = Village
	default:
		return 0
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if i == 2 || i == 5 || i == 8 {
			if c != '.' {
				return 0
			}
		} else if c < '0' || c > '9' {
			return 0
		}
	}
	return l
}

// Dotted converts an undotted code of 2, 4, 6 or 10 digits (as in a NIK or
// in the pre-2022 list) to the dotted form used by Region.Code.
func Dotted(digits string) (string, bool) {
	switch len(digits) {
	case 2, 4, 6, 10:
	default:
		return "", false
	}
	if !allDigits(digits) {
		return "", false
	}
	var b [13]byte
	n := 0
	for i := 0; i < len(digits); i++ {
		if i == 2 || i == 4 || i == 6 {
			b[n] = '.'
			n++
		}
		b[n] = digits[i]
		n++
	}
	return string(b[:n]), true
}

// Undotted removes the dots from a code ("61.71.05" → "617105").
func Undotted(code string) string {
	return strings.ReplaceAll(code, ".", "")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
