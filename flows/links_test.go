package flows_test

import (
	"net/url"
	"testing"

	"github.com/lindungi/lindungi/flows"
)

func TestWhatsAppLink(t *testing.T) {
	for _, tt := range []struct {
		number, text, want string
	}{
		{"62811000000", "sambung ABC123", "https://wa.me/62811000000?text=sambung%20ABC123"},
		{"62811000000", flows.ClaimText("K7Q2M9XA"), "https://wa.me/62811000000?text=sambung%20K7Q2M9XA"},
		// What a text may hold is escaped: &, =, + and ? do not end or change the query.
		{"62811000000", "klaim K7 & bayar+1 = ?#", "https://wa.me/62811000000?text=klaim%20K7%20%26%20bayar%2B1%20%3D%20%3F%23"},
		{"62811000000", "Sambung – kode", "https://wa.me/62811000000?text=Sambung%20%E2%80%93%20kode"},
		// The number as people write it: digits only, with the country code.
		{"+62 811-000-000", "x", "https://wa.me/62811000000?text=x"},
		{"(+62) 811.000.000", "x", "https://wa.me/62811000000?text=x"},
		{"0811 000 000", "x", "https://wa.me/62811000000?text=x"},
		{"0062811000000", "x", "https://wa.me/62811000000?text=x"},
		{"62811000000", "", "https://wa.me/62811000000"},
	} {
		if got := flows.WhatsAppLink(tt.number, tt.text); got != tt.want {
			t.Errorf("WhatsAppLink(%q, %q) = %q, want %q", tt.number, tt.text, got, tt.want)
		}
		// What WhatsApp reads back is the text, exactly.
		u, err := url.Parse(flows.WhatsAppLink(tt.number, tt.text))
		if err != nil || u.Query().Get("text") != tt.text {
			t.Errorf("WhatsAppLink(%q, %q) reads back as %q (%v)", tt.number, tt.text, u.Query().Get("text"), err)
		}
	}
}

func TestChatLinks(t *testing.T) {
	const token = "aZ09-_xYwVuTsRqPoNmLkJiH"
	for _, tt := range []struct{ name, got, want string }{
		{"telegram claim", flows.ClaimLink("lindungi_bot", "K7Q2M9XA"), "https://t.me/lindungi_bot?start=sambung-K7Q2M9XA"},
		{"telegram poster", flows.SponsorLink("lindungi_bot", token), "https://t.me/lindungi_bot?start=sponsor-" + token},
		{"whatsapp claim", flows.WhatsAppClaimLink("+62 811-000-000", "K7Q2M9XA"), "https://wa.me/62811000000?text=sambung%20K7Q2M9XA"},
		{"whatsapp poster", flows.WhatsAppSponsorLink("62811000000", token), "https://wa.me/62811000000?text=sponsor%20" + token},
		{"claim text", flows.ClaimText("K7Q2M9XA"), "sambung K7Q2M9XA"},
		{"poster text", flows.SponsorText(token), "sponsor " + token},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
