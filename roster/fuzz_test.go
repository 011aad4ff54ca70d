package roster

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/tanggal"
)

func FuzzCheck(f *testing.F) {
	add := func(r Row, numeric uint16) {
		c := r.Cells
		f.Add(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], numeric)
	}
	add(goodRow(), 0)
	add(with(goodRow(), ColNIK, "6.17105E+15", ColPhone, "8.1234567890E+10"), 0)
	add(with(goodRow(), ColNIK, "6171054508900010"), 1<<ColNIK)
	add(with(goodRow(), ColBirthDate, "33090", ColPhone, "81234567890"), 1<<ColBirthDate|1<<ColPhone)
	add(with(goodRow(), ColVillage, "61.71.05.1002", ColDistrict, "", ColRegency, "", ColRT, "003/005", ColKPJ, "12345678901",
		ColIncome, "1,5 juta", ColOccupation, "Tukang cukur"), 0)
	add(with(goodRow(), ColRegency, "Kab. Kubu Raya", ColDistrict, "Sungai Raya", ColVillage, "Desa Sungai Raya",
		ColNIK, "6112011708850002", ColBirthDate, "17 Agt 85", ColSex, "L"), 0)
	add(Row{}, 0)
	v := NewValidator(regions(f), "61", today, minAge, maxAge)
	cat := catalog(f)
	codes := make([]string, 0, len(occupations)+1)
	for _, o := range occupations {
		codes = append(codes, o.code)
	}
	codes = append(codes, "")
	names := columnNames[:]
	f.Fuzz(func(t *testing.T, nik, name, birth, sex, phone, village, district, regency, occupation, rt, rw, kpj, income string, numeric uint16) {
		r := Row{Line: 3}
		r.Cells = [NumColumns]string{nik, name, birth, sex, phone, village, district, regency, occupation, rt, rw, kpj, income}
		for c := range NumColumns {
			r.Numeric[c] = numeric&(1<<c) != 0
		}
		w, p := v.Check(r)
		if p != nil {
			if p.Line != 3 || !slices.Contains(names, p.Column) {
				t.Fatalf("bad problem %+v", p)
			}
			for _, lang := range cat.Langs() {
				if s := p.Msg.Text(cat, lang); !rendered(s) {
					t.Fatalf("problem %+v renders in %s as %q", p, lang, s)
				}
			}
			return
		}
		if w.Line != 3 || len(w.NIK) != 16 || !allDigits(w.NIK) || w.Name == "" {
			t.Fatalf("bad worker %+v", w)
		}
		if age := tanggal.Age(w.BirthDate, today); age < minAge || age > maxAge {
			t.Fatalf("age %d: %+v", age, w)
		}
		if w.Phone != "" && !strings.HasPrefix(w.Phone, "+628") {
			t.Fatalf("phone %q", w.Phone)
		}
		if !strings.HasPrefix(w.Village, w.District+".") || !strings.HasPrefix(w.District, w.Regency+".") ||
			!strings.HasPrefix(w.Regency, w.Province+".") {
			t.Fatalf("regions %+v", w)
		}
		if _, ok := regions(t).Get(w.Village); !ok {
			t.Fatalf("unknown village %q", w.Village)
		}
		if !slices.Contains(codes, w.Occupation) || (w.OccupationOther != "" && w.Occupation != OccupationOther) {
			t.Fatalf("occupation %q %q", w.Occupation, w.OccupationOther)
		}
		for _, s := range []string{w.RT, w.RW} {
			if s != "" && (len(s) != 3 || !allDigits(s) || s == "000") {
				t.Fatalf("RT/RW %q", s)
			}
		}
		if w.KPJ != "" && (len(w.KPJ) < 8 || len(w.KPJ) > 16 || !allDigits(w.KPJ)) {
			t.Fatalf("KPJ %q", w.KPJ)
		}
		if w.Income < 0 {
			t.Fatalf("income %d", w.Income)
		}
	})
}

// rendered reports a text rendered from a key that exists, with every value
// its template shows.
func rendered(s string) bool {
	return s != "" && !strings.HasPrefix(s, keyPrefix) && !strings.Contains(s, "<no value>")
}

func FuzzOpen(f *testing.F) {
	f.Add([]byte("NIK,Nama,Desa,Kecamatan,Kabupaten\n6171054508900001,Siti Aminah,Darat Sekip,Pontianak Kota,Pontianak\n"))
	f.Add([]byte("\ufeffJudul;;\n;;\nNIK;Nama;Desa;Kecamatan;Kabupaten;Tgl Lahir\n\"6,17105E+15\";\"Siti\nAminah\";x;y;z;32725\n;;;;;\n"))
	f.Add([]byte("NIK\tNama\tDesa\tKecamatan\tKabupaten\n1\t2\t3\t4\t5\n"))
	f.Add([]byte("NIK,Nama,Nama,Desa,Kecamatan,Kabupaten\n"))
	f.Add([]byte("NIK,Nama,Desa,Kecamatan,Kabupaten\n\"unclosed,a,b,c\n"))
	f.Add([]byte("NIK,Nama,Desa,Kecamatan,Kabupaten\nJos\xe9,\xff\xfe,a\"b,,\n"))
	f.Add([]byte{0xFF, 0xFE, 'N', 0, 'I', 0, 'K', 0})
	f.Add([]byte(""))
	var gen bytes.Buffer
	if err := Generate(&gen, 30, 1, regions(f), 5); err != nil {
		f.Fatal(err)
	}
	f.Add(gen.Bytes())
	v := NewValidator(regions(f), "61", today, minAge, maxAge)
	cat := catalog(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := Open(bytes.NewReader(b), "f.csv")
		if err != nil {
			var he *HeaderError
			var fe *FileError
			switch {
			case errors.As(err, &he):
				if s := he.Text(cat, "id"); !rendered(s) {
					t.Fatalf("Open: %v renders as %q", err, s)
				}
			case errors.As(err, &fe):
				if s := fe.Text(cat, "id"); !rendered(s) {
					t.Fatalf("Open: %v renders as %q", err, s)
				}
			default:
				t.Fatalf("Open: %T %v", err, err)
			}
			return
		}
		defer rd.Close()
		last := rd.HeaderLine()
		for range 1000 {
			r, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Fatalf("Next: %T %v", err, err)
				}
				if s := fe.Text(cat, "en"); !rendered(s) {
					t.Fatalf("Next: %v renders as %q", err, s)
				}
				return
			}
			if r.Line <= last {
				t.Fatalf("line %d after %d", r.Line, last)
			}
			last = r.Line
			v.Check(r)
		}
	})
}
