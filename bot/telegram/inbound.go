package telegram

import (
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/flows"
)

// ToEvent translates one update. ok is false for updates the bot does not
// act on (edited messages, membership changes, service messages…).
func ToEvent(u tgbotapi.Update) (flows.Event, bool) {
	ev := flows.Event{Channel: Channel, UpdateID: strconv.Itoa(u.UpdateID)}
	switch {
	case u.Message != nil:
		return messageEvent(ev, u.Message)
	case u.ChannelPost != nil:
		return messageEvent(ev, u.ChannelPost)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if q.From == nil {
			return ev, false
		}
		ev.UserID = strconv.FormatInt(q.From.ID, 10)
		ev.Lang = Lang(q.From.LanguageCode)
		// In a private chat the chat id is the user id; the message is
		// missing only when it is too old for Telegram to include.
		ev.ChatID = ev.UserID
		if q.Message != nil && q.Message.Chat != nil {
			ev.ChatID = strconv.FormatInt(q.Message.Chat.ID, 10)
			if q.Message.Chat.Type != "private" {
				ev.Kind = flows.KindGroup
				return ev, true
			}
		}
		if q.Data == "" { // a game button: not ours
			return ev, false
		}
		ev.Kind, ev.Choice = flows.KindChoice, q.Data
		return ev, true
	}
	return ev, false
}

func messageEvent(ev flows.Event, m *tgbotapi.Message) (flows.Event, bool) {
	if m.Chat == nil {
		return ev, false
	}
	ev.ChatID = strconv.FormatInt(m.Chat.ID, 10)
	switch {
	case m.From != nil:
		ev.UserID = strconv.FormatInt(m.From.ID, 10)
		ev.Lang = Lang(m.From.LanguageCode)
	case m.SenderChat != nil: // a channel post, or an anonymous group admin
		ev.UserID = strconv.FormatInt(m.SenderChat.ID, 10)
	}
	if m.Chat.Type != "private" {
		// Anything in a group, even "bot added": the flow says once that
		// the bot works in private chats, then stays quiet.
		ev.Kind = flows.KindGroup
		return ev, true
	}
	switch {
	case m.Text != "":
		ev.Kind, ev.Text = flows.KindText, m.Text
	case m.Contact != nil:
		ev.Kind = flows.KindContact
		ev.Contact = &flows.Contact{Phone: m.Contact.PhoneNumber}
		if m.Contact.UserID != 0 {
			ev.Contact.UserID = strconv.FormatInt(m.Contact.UserID, 10)
		}
	case service(m):
		return ev, false
	default:
		// Sticker, photo, voice, audio, video, document, location, poll,
		// and kinds newer than the library: answered politely.
		ev.Kind = flows.KindMedia
	}
	return ev, true
}

// service reports whether a message is a service message (members joining,
// a pinned message, a changed timer…) rather than something a person sent.
func service(m *tgbotapi.Message) bool {
	return len(m.NewChatMembers) > 0 || m.LeftChatMember != nil || m.NewChatTitle != "" ||
		len(m.NewChatPhoto) > 0 || m.DeleteChatPhoto || m.GroupChatCreated || m.SuperGroupChatCreated ||
		m.ChannelChatCreated || m.MessageAutoDeleteTimerChanged != nil || m.MigrateToChatID != 0 ||
		m.MigrateFromChatID != 0 || m.PinnedMessage != nil || m.SuccessfulPayment != nil ||
		m.ConnectedWebsite != "" || m.ProximityAlertTriggered != nil || m.VoiceChatScheduled != nil ||
		m.VoiceChatStarted != nil || m.VoiceChatEnded != nil || m.VoiceChatParticipantsInvited != nil
}

// Lang maps a Telegram client's language_code to one of ours: "en…" → "en",
// "id…" and the old code "in" → "id", anything else → "".
func Lang(code string) string {
	primary, _, _ := strings.Cut(strings.ToLower(code), "-")
	primary, _, _ = strings.Cut(primary, "_")
	switch primary {
	case "en":
		return "en"
	case "id", "in":
		return "id"
	}
	return ""
}
