package flows

import (
	"slices"
	"testing"
)

// Every state a flow's FSM can reach declares its question, and only those
// do: adding a state is its FSM rows and its question, in its flow's file.
func TestEveryStateHasItsQuestion(t *testing.T) {
	qs := allQuestions()
	reachable := map[State]bool{}
	for _, e := range allEvents {
		for _, s := range e.Src {
			reachable[State(s)] = true
		}
		reachable[State(e.Dst)] = true
	}
	for s := range reachable {
		if _, ok := qs[s]; !ok {
			t.Errorf("state %q has no question", s)
		}
	}
	for s := range qs {
		if !reachable[s] {
			t.Errorf("question of %q, which no FSM row names", s)
		}
	}
	states := States()
	slices.Sort(states)
	var keys []State
	for s := range qs {
		keys = append(keys, s)
	}
	slices.Sort(keys)
	if !slices.Equal(states, keys) {
		t.Errorf("States() %v\nquestions %v", states, keys)
	}
}

// A table that declares a state or a prefix twice does not load.
func TestJoinQuestionsRefusesDuplicates(t *testing.T) {
	q := question{"xx", (*turn).promptRegister, (*turn).answerDone}
	for name, tables := range map[string][]map[State]question{
		"state twice":  {{"a": q}, {"a": {"yy", q.prompt, q.answer}}},
		"prefix twice": {{"a": q}, {"b": q}},
		"no answer":    {{"a": {"xx", q.prompt, nil}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: joined", name)
				}
			}()
			joinQuestions(tables...)
		}()
	}
}
