package flows

import (
	"net/url"
	"strings"

	"github.com/lindungi/lindungi/kode"
)

// Links that open a chat with the bot with something to do in it: an
// agent's claim code for a resident, a sponsor's poster. On Telegram a deep
// link's /start parameter carries it ("/start sambung-K7Q2M9XA"); on
// WhatsApp, which has no /start, a click-to-chat link types a short text in
// the chat box for the person to send ("sambung K7Q2M9XA"). readLink reads
// all of them back, as the link sends them or as a person types them.

// The /start parameters of Telegram's links: a claim code (oldClaimPrefix
// is the one of links made before) and a sponsor's poster.
const (
	claimPrefix    = "sambung-"
	oldClaimPrefix = "klaim-"
	SponsorPrefix  = "sponsor-"
)

// The first words of a link's text: what the person sees typed in before
// sending it.
const (
	claimWord   = "sambung" // also the /sambung command: the claim
	sponsorWord = "sponsor"
)

// ClaimLink is the Telegram deep link that links a resident's chat in one tap.
func ClaimLink(bot, code string) string {
	return "https://t.me/" + bot + "?start=" + claimPrefix + code
}

// SponsorLink is the Telegram link of a sponsor's poster: it starts the
// claim with the sponsor named.
func SponsorLink(bot, token string) string {
	return "https://t.me/" + bot + "?start=" + SponsorPrefix + token
}

// ClaimText is the text a WhatsApp claim link types in: "sambung K7Q2M9XA".
// With the slash the engine takes it as a command whatever the chat is
// doing, before any question reads it as an answer.
func ClaimText(code string) string { return claimWord + " " + code }

// SponsorText is the text a sponsor poster's WhatsApp link types in:
// "sponsor <token>".
func SponsorText(token string) string { return sponsorWord + " " + token }

// WhatsAppClaimLink is the WhatsApp link of a claim code: the chat with the
// business number, ClaimText typed in.
func WhatsAppClaimLink(number, code string) string { return WhatsAppLink(number, ClaimText(code)) }

// WhatsAppSponsorLink is the WhatsApp link of a sponsor's poster.
func WhatsAppSponsorLink(number, token string) string {
	return WhatsAppLink(number, SponsorText(token))
}

// WhatsAppLink is the click-to-chat link https://wa.me/<number>?text=<text>
// that opens a chat with the business number, text typed in. The number
// is read as WHATSAPP_DISPLAY_NUMBER may be written ("+62 811-000-000",
// "0811000000"): digits only, with Indonesia's country code. The text is
// percent-encoded, a space as %20 (WhatsApp shows a "+" as a plus).
func WhatsAppLink(number, text string) string {
	link := "https://wa.me/" + WhatsAppDigits(number)
	if text == "" {
		return link
	}
	return link + "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
}

// WhatsAppDigits is a phone number as wa.me wants it: digits only, the
// country code first, no "+" or leading zeros ("0811…" is Indonesian: "62811…").
func WhatsAppDigits(number string) string {
	var b strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "00"): // the international prefix dialled from Indonesia
		d = strings.TrimLeft(d, "0")
	case strings.HasPrefix(d, "0"):
		d = "62" + d[1:]
	}
	return d
}

// chatLink is one link of a claim code, for the chat app it opens.
type chatLink struct {
	App string // "Telegram", "WhatsApp"
	URL string
}

// claimLinks are the links of a claim code this deployment can open:
// Telegram's when the bot is known, WhatsApp's when the business number is
// set; none on a deployment with neither (the web chat alone).
func (t *turn) claimLinks(code string) []chatLink {
	var links []chatLink
	if bot := t.botUsername(); bot != "" {
		links = append(links, chatLink{App: chatApps["telegram"], URL: ClaimLink(bot, code)})
	}
	if n := t.cfg.WhatsAppNumber; n != "" {
		links = append(links, chatLink{App: chatApps["whatsapp"], URL: WhatsAppClaimLink(n, code)})
	}
	return links
}

func (t *turn) botUsername() string {
	if t.cfg.BotUsername == nil {
		return ""
	}
	return t.cfg.BotUsername()
}

// linkAction is what a link asks for: a claim with its code, or a claim
// from a sponsor's poster with the poster's token.
type linkAction struct {
	code, token string
}

// readLink reads the text a link sends, however it came:
//
//   - Telegram's "/start sambung-CODE", "/start klaim-CODE", "/start sponsor-TOKEN"
//     (also "/mulai …" and "/start@bot …");
//   - WhatsApp's "sambung CODE" and "sponsor TOKEN" (the slash optional);
//   - the same typed by hand: any case, with or without the slash, extra
//     spaces, "sambung-CODE" as one word, the code with a dash ("K7Q2-M9XA").
//
// A typed code must look like one (letters and digits of kode.Alphabet,
// read as the store reads them): "/sambung" with anything else is the plain
// claim command. A sponsor's token is kept exactly (it is case-sensitive).
func readLink(text string) (linkAction, bool) {
	f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(text), "/"))
	if len(f) == 0 {
		return linkAction{}, false
	}
	lead := strings.ToLower(f[0])
	if i := strings.IndexByte(lead, '@'); i > 0 {
		lead = lead[:i]
	}
	if lead == "start" || lead == "mulai" {
		// A /start parameter is the link's own: taken as it is.
		if len(f) != 2 {
			return linkAction{}, false
		}
		return startParam(f[1])
	}
	if len(f) == 1 {
		// "sambung-CODE", "sponsor-TOKEN" in one word.
		a, ok := startParam(f[0])
		if ok && a.code != "" && !looksLikeCode(a.code) {
			return linkAction{}, false
		}
		return a, ok
	}
	if len(f) != 2 {
		// One word after the lead: words joined could spell a code ("sambung
		// ke HP saya dong" reads as KEHPSAYAD0NG).
		return linkAction{}, false
	}
	switch lead {
	case claimWord, "klaim":
		if looksLikeCode(f[1]) {
			return linkAction{code: f[1]}, true
		}
	case sponsorWord:
		if isToken(f[1]) {
			return linkAction{token: f[1]}, true
		}
	}
	return linkAction{}, false
}

// startParam reads a Telegram /start parameter: "sambung-CODE",
// "klaim-CODE" (its lead in any case) or "sponsor-TOKEN".
func startParam(p string) (linkAction, bool) {
	lead, rest, ok := strings.Cut(p, "-")
	if !ok || rest == "" {
		return linkAction{}, false
	}
	switch strings.ToLower(lead) + "-" {
	case claimPrefix, oldClaimPrefix:
		return linkAction{code: rest}, true
	case SponsorPrefix:
		return linkAction{token: rest}, true
	}
	return linkAction{}, false
}

// Lengths a typed claim code may have: the store's are 8 characters.
const (
	minCodeLen = 6
	maxCodeLen = 12
)

// looksLikeCode reports whether s could be a claim code as a person types
// it: dashes left out, any case, O for 0 and I or L for 1 (the letters the
// codes never hold), as the store reads it.
func looksLikeCode(s string) bool {
	s = strings.ToUpper(strings.ReplaceAll(s, "-", ""))
	s = strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(s)
	if len(s) < minCodeLen || len(s) > maxCodeLen {
		return false
	}
	return strings.Trim(s, kode.Alphabet) == ""
}

// isToken reports whether s could be a sponsor poster's token: URL-safe
// base64, as the store makes them.
// posterTokenLen is the length of a poster's token (18 random bytes in
// base64): no word of a name is that long.
const posterTokenLen = 24

// notAName reports whether a link's text could not be a name typed: it has
// a digit, or it carries a poster's token (which may have no digit at all).
func (l linkAction) notAName(text string) bool {
	return strings.ContainsAny(text, "0123456789") || len(l.token) >= posterTokenLen
}

func isToken(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return s != ""
}
