package flows

import (
	"context"
	"strconv"
)

// States of an agent's work.
const (
	// The agent's home: the menu of an approved agent, the state of an
	// application otherwise.
	StAgHome State = "ag_home"

	StAgList     State = "ag_list"      // Warga saya: paged, searchable
	StAgResident State = "ag_resident"  // one resident
	StAgPayPick  State = "ag_pay_pick"  // which residents to pay for
	StAgPayMonth State = "ag_pay_month" // how many months
	StAgPayBank  State = "ag_pay_bank"  // how to pay
)

// Events of an agent's work.
const (
	EvHome     = "home"     // to the agent's home
	EvResident = "resident" // the agent registers a resident: the registration questions, phrased for a third person
	EvList     = "list"     // Warga saya
	EvOpen     = "open"     // one resident of the list
	EvAgentPay = "agent_pay"
)

// agentStates are the states of an agent's work.
var agentStates = []State{StAgHome, StAgList, StAgResident, StAgPayPick, StAgPayMonth, StAgPayBank}

// applyFrom are the states an application, a claim or the agent's home can
// start from: anything but a registration being filled in (the consent
// question of a fresh chat is where the start menu's buttons are).
var applyFrom = append(append(append([]State{StWelcome, StDone, StConsent}, payStates...), applyStates...), append(agentStates, claimStates...)...)

// agentEvents move through an agent's work.
var agentEvents = table{
	{EvHome, append(append(append(append([]State{StWelcome, StDone}, draftStates...), agentStates...), payStates...), claimStates...), StAgHome},
	{EvResident, []State{StAgHome, StAgList, StAgResident}, StConsent},
	{EvList, []State{StAgHome, StAgResident, StAgList}, StAgList},
	{EvOpen, []State{StAgList}, StAgResident},
	{EvAgentPay, []State{StAgHome, StAgList, StAgResident}, StAgPayPick},
	{EvNext, []State{StAgPayPick}, StAgPayMonth},
	{EvNext, []State{StAgPayMonth}, StAgPayBank},
	{EvNext, []State{StAgPayBank}, StAgHome},
	{EvBack, []State{StAgList, StAgPayPick}, StAgHome},
	{EvBack, []State{StAgResident}, StAgList},
	{EvBack, []State{StAgPayMonth}, StAgPayPick},
	{EvBack, []State{StAgPayBank}, StAgPayMonth},
	{EvCancel, []State{StAgList, StAgResident, StAgPayPick, StAgPayMonth, StAgPayBank}, StAgHome},
}

// agentPage is how many residents one message lists as buttons: with ‹ ›
// and two more buttons it stays within a WhatsApp list's 10 rows.
const agentPage = 6

// Agents' own age limits: only to read the century of their NIK's birth date.
const agentMinAge, agentMaxAge = 17, 100

// rolesRT are the roles asked for their RT/RW numbers (the value says what:
// "rt" both, "rw" the RW only, "opt" optional).
var rolesRT = map[string]string{"ketua_rt": "rt", "ketua_rw": "rw", "kader": "opt", "lainnya": "opt"}

// agent is the user's agent record (nil when they never applied), read
// once per event.
func (t *turn) agent(ctx context.Context) (*Agent, error) {
	if !t.agentRead {
		a, err := t.tx.Agent(ctx)
		if err != nil {
			return nil, err
		}
		t.agentRec, t.agentRead = a, true
	}
	return t.agentRec, nil
}

// myResidents lists the agent's residents, read once per event.
func (t *turn) myResidents(ctx context.Context) ([]Resident, error) {
	if !t.resRead {
		res, err := t.tx.Residents(ctx)
		if err != nil {
			return nil, err
		}
		t.res, t.resRead = res, true
	}
	return t.res, nil
}

// changed forgets what agent and myResidents read: a write changed it.
func (t *turn) changed() { t.agentRead, t.resRead = false, false }

// isFreshConsent reports whether the chat sits at the first question of a
// registration with nothing answered: the start menu.
func (t *turn) isFreshConsent() bool {
	return t.s.State == StConsent && !t.s.Data.Agent && t.s.Data.ConsentID == 0 && t.s.Data.NIK == ""
}

// busy answers a request to start something else while a registration is
// being filled in; it reports false when the chat is free.
func (t *turn) busy(ctx context.Context) (bool, error) {
	if t.isDraft() && !t.isFreshConsent() {
		return true, t.askNote(ctx, "agent.finish_first", nil)
	}
	return false, nil
}

// startApply answers /agen and the start menu's "Saya ketua RT/RW atau agen".
func (t *turn) startApply(ctx context.Context) error {
	if busy, err := t.busy(ctx); busy {
		return err
	}
	a, err := t.agent(ctx)
	if err != nil {
		return err
	}
	if a != nil && a.Status != AgentRejected {
		return t.home(ctx, "")
	}
	t.s.Data = Answers{}
	t.s.Pending = ""
	return t.fire(ctx, EvApply, "")
}

// home goes to the agent's home (menu, or where the application stands).
func (t *turn) home(ctx context.Context, note string) error {
	t.s.Data = Answers{}
	if t.s.State == StAgHome {
		return t.ask(ctx, note)
	}
	return t.fire(ctx, EvHome, note)
}

// agentQuestions are the questions of an agent's work (see question).
func agentQuestions() map[State]question {
	return map[State]question{
		StAgHome:     {"ah", (*turn).promptHome, (*turn).answerHome},
		StAgList:     {"al", (*turn).promptList, approved((*turn).answerList)},
		StAgResident: {"rs", (*turn).promptResident, approved((*turn).answerResident)},
		StAgPayPick:  {"pk", (*turn).promptAgentPay, approved((*turn).answerAgentPay)},
		StAgPayMonth: {"ay", (*turn).promptAgentPay, approved((*turn).answerAgentPay)},
		StAgPayBank:  {"ab", (*turn).promptAgentPay, approved((*turn).answerAgentPay)},
	}
}

// approved checks the agent's approval on every turn before answer: a
// suspended agent is sent home.
func approved(answer func(*turn, context.Context) error) func(*turn, context.Context) error {
	return func(t *turn, ctx context.Context) error {
		if _, ok, err := t.approvedAgent(ctx); !ok {
			return err
		}
		return answer(t, ctx)
	}
}

func agentSubject(id int64) string { return "agent:" + strconv.FormatInt(id, 10) }

// approvedAgent finds the user's agent record; when it is not approved the
// user is told why and ok is false.
func (t *turn) approvedAgent(ctx context.Context) (*Agent, bool, error) {
	a, err := t.agent(ctx)
	if err != nil {
		return nil, false, err
	}
	if a != nil && a.Status == AgentApproved {
		return a, true, nil
	}
	if t.s.State != StAgHome && can(t.s.State, EvHome) {
		t.s.Data = Answers{}
		return nil, false, t.fire(ctx, EvHome, t.T("agent.not_approved", nil))
	}
	return nil, false, t.askNote(ctx, "agent.not_approved", nil)
}
