package web

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// countingOutbox counts the reads of waiting replies.
type countingOutbox struct {
	Outbox
	reads atomic.Int64
}

func (c *countingOutbox) PendingFor(ctx context.Context, channel, chatID string) ([]flows.Outgoing, error) {
	c.reads.Add(1)
	return c.Outbox.PendingFor(ctx, channel, chatID)
}

// Security review M3: an idle stream costs the database nothing (it waits
// for NOTIFY, not a timer), and a reply queued elsewhere (another process,
// a payment) still reaches it at once.
func TestIdleStreamsDoNotAskTheDatabase(t *testing.T) {
	o := testOptions()
	counting := &countingOutbox{Outbox: testDB}
	o.Outbox = counting
	srv := start(t, o, func(s *server) { s.heartbeat = 20 * time.Millisecond })
	c := newClient(t, srv)
	c.get("/").Body.Close()
	chat := c.chat()
	stream := openEvents(t, c)
	stream.next(t) // the first heartbeat: the stream has looked once
	before := counting.reads.Load()
	for range 10 { // 10 heartbeats, some 200 ms idle
		if ev := stream.next(t); !ev.comment {
			t.Fatalf("an idle stream got %+v", ev)
		}
	}
	if n := counting.reads.Load() - before; n != 0 {
		t.Errorf("an idle stream read the outbox %d times in 10 heartbeats", n)
	}
	// A reply queued by another transaction, not through this server.
	if err := testDB.Atomically(context.Background(), Channel, chat, func(ctx context.Context, tx flows.Tx) error {
		return tx.Send(ctx, []flows.Reply{{Text: "Pembayaran Anda sudah kami terima."}})
	}); err != nil {
		t.Fatal(err)
	}
	got := make(chan outReply, 1)
	go func() { got <- stream.reply(t) }()
	select {
	case r := <-got:
		if !strings.Contains(r.Text, "Pembayaran") {
			t.Errorf("got %+v", r)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a reply queued elsewhere did not wake the stream")
	}
}

// Streams are capped per address and in all; a new one closes the oldest.
func TestStreamsAreCappedOldestFirst(t *testing.T) {
	o := testOptions()
	o.StreamsPerAddress, o.MaxStreams = 2, 3
	srv := start(t, o, func(s *server) { s.heartbeat = 20 * time.Millisecond })
	c := newClient(t, srv)
	c.get("/").Body.Close()
	first := openEvents(t, c)
	first.next(t)
	second := openEvents(t, c)
	openEvents(t, c) // the third from this address: the first is closed
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, first.r); done <- err }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the oldest stream of the address was not closed")
	}
	if ev := second.next(t); !ev.comment {
		t.Errorf("the second stream got %+v", ev)
	}
	s := newStreams(2, 3)
	closed := map[string]int{}
	for i, addr := range []string{"a", "a", "b", "c"} {
		name := addr + string(rune('0'+i))
		s.open(addr, func() { closed[name]++ })
	}
	if all, mine := s.all.Len(), s.byAddr["a"].Len(); all != 3 || mine != 1 || closed["a0"] != 1 {
		t.Errorf("after 4 streams with max 3: %d in all, %d from a, closed %v", all, mine, closed)
	}
}
