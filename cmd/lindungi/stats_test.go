package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/clock"
)

// An admin's /statistik in the terminal: the tables, then the chart drawn
// from the store (cards.Photo "chart:coverage") into a PNG file.
func TestStatsInTheTerminal(t *testing.T) {
	if err := run(context.Background(), []string{"lindungi", "migrate"}, testEnv(nil), strings.NewReader(""), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	db.MustExec(`INSERT INTO registrations (ref, channel, chat_id, province, regency, district, occupation, status, covered_to, created_at, updated_at)
		SELECT 'STC-' || g, 'telegram', 'stc-' || g, '61', CASE WHEN g <= 3 THEN '61.09' ELSE '61.10' END, '', 'nelayan', 'aktif',
			$1::date + 30, now(), now()
		FROM generate_series(1, 5) g`, clock.Now().In(wibZone()).Format(time.DateOnly))

	if got := chat(t, "920", "/statistik"); len(got[0]) != 1 || !strings.Contains(got[0][0].Text, "tidak kami kenal") || got[0][0].Photo != "" {
		t.Fatalf("/statistik for a non-admin: %+v", got)
	}

	turns := chatEnv(t, map[string]string{"LINDUNGI_ADMINS": "console:919"}, "919", "/statistik")
	all, photo := "", ""
	for _, r := range turns[0] {
		all += r.Text + "\n"
		if r.Photo != "" {
			photo = r.Photo
		}
	}
	for _, want := range []string{"Statistik Lindungi", "Kabupaten Sekadau: 3 terdaftar · 3 aktif", "Kabupaten Melawi: 2 terdaftar · 2 aktif", "Pekerja aktif"} {
		if !strings.Contains(all, want) {
			t.Errorf("replies lack %q:\n%s", want, all)
		}
	}
	f, err := os.Open(photo)
	if err != nil {
		t.Fatalf("the chart %q: %v", photo, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the chart %q is not a PNG: %v", photo, err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() < 150 {
		t.Errorf("chart of %v", b)
	}
}
