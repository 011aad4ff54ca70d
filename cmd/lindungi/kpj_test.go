package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/clock"
)

func TestKPJImport(t *testing.T) {
	dsn := ownDatabase(t)
	db := storeAt(t, dsn, clock.Now())
	paid, unpaid, other := testRegistration(), testRegistration(), testRegistration()
	paidRef := registerIn(t, db, "kpj-paid", "en", paid)
	payFor(t, db, "kpj-pay-1", paidRef)
	unpaidRef := registerIn(t, db, "kpj-unpaid", "", unpaid)
	otherRef := registerIn(t, db, "kpj-other", "", other)

	// As a spreadsheet saves it: a byte order mark, semicolons, Excel's ways
	// of keeping numbers as text, a row Excel turned into a float, a blank
	// row, a repeated row and a NIK given two KPJs.
	file := filepath.Join(t.TempDir(), "kpj.csv")
	rows := []string{
		"\ufeffNo. NIK;Nama;Nomor Peserta",
		paid.NIK + ";Rina;123 4567 8901",         // 2: recorded, told, new card
		"'" + unpaid.NIK + ";Rina;'12345678902",  // 3: recorded, told, no card yet
		"6171054508999999;Tidak Ada;12345678903", // 4: nobody has this NIK
		"6,17105E+15;Rina;12345678904",           // 5: a float
		paid.NIK[:15] + ";Rina;12345678905",      // 6: 15 digits
		";;",                                     // 7: blank
		paid.NIK + ";Rina;12345678901",           // 8: row 2 again
		other.NIK + ";Rina;12-34",                // 9: too short a KPJ
		other.NIK + ";Rina;12345678906",          // 10: the same NIK…
		`="` + other.NIK + `";Rina;12345678907`,  // 11: …with another KPJ
		unpaid.NIK + "x;Rina;12345678908",        // 12: a letter
	}
	if err := os.WriteFile(file, []byte(strings.Join(rows, "\r\n")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "ditolak.csv")
	importKPJ := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"lindungi", "kpj", "import", file, "--report", report}, testEnv(map[string]string{"USER": "petugas", "DATABASE_URL": dsn}),
			strings.NewReader(""), &out); err != nil {
			t.Fatalf("kpj import: %v\n%s", err, out.String())
		}
		return out.String()
	}
	said := importKPJ()
	for _, want := range []string{"Baris dibaca: 10\n", "KPJ dicatat: 2 (menggantikan KPJ lama: 0)\n", "tidak diubah): 1\n",
		"NIK tidak dikenal: 1\n", "Baris ditolak: 6\n", "lewat chat: 2\n", "Daftar baris yang tidak dicatat (7) ada di " + report} {
		if !strings.Contains(said, want) {
			t.Errorf("summary lacks %q:\n%s", want, said)
		}
	}
	body, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	wantReport := `baris,alasan
4,"NIK ini tidak ada di pendaftaran Lindungi yang masih berlaku (belum mendaftar, atau datanya sudah dihapus)."
5,"NIK tertulis sebagai angka ilmiah (misalnya 6,17E+15), jadi angka terakhirnya sudah hilang. Format kolom NIK sebagai Teks, isi ulang NIK-nya, lalu impor lagi."
6,NIK harus 16 angka; yang tertulis 15 angka.
9,KPJ harus 8 sampai 16 angka; yang tertulis 4 angka.
10,NIK yang sama tertulis juga di baris 11 dengan KPJ lain. Periksa mana yang benar; tidak ada yang dicatat.
11,NIK yang sama tertulis juga di baris 10 dengan KPJ lain. Periksa mana yang benar; tidak ada yang dicatat.
12,"NIK hanya boleh berisi angka; ada tanda ""x""."
`
	if string(body) != wantReport {
		t.Errorf("report:\n%s\nwant\n%s", body, wantReport)
	}

	sq := sqlx.MustConnect("postgres", dsn)
	defer sq.Close()
	kpjs := func() []string {
		var out []string
		for _, ref := range []string{paidRef, unpaidRef, otherRef} {
			var k string
			if err := sq.Get(&k, `SELECT kpj FROM registrations WHERE ref = $1`, ref); err != nil {
				t.Fatal(err)
			}
			out = append(out, k)
		}
		return out
	}
	if got := kpjs(); !slices.Equal(got, []string{"12345678901", "12345678902", ""}) {
		t.Errorf("KPJs recorded: %q", got)
	}
	told := func() []string {
		var out []string
		for _, chat := range []string{"kpj-paid", "kpj-unpaid", "kpj-other"} {
			pending, err := db.PendingFor(context.Background(), "console", chat)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range pending {
				out = append(out, fmt.Sprintf("%s: %s [%s]", chat, o.Reply.Text, o.Reply.Photo))
			}
		}
		return out
	}
	first := told()
	if len(first) != 3 {
		t.Fatalf("messages queued:\n%s", strings.Join(first, "\n"))
	}
	for i, want := range []string{"kpj-paid: ✅ BPJS Ketenagakerjaan has given Rina Ekspor a participant number (KPJ): 12345678901\nRegistration number: " + paidRef,
		"kpj-paid: 📄 Rina Ekspor's card", "kpj-unpaid: ✅ BPJS Ketenagakerjaan sudah memberi nomor peserta (KPJ) untuk Rina Ekspor: 12345678902"} {
		if !strings.HasPrefix(first[i], want) {
			t.Errorf("message %d: %q, want it to start %q", i+1, first[i], want)
		}
	}
	if !strings.HasSuffix(first[1], "[card:"+paidRef+"]") || !strings.Contains(first[0], "is in the next message") ||
		!strings.Contains(first[2], "setelah iuran pertama dibayar") || strings.Contains(first[2], "[card:") {
		t.Errorf("the cards:\n%s", strings.Join(first, "\n"))
	}

	// The same file again changes nothing and tells nobody.
	said = importKPJ()
	if !strings.Contains(said, "KPJ dicatat: 0 ") || !strings.Contains(said, "tidak diubah): 3\n") || !strings.Contains(said, "lewat chat: 0\n") {
		t.Errorf("second run:\n%s", said)
	}
	if got := kpjs(); !slices.Equal(got, []string{"12345678901", "12345678902", ""}) {
		t.Errorf("KPJs after the second run: %q", got)
	}
	if again := told(); !slices.Equal(again, first) {
		t.Errorf("messages after the second run:\n%s", strings.Join(again, "\n"))
	}

	var audit []string
	if err := sq.Select(&audit, `SELECT subject || ' ' || detail FROM audit_log WHERE actor = 'cli:petugas' AND action = 'kpj:import' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	wantAudit := []string{"kpj.csv rows=10 updated=2 replaced=0 unchanged=1 unknown_nik=1 invalid=6 told=2 told_agent=0",
		"kpj.csv rows=10 updated=0 replaced=0 unchanged=3 unknown_nik=1 invalid=6 told=0 told_agent=0"}
	if !slices.Equal(audit, wantAudit) {
		t.Errorf("audit:\n%q\nwant\n%q", audit, wantAudit)
	}
}

func TestKPJImportRefusesAFileWithoutTheColumns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.csv")
	os.WriteFile(file, []byte("Nama,Nomor\nRina,1\n"), 0o600)
	var out bytes.Buffer
	err := run(context.Background(), []string{"lindungi", "kpj", "import", file}, testEnv(nil), strings.NewReader(""), &out)
	if err == nil || !strings.Contains(err.Error(), "Baris judul tidak berisi kolom NIK, KPJ. File ini harus punya kolom NIK, KPJ") {
		t.Errorf("a file without NIK and KPJ columns: %v", err)
	}
	err = run(context.Background(), []string{"lindungi", "kpj", "import", file, "--kpj-digits", "11"}, testEnv(nil), strings.NewReader(""), &out)
	if err == nil || !strings.Contains(err.Error(), "MIN-MAX") {
		t.Errorf("--kpj-digits 11: %v", err)
	}
}
