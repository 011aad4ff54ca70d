package console

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
)

// echo is a Handler and Outbox in one: it answers every event with a reply
// that says what it received, with two buttons.
type echo struct {
	events  []flows.Event
	pending []flows.Outgoing
	sent    []int64
	last    []flows.Choice
	nextID  int64
}

func (e *echo) Handle(ctx context.Context, ev flows.Event) ([]flows.Reply, error) {
	e.events = append(e.events, ev)
	r := flows.Reply{Text: string(ev.Kind) + ":" + ev.Text + ev.Choice, Input: flows.InputText,
		Choices: []flows.Choice{{Label: "Setuju", Data: "cs:yes"}, {Label: "Tidak setuju", Data: "cs:no"}}}
	e.nextID++
	e.pending = append(e.pending, flows.Outgoing{ID: e.nextID, Reply: r})
	return []flows.Reply{r}, nil
}

func (e *echo) PendingFor(ctx context.Context, channel, chatID string) ([]flows.Outgoing, error) {
	p := e.pending
	e.pending = nil
	return p, nil
}

func (e *echo) MarkSent(ctx context.Context, ids []int64) error {
	e.sent = append(e.sent, ids...)
	return nil
}

func (e *echo) LastChoices(ctx context.Context, channel, chatID string) ([]flows.Choice, error) {
	return e.last, nil
}

func TestLinesBecomeEvents(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{}
	// A reply waiting from before (a reminder) comes out before the first answer.
	e.pending = []flows.Outgoing{{ID: 100, Reply: flows.Reply{Text: "reminder"}}}
	e.nextID = 100
	var out bytes.Buffer
	in := "halo\n2\n\nSETUJU\ncs:no\n/batal\n7\n"
	if err := Run(context.Background(), strings.NewReader(in), &out, Options{JSONL: true, ChatID: "5", Handler: e, Outbox: e, Catalog: cat}); err != nil {
		t.Fatal(err)
	}
	want := []flows.Event{
		{Kind: flows.KindText, Text: "halo"},
		{Kind: flows.KindChoice, Choice: "cs:no"},  // the 2nd button
		{Kind: flows.KindChoice, Choice: "cs:yes"}, // a label, any case
		{Kind: flows.KindChoice, Choice: "cs:no"},  // a button's data
		{Kind: flows.KindText, Text: "/batal"},     // commands stay text
		{Kind: flows.KindText, Text: "7"},          // no 7th button: text
	}
	if len(e.events) != len(want) {
		t.Fatalf("%d events: %+v", len(e.events), e.events)
	}
	for i, w := range want {
		got := e.events[i]
		if got.Kind != w.Kind || got.Text != w.Text || got.Choice != w.Choice || got.ChatID != "5" || got.Channel != Channel {
			t.Errorf("line %d: event %+v, want %+v", i+1, got, w)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != `{"text":"reminder"}` || !strings.Contains(lines[1], `"text":"text:halo"`) {
		t.Errorf("output starts %q", lines[:2])
	}
	waiting := 0
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if m["waiting"] == true {
			waiting++
		}
	}
	if waiting != 7 { // one per input line, the empty one included
		t.Errorf("%d waiting lines for 7 inputs", waiting)
	}
	if len(e.sent) != 7 {
		t.Errorf("%d replies marked sent, want 7", len(e.sent))
	}
}

func TestRestartKnowsTheLastButtons(t *testing.T) {
	cat, _ := locales.Load()
	e := &echo{last: []flows.Choice{{Label: "Benar", Data: "bc:yes"}}}
	var out bytes.Buffer
	if err := Run(context.Background(), strings.NewReader("1\n"), &out, Options{Handler: e, Outbox: e, Catalog: cat}); err != nil {
		t.Fatal(err)
	}
	if len(e.events) != 1 || e.events[0].Choice != "bc:yes" {
		t.Fatalf("events %+v", e.events)
	}
	if !strings.Contains(out.String(), "  1. Setuju\n  2. Tidak setuju") {
		t.Errorf("people's output:\n%s", out.String())
	}
}
