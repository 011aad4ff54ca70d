package flows

import (
	"context"
	"fmt"
)

// promptHome renders the agent's home: the menu, or where the application stands.
func (t *turn) promptHome(ctx context.Context) (Reply, error) {
	a, err := t.agent(ctx)
	if err != nil {
		return Reply{}, err
	}
	switch {
	case a == nil:
		return Reply{Text: t.T("agent.none", nil), Input: InputText, Choices: []Choice{{Label: t.T("agent.apply", nil), Data: "ah:apply"}}}, nil
	case a.Status == AgentPending:
		return Reply{Text: t.T("agent.pending", map[string]any{"Date": t.cat.Date(t.s.Lang, a.CreatedAt.In(t.cfg.Location))}), Input: InputText,
			Choices: []Choice{{Label: t.T("agent.menu.self", nil), Data: "ah:self"}}}, nil
	case a.Status == AgentRejected:
		return Reply{Text: t.T("agent.rejected_home", map[string]any{"Reason": a.Reason}), Input: InputText,
			Choices: []Choice{{Label: t.T("agent.apply_again", nil), Data: "ah:apply"}}}, nil
	case a.Status == AgentSuspended:
		sum, err := t.residentSummary(ctx, a)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Text: t.T("agent.suspended_home", map[string]any{"Reason": a.Reason, "Summary": sum}), Input: InputText,
			Choices: []Choice{{Label: t.T("agent.menu.self", nil), Data: "ah:self"}}}, nil
	}
	return Reply{Text: t.T("agent.menu", map[string]any{"Name": displayName(a.Name), "Role": t.roleLabel(a.Role)}), Input: InputText, Choices: []Choice{
		{Label: t.T("agent.menu.register", nil), Data: "ah:reg"},
		{Label: t.T("agent.menu.list", nil), Data: "ah:list"},
		{Label: t.T("agent.menu.pay", nil), Data: "ah:pay"},
		{Label: t.T("agent.menu.remind", nil), Data: "ah:remind"},
		{Label: t.T("agent.menu.self", nil), Data: "ah:self"},
	}}, nil
}

// residentSummary counts an agent's residents by standing (what a suspended
// agent may still read).
func (t *turn) residentSummary(ctx context.Context, a *Agent) (string, error) {
	res, err := t.myResidents(ctx)
	if err != nil {
		return "", err
	}
	count := map[string]int{}
	for _, r := range res {
		k, _ := t.standing(r)
		count[k]++
	}
	t.shown = &shownRecords{action: "agent:summary", subject: agentSubject(a.ID), detail: fmt.Sprintf("residents=%d", len(res))}
	return t.T("agent.summary", map[string]any{"Total": len(res), "Active": count[standingActive], "Awaiting": count[standingAwaiting],
		"Arrears": count[standingArrears], "Ended": count[standingEnded]}), nil
}

func (t *turn) answerHome(ctx context.Context) error {
	switch t.ev.Choice {
	case "ah:apply":
		return t.startApply(ctx)
	case "ah:self":
		return t.startOver(ctx)
	case "ah:reg", "ah:list", "ah:pay", "ah:remind":
		a, ok, err := t.approvedAgent(ctx)
		if !ok {
			return err
		}
		switch t.ev.Choice {
		case "ah:reg":
			return t.startResident(ctx)
		case "ah:list":
			t.s.Data.Query = ""
			return t.fire(ctx, EvList, "")
		case "ah:pay":
			return t.startAgentPay(ctx, nil)
		default:
			return t.remind(ctx, a)
		}
	}
	return t.ask(ctx, "")
}
