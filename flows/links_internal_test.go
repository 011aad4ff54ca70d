package flows

import "testing"

// readLink reads a link's text as the link sends it and as a person types
// it; anything else is not a link.
func TestReadLink(t *testing.T) {
	const token = "aZ09-_xYwVuTsRqPoNmLkJiH"
	claim := func(code string) linkAction { return linkAction{code: code} }
	poster := func(tok string) linkAction { return linkAction{token: tok} }
	for _, tt := range []struct {
		text string
		want linkAction
		ok   bool
	}{
		// Telegram's deep links.
		{"/start sambung-K7Q2M9XA", claim("K7Q2M9XA"), true},
		{"/start klaim-K7Q2M9XA", claim("K7Q2M9XA"), true},
		{"/start@lindungi_bot sambung-K7Q2M9XA", claim("K7Q2M9XA"), true},
		{"/mulai sambung-K7Q2M9XA", claim("K7Q2M9XA"), true},
		{"/start sponsor-" + token, poster(token), true},
		{"/start sponsor-nope", poster("nope"), true}, // a /start parameter is the link's own
		// WhatsApp's texts, as sent.
		{ClaimText("K7Q2M9XA"), claim("K7Q2M9XA"), true},
		{SponsorText(token), poster(token), true},
		// The same typed: any case, extra spaces, no slash, one word, a dash in the code.
		{"  /SAMBUNG   k7q2m9xa  ", claim("k7q2m9xa"), true},
		{"sambung ABC123", claim("ABC123"), true},
		{"sambung K7Q2-M9XA", claim("K7Q2-M9XA"), true},
		{"sambung-K7Q2M9XA", claim("K7Q2M9XA"), true},
		{"/Klaim k7q2m9xa", claim("k7q2m9xa"), true},
		{"sambung K7Q2M9X0", claim("K7Q2M9X0"), true},
		{"sambung K7Q2M9XO", claim("K7Q2M9XO"), true}, // O read as 0, as the store reads it
		{"SPONSOR  " + token, poster(token), true},    // the token exactly: it is case-sensitive
		{"sponsor-" + token, poster(token), true},
		// Not links.
		{"", linkAction{}, false},
		{"/start", linkAction{}, false},
		{"/start sambung-", linkAction{}, false},
		{"/start halo", linkAction{}, false},
		{"/sambung", linkAction{}, false},
		{"sambung", linkAction{}, false},
		{"sambung saya", linkAction{}, false},            // too short for a code
		{"sambung ke HP saya dong", linkAction{}, false}, // not a code's letters (U)
		{"sambung ABC 12", linkAction{}, false},
		{"Sambung K7Q2 M9XA", linkAction{}, false},       // one word: joined words could spell anything
		{"sambung K7Q2M9XA9999999", linkAction{}, false}, // too long
		{"sponsor", linkAction{}, false},
		{"sponsor dari pemprov", linkAction{}, false},
		{"sponsor tok#en", linkAction{}, false},
		{"/status", linkAction{}, false},
		{"Siti Aminah", linkAction{}, false},
		{"6171054508901001", linkAction{}, false},
	} {
		got, ok := readLink(tt.text)
		if ok != tt.ok || got != tt.want {
			t.Errorf("readLink(%q) = %+v, %v; want %+v, %v", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzReadLink: whatever a person or a link types, readLink does not
// panic, what it reads is a claim or a poster (never both), and the link
// texts it gives are read back as what they carry.
func FuzzReadLink(f *testing.F) {
	for _, s := range []string{"/start sambung-K7Q2M9XA", "sambung K7Q2M9XA", "/sponsor aZ09-_xYwVuTsRqPoNmLkJiH", "Sambung Rahayu",
		"sambung ke HP saya dong", "/start", "sambung-", "  SAMBUNG   k7q2-m9xa  ", "/start@bot sponsor-x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, ok := readLink(text)
		if ok && (a.code == "") == (a.token == "") {
			t.Fatalf("%q reads as %+v", text, a)
		}
		if !ok && (a.code != "" || a.token != "") {
			t.Fatalf("%q is no link but carries %+v", text, a)
		}
		if ok && a.code != "" && looksLikeCode(a.code) {
			if b, ok := readLink(ClaimText(a.code)); !ok || b.code != a.code {
				t.Fatalf("ClaimText(%q) reads back as %+v %v", a.code, b, ok)
			}
		}
	})
}
