package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
)

// Stored updates wait, sealed, until the engine's transaction handles them;
// storing one twice keeps one.
func TestInboxKeepsUpdatesUntilHandled(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	evs := []flows.Event{
		{Channel: "telegram", ChatID: "inbox-1", UpdateID: "inbox-u1", Kind: flows.KindText, Text: "6171054508900001"},
		{Channel: "telegram", ChatID: "inbox-2", UpdateID: "inbox-u2", Kind: flows.KindText, Text: "halo"},
	}
	must(t, db.StoreInbox(ctx, "telegram", evs))
	must(t, db.StoreInbox(ctx, "telegram", evs[:1])) // fetched again
	// The first is handled: its row goes in the same transaction.
	must(t, db.Atomically(ctx, "telegram", "inbox-1", func(ctx context.Context, tx flows.Tx) error {
		_, _, err := tx.Begin(ctx, "inbox-u1")
		return err
	}))
	left, err := db.InboxWaiting(ctx, "telegram", 10)
	if err != nil || len(left) != 1 || left[0].UpdateID != "inbox-u2" || left[0].Text != "halo" || left[0].ChatID != "inbox-2" {
		t.Fatalf("waiting %+v, %v", left, err)
	}
	assertNoClearText(t, db.SQL(), "6171054508900001")
}

// A process whose clock is behind the one that stored the updates (another
// machine; a test clock that starts again at its instant) still gets them
// all: the hand-over after a restart has no cut-off by time.
func TestInboxHandsOverUpdatesStoredByAFasterClock(t *testing.T) {
	ctx := context.Background()
	ahead, err := store.Open(ctx, dsn, testVault(t), store.Options{Now: func() time.Time { return clock.Now().Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer ahead.Close()
	must(t, ahead.StoreInbox(ctx, "telegram", []flows.Event{{Channel: "telegram", ChatID: "inbox-9", UpdateID: "inbox-u9", Kind: flows.KindText, Text: "halo"}}))
	left, err := open(t).InboxWaiting(ctx, "telegram", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range left {
		if ev.UpdateID == "inbox-u9" {
			return
		}
	}
	t.Fatalf("the update stored by a clock an hour ahead is not handed over: %+v", left)
}
