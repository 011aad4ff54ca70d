package bot_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
)

// recorder is a Handler that notes the order of each chat's events and how
// many run at once.
type recorder struct {
	mu      sync.Mutex
	order   map[string][]int
	running atomic.Int32
	most    atomic.Int32
	fail    string
}

func (r *recorder) Handle(ctx context.Context, ev flows.Event) ([]flows.Reply, error) {
	n := r.running.Add(1)
	defer r.running.Add(-1)
	for {
		m := r.most.Load()
		if n <= m || r.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	if ev.UpdateID == r.fail {
		return nil, errors.New("boom")
	}
	seq, _ := strconv.Atoi(ev.Text)
	r.mu.Lock()
	r.order[ev.ChatID] = append(r.order[ev.ChatID], seq)
	r.mu.Unlock()
	return nil, nil
}

func TestDispatcherKeepsOrderPerChatWithBoundedWorkers(t *testing.T) {
	rec := &recorder{order: map[string][]int{}}
	d := bot.NewDispatcher(rec, 8, nil)
	defer d.Stop()
	// 200 chats, 10 messages each, submitted in interleaved batches from 4 goroutines.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := range 10 {
				var batch []flows.Event
				for c := g; c < 200; c += 4 {
					batch = append(batch, flows.Event{Channel: "t", ChatID: fmt.Sprint(c), Text: strconv.Itoa(seq), UpdateID: fmt.Sprint(c, "-", seq)})
				}
				if err := d.Submit(context.Background(), batch); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if len(rec.order) != 200 {
		t.Fatalf("%d chats handled", len(rec.order))
	}
	for chat, seqs := range rec.order {
		for i, s := range seqs {
			if s != i {
				t.Fatalf("chat %s handled in order %v", chat, seqs)
			}
		}
	}
	if m := rec.most.Load(); m > 8 || m < 2 {
		t.Errorf("%d events ran at once with 8 workers", m)
	}
}

func TestDispatcherReportsFailures(t *testing.T) {
	rec := &recorder{order: map[string][]int{}, fail: "x"}
	d := bot.NewDispatcher(rec, 2, nil)
	err := d.Submit(context.Background(), []flows.Event{{ChatID: "1", Text: "0", UpdateID: "ok"}, {ChatID: "2", UpdateID: "x"}})
	if err == nil {
		t.Fatal("a failed event was not reported")
	}
	d.Stop()
	if err := d.Submit(context.Background(), []flows.Event{{ChatID: "1"}}); !errors.Is(err, bot.ErrStopped) {
		t.Fatalf("after Stop: %v", err)
	}
}
