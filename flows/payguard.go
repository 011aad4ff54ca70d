package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lindungi/lindungi/payments"
)

// A payment code is asked for inside the chat's transaction: while the
// provider answers, the chat's session lock and one pooled database
// connection are held. payGuard keeps a slow or failing provider from
// holding them all (every other chat would then wait for a connection):
//   - at most a few calls at once; one more waits a moment for its turn,
//     then is refused;
//   - each call has PayTimeout;
//   - after payBreakAfter failures in a row (network errors, timeouts,
//     5xx, 429: payments.Transient), calls are refused for payBreakFor
//     (the provider is down), then one call tries again; a refusal of one
//     request (4xx) shows the provider is up.
//
// A refused call is an error like a failed one: the chat says the code
// cannot be made now and to try again, and the conversation stays.
type payGuard struct {
	p       Payer
	now     func() time.Time
	timeout time.Duration
	wait    time.Duration // for a free slot
	slots   chan struct{}

	mu       sync.Mutex
	failures int       // in a row
	openTill time.Time // refusing until then
	trying   bool      // the one call after a break is on its way
}

// The guard's limits: a few calls at once (the pool has 20 connections), a
// timeout well below the chat's patience, and a short break after failures.
const (
	defaultPayCalls   = 4
	defaultPayTimeout = 10 * time.Second
	payWait           = 2 * time.Second
	payBreakAfter     = 3
	payBreakFor       = 30 * time.Second
)

// Why a call was refused without asking the provider.
var (
	ErrPayBusy = errors.New("payment provider: too many calls at once")
	ErrPayDown = errors.New("payment provider: failing, calls paused")
)

func newPayGuard(p Payer, now func() time.Time, calls int, timeout time.Duration) *payGuard {
	if calls <= 0 {
		calls = defaultPayCalls
	}
	if timeout <= 0 {
		timeout = defaultPayTimeout
	}
	return &payGuard{p: p, now: now, timeout: timeout, wait: payWait, slots: make(chan struct{}, calls)}
}

// Create asks the provider for a payment code, within the guard's limits.
func (g *payGuard) Create(ctx context.Context, inv payments.Invoice) (ins payments.Instruction, err error) {
	g.mu.Lock()
	trial := false
	if now := g.now(); now.Before(g.openTill) {
		g.mu.Unlock()
		return payments.Instruction{}, ErrPayDown
	} else if g.failures >= payBreakAfter {
		// The break is over: one call finds out whether the provider is back.
		if g.trying {
			g.mu.Unlock()
			return payments.Instruction{}, ErrPayDown
		}
		g.trying, trial = true, true
	}
	g.mu.Unlock()
	turn := time.NewTimer(g.wait)
	defer turn.Stop()
	var refused error
	select {
	case g.slots <- struct{}{}:
	case <-turn.C:
		refused = ErrPayBusy
	case <-ctx.Done():
		refused = ctx.Err()
	}
	if refused != nil {
		if trial {
			g.mu.Lock()
			g.trying = false
			g.mu.Unlock()
		}
		return payments.Instruction{}, refused
	}
	defer func() { <-g.slots }()
	callCtx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	// The bookkeeping runs however the call ends (a panic too), so a trial
	// can never leave the guard refusing for good.
	answered := false
	defer func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if trial {
			g.trying = false
		}
		if !answered {
			return // it panicked: nothing to learn about the provider
		}
		var pe *payments.Error
		switch {
		case err == nil, errors.As(err, &pe) && pe.Kind == payments.Permanent:
			g.failures = 0 // the provider answered (a refusal of this request is its answer)
		case ctx.Err() != nil:
			// The caller gave up: that says nothing about the provider.
		case payments.IsTransient(err) || errors.Is(err, context.DeadlineExceeded):
			g.failures++
			if g.failures >= payBreakAfter {
				g.openTill = g.now().Add(payBreakFor)
			}
			err = fmt.Errorf("%w (%d failed in a row)", err, g.failures)
		}
		// Any other error was ours (an invoice the client refused to send).
	}()
	ins, err = g.p.Create(callCtx, inv)
	answered = true
	return ins, err
}
