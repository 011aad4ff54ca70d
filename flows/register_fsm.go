package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/looplab/fsm"
)

// States of the self-registration flow.
const (
	StWelcome         = "welcome" // nothing asked yet
	StConsent         = "consent"
	StNIK             = "nik"
	StName            = "name"
	StBirthConfirm    = "birth_confirm"
	StBirthEntry      = "birth_entry"
	StPhone           = "phone"
	StRegency         = "regency"
	StProvince        = "province"
	StDistrict        = "district"
	StVillage         = "village"
	StOccupation      = "occupation"
	StOccupationOther = "occupation_other"
	StIncome          = "income"
	StPrograms        = "programs"
	StReview          = "review"
	StDone            = "done"

	// Paying the contribution (pay.go).
	StPayWho    = "pay_who"    // which registration, when the chat has several
	StPayMonths = "pay_months" // 1, 3, 6 or 12 months
	StPayBank   = "pay_bank"   // which bank's virtual account
)

// Events of the self-registration flow.
const (
	EvNext     = "next"     // the answer was taken: go to the following question
	EvAlt      = "alt"      // the other branch ("Salah", "Provinsi lain", "Lainnya")
	EvBack     = "back"     // /kembali
	EvReview   = "review"   // while editing: the changed answer returns to the review
	EvRederive = "rederive" // a changed NIK asks to confirm its birth date again
	EvConfirm  = "confirm"  // the review was confirmed: the registration is stored
	EvCancel   = "cancel"   // /batal, confirmed: the draft is discarded
	EvRestart  = "restart"  // start over (after a cancel, an expiry, or to register someone else)
	EvPay      = "pay"      // /bayar: pay a registration's contribution
	EvPayOne   = "pay_one"  // /bayar when the chat has one registration: straight to the months
)

// Edit events, one per field group, from the review.
const (
	EvEditNIK        = "edit_nik"
	EvEditName       = "edit_name"
	EvEditBirth      = "edit_birth"
	EvEditPhone      = "edit_phone"
	EvEditAddress    = "edit_address"
	EvEditOccupation = "edit_occupation"
	EvEditIncome     = "edit_income"
	EvEditPrograms   = "edit_programs"
)

// draftStates hold an unfinished registration.
var draftStates = []string{StConsent, StNIK, StName, StBirthConfirm, StBirthEntry, StPhone, StRegency,
	StProvince, StDistrict, StVillage, StOccupation, StOccupationOther, StIncome, StPrograms, StReview}

// payStates are the questions of paying a contribution.
var payStates = []string{StPayWho, StPayMonths, StPayBank}

// registerEvents is the single source of truth for how the registration moves.
var registerEvents = fsm.Events{
	// forward
	{Name: EvNext, Src: []string{StWelcome}, Dst: StConsent},
	{Name: EvNext, Src: []string{StConsent}, Dst: StNIK},
	{Name: EvNext, Src: []string{StNIK}, Dst: StName},
	{Name: EvNext, Src: []string{StName}, Dst: StBirthConfirm},
	{Name: EvNext, Src: []string{StBirthConfirm, StBirthEntry}, Dst: StPhone},
	{Name: EvNext, Src: []string{StPhone}, Dst: StRegency},
	{Name: EvNext, Src: []string{StProvince}, Dst: StRegency},
	{Name: EvNext, Src: []string{StRegency}, Dst: StDistrict},
	{Name: EvNext, Src: []string{StDistrict}, Dst: StVillage},
	{Name: EvNext, Src: []string{StVillage}, Dst: StOccupation},
	{Name: EvNext, Src: []string{StOccupation, StOccupationOther}, Dst: StIncome},
	{Name: EvNext, Src: []string{StIncome}, Dst: StPrograms},
	{Name: EvNext, Src: []string{StPrograms}, Dst: StReview},
	{Name: EvConfirm, Src: []string{StReview}, Dst: StDone},
	// branches
	{Name: EvAlt, Src: []string{StBirthConfirm}, Dst: StBirthEntry},
	{Name: EvAlt, Src: []string{StRegency}, Dst: StProvince},
	{Name: EvAlt, Src: []string{StOccupation}, Dst: StOccupationOther},
	{Name: EvRederive, Src: []string{StNIK}, Dst: StBirthConfirm},
	// back
	{Name: EvBack, Src: []string{StNIK}, Dst: StConsent},
	{Name: EvBack, Src: []string{StName}, Dst: StNIK},
	{Name: EvBack, Src: []string{StBirthConfirm}, Dst: StName},
	{Name: EvBack, Src: []string{StBirthEntry}, Dst: StBirthConfirm},
	{Name: EvBack, Src: []string{StPhone}, Dst: StBirthConfirm},
	{Name: EvBack, Src: []string{StRegency}, Dst: StPhone},
	{Name: EvBack, Src: []string{StProvince}, Dst: StRegency},
	{Name: EvBack, Src: []string{StDistrict}, Dst: StRegency},
	{Name: EvBack, Src: []string{StVillage}, Dst: StDistrict},
	{Name: EvBack, Src: []string{StOccupation}, Dst: StVillage},
	{Name: EvBack, Src: []string{StOccupationOther}, Dst: StOccupation},
	{Name: EvBack, Src: []string{StIncome}, Dst: StOccupation},
	{Name: EvBack, Src: []string{StPrograms}, Dst: StIncome},
	{Name: EvBack, Src: []string{StReview}, Dst: StPrograms},
	// edit from the review, and the way back to it
	{Name: EvEditNIK, Src: []string{StReview}, Dst: StNIK},
	{Name: EvEditName, Src: []string{StReview}, Dst: StName},
	{Name: EvEditBirth, Src: []string{StReview}, Dst: StBirthEntry},
	{Name: EvEditPhone, Src: []string{StReview}, Dst: StPhone},
	{Name: EvEditAddress, Src: []string{StReview}, Dst: StRegency},
	{Name: EvEditOccupation, Src: []string{StReview}, Dst: StOccupation},
	{Name: EvEditIncome, Src: []string{StReview}, Dst: StIncome},
	{Name: EvEditPrograms, Src: []string{StReview}, Dst: StPrograms},
	{Name: EvReview, Src: []string{StNIK, StName, StBirthConfirm, StBirthEntry, StPhone, StRegency, StProvince,
		StDistrict, StVillage, StOccupation, StOccupationOther, StIncome, StPrograms}, Dst: StReview},
	// paying
	{Name: EvPay, Src: append([]string{StWelcome, StDone}, agentStates...), Dst: StPayWho},
	{Name: EvPayOne, Src: append([]string{StWelcome, StDone}, agentStates...), Dst: StPayMonths},
	{Name: EvNext, Src: []string{StPayWho}, Dst: StPayMonths},
	{Name: EvNext, Src: []string{StPayMonths}, Dst: StPayBank},
	{Name: EvNext, Src: []string{StPayBank}, Dst: StDone},
	{Name: EvBack, Src: []string{StPayWho, StPayMonths}, Dst: StDone},
	{Name: EvBack, Src: []string{StPayBank}, Dst: StPayMonths},
	{Name: EvCancel, Src: payStates, Dst: StDone},
	// leaving
	{Name: EvCancel, Src: draftStates, Dst: StWelcome},
	{Name: EvRestart, Src: append(append([]string{StWelcome, StDone}, draftStates...), append(applyStates, append(agentStates, claimStates...)...)...), Dst: StConsent},
}

// machines reuses registration FSMs: building one allocates ~15 KB (its
// transition and callback maps), so a machine is taken from the pool, set to
// the chat's saved state, fired once and put back. Nothing of a chat stays in it.
// machines are the flows' FSMs, pooled, and their questions by state.
type machines struct {
	pool      sync.Pool
	questions map[string]question
}

func newMachines() *machines {
	return &machines{pool: sync.Pool{New: func() any { return fsm.NewFSM(StWelcome, allEvents, nil) }}, questions: allQuestions()}
}

// transition fires one event on the registration FSM from state and returns
// the new state.
func (ms *machines) transition(ctx context.Context, state, event string) (string, error) {
	if state == "" {
		state = StWelcome
	}
	m := ms.pool.Get().(*fsm.FSM)
	defer ms.pool.Put(m)
	m.SetState(state)
	err := m.Event(ctx, event)
	var noTransition fsm.NoTransitionError
	if err != nil && !errors.As(err, &noTransition) {
		return state, fmt.Errorf("event %q in state %q: %w", event, state, err)
	}
	return m.Current(), nil
}

// allEvents is every flow's table in one machine: a chat is in one state of one of them.
var allEvents = append(append(append(append(fsm.Events{}, registerEvents...), agentEvents...), claimEvents...), broadcastEvents...)

// defined lists the (event, source) pairs of allEvents, for can.
var defined = func() map[[2]string]bool {
	m := map[[2]string]bool{}
	for _, e := range allEvents {
		for _, src := range e.Src {
			m[[2]string{e.Name, src}] = true
		}
	}
	return m
}()

// can reports whether event is defined from state (what fsm.FSM.Can answers,
// without building a machine).
func can(state, event string) bool { return defined[[2]string{event, state}] }

// DraftStates lists the states of an unfinished registration.
func DraftStates() []string { return append([]string(nil), draftStates...) }

// States lists every state of the registration flow.
func States() []string {
	out := append(append([]string{StWelcome, StDone}, draftStates...), payStates...)
	return append(append(append(append(out, applyStates...), agentStates...), claimStates...), broadcastStates...)
}
