package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `lindungi sponsor show` prints the poster's link for each chat app the
// deployment has (Telegram with --bot, WhatsApp with
// WHATSAPP_DISPLAY_NUMBER) and draws the QR code of the one --channel
// picks: by default Telegram's with --bot, else WhatsApp's.
func TestSponsorPosterLinks(t *testing.T) {
	env, db, _ := importEnv(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "pekerja.csv")
	runOut(t, env, "dev", "gen-workers", "3", "--seed", "5", "--bad-every", "0", "--out", list)
	runOut(t, env, "import", list, "--sponsor", "Pemkab Sambas", "--funding", "apbd", "--months", "12")
	var token string
	if err := db.Get(&token, `SELECT claim_token FROM sponsor_batches WHERE id = 1`); err != nil || token == "" {
		t.Fatalf("token %q: %v", token, err)
	}
	tg := "https://t.me/lindungi_bot?start=sponsor-" + token
	wa := "https://wa.me/62811000000?text=sponsor%20" + token
	const number = "+62 811-000-000"
	for _, tt := range []struct {
		name   string
		number string // WHATSAPP_DISPLAY_NUMBER
		args   []string
		want   []string // printed, in this order
		qr     string   // the link the QR code opens ("" for no --qr)
		err    string
	}{
		{name: "no chat app", want: []string{"tautan poster: /start sponsor-" + token}},
		{name: "no chat app, --qr", args: []string{"--qr", "poster.png"}, err: "--qr needs a link to draw"},
		{name: "telegram", args: []string{"--bot", "lindungi_bot", "--qr", "poster.png"},
			want: []string{"tautan poster (Telegram): " + tg, "kode QR (Telegram) ditulis ke "}, qr: tg},
		{name: "whatsapp", number: number, args: []string{"--qr", "poster.png"},
			want: []string{"tautan poster (WhatsApp): " + wa, "kode QR (WhatsApp) ditulis ke "}, qr: wa},
		{name: "both, telegram by default", number: number, args: []string{"--bot", "lindungi_bot", "--qr", "poster.png"},
			want: []string{"(Telegram): " + tg, "(WhatsApp): " + wa, "kode QR (Telegram)"}, qr: tg},
		{name: "both, --channel whatsapp", number: number, args: []string{"--bot", "lindungi_bot", "--channel", "whatsapp", "--qr", "poster.png"},
			want: []string{"(Telegram): " + tg, "(WhatsApp): " + wa, "kode QR (WhatsApp)"}, qr: wa},
		{name: "in English", number: number, args: []string{"--lang", "en", "--qr", "poster.png"},
			want: []string{"poster link (WhatsApp): " + wa, "QR code (WhatsApp) written to "}, qr: wa},
		{name: "--channel whatsapp without the number", args: []string{"--bot", "lindungi_bot", "--channel", "whatsapp", "--qr", "poster.png"},
			err: "--channel whatsapp needs WHATSAPP_DISPLAY_NUMBER"},
		{name: "--channel telegram without --bot", number: number, args: []string{"--channel", "telegram", "--qr", "poster.png"},
			err: "--channel telegram needs --bot"},
		{name: "unknown --channel", args: []string{"--channel", "signal"}, err: `--channel "signal": want telegram or whatsapp`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"lindungi", "sponsor", "show", "1"}, tt.args...)
			file := filepath.Join(t.TempDir(), "poster.png")
			for i, a := range args {
				if a == "poster.png" {
					args[i] = file
				}
			}
			extra := map[string]string{"WHATSAPP_DISPLAY_NUMBER": tt.number}
			getenv := func(k string) string {
				if v, ok := extra[k]; ok {
					return v
				}
				return env(k)
			}
			var out bytes.Buffer
			err := run(context.Background(), args, getenv, strings.NewReader(""), &out)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q\n%s", err, tt.err, out.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			got, at := out.String(), 0
			for _, w := range tt.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("output has no %q after position %d:\n%s", w, at, got)
				}
				at += i + len(w)
			}
			if tt.qr == "" {
				return
			}
			img, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if link := decodeQR(t, img); link != tt.qr {
				t.Errorf("the poster's QR code opens %q, want %q", link, tt.qr)
			}
		})
	}
}
