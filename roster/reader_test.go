package roster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

func readAll(t *testing.T, rd *Reader) []Row {
	t.Helper()
	var rows []Row
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, r)
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want map[Column]string // column → header text as in the file
		line int
		err  string
	}{
		{
			name: "Indonesian",
			csv:  "No,NIK,Nama Lengkap,Tgl. Lahir,L/P,No. HP,Desa/Kelurahan,Kecamatan,Kabupaten/Kota,Pekerjaan,RT,RW,No KPJ,Penghasilan\n",
			want: map[Column]string{ColNIK: "NIK", ColName: "Nama Lengkap", ColBirthDate: "Tgl. Lahir", ColSex: "L/P", ColPhone: "No. HP",
				ColVillage: "Desa/Kelurahan", ColDistrict: "Kecamatan", ColRegency: "Kabupaten/Kota", ColOccupation: "Pekerjaan",
				ColRT: "RT", ColRW: "RW", ColKPJ: "No KPJ", ColIncome: "Penghasilan"},
			line: 1,
		},
		{
			name: "English",
			csv:  "nik,Full name,Date of birth,Gender,Mobile,Village,District,City,Occupation,Income\n",
			want: map[Column]string{ColNIK: "nik", ColName: "Full name", ColBirthDate: "Date of birth", ColSex: "Gender", ColPhone: "Mobile",
				ColVillage: "Village", ColDistrict: "District", ColRegency: "City", ColOccupation: "Occupation", ColIncome: "Income"},
			line: 1,
		},
		{
			name: "case, spaces, notes, unknown columns",
			csv:  "NO,  N I K*, NAMA  LENGKAP ,Tempat Lahir,TANGGAL LAHIR (dd-mm-yyyy),JK,Nama Ibu,KELURAHAN,KEC,KAB/KOTA,Telepon,Alamat\n",
			want: map[Column]string{ColNIK: "N I K*", ColName: "NAMA LENGKAP", ColBirthDate: "TANGGAL LAHIR (dd-mm-yyyy)", ColSex: "JK",
				ColVillage: "KELURAHAN", ColDistrict: "KEC", ColRegency: "KAB/KOTA", ColPhone: "Telepon"},
			line: 1,
		},
		{
			name: "title rows above the header",
			csv:  "DAFTAR PEKERJA RENTAN PROVINSI KALIMANTAN BARAT,,,,\n,,,,\nTahun 2027,,,,\nNIK,Nama,Desa,Kecamatan,Kabupaten\n",
			want: map[Column]string{ColNIK: "NIK", ColName: "Nama", ColVillage: "Desa", ColDistrict: "Kecamatan", ColRegency: "Kabupaten"},
			line: 4,
		},
		{
			name: "missing required columns",
			csv:  "NIK,Nama,Kecamatan,Tanggal Lahir\n6171054508900001,Siti,Pontianak Kota,05-08-1990\n",
			err:  "Kolom wajib tidak ditemukan: Desa/Kelurahan, Kabupaten/Kota. Baris judul (baris 1) harus berisi kolom NIK, Nama, Desa/Kelurahan, Kecamatan, dan Kabupaten/Kota.",
		},
		{
			name: "no NIK column",
			csv:  "Judul\nNo,Nama,Desa,Kecamatan,Kabupaten\n1,Siti,Darat Sekip,Pontianak Kota,Pontianak\n",
			err:  "Kolom wajib tidak ditemukan: NIK. Baris judul (baris 2) harus berisi kolom NIK, Nama, Desa/Kelurahan, Kecamatan, dan Kabupaten/Kota.",
		},
		{
			name: "column twice",
			csv:  "NIK,Nama,Nama Lengkap,Desa,Kecamatan,Kabupaten\n",
			err:  "Kolom Nama ada dua kali di baris judul (baris 1, kolom B dan C). Hapus atau ganti nama salah satunya.",
		},
		{
			name: "no header at all",
			csv:  "6171054508900001,Siti\n",
			err:  "Kolom wajib tidak ditemukan: NIK, Nama, Desa/Kelurahan, Kecamatan, Kabupaten/Kota. Baris judul (baris 1) harus berisi kolom NIK, Nama, Desa/Kelurahan, Kecamatan, dan Kabupaten/Kota.",
		},
		{
			name: "empty file",
			csv:  "\n\n",
			err:  "File kosong: tidak ada baris judul maupun data.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := Open(strings.NewReader(tt.csv), "daftar.csv")
			if tt.err != "" {
				var he *HeaderError
				if !errors.As(err, &he) || he.Text(catalog(t), "id") != tt.err {
					t.Fatalf("Open error = %v, want HeaderError %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer rd.Close()
			if rd.HeaderLine() != tt.line {
				t.Errorf("HeaderLine = %d, want %d", rd.HeaderLine(), tt.line)
			}
			for c := range NumColumns {
				text, _, ok := rd.Header(c)
				if want, wantOK := tt.want[c]; ok != wantOK || text != want {
					t.Errorf("Header(%v) = %q, %v; want %q, %v", c, text, ok, want, wantOK)
				}
			}
		})
	}
}

func TestSniffComma(t *testing.T) {
	tests := map[string]rune{
		"NIK;Nama;Desa\n":                 ';',
		"NIK,Nama,Desa\n":                 ',',
		"NIK\tNama\tDesa\n":               '\t',
		"Daftar, 2027\nNIK;Nama;Desa\n":   ';', // a title line with one comma
		"\"a;b;c\",d,e\n":                 ',', // separators in quotes do not count
		"NIK;Nama\n1;2\n":                 ';', // no line with two: the first line decides
		"NIK;Nama":                        ';',
		"":                                ',',
		"NIK;Nama;Desa,Kecamatan,Kab,X\n": ',',
	}
	for in, want := range tests {
		if got := sniffComma([]byte(in)); got != want {
			t.Errorf("sniffComma(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestColumnLetter(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := ColumnLetter(i); got != want {
			t.Errorf("ColumnLetter(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestOpenCSVSemicolonBOM(t *testing.T) {
	// Excel in Indonesian locale: BOM, ';', CRLF, decimal commas, a quoted
	// cell with ';' and a line break, blank rows, the header repeated, a total row.
	in := "\ufeffDAFTAR PESERTA;;;;;;\r\n" +
		";;;;;;\r\n" +
		"No;NIK;Nama;Desa/Kelurahan;Kecamatan;Kabupaten/Kota;Alamat\r\n" +
		"1;6171054508900001;Siti Aminah;Darat Sekip;Pontianak Kota;Kota Pontianak;\"Jl. Merdeka; No. 5\r\nGg. Mawar\"\r\n" +
		";;;;;;\r\n" +
		"No;NIK;Nama;Desa/Kelurahan;Kecamatan;Kabupaten/Kota;Alamat\r\n" +
		"2;6,17105E+15;Budi;Sungai Bangkong;Pontianak Kota;Pontianak;\r\n" +
		"Jumlah: 2;;;;;;\r\n"
	rd, err := Open(strings.NewReader(in), "peserta.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if rd.Format() != CSV || rd.HeaderLine() != 3 {
		t.Errorf("Format, HeaderLine = %v, %d", rd.Format(), rd.HeaderLine())
	}
	rows := readAll(t, rd)
	if len(rows) != 2 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if rows[0].Line != 4 || rows[0].Cells[ColNIK] != "6171054508900001" || rows[0].Cells[ColRegency] != "Kota Pontianak" {
		t.Errorf("row 1 = %+v", rows[0])
	}
	if rows[1].Line != 8 || rows[1].Cells[ColNIK] != "6,17105E+15" || rows[1].Cells[ColVillage] != "Sungai Bangkong" {
		t.Errorf("row 2 = %+v", rows[1])
	}
	v := validator(t)
	if w, p := v.Check(rows[0]); p != nil || w.Village != "61.71.05.1002" {
		t.Errorf("Check row 1 = %+v, %v", w, p)
	}
	if _, p := v.Check(rows[1]); problemText(t, p) != "baris 8, NIK: "+excelNIK {
		t.Errorf("Check row 2 problem = %s", problemText(t, p))
	}
}

func TestOpenCSVEncodings(t *testing.T) {
	header := "NIK\tNama\tDesa\tKecamatan\tKabupaten\r\n"
	row := "6171054508900001\tJosé Aminah\tDarat Sekip\tPontianak Kota\tPontianak\r\n"
	u := utf16.Encode([]rune(header + row))
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xFE})
	for _, c := range u {
		b.WriteByte(byte(c))
		b.WriteByte(byte(c >> 8))
	}
	tests := map[string][]byte{
		"UTF-16LE with BOM, tabs": b.Bytes(),
		"Windows-1252, commas":    []byte("NIK,Nama,Desa,Kecamatan,Kabupaten\n6171054508900001,Jos\xe9 Aminah,Darat Sekip,Pontianak Kota,Pontianak\n"),
		"UTF-8, tabs":             []byte(header + row),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			rd, err := Open(bytes.NewReader(in), "x.txt")
			if err != nil {
				t.Fatal(err)
			}
			rows := readAll(t, rd)
			if len(rows) != 1 || rows[0].Cells[ColName] != "José Aminah" || rows[0].Line != 2 {
				t.Errorf("rows = %+v", rows)
			}
		})
	}
}

func TestOpenCSVUnclosedQuote(t *testing.T) {
	in := "NIK,Nama,Desa,Kecamatan,Kabupaten\n6171054508900001,\"Siti," + strings.Repeat("x", MaxLine+200<<10) + "\n"
	rd, err := Open(strings.NewReader(in), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, err = rd.Next()
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.HasPrefix(fe.Text(catalog(t), "id"), "baris 2: baris ini lebih dari 1 MB: mungkin ada tanda kutip") {
		t.Errorf("Next error = %v, want a FileError about line 2's quote", err)
	}
	if want := "roster: line 2: roster.csv_line_too_long: line too long"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestOpenNotSpreadsheet(t *testing.T) {
	if _, err := Open(strings.NewReader("hello"), "daftar.xlsx"); !errors.Is(err, ErrNotXLSX) {
		t.Errorf("Open(.xlsx text) = %v, want ErrNotXLSX", err)
	}
	cat := catalog(t)
	if got := ErrNotXLSX.Text(cat, "id"); got != "File bernama .xlsx ini bukan file Excel yang sah. Buka di Excel lalu simpan ulang sebagai .xlsx atau CSV UTF-8." {
		t.Errorf("ErrNotXLSX in Indonesian: %q", got)
	}
	if got := ErrOldExcel.Text(cat, "en"); !strings.HasPrefix(got, "This file is an old Excel file (.xls)") {
		t.Errorf("ErrOldExcel in English: %q", got)
	}
	if _, err := Open(bytes.NewReader([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}), "daftar.xls"); !errors.Is(err, ErrOldExcel) {
		t.Errorf("Open(.xls) = %v, want ErrOldExcel", err)
	}
	if _, err := Open(strings.NewReader("\ufeff <html><table>"), "daftar.xls"); !errors.Is(err, ErrHTML) {
		t.Errorf("Open(HTML .xls) = %v, want ErrHTML", err)
	}
	if rd, err := Open(strings.NewReader("NIK,Nama,Desa,Kecamatan,Kabupaten\n"), "daftar.xls"); err != nil || rd.Format() != CSV {
		t.Errorf("Open(CSV named .xls) = %v", err)
	}
	if _, err := Open(strings.NewReader("PK\x03\x04 not really"), "daftar.xlsx"); !errors.Is(err, ErrNotXLSX) {
		t.Errorf("Open(broken zip) = %v, want ErrNotXLSX", err)
	}
}

// xlsxFile builds a workbook the way Excel saves a list someone typed
// carelessly: NIKs and phones in number cells, a date cell, a gap.
func xlsxFile(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	set := func(cell string, v any) {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "Daftar pekerja rentan 2027")
	for i, h := range []string{"No", "NIK", "Nama", "Tgl Lahir", "JK", "No HP", "Desa", "Kecamatan", "Kabupaten"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		set(cell, h)
	}
	rows := [][]any{
		// Excel keeps 15 digits: 6171054508900001 typed in a number cell is stored as …000.
		{1, int64(6171054508900000), "Siti Aminah", 33090, "P", int64(81234567890), "Darat Sekip", "Pontianak Kota", "Kota Pontianak"},
		{2, "6171051708850002", "Budi", "17-08-1985", "L", "0813-1111-2222", "Sungai Bangkong", "Pontianak Kota", "Pontianak"},
		// row 6 left empty
		{4, int64(6171051708850012), "Ahmad", 31276, "L", int64(6281355556666), "Mariana", "Pontianak Kota", "Pontianak"},
		{5, "6171055108850003", "Rina", 31277, "P", "", "Tengah", "Pontianak Kota", "Pontianak"},
		{6, int64(6171051708850020), "Yusuf", 31276, "L", "", "Tengah", "Pontianak Kota", "Pontianak"},
	}
	line := 4
	for i, r := range rows {
		if i == 2 {
			line++ // a blank row
		}
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, line)
			set(cell, v)
			if j == 3 {
				if _, ok := v.(int); ok {
					if err := f.SetCellStyle(sh, cell, cell, dateStyle); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		line++
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestOpenXLSX(t *testing.T) {
	data := xlsxFile(t)
	path := filepath.Join(t.TempDir(), "daftar.xlsx")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	inputs := map[string]io.Reader{
		"reader":  bytes.NewReader(data), // spooled to a temporary file
		"os.File": file,                  // opened by name
	}
	want := []struct {
		line    int
		problem string // problemText
		worker  Worker
	}{
		{line: 4, problem: "baris 4, NIK: " + excelNIK},
		{line: 5, worker: Worker{Line: 5, NIK: "6171051708850002", Name: "Budi", BirthDate: date(1985, 8, 17), Phone: "+6281311112222",
			Province: "61", Regency: "61.71", District: "61.71.05", Village: "61.71.05.1001"}},
		{line: 7, worker: Worker{Line: 7, NIK: "6171051708850012", Name: "Ahmad", BirthDate: date(1985, 8, 17), Phone: "+6281355556666",
			Province: "61", Regency: "61.71", District: "61.71.05", Village: "61.71.05.1004"}},
		{line: 8, problem: "baris 8, Tanggal Lahir: " +
			"Tanggal lahir 18 Agustus 1985 tidak cocok dengan NIK (angka 7–12 NIK menunjukkan 11 Agustus 1985). Periksa NIK dan tanggal lahirnya."},
		{line: 9, problem: "baris 9, NIK: " + excelNIK},
	}
	v := validator(t)
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			rd, err := Open(in, "daftar.xlsx")
			if err != nil {
				t.Fatal(err)
			}
			if rd.Format() != XLSX || rd.HeaderLine() != 3 {
				t.Errorf("Format, HeaderLine = %v, %d", rd.Format(), rd.HeaderLine())
			}
			rows := readAll(t, rd)
			if err := rd.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
			}
			if !rows[0].Numeric[ColNIK] || !rows[0].Numeric[ColPhone] || !rows[0].Numeric[ColBirthDate] || rows[1].Numeric[ColNIK] {
				t.Errorf("Numeric flags: row 1 %v, row 2 %v", rows[0].Numeric, rows[1].Numeric)
			}
			if rows[0].Cells[ColBirthDate] != "33090" || rows[0].Cells[ColPhone] != "81234567890" {
				t.Errorf("raw cells of row 1: %q", rows[0].Cells)
			}
			for i, w := range want {
				if rows[i].Line != w.line {
					t.Errorf("row %d Line = %d, want %d", i, rows[i].Line, w.line)
				}
				got, p := v.Check(rows[i])
				switch {
				case w.problem != "" && problemText(t, p) != w.problem:
					t.Errorf("line %d: problem %s, want %s", w.line, problemText(t, p), w.problem)
				case w.problem == "" && p != nil:
					t.Errorf("line %d: %s", w.line, problemText(t, p))
				case w.problem == "":
					if !got.BirthDate.Equal(w.worker.BirthDate) {
						t.Errorf("line %d: BirthDate %v, want %v", w.line, got.BirthDate, w.worker.BirthDate)
					}
					got.BirthDate = w.worker.BirthDate
					if got != w.worker {
						t.Errorf("line %d:\n%+v\nwant\n%+v", w.line, got, w.worker)
					}
				}
			}
		})
	}
}

func TestOpenXLSX1904(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	yes := true
	if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
		t.Fatal(err)
	}
	for i, v := range []any{"NIK", "Nama", "Tanggal Lahir", "Desa", "Kecamatan", "Kabupaten",
		"6171054508900001", "Siti Aminah", 33090 - 1462, "Darat Sekip", "Pontianak Kota", "Pontianak"} {
		cell, _ := excelize.CoordinatesToCellName(i%6+1, i/6+1)
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	rd, err := Open(&b, "x.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rows := readAll(t, rd)
	if len(rows) != 1 || rows[0].Cells[ColBirthDate] != "33090" {
		t.Fatalf("rows = %+v", rows)
	}
	if _, p := validator(t).Check(rows[0]); p != nil {
		t.Error(p)
	}
}

// Explain renders a file's or a header's error in the admin's language and
// leaves other errors alone, the original still reachable.
func TestExplain(t *testing.T) {
	cat := catalog(t)
	_, headerErr := Open(strings.NewReader("NIK,Nama,Kecamatan\n1,2,3\n"), "judul.csv")
	disk := errors.New("disk on fire")
	tests := []struct {
		name string
		err  error
		lang string
		want string
	}{
		{"file error", ErrHTML, "en", "This file is a web page (HTML)"},
		{"file error in Indonesian", ErrHTML, "id", "File ini halaman web (HTML)"},
		{"header error", headerErr, "id", "Kolom wajib tidak ditemukan: Desa/Kelurahan, Kabupaten/Kota."},
		{"wrapped", fmt.Errorf("read: %w", ErrHTML), "en", "This file is a web page (HTML)"},
		{"another error", disk, "en", "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Explain(cat, tt.lang, tt.err)
			if !strings.Contains(got.Error(), tt.want) {
				t.Errorf("Explain: %q, want it to contain %q", got.Error(), tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Explain(%v) no longer reaches the error", tt.err)
			}
		})
	}
}
