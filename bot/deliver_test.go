package bot_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/vault"
)

var dsn string

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &dsn)) }

type recorder struct {
	mu   sync.Mutex
	got  map[string][]string
	fail map[string]bool
}

func (r *recorder) Send(ctx context.Context, chatID string, rep flows.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail[chatID] {
		return errors.New("chat unreachable")
	}
	r.got[chatID] = append(r.got[chatID], rep.Text)
	return nil
}

func TestDelivererSendsInOrderAndMarks(t *testing.T) {
	ctx := context.Background()
	v, _ := vault.New(bytes.Repeat([]byte{1}, 32))
	db, err := store.Open(ctx, dsn, v, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, chat := range []string{"a", "b", "bad"} {
		db.Atomically(ctx, "fake", chat, func(ctx context.Context, tx flows.Tx) error {
			return tx.Send(ctx, []flows.Reply{{Text: chat + "1"}, {Text: chat + "2"}})
		})
	}
	// The console's replies are not the deliverer's to send.
	db.Atomically(ctx, "console", "1", func(ctx context.Context, tx flows.Tx) error {
		return tx.Send(ctx, []flows.Reply{{Text: "terminal"}})
	})
	rec := &recorder{got: map[string][]string{}, fail: map[string]bool{"bad": true}}
	d := &bot.Deliverer{Outbox: db, Senders: map[string]bot.Sender{"fake": rec}, Batch: 100}
	n, err := d.Round(ctx, []string{"fake"})
	if err != nil || n != 6 {
		t.Fatalf("round: %d, %v", n, err)
	}
	if got := rec.got["a"]; len(got) != 2 || got[0] != "a1" || got[1] != "a2" {
		t.Errorf("chat a got %v", got)
	}
	left, _ := db.Pending(ctx, []string{"fake"}, 10)
	if len(left) != 2 || left[0].ChatID != "bad" {
		t.Fatalf("left after the round: %+v", left)
	}
	var attempts int
	db.SQL().Get(&attempts, `SELECT attempts FROM outbox WHERE id = $1`, left[0].ID)
	if attempts != 1 {
		t.Errorf("failed reply has %d attempts; the one after it must not have been tried", attempts)
	}
	if c, _ := db.PendingFor(ctx, "console", "1"); len(c) != 1 {
		t.Errorf("console reply touched")
	}
}
