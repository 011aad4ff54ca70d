package flows

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/payments"
)

// stubPayer stands in for a provider's client: it answers after release is
// closed (if set), failing while fail is set.
type stubPayer struct {
	calls   atomic.Int32
	inside  chan struct{} // told when a call starts
	release chan struct{}
	fail    atomic.Bool
	refuse  atomic.Bool // answers 4xx
	panics  atomic.Bool
}

func (s *stubPayer) Create(ctx context.Context, inv payments.Invoice) (payments.Instruction, error) {
	s.calls.Add(1)
	if s.inside != nil {
		s.inside <- struct{}{}
	}
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return payments.Instruction{}, ctx.Err()
		}
	}
	if s.fail.Load() {
		return payments.Instruction{}, &payments.Error{Provider: "midtrans", Op: "charge", Kind: payments.Transient, HTTPStatus: 502}
	}
	if s.refuse.Load() {
		return payments.Instruction{}, &payments.Error{Provider: "midtrans", Op: "charge", Kind: payments.Permanent, HTTPStatus: 402,
			Message: "Payment channel is not activated."}
	}
	if s.panics.Load() {
		panic("provider client bug")
	}
	return payments.Instruction{OrderID: inv.OrderID, Amount: inv.Amount}, nil
}

type guardClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *guardClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *guardClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestPayGuardBoundsCallsAtOnce(t *testing.T) {
	p := &stubPayer{inside: make(chan struct{}, 4), release: make(chan struct{})}
	clk := &guardClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	g := newPayGuard(p, clk.now, 2, time.Minute)
	g.wait = 20 * time.Millisecond
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := g.Create(ctx, payments.Invoice{OrderID: "a", Amount: 1}); err != nil {
				t.Errorf("a call within the limit: %v", err)
			}
		}()
	}
	<-p.inside
	<-p.inside
	start := clock.Start()
	if _, err := g.Create(ctx, payments.Invoice{OrderID: "b"}); !errors.Is(err, ErrPayBusy) {
		t.Fatalf("a third call at once: %v, want ErrPayBusy", err)
	}
	if waited := start.Elapsed(); waited > time.Second {
		t.Errorf("the refused call waited %v", waited)
	}
	close(p.release)
	wg.Wait()
	if ins, err := g.Create(ctx, payments.Invoice{OrderID: "c", Amount: 5}); err != nil || ins.OrderID != "c" {
		t.Fatalf("after the calls ended: %+v, %v", ins, err)
	}
	if n := p.calls.Load(); n != 3 {
		t.Errorf("%d calls reached the provider, want 3", n)
	}
}

func TestPayGuardBreaksAfterFailures(t *testing.T) {
	p := &stubPayer{}
	p.fail.Store(true)
	clk := &guardClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	g := newPayGuard(p, clk.now, 4, time.Minute)
	ctx := context.Background()
	for i := range payBreakAfter {
		if _, err := g.Create(ctx, payments.Invoice{}); err == nil || errors.Is(err, ErrPayDown) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if _, err := g.Create(ctx, payments.Invoice{}); !errors.Is(err, ErrPayDown) || p.calls.Load() != payBreakAfter {
		t.Fatalf("during the break: %v, %d calls", err, p.calls.Load())
	}
	// After the break one call tries; it fails, so the break starts again.
	clk.add(payBreakFor + time.Second)
	if _, err := g.Create(ctx, payments.Invoice{}); err == nil || errors.Is(err, ErrPayDown) || p.calls.Load() != payBreakAfter+1 {
		t.Fatalf("the trial call: %v, %d calls", err, p.calls.Load())
	}
	if _, err := g.Create(ctx, payments.Invoice{}); !errors.Is(err, ErrPayDown) {
		t.Fatalf("after a failed trial: %v", err)
	}
	// While a trial is on its way, the others are refused; when it succeeds, all may call.
	clk.add(payBreakFor + time.Second)
	p.fail.Store(false)
	p.inside, p.release = make(chan struct{}, 1), make(chan struct{})
	done := make(chan error)
	go func() { _, err := g.Create(ctx, payments.Invoice{OrderID: "trial"}); done <- err }()
	<-p.inside
	if _, err := g.Create(ctx, payments.Invoice{}); !errors.Is(err, ErrPayDown) {
		t.Fatalf("beside the trial: %v", err)
	}
	close(p.release)
	if err := <-done; err != nil {
		t.Fatalf("the trial: %v", err)
	}
	p.inside = nil
	for range payBreakAfter + 1 {
		if _, err := g.Create(ctx, payments.Invoice{}); err != nil {
			t.Fatalf("the provider is back: %v", err)
		}
	}
}

func TestPayGuardTimeoutCountsAndCallerCancelDoesNot(t *testing.T) {
	p := &stubPayer{release: make(chan struct{})} // never answers
	clk := &guardClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	g := newPayGuard(p, clk.now, 4, 10*time.Millisecond)
	if _, err := g.Create(context.Background(), payments.Invoice{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a provider that never answers: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range payBreakAfter {
		g.Create(ctx, payments.Invoice{})
	}
	if g.failures != 1 {
		t.Errorf("%d failures counted, want 1 (the timeout; not the caller's cancellations)", g.failures)
	}
}

// A refusal of one request (4xx: a bank not enabled) shows the provider is
// up: it does not count towards a break, and it clears the failures before.
// An error of our own (the client refusing the invoice) counts neither way.
func TestPayGuardCountsOnlyTheProviderFailing(t *testing.T) {
	p := &stubPayer{}
	clk := &guardClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	g := newPayGuard(p, clk.now, 4, time.Minute)
	ctx := context.Background()
	p.refuse.Store(true)
	for range payBreakAfter + 2 {
		if _, err := g.Create(ctx, payments.Invoice{}); err == nil || errors.Is(err, ErrPayDown) {
			t.Fatalf("a refused request: %v", err)
		}
	}
	p.refuse.Store(false)
	p.fail.Store(true)
	g.Create(ctx, payments.Invoice{})
	g.Create(ctx, payments.Invoice{})
	p.fail.Store(false)
	p.refuse.Store(true)
	g.Create(ctx, payments.Invoice{}) // the provider answers: the two failures are forgotten
	p.refuse.Store(false)
	p.fail.Store(true)
	if _, err := g.Create(ctx, payments.Invoice{}); errors.Is(err, ErrPayDown) || g.failures != 1 {
		t.Fatalf("after a refusal, a failure: %v, %d in a row", err, g.failures)
	}
}

// A client that panics during the trial call does not leave the guard
// refusing every later call.
func TestPayGuardSurvivesAPanickingTrial(t *testing.T) {
	p := &stubPayer{}
	p.fail.Store(true)
	clk := &guardClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	g := newPayGuard(p, clk.now, 4, time.Minute)
	ctx := context.Background()
	for range payBreakAfter {
		g.Create(ctx, payments.Invoice{})
	}
	clk.add(payBreakFor + time.Second)
	p.fail.Store(false)
	p.panics.Store(true)
	func() {
		defer func() { recover() }() //nolint:errcheck // the panic is the point
		g.Create(ctx, payments.Invoice{})
	}()
	p.panics.Store(false)
	if _, err := g.Create(ctx, payments.Invoice{OrderID: "after"}); err != nil {
		t.Fatalf("after a panicking trial: %v", err)
	}
}
