package flows

import (
	"strconv"
	"strings"

	"github.com/lindungi/lindungi/nama"
)

// AgentPaymentReplies is the message for an agent whose payment for their
// residents settled: who is protected until when, and for Perisai agents
// the fee earned on what they collected.
func (e *Engine) AgentPaymentReplies(lang string, p AgentPaid) []Reply {
	if !e.cat.Supported(lang) {
		lang = "id"
	}
	var b strings.Builder
	b.WriteString(e.cat.T(lang, "agent.paid", map[string]any{"Total": rupiahOf(p.Amount), "Count": len(p.Covered)}))
	for _, c := range p.Covered {
		b.WriteString("\n")
		b.WriteString(e.cat.T(lang, "agent.paid_line", map[string]any{"Name": nama.Display(c.Name), "Ref": c.RegistrationRef,
			"To": e.cat.Date(lang, c.To)}))
	}
	if p.Role == RolePerisai {
		b.WriteString("\n\n")
		b.WriteString(e.feeText(lang, p.CollectedMonth, p.CollectedTotal))
	}
	return []Reply{{Text: b.String(), Input: InputNone,
		Notice: &Notice{Kind: NoticeAgentPaid, Lang: lang, Params: []string{rupiahOf(p.Amount), strconv.Itoa(len(p.Covered))}}}}
}

// AgentFee is what an agent earns on collected Rupiah: Perisai agents
// their share of the fee, other agents (RT/RW heads) nothing.
func (e *Engine) AgentFee(role string, collected int64) int64 {
	if role != RolePerisai {
		return 0
	}
	return collected * int64(e.cfg.PerisaiFeeBP) * int64(e.cfg.PerisaiAgentShare) / 1_000_000
}

// feeText summarises a Perisai agent's fee on their settled collections.
func (e *Engine) feeText(lang string, month, total int64) string {
	agentShare := func(n int64) int64 { return e.AgentFee(RolePerisai, n) }
	return e.cat.T(lang, "agent.fee", map[string]any{
		"Rate": e.feeRate(lang), "Month": rupiahOf(month), "MonthFee": rupiahOf(agentShare(month)),
		"Total": rupiahOf(total), "TotalFee": rupiahOf(agentShare(total)), "Share": e.cfg.PerisaiAgentShare,
	})
}

// feeRate writes the Perisai fee rate: 750 basis points → "7,5%".
func (e *Engine) feeRate(lang string) string {
	s := strconv.FormatFloat(float64(e.cfg.PerisaiFeeBP)/100, 'f', -1, 64)
	if lang == "id" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "%"
}
