package roster

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/wilayah"
)

var jakarta = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		return time.FixedZone("WIB", 7*3600)
	}
	return loc
}()

var today = time.Date(2026, 11, 25, 9, 0, 0, 0, jakarta)

const minAge, maxAge = 15, 65

var loadRegions = sync.OnceValues(wilayah.Load)

func regions(tb testing.TB) *wilayah.Data {
	tb.Helper()
	d, err := loadRegions()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

var loadCatalog = sync.OnceValues(locales.Load)

func catalog(tb testing.TB) *locales.Catalog {
	tb.Helper()
	c, err := loadCatalog()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// excelNIK is the Indonesian text of KeyExcelNIK.
const excelNIK = "NIK rusak oleh Excel (tersimpan sebagai angka): ketik ulang sebagai teks."

// problemText is a problem as the admin reads it in Indonesian (the
// default): "baris 7, NIK: …"; "<nil>" for none.
func problemText(tb testing.TB, p *Problem) string {
	tb.Helper()
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("baris %d, %s: %s", p.Line, p.Column, p.Msg.Text(catalog(tb), "id"))
}

func validator(tb testing.TB) *Validator {
	return NewValidator(regions(tb), "61", today, minAge, maxAge)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, jakarta) }

// goodRow is a valid row: Siti Aminah of Kelurahan Darat Sekip, Pontianak Kota.
func goodRow() Row {
	r := Row{Line: 7}
	r.Cells[ColNIK] = "6171054508900001"
	r.Cells[ColName] = "Siti Aminah"
	r.Cells[ColBirthDate] = "05-08-1990"
	r.Cells[ColSex] = "P"
	r.Cells[ColPhone] = "0812-3456-7890"
	r.Cells[ColVillage] = "Darat Sekip"
	r.Cells[ColDistrict] = "Pontianak Kota"
	r.Cells[ColRegency] = "Kota Pontianak"
	r.Cells[ColOccupation] = "Pedagang pasar"
	return r
}

func goodWorker() Worker {
	return Worker{Line: 7, NIK: "6171054508900001", Name: "Siti Aminah", BirthDate: date(1990, 8, 5), Female: true,
		Phone: "+6281234567890", Province: "61", Regency: "61.71", District: "61.71.05", Village: "61.71.05.1002",
		Occupation: "pedagang_pasar"}
}

func with(r Row, kv ...any) Row {
	for i := 0; i < len(kv); i += 2 {
		r.Cells[kv[i].(Column)] = kv[i+1].(string)
	}
	return r
}

func TestCheckAccepted(t *testing.T) {
	v := validator(t)
	tests := []struct {
		name string
		row  Row
		want func(*Worker)
	}{
		{"good", goodRow(), func(*Worker) {}},
		{"stray whitespace and nbsp", with(goodRow(), ColNIK, " 6171054508900001\u00a0", ColName, "\u00a0 Siti\u00a0\u00a0Aminah ",
			ColVillage, "\tDarat  Sekip ", ColDistrict, "\u200bPontianak Kota", ColRegency, " Kota Pontianak\r\n", ColSex, " p "),
			func(*Worker) {}},
		{"upper case, kind words", with(goodRow(), ColName, "SITI AMINAH", ColVillage, "KEL. DARATSEKIP", ColDistrict, "Kec. Pontianak Kota",
			ColRegency, "KOTA PONTIANAK"), func(w *Worker) { w.Name = "SITI AMINAH" }},
		{"regency without kind word", with(goodRow(), ColRegency, "pontianak"), func(*Worker) {}},
		{"codes", with(goodRow(), ColVillage, "61.71.05.1002", ColDistrict, "", ColRegency, ""), func(*Worker) {}},
		{"undotted village code with agreeing names", with(goodRow(), ColVillage, "6171051002"), func(*Worker) {}},
		{"district and regency codes", with(goodRow(), ColDistrict, "61.71.05", ColRegency, "6171"), func(*Worker) {}},
		{"typo in village", with(goodRow(), ColVillage, "Darat Sekp"), func(*Worker) {}},
		{"birth date optional", with(goodRow(), ColBirthDate, ""), func(*Worker) {}},
		{"birth date as dash", with(goodRow(), ColBirthDate, "-"), func(*Worker) {}},
		{"birth date in words", with(goodRow(), ColBirthDate, "5 Agustus 1990"), func(*Worker) {}},
		{"birth date ISO with time", with(goodRow(), ColBirthDate, "1990-08-05T00:00:00Z"), func(*Worker) {}},
		{"birth date with time", with(goodRow(), ColBirthDate, "05/08/1990 00:00"), func(*Worker) {}},
		{"birth date Excel serial", with(goodRow(), ColBirthDate, "33090"), func(*Worker) {}},
		{"birth date ddmmyy", with(goodRow(), ColBirthDate, "050890"), func(*Worker) {}},
		{"birth date ddmmyyyy", with(goodRow(), ColBirthDate, "05081990"), func(*Worker) {}},
		{"sex spelled out", with(goodRow(), ColSex, "Perempuan"), func(*Worker) {}},
		{"sex optional", with(goodRow(), ColSex, ""), func(*Worker) {}},
		{"phone optional", with(goodRow(), ColPhone, ""), func(w *Worker) { w.Phone = "" }},
		{"phone 0 means none", with(goodRow(), ColPhone, "0"), func(w *Worker) { w.Phone = "" }},
		{"phone lost its 0", with(goodRow(), ColPhone, "81234567890"), func(*Worker) {}},
		{"phone with 62", with(goodRow(), ColPhone, "6281234567890"), func(*Worker) {}},
		{"phone in exponent notation", with(goodRow(), ColPhone, "8.1234567890E+10"), func(*Worker) {}},
		{"phone with apostrophe", with(goodRow(), ColPhone, "'081234567890"), func(*Worker) {}},
		{"NIK with apostrophe and spaces", with(goodRow(), ColNIK, "'6171 0545 0890 0001"), func(*Worker) {}},
		{"occupation label", with(goodRow(), ColOccupation, "Petani/pekebun"), func(w *Worker) { w.Occupation = "petani" }},
		{"occupation word", with(goodRow(), ColOccupation, "PETANI"), func(w *Worker) { w.Occupation = "petani" }},
		{"occupation part of a label", with(goodRow(), ColOccupation, "kaki lima"), func(w *Worker) { w.Occupation = "pedagang_kaki_lima" }},
		{"occupation English", with(goodRow(), ColOccupation, "Fisher"), func(w *Worker) { w.Occupation = "nelayan" }},
		{"occupation unknown", with(goodRow(), ColOccupation, "Tukang cukur"), func(w *Worker) { w.Occupation, w.OccupationOther = "lainnya", "Tukang cukur" }},
		{"occupation ambiguous", with(goodRow(), ColOccupation, "Pedagang"), func(w *Worker) { w.Occupation, w.OccupationOther = "lainnya", "Pedagang" }},
		{"occupation empty", with(goodRow(), ColOccupation, ""), func(w *Worker) { w.Occupation = "" }},
		{"RT RW", with(goodRow(), ColRT, "3", ColRW, "RW 05"), func(w *Worker) { w.RT, w.RW = "003", "005" }},
		{"RT/RW in one cell", with(goodRow(), ColRT, "003/005"), func(w *Worker) { w.RT, w.RW = "003", "005" }},
		{"RT 000 is none", with(goodRow(), ColRT, "000", ColRW, "-"), func(w *Worker) { w.RT, w.RW = "", "" }},
		{"KPJ", with(goodRow(), ColKPJ, "'12-345-678-901"), func(w *Worker) { w.KPJ = "12345678901" }},
		{"income", with(goodRow(), ColIncome, "Rp 1.500.000"), func(w *Worker) { w.Income = 1_500_000 }},
		{"income in words", with(goodRow(), ColIncome, "2,5 juta"), func(w *Worker) { w.Income = 2_500_000 }},
		{"male NIK", with(goodRow(), ColNIK, "6171051708850002", ColBirthDate, "17-08-1985", ColSex, "L", ColName, "Budi"),
			func(w *Worker) {
				w.NIK, w.BirthDate, w.Female, w.Name = "6171051708850002", date(1985, 8, 17), false, "Budi"
			}},
		{"regency in another province", with(goodRow(), ColNIK, "3171014508900001", ColRegency, "Kota Administrasi Jakarta Pusat",
			ColDistrict, "Gambir", ColVillage, "Gambir"), func(w *Worker) {
			w.NIK, w.Province, w.Regency, w.District, w.Village = "3171014508900001", "31", "31.71", "31.71.01", "31.71.01.1001"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p := v.Check(tt.row)
			if p != nil {
				t.Fatalf("Check: %v", p)
			}
			want := goodWorker()
			tt.want(&want)
			if !got.BirthDate.Equal(want.BirthDate) {
				t.Errorf("BirthDate = %v, want %v", got.BirthDate, want.BirthDate)
			}
			got.BirthDate = want.BirthDate
			if got != want {
				t.Errorf("Check =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// problemCase is a row Check rejects, with the problem in Indonesian.
type problemCase struct {
	name   string
	row    Row
	column string
	reason string
}

func TestCheckProblems(t *testing.T) {
	v := validator(t)
	for _, tt := range problemCases {
		t.Run(tt.name, func(t *testing.T) {
			w, p := v.Check(tt.row)
			if p == nil {
				t.Fatalf("Check accepted the row: %+v", w)
			}
			if got, want := problemText(t, p), fmt.Sprintf("baris 7, %s: %s", tt.column, tt.reason); got != want {
				t.Errorf("Check problem =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestCheckProblemsEnglish renders the same problems in English: no
// Indonesian word of the texts is left, no value is missing.
func TestCheckProblemsEnglish(t *testing.T) {
	v := validator(t)
	cat := catalog(t)
	for _, tt := range problemCases {
		_, p := v.Check(tt.row)
		if p == nil {
			t.Fatalf("%s: accepted", tt.name)
		}
		en := p.Msg.Text(cat, "en")
		for _, word := range []string{"tidak", "harus", "Periksa", "kosong", "Tulis", "<no value>", "roster."} {
			if strings.Contains(en, word) {
				t.Errorf("%s: %q has %q", tt.name, en, word)
			}
		}
	}
	_, p := v.Check(with(goodRow(), ColSex, "L"))
	if got, want := p.Msg.Text(cat, "en"), "The sex written, male, does not match the NIK, which says female"; !strings.HasPrefix(got, want) {
		t.Errorf("sex in English: %q, want %q…", got, want)
	}
	_, p = v.Check(with(goodRow(), ColBirthDate, "06-08-1990"))
	if got, want := p.Msg.Text(cat, "en"), "The birth date 6 August 1990 does not match the NIK (digits 7–12 of the NIK say 5 August 1990)."; !strings.HasPrefix(got, want) {
		t.Errorf("dates in English: %q, want %q…", got, want)
	}
	if got := (&FileError{Line: 3, Msg: msg("csv_broken", "Err", "bare \" in non-quoted field")}).Text(cat, "en"); !strings.HasPrefix(got, "line 3: the CSV is broken") {
		t.Errorf("FileError in English: %q", got)
	}
	he := &HeaderError{Line: 1, Missing: []Column{ColVillage}, Duplicate: -1}
	if got := he.Text(cat, "en"); !strings.HasPrefix(got, "Required columns not found: Village.") {
		t.Errorf("HeaderError in English: %q", got)
	}
	if got := he.Text(cat, "id"); !strings.HasPrefix(got, "Kolom wajib tidak ditemukan: Desa/Kelurahan.") {
		t.Errorf("HeaderError in Indonesian: %q", got)
	}
	// Columns go by their names in the reader's language.
	_, p = v.Check(with(goodRow(), ColDistrict, ""))
	if got := p.Msg.Text(cat, "en"); got != "The District column is empty; it must be filled in." || p.ColumnText(cat, "en") != "District" {
		t.Errorf("an empty column in English: %q, column %q", got, p.ColumnText(cat, "en"))
	}
	if got := p.Msg.Text(cat, "id"); got != "Kolom Kecamatan kosong; kolom ini wajib diisi." || p.ColumnText(cat, "id") != "Kecamatan" {
		t.Errorf("an empty column in Indonesian: %q, column %q", got, p.ColumnText(cat, "id"))
	}
}

// TestMsgTextShared renders a cached message with a date from many
// goroutines (run with -race): Text must not change the shared Data.
func TestMsgTextShared(t *testing.T) {
	cat := catalog(t)
	m := msg("age", "Age", 70, "Born", date(1956, 8, 5), "Min", 15, "Max", 65)
	var wg sync.WaitGroup
	for _, lang := range []string{"id", "en", "id", "en"} {
		wg.Go(func() {
			for range 100 {
				if s := m.Text(cat, lang); strings.Contains(s, "<no value>") || !strings.Contains(s, "1956") {
					t.Errorf("%s: %q", lang, s)
					return
				}
			}
		})
	}
	wg.Wait()
	if _, ok := m.Data["Born"].(time.Time); !ok {
		t.Errorf("Text changed the message's data: %v", m.Data)
	}
	if got, want := m.Text(cat, "id"), "Umur 70 tahun (lahir 5 Agustus 1956). Peserta harus berumur 15 sampai 65 tahun."; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

var problemCases = []problemCase{
	{"NIK empty", with(goodRow(), ColNIK, " - "), "NIK", "Kolom NIK kosong; kolom ini wajib diisi."},
	{"NIK 15 digits", with(goodRow(), ColNIK, "617105450890001"), "NIK", "NIK harus 16 angka; yang tertulis 15 angka."},
	{"NIK letter O", with(goodRow(), ColNIK, "61710545O8900001"), "NIK", `NIK hanya berisi angka; ada "O" (huruf O dan angka 0 sering tertukar).`},
	{"NIK province", with(goodRow(), ColNIK, "9971054508900001"), "NIK", "Dua angka pertama NIK (99) bukan kode provinsi. Periksa lagi NIK-nya."},
	{"NIK district", with(goodRow(), ColNIK, "6171994508900001"), "NIK", "Enam angka pertama NIK (617199) bukan kode kecamatan. Periksa lagi NIK-nya."},
	{"NIK date", with(goodRow(), ColNIK, "6171053202900001"), "NIK",
		"Angka ke-7 sampai ke-12 NIK (320290) harus berupa tanggal lahir: hari, bulan, tahun (untuk perempuan, hari ditambah 40). Periksa lagi NIK-nya."},
	{"NIK in exponent notation", with(goodRow(), ColNIK, "6.17105E+15"), "NIK", excelNIK},
	{"NIK in exponent notation, decimal comma", with(goodRow(), ColNIK, "6,17105E+15"), "NIK", excelNIK},
	{"NIK with zeroed serial", with(goodRow(), ColNIK, "6171054508900000"), "NIK", excelNIK},
	{"NIK from a number cell", func() Row { r := with(goodRow(), ColNIK, "6171054508900010"); r.Numeric[ColNIK] = true; return r }(), "NIK", excelNIK},
	{"name empty", with(goodRow(), ColName, ""), "Nama", "Kolom Nama kosong; kolom ini wajib diisi."},
	{"name with digits", with(goodRow(), ColName, "Siti 2"), "Nama", `Nama hanya boleh berisi huruf, spasi, titik, tanda petik, dan tanda hubung; "2" tidak boleh.`},
	{"birth date contradicts NIK", with(goodRow(), ColBirthDate, "06-08-1990"), "Tanggal Lahir",
		"Tanggal lahir 6 Agustus 1990 tidak cocok dengan NIK (angka 7–12 NIK menunjukkan 5 Agustus 1990). Periksa NIK dan tanggal lahirnya."},
	{"birth year contradicts NIK", with(goodRow(), ColBirthDate, "05-08-1991"), "Tanggal Lahir",
		"Tanggal lahir 5 Agustus 1991 tidak cocok dengan NIK (angka 7–12 NIK menunjukkan 5 Agustus 1990). Periksa NIK dan tanggal lahirnya."},
	{"birth date serial contradicts NIK", with(goodRow(), ColBirthDate, "33089"), "Tanggal Lahir",
		"Tanggal lahir 4 Agustus 1990 tidak cocok dengan NIK (angka 7–12 NIK menunjukkan 5 Agustus 1990). Periksa NIK dan tanggal lahirnya."},
	{"birth date unreadable", with(goodRow(), ColBirthDate, "Agustus 90"), "Tanggal Lahir",
		`Tanggal lahir "Agustus 90" tidak bisa dibaca. Tulis hari-bulan-tahun, contoh 17-08-1985 atau 17 Agustus 1985.`},
	{"birth date 31 June", with(goodRow(), ColBirthDate, "31-06-1990"), "Tanggal Lahir",
		`Tanggal lahir "31-06-1990" tidak ada di kalender. Periksa hari dan bulannya.`},
	{"too old", with(goodRow(), ColNIK, "6171054508500001", ColBirthDate, "05-08-1950"), "Tanggal Lahir",
		"Umur 76 tahun (lahir 5 Agustus 1950). Peserta harus berumur 15 sampai 65 tahun."},
	{"sex contradicts NIK", with(goodRow(), ColSex, "L"), "Jenis Kelamin",
		"Jenis kelamin laki-laki tidak cocok dengan NIK, yang menunjukkan perempuan (pada NIK perempuan, tanggal lahir ditambah 40). Periksa NIK dan jenis kelaminnya."},
	{"sex unknown", with(goodRow(), ColSex, "X"), "Jenis Kelamin", `Jenis kelamin "X" tidak dikenal. Tulis L (laki-laki) atau P (perempuan).`},
	{"phone landline", with(goodRow(), ColPhone, "0561-123456"), "No HP",
		"Itu bukan nomor HP Indonesia. Nomor HP dimulai dengan 08 atau +628; kosongkan jika tidak ada."},
	{"phone short", with(goodRow(), ColPhone, "0812345"), "No HP", "Nomor HP terlalu pendek (7 angka). Nomor HP terdiri dari 10–13 angka dan dimulai dengan 08."},
	{"phone mangled by Excel", with(goodRow(), ColPhone, "8.12346E+10"), "No HP",
		"Nomor HP rusak oleh Excel (tersimpan sebagai angka, angka terakhirnya hilang): ketik ulang sebagai teks, contoh 0812-3456-7890."},
	{"two phones", with(goodRow(), ColPhone, "0812345678 / 0813456789"), "No HP",
		`Nomor HP hanya berisi angka; "/" tidak boleh. Tulis satu nomor saja, contoh 0812-3456-7890.`},
	{"village empty", with(goodRow(), ColVillage, ""), "Desa/Kelurahan", "Kolom Desa/Kelurahan kosong; kolom ini wajib diisi."},
	{"district empty", with(goodRow(), ColDistrict, "-"), "Kecamatan", "Kolom Kecamatan kosong; kolom ini wajib diisi."},
	{"regency empty", with(goodRow(), ColRegency, " "), "Kabupaten/Kota", "Kolom Kabupaten/Kota kosong; kolom ini wajib diisi."},
	{"unknown village", with(goodRow(), ColVillage, "Kampung Xqzvyk"), "Desa/Kelurahan",
		`Desa/kelurahan "Kampung Xqzvyk" tidak ditemukan di Kecamatan Pontianak Kota. Periksa ejaannya, atau tulis kode wilayahnya.`},
	{"village of another district", with(goodRow(), ColVillage, "Siantan Hulu"), "Desa/Kelurahan",
		`Desa/kelurahan "Siantan Hulu" tidak ditemukan di Kecamatan Pontianak Kota. Periksa ejaannya, atau tulis kode wilayahnya.`},
	{"unknown district", with(goodRow(), ColDistrict, "Sungai Kakap"), "Kecamatan",
		`Kecamatan "Sungai Kakap" tidak ditemukan di Kota Pontianak. Periksa ejaannya, atau tulis kode wilayahnya.`},
	{"unknown regency", with(goodRow(), ColRegency, "Qwzxyv"), "Kabupaten/Kota",
		`Kabupaten/kota "Qwzxyv" tidak ditemukan di Indonesia. Periksa ejaannya, atau tulis kode wilayahnya.`},
	{"ambiguous district", with(goodRow(), ColDistrict, "Pontianak"), "Kecamatan",
		`Kecamatan "Pontianak" di Kota Pontianak tidak jelas: bisa Pontianak Kota (61.71.05), Pontianak Barat (61.71.03), Pontianak Selatan (61.71.01). Tulis nama lengkapnya atau kode wilayahnya.`},
	{"unknown village code", with(goodRow(), ColVillage, "61.71.05.1099"), "Desa/Kelurahan",
		"Kode desa/kelurahan 61.71.05.1099 tidak ada di daftar wilayah Kemendagri. Periksa kodenya, atau tulis nama desa/kelurahan."},
	{"village code against district", with(goodRow(), ColVillage, "61.71.04.1001"), "Kecamatan",
		`Kecamatan "Pontianak Kota" tidak cocok dengan kode desa/kelurahan 61.71.04.1001, yang ada di Kecamatan Pontianak Utara. Periksa kode desa atau kecamatannya.`},
	{"district code of another regency", with(goodRow(), ColDistrict, "61.12.01"), "Kecamatan",
		"Kode kecamatan 61.12.01 bukan di Kota Pontianak. Periksa kode dan kolom wilayah lainnya."},
	{"RT not a number", with(goodRow(), ColRT, "tiga"), "RT", `RT harus angka 1–999; yang tertulis "tiga".`},
	{"RW too large", with(goodRow(), ColRT, "1", ColRW, "1234"), "RW", `RW harus angka 1–999; yang tertulis "1234".`},
	{"KPJ short", with(goodRow(), ColKPJ, "1234567"), "KPJ", "KPJ harus 8–16 angka; yang tertulis 7 angka."},
	{"KPJ in exponent notation", with(goodRow(), ColKPJ, "1.23457E+10"), "KPJ", "KPJ rusak oleh Excel (tersimpan sebagai angka): ketik ulang sebagai teks."},
	{"income unreadable", with(goodRow(), ColIncome, "sejuta"), "Penghasilan",
		`Penghasilan "sejuta" tidak bisa dibaca. Tulis angka rupiah sebulan, contoh 1.500.000 atau 1,5 juta.`},
}

func TestExcelSerial(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"32725", date(1989, 8, 5), true},
		{"32724", date(1989, 8, 4), true},
		{"25569", date(1970, 1, 1), true},
		{"32725.0", date(1989, 8, 5), true},
		{"32725.75", date(1989, 8, 5), true}, // a time of day
		{"45658", date(2025, 1, 1), true},
		{"9999", time.Time{}, false}, // below MinSerial
		{"1989", time.Time{}, false},
		{"32725a", time.Time{}, false},
		{"050889", time.Time{}, false}, // ddmmyy, for tanggal
	}
	for _, tt := range tests {
		got, ok := excelSerial(tt.in, jakarta)
		if ok != tt.ok || ok && !got.Equal(tt.want) {
			t.Errorf("excelSerial(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && strings.IndexByte(tt.in, '.') < 0 {
			if s := ExcelSerial(got); s != atoi(t, tt.in) {
				t.Errorf("ExcelSerial(%v) = %d, want %s", got, s, tt.in)
			}
		}
	}
}

func atoi(t *testing.T, s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestPhoneNumber(t *testing.T) {
	tests := []struct {
		in      string
		numeric bool
		want    string
	}{
		{"081234567890", false, "+6281234567890"},
		{"81234567890", true, "+6281234567890"},
		{"81234567890", false, "+6281234567890"},
		{"6281234567890", true, "+6281234567890"},
		{"81234567890.0", true, "+6281234567890"},
		{"8.1234567890E+10", false, "+6281234567890"},
		{"8,1234567890E+10", false, "+6281234567890"},
		{"6.281234567890E+12", false, "+6281234567890"},
		{"+62 812-3456-7890", false, "+6281234567890"},
		{"'0812 3456 7890", false, "+6281234567890"},
		{"8.12346E+10", false, ""},
		{"8.1234567890E+11", false, ""},
	}
	for _, tt := range tests {
		got, reason := phoneNumber(tt.in, tt.numeric)
		if got != tt.want || (got == "") != (reason.Key != "") {
			t.Errorf("phoneNumber(%q, %v) = %q, %q; want %q", tt.in, tt.numeric, got, reason, tt.want)
		}
	}
}

func TestKey(t *testing.T) {
	w := goodWorker()
	if Key(w) != 6171054508900001 {
		t.Errorf("Key = %d", Key(w))
	}
	w.NIK = "0171054508900001" // not a real NIK: the leading 0 still counts
	if Key(w) != 171054508900001 || Key(w) == Key(goodWorker()) {
		t.Errorf("Key = %d", Key(w))
	}
}

// TestOccupationLabels keeps the occupation table in step with the chat's
// picker labels in locales (read as text: roster does not import flows, and
// the labels are matching data here, not texts it shows).
func TestOccupationLabels(t *testing.T) {
	re := regexp.MustCompile(`(?m)^"occupation\.([a-z_]+)" = "(.*)"$`)
	for i, file := range []string{"../locales/id.toml", "../locales/en.toml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Skip(err)
		}
		seen := map[string]bool{}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			code, label := m[1], m[2]
			if code == "ask" || code == "other_ask" {
				continue
			}
			seen[code] = true
			found := false
			for _, o := range occupations {
				if o.code == code {
					found = true
					if len(o.labels) <= i || o.labels[i] != label {
						t.Errorf("%s: occupation %s label %q, roster has %q", file, code, label, o.labels)
					}
				}
			}
			if !found {
				t.Errorf("%s: occupation %s missing from roster", file, code)
			}
			if got, _ := matchOccupation(label); got != code {
				t.Errorf("matchOccupation(%q) = %q, want %q", label, got, code)
			}
		}
		for _, o := range occupations {
			if !seen[o.code] {
				t.Errorf("%s has no occupation.%s", file, o.code)
			}
		}
	}
}

// TestCheckConcurrent shares one Validator (and its search cache) between
// goroutines, as an importer validating in parallel would; run with -race.
func TestCheckConcurrent(t *testing.T) {
	var buf bytes.Buffer
	if err := Generate(&buf, 2000, 5, regions(t), 20); err != nil {
		t.Fatal(err)
	}
	rd, err := Open(&buf, "gen.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, rd)
	v := validator(t)
	want := make([]string, len(rows))
	for i, r := range rows {
		w, p := v.Check(r)
		want[i] = fmt.Sprint(w, p)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i, r := range rows {
				w, p := v.Check(r)
				if got := fmt.Sprint(w, p); got != want[i] {
					t.Errorf("line %d: %s, want %s", r.Line, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}
