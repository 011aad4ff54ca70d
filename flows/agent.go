package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/tanggal"
	"github.com/lindungi/lindungi/telepon"
	"github.com/lindungi/lindungi/wilayah"
)

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

// applyQuestions are the questions of applying to be an agent (see question).
func applyQuestions() map[string]question {
	return map[string]question{
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

// agentQuestions are the questions of an agent's work (see question).
func agentQuestions() map[string]question {
	return map[string]question{
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
		return t.fire(ctx, EvNext, t.T("nik.ok", map[string]any{"NIK": nik.Mask(n.Digits)}))
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
		return Reply{Text: t.T("nik.ask", nil), Input: InputText}, nil
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

func agentSubject(id int64) string { return "agent:" + strconv.FormatInt(id, 10) }

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

// startResident begins registering a resident: the registration questions,
// phrased for a third person, from the agent's attestation.
func (t *turn) startResident(ctx context.Context) error {
	t.s.Data = Answers{Agent: true}
	return t.fire(ctx, EvResident, "")
}

// Standings of a resident, from their coverage.
const (
	standingAwaiting = "awaiting" // never paid
	standingActive   = "active"   // protected until a date
	standingArrears  = "arrears"  // protection ended, arrears can still be paid (3 months)
	standingEnded    = "ended"    // membership ended: more than 3 months unpaid
)

// standing says where a resident stands today, and the date that goes with it.
func (t *turn) standing(r Resident) (string, time.Time) {
	if r.CoveredTo.IsZero() {
		return standingAwaiting, time.Time{}
	}
	today := tanggal.Midnight(t.now)
	end := time.Date(r.CoveredTo.Year(), r.CoveredTo.Month(), r.CoveredTo.Day(), 0, 0, 0, 0, t.cfg.Location)
	switch {
	case !today.After(end):
		return standingActive, end
	case !today.After(end.AddDate(0, 3, 0)):
		return standingArrears, end
	}
	return standingEnded, end
}

func (t *turn) standingLabel(r Resident) string {
	k, d := t.standing(r)
	return t.T("standing."+k, map[string]any{"Date": t.cat.Date(t.s.Lang, d)})
}

// residents lists the agent's residents matching the search typed in Warga saya.
func (t *turn) residents(ctx context.Context) ([]Resident, error) {
	all, err := t.myResidents(ctx)
	if err != nil {
		return nil, err
	}
	q := wilayah.Normalize(t.s.Data.Query)
	if q == "" {
		return all, nil
	}
	var out []Resident
	for _, r := range all {
		if strings.Contains(wilayah.Normalize(r.Name), q) || strings.EqualFold(r.Ref, strings.TrimSpace(t.s.Data.Query)) {
			out = append(out, r)
		}
	}
	return out, nil
}

// promptList renders a page of Warga saya.
func (t *turn) promptList(ctx context.Context) (Reply, error) {
	a, err := t.agent(ctx)
	if err != nil || a == nil {
		return Reply{}, errors.Join(err, errors.New("no agent record"))
	}
	res, err := t.residents(ctx)
	if err != nil {
		return Reply{}, err
	}
	pages := max(1, (len(res)+agentPage-1)/agentPage)
	page := max(0, min(t.s.Data.Page, pages-1))
	shown := res[page*agentPage : min(len(res), (page+1)*agentPage)]
	var b strings.Builder
	key := "agent.list_header"
	if t.s.Data.Query != "" {
		key = "agent.list_found"
	}
	b.WriteString(t.T(key, map[string]any{"Count": len(res), "Query": quote(t.s.Data.Query), "Page": page + 1, "Pages": pages}))
	var refs []string
	var choices []Choice
	for i, r := range shown {
		refs = append(refs, r.Ref)
		linked := ""
		if r.Linked() {
			linked = " " + t.T("agent.linked_mark", nil)
		}
		b.WriteString("\n")
		b.WriteString(t.T("agent.list_line", map[string]any{"N": page*agentPage + i + 1, "Name": displayName(r.Name), "Standing": t.standingLabel(r), "Linked": linked}))
		choices = append(choices, Choice{Label: displayName(r.Name), Data: "al:" + r.Ref})
	}
	if a.Role == RolePerisai {
		month, total, err := t.tx.AgentCollected(ctx, time.Date(t.now.Year(), t.now.Month(), 1, 0, 0, 0, 0, t.cfg.Location))
		if err != nil {
			return Reply{}, err
		}
		b.WriteString("\n\n")
		b.WriteString(t.feeText(t.s.Lang, month, total))
	}
	b.WriteString("\n\n")
	b.WriteString(t.T("agent.list_ask", nil))
	if page > 0 {
		choices = append(choices, Choice{Label: t.T("page.prev", nil), Data: fmt.Sprintf("al:pg:%d", page-1)})
	}
	if page < pages-1 {
		choices = append(choices, Choice{Label: t.T("page.next", map[string]any{"Page": page + 2, "Pages": pages}), Data: fmt.Sprintf("al:pg:%d", page+1)})
	}
	if t.s.Data.Query != "" {
		choices = append(choices, Choice{Label: t.T("agent.list_all", nil), Data: "al:all"})
	}
	choices = append(choices, Choice{Label: t.T("agent.back_home", nil), Data: "al:home"})
	t.shown = &shownRecords{action: "agent:list", subject: agentSubject(a.ID), detail: "refs=" + strings.Join(refs, ",")}
	t.mentionRefs(refs)
	return Reply{Text: b.String(), Input: InputText, Choices: choices}, nil
}

// mentionRefs notes the registrations a reply lists (Reply.About).
func (t *turn) mentionRefs(refs []string) {
	for _, ref := range refs {
		t.mentions(about.Registration(ref))
	}
}

// shownRecords is a read of personal data a prompt showed, for the audit log.
type shownRecords struct{ action, subject, detail string }

func (t *turn) answerList(ctx context.Context) error {
	switch c := t.ev.Choice; {
	case c == "al:home":
		return t.home(ctx, "")
	case c == "al:all":
		t.s.Data.Query = ""
		return t.ask(ctx, "")
	case strings.HasPrefix(c, "al:"):
		res, err := t.myResidents(ctx)
		if err != nil {
			return err
		}
		ref := strings.TrimPrefix(c, "al:")
		for _, r := range res {
			if r.Ref == ref {
				t.s.Data.Focus = ref
				return t.fire(ctx, EvOpen, "")
			}
		}
		return t.askNote(ctx, "choice.stale", nil)
	}
	in, ok, err := t.needText(ctx)
	if !ok {
		return err
	}
	t.s.Data.Query = in
	t.s.Data.Page = 0
	return t.ask(ctx, "")
}

// focused is the resident opened from Warga saya.
func (t *turn) focused(ctx context.Context) (Resident, bool, error) {
	res, err := t.myResidents(ctx)
	if err != nil {
		return Resident{}, false, err
	}
	for _, r := range res {
		if r.Ref == t.s.Data.Focus {
			return r, true, nil
		}
	}
	return Resident{}, false, nil
}

func (t *turn) promptResident(ctx context.Context) (Reply, error) {
	r, ok, err := t.focused(ctx)
	if err != nil {
		return Reply{}, err
	}
	if !ok {
		return Reply{Text: t.T("agent.resident_gone", nil), Input: InputText, Choices: []Choice{{Label: t.T("agent.back_list", nil), Data: "rs:back"}}}, nil
	}
	linked := t.T("agent.not_linked", nil)
	if r.Linked() {
		linked = t.T("agent.linked", nil)
	}
	text := t.T("agent.resident", map[string]any{"Name": displayName(r.Name), "Ref": r.Ref, "NIK": nik.Mask(r.NIK),
		"Phone": maskOrDash(r.Phone, telepon.Mask), "Standing": t.standingLabel(r), "Linked": linked, "Monthly": rupiahOf(r.MonthlyIuran)})
	choices := []Choice{{Label: t.T("agent.resident_pay", nil), Data: "rs:pay"}}
	if !r.Linked() {
		choices = append(choices, Choice{Label: t.T("agent.resident_code", nil), Data: "rs:code"})
	}
	choices = append(choices, Choice{Label: t.T("agent.back_list", nil), Data: "rs:back"})
	t.shown = &shownRecords{action: "agent:view", subject: r.Ref}
	t.mentions(about.Registration(r.Ref))
	return Reply{Text: text, Input: InputText, Choices: choices}, nil
}

func (t *turn) answerResident(ctx context.Context) error {
	switch t.ev.Choice {
	case "rs:back":
		return t.fire(ctx, EvList, "")
	case "rs:pay":
		if _, ok, err := t.approvedAgent(ctx); !ok {
			return err
		}
		return t.startAgentPay(ctx, []string{t.s.Data.Focus})
	case "rs:code":
		if _, ok, err := t.approvedAgent(ctx); !ok {
			return err
		}
		return t.claimCode(ctx)
	}
	return t.ask(ctx, "")
}

// claimCode makes a single-use code (and a Telegram link) for the opened
// resident to link their own chat.
func (t *turn) claimCode(ctx context.Context) error {
	r, ok, err := t.focused(ctx)
	if err != nil {
		return err
	}
	if !ok || r.Linked() {
		return t.askNote(ctx, "agent.code_not_needed", nil)
	}
	expires := t.now.Add(t.cfg.ClaimCodeTTL)
	code, err := t.tx.NewClaimCode(ctx, r.Ref, expires)
	if errors.Is(err, ErrNotYours) {
		return t.askNote(ctx, "agent.code_not_needed", nil)
	}
	if err != nil {
		return err
	}
	exp := expires.In(t.cfg.Location)
	t.mentions(about.Registration(r.Ref))
	reply := Reply{Text: t.T("agent.code", map[string]any{"Name": displayName(r.Name), "Code": code,
		"Expiry": t.cat.Date(t.s.Lang, exp) + " " + exp.Format("15.04")}), Input: InputNone}
	if bot := t.botUsername(); bot != "" {
		link := ClaimLink(bot, code)
		reply.Text += "\n\n" + t.T("agent.code_link", map[string]any{"URL": link})
		reply.Photo = LinkPhoto(link)
	}
	t.say(reply)
	return t.ask(ctx, "")
}

func (t *turn) botUsername() string {
	if t.cfg.BotUsername == nil {
		return ""
	}
	return t.cfg.BotUsername()
}

// ClaimLink is the Telegram deep link that links a resident's chat in one tap.
func ClaimLink(bot, code string) string {
	return "https://t.me/" + bot + "?start=" + claimPrefix + code
}

// claimPrefix starts the /start parameter of a claim link.
const claimPrefix = "klaim-"

// payableResident reports whether an agent may pay for a resident.
func payableResident(r Resident) bool {
	return r.Status == StatusAwaitingPayment || r.Status == StatusActive
}

// startAgentPay begins paying for residents, with picks already chosen.
func (t *turn) startAgentPay(ctx context.Context, picks []string) error {
	if t.payer == nil {
		return t.askNote(ctx, "pay.unavailable", nil)
	}
	res, err := t.myResidents(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(res, payableResident) {
		return t.askNote(ctx, "agent.pay_none", nil)
	}
	t.s.Data.Picks = picks
	t.s.Data.PayMonths = 0
	if len(picks) > 0 {
		next, err := t.machines.transition(ctx, t.s.State, EvAgentPay)
		if err != nil {
			return err
		}
		t.enter(next)
		return t.fire(ctx, EvNext, "")
	}
	return t.fire(ctx, EvAgentPay, "")
}

// picked lists the picked residents that can still be paid for.
func (t *turn) picked(ctx context.Context) ([]Resident, error) {
	res, err := t.myResidents(ctx)
	if err != nil {
		return nil, err
	}
	var out []Resident
	for _, r := range res {
		if payableResident(r) && slices.Contains(t.s.Data.Picks, r.Ref) {
			out = append(out, r)
		}
	}
	return out, nil
}

// owes reports whether a resident has not paid for today: never paid, or in arrears.
func (t *turn) owes(r Resident) bool {
	k, _ := t.standing(r)
	return k == standingAwaiting || k == standingArrears
}

func (t *turn) promptAgentPay(ctx context.Context) (Reply, error) {
	switch t.s.State {
	case StAgPayPick:
		res, err := t.myResidents(ctx)
		if err != nil {
			return Reply{}, err
		}
		var payable []Resident
		due := 0
		for _, r := range res {
			if payableResident(r) {
				payable = append(payable, r)
				if t.owes(r) {
					due++
				}
			}
		}
		pages := max(1, (len(payable)+agentPage-1)/agentPage)
		page := max(0, min(t.s.Data.Page, pages-1))
		var choices []Choice
		for _, r := range payable[page*agentPage : min(len(payable), (page+1)*agentPage)] {
			mark := "☐ "
			if slices.Contains(t.s.Data.Picks, r.Ref) {
				mark = "☑ "
			}
			choices = append(choices, Choice{Label: mark + displayName(r.Name), Data: "pk:t:" + r.Ref})
		}
		if page > 0 {
			choices = append(choices, Choice{Label: t.T("page.prev", nil), Data: fmt.Sprintf("pk:pg:%d", page-1)})
		}
		if page < pages-1 {
			choices = append(choices, Choice{Label: t.T("page.next", map[string]any{"Page": page + 2, "Pages": pages}), Data: fmt.Sprintf("pk:pg:%d", page+1)})
		}
		if due > 0 {
			choices = append(choices, Choice{Label: t.T("agent.pick_due", map[string]any{"Count": due}), Data: "pk:due"})
		}
		var refs []string
		for _, r := range payable[page*agentPage : min(len(payable), (page+1)*agentPage)] {
			refs = append(refs, r.Ref)
		}
		if a, err := t.agent(ctx); err == nil && a != nil {
			t.shown = &shownRecords{action: "agent:pay_list", subject: agentSubject(a.ID), detail: "refs=" + strings.Join(refs, ",")}
		}
		t.mentionRefs(refs)
		n := len(t.s.Data.Picks)
		if n > 0 {
			choices = append(choices, Choice{Label: t.T("agent.pick_go", map[string]any{"Count": n}), Data: "pk:go"})
		}
		return Reply{Text: t.T("agent.pick", map[string]any{"Count": n}), Input: InputText, Choices: choices}, nil
	case StAgPayMonth:
		picks, err := t.picked(ctx)
		if err != nil {
			return Reply{}, err
		}
		var choices []Choice
		for _, m := range iuran.Periods() {
			total, _, err := t.agentQuote(picks, m)
			if err != nil {
				return Reply{}, err
			}
			choices = append(choices, Choice{Label: t.T("pay.months_choice", map[string]any{"Months": m, "Total": rupiahOf(total)}), Data: "ay:" + strconv.Itoa(m)})
		}
		return Reply{Text: t.T("agent.pay_months", map[string]any{"Count": len(picks)}), Input: InputText, Choices: choices}, nil
	case StAgPayBank:
		picks, err := t.picked(ctx)
		if err != nil {
			return Reply{}, err
		}
		total, _, err := t.agentQuote(picks, t.s.Data.PayMonths)
		if err != nil {
			return Reply{}, err
		}
		r, err := t.promptBank(total, t.s.Data.PayMonths, "ab")
		return r, err
	}
	return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
}

// agentQuote prices months of contributions for each resident picked.
func (t *turn) agentQuote(picks []Resident, months int) (int64, []PaymentLine, error) {
	var total int64
	lines := make([]PaymentLine, 0, len(picks))
	for _, r := range picks {
		q, err := t.quote(RegistrationView{Registration: Registration{Bracket: r.Bracket, JHT: r.JHT}}, months)
		if err != nil {
			return 0, nil, fmt.Errorf("quote %s: %w", r.Ref, err)
		}
		total += q.Totals.Total
		lines = append(lines, lineOf(r.Ref, q))
	}
	return total, lines, nil
}

func (t *turn) answerAgentPay(ctx context.Context) error {
	d := &t.s.Data
	switch t.s.State {
	case StAgPayPick:
		res, err := t.myResidents(ctx)
		if err != nil {
			return err
		}
		c := t.ev.Choice
		if t.ev.Kind == KindText {
			switch strings.ToLower(t.text()) {
			case "semua", "all":
				c = "pk:due"
			case "lanjut", "next", "ok":
				c = "pk:go"
			}
		}
		switch {
		case c == "pk:go":
			if len(d.Picks) == 0 {
				return t.askNote(ctx, "agent.pick_empty", nil)
			}
			return t.fire(ctx, EvNext, "")
		case c == "pk:due":
			d.Picks = nil
			for _, r := range res {
				if payableResident(r) && t.owes(r) {
					d.Picks = append(d.Picks, r.Ref)
				}
			}
			return t.ask(ctx, "")
		case strings.HasPrefix(c, "pk:t:"):
			ref := strings.TrimPrefix(c, "pk:t:")
			if !slices.ContainsFunc(res, func(r Resident) bool { return r.Ref == ref && payableResident(r) }) {
				return t.askNote(ctx, "choice.stale", nil)
			}
			if i := slices.Index(d.Picks, ref); i >= 0 {
				d.Picks = slices.Delete(d.Picks, i, i+1)
			} else {
				d.Picks = append(d.Picks, ref)
			}
			return t.ask(ctx, "")
		}
		return t.askNote(ctx, "agent.pick_unclear", nil)
	case StAgPayMonth:
		months := t.monthsAnswer("ay")
		if months == 0 {
			return t.askNote(ctx, "pay.months_unclear", nil)
		}
		d.PayMonths = months
		return t.fire(ctx, EvNext, "")
	case StAgPayBank:
		bank, ok := t.bankAnswer("ab")
		if !ok {
			return t.askNote(ctx, "pay.bank_unclear", nil)
		}
		return t.issueAgent(ctx, bank)
	}
	return fmt.Errorf("not an agent payment state: %s", t.s.State)
}
