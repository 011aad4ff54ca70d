package flows

import (
	"context"
	"fmt"
)

// question is what a state of a flow declares beside its FSM rows: the
// prefix of its buttons' data (so a button pressed on an old message is
// recognised as stale; "" for a question answered by typing), how it asks
// and how it takes an answer. Each flow's file holds its questions; the
// engine looks the chat's state up instead of switching over every flow.
type question struct {
	prefix string
	prompt func(t *turn, ctx context.Context) (Reply, error)
	answer func(t *turn, ctx context.Context) error
}

// allQuestions are every flow's, by state (built once, with the machines).
func allQuestions() map[State]question {
	return joinQuestions(registerQuestions(), payQuestions(), saveQuestions(), applyQuestions(), agentQuestions(), claimQuestions(), broadcastQuestions())
}

// joinQuestions merges the flows' tables; a state or a prefix declared twice
// is a programming error, caught when the package loads (and by a test).
func joinQuestions(tables ...map[State]question) map[State]question {
	out := map[State]question{}
	prefixes := map[string]State{}
	for _, tab := range tables {
		for state, q := range tab {
			if _, dup := out[state]; dup {
				panic(fmt.Sprintf("flows: state %q declared twice", state))
			}
			if q.prompt == nil || q.answer == nil {
				panic(fmt.Sprintf("flows: state %q lacks its prompt or its answer", state))
			}
			if q.prefix != "" {
				if other, dup := prefixes[q.prefix]; dup {
					panic(fmt.Sprintf("flows: button prefix %q of %q is %q's too", q.prefix, state, other))
				}
				prefixes[q.prefix] = state
			}
			out[state] = q
		}
	}
	return out
}

// prompt renders the question of the current state.
func (t *turn) prompt(ctx context.Context) (Reply, error) {
	q, ok := t.questions[t.s.State]
	if !ok {
		return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
	}
	return q.prompt(t, ctx)
}

// prefix is the button prefix of the current question ("" without buttons).
func (t *turn) prefix() string { return t.questions[t.s.State].prefix }
