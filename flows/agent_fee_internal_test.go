package flows

import "testing"

// A Perisai agent earns their share of the fee on what they collect (7.5%,
// 90% of it theirs: 6.75%, rounded down to the Rupiah); RT/RW heads earn
// nothing from Lindungi.
func TestAgentFee(t *testing.T) {
	e := &Engine{cfg: DefaultConfig()}
	for _, c := range []struct {
		role      string
		collected int64
		want      int64
	}{
		{RolePerisai, 16800, 1134}, {RolePerisai, 100000, 6750}, {RolePerisai, 1, 0}, {RolePerisai, 0, 0},
		{"ketua_rt", 16800, 0},
	} {
		if got := e.AgentFee(c.role, c.collected); got != c.want {
			t.Errorf("AgentFee(%s, %d) = %d, want %d", c.role, c.collected, got, c.want)
		}
	}
}
