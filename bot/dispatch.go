package bot

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// Handler processes one inbound event (the flows engine).
type Handler interface {
	Handle(ctx context.Context, ev flows.Event) ([]flows.Reply, error)
}

// Dispatcher runs events through the engine with a bounded number of
// workers. The events of one chat always go to the same worker, in the order
// they were submitted, so a chat's order is kept while different chats run
// concurrently. Duplicates are dropped by the engine (the update id is
// recorded in the same transaction as its effects).
type Dispatcher struct {
	h      Handler
	queues []chan job
	log    *slog.Logger
	wg     sync.WaitGroup
	once   sync.Once
	stop   chan struct{}
	// Observe, when set, is told how each event went and how long it took
	// (for metrics). Set it before the first Submit.
	Observe func(ev flows.Event, err error, took time.Duration)
}

type job struct {
	ctx  context.Context
	ev   flows.Event
	done chan<- error // nil: Enqueue's, retried until handled
}

// ErrStopped is returned for events submitted after Stop.
var ErrStopped = errors.New("dispatcher stopped")

// NewDispatcher starts workers (at least 1) that feed h.
func NewDispatcher(h Handler, workers int, log *slog.Logger) *Dispatcher {
	if workers < 1 {
		workers = 1
	}
	if log == nil {
		log = slog.Default()
	}
	d := &Dispatcher{h: h, queues: make([]chan job, workers), log: log, stop: make(chan struct{})}
	for i := range d.queues {
		d.queues[i] = make(chan job, 64)
		d.wg.Add(1)
		go d.work(d.queues[i])
	}
	return d
}

func (d *Dispatcher) work(q chan job) {
	defer d.wg.Done()
	for j := range q {
		err := d.handle(j)
		for attempt := 1; err != nil && j.done == nil && j.ctx.Err() == nil; attempt++ {
			// An enqueued update is retried in place, so the chat's later
			// ones wait behind it and its order holds; it is stored (an
			// inbox) and comes again after a restart if this never works.
			select {
			case <-time.After(min(time.Duration(attempt)*500*time.Millisecond, 5*time.Second)):
			case <-j.ctx.Done():
			}
			err = d.handle(j)
		}
		if j.done != nil {
			j.done <- err
		}
	}
}

func (d *Dispatcher) handle(j job) error {
	start := clock.Start()
	var err error
	if j.ctx.Err() != nil {
		err = j.ctx.Err()
	} else {
		_, err = d.h.Handle(j.ctx, j.ev)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		d.log.Error("handle update", "channel", j.ev.Channel, "chat_id", j.ev.ChatID, "update_id", j.ev.UpdateID, "err", err)
	}
	if d.Observe != nil {
		d.Observe(j.ev, err, start.Elapsed())
	}
	return err
}

// Enqueue hands the events to the workers in order and returns at once:
// for a channel that stored them first (an inbox), so the next ones can be
// fetched while these are handled. An event that fails is retried until
// it is handled or ctx ends, holding its chat's later events behind it.
func (d *Dispatcher) Enqueue(ctx context.Context, evs []flows.Event) error {
	for _, ev := range evs {
		if err := d.put(job{ctx: ctx, ev: ev}); err != nil {
			return err
		}
	}
	return nil
}

// put hands a job to its chat's worker, waiting while that worker is full.
func (d *Dispatcher) put(j job) error {
	select {
	case <-d.stop:
		return ErrStopped
	default:
	}
	select {
	case d.queue(j.ev) <- j:
		return nil
	case <-j.ctx.Done():
		return j.ctx.Err()
	case <-d.stop:
		return ErrStopped
	}
}

func (d *Dispatcher) queue(ev flows.Event) chan job {
	h := fnv.New32a()
	h.Write([]byte(ev.Channel))
	h.Write([]byte{0})
	h.Write([]byte(ev.ChatID))
	return d.queues[h.Sum32()%uint32(len(d.queues))]
}

// Submit hands the events to the workers and waits until every one has been
// processed (stored, with its replies in the outbox). It returns the first
// error; events of a chat after a failed one are still tried in order, and a
// caller that retries the batch is safe because processed events are
// recognised by their update id.
func (d *Dispatcher) Submit(ctx context.Context, evs []flows.Event) error {
	done := make(chan error, len(evs))
	for _, ev := range evs {
		if err := d.put(job{ctx: ctx, ev: ev, done: done}); err != nil {
			return err
		}
	}
	var first error
	for range evs {
		if err := <-done; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Stop lets the workers finish what they were given and waits for them.
// Submit must not be called concurrently with or after Stop.
func (d *Dispatcher) Stop() {
	d.once.Do(func() {
		close(d.stop)
		for _, q := range d.queues {
			close(q)
		}
	})
	d.wg.Wait()
}
