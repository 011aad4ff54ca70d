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
		{"6171053213900001", "harus berupa tanggal lahir"},
		{"6171054508900000", "hanya contoh NIK"}, // the questions' example
		{"6171064508900000", "tidak mungkin 0000"},
	}
	for _, tt := range tests {
		got := c.text(tt.in)
		must(t, got, tt.want, "Ketik NIK Anda: 16 angka")
	}
	c.text(freshNIK())
	for _, tt := range []struct{ in, want string }{
		{"Si", "terlalu pendek"},
		{"Siti 4minah", `"4" tidak boleh`},
	} {
		must(t, c.text(tt.in), tt.want, "Ketik nama lengkap")
	}
	must(t, c.text("Siti"), "Ketik nomor HP")
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
	must(t, got, "0812-••••-8888", "Kecamatan Pontianak Kota")
	must(t, c.text("Atlantis"), `"Atlantis" tidak ditemukan`)
	// A sticker is answered politely and the question stays.
	must(t, lastText(c.send(flows.Event{Kind: flows.KindMedia})), "hanya bisa membaca tulisan", "Kecamatan Pontianak Kota")
	// A button from an earlier question is recognised as stale.
	must(t, lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: "bc:yes"})), "pertanyaan sebelumnya", "Kecamatan Pontianak Kota")
}

// The birth date is read from the NIK; a wrong one is typed from the review.
func TestBirthDateCorrectedFromTheReview(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:edit")
	must(t, c.press("ed:birth"), "Ketik tanggal lahir")
	for _, tt := range []struct{ in, want string }{
		{"kemarin", "tidak bisa kami baca"},
		{"17 Agustusan 1985", `Bulan "agustusan"`},
		{"31-04-1990", "tidak ada di bulan itu"},
		{"01-01-2030", "tidak boleh setelah hari ini"},
		{"01-01-2020", "Umur Anda 6 tahun"},
	} {
		must(t, c.text(tt.in), tt.want, "Ketik tanggal lahir")
	}
	must(t, c.text("17 agt 85"), "Tanggal lahir: 17 Agustus 1985", "Periksa data Anda", "Lahir: 17 Agustus 1985")
}

func TestAgeLimitFromNIK(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	// Born 1 January 1950: outside the limits, so the NIK's date is asked about.
	must(t, c.text("6171050101500001"), "lahir 1 Januari 1950", "harus berumur 15–65 tahun", "Apakah tanggal lahir ini benar?")
	must(t, c.press("Benar"), "Umur Anda", "tanyakan ke kantor BPJS Ketenagakerjaan", "Apakah tanggal lahir ini benar?")
	must(t, c.text("01-01-1980"), "Tanggal lahir: 1 Januari 1980", "Ketik nama lengkap")
	must(t, c.text("Budi"), "Ketik nomor HP")
}

func TestBackHelpLanguageCancel(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	must(t, c.text("/kembali"), "pertanyaan pertama")
	c.press("Setuju")
	must(t, c.text("/bantuan"), "NIK adalah 16 angka", "Ketik NIK Anda")
	must(t, c.text("/back"), "Setuju?")
	c.press("Setuju")
	// The question's example NIK is refused as the example it is.
	must(t, c.text(flows.ExampleNIK), "hanya contoh NIK", "Ketik NIK Anda")
	nik := freshNIK()
	c.text(nik)
	must(t, c.text("/language"), "Language changed to English", "Type your full name")
	must(t, c.text("Siti"), "Type your phone number")
	must(t, c.text("/bahasa"), "Bahasa diganti", "Ketik nomor HP")
	// The web page's switch names the language: the same one again stays.
	must(t, c.text("/bahasa id"), "Bahasa diganti", "Ketik nomor HP")
	must(t, c.text("/bahasa en"), "Language changed to English", "Type your phone number")
	must(t, c.text("/bahasa id"), "Bahasa diganti", "Ketik nomor HP")
	// Without the slash, as a worker types them, never taken as an answer.
	must(t, c.text("kembali"), "Ketik nama lengkap")
	must(t, c.text("Bantuan"), "Ketik nama lengkap")
	must(t, c.text("Siti"), "Ketik nomor HP")
	must(t, c.text("/frobnicate"), "Perintah itu tidak kami kenal", "Ketik nomor HP")
	must(t, c.text("/start"), "sedang mengisi pendaftaran", "Ketik nomor HP")
	must(t, c.text("/batal"), "Batalkan pendaftaran ini?")
	must(t, c.text("hmm"), "Mohon jawab dengan tombol Ya atau Tidak")
	must(t, c.press("Tidak, lanjutkan"), "pendaftaran dilanjutkan", "Ketik nomor HP")
	must(t, c.text("batal"), "Batalkan pendaftaran ini?")
	must(t, c.press("Ya, batalkan"), "Pendaftaran dibatalkan")
	must(t, c.text("/status"), "Belum ada pendaftaran")
	must(t, c.text("halo"), "Setuju?")
	c.press("Setuju")
	must(t, c.text(nik), "Ketik nama lengkap") // the cancelled draft held the NIK; it is free
}

func TestEditFromReview(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	// One "Ubah data" button, then the list of answers.
	if n := len(c.choices()); n != 2 {
		t.Errorf("the review has %d buttons, want Kirim and Ubah data", n)
	}
	must(t, c.press("rv:edit"), "Data mana yang mau diubah?")
	must(t, c.press("ed:back"), "Periksa data Anda")
	// Address: the NIK's villages first; elsewhere asks the regency, district and village.
	c.press("rv:edit")
	must(t, c.press("ed:address"), "Kecamatan Pontianak Kota", "Alamat lain")
	must(t, c.press("nv:else"), "kabupaten/kota")
	c.press("rg:61.03")                                             // Kabupaten Sanggau
	must(t, c.text("/kembali"), "Periksa data Anda", "Darat Sekip") // back while editing returns to the review, address unchanged
	c.press("rv:edit")
	c.press("ed:address")
	c.press("nv:else")
	c.press("rg:61.03")
	c.press(c.choices()[0].Data)
	got := c.text("/bantuan")
	must(t, got, "Ketik nama desa")
	c.press("vl:pg:1")
	village := c.choices()[0]
	must(t, c.press(village.Data), "Periksa data Anda", village.Label, "Kabupaten Sanggau")
	// NIK: a new NIK's date and sex are shown, then the review.
	c.press("rv:edit")
	c.press("ed:nik")
	nik := "6171051212850001"
	must(t, c.text(nik), "lahir 12 Desember 1985", "laki-laki", "Periksa data Anda", "6171 05•• •••• 0001", "12 Desember 1985")
	// Programmes and income.
	c.press("rv:edit")
	c.press("ed:prog")
	must(t, c.press("pr:jht"), "dengan JHT", "Rp36.800")
	c.press("rv:edit")
	c.press("ed:income")
	c.press("in:more")
	must(t, c.text("3 juta"), "Rp2,7–3,2 juta", "Mau menambah JHT")
	must(t, c.press("pr:base"), "Periksa data Anda", "Rp36.300")
	c.press("rv:edit")
	c.press("ed:income")
	must(t, c.press("in:jht"), "Periksa data Anda", "Rp36.800")
	c.press("rv:edit")
	c.press("ed:job")
	must(t, c.text("tukang cukur"), "Pekerjaan: tukang cukur")
	// The review's own buttons of before still work.
	must(t, lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: "rv:name"})), "Ketik nama lengkap")
	must(t, c.text("Siti Aminah"), "Periksa data Anda")
	must(t, c.press("rv:ok"), "berapa bulan")
}

// A worker whose NIK was made elsewhere still registers, by the regency
// and district questions.
func TestRegionPagingAndOtherProvince(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	c.text(freshNIK())
	c.text("Siti")
	c.text("081234567890")
	c.press("nv:else")
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
	c.press("vl:pg:1")
	must(t, c.press(c.choices()[0].Data), "Apa pekerjaan Anda?")
	c.press("oc:petani")
	must(t, c.press("in:base"), "Periksa data Anda", "Kota Balikpapan")
}

// The NIK's kecamatan offers its villages as buttons, paged, and a typed
// name is searched among them.
func TestVillagesOfTheNIKsDistrict(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	c.text(freshNIK())
	c.text("Siti")
	got := c.text("081234567890")
	must(t, got, "KTP Anda dibuat di Kecamatan Pontianak Kota, Kota Pontianak")
	var codes []string
	for _, ch := range c.choices() {
		codes = append(codes, ch.Data)
	}
	must(t, strings.Join(codes, " "), "nv:61.71.05.", "nv:else")
	first := c.choices()[0]
	must(t, c.press(first.Data), "Apa pekerjaan Anda?")
	c.text("/kembali")
	must(t, c.text("sekip"), "Apa pekerjaan Anda?")
	// A word that fits two occupations offers both; one not in the list is taken as written.
	must(t, c.text("pedagang"), "Ada beberapa pekerjaan yang cocok")
	if n := len(c.choices()); n != 2 {
		t.Errorf("pedagang: %d choices %+v", n, c.choices())
	}
	c.text("/kembali")
	c.text("sekip")
	must(t, c.text("penjual bakso"), "penghasilan di bawah Rp1,1 juta")
	must(t, c.press("in:base"), "Pekerjaan: penjual bakso")
}

func TestDraftExpires(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	c.text(freshNIK())
	clock.Add(6 * 24 * time.Hour)
	must(t, c.text("Siti"), "Ketik nomor HP") // six days later: still there
	clock.Add(8 * 24 * time.Hour)
	got := c.send(flows.Event{Kind: flows.KindText, Text: "081234567890"})
	must(t, got[0].Text, "sudah lewat 7 hari")
	must(t, lastText(got), "Setuju?")
}

func TestConsentDeclined(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	must(t, c.press("Tidak setuju"), "Tanpa persetujuan Anda", "Setuju?")
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
	if len(first) != 1 || len(second) != 0 {
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
	must(t, c.press("Daftarkan orang lain"), "Setuju?")
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
		got := strings.Contains(lastText(out), "disimpan Telegram di luar negeri")
		if got != want || strings.Contains(lastText(out), "<no value>") {
			t.Errorf("%s consent: %q", channel, lastText(out))
		}
	}
}

// Where the channel knows the sender's number (WhatsApp), the phone
// question confirms it; "Nomor lain" asks for one typed.
func TestSendersNumberIsConfirmed(t *testing.T) {
	c := newChat(t)
	c.channel, c.phone = "whatsapp", "6281299990001"
	c.text("halo")
	c.press("cs:yes")
	c.text(freshNIK())
	must(t, c.text("Siti Aminah"), "Kabar iuran kami kirim ke nomor ini: 0812-••••-0001. Benar?")
	must(t, c.press("ph:other"), "Ketik nomor HP Anda")
	must(t, c.text("0813-1111-2222"), "0813-••••-2222 diterima", "Kecamatan Pontianak Kota")
	c.text("/kembali")
	must(t, c.said(), "Ketik nomor HP") // once "Nomor lain", it stays typed
	c.text("0813-1111-2222")
	c.text("darat sekip")
	c.press("oc:petani")
	must(t, c.press("in:base"), "HP: 0813-••••-2222")

	// An agent's resident is never offered the agent's own number.
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Agus Salim")
	a.phone = "6281299990002"
	a.press("ah:reg")
	a.press("cs:yes")
	a.text(freshNIK())
	if got := a.text("Dewi Lestari"); strings.Contains(got, "0812-••••-0002") || !strings.Contains(got, "Ketik nomor HP warga") {
		t.Errorf("the resident's phone question: %q", got)
	}
}

// A session saved at the birth confirmation when it came after the name
// (before the shorter path) goes on to the phone, not the name again.
func TestOldBirthConfirmationSkipsTheKnownName(t *testing.T) {
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	c.text(freshNIK())
	c.text("Siti Aminah")
	testDB.SQL().MustExec(`UPDATE sessions SET state = 'birth_confirm' WHERE chat_id = $1`, c.id)
	must(t, c.text("Benar"), "Ketik nomor HP")
	// And the new path still asks the name after an age outside the limits.
	d := newChat(t)
	d.text("halo")
	d.press("cs:yes")
	d.text("6171050101500001")
	must(t, d.text("01-01-1980"), "Ketik nama lengkap")
}
