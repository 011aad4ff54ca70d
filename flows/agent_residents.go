package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/tanggal"
	"github.com/lindungi/lindungi/telepon"
	"github.com/lindungi/lindungi/wilayah"
)

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
	// The one arrears rule: iuran's, as the reminders use it.
	switch iuran.Status(end, today) {
	case iuran.Active:
		return standingActive, end
	case iuran.Arrears:
		return standingArrears, end
	}
	return standingEnded, end
}

func (t *turn) standingLabel(r Resident) string {
	k, d := t.standing(r)
	return t.T("standing."+k, map[string]any{"Date": t.cat.Date(t.s.Lang, d), "Since": t.cat.Date(t.s.Lang, iuran.FirstUncovered(d))})
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
		if r.Savings > 0 {
			linked += " " + t.T("savings.resident_mark", map[string]any{"Balance": rupiahOf(r.Savings)})
		}
		linked += t.autoDebitMark(r)
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
		"Phone": maskOrDash(r.Phone, telepon.Mask), "Standing": t.standingLabel(r), "Linked": linked,
		"Monthly": rupiahOf(t.monthly(r.Bracket, r.JHT, r.Occupation).Totals.Total)})
	if r.Savings > 0 {
		text += "\n" + t.T("savings.resident", map[string]any{"Balance": rupiahOf(r.Savings)})
	}
	text += t.autoDebitResident(r)
	choices := []Choice{{Label: t.T("agent.resident_pay", nil), Data: "rs:pay"}}
	if !r.Linked() {
		choices = append(choices, Choice{Label: t.T("agent.resident_code", nil), Data: "rs:code"})
	}
	choices = append(choices, t.offerAutoDebitChoice(r)...)
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
	case "rs:auto":
		if _, ok, err := t.approvedAgent(ctx); !ok {
			return err
		}
		return t.offerAutoDebit(ctx)
	}
	return t.ask(ctx, "")
}

// claimCode makes a single-use code for the opened resident to link their
// own chat, with a link (and its QR picture) for each chat app the
// deployment serves: Telegram, WhatsApp, or both, labelled.
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
		"Expiry": t.cat.Date(t.s.Lang, exp) + " " + exp.Format("15.04")}), Input: InputNone, Copy: []string{code}}
	links := t.claimLinks(code)
	switch len(links) {
	case 0:
		t.say(reply)
	case 1:
		reply.Text += "\n\n" + t.T("agent.code_link", map[string]any{"URL": links[0].URL})
		reply.Photo = LinkPhoto(links[0].URL)
		t.say(reply)
	default:
		// Each app its link, labelled, and each link its QR picture.
		var lines []string
		for _, l := range links {
			lines = append(lines, t.T("agent.code_link_line", map[string]any{"App": l.App, "URL": l.URL}))
		}
		reply.Text += "\n\n" + t.T("agent.code_links", nil) + "\n" + strings.Join(lines, "\n")
		t.say(reply)
		for _, l := range links {
			t.say(Reply{Text: t.T("agent.code_qr", map[string]any{"App": l.App}), Photo: LinkPhoto(l.URL), Input: InputNone})
		}
	}
	return t.ask(ctx, "")
}
