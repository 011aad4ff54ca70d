package kpj

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lindungi/lindungi/roster"
)

const nikA, nikB = "6171050101900001", "6171054508900002"

func show(lines []*Line) []string {
	var out []string
	for _, l := range lines {
		s := fmt.Sprintf("%d %s %s", l.Row, l.NIK, l.KPJ)
		if l.Reason != "" {
			s = fmt.Sprintf("%d %s %v", l.Row, l.Reason, l.Data)
		}
		if l.Duplicate {
			s += " duplicate"
		}
		out = append(out, s)
	}
	return out
}

// A CSV as spreadsheets save it, above the header a title and a blank line.
func TestReadCSV(t *testing.T) {
	file := strings.Join([]string{
		"Daftar KPJ Oktober 2026;;",
		";;",
		"\ufeffNo. NIK;Nama;Nomor Peserta",
		nikA + ";Rina;123 4567 8901",
		"'" + nikB + ";Budi;'12345678902",
		"6,17105E+15;Rina;12345678904",
		nikA[:15] + ";Rina;12345678905",
		";Tanpa;",
		nikB + ";Budi;12-34",
		"=\"" + nikA + "\";Rina;12345678901",
		nikA + "x;Rina;12345678908",
	}, "\r\n")
	lines, err := Read(strings.NewReader(file), "kpj.csv", 8, 16)
	if err != nil {
		t.Fatal(err)
	}
	MarkConflicts(lines)
	want := []string{
		"4 " + nikA + " 12345678901",
		"5 " + nikB + " 12345678902",
		"6 kpj.reject.nik_scientific map[]",
		"7 kpj.reject.nik_length map[Got:15 Max:16 Min:16]",
		"9 kpj.reject.kpj_length map[Got:4 Max:16 Min:8]",
		"10 " + nikA + " 12345678901 duplicate",
		"11 kpj.reject.nik_chars map[Char:x]",
	}
	if got := show(lines); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An XLSX from BPJS: numbers stored as numbers, which a spreadsheet rounds
// to 15 significant digits.
func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	rows := [][]any{
		{"Laporan Peserta BPU"},
		{"NIK", "Nama Peserta", "No Kartu Peserta"},
		{nikA, "Rina", 12345678901},               // NIK as text, KPJ a number
		{6171054508900002, "Budi", "12345678902"}, // exact: written by a program
		{6.17105010190001e15, "Ani", 12345678903}, // typed in Excel: the last digit gone
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue(sh, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	lines, err := Read(&buf, "kpj.xlsx", 8, 16)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"3 " + nikA + " 12345678901", "4 " + nikB + " 12345678902", "5 kpj.reject.nik_number map[]"}
	if got := show(lines); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReadRefusesAFileWithoutTheColumns(t *testing.T) {
	for name, file := range map[string]string{
		"no KPJ column":   "NIK,Nama\n" + nikA + ",Rina\n",
		"no columns":      "Nama,Nomor\nRina,1\n",
		"empty":           "",
		"two NIK columns": "NIK,KPJ,NIK KTP\n" + nikA + ",12345678901," + nikA + "\n",
	} {
		_, err := Read(strings.NewReader(file), "x.csv", 8, 16)
		var he *roster.HeaderError
		if !errors.As(err, &he) {
			t.Errorf("%s: %v, want a header error", name, err)
		}
	}
}

func TestMarkConflicts(t *testing.T) {
	l := func(row int, nik, kpj string) *Line { return &Line{Row: row, NIK: nik, KPJ: kpj} }
	lines := []*Line{l(2, nikA, "11111111"), l(3, nikA, "22222222"), l(4, nikB, "33333333"), l(5, "6171050101900003", "33333333"),
		l(6, "6171050101900004", "44444444"), l(7, "6171050101900004", "44444444")}
	MarkConflicts(lines)
	want := []string{
		"2 kpj.reject.nik_conflict map[Rows:3]", "3 kpj.reject.nik_conflict map[Rows:2]",
		"4 kpj.reject.kpj_conflict map[Rows:5]", "5 kpj.reject.kpj_conflict map[Rows:4]",
		"6 6171050101900004 44444444", "7 6171050101900004 44444444 duplicate",
	}
	if got := show(lines); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDigitRange(t *testing.T) {
	for in, want := range map[string]string{"8-16": "8 16 <nil>", " 11 - 11 ": "11 11 <nil>"} {
		lo, hi, err := DigitRange(in)
		if got := fmt.Sprint(lo, hi, err); got != want {
			t.Errorf("DigitRange(%q) = %s", in, got)
		}
	}
	for _, bad := range []string{"11", "0-5", "9-8", "1-33", "a-b", ""} {
		if _, _, err := DigitRange(bad); err == nil {
			t.Errorf("DigitRange(%q) took it", bad)
		}
	}
}

// Whatever the file, Read answers without panicking, and every line it
// gives is either valid digits or has a reason.
func FuzzRead(f *testing.F) {
	f.Add([]byte("NIK;KPJ\n" + nikA + ";12345678901\n"))
	f.Add([]byte("Judul\n\nNo. NIK,Nomor Peserta\n'" + nikB + ",=\"12345678902\"\n6,17E+15,1\n"))
	f.Add([]byte("NIK\tKPJ\n\"" + nikA + "\t1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := Read(bytes.NewReader(data), "f.csv", 8, 16)
		if err != nil {
			return
		}
		MarkConflicts(lines)
		for _, l := range lines {
			if l.Reason == "" && (len(l.NIK) != 16 || len(l.KPJ) < 8 || len(l.KPJ) > 16) {
				t.Fatalf("line %+v taken", l)
			}
		}
	})
}
