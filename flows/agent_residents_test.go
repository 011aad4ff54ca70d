package flows_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
)

// An agent's claim code comes with a link for each chat app the deployment
// serves, each with its QR picture: Telegram's, WhatsApp's, or both
// labelled. The resident follows the WhatsApp link's text to link their chat.
func TestClaimCodeLinksPerChannel(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Rina Marlina")
	n := freshNIK()
	ref := a.registerResident(n, "Agus Salim", "")
	a.press("ah:list")
	must(t, a.press("al:"+ref), "Agus Salim", "belum menyambungkan")
	tg := func(code string) string { return "https://t.me/lindungi_bot?start=sambung-" + code }
	wa := func(code string) string { return "https://wa.me/62811000000?text=sambung%20" + code }
	var code string
	for _, tt := range []struct {
		name, bot, number string
		text              func(code string) []string // in the code's message, in this order
		photos            func(code string) []string // the links drawn as QR pictures, in order
	}{
		{"no chat app", "", "", func(string) []string { return nil }, func(string) []string { return nil }},
		{"telegram", "lindungi_bot", "",
			func(c string) []string { return []string{"Atau ia cukup membuka tautan ini", tg(c)} },
			func(c string) []string { return []string{tg(c)} }},
		{"whatsapp", "", "+62 811-000-000",
			func(c string) []string { return []string{"Atau ia cukup membuka tautan ini", wa(c)} },
			func(c string) []string { return []string{wa(c)} }},
		{"both", "lindungi_bot", "62811000000",
			func(c string) []string {
				return []string{"tautan untuk aplikasi chat yang ia pakai", "Telegram: " + tg(c), "WhatsApp: " + wa(c)}
			},
			func(c string) []string { return []string{tg(c), wa(c)} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := agentConfig()
			cfg.BotUsername = func() string { return tt.bot }
			cfg.WhatsAppNumber = tt.number
			a.e = newEngine(cfg)
			must(t, a.press("rs:code"), "Agus Salim", "belum menyambungkan") // then the resident again
			first := a.last[0].Text
			must(t, first, "Kode sambung untuk Agus Salim")
			code = strings.Fields(strings.SplitN(first, ": ", 2)[1])[0]
			at := 0
			for _, w := range tt.text(code) {
				i := strings.Index(first[at:], w)
				if i < 0 {
					t.Fatalf("the code's message %q\nhas no %q after position %d", first, w, at)
				}
				at += i + len(w)
			}
			if tt.bot == "" && strings.Contains(a.said(), "t.me") {
				t.Errorf("a Telegram link without a bot: %q", a.said())
			}
			if tt.number == "" && strings.Contains(a.said(), "wa.me") {
				t.Errorf("a WhatsApp link without a number: %q", a.said())
			}
			var photos, want []string
			for _, r := range a.last {
				if r.Photo != "" {
					photos = append(photos, r.Photo)
				}
			}
			for _, l := range tt.photos(code) {
				want = append(want, flows.LinkPhoto(l))
			}
			if strings.Join(photos, " ") != strings.Join(want, " ") {
				t.Errorf("QR pictures %q, want %q", photos, want)
			}
			if len(want) > 1 {
				// Each picture says which app it opens.
				for i, app := range []string{"Telegram", "WhatsApp"} {
					must(t, a.last[1+i].Text, "Gambar QR untuk "+app)
				}
			}
		})
	}
	// The resident opens the WhatsApp link: the text it typed in, sent as it
	// is, pre-fills the code; NIK and name prove the rest.
	u, err := url.Parse(wa(code))
	if err != nil {
		t.Fatal(err)
	}
	r := newAgentChat(t, "") // on channel "test": the stats tests count WhatsApp's chats
	must(t, r.text(u.Query().Get("text")), "Kode dari tautan sudah kami terima", "ketik NIK")
	r.text(n)
	r.text("Agus Salim")
	must(t, r.said(), "sekarang tersambung", ref, "Setuju?")
	must(t, r.press("cc:yes"), "Terima kasih")
	a.e = newEngine(agentConfig())
	a.press("rs:back")
	a.press("al:home")
}
