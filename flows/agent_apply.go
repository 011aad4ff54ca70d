package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/telepon"
	"github.com/lindungi/lindungi/wilayah"
)

// States of applying to be an agent (agent_apply.go).
const (
	StAgConsent State = "ag_consent" // consent to the processing of the applicant's own data
	StAgRole    State = "ag_role"
	StAgNIK     State = "ag_nik"
	StAgName    State = "ag_name"
	StAgArea    State = "ag_area" // the desa/kelurahan, or a Perisai agent's institution
	StAgRTRW    State = "ag_rtrw" // RT/RW numbers, for the roles that have them
	StAgPhone   State = "ag_phone"
	StAgReview  State = "ag_review"
)

// Events of an agent application.
const (
	EvApply   = "apply" // /agen: apply to be an agent
	EvBackAlt = "back_alt"
)

// applyStates are the questions of an agent application.
var applyStates = []State{StAgConsent, StAgRole, StAgNIK, StAgName, StAgArea, StAgRTRW, StAgPhone, StAgReview}

// applyEvents move through an agent application.
var applyEvents = table{
	{EvApply, applyFrom, StAgConsent},
	{EvNext, []State{StAgConsent}, StAgRole},
	{EvNext, []State{StAgRole}, StAgNIK},
	{EvNext, []State{StAgNIK}, StAgName},
	{EvNext, []State{StAgName}, StAgArea},
	{EvNext, []State{StAgArea}, StAgRTRW},
	{EvAlt, []State{StAgArea}, StAgPhone}, // a role without RT/RW numbers
	{EvNext, []State{StAgRTRW}, StAgPhone},
	{EvNext, []State{StAgPhone}, StAgReview},
	{EvConfirm, []State{StAgReview}, StAgHome},
	{EvBack, []State{StAgRole}, StAgConsent},
	{EvBack, []State{StAgNIK}, StAgRole},
	{EvBack, []State{StAgName}, StAgNIK},
	{EvBack, []State{StAgArea}, StAgName},
	{EvBack, []State{StAgRTRW}, StAgArea},
	{EvBack, []State{StAgPhone}, StAgRTRW},
	{EvBackAlt, []State{StAgPhone}, StAgArea},
	{EvBack, []State{StAgReview}, StAgPhone},
	{EvCancel, applyStates, StWelcome},
}

// applyQuestions are the questions of applying to be an agent (see question).
func applyQuestions() map[State]question {
	return map[State]question{
		StAgConsent: {"ac", (*turn).promptApplyQ, (*turn).answerApply},
		StAgRole:    {"ar", (*turn).promptApplyQ, (*turn).answerApply},
		StAgNIK:     {"", (*turn).promptApplyQ, (*turn).answerApply},
		StAgName:    {"", (*turn).promptApplyQ, (*turn).answerApply},
		StAgArea:    {"aa", (*turn).promptApplyQ, (*turn).answerApply},
		StAgRTRW:    {"rt", (*turn).promptApplyQ, (*turn).answerApply},
		StAgPhone:   {"", (*turn).promptApplyQ, (*turn).answerApply},
		StAgReview:  {"aw", (*turn).promptApplyQ, (*turn).answerApply},
	}
}

func (t *turn) promptApplyQ(context.Context) (Reply, error) { return t.promptApply() }

func (t *turn) answerApply(ctx context.Context) error {
	d := &t.s.Data
	switch t.s.State {
	case StAgConsent:
		yes, ok := t.yesNoAnswer("ac")
		switch {
		case !ok:
			return t.askNote(ctx, "consent.unclear", nil)
		case !yes:
			d.ConsentID = 0
			t.enter(StWelcome)
			t.sayText("agent.consent_declined", nil)
			return nil
		}
		t.rotate = true
		id, err := t.tx.RecordConsent(ctx, Consent{Channel: t.s.Channel, ChatID: t.s.ChatID, UserID: t.ev.UserID,
			TextVersion: t.cfg.ConsentVersion, UpdateID: t.ev.UpdateID, GivenAt: t.now})
		if err != nil {
			return err
		}
		d.ConsentID = id
		return t.fire(ctx, EvNext, "")
	case StAgRole:
		role := strings.TrimPrefix(t.ev.Choice, "ar:")
		if t.ev.Kind != KindChoice || !slices.Contains(AgentRoles, role) {
			return t.askNote(ctx, "agent.role_unclear", nil)
		}
		d.Role = role
		return t.fire(ctx, EvNext, "")
	case StAgNIK:
		n, ok, err := t.typedNIK(ctx, agentMinAge, agentMaxAge)
		if !ok {
			return err
		}
		d.NIK = n.Digits
		return t.fire(ctx, EvNext, t.T("nik.ok", map[string]any{"Date": t.cat.Date(t.s.Lang, n.BirthDate), "Sex": t.sexLabel(n.Female)}))
	case StAgName:
		name, ok, err := t.typedName(ctx)
		if !ok {
			return err
		}
		d.Name = name
		return t.fire(ctx, EvNext, "")
	case StAgArea:
		if d.Role == RolePerisai {
			in, ok, err := t.needText(ctx)
			if !ok {
				return err
			}
			if n := len([]rune(in)); n < 3 || n > 80 {
				return t.askNote(ctx, "agent.institution_length", map[string]any{"Got": n})
			}
			d.Institution = in
			return t.fire(ctx, EvAlt, "")
		}
		return t.answerAgentVillage(ctx)
	case StAgRTRW:
		return t.answerRTRW(ctx)
	case StAgPhone:
		return t.answerPhone(ctx)
	case StAgReview:
		switch t.ev.Choice {
		case "aw:ok":
			return t.submitApplication(ctx)
		case "aw:again":
			d.Role, d.NIK, d.Name, d.Village, d.RT, d.RW, d.Institution, d.Phone = "", "", "", "", "", "", "", ""
			t.enter(StAgRole)
			return t.ask(ctx, "")
		}
		if yes, ok := t.yesNoAnswer("aw"); ok && yes {
			return t.submitApplication(ctx)
		}
		return t.askNote(ctx, "review.unclear", nil)
	}
	return fmt.Errorf("not an application state: %s", t.s.State)
}

// answerAgentVillage takes the applicant's desa/kelurahan, picked or typed.
func (t *turn) answerAgentVillage(ctx context.Context) error {
	d := &t.s.Data
	take := func(code string) error {
		d.Village = code
		if rolesRT[d.Role] != "" {
			return t.fire(ctx, EvNext, "")
		}
		return t.fire(ctx, EvAlt, "")
	}
	if t.ev.Kind == KindChoice {
		code := strings.TrimPrefix(t.ev.Choice, "aa:")
		if r, ok := t.regions.Get(code); ok && r.Level == wilayah.Village {
			return take(code)
		}
		return t.askNote(ctx, "choice.stale", nil)
	}
	in, ok, err := t.needText(ctx)
	if !ok {
		return err
	}
	matches := t.regions.Search(t.cfg.Province, wilayah.Village, in, matchLimit)
	if len(matches) == 0 {
		matches = t.regions.Search("", wilayah.Village, in, matchLimit)
	}
	if len(matches) == 0 {
		return t.askNote(ctx, "region.none", map[string]any{"Query": quote(in), "Where": t.regionName("")})
	}
	if len(matches) == 1 || labelKey(matches[0].Name) == labelKey(in) && (len(matches) < 2 || labelKey(matches[1].Name) != labelKey(in)) {
		return take(matches[0].Code)
	}
	d.Matches = d.Matches[:0]
	for _, m := range matches {
		d.Matches = append(d.Matches, m.Code)
	}
	return t.askNote(ctx, "region.matches", map[string]any{"Query": in, "Count": len(matches)})
}

// answerRTRW takes RT/RW numbers: "RT 3 RW 5", "003/005", or for a ketua
// RW just "5".
func (t *turn) answerRTRW(ctx context.Context) error {
	d := &t.s.Data
	kind := rolesRT[d.Role]
	if t.ev.Choice == "rt:skip" && kind == "opt" {
		d.RT, d.RW = "", ""
		return t.fire(ctx, EvNext, "")
	}
	in, ok, err := t.needText(ctx)
	if !ok {
		return err
	}
	nums := numbersIn(in)
	bad := func() error { return t.askNote(ctx, "agent.rtrw_err."+kind, map[string]any{"Got": quote(in)}) }
	for _, n := range nums {
		if n < 1 || n > 999 {
			return bad()
		}
	}
	switch {
	case kind == "rw" && len(nums) == 1:
		d.RT, d.RW = "", fmt.Sprintf("%03d", nums[0])
	case len(nums) == 2:
		d.RT, d.RW = fmt.Sprintf("%03d", nums[0]), fmt.Sprintf("%03d", nums[1])
	default:
		return bad()
	}
	return t.fire(ctx, EvNext, "")
}

// numbersIn lists the whole numbers in a text ("RT 03 / RW 5" → 3, 5).
func numbersIn(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) {
		if len(f) > 4 {
			return append(out, -1)
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return append(out, -1)
		}
		out = append(out, n)
	}
	return out
}

func (t *turn) submitApplication(ctx context.Context) error {
	d := t.s.Data
	a := Agent{Channel: t.s.Channel, UserID: t.s.UserID, ChatID: t.s.ChatID, Role: d.Role, NIK: d.NIK, Name: d.Name,
		Phone: d.Phone, Village: d.Village, RT: d.RT, RW: d.RW, Institution: d.Institution, ConsentID: d.ConsentID}
	if a.UserID == "" {
		a.UserID = t.s.ChatID
	}
	if a.Role == "" || a.NIK == "" || a.Name == "" || a.Phone == "" || (a.Village == "" && a.Institution == "") {
		return t.askNote(ctx, "review.incomplete", nil)
	}
	id, err := t.tx.ApplyAgent(ctx, a)
	t.changed()
	if errors.Is(err, ErrDuplicate) {
		return t.askNote(ctx, "agent.nik_taken", map[string]any{"NIK": nik.Mask(a.NIK)})
	}
	if err != nil {
		return err
	}
	a.ID = id
	if err := t.tellAdmins(ctx, "admin.new_application", map[string]any{"Name": displayName(a.Name), "ID": id,
		"Role": t.cat.T(adminLang, "agent.role."+a.Role, nil)}, about.Agent(id)); err != nil {
		return err
	}
	t.s.Data = Answers{}
	next, err := t.machines.transition(ctx, t.s.State, EvConfirm)
	if err != nil {
		return err
	}
	t.enter(next)
	return t.askNote(ctx, "agent.applied", nil)
}

// agentSummary lists an application's answers, NIK and phone masked.
func (t *turn) agentSummary(a Agent) string {
	lines := []string{
		t.T("agent.field.role", map[string]any{"Value": orDash(t.roleLabel(a.Role))}),
		t.T("field.nik", map[string]any{"Value": maskOrDash(a.NIK, nik.Mask)}),
		t.T("field.name", map[string]any{"Value": orDash(displayName(a.Name))}),
	}
	if a.Role == RolePerisai {
		lines = append(lines, t.T("agent.field.institution", map[string]any{"Value": orDash(a.Institution)}))
	} else {
		area := t.addressLine(a.Village, parentCode(a.Village), parentCode(parentCode(a.Village)))
		if a.RT != "" {
			area = t.T("agent.rt_rw", map[string]any{"RT": a.RT, "RW": a.RW}) + ", " + area
		} else if a.RW != "" {
			area = t.T("agent.rw", map[string]any{"RW": a.RW}) + ", " + area
		}
		lines = append(lines, t.T("agent.field.area", map[string]any{"Value": orDash(area)}))
	}
	lines = append(lines, t.T("field.phone", map[string]any{"Value": maskOrDash(a.Phone, telepon.Mask)}))
	return strings.Join(lines, "\n")
}

func (t *turn) roleLabel(role string) string {
	if role == "" {
		return ""
	}
	return t.T("agent.role."+role, nil)
}

// draftAgent is the application being filled in.
func (t *turn) draftAgent() Agent {
	d := t.s.Data
	return Agent{Role: d.Role, NIK: d.NIK, Name: d.Name, Phone: d.Phone, Village: d.Village, RT: d.RT, RW: d.RW, Institution: d.Institution}
}

// promptApply renders the questions of an application.
func (t *turn) promptApply() (Reply, error) {
	d := &t.s.Data
	switch t.s.State {
	case StAgConsent:
		abroad := ""
		if app, ok := chatApps[t.s.Channel]; ok {
			abroad = t.T("consent.abroad", map[string]any{"App": app})
		}
		return Reply{Text: t.T("agent.consent", map[string]any{"Abroad": abroad}), Input: InputText,
			Choices: []Choice{{Label: t.T("consent.yes", nil), Data: "ac:yes"}, {Label: t.T("consent.no", nil), Data: "ac:no"}}}, nil
	case StAgRole:
		var choices []Choice
		for _, r := range AgentRoles {
			choices = append(choices, Choice{Label: t.roleLabel(r), Data: "ar:" + r})
		}
		return Reply{Text: t.T("agent.role_ask", nil), Input: InputText, Choices: choices}, nil
	case StAgNIK:
		return Reply{Text: t.T("nik.ask", nil), Input: InputNumber}, nil
	case StAgName:
		return Reply{Text: t.T("name.ask", nil), Input: InputText}, nil
	case StAgArea:
		if d.Role == RolePerisai {
			return Reply{Text: t.T("agent.institution_ask", nil), Input: InputText}, nil
		}
		r := Reply{Text: t.T("agent.village_ask", map[string]any{"Province": t.regionName(t.cfg.Province)}), Input: InputText}
		for _, code := range d.Matches {
			if v, ok := t.regions.Get(code); ok {
				r.Choices = append(r.Choices, Choice{Label: v.Name + ", " + t.regionName(v.Parent), Data: "aa:" + code})
			}
		}
		return r, nil
	case StAgRTRW:
		kind := rolesRT[d.Role]
		r := Reply{Text: t.T("agent.rtrw_ask."+kind, nil), Input: InputText}
		if kind == "opt" {
			r.Choices = []Choice{{Label: t.T("agent.rtrw_skip", nil), Data: "rt:skip"}}
		}
		return r, nil
	case StAgPhone:
		return Reply{Text: t.T("phone.ask", nil), Input: InputContact, InputLabel: t.T("phone.share", nil)}, nil
	case StAgReview:
		return Reply{Text: t.T("agent.review", map[string]any{"Summary": t.agentSummary(t.draftAgent())}), Input: InputText,
			Choices: []Choice{{Label: t.T("agent.submit", nil), Data: "aw:ok"}, {Label: t.T("agent.again", nil), Data: "aw:again"}}}, nil
	}
	return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
}
