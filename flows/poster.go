package flows

// The chat apps a sponsor's poster links to.
const (
	PosterTelegram = "telegram"
	PosterWhatsApp = "whatsapp"
)

// PosterLink is one link of a sponsor's poster: the chat app it opens
// (Channel, one of PosterTelegram and PosterWhatsApp), its name as people
// know it (App) and the link.
type PosterLink struct {
	Channel, App, URL string
}

// PosterLinks are the links of a sponsor's poster a deployment can open:
// Telegram's when the bot's username is known, WhatsApp's when the business
// number (WHATSAPP_DISPLAY_NUMBER) is set; none without either (then
// PosterCommand is what to type in any chat with the bot).
func PosterLinks(bot, number, token string) []PosterLink {
	var links []PosterLink
	if bot != "" {
		links = append(links, PosterLink{PosterTelegram, "Telegram", SponsorLink(bot, token)})
	}
	if number != "" {
		links = append(links, PosterLink{PosterWhatsApp, "WhatsApp", WhatsAppSponsorLink(number, token)})
	}
	return links
}

// PosterCommand is what a worker types in a chat with the bot to start a
// sponsor's claim when there is no link to open.
func PosterCommand(token string) string { return "/start " + SponsorPrefix + token }
