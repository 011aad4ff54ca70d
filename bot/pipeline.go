package bot

import (
	"context"
	"sync"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// pipeline keeps the replies flowing without rounds: a chat whose replies
// are out is done, and the next chat starts at once, instead of every
// chat of a round waiting for its slowest. Each chat is served by at most
// one sender at a time (busy), so its replies still go one after another
// in commit order; a reply sent but not yet marked is never read again as
// waiting.
type pipeline struct {
	r     *round
	slots chan struct{} // one per send in flight (Workers)
	wg    sync.WaitGroup
	mu    sync.Mutex
	busy  map[string]bool // channel/chat being sent to
	taken map[int64]bool  // replies handed to a sender that has not finished
}

// newPipeline serves until stop ends; a call on its way then still
// finishes (cut off, it could have been delivered and would be sent again).
func newPipeline(stop context.Context, d *Deliverer) *pipeline {
	return &pipeline{
		r: &round{d: d, ctx: context.WithoutCancel(stop), stop: stop, lastMark: clock.Start(),
			unmarked: map[int64]bool{}, marked: map[int64]uint64{}},
		slots: make(chan struct{}, d.Workers),
		busy:  map[string]bool{},
		taken: map[int64]bool{},
	}
}

// fill reads the waiting replies and starts a sender for every chat that
// has some and is not being served, while senders are free (or, with
// wait, waiting for senders to free). It reports how many replies it read
// and how many chats it started.
func (p *pipeline) fill(channels []string, wait bool) (read, started int, err error) {
	d, r := p.r.d, p.r
	p.mu.Lock()
	r.mu.Lock()
	// What is in hand is not read again: only new work costs a look.
	skip := make([]int64, 0, len(p.taken)+len(r.unmarked)+len(r.marked))
	for id := range p.taken {
		skip = append(skip, id)
	}
	for id := range r.unmarked {
		skip = append(skip, id)
	}
	for id := range r.marked {
		skip = append(skip, id)
	}
	// Room past the new replies of busy chats, which wait for their sender.
	limit := d.Batch + d.ChatBurst*len(p.busy)
	began := r.markSeq
	r.mu.Unlock()
	p.mu.Unlock()
	pending, err := d.Outbox.Pending(r.stop, channels, skip, limit)
	if err != nil {
		return 0, 0, err
	}
	fresh := r.unsent(pending)
	r.mu.Lock()
	// What was marked before this read began, this read saw as sent; so
	// will every later one.
	for id, seq := range r.marked {
		if seq <= began {
			delete(r.marked, id)
		}
	}
	r.mu.Unlock()
	for _, q := range byChat(fresh) {
		key := q[0].Channel + "/" + q[0].ChatID
		p.mu.Lock()
		busy := p.busy[key]
		p.mu.Unlock()
		if busy {
			continue // its sender takes these after the ones it has
		}
		// The chat's sender may have finished since the read was filtered:
		// what it sent is now unmarked or marked (it records them before it
		// frees the chat), and must not go again.
		if q = r.unsent(q); len(q) == 0 {
			continue
		}
		if r.stop.Err() != nil || r.failed() {
			break
		}
		if wait {
			p.slots <- struct{}{}
		} else {
			select {
			case p.slots <- struct{}{}:
			default:
				return len(fresh), started, nil // every sender is busy: the rest waits its turn
			}
		}
		p.mu.Lock()
		p.busy[key] = true
		for _, o := range q {
			p.taken[o.ID] = true
		}
		p.mu.Unlock()
		started++
		p.wg.Add(1)
		go p.serve(key, q)
	}
	return len(fresh), started, nil
}

// unsent is q without the replies this pipeline has sent (marked or not).
func (r *round) unsent(q []flows.Outgoing) []flows.Outgoing {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := q[:0:0]
	for _, o := range q {
		if _, done := r.marked[o.ID]; !r.unmarked[o.ID] && !done {
			out = append(out, o)
		}
	}
	return out
}

// serve sends one chat's replies, then frees the sender and looks again.
func (p *pipeline) serve(key string, q []flows.Outgoing) {
	defer p.wg.Done()
	p.r.chat(q)
	p.mu.Lock()
	delete(p.busy, key)
	for _, o := range q { // the sent ones are unmarked now; the rest is due again
		delete(p.taken, o.ID)
	}
	last := len(p.busy) == 0
	p.mu.Unlock()
	<-p.slots
	// The last sender out marks what is left: nothing else would soon.
	if err := p.r.mark(last); err != nil {
		p.r.d.Log.Error("deliver: mark sent", "err", err)
	}
	p.r.d.Poke() // its next replies, or another chat's, may go now
}

// inFlight is the number of chats being served.
func (p *pipeline) inFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.busy)
}

// takeSoonest is how soon something waits to be retried (0: nothing known),
// forgetting it; a store error of the senders meanwhile is logged.
func (p *pipeline) takeSoonest() time.Duration {
	p.r.mu.Lock()
	defer p.r.mu.Unlock()
	s := p.r.soonest
	p.r.soonest = 0
	if err := p.r.err; err != nil {
		p.r.err = nil
		p.r.d.Log.Error("deliver", "err", err)
	}
	return s
}

// drain waits for the senders in flight and marks what they sent; it
// reports the first store error.
func (p *pipeline) drain() error {
	p.wg.Wait()
	if err := p.r.mark(true); err != nil {
		return err
	}
	return p.r.err
}
