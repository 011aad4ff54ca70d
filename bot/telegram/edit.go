package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/markup"
)

var _ bot.Editor = (*Client)(nil)

// SendEditable sends a one-part text reply and returns its message id, to
// edit it later (a broadcast's progress).
func (c *Client) SendEditable(ctx context.Context, chatID string, r flows.Reply) (string, error) {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return "", &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("telegram: chat id %q is not a number", chatID)}
	}
	msg := tgbotapi.NewMessage(id, truncate(r.Text, maxText))
	msg.ReplyMarkup = c.markup(r)
	m, err := c.api(ctx).Send(msg)
	if err != nil {
		return "", classify(fmt.Errorf("telegram: sendMessage to chat %s: %w", chatID, err))
	}
	return strconv.Itoa(m.MessageID), nil
}

// Edit replaces the text and buttons of a message SendEditable sent. An edit
// that changes nothing is not an error.
func (c *Client) Edit(ctx context.Context, chatID, ref string, r flows.Reply) error {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("telegram: chat id %q is not a number", chatID)}
	}
	msgID, err := strconv.Atoi(ref)
	if err != nil {
		return &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("telegram: message id %q is not a number", ref)}
	}
	edit := tgbotapi.NewEditMessageText(id, msgID, truncate(r.Text, maxText))
	if kb := c.inlineKeyboard(r.Choices); kb != nil {
		edit.ReplyMarkup = kb
	}
	if _, err := c.api(ctx).Send(edit); err != nil {
		if te, ok := apiError(err); ok && te.Code == 400 && strings.Contains(strings.ToLower(te.Message), "message is not modified") {
			return nil
		}
		return classify(fmt.Errorf("telegram: editMessageText in chat %s: %w", chatID, err))
	}
	return nil
}

// truncate cuts a text to at most n characters (UTF-16 units, as Telegram counts).
func truncate(s string, n int) string {
	if parts := split(s, n); len(parts) > 0 {
		return parts[0]
	}
	return s
}

// RichHTML turns a text marked with *bold* and _italic_ into Telegram's
// HTML (markup.HTML).
func RichHTML(s string) string { return markup.HTML(s) }
