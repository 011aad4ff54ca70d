package wilayah

import (
	"slices"
	"strings"
)

// KnownNIKRegion reports whether the region codes of a NIK are known. The
// codes are undotted, as they appear in the first six digits of a NIK:
// province "61", regency "6171", district "617105".
//
// A code is known if it exists in the current list or in the pre-2022 list
// (NIKs keep the code of the place where they were first issued, e.g. 9101
// Merauke, now 93.01). regencyOK also requires the regency to belong to the
// province (its first two digits), and districtOK the district to belong to
// the regency; so regencyOK implies provinceOK and districtOK implies
// regencyOK.
func (d *Data) KnownNIKRegion(province, regency, district string) (provinceOK, regencyOK, districtOK bool) {
	provinceOK = len(province) == 2 && d.knownUndotted(province)
	regencyOK = provinceOK && len(regency) == 4 && strings.HasPrefix(regency, province) && d.knownUndotted(regency)
	districtOK = regencyOK && len(district) == 6 && strings.HasPrefix(district, regency) && d.knownUndotted(district)
	return
}

// knownUndotted reports whether an undotted 2/4/6-digit code is in the current
// or the pre-2022 list.
func (d *Data) knownUndotted(code string) bool {
	if dotted, ok := Dotted(code); ok {
		if _, ok := d.Get(dotted); ok {
			return true
		}
	}
	_, ok := d.findPre2022(code)
	return ok
}

func (d *Data) findPre2022(code string) (preCode, bool) {
	i, ok := slices.BinarySearchFunc(d.pre2022, code, func(p preCode, c string) int { return strings.Compare(p.code, c) })
	if !ok {
		return preCode{}, false
	}
	return d.pre2022[i], true
}

// Pre2022 looks up a code in the pre-2022 list (province, regency or district;
// dotted or undotted). The returned Region has a dotted Code and Parent and
// the name as spelled in that list (upper case, e.g. "KAB. MERAUKE"). Use it
// to describe a NIK code that Get no longer knows.
func (d *Data) Pre2022(code string) (Region, bool) {
	code = Undotted(code)
	p, ok := d.findPre2022(code)
	if !ok {
		return Region{}, false
	}
	dotted, _ := Dotted(p.code)
	r := Region{Code: dotted, Name: p.name, Level: p.level}
	if p.level > Province {
		r.Parent = dotted[:strings.LastIndexByte(dotted, '.')]
	}
	return r, true
}
