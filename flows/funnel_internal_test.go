package flows

import (
	"context"
	"slices"
	"testing"
	"time"
)

// funnelSpy records the funnel's moves; nothing else of Tx is used.
type funnelSpy struct {
	Tx
	moves [][2]string
}

func (f *funnelSpy) FunnelMove(_ context.Context, _ time.Time, from, to string) error {
	f.moves = append(f.moves, [2]string{from, to})
	return nil
}

// A conversation that jumps steps (its answers known already) reached
// each step it passed: the funnel never shows fewer at a step than after it.
func TestFunnelCountsJumpedSteps(t *testing.T) {
	spy := &funnelSpy{}
	e := &Engine{cfg: DefaultConfig()}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, e.cfg.Location)
	tr := &turn{Engine: e, tx: spy, now: now, s: &Session{Flow: FlowRegister, State: StReview,
		Data: Answers{FunnelWeek: "2026-12-07", FunnelStep: StepName}}}
	if err := tr.trackFunnel(context.Background(), tr.funnelMark()); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{StepName, StepPhone}, {StepPhone, StepDomicile}, {StepDomicile, StepOccupation}, {StepOccupation, StepIncome},
		{StepIncome, StepReview}}
	if !slices.Equal(spy.moves, want) {
		t.Errorf("moves %v, want %v", spy.moves, want)
	}
	if tr.s.Data.FunnelStep != StepReview {
		t.Errorf("mark at %q, want review", tr.s.Data.FunnelStep)
	}
	// The next step is one move; going back is none.
	spy.moves = nil
	tr.s.State = StOccupation
	if err := tr.trackFunnel(context.Background(), tr.funnelMark()); err != nil || len(spy.moves) != 0 {
		t.Errorf("going back moved %v (%v)", spy.moves, err)
	}
}
