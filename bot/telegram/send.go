package telegram

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
)

// Telegram's limits (Bot API documentation; the button count is
// community-measured).
const (
	maxText         = 4096 // characters of one message (counted in UTF-16 units, as Telegram does)
	maxCallbackData = 64   // bytes of a button's callback_data
	maxPerRow       = 8    // buttons in one row of an inline keyboard
	maxButtons      = 100  // buttons in one inline keyboard
	shortLabel      = 16   // characters: two buttons this short fit side by side on a phone
)

var _ bot.PartSender = (*Client)(nil)

// Send delivers one reply to a chat: choices become an inline keyboard, a
// contact question a one-time reply keyboard with a request_contact button,
// and any other reply removes a reply keyboard left from an earlier contact
// question. A text longer than Telegram's limit goes out in parts split at
// line breaks, the keyboard on the last part. Failures are *bot.SendError.
func (c *Client) Send(ctx context.Context, chatID string, r flows.Reply) error {
	return c.SendFrom(ctx, chatID, r, 0)
}

// SendFrom sends a reply from its part from on (bot.PartSender): a card is
// the first part, then the text's parts. A failure says in
// bot.SendError.Delivered how many parts went out.
func (c *Client) SendFrom(ctx context.Context, chatID string, r flows.Reply, from int) error {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("telegram: chat id %q is not a number", chatID)}
	}
	first := 0 // the part number of the text's first part
	if r.Photo != "" {
		// The card is part 0 whether or not this client can draw it, so
		// that every process numbers the parts alike.
		first = 1
		if c.photos != nil {
			if from == 0 {
				captioned, err := c.sendPhoto(ctx, id, chatID, r)
				if err != nil || captioned || r.Text == "" {
					return err
				}
			}
			// The card went out without its text (too long for a caption),
			// and the card carried the buttons: the text follows on its own.
			r = flows.Reply{Text: r.Text}
		}
	}
	parts := split(r.Text, maxText)
	if len(parts) == 0 {
		return &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("telegram: empty reply to chat %s", chatID)}
	}
	api := c.api(ctx)
	for i, text := range parts {
		if first+i < from {
			continue // delivered by an earlier attempt
		}
		msg := tgbotapi.NewMessage(id, text)
		if r.Rich {
			msg.Text, msg.ParseMode = RichHTML(text), tgbotapi.ModeHTML
		}
		if i == len(parts)-1 {
			msg.ReplyMarkup = c.markup(r)
		}
		if _, err := api.Send(msg); err != nil {
			se := classify(fmt.Errorf("telegram: sendMessage to chat %s (part %d of %d): %w", chatID, first+i+1, first+len(parts), err))
			se.Delivered = first + i
			return se
		}
	}
	return nil
}

// markup is the reply_markup of a reply.
func (c *Client) markup(r flows.Reply) any {
	if kb := c.inlineKeyboard(r.Choices); kb != nil {
		return kb
	}
	if r.Input == flows.InputContact && r.InputLabel != "" {
		kb := tgbotapi.NewOneTimeReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact(r.InputLabel)))
		kb.ResizeKeyboard = true
		return kb
	}
	return tgbotapi.NewRemoveKeyboard(false)
}

// inlineKeyboard lays out choices: short labels two to a row, long ones one
// to a row, the ‹ › paging buttons together on one row. nil when there are no
// usable choices.
func (c *Client) inlineKeyboard(choices []flows.Choice) *tgbotapi.InlineKeyboardMarkup {
	var rows [][]tgbotapi.InlineKeyboardButton
	pagerRow := -1
	var pending *tgbotapi.InlineKeyboardButton // a short button waiting for a neighbour
	flush := func() {
		if pending != nil {
			rows = append(rows, []tgbotapi.InlineKeyboardButton{*pending})
			pending = nil
		}
	}
	n := 0
	for _, ch := range choices {
		if ch.Data == "" || len(ch.Data) > maxCallbackData || ch.Label == "" {
			c.log.Warn("telegram: button skipped: callback_data must be 1–64 bytes and the label not empty",
				"data_bytes", len(ch.Data))
			continue
		}
		if n == maxButtons {
			c.log.Warn("telegram: too many buttons; the rest are skipped", "buttons", len(choices))
			break
		}
		n++
		b := tgbotapi.NewInlineKeyboardButtonData(ch.Label, ch.Data)
		switch {
		case pager(ch):
			flush()
			if pagerRow < 0 || len(rows[pagerRow]) == maxPerRow {
				rows = append(rows, nil)
				pagerRow = len(rows) - 1
			}
			rows[pagerRow] = append(rows[pagerRow], b)
		case utf8.RuneCountInString(ch.Label) > shortLabel:
			flush()
			rows = append(rows, []tgbotapi.InlineKeyboardButton{b})
		case pending != nil:
			rows = append(rows, []tgbotapi.InlineKeyboardButton{*pending, b})
			pending = nil
		default:
			pending = &b
		}
	}
	flush()
	if len(rows) == 0 {
		return nil
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &kb
}

// pager reports whether a choice is a ‹ or › paging button (flows give them
// data "<prefix>:pg:<page>").
func pager(ch flows.Choice) bool {
	return strings.Contains(ch.Data, ":pg:") || strings.HasPrefix(ch.Label, "‹") || strings.Contains(ch.Label, "›")
}

// split cuts text into Telegram's parts (bot.SplitText).
func split(text string, limit int) []string { return bot.SplitText(text, limit) }

// units is the length of s in UTF-16 code units, how Telegram counts.
func units(s string) int { return bot.TextUnits(s) }

var retryAfterText = regexp.MustCompile(`retry after (\d+)`)

// classify turns a Bot API call's error into a *bot.SendError:
// 429 → Throttled (retry_after), 403 and 400 "chat not found" → Unreachable,
// other 400 → Permanent; 5xx, other codes, timeouts and network errors →
// Retryable.
func classify(err error) *bot.SendError {
	te, ok := apiError(err)
	if !ok {
		return &bot.SendError{Kind: bot.Retryable, Err: err}
	}
	desc := strings.ToLower(te.Message)
	switch {
	case te.Code == 429:
		wait := time.Duration(te.RetryAfter) * time.Second
		if wait <= 0 {
			if m := retryAfterText.FindStringSubmatch(desc); m != nil {
				n, _ := strconv.Atoi(m[1])
				wait = time.Duration(n) * time.Second
			}
		}
		if wait <= 0 {
			wait = time.Second
		}
		return &bot.SendError{Kind: bot.Throttled, RetryAfter: wait, Err: err}
	case te.Code == 403:
		// "bot was blocked by the user", "user is deactivated",
		// "bot can't initiate conversation with a user", "bot was kicked…"
		return &bot.SendError{Kind: bot.Unreachable, Err: err}
	case te.Code == 400 && (strings.Contains(desc, "chat not found") || strings.Contains(desc, "peer_id_invalid")):
		return &bot.SendError{Kind: bot.Unreachable, Err: err}
	case te.Code == 400:
		return &bot.SendError{Kind: bot.Permanent, Err: err}
	}
	// 5xx, and codes that mean our configuration is wrong (401 bad token,
	// 404, 409): retry rather than drop replies.
	return &bot.SendError{Kind: bot.Retryable, Err: err}
}

// harmless400 are the Bot API's answers that mean the housekeeping of a
// button press has nothing (left) to do.
var harmless400 = []string{
	"message is not modified",      // the keyboard is already gone
	"query is too old",             // the callback was answered late (after a restart)
	"message to edit not found",    // the user deleted the message
	"message can't be edited",      // older than 48 hours
	"query id is invalid",          // same as too old
	"message_id_invalid",           // a message from before a chat migration
	"have no rights to send",       // a group that muted the bot
	"not enough rights to send",    // idem
	"bot was blocked by the user",  // not a 400, but nothing to do either
	"user is deactivated",          // idem
	"bot can't initiate conversat", // idem
}

func harmless(err error) bool {
	te, ok := apiError(err)
	if !ok || (te.Code != 400 && te.Code != 403) {
		return false
	}
	desc := strings.ToLower(te.Message)
	for _, s := range harmless400 {
		if strings.Contains(desc, s) {
			return true
		}
	}
	return false
}

// Acknowledge does the housekeeping of a button press: it answers the
// callback query (the client stops its spinner) and removes the inline
// keyboard from the pressed message, so its buttons cannot be pressed twice
// to effect. Updates that are not callback queries are ignored. Answers that
// mean there is nothing left to do ("message is not modified", "query is too
// old"…) are not errors.
func (c *Client) Acknowledge(ctx context.Context, u tgbotapi.Update) error {
	q := u.CallbackQuery
	if q == nil {
		return nil
	}
	api := c.api(ctx)
	var errs []error
	if _, err := api.Request(tgbotapi.NewCallback(q.ID, "")); err != nil && !harmless(err) {
		errs = append(errs, fmt.Errorf("telegram: answerCallbackQuery: %w", err))
	}
	empty := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	var edit tgbotapi.EditMessageReplyMarkupConfig
	switch {
	case q.Message != nil && q.Message.Chat != nil:
		edit = tgbotapi.NewEditMessageReplyMarkup(q.Message.Chat.ID, q.Message.MessageID, empty)
	case q.InlineMessageID != "":
		edit = tgbotapi.EditMessageReplyMarkupConfig{BaseEdit: tgbotapi.BaseEdit{InlineMessageID: q.InlineMessageID, ReplyMarkup: &empty}}
	default:
		return errors.Join(errs...)
	}
	if _, err := api.Request(edit); err != nil && !harmless(err) {
		errs = append(errs, fmt.Errorf("telegram: editMessageReplyMarkup: %w", err))
	}
	return errors.Join(errs...)
}

// ackWorkers answer button presses at once, each press in turn; up to
// ackQueue more wait for them (then AcknowledgeSoon waits too).
const (
	ackWorkers = 512
	ackQueue   = 4096
)

// AcknowledgeSoon acknowledges a button press in the background, at once
// and alongside the others (answerCallbackQuery first: it stops the
// spinner on the worker's phone), whatever the engine is doing.
func (c *Client) AcknowledgeSoon(u tgbotapi.Update) {
	if u.CallbackQuery == nil {
		return
	}
	c.ackOnce.Do(func() {
		for range ackWorkers {
			go func() {
				for u := range c.acks {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					if err := c.Acknowledge(ctx, u); err != nil {
						c.log.Warn("telegram: acknowledge button press", "err", err, "update_id", u.UpdateID)
					}
					cancel()
				}
			}()
		}
	})
	c.acks <- u
}

// maxCaption is Telegram's limit for a photo's caption.
const maxCaption = 1024

// sendPhoto sends a reply's card, its text as the caption when it fits;
// captioned says whether it did.
func (c *Client) sendPhoto(ctx context.Context, id int64, chatID string, r flows.Reply) (captioned bool, err error) {
	img, err := c.photos.Photo(ctx, r.Photo)
	if err != nil {
		return false, &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("telegram: draw %s for chat %s: %w", r.Photo, chatID, err)}
	}
	msg := tgbotapi.NewPhoto(id, tgbotapi.FileBytes{Name: "kartu.png", Bytes: img})
	if units(r.Text) <= maxCaption {
		msg.Caption = r.Text
	}
	msg.ReplyMarkup = c.markup(r)
	if _, err := c.api(ctx).Send(msg); err != nil {
		return false, classify(fmt.Errorf("telegram: sendPhoto to chat %s: %w", chatID, err))
	}
	return msg.Caption != "", nil
}
