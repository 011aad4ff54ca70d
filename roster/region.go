package roster

import (
	"strings"
	"unicode"

	"github.com/lindungi/lindungi/wilayah"
)

// searchLimit is how many candidates a region search considers (the chat
// offers 6 as buttons).
const searchLimit = 6

// place is a resolved address, or the problem that stopped it.
type place struct {
	province, regency, district, village string
	col                                  Column
	reason                               string // "" if resolved
}

// resolvePlace finds the codes of a row's regency, district and village,
// with the chat's fuzzy search: the regency by name within the Validator's
// province (then nationally), the district within the regency, the village
// within the district. A dotted or plain code is accepted at each level; a
// village code alone fixes the district and regency, and names given beside
// it must agree with it.
func (v *Validator) resolvePlace(regIn, distIn, villIn string) place {
	if c, ok := regionCode(villIn, wilayah.Village); ok {
		vr, found := v.regions.Get(c)
		if !found {
			return place{col: ColVillage, reason: "Kode desa/kelurahan " + c + " tidak ada di daftar wilayah Kemendagri. Periksa kodenya, atau tulis nama desa/kelurahan."}
		}
		p := place{village: vr.Code, district: vr.Parent, regency: vr.Parent[:5], province: vr.Parent[:2]}
		if regIn != "" {
			if got, reason := v.findRegency(regIn); reason != "" || got != p.regency {
				return place{col: ColRegency, reason: "Kabupaten/kota " + quote(regIn) + " tidak cocok dengan kode desa/kelurahan " + c +
					", yang ada di " + v.name(p.regency) + ". Periksa kode desa atau kabupaten/kotanya."}
			}
		}
		if distIn != "" {
			if got, reason := v.findIn(p.regency, wilayah.District, distIn); reason != "" || got != p.district {
				return place{col: ColDistrict, reason: "Kecamatan " + quote(distIn) + " tidak cocok dengan kode desa/kelurahan " + c +
					", yang ada di Kecamatan " + v.name(p.district) + ". Periksa kode desa atau kecamatannya."}
			}
		}
		return p
	}
	if regIn == "" {
		return place{col: ColRegency, reason: empty(ColRegency)}
	}
	if distIn == "" {
		return place{col: ColDistrict, reason: empty(ColDistrict)}
	}
	if villIn == "" {
		return place{col: ColVillage, reason: empty(ColVillage)}
	}
	var p place
	var reason string
	if p.regency, reason = v.findRegency(regIn); reason != "" {
		return place{col: ColRegency, reason: reason}
	}
	p.province = p.regency[:2]
	if p.district, reason = v.findIn(p.regency, wilayah.District, distIn); reason != "" {
		return place{col: ColDistrict, reason: reason}
	}
	if p.village, reason = v.findIn(p.district, wilayah.Village, villIn); reason != "" {
		return place{col: ColVillage, reason: reason}
	}
	return p
}

func (v *Validator) findRegency(in string) (string, string) {
	return v.cached(foundKey{wilayah.Regency, "", in}, func() (string, string) { return v.searchRegency(in) })
}

func (v *Validator) searchRegency(in string) (string, string) {
	if c, ok := regionCode(in, wilayah.Regency); ok {
		if _, found := v.regions.Get(c); !found {
			return "", "Kode kabupaten/kota " + c + " tidak ada di daftar wilayah Kemendagri. Periksa kodenya, atau tulis nama kabupaten/kotanya."
		}
		return c, ""
	}
	ms := v.regions.Search(v.province, wilayah.Regency, in, searchLimit)
	if len(ms) == 0 {
		// Not in the sponsor's province: look across the country, like the chat.
		ms = v.regions.Search("", wilayah.Regency, in, searchLimit)
	}
	r, reason := pick(ms, wilayah.Regency, in, "Kabupaten/kota", "Indonesia")
	return r.Code, reason
}

// findIn finds a district of a regency or a village of a district.
func (v *Validator) findIn(parent string, level wilayah.Level, in string) (string, string) {
	return v.cached(foundKey{level, parent, in}, func() (string, string) { return v.searchIn(parent, level, in) })
}

func (v *Validator) searchIn(parent string, level wilayah.Level, in string) (string, string) {
	what := "Kecamatan"
	if level == wilayah.Village {
		what = "Desa/kelurahan"
	}
	where := v.name(parent)
	if level == wilayah.Village {
		where = "Kecamatan " + where
	}
	if c, ok := regionCode(in, level); ok {
		r, found := v.regions.Get(c)
		if !found {
			return "", "Kode " + strings.ToLower(what) + " " + c + " tidak ada di daftar wilayah Kemendagri. Periksa kodenya, atau tulis namanya."
		}
		if r.Parent != parent {
			return "", "Kode " + strings.ToLower(what) + " " + c + " bukan di " + where + ". Periksa kode dan kolom wilayah lainnya."
		}
		return c, ""
	}
	r, reason := pick(v.regions.Search(parent, level, in, searchLimit), level, in, what, where)
	return r.Code, reason
}

func (v *Validator) name(code string) string {
	if r, ok := v.regions.Get(code); ok {
		return r.Name
	}
	return code
}

// pick chooses the region a list means among search results (best first):
// the only one; or the only one whose name equals the text, ignoring case,
// spaces, punctuation and a leading kind word of the level ("Kab. Sanggau" =
// "Kabupaten Sanggau", "Kel. Daratsekip" = "Darat Sekip"), a kind word in
// the text choosing between "Kota Bekasi" and "Kabupaten Bekasi"; or, with no
// such name, the only one whose name starts with the text. Anything else is
// a problem naming the candidates.
func pick(ms []wilayah.Region, level wilayah.Level, in, what, where string) (wilayah.Region, string) {
	if len(ms) == 0 {
		return wilayah.Region{}, what + " " + quote(in) + " tidak ditemukan di " + where + ". Periksa ejaannya, atau tulis kode wilayahnya."
	}
	if len(ms) == 1 {
		return ms[0], ""
	}
	q := levelKey(in, level)
	var exact, prefix []wilayah.Region
	for _, m := range ms {
		switch k := levelKey(m.Name, level); {
		case k == q:
			exact = append(exact, m)
		case strings.HasPrefix(k, q):
			prefix = append(prefix, m)
		}
	}
	if len(exact) > 1 {
		if k := kindWord(in); k != "" {
			var fit []wilayah.Region
			for _, m := range exact {
				if kind := m.Kind(); kind == k || k == "desa" && kind == "desa_adat" {
					fit = append(fit, m)
				}
			}
			exact = fit
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], ""
	case len(exact) == 0 && len(prefix) == 1:
		return prefix[0], ""
	}
	cands := exact
	if len(cands) == 0 {
		cands = ms
	}
	var names []string
	for i, m := range cands {
		if i == 3 {
			break
		}
		names = append(names, m.Name+" ("+m.Code+")")
	}
	return wilayah.Region{}, what + " " + quote(in) + " di " + where + " tidak jelas: bisa " + strings.Join(names, ", ") +
		". Tulis nama lengkapnya atau kode wilayahnya."
}

// levelKey is a region name in lower-case letters and digits only, without
// the kind words a list may put before it at that level ("Kab. Kubu Raya" →
// "kuburaya", "Kota Administrasi Jakarta Pusat" → "jakartapusat", "Kec.
// Pontianak Kota" → "pontianakkota").
func levelKey(s string, level wilayah.Level) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for len(words) > 1 && leadingKind(words[0], level) {
		words = words[1:]
	}
	return strings.Join(words, "")
}

func leadingKind(w string, level wilayah.Level) bool {
	switch level {
	case wilayah.Regency:
		switch w {
		case "kabupaten", "kab", "kota", "kotamadya", "kodya", "administrasi", "adm":
			return true
		}
	case wilayah.District:
		return w == "kecamatan" || w == "kec"
	case wilayah.Village:
		switch w {
		case "desa", "ds", "kelurahan", "kel":
			return true
		}
	}
	return false
}

// kindWord returns the kind a kind word in the text asks for ("kota",
// "kabupaten", "desa", "kelurahan"), "" for none or several.
func kindWord(s string) string {
	kind := ""
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		k := ""
		switch w {
		case "kota":
			k = "kota"
		case "kab", "kabupaten":
			k = "kabupaten"
		case "desa":
			k = "desa"
		case "kel", "kelurahan":
			k = "kelurahan"
		default:
			continue
		}
		if kind != "" && kind != k {
			return ""
		}
		kind = k
	}
	return kind
}

// regionCode reads a region code written in a list, dotted ("61.71.05.1001")
// or not ("6171051001"), for the given level.
func regionCode(s string, level wilayah.Level) (string, bool) {
	s = trimPointZero(stripQuote(s))
	if s == "" {
		return "", false
	}
	var digits []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '.' || c == ' ':
		default:
			return "", false
		}
	}
	want := map[wilayah.Level]int{wilayah.Regency: 4, wilayah.District: 6, wilayah.Village: 10}[level]
	if len(digits) != want {
		return "", false
	}
	return wilayah.Dotted(string(digits))
}

// quote shows a cell's text in a reason: in quotes, at most 40 characters.
func quote(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	return "\"" + s + "\""
}

func empty(c Column) string {
	return "Kolom " + c.String() + " kosong; kolom ini wajib diisi."
}
