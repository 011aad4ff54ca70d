package flows

import "github.com/looplab/fsm"

// States of applying to be an agent (agent.go).
const (
	StAgConsent = "ag_consent" // consent to the processing of the applicant's own data
	StAgRole    = "ag_role"
	StAgNIK     = "ag_nik"
	StAgName    = "ag_name"
	StAgArea    = "ag_area" // the desa/kelurahan, or a Perisai agent's institution
	StAgRTRW    = "ag_rtrw" // RT/RW numbers, for the roles that have them
	StAgPhone   = "ag_phone"
	StAgReview  = "ag_review"

	// The agent's home: the menu of an approved agent, the state of an
	// application otherwise.
	StAgHome = "ag_home"

	StAgList     = "ag_list"      // Warga saya: paged, searchable
	StAgResident = "ag_resident"  // one resident
	StAgPayPick  = "ag_pay_pick"  // which residents to pay for
	StAgPayMonth = "ag_pay_month" // how many months
	StAgPayBank  = "ag_pay_bank"  // how to pay
)

// States of linking a registration an agent made to the resident's own chat (claim.go).
const (
	StClNIK     = "cl_nik"
	StClName    = "cl_name"
	StClProof   = "cl_proof"   // the phone shared with the contact button, or the agent's claim code
	StClConsent = "cl_consent" // linked: the resident confirms their own consent
)

// Events of the agent and claim flows.
const (
	EvApply    = "apply"    // /agen: apply to be an agent
	EvHome     = "home"     // to the agent's home
	EvResident = "resident" // the agent registers a resident: the registration questions, phrased for a third person
	EvList     = "list"     // Warga saya
	EvOpen     = "open"     // one resident of the list
	EvAgentPay = "agent_pay"
	EvClaim    = "claim"   // "Saya sudah didaftarkan"
	EvClaimed  = "claimed" // a claim link used: straight to the consent
	EvBackAlt  = "back_alt"
)

// applyStates are the questions of an agent application.
var applyStates = []string{StAgConsent, StAgRole, StAgNIK, StAgName, StAgArea, StAgRTRW, StAgPhone, StAgReview}

// agentStates are the states of an agent's work.
var agentStates = []string{StAgHome, StAgList, StAgResident, StAgPayPick, StAgPayMonth, StAgPayBank}

// claimStates are the questions of linking a registration.
var claimStates = []string{StClNIK, StClName, StClProof, StClConsent}

// applyFrom are the states an application, a claim or the agent's home can
// start from: anything but a registration being filled in (the consent
// question of a fresh chat is where the start menu's buttons are).
var applyFrom = append(append(append([]string{StWelcome, StDone, StConsent}, payStates...), applyStates...), append(agentStates, claimStates...)...)

// ev is one line of a transition table.
func ev(name string, src []string, dst string) fsm.EventDesc {
	return fsm.EventDesc{Name: name, Src: src, Dst: dst}
}

func fsmEvents(e ...fsm.EventDesc) fsm.Events { return fsm.Events(e) }

var agentEvents = fsm.Events{
	{Name: EvApply, Src: applyFrom, Dst: StAgConsent},
	{Name: EvNext, Src: []string{StAgConsent}, Dst: StAgRole},
	{Name: EvNext, Src: []string{StAgRole}, Dst: StAgNIK},
	{Name: EvNext, Src: []string{StAgNIK}, Dst: StAgName},
	{Name: EvNext, Src: []string{StAgName}, Dst: StAgArea},
	{Name: EvNext, Src: []string{StAgArea}, Dst: StAgRTRW},
	{Name: EvAlt, Src: []string{StAgArea}, Dst: StAgPhone}, // a role without RT/RW numbers
	{Name: EvNext, Src: []string{StAgRTRW}, Dst: StAgPhone},
	{Name: EvNext, Src: []string{StAgPhone}, Dst: StAgReview},
	{Name: EvConfirm, Src: []string{StAgReview}, Dst: StAgHome},
	{Name: EvBack, Src: []string{StAgRole}, Dst: StAgConsent},
	{Name: EvBack, Src: []string{StAgNIK}, Dst: StAgRole},
	{Name: EvBack, Src: []string{StAgName}, Dst: StAgNIK},
	{Name: EvBack, Src: []string{StAgArea}, Dst: StAgName},
	{Name: EvBack, Src: []string{StAgRTRW}, Dst: StAgArea},
	{Name: EvBack, Src: []string{StAgPhone}, Dst: StAgRTRW},
	{Name: EvBackAlt, Src: []string{StAgPhone}, Dst: StAgArea},
	{Name: EvBack, Src: []string{StAgReview}, Dst: StAgPhone},
	{Name: EvCancel, Src: applyStates, Dst: StWelcome},

	{Name: EvHome, Src: append(append(append(append([]string{StWelcome, StDone}, draftStates...), agentStates...), payStates...), claimStates...), Dst: StAgHome},
	{Name: EvResident, Src: []string{StAgHome, StAgList, StAgResident}, Dst: StConsent},
	{Name: EvList, Src: []string{StAgHome, StAgResident, StAgList}, Dst: StAgList},
	{Name: EvOpen, Src: []string{StAgList}, Dst: StAgResident},
	{Name: EvAgentPay, Src: []string{StAgHome, StAgList, StAgResident}, Dst: StAgPayPick},
	{Name: EvNext, Src: []string{StAgPayPick}, Dst: StAgPayMonth},
	{Name: EvNext, Src: []string{StAgPayMonth}, Dst: StAgPayBank},
	{Name: EvNext, Src: []string{StAgPayBank}, Dst: StAgHome},
	{Name: EvBack, Src: []string{StAgList, StAgPayPick}, Dst: StAgHome},
	{Name: EvBack, Src: []string{StAgResident}, Dst: StAgList},
	{Name: EvBack, Src: []string{StAgPayMonth}, Dst: StAgPayPick},
	{Name: EvBack, Src: []string{StAgPayBank}, Dst: StAgPayMonth},
	{Name: EvCancel, Src: []string{StAgList, StAgResident, StAgPayPick, StAgPayMonth, StAgPayBank}, Dst: StAgHome},
}

var claimEvents = fsm.Events{
	{Name: EvClaim, Src: applyFrom, Dst: StClNIK},
	{Name: EvNext, Src: []string{StClNIK}, Dst: StClName},
	{Name: EvNext, Src: []string{StClName}, Dst: StClProof},
	{Name: EvNext, Src: []string{StClProof}, Dst: StClConsent},
	{Name: EvNext, Src: []string{StClConsent}, Dst: StDone},
	{Name: EvBack, Src: []string{StClName}, Dst: StClNIK},
	{Name: EvBack, Src: []string{StClProof}, Dst: StClName},
	{Name: EvCancel, Src: []string{StClNIK, StClName, StClProof}, Dst: StWelcome},
	{Name: EvClaimed, Src: append(append([]string{StWelcome, StDone}, draftStates...), applyFrom...), Dst: StClConsent},
}
