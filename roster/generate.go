package roster

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/wilayah"
)

// GenProvince is the province Generate draws workers from: Kalimantan Barat.
const GenProvince = "61"

// Birth dates Generate uses: workers aged 15–65 on any day from 2022 to 2031.
var (
	genBirthFrom = time.Date(1967, 1, 1, 0, 0, 0, 0, time.UTC)
	genBirthTo   = time.Date(2006, 12, 31, 0, 0, 0, 0, time.UTC)
)

// genSerials is how many NIK serials (0001…) Generate uses per district,
// birth date and sex.
const genSerials = 400

// GenHeader is the header row Generate writes.
var GenHeader = []string{"No", "NIK", "Nama Lengkap", "Tanggal Lahir", "Jenis Kelamin", "No HP", "Alamat",
	"RT", "RW", "Desa/Kelurahan", "Kecamatan", "Kabupaten/Kota", "Pekerjaan"}

// Kinds of bad rows Generate writes.
const (
	BadNIK       = iota // 15 or 17 digits, or a letter O
	BadBirthDate        // a real date that contradicts the NIK
	BadVillage          // a village that does not exist in the district
	BadEmpty            // an empty required cell (Nama, Kecamatan or Desa)
	BadDuplicate        // a copy of an earlier valid row (passes Check; Key repeats)
	BadExcelNIK         // "6.17105E+15", "6,17105E+15" or the last four digits zeroed
	numBadKinds
)

// Generate writes a realistic list of n workers as comma-separated CSV
// (header GenHeader, in Indonesian): valid NIKs of real Kalimantan Barat
// districts with birth dates and sexes that match, names from a list,
// villages, districts and regencies by name as offices type them ("Kab.
// Sanggau", "KAB. SANGGAU", "Sanggau", "Kec. …", "Desa …"), occupations of
// the chat's picker (and a few others), phones "08…" in several spellings.
// About one row in badEvery (none if badEvery <= 0) is deliberately bad, the
// kind drawn among the Bad* constants. NIKs of different rows differ except
// for BadDuplicate rows. Birth dates are from 1967 to 2006, so rows are valid
// for a Validator with ages 15–65 and today from 2022 to 2031.
//
// The same seed gives the same bytes. Memory does not grow with n.
func Generate(w io.Writer, n int, seed int64, regions *wilayah.Data, badEvery int) error {
	if regions == nil {
		return errors.New("roster: Generate: no region data")
	}
	g, err := newGenerator(regions, seed)
	if err != nil {
		return err
	}
	if uint64(n) > g.m {
		return errors.New("roster: Generate: too many rows for distinct NIKs")
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	buf := make([]byte, 0, 512)
	for i, h := range GenHeader {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendField(buf, h)
	}
	buf = append(buf, '\r', '\n')
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	for i := range n {
		bad := -1
		if badEvery > 0 && g.intn(badEvery) == 0 {
			bad = g.intn(numBadKinds)
		}
		buf = g.row(buf[:0], i, bad)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

type genDistrict struct {
	nikCode   string   // "617105"
	regencies []string // spellings of its regency that resolve to it
	names     []string // spellings of the district
	villages  [][]string
}

type generator struct {
	rng       *rand.Rand
	districts []genDistrict
	days      uint64
	m         uint64 // number of distinct identities (district, birth date, sex, serial)
	half      uint   // bits in each half of the Feistel permutation's domain
	keys      [4]uint64
	lastValid []byte // the fields after No of the last valid row
}

func newGenerator(regions *wilayah.Data, seed int64) (*generator, error) {
	g := &generator{rng: rand.New(rand.NewPCG(uint64(seed), 0x6c696e64756e6769))}
	v := NewValidator(regions, GenProvince, time.Time{}, 0, 200) // only its region search is used
	for _, reg := range regions.Children(GenProvince) {
		regNames := keep(spellRegency(reg.Name), func(s string) bool { c, r := v.findRegency(s); return r.Key == "" && c == reg.Code })
		if len(regNames) == 0 {
			continue
		}
		for _, dist := range regions.Children(reg.Code) {
			distNames := keep(spellDistrict(dist.Name), func(s string) bool {
				c, r := v.findIn(reg.Code, wilayah.District, s)
				return r.Key == "" && c == dist.Code
			})
			if len(distNames) == 0 {
				continue
			}
			d := genDistrict{nikCode: wilayah.Undotted(dist.Code), regencies: regNames, names: distNames}
			for _, vill := range regions.Children(dist.Code) {
				vn := keep(spellVillage(vill), func(s string) bool {
					c, r := v.findIn(dist.Code, wilayah.Village, s)
					return r.Key == "" && c == vill.Code
				})
				if len(vn) > 0 {
					d.villages = append(d.villages, vn)
				}
			}
			if len(d.villages) > 0 {
				g.districts = append(g.districts, d)
			}
		}
	}
	if len(g.districts) == 0 {
		return nil, errors.New("roster: Generate: no districts in province " + GenProvince)
	}
	g.days = uint64(genBirthTo.Sub(genBirthFrom).Hours()/24) + 1
	g.m = uint64(len(g.districts)) * g.days * 2 * genSerials
	for g.half = 1; uint64(1)<<(2*g.half) < g.m; g.half++ {
	}
	for i := range g.keys {
		g.keys[i] = g.rng.Uint64()
	}
	return g, nil
}

// permute maps row numbers to distinct identities in [0, m) that look
// random: a 4-round Feistel network on 2·half bits, walked until it lands
// below m (a permutation of [0, 4^half) restricted this way stays one of
// [0, m)).
func (g *generator) permute(i uint64) uint64 {
	mask := uint64(1)<<g.half - 1
	x := i
	for {
		l, r := x>>g.half, x&mask
		for _, k := range g.keys {
			l, r = r, l^(mix(r^k)&mask)
		}
		x = l<<g.half | r
		if x < g.m {
			return x
		}
	}
}

// mix is the splitmix64 finaliser.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func keep(ss []string, ok func(string) bool) []string {
	var out []string
	for _, s := range ss {
		if ok(s) {
			out = append(out, s)
		}
	}
	return out
}

func spellRegency(name string) []string {
	base, isKota := strings.CutPrefix(name, "Kota ")
	if !isKota {
		base = strings.TrimPrefix(name, "Kabupaten ")
		return []string{name, "Kab. " + base, strings.ToUpper("Kab. " + base), base, strings.ToUpper(base)}
	}
	return []string{name, strings.ToUpper(name), base}
}

func spellDistrict(name string) []string {
	return []string{name, strings.ToUpper(name), "Kec. " + name, "KECAMATAN " + strings.ToUpper(name)}
}

func spellVillage(r wilayah.Region) []string {
	ss := []string{r.Name, strings.ToUpper(r.Name)}
	switch r.Kind() {
	case "kelurahan":
		ss = append(ss, "Kel. "+r.Name)
	case "desa", "desa_adat":
		ss = append(ss, "Desa "+r.Name)
	}
	return ss
}

func (g *generator) intn(n int) int { return int(g.rng.Uint64() % uint64(n)) }

func (g *generator) pick(ss []string) string { return ss[g.intn(len(ss))] }

// person is the identity behind row i's NIK.
type person struct {
	d      *genDistrict
	birth  time.Time
	female bool
	serial int
}

func (g *generator) person(i int) person {
	x := g.permute(uint64(i))
	serial := int(x%genSerials) + 1
	x /= genSerials
	female := x%2 == 1
	x /= 2
	day := x % g.days
	x /= g.days
	return person{d: &g.districts[x], birth: genBirthFrom.AddDate(0, 0, int(day)), female: female, serial: serial}
}

func (p person) nik() [16]byte {
	var b [16]byte
	copy(b[:6], p.d.nikCode)
	day := p.birth.Day()
	if p.female {
		day += 40
	}
	put2 := func(at, n int) { b[at], b[at+1] = byte('0'+n/10), byte('0'+n%10) }
	put2(6, day)
	put2(8, int(p.birth.Month()))
	put2(10, p.birth.Year()%100)
	put2(12, p.serial/100)
	put2(14, p.serial%100)
	return b
}

func (g *generator) row(buf []byte, i, bad int) []byte {
	buf = strconv.AppendInt(buf, int64(i+1), 10)
	buf = append(buf, ',')
	if bad == BadDuplicate {
		if g.lastValid == nil {
			bad = BadNIK
		} else {
			return append(buf, g.lastValid...)
		}
	}
	start := len(buf)
	p := g.person(i)
	k := p.nik()

	// NIK
	switch bad {
	case BadNIK:
		switch g.intn(3) {
		case 0:
			at := g.intn(16)
			buf = append(buf, k[:at]...)
			buf = append(buf, k[at+1:]...)
		case 1:
			buf = append(buf, k[:]...)
			buf = append(buf, byte('0'+g.intn(10)))
		default:
			buf = append(buf, k[:]...)
			buf[start+6+g.intn(10)] = 'O'
		}
	case BadExcelNIK:
		switch g.intn(3) {
		case 0:
			buf = append(buf, k[0], '.')
			buf = append(buf, k[1:6]...)
			buf = append(buf, "E+15"...)
		case 1:
			buf = append(buf, '"', k[0], ',')
			buf = append(buf, k[1:6]...)
			buf = append(buf, "E+15\""...)
		default:
			buf = append(buf, k[:12]...)
			buf = append(buf, "0000"...)
		}
	default:
		buf = append(buf, k[:]...)
	}
	buf = append(buf, ',')

	// Nama
	emptyCol := Column(-1)
	if bad == BadEmpty {
		emptyCol = [3]Column{ColName, ColVillage, ColDistrict}[g.intn(3)]
	}
	if emptyCol != ColName {
		buf = g.appendName(buf, p.female)
	}
	buf = append(buf, ',')

	// Tanggal Lahir
	birth := p.birth
	if bad == BadBirthDate {
		shift := 1 + g.intn(3)
		if birth.Day()+shift > 28 {
			shift = -shift
		}
		birth = birth.AddDate(0, 0, shift)
		buf = appendDate(buf, birth, 0)
	} else if g.intn(20) > 0 {
		buf = appendDate(buf, birth, g.intn(5))
	}
	buf = append(buf, ',')

	// Jenis Kelamin
	switch r := g.intn(10); {
	case r < 5:
		buf = append(buf, "LP"[b2i(p.female)])
	case r < 8:
		buf = append(buf, [2]string{"Laki-laki", "Perempuan"}[b2i(p.female)]...)
	case r < 9:
		buf = append(buf, [2]string{"LK", "PR"}[b2i(p.female)]...)
	}
	buf = append(buf, ',')

	buf = g.appendPhone(buf)
	buf = append(buf, ',')
	buf = g.appendAddress(buf)
	buf = append(buf, ',')

	// RT, RW
	if g.intn(100) < 85 {
		buf = appendPadded(buf, 1+g.intn(15), g.intn(3))
		buf = append(buf, ',')
		buf = appendPadded(buf, 1+g.intn(8), g.intn(3))
	} else {
		buf = append(buf, ',')
	}
	buf = append(buf, ',')

	// Desa/Kelurahan, Kecamatan, Kabupaten/Kota
	vill := g.pick(p.d.villages[g.intn(len(p.d.villages))])
	dist := g.pick(p.d.names)
	if bad == BadVillage {
		vill = g.pick(unknownVillages)
	}
	switch emptyCol {
	case ColVillage:
		vill = ""
	case ColDistrict:
		dist = ""
	}
	buf = appendField(buf, vill)
	buf = append(buf, ',')
	buf = appendField(buf, dist)
	buf = append(buf, ',')
	buf = appendField(buf, g.pick(p.d.regencies))
	buf = append(buf, ',')

	// Pekerjaan
	if g.intn(20) == 0 {
		buf = appendField(buf, g.pick(otherJobs))
	} else {
		o := genOccupations[g.intn(len(genOccupations))]
		if g.intn(4) == 0 {
			o = strings.ToUpper(o)
		}
		buf = appendField(buf, o)
	}
	buf = append(buf, '\r', '\n')
	if bad == -1 {
		g.lastValid = append(g.lastValid[:0], buf[start:]...)
	}
	return buf
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func appendPadded(buf []byte, n, width int) []byte {
	for d := 10; width > 0 && d <= 100; d *= 10 {
		if n < d {
			buf = append(buf, '0')
		}
		width--
	}
	return strconv.AppendInt(buf, int64(n), 10)
}

func append2(buf []byte, n int) []byte { return append(buf, byte('0'+n/10), byte('0'+n%10)) }

// appendDate writes a date in one of the ways lists write them.
func appendDate(buf []byte, t time.Time, style int) []byte {
	y, m, d := t.Date()
	switch style {
	case 0:
		buf = append2(append(append2(buf, d), '-'), int(m))
		return strconv.AppendInt(append(buf, '-'), int64(y), 10)
	case 1:
		buf = strconv.AppendInt(buf, int64(d), 10)
		buf = strconv.AppendInt(append(buf, '/'), int64(m), 10)
		return strconv.AppendInt(append(buf, '/'), int64(y), 10)
	case 2:
		buf = strconv.AppendInt(buf, int64(y), 10)
		buf = append2(append(buf, '-'), int(m))
		return append2(append(buf, '-'), d)
	case 3:
		buf = append2(buf, d)
		buf = append(append(append(buf, ' '), monthNames[m]...), ' ')
		return strconv.AppendInt(buf, int64(y), 10)
	default:
		buf = append(append2(buf, d), '.')
		buf = append(append2(buf, int(m)), '.')
		return strconv.AppendInt(buf, int64(y), 10)
	}
}

var mobilePrefixes = []string{"811", "812", "813", "821", "822", "823", "851", "852", "853", "855", "856",
	"857", "858", "877", "878", "881", "882", "895", "896", "897", "898", "899", "831", "832", "838"}

func (g *generator) appendPhone(buf []byte) []byte {
	r := g.intn(20)
	if r < 2 {
		return buf
	}
	var d [13]byte
	n := copy(d[:], g.pick(mobilePrefixes))
	for want := n + 7 + g.intn(3); n < want; n++ {
		d[n] = byte('0' + g.intn(10))
	}
	nsn := d[:n]
	switch {
	case r < 15:
		return append(append(buf, '0'), nsn...)
	case r < 17: // 0812-3456-7890
		buf = append(append(buf, '0'), nsn[:3]...)
		buf = append(append(buf, '-'), nsn[3:7]...)
		return append(append(buf, '-'), nsn[7:]...)
	case r < 18:
		return append(append(buf, "+62 "...), nsn...)
	default: // stored as a number: the 0 is gone
		return append(buf, nsn...)
	}
}

func (g *generator) appendAddress(buf []byte) []byte {
	switch g.intn(4) {
	case 0:
		buf = append(append(buf, "Jl. "...), g.pick(streets)...)
		return strconv.AppendInt(append(buf, " No. "...), int64(1+g.intn(120)), 10)
	case 1:
		return append(append(buf, "Dusun "...), g.pick(hamlets)...)
	case 2:
		buf = append(append(buf, "\"Gg. "...), g.pick(streets)...)
		return append(strconv.AppendInt(append(buf, ", No. "...), int64(1+g.intn(60)), 10), '"')
	}
	return buf
}

func (g *generator) appendName(buf []byte, female bool) []byte {
	first := maleNames
	if female {
		first = femaleNames
	}
	start := len(buf)
	buf = append(buf, g.pick(first)...)
	if g.intn(3) > 0 {
		buf = append(append(buf, ' '), g.pick(lastNames)...)
	}
	if g.intn(3) == 0 {
		for i := start; i < len(buf); i++ {
			if c := buf[i]; c >= 'a' && c <= 'z' {
				buf[i] = c - 'a' + 'A'
			}
		}
	}
	return buf
}

// appendField writes a CSV field, quoted if it needs to be.
func appendField(buf []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			buf = append(buf, '"')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '"')
}

var maleNames = []string{"Ahmad", "Muhammad", "Budi", "Agus", "Hendra", "Rudi", "Yohanes", "Antonius",
	"Dedi", "Slamet", "Heri", "Joko", "Syarif", "Abdul Rahman", "Fransiskus", "Stefanus", "Herman",
	"Iwan", "Rahmat", "Sulaiman", "Hamdan", "Yusuf", "Ismail", "Daniel", "Paulus", "Markus", "Adi",
	"Bambang", "Eko", "Wahyu", "Arif", "Rizky", "Hasan", "Usman", "Nurdin", "Apui", "Akiong", "Jumadi",
	"M. Saleh", "Zulkifli"}

var femaleNames = []string{"Siti", "Nur'aini", "Sri", "Dewi", "Maria", "Yuliana", "Rosita", "Fatimah",
	"Aisyah", "Nurhayati", "Suryani", "Wati", "Rina", "Lestari", "Agustina", "Theresia", "Margaretha",
	"Elisabeth", "Halimah", "Rahmawati", "Kartini", "Dayang", "Mariam", "Sumiati", "Yanti", "Fitri",
	"Novi", "Lina", "Erna", "Susanti", "Ernawati", "Hamidah", "Rohani", "Juliana", "Veronika", "Ani",
	"Mei Ling", "Lili", "Ratna", "Zubaidah"}

var lastNames = []string{"Aminah", "Rahman", "Saputra", "Hidayat", "Pratama", "Kurniawan", "Setiawan",
	"Wijaya", "Santoso", "Gunawan", "Nugroho", "Lestari", "Handayani", "Sari", "Rahayu", "Anggraini",
	"Abdullah", "Ibrahim", "Syahputra", "Hasibuan", "Nainggolan", "Sinaga", "Tan", "Lim", "Liu", "Anyi",
	"Apang", "Ding", "Jalong", "Kanyan", "Mering", "Udin", "Effendi",
	"Firmansyah", "Susilo", "Utami", "Purnama", "Maulana"}

var streets = []string{"Merdeka", "Gajah Mada", "Tanjungpura", "Ahmad Yani", "Sultan Syarif Abdurrahman",
	"Imam Bonjol", "Kom Yos Sudarso", "Diponegoro", "Sungai Raya Dalam", "Parit Haji Husin", "Harapan Jaya",
	"Veteran", "Pahlawan", "Kartini"}

var hamlets = []string{"Suka Maju", "Sido Mulyo", "Karya Bakti", "Mekar Sari", "Tanjung Harapan",
	"Sungai Pinang", "Parit Baru", "Jaya Makmur", "Sebayan", "Pasir Panjang"}

var genOccupations = []string{"Petani/pekebun", "Petani", "Petani", "Petani", "Pekebun", "Nelayan", "Nelayan",
	"Peternak", "Pedagang pasar", "Pedagang kaki lima", "Ojek/ojek online", "Ojek", "Sopir",
	"Buruh harian lepas", "Buruh harian lepas", "Tukang bangunan", "Pekerja rumah tangga", "Penjahit",
	"Montir", "Pengrajin", "Guru ngaji/marbot", "Guru ngaji", "Ketua RT/RW", "Ketua RT", "Perangkat desa",
	"Perangkat desa", "Kader posyandu", "Relawan pemadam", "Relawan pemadam kebakaran", "Pelaku UMKM",
	"Penjual online", "Seniman"}

// monthNames are the month names lists write in dates ("5 Agustus 1990").
var monthNames = [...]string{"", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
	"September", "Oktober", "November", "Desember"}

var otherJobs = []string{"Wiraswasta", "Tukang cukur", "Guru honorer", "Penyadap karet", "Pemandu wisata", "Juru parkir"}

var unknownVillages = []string{"Kampung Xqzvyk", "Desa Qwzxyvu", "Kel. Zyqxwvut", "Xyzzyqua"}
