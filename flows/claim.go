package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/telepon"
)

// States of linking a registration an agent made to the resident's own chat.
const (
	StClNIK     State = "cl_nik"
	StClName    State = "cl_name"
	StClProof   State = "cl_proof"   // the phone shared with the contact button, or the agent's claim code
	StClConsent State = "cl_consent" // linked: the resident confirms their own consent
)

// Events of linking a registration.
const (
	EvClaim   = "claim"   // "Saya sudah didaftarkan"
	EvClaimed = "claimed" // a claim link used: straight to the consent
)

// claimStates are the questions of linking a registration.
var claimStates = []State{StClNIK, StClName, StClProof, StClConsent}

// claimEvents move through linking a registration.
var claimEvents = table{
	{EvClaim, applyFrom, StClNIK},
	{EvNext, []State{StClNIK}, StClName},
	{EvNext, []State{StClName}, StClProof},
	{EvNext, []State{StClProof}, StClConsent},
	{EvNext, []State{StClConsent}, StDone},
	{EvBack, []State{StClName}, StClNIK},
	{EvBack, []State{StClProof}, StClName},
	{EvCancel, []State{StClNIK, StClName, StClProof}, StWelcome},
	{EvClaimed, append(append([]State{StWelcome, StDone}, draftStates...), applyFrom...), StClConsent},
}

// Limits on linking a registration, so nobody can probe NIKs or guess
// codes: failed attempts in ClaimWindow are counted by chat, and across all
// chats and channels by NIK, by claim code, by client address (the web
// chat, where a fresh cookie is a fresh chat) and by sponsor batch. Any one
// used up stops the attempt until the window has passed.
const (
	ClaimTries       = 5    // per chat
	ClaimNIKTries    = 10   // per NIK
	ClaimCodeTries   = 5    // per claim code
	ClaimClientTries = 20   // per client address (IPv6 by /64)
	ClaimBatchTries  = 1000 // per sponsor batch, whoever tries
	ClaimWindow      = 24 * time.Hour
)

// ClaimKeys name what a claim attempt was about, for its limits; "" where
// it gave nothing.
type ClaimKeys struct {
	NIK    string // the NIK typed
	Code   string // the claim code typed, or pre-filled by a link
	Client string // the sender's network address (Event.Client)
}

// ClaimCounts are the failed attempts within the window, per key.
type ClaimCounts struct {
	Chat, NIK, Code, Client, Batch int
}

// exhausted names the first limit used up, "" when none is.
func (c ClaimCounts) exhausted() string {
	switch {
	case c.Chat >= ClaimTries:
		return "chat"
	case c.NIK >= ClaimNIKTries:
		return "nik"
	case c.Code >= ClaimCodeTries:
		return "code"
	case c.Client >= ClaimClientTries:
		return "client"
	case c.Batch >= ClaimBatchTries:
		return "batch"
	}
	return ""
}

// left is how many tries this chat has left today, the fewest any of its
// own keys leaves (a batch's allowance is everybody's, not told).
func (c ClaimCounts) left(k ClaimKeys) int {
	n := ClaimTries - c.Chat
	if k.NIK != "" {
		n = min(n, ClaimNIKTries-c.NIK)
	}
	if k.Code != "" {
		n = min(n, ClaimCodeTries-c.Code)
	}
	if k.Client != "" {
		n = min(n, ClaimClientTries-c.Client)
	}
	return max(n, 0)
}

func (t *turn) claimKeys(nik, code string) ClaimKeys {
	return ClaimKeys{NIK: nik, Code: code, Client: t.ev.Client}
}

// claimLocked reports which limit of this attempt is used up ("" when
// none), and the tries left.
func (t *turn) claimLocked(ctx context.Context, k ClaimKeys) (string, int, error) {
	n, err := t.tx.ClaimFailures(ctx, k, t.now.Add(-ClaimWindow))
	if err != nil {
		return "", 0, err
	}
	return n.exhausted(), n.left(k), nil
}

// startClaim answers "Saya sudah didaftarkan" and /klaim.
func (t *turn) startClaim(ctx context.Context) error {
	if busy, err := t.claimBusy(ctx); busy {
		return err
	}
	locked, _, err := t.claimLocked(ctx, t.claimKeys("", ""))
	if err != nil {
		return err
	}
	if locked != "" {
		return t.askNote(ctx, "claim.locked", map[string]any{"Hours": int(ClaimWindow.Hours())})
	}
	t.s.Data = Answers{}
	t.s.Pending = ""
	return t.fire(ctx, EvClaim, "")
}

// claimQuestions are the questions of linking a registration (see question).
func claimQuestions() map[State]question {
	return map[State]question{
		StClNIK:     {"", (*turn).promptClaim, (*turn).answerClaim},
		StClName:    {"", (*turn).promptClaim, (*turn).answerClaim},
		StClProof:   {"cp", (*turn).promptClaim, (*turn).answerClaim},
		StClConsent: {"cc", (*turn).promptClaim, (*turn).answerClaim},
	}
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
		if d.ClaimCode != "" {
			// A link brought the code: NIK and name were the rest of the proof.
			return t.checkClaim(ctx, "", d.ClaimCode, "link")
		}
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
		t.rotate = true
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

// proofSenderData offers the number the person writes from as a claim's proof.
const proofSenderData = "cp:this"

// answerProof reads the proof of a claim: the phone on file shared with
// the channel's contact button (the sender's own), or the agent's code.
func (t *turn) answerProof(ctx context.Context) error {
	var phone, code string
	switch t.ev.Kind {
	case KindChoice:
		if t.ev.Choice != proofSenderData || t.s.Data.SenderPhone == "" {
			return t.askNote(ctx, "choice.stale", nil)
		}
		phone = t.s.Data.SenderPhone
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
	how := "phone"
	if code != "" {
		how = "code"
	}
	return t.checkClaim(ctx, phone, code, how)
}

// checkClaim checks a claim's NIK and name with its proof (a phone or a
// code) and links the registration when all of it matches. Every failure
// counts against the chat, the NIK, the code, the client and the batch,
// whatever failed, and the answer never says which part did not match;
// nothing about the registration is shown before it all did.
func (t *turn) checkClaim(ctx context.Context, phone, code, how string) error {
	d := &t.s.Data
	keys := t.claimKeys(d.NIK, code)
	locked, _, err := t.claimLocked(ctx, keys)
	if err != nil {
		return err
	}
	if locked != "" {
		return t.lockClaim(ctx)
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
	if reason == "" && code != "" {
		if _, ok, err := t.tx.UseClaimCode(ctx, code, c.Ref); err != nil {
			return err
		} else if !ok {
			reason = "code_invalid"
		}
	}
	if reason != "" {
		return t.claimFailed(ctx, keys, how, reason)
	}
	return t.link(ctx, c.Ref, how)
}

// claimFailed records a failed attempt and starts the claim again (a
// link's code kept), or locks it with an alert in the audit log.
func (t *turn) claimFailed(ctx context.Context, keys ClaimKeys, how, reason string) error {
	if how == "link" {
		reason = "link:" + reason
	}
	if err := t.tx.ClaimFailed(ctx, keys, reason); err != nil {
		return err
	}
	locked, left, err := t.claimLocked(ctx, keys)
	if err != nil {
		return err
	}
	t.s.Data = Answers{}
	if locked != "" {
		if err := t.tx.AuditOn(ctx, "claim:locked", t.s.Channel+":"+t.s.ChatID, "alert: too many failed attempts by "+locked); err != nil {
			return err
		}
		return t.lockClaim(ctx)
	}
	if how == "link" {
		t.s.Data.ClaimCode = keys.Code
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
	t.rotate = true
	t.s.Data = Answers{Linked: ref}
	next, err := t.machines.transition(ctx, t.s.State, EvClaimed)
	if err != nil {
		return err
	}
	t.enter(next)
	// What happened, then the question: two messages.
	linked, err := t.linkedText(ctx)
	if err != nil {
		return err
	}
	t.say(Reply{Text: linked, Input: InputNone})
	return t.ask(ctx, "")
}

// linkedText says which registration is now this chat's, and who pays for it.
func (t *turn) linkedText(ctx context.Context) (string, error) {
	regs, err := t.tx.Registrations(ctx)
	if err != nil {
		return "", err
	}
	name := ""
	for _, r := range regs {
		if r.Ref == t.s.Data.Linked {
			name = displayName(r.Name)
		}
	}
	text := t.T("claim.linked", map[string]any{"Name": name, "Ref": t.s.Data.Linked})
	sponsor, until, err := t.tx.Sponsorship(ctx, t.s.Data.Linked)
	if err != nil {
		return "", err
	}
	switch {
	case sponsor != "" && !until.IsZero():
		text = t.T("claim.sponsored", map[string]any{"Sponsor": sponsor, "Date": t.cat.Date(t.s.Lang, until)}) + "\n" + text
	case sponsor != "":
		text = t.T("claim.sponsored_unpaid", map[string]any{"Sponsor": sponsor}) + "\n" + text
	}
	return text, nil
}

// claimBusy is busy for a claim: a registration being filled in, or a
// broadcast an admin is writing, is finished or cancelled first.
func (t *turn) claimBusy(ctx context.Context) (bool, error) {
	if slices.Contains(broadcastStates, t.s.State) {
		return true, t.askNote(ctx, "claim.finish_broadcast", nil)
	}
	return t.busy(ctx)
}

// followLink answers what a link sends (readLink): Telegram's /start
// parameter or the text a WhatsApp link typed in. A claim code is only
// pre-filled, a poster's token names its sponsor.
func (t *turn) followLink(ctx context.Context, l linkAction) error {
	t.s.Pending = ""
	if l.token != "" {
		return t.claimFromPoster(ctx, l.token)
	}
	return t.claimByLink(ctx, l.code)
}

// claimByLink answers /start sambung-<code> and /sambung <code>: a claim
// link the agent gave, or a code a sponsor printed. The code is only
// pre-filled: the NIK and the full name are asked and checked with it, as
// on the typed path, before anything about the registration is shown.
// Whether the code is valid is not said before then either (no oracle for
// guessing).
func (t *turn) claimByLink(ctx context.Context, code string) error {
	if busy, err := t.claimBusy(ctx); busy {
		return err
	}
	if err := t.tx.AuditOn(ctx, "claim:attempt", t.s.Channel+":"+t.s.ChatID, "how=link"); err != nil {
		return err
	}
	locked, _, err := t.claimLocked(ctx, t.claimKeys("", code))
	if err != nil {
		return err
	}
	if locked != "" {
		return t.askNote(ctx, "claim.locked", map[string]any{"Hours": int(ClaimWindow.Hours())})
	}
	t.s.Data = Answers{ClaimCode: code}
	t.s.Pending = ""
	return t.fire(ctx, EvClaim, "")
}

// claimFromPoster answers /start sponsor-<token> and /sponsor <token>: the
// claim, introduced by the sponsor's name.
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
		if t.s.Data.ClaimCode != "" {
			return Reply{Text: t.T("claim.link_nik", nil), Input: InputText}, nil
		}
		return Reply{Text: t.T("claim.nik", nil), Input: InputText}, nil
	case StClName:
		return Reply{Text: t.T("claim.name", nil), Input: InputText}, nil
	case StClProof:
		switch {
		case t.s.Data.SenderPhone != "":
			// The channel knows the number the person writes from
			// (WhatsApp): one tap offers it as the proof.
			return Reply{Text: t.T("claim.proof_sender", map[string]any{"Phone": telepon.Mask(t.s.Data.SenderPhone)}), Input: InputText,
				Choices: []Choice{{Label: t.T("claim.proof_this", nil), Data: proofSenderData}}}, nil
		case t.s.Channel == whatsAppChannel:
			// A WhatsApp user with a username whose number is hidden: only the code proves.
			return Reply{Text: t.T("claim.proof_code", nil), Input: InputText}, nil
		}
		return Reply{Text: t.T("claim.proof", nil), Input: InputContact, InputLabel: t.T("phone.share", nil)}, nil
	case StClConsent:
		abroad := ""
		if app, ok := chatApps[t.s.Channel]; ok {
			abroad = t.T("consent.abroad_line", map[string]any{"App": app})
		}
		return Reply{Text: t.T("claim.consent_ask", map[string]any{"Abroad": abroad}), Input: InputText,
			Choices: []Choice{{Label: t.T("consent.yes", nil), Data: "cc:yes"}, {Label: t.T("consent.no", nil), Data: "cc:no"}}}, nil
	}
	return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
}
