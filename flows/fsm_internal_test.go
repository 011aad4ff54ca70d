package flows

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/looplab/fsm"
)

func TestFSMTable(t *testing.T) {
	ctx := context.Background()
	ms := newMachines()
	for _, st := range draftStates {
		if st != StConsent && !can(st, EvBack) {
			t.Errorf("state %s has no way back", st)
		}
		if !can(st, EvCancel) {
			t.Errorf("state %s cannot be cancelled", st)
		}
	}
	// Following "next" from the welcome reaches the review through every question.
	state, seen := StWelcome, map[State]bool{}
	for state != StReview {
		if seen[state] {
			t.Fatalf("loop at %s", state)
		}
		seen[state] = true
		next, err := ms.transition(ctx, state, EvNext)
		if err != nil {
			t.Fatal(err)
		}
		state = next
	}
	for _, e := range reviewEdits {
		dst, err := ms.transition(ctx, StReview, e.event)
		if err != nil {
			t.Fatal(err)
		}
		if !can(dst, EvReview) {
			t.Errorf("edit %s lands in %s, which cannot return to the review", e.event, dst)
		}
	}
	if _, err := ms.transition(ctx, StNIK, EvConfirm); err == nil {
		t.Error("confirm allowed outside the review")
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		name string
		ok   bool
	}{
		{"/start", cmdStart, true},
		{"/mulai", cmdStart, true},
		{"/BATAL", cmdCancel, true},
		{"/kembali@LindungiBot", cmdBack, true},
		{"  /bantuan tolong ", cmdHelp, true},
		{"/dataku", cmdMyData, true},
		{"/mydata", cmdMyData, true},
		{"/hapus", cmdDelete, true},
		{"/delete", cmdDelete, true},
		{"/bahasa", cmdLanguage, true},
		{"/status", cmdStatus, true},
		{"/", "", true},
		{"/xyz", "", true},
		{"halo", "", false},
		{"17/08/1985", "", false},
	}
	for _, tt := range tests {
		name, ok := parseCommand(tt.in)
		if name != tt.name || ok != tt.ok {
			t.Errorf("parseCommand(%q) = %q, %v; want %q, %v", tt.in, name, ok, tt.name, tt.ok)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/start", "/kembali@bot x", "/", "halo", " /BATAL ", "/\u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, ok := parseCommand(s)
		if name != "" && !ok {
			t.Fatalf("name %q without ok", name)
		}
		_ = labelKey(s)
	})
}

func TestCanAgreesWithFSM(t *testing.T) {
	events := map[string]bool{}
	for _, e := range allEvents {
		events[e.Name] = true
	}
	for _, st := range States() {
		m := fsm.NewFSM(string(st), allEvents, nil)
		for ev := range events {
			if can(st, ev) != m.Can(ev) {
				t.Errorf("can(%s, %s) = %v, fsm says %v", st, ev, can(st, ev), m.Can(ev))
			}
		}
	}
}

func TestMachinesKeepNoState(t *testing.T) {
	ms := newMachines()
	ctx := context.Background()
	for range 3 {
		if got, _ := ms.transition(ctx, StNIK, EvNext); got != StName {
			t.Fatalf("nik + next = %s", got)
		}
		if got, _ := ms.transition(ctx, StReview, EvBack); got != StIncome {
			t.Fatalf("review + back = %s", got)
		}
		if _, err := ms.transition(ctx, StDone, EvBack); err == nil {
			t.Fatal("back from done allowed")
		}
	}
}

func TestQuoteHidesNumbers(t *testing.T) {
	tests := map[string]string{
		"darat sekip":           "darat sekip",
		"6171054508900001":      "••••••••••••••••",
		"rt 12 no 34567":        "rt 12 no 34567",
		"0812 3456 7890":        "•••• •••• ••••",
		"6171.0545-0890":        "••••.••••-••••",
		"081234567890 x":        "•••••••••••• x",
		strings.Repeat("a", 50): strings.Repeat("a", 40) + "…",
	}
	for in, want := range tests {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNumbersIn(t *testing.T) {
	tests := map[string][]int{
		"RT 3 RW 5": {3, 5}, "003/005": {3, 5}, "rt03 rw 12": {3, 12}, "5": {5}, "": nil, "RT dua": nil, "123456": {-1},
	}
	for in, want := range tests {
		if got := numbersIn(in); !slices.Equal(got, want) {
			t.Errorf("numbersIn(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzAgentInput fuzzes what agents and admins type: RT/RW numbers, an
// admin's channel:user id, and a /start parameter.
func FuzzAgentInput(f *testing.F) {
	for _, s := range []string{"RT 3 RW 5", "003/005", "telegram:123456789", "/start klaim-ABCD2345", "٣/٥", "rt\x00 9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range numbersIn(s) {
			if n < -1 || n > 9999 {
				t.Fatalf("numbersIn(%q) gave %d", s, n)
			}
		}
		if ValidWho(s) && !strings.Contains(s, ":") {
			t.Fatalf("ValidWho(%q) without a colon", s)
		}
		_ = commandArg(s)
	})
}
