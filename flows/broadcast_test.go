package flows_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
)

func TestBroadcastComposer(t *testing.T) {
	admin := newAgentChat(t, adminID)
	// A few workers to reach.
	for range 3 {
		w := newChat(t)
		w.toReview(freshNIK())
		w.press("rv:ok")
	}
	stranger := newAgentChat(t, "")
	unknown := stranger.text("/perintah_ngawur")
	for _, cmd := range []string{"/siaran", "/siaran_daftar", "/broadcast"} {
		if got := stranger.text(cmd); got != unknown {
			t.Errorf("%s for a non-admin: %q", cmd, got)
		}
	}
	must(t, stranger.tap("bx:cancel:1"), "Tombol itu dari pertanyaan sebelumnya")
	must(t, stranger.tap("ad:broadcast"), "tidak kami kenal")

	got := admin.text("/siaran")
	must(t, got, "Siaran baru", "Penerima: pekerja terdaftar", "Kabupaten/kota: semua", "Jumlah penerima sekarang:")
	must(t, admin.press("bs:reg"), "Pilih kabupaten/kota")
	must(t, admin.text("kota pontianak"), "Pilih kabupaten/kota")
	btns := func() string { return strings.Join(labels(admin.choices()), "|") }
	admin.tap("bp:pg:2")
	must(t, btns(), "☑ Kota Pontianak")
	must(t, admin.press("bp:done"), "Kabupaten/kota: Kota Pontianak")
	admin.press("bs:st")
	must(t, btns(), "☐ berakhir ≤ 7 hari")
	admin.text("14")
	must(t, btns(), "☑ berakhir ≤ 14 hari")
	admin.press("bp:t:due")
	admin.press("bp:t:awaiting")
	must(t, btns(), "☑ menunggu pembayaran", "☐ berakhir ≤ 14 hari")
	got = admin.press("bp:done")
	must(t, got, "Status: menunggu pembayaran")
	must(t, admin.press("bs:go"), "Ketik pesan siaran")
	must(t, admin.text(strings.Repeat("x", 3001)), "Pesan terlalu panjang (3001 huruf)")
	must(t, admin.text("Batas bayar iuran *15 Desember*. _Terima kasih_."), "Tambahkan satu tombol")
	got = admin.press("bb:pay")
	if len(admin.last) != 3 || admin.last[1].Text != "Batas bayar iuran *15 Desember*. _Terima kasih_." || !admin.last[1].Rich ||
		admin.last[1].Choices[0].Data != "go:pay" {
		t.Fatalf("preview: %+v", admin.last)
	}
	must(t, got, "Kirim siaran di atas ke")
	must(t, admin.press("bv:later"), "Kapan dikirim?")
	must(t, admin.text("kemarin sore"), "tidak bisa kami baca")
	must(t, admin.text("/kembali"), "Kirim siaran di atas")
	got = admin.press("bv:send")
	must(t, got, "Siaran #", "mulai dikirim ke")
	var b struct {
		Text   string `db:"text"`
		Button string `db:"button"`
		Status string `db:"status"`
	}
	if err := testDB.SQL().Get(&b, `SELECT text, button, status FROM broadcasts ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if b.Button != "pay" || b.Status != "scheduled" || !strings.Contains(b.Text, "15 Desember") {
		t.Errorf("stored broadcast %+v", b)
	}
	must(t, admin.text("/siaran_daftar"), "Siaran #")
	// Cancelled before it started.
	var id int64
	testDB.SQL().Get(&id, `SELECT max(id) FROM broadcasts`)
	must(t, admin.tap("bx:cancel:"+itoa(id)), "dibatalkan")
	must(t, admin.tap("bx:cancel:"+itoa(id)), "tidak bisa diubah")
	if auditCount(t, "broadcast:create", "") < 1 {
		t.Errorf("broadcast not audited")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestBroadcastScheduledAndQuietHours(t *testing.T) {
	admin := newAgentChat(t, adminID)
	admin.text("/siaran")
	admin.press("bs:go")
	admin.text("Pengumuman")
	admin.press("bb:none")
	admin.press("bv:later")
	got := admin.text("besok 22.00")
	must(t, got, "dijadwalkan", "22.00", "jam tenang")
}

func TestOptOut(t *testing.T) {
	c := newChat(t)
	must(t, c.text("/berhenti"), "tidak akan menerima siaran lagi")
	must(t, c.text("/berhenti"), "sudah berhenti")
	must(t, c.text("/aktifkan"), "akan menerima siaran lagi")
	must(t, c.text("/aktifkan"), "sudah menerima siaran")
}

func TestQuietHours(t *testing.T) {
	cfg := flows.DefaultConfig()
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, cfg.Location) }
	for _, c := range []struct {
		h, m  int
		quiet bool
	}{{20, 59, false}, {21, 0, true}, {23, 30, true}, {0, 0, true}, {6, 59, true}, {7, 0, false}, {12, 0, false}} {
		if got := cfg.Quiet(at(c.h, c.m)); got != c.quiet {
			t.Errorf("%02d:%02d quiet = %v", c.h, c.m, got)
		}
	}
	cfg.QuietFrom = ""
	if cfg.Quiet(at(23, 0)) {
		t.Errorf("quiet hours off, still quiet")
	}
}
