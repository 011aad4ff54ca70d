package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/looplab/fsm"
)

// Each flow's file declares its states, its FSM rows and its questions;
// this file holds what they share: the events every flow uses, one machine
// for all the tables, and the list of every state.

// State is where a chat is in one of the flows. Each flow's file declares
// its own; the FSM library keeps them as strings.
type State string

// Events every flow uses.
const (
	EvNext    = "next"    // the answer was taken: go to the following question
	EvAlt     = "alt"     // the other branch ("Salah", "Provinsi lain", "Lainnya")
	EvBack    = "back"    // /kembali
	EvConfirm = "confirm" // the review was confirmed: the registration is stored
	EvCancel  = "cancel"  // /batal, confirmed: the draft is discarded
	EvRestart = "restart" // start over (after a cancel, an expiry, or to register someone else)
)

// row is one line of a transition table: event, from which states, to which.
type row struct {
	event string
	from  []State
	to    State
}

// table is one flow's transition rows.
type table []row

// events is the table as the FSM library takes it.
func events(tables ...table) fsm.Events {
	var out fsm.Events
	for _, t := range tables {
		for _, r := range t {
			from := make([]string, len(r.from))
			for i, st := range r.from {
				from[i] = string(st)
			}
			out = append(out, fsm.EventDesc{Name: r.event, Src: from, Dst: string(r.to)})
		}
	}
	return out
}

// machines reuses registration FSMs: building one allocates ~15 KB (its
// transition and callback maps), so a machine is taken from the pool, set to
// the chat's saved state, fired once and put back. Nothing of a chat stays in it.
// machines are the flows' FSMs, pooled, and their questions by state.
type machines struct {
	pool      sync.Pool
	questions map[State]question
}

func newMachines() *machines {
	return &machines{pool: sync.Pool{New: func() any { return fsm.NewFSM(string(StWelcome), allEvents, nil) }}, questions: allQuestions()}
}

// transition fires one event on the registration FSM from state and returns
// the new state.
func (ms *machines) transition(ctx context.Context, state State, event string) (State, error) {
	if state == "" {
		state = StWelcome
	}
	m := ms.pool.Get().(*fsm.FSM)
	defer ms.pool.Put(m)
	m.SetState(string(state))
	err := m.Event(ctx, event)
	var noTransition fsm.NoTransitionError
	if err != nil && !errors.As(err, &noTransition) {
		return state, fmt.Errorf("event %q in state %q: %w", event, state, err)
	}
	return State(m.Current()), nil
}

// allEvents is every flow's table in one machine: a chat is in one state of one of them.
var allEvents = events(registerEvents, payEvents, saveEvents, applyEvents, agentEvents, claimEvents, broadcastEvents)

// defined lists the (event, source) pairs of allEvents, for can.
var defined = func() map[transitionKey]bool {
	m := map[transitionKey]bool{}
	for _, e := range allEvents {
		for _, src := range e.Src {
			m[transitionKey{e.Name, State(src)}] = true
		}
	}
	return m
}()

// can reports whether event is defined from state (what fsm.FSM.Can answers,
// without building a machine).
func can(state State, event string) bool { return defined[transitionKey{event, state}] }

// transitionKey is one (event, source state) pair of the tables.
type transitionKey struct {
	event string
	from  State
}

// States lists every state of every flow.
func States() []State {
	out := append(append([]State{StWelcome, StDone}, draftStates...), payStates...)
	return append(append(append(append(out, applyStates...), agentStates...), claimStates...), broadcastStates...)
}
