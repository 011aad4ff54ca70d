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
	problem                              Msg // Key "" if resolved
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
			return place{col: ColVillage, problem: msg("village_code_unknown", "Code", c)}
		}
		p := place{village: vr.Code, district: vr.Parent, regency: vr.Parent[:5], province: vr.Parent[:2]}
		if regIn != "" {
			if got, m := v.findRegency(regIn); m.Key != "" || got != p.regency {
				return place{col: ColRegency, problem: msg("regency_not_of_village", "Text", quote(regIn), "Code", c,
					"Regency", v.name(p.regency))}
			}
		}
		if distIn != "" {
			if got, m := v.findIn(p.regency, wilayah.District, distIn); m.Key != "" || got != p.district {
				return place{col: ColDistrict, problem: msg("district_not_of_village", "Text", quote(distIn), "Code", c,
					"District", v.name(p.district))}
			}
		}
		return p
	}
	if regIn == "" {
		return place{col: ColRegency, problem: empty(ColRegency)}
	}
	if distIn == "" {
		return place{col: ColDistrict, problem: empty(ColDistrict)}
	}
	if villIn == "" {
		return place{col: ColVillage, problem: empty(ColVillage)}
	}
	var p place
	var m Msg
	if p.regency, m = v.findRegency(regIn); m.Key != "" {
		return place{col: ColRegency, problem: m}
	}
	p.province = p.regency[:2]
	if p.district, m = v.findIn(p.regency, wilayah.District, distIn); m.Key != "" {
		return place{col: ColDistrict, problem: m}
	}
	if p.village, m = v.findIn(p.district, wilayah.Village, villIn); m.Key != "" {
		return place{col: ColVillage, problem: m}
	}
	return p
}

func (v *Validator) findRegency(in string) (string, Msg) {
	return v.cached(foundKey{wilayah.Regency, "", in}, func() (string, Msg) { return v.searchRegency(in) })
}

func (v *Validator) searchRegency(in string) (string, Msg) {
	if c, ok := regionCode(in, wilayah.Regency); ok {
		if _, found := v.regions.Get(c); !found {
			return "", msg("regency_code_unknown", "Code", c)
		}
		return c, Msg{}
	}
	ms := v.regions.Search(v.province, wilayah.Regency, in, searchLimit)
	if len(ms) == 0 {
		// Not in the sponsor's province: look across the country, like the chat.
		ms = v.regions.Search("", wilayah.Regency, in, searchLimit)
	}
	r, m := pick(ms, wilayah.Regency, in, "")
	return r.Code, m
}

// findIn finds a district of a regency or a village of a district.
func (v *Validator) findIn(parent string, level wilayah.Level, in string) (string, Msg) {
	return v.cached(foundKey{level, parent, in}, func() (string, Msg) { return v.searchIn(parent, level, in) })
}

func (v *Validator) searchIn(parent string, level wilayah.Level, in string) (string, Msg) {
	where := v.name(parent)
	if c, ok := regionCode(in, level); ok {
		r, found := v.regions.Get(c)
		switch {
		case !found && level == wilayah.Village:
			return "", msg("village_code_unknown", "Code", c)
		case !found:
			return "", msg("district_code_unknown", "Code", c)
		case r.Parent != parent && level == wilayah.Village:
			return "", msg("village_code_elsewhere", "Code", c, "District", where)
		case r.Parent != parent:
			return "", msg("district_code_elsewhere", "Code", c, "Regency", where)
		}
		return c, Msg{}
	}
	r, m := pick(v.regions.Search(parent, level, in, searchLimit), level, in, where)
	return r.Code, m
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
// a problem naming the candidates. where is the name of the regency searched
// for a district, of the district for a village ("" for a regency: the
// search covers Indonesia).
func pick(ms []wilayah.Region, level wilayah.Level, in, where string) (wilayah.Region, Msg) {
	if len(ms) == 0 {
		switch level {
		case wilayah.Regency:
			return wilayah.Region{}, msg("regency_not_found", "Text", quote(in))
		case wilayah.District:
			return wilayah.Region{}, msg("district_not_found", "Text", quote(in), "Regency", where)
		}
		return wilayah.Region{}, msg("village_not_found", "Text", quote(in), "District", where)
	}
	if len(ms) == 1 {
		return ms[0], Msg{}
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
		return exact[0], Msg{}
	case len(exact) == 0 && len(prefix) == 1:
		return prefix[0], Msg{}
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
	list := strings.Join(names, ", ")
	switch level {
	case wilayah.Regency:
		return wilayah.Region{}, msg("regency_ambiguous", "Text", quote(in), "Candidates", list)
	case wilayah.District:
		return wilayah.Region{}, msg("district_ambiguous", "Text", quote(in), "Regency", where, "Candidates", list)
	}
	return wilayah.Region{}, msg("village_ambiguous", "Text", quote(in), "District", where, "Candidates", list)
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

// empty is the problem of a required cell left empty.
func empty(c Column) Msg {
	return msg("empty", "Column", c)
}
