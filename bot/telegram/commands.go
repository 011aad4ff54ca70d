package telegram

import (
	"context"
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/locales"
)

// commands are the bot's command menu, in order: the Indonesian name, its
// English alias (flows accept both) and the key of the description, the same
// key in every language. What a paying member needs every month comes first
// (status, pay, card, then saving a little at a time and the savings
// balance). /sambung links a registration an RT/RW head or an
// agent made to this chat; flows keep /klaim as a hidden alias, which the
// menu no longer shows ("klaim" is BPJS's word for a benefit claim).
// /berhenti (stop broadcasts) and /stoplangganan (stop the monthly payment
// number) stay out of the menu: they are easy to mix up, and the messages
// that need them name them.
var commands = []struct{ id, en, key string }{
	{"mulai", "start", "telegram.command.mulai"},
	{"status", "status", "telegram.command.status"},
	{"bayar", "pay", "telegram.command.bayar"},
	{"kartu", "card", "telegram.command.kartu"},
	{"tabung", "save", "telegram.command.tabung"},
	{"saldo", "balance", "telegram.command.saldo"},
	{"sambung", "link", "telegram.command.sambung"},
	{"bantuan", "help", "telegram.command.bantuan"},
	{"kembali", "back", "telegram.command.kembali"},
	{"batal", "cancel", "telegram.command.batal"},
	{"bahasa", "language", "telegram.command.bahasa"},
	{"dataku", "mydata", "telegram.command.dataku"},
	{"hapus", "delete", "telegram.command.hapus"},
	{"agen", "agent", "telegram.command.agen"},
}

// SetCommands registers the command menu: the Indonesian commands for
// everyone, the English aliases for clients set to English.
func (c *Client) SetCommands(ctx context.Context, cat *locales.Catalog) error {
	api := c.api(ctx)
	for _, lang := range []string{"id", "en"} {
		cmds := make([]tgbotapi.BotCommand, 0, len(commands))
		for _, cm := range commands {
			name := cm.id
			if lang == "en" {
				name = cm.en
			}
			cmds = append(cmds, tgbotapi.BotCommand{Command: name, Description: cat.T(lang, cm.key, nil)})
		}
		cfg := tgbotapi.NewSetMyCommands(cmds...)
		if lang != locales.Default {
			cfg.LanguageCode = lang
		}
		if _, err := api.Request(cfg); err != nil {
			return fmt.Errorf("telegram: setMyCommands (%s): %w", lang, err)
		}
	}
	return nil
}
