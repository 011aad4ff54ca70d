package telegram

import (
	"context"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/flows"
)

func TestRichHTML(t *testing.T) {
	tests := map[string]string{
		"Batas *15 Desember*.":      "Batas <b>15 Desember</b>.",
		"_Terima kasih_ <3 & salam": "<i>Terima kasih</i> &lt;3 &amp; salam",
		"5 * 3 = 15":                "5 * 3 = 15",
		"a_b_c":                     "a<i>b</i>c",
		"**":                        "**",
		"*tebal\nbaris lain*":       "*tebal\nbaris lain*",
		"nama_file dan *x*":         "nama_file dan <b>x</b>",
		"<script>alert(1)</script>": "&lt;script&gt;alert(1)&lt;/script&gt;",
		"*<b>*":                     "<b>&lt;b&gt;</b>",
	}
	for in, want := range tests {
		if got := RichHTML(in); got != want {
			t.Errorf("RichHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRichHTML(f *testing.F) {
	for _, s := range []string{"*a*", "_b_", "<&>", "*_x_*", "**__", "é*ü*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := RichHTML(s)
		for _, tag := range []string{"b", "i"} {
			if strings.Count(out, "<"+tag+">") != strings.Count(out, "</"+tag+">") {
				t.Fatalf("RichHTML(%q) = %q: unbalanced <%s>", s, out, tag)
			}
		}
		stripped := strings.NewReplacer("<b>", "", "</b>", "", "<i>", "", "</i>", "").Replace(out)
		if strings.ContainsAny(stripped, "<>") {
			t.Fatalf("RichHTML(%q) = %q: markup left unescaped", s, out)
		}
	})
}

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
