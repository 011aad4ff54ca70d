package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// A message's status moves forward only, whatever order the webhooks come
// in; a failure reaches the reply it carried, also when its status came
// before the send's answer was recorded, and a reply queued again while
// its marking was on its way is not marked sent.
func TestChannelMessageStatuses(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	const chat = "ID.99001"
	if err := db.QueueReplies(ctx, "whatsapp", chat, []flows.Reply{{Text: "satu"}, {Text: "dua"}}); err != nil {
		t.Fatal(err)
	}
	out, err := db.Pending(ctx, []string{"whatsapp"}, nil, 10)
	if err != nil || len(out) != 2 {
		t.Fatalf("pending %v %v", out, err)
	}
	one, two := out[0].ID, out[1].ID
	delivery := func(id int64) string {
		var s string
		if err := db.SQL().Get(&s, `SELECT delivery FROM outbox WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if failed, err := db.RecordSent(ctx, "whatsapp", []flows.SentMessage{{ID: "wamid.1", ChatID: chat, OutboxID: one}}); err != nil || len(failed) != 0 {
		t.Fatalf("record sent: %v %v", failed, err)
	}
	// read before delivered: read stays.
	for _, st := range []string{"read", "delivered", "sent"} {
		if failed, err := db.RecordStatuses(ctx, "whatsapp", []flows.MessageStatus{{ID: "wamid.1", ChatID: chat, Status: st}}); err != nil || len(failed) != 0 {
			t.Fatalf("%s: %v %v", st, failed, err)
		}
	}
	var status string
	db.SQL().Get(&status, `SELECT status FROM channel_messages WHERE message_id = 'wamid.1' AND outbox_id = $1`, one)
	if status != "read" || delivery(one) != "" {
		t.Errorf("status %q (delivery %q) after read, delivered, sent", status, delivery(one))
	}
	// A failure reported before the send's answer was recorded comes back from RecordSent.
	if _, err := db.RecordStatuses(ctx, "whatsapp", []flows.MessageStatus{{ID: "wamid.2", ChatID: chat, Status: "failed", Error: "window", Code: 131047}}); err != nil {
		t.Fatal(err)
	}
	failed, err := db.RecordSent(ctx, "whatsapp", []flows.SentMessage{{ID: "wamid.2", ChatID: chat, OutboxID: two}})
	if err != nil || len(failed) != 1 || failed[0].OutboxID != two || failed[0].Code != 131047 {
		t.Fatalf("record sent after its failure: %+v %v", failed, err)
	}
	if got := delivery(two); got != "failed" {
		t.Errorf("delivery %q", got)
	}
	// Queued again before it was marked: marking leaves it waiting.
	if err := db.Resend(ctx, two, "again as a template"); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, []int64{one, two}); err != nil {
		t.Fatal(err)
	}
	out, _ = db.Pending(ctx, []string{"whatsapp"}, nil, 10)
	if len(out) != 1 || out[0].ID != two {
		t.Fatalf("waiting after marking: %+v", out)
	}
	// Its next attempt clears the word on the last one, and is marked.
	if failed, err := db.RecordSent(ctx, "whatsapp", []flows.SentMessage{{ID: "wamid.3", ChatID: chat, OutboxID: two}}); err != nil || len(failed) != 0 {
		t.Fatalf("%v %v", failed, err)
	}
	if err := db.MarkSent(ctx, []int64{two}); err != nil {
		t.Fatal(err)
	}
	if out, _ = db.Pending(ctx, []string{"whatsapp"}, nil, 10); len(out) != 0 {
		t.Fatalf("still waiting: %+v", out)
	}
}

// The window: open from the chat's last message, closed when the channel
// said so, open again when the chat writes.
func TestLastInbound(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	const chat = "ID.99002"
	if at, err := db.LastInbound(ctx, "whatsapp", chat); err != nil || !at.IsZero() {
		t.Fatalf("a chat that never wrote: %v %v", at, err)
	}
	wrote := clock.Now().Add(-time.Hour).Truncate(time.Microsecond)
	db.SQL().MustExec(`INSERT INTO sessions (channel, chat_id, created_at, updated_at) VALUES ('whatsapp', $1, $2, $2)`, chat, wrote)
	if at, _ := db.LastInbound(ctx, "whatsapp", chat); !at.Equal(wrote) {
		t.Fatalf("last inbound %v, want %v", at, wrote)
	}
	if err := db.CloseWindow(ctx, "whatsapp", chat, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if at, _ := db.LastInbound(ctx, "whatsapp", chat); !at.IsZero() {
		t.Fatalf("closed, yet %v", at)
	}
	db.SQL().MustExec(`UPDATE sessions SET updated_at = $2 WHERE channel = 'whatsapp' AND chat_id = $1`, chat, clock.Now().Add(time.Second))
	if at, _ := db.LastInbound(ctx, "whatsapp", chat); at.IsZero() {
		t.Fatal("wrote again, still closed")
	}
}

// Lists in pages are sealed, found again, and forgotten after a week.
func TestMenus(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	r := flows.Reply{Text: "Pilih desa", Choices: []flows.Choice{{Label: "Darat Sekip", Data: "vl:1"}}}
	if err := db.SaveMenu(ctx, "whatsapp", "ID.99003", "k1", r); err != nil {
		t.Fatal(err)
	}
	got, err := db.Menu(ctx, "whatsapp", "ID.99003", "k1")
	if err != nil || got.Text != r.Text || len(got.Choices) != 1 {
		t.Fatalf("menu %+v %v", got, err)
	}
	var sealed []byte
	db.SQL().Get(&sealed, `SELECT reply FROM channel_menus WHERE key = 'k1'`)
	if len(sealed) == 0 || bytes.Contains(sealed, []byte("Darat Sekip")) {
		t.Fatal("the list is kept in clear")
	}
	if _, err := db.Menu(ctx, "whatsapp", "ID.99003", "other"); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("a missing menu: %v", err)
	}
}

// Several sends are kept in one statement, each with its reply.
func TestRecordSentBatch(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if err := db.QueueReplies(ctx, "whatsapp", "ID.99011", []flows.Reply{{Text: "a"}, {Text: "b"}}); err != nil {
		t.Fatal(err)
	}
	out, _ := db.Pending(ctx, []string{"whatsapp"}, nil, 10)
	var batch []flows.SentMessage
	for i, o := range out {
		batch = append(batch, flows.SentMessage{ID: fmt.Sprintf("wamid.b%d", i), ChatID: o.ChatID, OutboxID: o.ID})
	}
	batch = append(batch, flows.SentMessage{ID: "wamid.bc", ChatID: "ID.99012", BroadcastID: 77})
	if _, err := db.RecordStatuses(ctx, "whatsapp", []flows.MessageStatus{{ID: "wamid.b1", ChatID: "ID.99011", Status: "failed", Code: 131026}}); err != nil {
		t.Fatal(err)
	}
	failed, err := db.RecordSent(ctx, "whatsapp", batch)
	if err != nil || len(failed) != 1 || failed[0].OutboxID != out[1].ID {
		t.Fatalf("failed %+v %v", failed, err)
	}
	var n int
	db.SQL().Get(&n, `SELECT count(*) FROM channel_messages WHERE message_id LIKE 'wamid.b%' AND (outbox_id IS NOT NULL OR broadcast_id = 77)`)
	if n != 3 {
		t.Fatalf("%d of 3 kept with what they carried", n)
	}
}
