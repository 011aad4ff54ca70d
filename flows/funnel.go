package flows

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lindungi/lindungi/tanggal"
)

// Steps of the registration funnel, in order: where conversations get to
// and where they stop (the dashboard's drop-off view).
const (
	StepConsent    = "consent"
	StepNIK        = "nik"
	StepName       = "name"
	StepPhone      = "phone"
	StepDomicile   = "domicile"
	StepOccupation = "occupation"
	StepIncome     = "income"
	StepReview     = "review"
	StepDone       = "done"
)

// FunnelSteps lists the funnel's steps in order.
var FunnelSteps = []string{StepConsent, StepNIK, StepName, StepPhone, StepDomicile, StepOccupation, StepIncome, StepReview, StepDone}

// funnelStepOf is the step a registration state belongs to ("" for none).
var funnelStepOf = map[State]string{
	StConsent: StepConsent, StNIK: StepNIK, StBirthConfirm: StepNIK, StBirthEntry: StepNIK, StName: StepName, StPhone: StepPhone,
	StNIKVillage: StepDomicile, StRegency: StepDomicile, StProvince: StepDomicile, StDistrict: StepDomicile, StVillage: StepDomicile,
	StOccupation: StepOccupation, StOccupationOther: StepOccupation, StIncome: StepIncome, StIncomeList: StepIncome,
	StPrograms: StepIncome, StReview: StepReview, StEdit: StepReview, StDone: StepDone,
}

// FunnelTx records the funnel as conversations move (appended counts,
// folded in later, so concurrent chats never wait on each other).
type FunnelTx interface {
	// FunnelMove: a conversation begun in week moved its furthest step
	// from one step to another ("" when it just began).
	FunnelMove(ctx context.Context, week time.Time, from, to string) error
	// FunnelError: an error (its text key) made at a step.
	FunnelError(ctx context.Context, week time.Time, step, key string) error
}

// funnelMark is a conversation's place in the funnel before a turn.
type funnelMark struct{ week, step string }

func (t *turn) funnelMark() funnelMark {
	return funnelMark{t.s.Data.FunnelWeek, t.s.Data.FunnelStep}
}

// trackFunnel records how far the turn took a worker's own registration
// (an agent's residents are not a conversation of theirs).
func (t *turn) trackFunnel(ctx context.Context, before funnelMark) error {
	if t.s.Flow != FlowRegister || t.s.Data.Agent {
		return nil
	}
	if t.s.Data.FunnelWeek == "" && before.week != "" {
		// The answers were reset (cancelled, started over, expired): it is
		// still the same conversation.
		t.s.Data.FunnelWeek, t.s.Data.FunnelStep = before.week, before.step
	}
	step := funnelStepOf[t.s.State]
	if step == "" {
		return nil
	}
	if t.s.Data.FunnelWeek == "" {
		if step == StepDone {
			return nil // registered before the funnel was counted
		}
		t.s.Data.FunnelWeek = tanggal.WeekStart(t.now).Format(time.DateOnly)
	}
	from := t.s.Data.FunnelStep
	if slices.Index(FunnelSteps, step) > slices.Index(FunnelSteps, from) {
		week, err := t.funnelWeek()
		if err != nil {
			return nil //nolint:nilerr // a mark from elsewhere: leave the counts alone
		}
		// A step jumped over (answers known already) was passed on the
		// way: each in between counts as reached, none as stopped at.
		for i := slices.Index(FunnelSteps, from) + 1; i <= slices.Index(FunnelSteps, step); i++ {
			if err := t.tx.FunnelMove(ctx, week, from, FunnelSteps[i]); err != nil {
				return err
			}
			from = FunnelSteps[i]
		}
		t.s.Data.FunnelStep = step
	}
	if step == StepDone {
		t.s.Data.FunnelWeek, t.s.Data.FunnelStep = "", ""
	}
	return nil
}

// funnelWeek is the week the conversation began, in the deployment's zone.
func (t *turn) funnelWeek() (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, t.s.Data.FunnelWeek, t.cfg.Location)
}

// funnelError records a typed answer refused at a registration step (the
// "<field>.err.<code>" texts).
func (t *turn) funnelError(ctx context.Context, key string) error {
	if !strings.Contains(key, ".err.") || t.s.Flow != FlowRegister || t.s.Data.Agent || t.s.Data.FunnelWeek == "" {
		return nil
	}
	step := funnelStepOf[t.s.State]
	if step == "" {
		return nil
	}
	week, err := t.funnelWeek()
	if err != nil {
		return nil //nolint:nilerr // a mark from elsewhere: leave the counts alone
	}
	return t.tx.FunnelError(ctx, week, step, key)
}
