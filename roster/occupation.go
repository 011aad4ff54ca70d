package roster

import (
	"strings"
	"unicode/utf8"

	"github.com/lindungi/lindungi/wilayah"
)

// OccupationOther is the picker's code for an occupation not in the list.
const OccupationOther = "lainnya"

// MaxOccupationOther is the longest OccupationOther kept (the chat's limit);
// longer text is cut.
const MaxOccupationOther = 60

// occupations are the codes of the chat's picker (flows.Occupations) with the
// labels of locales/id.toml and en.toml ("occupation.<code>") first, then the
// words lists use for them. Keep in step with flows.Occupations: a test
// compares the codes.
var occupations = []struct {
	code   string
	labels []string
}{
	{"petani", []string{"Petani/pekebun", "Farmer/planter", "Petani", "Pekebun", "Petani pekebun", "Farmer", "Planter"}},
	{"nelayan", []string{"Nelayan", "Fisher", "Fisherman"}},
	{"peternak", []string{"Peternak", "Livestock farmer"}},
	{"pedagang_pasar", []string{"Pedagang pasar", "Market trader"}},
	{"pedagang_kaki_lima", []string{"Pedagang kaki lima", "Street vendor", "PKL"}},
	{"ojek", []string{"Ojek/ojek online", "Ojek driver", "Ojek", "Ojek online", "Ojol", "Ojek daring"}},
	{"sopir", []string{"Sopir", "Driver", "Supir"}},
	{"kurir", []string{"Kurir", "Courier", "Kurir paket", "Kurir logistik", "Kurir online"}},
	{"buruh_harian", []string{"Buruh harian lepas", "Day labourer", "Buruh harian", "BHL", "Day laborer"}},
	{"tukang_bangunan", []string{"Tukang bangunan", "Builder", "Tukang batu", "Tukang kayu"}},
	{"pekerja_rumah_tangga", []string{"Pekerja rumah tangga", "Domestic worker", "PRT", "Asisten rumah tangga", "ART"}},
	{"penjahit", []string{"Penjahit", "Tailor"}},
	{"montir", []string{"Montir", "Mechanic", "Bengkel"}},
	{"pengrajin", []string{"Pengrajin", "Craftsperson", "Perajin"}},
	{"pekerja_keagamaan", []string{"Guru ngaji/marbot", "Religious worker", "Guru ngaji", "Marbot", "Pekerja keagamaan", "Guru agama", "Pemuka agama"}},
	{"rt_rw", []string{"Ketua RT/RW", "RT/RW head", "RT/RW", "Ketua RT", "Ketua RW", "Pengurus RT/RW"}},
	{"perangkat_desa", []string{"Perangkat desa", "Village official", "Aparat desa", "Aparatur desa"}},
	{"kader_posyandu", []string{"Kader posyandu", "Posyandu volunteer", "Kader"}},
	{"relawan_damkar", []string{"Relawan pemadam", "Volunteer firefighter", "Relawan pemadam kebakaran", "Relawan damkar", "Damkar"}},
	{"umkm", []string{"Usaha kecil (UMKM)", "Small business (UMKM)", "Pelaku UMKM", "Small business owner", "UMKM", "Usaha mikro", "Usaha kecil"}},
	{"penjual_daring", []string{"Penjual online", "Online seller", "Penjual daring", "Pedagang online"}},
	{"seniman", []string{"Seniman", "Artist"}},
	{"lainnya", []string{"Lainnya", "Other"}},
}

type occKey struct {
	key  string // wilayah.Normalize of a label
	code string
}

// occupationKeys holds every label's normalised form, in table order.
var occupationKeys = func() []occKey {
	var ks []occKey
	for _, o := range occupations {
		for _, l := range o.labels {
			ks = append(ks, occKey{wilayah.Normalize(l), o.code})
		}
	}
	return ks
}()

// matchOccupation returns the picker code for an occupation as written in a
// list, the way the chat matches a typed occupation (wilayah.Normalize, then
// a label equal to it, else the only label containing it), plus the words
// lists use. Anything else is OccupationOther with the text kept.
func matchOccupation(s string) (code, other string) {
	if s == "" || noValue(s) {
		return "", ""
	}
	q := wilayah.Normalize(s)
	if q != "" {
		for _, k := range occupationKeys {
			if k.key == q {
				return k.code, ""
			}
		}
		if len(q) >= 4 {
			found := ""
			for _, k := range occupationKeys {
				if strings.Contains(k.key, q) && k.code != found {
					if found != "" {
						found = ""
						break
					}
					found = k.code
				}
			}
			if found != "" && found != OccupationOther {
				return found, ""
			}
		}
	}
	if utf8.RuneCountInString(s) > MaxOccupationOther {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:MaxOccupationOther]))
	}
	return OccupationOther, s
}
