package flows

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/telepon"
)

// Limits on linking a registration, so nobody can probe NIKs: a chat gets
// ClaimTries failed attempts in ClaimWindow, a NIK ClaimNIKTries from all
// chats together; then it waits until the window has passed.
const (
	ClaimTries    = 5
	ClaimNIKTries = 10
	ClaimWindow   = 24 * time.Hour
)

// claimLocked reports whether this chat (or the NIK being claimed) used up its attempts.
func (t *turn) claimLocked(ctx context.Context, nikDigits string) (bool, int, error) {
	chat, onNIK, err := t.tx.ClaimFailures(ctx, nikDigits, t.now.Add(-ClaimWindow))
	if err != nil {
		return false, 0, err
	}
	return chat >= ClaimTries || onNIK >= ClaimNIKTries, ClaimTries - chat, nil
}

// startClaim answers "Saya sudah didaftarkan" and /klaim.
func (t *turn) startClaim(ctx context.Context) error {
	if busy, err := t.busy(ctx); busy {
		return err
	}
	locked, _, err := t.claimLocked(ctx, "")
	if err != nil {
		return err
	}
	if locked {
		return t.askNote(ctx, "claim.locked", map[string]any{"Hours": int(ClaimWindow.Hours())})
	}
	t.s.Data = Answers{}
	t.s.Pending = ""
	return t.fire(ctx, EvClaim, "")
}

func (t *turn) answerClaim(ctx context.Context) error {
	d := &t.s.Data
	switch t.s.State {
	case StClNIK:
		// The widest age range: the age rules were checked at registration.
		n, ok, err := t.typedNIK(ctx, 0, 120)
		if !ok {
			return err
		}
		d.NIK = n.Digits
		return t.fire(ctx, EvNext, "")
	case StClName:
		name, ok, err := t.typedName(ctx)
		if !ok {
			return err
		}
		d.Name = name
		return t.fire(ctx, EvNext, "")
	case StClProof:
		return t.answerProof(ctx)
	case StClConsent:
		yes, ok := t.yesNoAnswer("cc")
		if !ok {
			return t.askNote(ctx, "consent.unclear", nil)
		}
		ref := d.Linked
		t.s.Data = Answers{}
		if !yes {
			return t.fire(ctx, EvNext, t.T("claim.consent_declined", nil))
		}
		id, err := t.tx.RecordConsent(ctx, Consent{Channel: t.s.Channel, ChatID: t.s.ChatID, UserID: t.ev.UserID,
			TextVersion: t.cfg.ConsentVersion, UpdateID: t.ev.UpdateID, GivenAt: t.now})
		if err != nil {
			return err
		}
		if err := t.tx.ConfirmConsent(ctx, ref, id); err != nil {
			return err
		}
		return t.fire(ctx, EvNext, t.T("claim.done", nil))
	}
	return fmt.Errorf("not a claim state: %s", t.s.State)
}

// answerProof checks the proof of a claim: the phone on file shared with
// the channel's contact button (the sender's own), or the agent's code.
// Every failure counts against the chat and the NIK, whatever failed, and
// the answer never says which part did not match.
func (t *turn) answerProof(ctx context.Context) error {
	d := &t.s.Data
	locked, _, err := t.claimLocked(ctx, d.NIK)
	if err != nil {
		return err
	}
	if locked {
		return t.lockClaim(ctx)
	}
	var phone, code string
	switch t.ev.Kind {
	case KindContact:
		c := t.ev.Contact
		if c == nil || c.Phone == "" {
			return t.askNote(ctx, "phone.err.contact_empty", nil)
		}
		if c.UserID == "" || c.UserID != t.ev.UserID {
			return t.askNote(ctx, "claim.not_own_contact", nil)
		}
		p, err := telepon.Normalize(c.Phone)
		if err != nil {
			return t.reject(ctx, "phone", err)
		}
		phone = p
	case KindText:
		code = strings.TrimSpace(t.text())
		if code == "" {
			return t.askNote(ctx, "input.need_text", nil)
		}
	default:
		return t.askNote(ctx, "input.need_text", nil)
	}
	c, err := t.tx.Claimable(ctx, d.NIK)
	if err != nil {
		return err
	}
	reason := ""
	switch {
	case c == nil:
		reason = "nik_unknown"
	case !c.ByAgent && c.Sponsor == "":
		reason = "not_by_agent"
	case c.Linked:
		reason = "already_linked"
	case !nama.Match(c.Name, d.Name):
		reason = "name_mismatch"
	case phone != "" && (c.Phone == "" || phone != c.Phone):
		reason = "phone_mismatch"
	}
	how := "phone"
	if reason == "" && code != "" {
		how = "code"
		if _, ok, err := t.tx.UseClaimCode(ctx, code, c.Ref); err != nil {
			return err
		} else if !ok {
			reason = "code_invalid"
		}
	}
	if reason != "" {
		return t.claimFailed(ctx, reason)
	}
	return t.link(ctx, c.Ref, how)
}

// claimFailed records a failed attempt and starts the claim again, or locks it.
func (t *turn) claimFailed(ctx context.Context, reason string) error {
	n := t.s.Data.NIK
	if err := t.tx.ClaimFailed(ctx, n, reason); err != nil {
		return err
	}
	locked, left, err := t.claimLocked(ctx, n)
	if err != nil {
		return err
	}
	t.s.Data = Answers{}
	if locked {
		if err := t.tx.AuditOn(ctx, "claim:locked", t.s.Channel+":"+t.s.ChatID, "alert: too many failed attempts"); err != nil {
			return err
		}
		return t.lockClaim(ctx)
	}
	// From the NIK again: the answer never says which part did not match.
	return t.fire(ctx, EvClaim, t.T("claim.failed", map[string]any{"Left": left}))
}

// lockClaim ends a claim whose attempts are used up.
func (t *turn) lockClaim(ctx context.Context) error {
	t.s.Data = Answers{}
	next, err := t.machines.transition(ctx, t.s.State, EvCancel)
	if err != nil {
		return err
	}
	t.enter(next)
	t.sayText("claim.locked", map[string]any{"Hours": int(ClaimWindow.Hours())})
	return nil
}

// link makes this chat the owner of a registration and asks the resident's consent.
func (t *turn) link(ctx context.Context, ref, how string) error {
	if err := t.tx.LinkResident(ctx, ref, how); err != nil {
		return err
	}
	t.s.Data = Answers{Linked: ref}
	next, err := t.machines.transition(ctx, t.s.State, EvClaimed)
	if err != nil {
		return err
	}
	t.enter(next)
	return t.ask(ctx, "")
}

// claimByLink answers /start klaim-<code>: a claim link the agent gave.
func (t *turn) claimByLink(ctx context.Context, code string) error {
	locked, _, err := t.claimLocked(ctx, "")
	if err != nil {
		return err
	}
	if locked {
		return t.askNote(ctx, "claim.locked", map[string]any{"Hours": int(ClaimWindow.Hours())})
	}
	ref, ok, err := t.tx.UseClaimCode(ctx, code, "")
	if err != nil {
		return err
	}
	if !ok {
		if err := t.tx.ClaimFailed(ctx, "", "link_invalid"); err != nil {
			return err
		}
		t.sayText("claim.link_invalid", nil)
		if t.s.State == StWelcome || t.s.State == "" {
			return t.startOver(ctx)
		}
		return t.ask(ctx, "")
	}
	return t.link(ctx, ref, "code")
}

// SponsorPrefix starts the /start parameter of a sponsor's poster link.
const SponsorPrefix = "sponsor-"

// SponsorLink is the Telegram link of a sponsor's poster: it starts the
// claim with the sponsor named.
func SponsorLink(bot, token string) string {
	return "https://t.me/" + bot + "?start=" + SponsorPrefix + token
}

// claimFromPoster answers /start sponsor-<token>: the claim, introduced by
// the sponsor's name.
func (t *turn) claimFromPoster(ctx context.Context, token string) error {
	sponsor, ok, err := t.tx.SponsorByToken(ctx, token)
	if err != nil {
		return err
	}
	if !ok {
		t.sayText("claim.link_invalid", nil)
		if t.s.State == StWelcome || t.s.State == "" {
			return t.startOver(ctx)
		}
		return t.ask(ctx, "")
	}
	if err := t.startClaim(ctx); err != nil {
		return err
	}
	if t.s.State == StClNIK && len(t.out) > 0 {
		last := &t.out[len(t.out)-1]
		last.Text = t.T("claim.sponsor_intro", map[string]any{"Sponsor": sponsor}) + "\n\n" + last.Text
	}
	return nil
}

// promptClaim renders the questions of a claim.
func (t *turn) promptClaim(ctx context.Context) (Reply, error) {
	switch t.s.State {
	case StClNIK:
		return Reply{Text: t.T("claim.nik", nil), Input: InputText}, nil
	case StClName:
		return Reply{Text: t.T("claim.name", nil), Input: InputText}, nil
	case StClProof:
		return Reply{Text: t.T("claim.proof", nil), Input: InputContact, InputLabel: t.T("phone.share", nil)}, nil
	case StClConsent:
		name := ""
		regs, err := t.tx.Registrations(ctx)
		if err != nil {
			return Reply{}, err
		}
		for _, r := range regs {
			if r.Ref == t.s.Data.Linked {
				name = displayName(r.Name)
			}
		}
		abroad := ""
		if app, ok := chatApps[t.s.Channel]; ok {
			abroad = t.T("consent.abroad", map[string]any{"App": app})
		}
		text := t.T("claim.linked", map[string]any{"Name": name, "Ref": t.s.Data.Linked, "Abroad": abroad})
		sponsor, until, err := t.tx.Sponsorship(ctx, t.s.Data.Linked)
		if err != nil {
			return Reply{}, err
		}
		switch {
		case sponsor != "" && !until.IsZero():
			text = t.T("claim.sponsored", map[string]any{"Sponsor": sponsor, "Date": t.cat.Date(t.s.Lang, until)}) + "\n" + text
		case sponsor != "":
			text = t.T("claim.sponsored_unpaid", map[string]any{"Sponsor": sponsor}) + "\n" + text
		}
		return Reply{Text: text, Input: InputText,
			Choices: []Choice{{Label: t.T("consent.yes", nil), Data: "cc:yes"}, {Label: t.T("consent.no", nil), Data: "cc:no"}}}, nil
	}
	return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
}
