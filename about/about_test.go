package about

import "testing"

// The keys are stored with the outbox rows: their form must not change.
func TestKeys(t *testing.T) {
	if got := Registration("LD2610-YT13EQ"); got != "reg:LD2610-YT13EQ" {
		t.Errorf("Registration = %q", got)
	}
	if got := Agent(42); got != "agent:42" {
		t.Errorf("Agent = %q", got)
	}
}
