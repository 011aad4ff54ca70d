package flows_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
)

// TestRandomConversations throws random answers, commands, buttons and media
// at a few chats: every event is answered, nothing fails, no reply shows a
// template's insides, and the NIK never comes back in clear.
func TestRandomConversations(t *testing.T) {
	inputs := []string{
		"halo", "ya", "tidak", "Setuju", nikFor(4242), "617105450890", "6171O54508900001", nikFor(7777),
		"Siti Aminah", "x", "Benar", "Salah", "17-08-1985", "31-02-1990", "17 agt 85", "0812-3456-7890", "021555",
		"kota pontianak", "pontianak", "darat sekip", "zzzz", "petani", "Lainnya", "tukang cukur", "1,5 juta",
		"2", "1", "9", "Kirim", "Ubah alamat", "Ubah NIK", "/kembali", "/batal", "/bantuan", "/bahasa",
		"/status", "/dataku", "/hapus", "/mulai", "/xyz", "", "   ", strings.Repeat("a", 5000), "🙂", "/",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 4 {
		c := newChat(t)
		for range 150 {
			var ev flows.Event
			switch n := rng.IntN(10); {
			case n < 6:
				ev = flows.Event{Kind: flows.KindText, Text: inputs[rng.IntN(len(inputs))]}
			case n < 9 && len(c.choices()) > 0:
				ch := c.choices()[rng.IntN(len(c.choices()))]
				ev = flows.Event{Kind: flows.KindChoice, Choice: ch.Data}
			case n < 9:
				ev = flows.Event{Kind: flows.KindChoice, Choice: []string{"rv:ok", "xx:1", "", "in:999", "rg:99.99"}[rng.IntN(5)]}
			default:
				ev = flows.Event{Kind: flows.KindMedia}
			}
			replies := c.send(ev)
			if len(replies) == 0 {
				t.Fatalf("no reply to %+v", ev)
			}
			for _, r := range replies {
				if strings.Contains(r.Text, nikFor(4242)) || strings.Contains(r.Text, nikFor(7777)) {
					t.Fatalf("a reply shows a NIK in clear: %q", r.Text)
				}
			}
		}
	}
}
