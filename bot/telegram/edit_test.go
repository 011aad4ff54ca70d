package telegram

import (
	"context"
	"testing"

	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/flows"
)

func TestSendEditableAndEdit(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	ctx := context.Background()
	ref, err := c.SendEditable(ctx, "8100", flows.Reply{Text: "1 / 10 terkirim", Choices: []flows.Choice{{Label: "⏸ Jeda", Data: "bx:pause:1"}}})
	if err != nil || ref == "" {
		t.Fatalf("SendEditable: %q, %v", ref, err)
	}
	if err := c.Edit(ctx, "8100", ref, flows.Reply{Text: "5 / 10 terkirim", Choices: []flows.Choice{{Label: "⏸ Jeda", Data: "bx:pause:1"}}}); err != nil {
		t.Fatal(err)
	}
	// The same text again is "not modified" for Telegram: not an error.
	if err := c.Edit(ctx, "8100", ref, flows.Reply{Text: "5 / 10 terkirim", Choices: []flows.Choice{{Label: "⏸ Jeda", Data: "bx:pause:1"}}}); err != nil {
		t.Errorf("an unchanged edit: %v", err)
	}
	msgs := srv.Messages(8100)
	if len(msgs) != 1 || msgs[0].Text != "5 / 10 terkirim" || msgs[0].Edits != 1 || len(msgs[0].InlineKeyboard()) != 1 {
		t.Fatalf("messages: %+v", msgs)
	}
	if err := c.Edit(ctx, "8100", "999", flows.Reply{Text: "x"}); err == nil {
		t.Errorf("editing a message that does not exist is not an error")
	}
	// A rich reply goes as HTML.
	if err := c.Send(ctx, "8101", flows.Reply{Text: "Batas *15 Desember*", Rich: true}); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(8101); len(m) != 1 || m[0].Text != "Batas <b>15 Desember</b>" || m[0].ParseMode != "HTML" {
		t.Errorf("rich message: %+v", m)
	}
}
