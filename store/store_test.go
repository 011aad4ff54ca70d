package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/vault"
)

var dsn string

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &dsn)) }

func testVault(t *testing.T) *vault.Vault {
	v, err := vault.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func open(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, testVault(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMigrateConcurrentlyAndIdempotent(t *testing.T) {
	ctx := context.Background()
	fresh, drop, err := pgtest.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	var wg sync.WaitGroup
	applied := make(chan int, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(ctx, fresh, testVault(t), store.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Close()
			n, err := db.Migrate(ctx)
			if err != nil {
				t.Error(err)
			}
			applied <- n
		}()
	}
	wg.Wait()
	close(applied)
	total := 0
	for n := range applied {
		total += n
	}
	if total != store.SchemaVersion() {
		t.Errorf("%d migrations applied in all, want %d exactly once", total, store.SchemaVersion())
	}
	db, err := store.Open(ctx, fresh, testVault(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSchemaNewerThanBinaryIsRefused(t *testing.T) {
	u, drop, err := pgtest.Create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	db, err := store.Open(context.Background(), u, testVault(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.SQL().MustExec(`INSERT INTO schema_migrations (version, name) VALUES (999, '999_future.sql')`)
	_, err = db.Migrate(context.Background())
	var tooNew *store.ErrSchemaTooNew
	if !errors.As(err, &tooNew) || !strings.Contains(err.Error(), "version 999") {
		t.Fatalf("err = %v", err)
	}
	if err := db.Ready(context.Background()); err == nil {
		t.Errorf("Ready with a newer schema")
	}
}

func TestOpenExplainsMissingDatabase(t *testing.T) {
	_, err := store.Open(context.Background(), strings.Replace(dsn, "lindungi_test_", "nope_", 1), testVault(t), store.Options{})
	if err == nil || !strings.Contains(err.Error(), "no such database") {
		t.Fatalf("err = %v", err)
	}
}

func TestAtomicallyRollsBackEverything(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.Atomically(ctx, "t", "rollback", func(ctx context.Context, tx flows.Tx) error {
		s, _, err := tx.Begin(ctx, "u1")
		if err != nil {
			return err
		}
		s.State = "nik"
		if err := tx.SaveSession(ctx, s); err != nil {
			return err
		}
		if err := tx.Send(ctx, []flows.Reply{{Text: "hi"}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	var n int
	db.SQL().Get(&n, `SELECT (SELECT count(*) FROM sessions WHERE chat_id = 'rollback') + (SELECT count(*) FROM outbox WHERE chat_id = 'rollback')
		+ (SELECT count(*) FROM processed_updates WHERE update_id = 'u1')`)
	if n != 0 {
		t.Fatalf("%d rows survived the rollback", n)
	}
}

func TestSessionAnswersAreSealed(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	secret := "6171054508900777"
	err := db.Atomically(ctx, "t", "sealed", func(ctx context.Context, tx flows.Tx) error {
		s, _, err := tx.Begin(ctx, "")
		if err != nil {
			return err
		}
		if !s.New {
			t.Errorf("first load is not New")
		}
		s.State, s.Data.NIK, s.Data.Phone = "name", secret, "+6281234500077"
		return tx.SaveSession(ctx, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	db.SQL().Get(&raw, `SELECT data FROM sessions WHERE chat_id = 'sealed'`)
	if len(raw) == 0 || bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("nik")) {
		t.Fatalf("session data is not sealed: %q", raw)
	}
	db.Atomically(ctx, "t", "sealed", func(ctx context.Context, tx flows.Tx) error {
		s, _, err := tx.Begin(ctx, "")
		if err != nil {
			return err
		}
		if s.New || s.Data.NIK != secret || s.State != "name" {
			t.Errorf("reloaded session = %+v", s)
		}
		return nil
	})
}

func TestSessionLockSerialisesOneChat(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	// Each transaction reads a counter from the session and writes it back
	// incremented, slowly: without the row lock, updates would be lost.
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Atomically(ctx, "t", "counter", func(ctx context.Context, tx flows.Tx) error {
				s, _, err := tx.Begin(ctx, "")
				if err != nil {
					return err
				}
				time.Sleep(5 * time.Millisecond) // widen the window a lost update would need
				s.Data.Page++
				return tx.SaveSession(ctx, s)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	db.Atomically(ctx, "t", "counter", func(ctx context.Context, tx flows.Tx) error {
		s, _, _ := tx.Begin(ctx, "")
		if s.Data.Page != 10 {
			t.Errorf("counter = %d after 10 increments", s.Data.Page)
		}
		return nil
	})
}

func TestOutboxOrderAndMarking(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	db.Atomically(ctx, "t", "box", func(ctx context.Context, tx flows.Tx) error {
		return tx.Send(ctx, []flows.Reply{{Text: "one"}, {Text: "two", Choices: []flows.Choice{{Label: "A", Data: "x:a"}}}, {Text: "three"}})
	})
	p, err := db.PendingFor(ctx, "t", "box")
	if err != nil || len(p) != 3 || p[0].Reply.Text != "one" || p[2].Reply.Text != "three" {
		t.Fatalf("pending = %+v, %v", p, err)
	}
	if err := db.MarkSent(ctx, []int64{p[0].ID, p[1].ID}); err != nil {
		t.Fatal(err)
	}
	left, _ := db.PendingFor(ctx, "t", "box")
	if len(left) != 1 || left[0].Reply.Text != "three" {
		t.Fatalf("left = %+v", left)
	}
	ch, err := db.LastChoices(ctx, "t", "box")
	if err != nil || len(ch) != 1 || ch[0].Data != "x:a" {
		t.Fatalf("last choices = %+v, %v", ch, err)
	}
	all, _ := db.Pending(ctx, []string{"t"}, nil, 10)
	if len(all) == 0 {
		t.Fatal("Pending found nothing")
	}
	// What a deliverer has in hand is not read again.
	rest, err := db.Pending(ctx, []string{"t"}, []int64{all[0].ID}, 10)
	if err != nil || len(all) < 2 || len(rest) == 0 || rest[0].ID != all[1].ID {
		t.Fatalf("pending without %d = %+v, %v", all[0].ID, rest, err)
	}
}

func TestBeginDedupesUpdates(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		err := db.Atomically(ctx, "t", "dedupe", func(ctx context.Context, tx flows.Tx) error {
			s, ok, err := tx.Begin(ctx, "update-7")
			if err != nil {
				return err
			}
			if ok != want || (ok && s == nil) {
				t.Errorf("attempt %d: ok = %v, session %v", i, ok, s)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The same id on another channel is another update.
	db.Atomically(ctx, "other", "dedupe", func(ctx context.Context, tx flows.Tx) error {
		if _, ok, _ := tx.Begin(ctx, "update-7"); !ok {
			t.Error("update id of another channel taken as a duplicate")
		}
		return nil
	})
}

// Two transactions with the same update id at once: exactly one goes on.
func TestBeginDedupesConcurrentDuplicates(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	for round := range 20 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		processed := 0
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.Atomically(ctx, "t", fmt.Sprint("race", round), func(ctx context.Context, tx flows.Tx) error {
					s, ok, err := tx.Begin(ctx, fmt.Sprint("same", round))
					if err != nil || !ok {
						return err
					}
					mu.Lock()
					processed++
					mu.Unlock()
					return tx.SaveSession(ctx, s)
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if processed != 1 {
			t.Fatalf("round %d: the update was processed %d times", round, processed)
		}
	}
}

func TestConnectionOptions(t *testing.T) {
	db := open(t)
	var timeout, idle string
	if err := db.SQL().Get(&timeout, `SHOW statement_timeout`); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().Get(&idle, `SHOW idle_in_transaction_session_timeout`); err != nil {
		t.Fatal(err)
	}
	if timeout != "30s" || idle != "1min" {
		t.Errorf("statement_timeout %q, idle_in_transaction_session_timeout %q", timeout, idle)
	}
}

// Replies older than the retention go, in batches, delivered or not (one
// never delivered is stale by then); newer ones stay.
func TestPruneOutbox(t *testing.T) {
	ctx := context.Background()
	u, drop, err := pgtest.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	clk := &fakeClock{t: time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)}
	db, err := store.Open(ctx, u, testVault(t), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	send := func(chat string, n int) []int64 {
		replies := make([]flows.Reply, n)
		for i := range replies {
			replies[i] = flows.Reply{Text: fmt.Sprintf("Kode bayar %s-%d", chat, i)}
		}
		if err := db.Atomically(ctx, "t", chat, func(ctx context.Context, tx flows.Tx) error { return tx.Send(ctx, replies) }); err != nil {
			t.Fatal(err)
		}
		out, err := db.PendingFor(ctx, "t", chat)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, len(out))
		for i, o := range out {
			ids[i] = o.ID
		}
		return ids
	}
	old := send("old", 6001) // more than one batch
	if err := db.MarkSent(ctx, old[:6000]); err != nil {
		t.Fatal(err)
	}
	dropped := send("dropped", 1)
	if err := db.MarkDropped(ctx, dropped[0], "400 Bad Request"); err != nil {
		t.Fatal(err)
	}
	clk.Set(clk.Now().Add(31 * 24 * time.Hour))
	recent := send("recent", 2)
	if err := db.MarkSent(ctx, recent); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneOutbox(ctx, clk.Now().Add(-30*24*time.Hour))
	if err != nil || n != 6002 {
		t.Fatalf("pruned %d, %v; want 6002 (6000 delivered, 1 given up, 1 never delivered)", n, err)
	}
	var left []int64
	db.SQL().Select(&left, `SELECT id FROM outbox ORDER BY id`)
	if len(left) != 2 || left[0] != recent[0] || left[1] != recent[1] {
		t.Fatalf("left %v; want the recent %v", left, recent)
	}
	if n, err := db.PruneOutbox(ctx, clk.Now().Add(-30*24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("again: %d, %v", n, err)
	}
}
