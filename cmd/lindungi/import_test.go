package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store/pgtest"
)

// importEnv is a database of the import tests' own (the package's shared one
// holds other tests' registrations).
func importEnv(t *testing.T) (func(string) string, *sqlx.DB, string) {
	t.Helper()
	dsn, drop, err := pgtest.Create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	env := testEnv(map[string]string{"DATABASE_URL": dsn})
	if err := run(context.Background(), []string{"lindungi", "migrate"}, env, strings.NewReader(""), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	db := sqlx.MustConnect("postgres", dsn)
	t.Cleanup(func() { db.Close() })
	return env, db, dsn
}

func runOut(t *testing.T, env func(string) string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"lindungi"}, args...), env, strings.NewReader(""), &out); err != nil {
		t.Fatalf("lindungi %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func TestImportReportRerunAndPay(t *testing.T) {
	env, db, _ := importEnv(t)
	dir := t.TempDir()
	list, report := filepath.Join(dir, "pekerja.csv"), filepath.Join(dir, "ditolak.csv")
	runOut(t, env, "dev", "gen-workers", "400", "--seed", "3", "--bad-every", "20", "--out", list)
	dry := runOut(t, env, "import", list, "--sponsor", "Pemprov Kalimantan Barat", "--funding", "apbd", "--dry-run", "--lang", "en")
	if !strings.Contains(dry, "dry run: 400 rows read") {
		t.Fatalf("dry run: %s", dry)
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM registrations`)
	if n != 0 {
		t.Fatalf("a dry run stored %d registrations", n)
	}
	// The sponsorship starts on the first of next month, whatever today is.
	y, mon, _ := clock.Now().In(wibZone()).Date()
	start := time.Date(y, mon+1, 1, 0, 0, 0, 0, time.UTC)
	from, to := start.Format(time.DateOnly), start.AddDate(1, 0, -1).Format(time.DateOnly)
	out := runOut(t, env, "import", list, "--sponsor", "Pemprov Kalimantan Barat", "--funding", "apbd", "--months", "12", "--start", from, "--report", report)
	f, _ := os.Open(report)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != "baris,kolom,alasan" {
		t.Fatalf("report %v, %v", rows, err)
	}
	db.Get(&n, `SELECT count(*) FROM registrations WHERE sponsor_batch_id IS NOT NULL`)
	if n+len(rows)-1 != 400 || n < 350 {
		t.Fatalf("%d imported + %d reported ≠ 400 rows:\n%s", n, len(rows)-1, out)
	}
	reasons := map[string]bool{}
	for _, r := range rows[1:] {
		reasons[r[1]] = true
	}
	if !reasons["NIK"] {
		t.Errorf("no NIK problem reported (duplicates, Excel damage): %v", rows)
	}
	if !strings.Contains(out, "400 baris dibaca") {
		t.Errorf("import: %s", out)
	}
	// The same file again: nothing new.
	again := runOut(t, env, "import", list, "--sponsor", "Pemprov Kalimantan Barat", "--funding", "apbd", "--months", "12", "--start", from)
	if !strings.Contains(again, "tidak ada yang baru") || !strings.Contains(again, " 0 diimpor") {
		t.Errorf("re-run: %s", again)
	}
	var m int
	db.Get(&m, `SELECT count(*) FROM registrations`)
	if m != n {
		t.Errorf("re-run: %d registrations, was %d", m, n)
	}
	// The sponsor pays by transfer: everyone is protected for those 12 months, once.
	pay := runOut(t, env, "sponsor", "pay", "1", "--ref", "SP2D-00042")
	if !strings.Contains(pay, "pekerja terlindungi") {
		t.Fatalf("pay: %s", pay)
	}
	if again := runOut(t, env, "sponsor", "pay", "1", "--ref", "SP2D-00042", "--lang", "en"); !strings.Contains(again, "nothing changed") {
		t.Errorf("paid twice: %s", again)
	}
	var c struct {
		Active int   `db:"active"`
		Sum    int64 `db:"sum"`
		Paid   int64 `db:"paid"`
	}
	db.Get(&c, `SELECT count(*) FILTER (WHERE covered_from = $1 AND covered_to = $2 AND status = 'aktif') AS active,
		sum(monthly_iuran) * 12 AS sum, (SELECT sum(amount) FROM payments WHERE payer_kind = 'sponsor') AS paid FROM registrations`, from, to)
	if c.Active != n || c.Sum != c.Paid || c.Paid != int64(n)*16800*12 {
		t.Errorf("after payment %+v for %d workers", c, n)
	}
	show := runOut(t, env, "sponsor", "show", "1", "--bot", "lindungi_bot")
	if !strings.Contains(show, "https://t.me/lindungi_bot?start=sponsor-") || !strings.Contains(show, "dibayar") || !strings.Contains(show, "12 bulan mulai "+testCatalog(t).Date("id", start)) {
		t.Errorf("show: %s", show)
	}
	var audit int
	db.Get(&audit, `SELECT count(*) FROM audit_log WHERE action IN ('sponsor:import', 'sponsor:pay')`)
	if audit != 2 {
		t.Errorf("%d audit entries for the import and the payment", audit)
	}
}

// An import killed half-way and run again finishes the rest, nothing doubled.
func TestImportKilledAndRerun(t *testing.T) {
	env, db, dsn := importEnv(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "besar.csv")
	runOut(t, env, "dev", "gen-workers", "60000", "--seed", "9", "--bad-every", "0", "--out", list)
	child := exec.Command(os.Args[0], "-test.run=^$")
	var out bytes.Buffer
	child.Stdout, child.Stderr = &out, &out
	child.Env = append(os.Environ(), "LINDUNGI_TEST_CHILD=import\n"+list+"\n--sponsor\nPemkab Sambas\n--funding\napbd", "DATABASE_URL="+dsn,
		"LINDUNGI_DATA_KEY="+testKey, "LINDUNGI_LOG_LEVEL=error")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var n int
	waited := clock.Start()
	for n < 20000 && waited.Elapsed() < 60*time.Second {
		time.Sleep(20 * time.Millisecond)
		db.Get(&n, `SELECT count(*) FROM registrations`)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	db.Get(&n, `SELECT count(*) FROM registrations`)
	if n == 0 || n == 60000 {
		t.Fatalf("killed with %d of 60,000 imported: not half-way\n%s", n, out.String())
	}
	again := runOut(t, env, "import", list, "--sponsor", "Pemkab Sambas", "--funding", "apbd", "--lang", "en")
	var total, distinct int
	db.Get(&total, `SELECT count(*) FROM registrations`)
	db.Get(&distinct, `SELECT count(DISTINCT nik_hash) FROM registrations`)
	if total != 60000 || distinct != 60000 {
		t.Errorf("after the re-run %d registrations (%d distinct NIKs), want 60,000:\n%s", total, distinct, again)
	}
	if !strings.Contains(again, "already imported before") {
		t.Errorf("re-run output: %s", again)
	}
}

// An XLSX list as a provincial office exports it: a NIK cell stored as a
// number (its last digit lost), a birth date as a date serial, a phone
// number stored as a number, an empty name, a duplicate.
func TestImportXLSX(t *testing.T) {
	env, db, _ := importEnv(t)
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	rows := [][]any{
		{"NIK", "Nama Lengkap", "Tgl Lahir", "L/P", "No HP", "Desa/Kelurahan", "Kecamatan", "Kabupaten/Kota", "Pekerjaan"},
		{"6171054508900011", "Siti Aminah", "05-08-1990", "P", "081234567890", "Darat Sekip", "Pontianak Kota", "Kota Pontianak", "Petani"},
		{6171050508900010, "Budi Santoso", "05-08-1990", "L", "", "Darat Sekip", "Pontianak Kota", "Kota Pontianak", "Petani"},
		{"6171054508900013", "Rina Wati", 33090, "P", 81234567891, "Darat Sekip", "Pontianak Kota", "Kota Pontianak", "Nelayan"},
		{"6171054508900014", "", "05-08-1990", "P", "", "Darat Sekip", "Pontianak Kota", "Kota Pontianak", "Petani"},
		{"6171054508900011", "Siti Aminah", "05-08-1990", "P", "", "Darat Sekip", "Pontianak Kota", "Kota Pontianak", "Petani"},
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue(sh, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := t.TempDir()
	list, report := filepath.Join(dir, "pekerja.xlsx"), filepath.Join(dir, "ditolak.csv")
	if err := f.SaveAs(list); err != nil {
		t.Fatal(err)
	}
	out := runOut(t, env, "import", list, "--sponsor", "Pemkot Pontianak", "--funding", "apbd", "--report", report)
	if !strings.Contains(out, "5 baris dibaca, 2 diimpor") {
		t.Errorf("import: %s", out)
	}
	b, _ := os.ReadFile(report)
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := []string{"baris,kolom,alasan", "3,NIK,", "5,Nama,", "6,NIK,NIK sama dengan baris 2: hanya baris pertama yang diimpor"}
	if len(got) != len(want) {
		t.Fatalf("report:\n%s", b)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("report line %d: %q, want %q…", i, got[i], want[i])
		}
	}
	if !strings.Contains(got[1], "Excel") {
		t.Errorf("the number-typed NIK's reason does not name Excel: %q", got[1])
	}
	var r struct {
		Birth string `db:"birth_date"`
		Phone bool   `db:"phone"`
	}
	db.Get(&r, `SELECT birth_date::text, phone_sealed IS NOT NULL AS phone FROM registrations WHERE name = 'Rina Wati'`)
	if r.Birth != "1990-08-05" || !r.Phone {
		t.Errorf("the date serial and the number-typed phone: %+v", r)
	}
}

// Claim codes printed per worker: a worker links with NIK, name and code.
func TestSponsorClaimCodes(t *testing.T) {
	env, _, _ := importEnv(t)
	dir := t.TempDir()
	list, codes := filepath.Join(dir, "pekerja.csv"), filepath.Join(dir, "kode.csv")
	os.WriteFile(list, []byte("NIK,Nama,Desa,Kecamatan,Kabupaten\n6171054508900021,Sari Dewi,Darat Sekip,Pontianak Kota,Kota Pontianak\n"), 0o600)
	runOut(t, env, "import", list, "--sponsor", "Pemkot Pontianak", "--funding", "apbd")
	out := runOut(t, env, "sponsor", "codes", "1", "--out", codes)
	if !strings.Contains(out, "1 kode sambung") {
		t.Fatalf("codes: %s", out)
	}
	b, _ := os.ReadFile(codes)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][1] != "Sari Dewi" || len(rows[1][2]) != 8 {
		t.Fatalf("codes file: %q, %v", b, err)
	}
	turns := chatEnv(t, map[string]string{"DATABASE_URL": env("DATABASE_URL")}, "771", "/klaim", "6171054508900021", "Sari Dewi", rows[1][2])
	if got := turns[3][0].Text; !strings.Contains(got, "dibayar oleh Pemkot Pontianak") && !strings.Contains(got, "ditanggung Pemkot Pontianak") {
		t.Errorf("claim with the printed code: %q", got)
	}
	// Single use.
	turns = chatEnv(t, map[string]string{"DATABASE_URL": env("DATABASE_URL")}, "772", "/klaim", "6171054508900021", "Sari Dewi", rows[1][2])
	if got := last(turns[3]).Text; !strings.Contains(got, "tidak cocok") {
		t.Errorf("the code a second time: %q", got)
	}
}

// A dry run in English reports in English; a file that is not a list says
// why in the admin's language; an unknown language is refused.
func TestImportEnglishAndFileErrors(t *testing.T) {
	env, _, _ := importEnv(t)
	dir := t.TempDir()
	list, report := filepath.Join(dir, "pekerja.csv"), filepath.Join(dir, "ditolak.csv")
	os.WriteFile(list, []byte("NIK,Nama,Desa,Kecamatan,Kabupaten\n"+
		"6171054508900031,Sari Dewi,Darat Sekip,Pontianak Kota,Kota Pontianak\n"+
		"617105450890003,Sari Dewi,Darat Sekip,Pontianak Kota,Kota Pontianak\n"+
		"6171054508900031,Sari Dewi,Darat Sekip,Pontianak Kota,Kota Pontianak\n"), 0o600)
	out := runOut(t, env, "import", list, "--sponsor", "Pemkot Pontianak", "--funding", "apbd", "--dry-run", "--lang", "en", "--report", report)
	if !strings.Contains(out, "dry run: 3 rows read, 1 valid, 2 not importable") {
		t.Errorf("dry run: %s", out)
	}
	b, _ := os.ReadFile(report)
	want := "line,column,reason\n3,NIK,A NIK has 16 digits; this one has 15.\n4,NIK,Same NIK as line 2: only the first row is imported\n"
	if string(b) != want {
		t.Errorf("report:\n%s\nwant\n%s", b, want)
	}

	html := filepath.Join(dir, "daftar.xls")
	os.WriteFile(html, []byte("<html><table></table></html>"), 0o600)
	var buf bytes.Buffer
	err := run(context.Background(), []string{"lindungi", "import", html, "--sponsor", "Pemkot Pontianak", "--funding", "apbd", "--dry-run"}, env, strings.NewReader(""), &buf)
	if err == nil || !strings.Contains(err.Error(), "File ini halaman web (HTML)") {
		t.Errorf("HTML file: %v", err)
	}
	err = run(context.Background(), []string{"lindungi", "import", html, "--sponsor", "X", "--funding", "apbd", "--dry-run", "--lang", "en"}, env, strings.NewReader(""), &buf)
	if err == nil || !strings.Contains(err.Error(), "This file is a web page (HTML)") {
		t.Errorf("HTML file in English: %v", err)
	}
	// Who pays must be said: public funds get no PP 50/2025 discount.
	err = run(context.Background(), []string{"lindungi", "import", html, "--sponsor", "X", "--dry-run"}, env, strings.NewReader(""), &buf)
	if err == nil || !strings.Contains(err.Error(), "--funding") || !strings.Contains(err.Error(), "apbd") {
		t.Errorf("import without --funding: %v", err)
	}
	headerless := filepath.Join(dir, "judul.csv")
	os.WriteFile(headerless, []byte("NIK,Nama,Kecamatan\n1,2,3\n"), 0o600)
	err = run(context.Background(), []string{"lindungi", "import", headerless, "--sponsor", "X", "--funding", "apbd", "--dry-run"}, env, strings.NewReader(""), &buf)
	if err == nil || !strings.Contains(err.Error(), "Kolom wajib tidak ditemukan: Desa/Kelurahan, Kabupaten/Kota.") {
		t.Errorf("header without the region columns: %v", err)
	}
	err = run(context.Background(), []string{"lindungi", "import", list, "--sponsor", "X", "--funding", "apbd", "--lang", "fr"}, env, strings.NewReader(""), &buf)
	if err == nil || !strings.Contains(err.Error(), "--lang") {
		t.Errorf("--lang fr: %v", err)
	}
}

// TestImportKeys fails when the import (this command's import.go and the
// sponsor package's pipeline) uses an "import." text missing in a language,
// or the catalogue keeps one the import does not use.
func TestImportKeys(t *testing.T) {
	files, err := filepath.Glob("../../sponsor/*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, name := range append([]string{"import.go"}, files...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"(import\.[a-z_.]+)"`).FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < 10 {
		t.Fatalf("only %d keys found in the import's files: is the scan broken?", len(used))
	}
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	for k := range used {
		for _, lang := range cat.Langs() {
			if !cat.Has(lang, k) {
				t.Errorf("%q has no text in %s", k, lang)
			}
		}
	}
	for _, lang := range cat.Langs() {
		for _, k := range cat.Keys(lang) {
			if strings.HasPrefix(k, "import.") && !used[k] {
				t.Errorf("%s: %q is not used by the import", lang, k)
			}
		}
	}
}

func testCatalog(t *testing.T) *locales.Catalog {
	t.Helper()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
