package telegram

import (
	"context"
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/locales"
)

// commands are the bot's commands: the Indonesian name, its English alias
// (flows accept both) and the key of the description, the same key in
// every language.
var commands = []struct{ id, en, key string }{
	{"mulai", "start", "telegram.command.mulai"},
	{"batal", "cancel", "telegram.command.batal"},
	{"kembali", "back", "telegram.command.kembali"},
	{"bantuan", "help", "telegram.command.bantuan"},
	{"bahasa", "language", "telegram.command.bahasa"},
	{"status", "status", "telegram.command.status"},
	{"dataku", "mydata", "telegram.command.dataku"},
	{"hapus", "delete", "telegram.command.hapus"},
	{"klaim", "claim", "telegram.command.klaim"},
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
