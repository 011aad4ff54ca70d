package flows_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
)

func TestFullRegistrationAndCommands(t *testing.T) {
	c := newChat(t)
	nik := freshNIK()
	review := c.toReview(nik)
	must(t, review, "Periksa data Anda", "Siti Aminah", "6171 05•• •••• "+nik[12:], "0812-••••-7890", "Rp16.800")
	got := c.press("rv:ok")
	must(t, got, "berapa bulan")
	must(t, c.last[0].Text, "Nomor pendaftaran: LD", "Rp16.800")
	must(t, c.text("/batal"), "Pembayaran dibatalkan", "Ada lagi yang bisa kami bantu?")

	must(t, c.text("/status"), "Pendaftaran dari HP ini (1)", "menunggu pembayaran iuran", "Siti Aminah")
	my := c.send(flows.Event{Kind: flows.KindText, Text: "/mydata"})
	must(t, my[0].Text, "Data Anda yang kami simpan", "Persetujuan: diberikan "+cat.Date("id", clock.Now().In(flows.DefaultConfig().Location)), "NIK: 6171 05••", "HP: 0812-••••-7890")
	if strings.Contains(my[0].Text, nik) {
		t.Errorf("/dataku shows the NIK in clear")
	}

	// /hapus asks first; "Tidak" keeps everything.
	testDB.SQL().MustExec(`UPDATE registrations SET kpj = '12345678901' WHERE chat_id = $1`, c.id) // BPJS gave a KPJ
	must(t, c.text("/hapus"), "Hapus semua data Anda?")
	must(t, c.press("Tidak"), "data Anda tidak dihapus")
	must(t, c.text("/hapus"), "Hapus semua data Anda?")
	must(t, c.press("Ya, hapus data"), "Data Anda sudah dihapus (1 pendaftaran)")

	var row struct {
		Name    string `db:"name"`
		Status  string `db:"status"`
		NIKNull bool   `db:"nik_null"`
	}
	if err := testDB.SQL().Get(&row, `SELECT name, status, nik_sealed IS NULL AND nik_hash IS NULL AND phone_sealed IS NULL AND kpj = '' AS nik_null
		FROM registrations WHERE chat_id = $1`, c.id); err != nil {
		t.Fatal(err)
	}
	if row.Name != "" || row.Status != "dihapus" || !row.NIKNull {
		t.Errorf("after /hapus the row is %+v", row)
	}
	var withdrawn int
	testDB.SQL().Get(&withdrawn, `SELECT count(*) FROM consents WHERE chat_id = $1 AND withdrawn_at IS NOT NULL`, c.id)
	if withdrawn != 1 {
		t.Errorf("consents withdrawn = %d", withdrawn)
	}
	must(t, c.text("/status"), "Belum ada pendaftaran")
	// The NIK is free again after deletion.
	c2 := newChat(t)
	must(t, c2.toReview(nik), "Periksa data Anda")
}

func TestBadAnswersKeepTheQuestion(t *testing.T) {
	c := newChat(t)
	c.text("/mulai")
	must(t, c.text("ya"), "Ketik NIK")
	tests := []struct{ in, want string }{
		{"61710545089000O1", `Ada "O"`},
		{"617105450890001", "Yang Anda ketik 15 angka"},
		{"9971054508900001", "bukan kode provinsi"},
		{"6199054508900001", "bukan kode kabupaten/kota"},
		{"6171994508900001", "bukan kode kecamatan"},
		{"6171053213900001", "harus tanggal lahir"},
		{"6171054508900000", "tidak mungkin 0000"},
	}
	for _, tt := range tests {
		got := c.text(tt.in)
		must(t, got, tt.want, "Ketik NIK Anda (16 angka")
	}
	c.text(freshNIK())
	for _, tt := range []struct{ in, want string }{
		{"Si", "terlalu pendek"},
		{"Siti 4minah", `"4" tidak boleh`},
	} {
		must(t, c.text(tt.in), tt.want, "Ketik nama lengkap")
	}
	c.text("Siti")
	must(t, c.press("Salah"), "Ketik tanggal lahir")
	for _, tt := range []struct{ in, want string }{
		{"kemarin", "tidak bisa kami baca"},
		{"17 Agustusan 1985", `Bulan "agustusan"`},
		{"31-04-1990", "tidak ada di kalender"},
		{"01-01-2030", "tidak boleh setelah hari ini"},
		{"01-01-2020", "Umur Anda 6 tahun"},
	} {
		must(t, c.text(tt.in), tt.want, "Ketik tanggal lahir")
	}
	must(t, c.text("17 agt 85"), "Tanggal lahir: 17 Agustus 1985", "Ketik nomor HP")
	for _, tt := range []struct{ in, want string }{
		{"021-555-1234", "bukan nomor HP Indonesia"},
		{"0812 345", "terlalu pendek"},
		{"0812-3456-7890-1234", "terlalu panjang"},
		{"0812abc", `"a" tidak boleh`},
	} {
		must(t, c.text(tt.in), tt.want, "Ketik nomor HP")
	}
	// Someone else's contact is refused; one's own is taken.
	got := lastText(c.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "+6281299998888", UserID: "someone-else"}}))
	must(t, got, "nomor HP Anda sendiri")
	got = lastText(c.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "6281299998888", UserID: c.id}}))
	must(t, got, "0812-••••-8888", "kabupaten/kota")
	must(t, c.text("Atlantis"), `"Atlantis" tidak ditemukan`)
	// A sticker is answered politely and the question stays.
	must(t, lastText(c.send(flows.Event{Kind: flows.KindMedia})), "hanya bisa membaca tulisan", "kabupaten/kota")
	// A button from an earlier question is recognised as stale.
	must(t, lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: "bc:yes"})), "pertanyaan sebelumnya", "kabupaten/kota")
}

func TestAgeLimitFromNIK(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	c.text("6171050101500001") // born 1 January 1950: 76 years old
	c.text("Budi")
	must(t, c.press("Benar"), "Umur Anda 76 tahun", "15 sampai 65 tahun", "Apakah ini benar?")
	must(t, c.text("01-01-1980"), "Tanggal lahir: 1 Januari 1980", "Ketik nomor HP")
}

func TestBackHelpLanguageCancel(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	must(t, c.text("/kembali"), "pertanyaan pertama")
	c.press("Setuju")
	must(t, c.text("/bantuan"), "NIK adalah 16 angka", "Ketik NIK Anda")
	must(t, c.text("/back"), "Apakah Anda setuju?")
	c.press("Setuju")
	nik := freshNIK()
	c.text(nik)
	must(t, c.text("/language"), "Language changed to English", "Type your full name")
	must(t, c.text("Siti"), "According to your NIK you were born on 5 August 1990")
	must(t, c.text("/bahasa"), "Bahasa diganti", "Menurut NIK")
	must(t, c.text("/frobnicate"), "Perintah itu tidak kami kenal", "Menurut NIK")
	must(t, c.text("/start"), "sedang mengisi pendaftaran", "Menurut NIK")
	must(t, c.text("/batal"), "Batalkan pendaftaran ini?")
	must(t, c.text("hmm"), "Mohon jawab dengan tombol Ya atau Tidak")
	must(t, c.press("Tidak, lanjutkan"), "pendaftaran dilanjutkan", "Menurut NIK")
	c.text("/cancel")
	must(t, c.press("Ya, batalkan"), "Pendaftaran dibatalkan")
	must(t, c.text("/status"), "Belum ada pendaftaran")
	must(t, c.text("halo"), "Apakah Anda setuju?")
	c.press("Setuju")
	must(t, c.text(nik), "Ketik nama lengkap") // the cancelled draft held the NIK; it is free
}

func TestEditFromReview(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	// Address: regency, district and village again, then back to the review.
	must(t, c.press("Ubah alamat"), "kabupaten/kota")
	c.press("rg:61.03")                                            // Kabupaten Sanggau
	must(t, c.text("/kembali"), "Periksa data Anda", "Daratsekip") // back while editing returns to the review, address unchanged
	c.press("Ubah alamat")
	c.press("rg:61.03")
	c.press(c.choices()[0].Data)
	vs := regions.Children(c.choices()[0].Data[3:])
	_ = vs
	got := c.text("/bantuan")
	must(t, got, "Ketik nama desa")
	c.press("vl:pg:1")
	village := c.choices()[0]
	must(t, c.press(village.Data), "Periksa data Anda", village.Label, "Kabupaten Sanggau")
	// NIK: the new NIK's birth date is confirmed, then the review.
	c.press("Ubah NIK")
	nik := "6171051212850001"
	must(t, c.text(nik), "lahir 12 Desember 1985", "laki-laki")
	must(t, c.press("Benar"), "Periksa data Anda", "6171 05•• •••• 0001", "12 Desember 1985")
	// Programmes and income.
	c.press("Ubah program")
	must(t, c.press("pr:jht"), "JKK + JKM + JHT", "Rp36.800")
	c.press("Ubah penghasilan")
	must(t, c.text("3 juta"), "2,7–3,2 jt", "Periksa data Anda", "Rp95.300")
	c.press("Ubah pekerjaan")
	c.press("oc:pg:1")
	c.press("oc:pg:2")
	c.press("Lainnya")
	must(t, c.text("tukang cukur"), "Pekerjaan: tukang cukur")
	must(t, c.press("rv:ok"), "berapa bulan")
}

func TestRegionPagingAndOtherProvince(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	c.text(freshNIK())
	c.text("Siti")
	c.press("bc:yes")
	c.text("081234567890")
	if n := len(c.choices()); n != 10 {
		t.Fatalf("first page of regencies has %d buttons", n)
	}
	c.press("rg:pg:1")
	var labels []string
	for _, ch := range c.choices() {
		labels = append(labels, ch.Label)
	}
	must(t, strings.Join(labels, "|"), "Kab. Kubu Raya", "Kota Pontianak", "Kota Singkawang", "‹ Sebelumnya", "Provinsi lain")
	c.press("Provinsi lain")
	c.text("kalimantan timur")
	must(t, c.text("balikpapan"), "Pilih kecamatan Anda di Kota Balikpapan")
	// A typed part of a name offers the matches as buttons.
	must(t, c.text("balikpapan"), "Mungkin maksud Anda")
	if len(c.choices()) < 2 {
		t.Errorf("matches: %+v", c.choices())
	}
	must(t, c.press(c.choices()[0].Data), "Ketik nama desa/kelurahan")
	must(t, c.text("zzzzqqq"), "tidak ditemukan")
}

func TestDraftExpires(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	c.text(freshNIK())
	clock.Add(6 * 24 * time.Hour)
	must(t, c.text("Siti"), "Menurut NIK") // six days later: still there
	clock.Add(8 * 24 * time.Hour)
	got := c.send(flows.Event{Kind: flows.KindText, Text: "Benar"})
	must(t, got[0].Text, "sudah lewat 7 hari")
	must(t, lastText(got), "Apakah Anda setuju?")
}

func TestConsentDeclined(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	must(t, c.press("Tidak setuju"), "Tanpa persetujuan Anda", "Apakah Anda setuju?")
	must(t, c.text("apa ini"), "Mohon tekan Setuju")
	var n int
	testDB.SQL().Get(&n, `SELECT count(*) FROM consents WHERE chat_id = $1`, c.id)
	if n != 0 {
		t.Errorf("consent recorded without agreement")
	}
}

func TestDuplicateUpdateIsIgnored(t *testing.T) {
	c := newChat(t)
	ev := flows.Event{Kind: flows.KindText, Text: "halo", UpdateID: "u-1"}
	first := c.send(ev)
	second := c.send(ev)
	if len(first) != 2 || len(second) != 0 {
		t.Fatalf("first %d replies, replay %d", len(first), len(second))
	}
}

// Many events of one chat at once: the session lock serialises them, so
// every one is answered and none is lost.
func TestConcurrentEventsOfOneChat(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.e.Handle(context.Background(), flows.Event{Channel: "test", ChatID: c.id, UserID: c.id,
				Kind: flows.KindText, Text: "/bantuan", UpdateID: fmt.Sprint("c", i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := c.flush(); len(got) != 40 {
		t.Fatalf("%d replies to 40 events", len(got))
	}
}

func TestDoneMenu(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	must(t, c.text("/start"), "Kita lanjutkan pembayaran", "berapa bulan")
	c.text("/kembali")
	must(t, c.text("terima kasih"), "Ada lagi yang bisa kami bantu?")
	must(t, c.text("/start"), "Selamat datang kembali", "Ada lagi")
	must(t, c.press("Lihat status"), "Pendaftaran dari HP ini (1)")
	must(t, c.press("Daftarkan orang lain"), "Apakah Anda setuju?")
	c.press("Setuju")
	must(t, c.text(nikFor(1)), "Ketik nama")
}

func TestGroupIsToldOnce(t *testing.T) {
	c := newChat(t)
	first := c.send(flows.Event{Kind: flows.KindGroup, Text: "halo bot"})
	if len(first) != 1 || !strings.Contains(first[0].Text, "hanya melayani lewat chat pribadi") {
		t.Fatalf("first group message: %+v", first)
	}
	if again := c.send(flows.Event{Kind: flows.KindGroup, Text: "/start"}); len(again) != 0 {
		t.Fatalf("second group message answered: %+v", again)
	}
}

func TestConsentNamesTheAppThatKeepsMessagesAbroad(t *testing.T) {
	e := newEngine(flows.DefaultConfig())
	for channel, want := range map[string]bool{"telegram": true, "web": false} {
		out, err := e.Handle(context.Background(), flows.Event{Channel: channel, ChatID: "abroad-" + channel, UserID: "1", Kind: flows.KindText, Text: "halo"})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(lastText(out), "disimpan oleh Telegram di luar negeri")
		if got != want || strings.Contains(lastText(out), "<no value>") {
			t.Errorf("%s consent: %q", channel, lastText(out))
		}
	}
}
