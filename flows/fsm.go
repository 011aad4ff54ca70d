package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/looplab/fsm"
)

// Each flow's file declares its states, its FSM rows and its questions;
// this file holds what they share: the events every flow uses, one machine
// for all the tables, and the list of every state.

// Events every flow uses.
const (
	EvNext    = "next"    // the answer was taken: go to the following question
	EvAlt     = "alt"     // the other branch ("Salah", "Provinsi lain", "Lainnya")
	EvBack    = "back"    // /kembali
	EvConfirm = "confirm" // the review was confirmed: the registration is stored
	EvCancel  = "cancel"  // /batal, confirmed: the draft is discarded
	EvRestart = "restart" // start over (after a cancel, an expiry, or to register someone else)
)

// ev is one line of a transition table.
func ev(name string, src []string, dst string) fsm.EventDesc {
	return fsm.EventDesc{Name: name, Src: src, Dst: dst}
}

func fsmEvents(e ...fsm.EventDesc) fsm.Events { return fsm.Events(e) }

// machines reuses registration FSMs: building one allocates ~15 KB (its
// transition and callback maps), so a machine is taken from the pool, set to
// the chat's saved state, fired once and put back. Nothing of a chat stays in it.
// machines are the flows' FSMs, pooled, and their questions by state.
type machines struct {
	pool      sync.Pool
	questions map[string]question
}

func newMachines() *machines {
	return &machines{pool: sync.Pool{New: func() any { return fsm.NewFSM(StWelcome, allEvents, nil) }}, questions: allQuestions()}
}

// transition fires one event on the registration FSM from state and returns
// the new state.
func (ms *machines) transition(ctx context.Context, state, event string) (string, error) {
	if state == "" {
		state = StWelcome
	}
	m := ms.pool.Get().(*fsm.FSM)
	defer ms.pool.Put(m)
	m.SetState(state)
	err := m.Event(ctx, event)
	var noTransition fsm.NoTransitionError
	if err != nil && !errors.As(err, &noTransition) {
		return state, fmt.Errorf("event %q in state %q: %w", event, state, err)
	}
	return m.Current(), nil
}

// allEvents is every flow's table in one machine: a chat is in one state of one of them.
var allEvents = slices.Concat(registerEvents, payEvents, applyEvents, agentEvents, claimEvents, broadcastEvents)

// defined lists the (event, source) pairs of allEvents, for can.
var defined = func() map[[2]string]bool {
	m := map[[2]string]bool{}
	for _, e := range allEvents {
		for _, src := range e.Src {
			m[[2]string{e.Name, src}] = true
		}
	}
	return m
}()

// can reports whether event is defined from state (what fsm.FSM.Can answers,
// without building a machine).
func can(state, event string) bool { return defined[[2]string{event, state}] }

// States lists every state of every flow.
func States() []string {
	out := append(append([]string{StWelcome, StDone}, draftStates...), payStates...)
	return append(append(append(append(out, applyStates...), agentStates...), claimStates...), broadcastStates...)
}
