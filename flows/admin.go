package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/nik"
)

// adminLang is the language of messages for admins the bot has not talked with.
const adminLang = locales.Default

// Admin commands: known to admins only; for everyone else they are unknown commands.
const (
	cmdAdmin         = "admin"
	cmdApprove       = "approve"
	cmdAgentList     = "agents"
	cmdMoveNIK       = "move_nik"
	cmdAdminAdd      = "admin_add"
	cmdAdminRemove   = "admin_remove"
	cmdAdminList     = "admin_list"
	cmdBroadcast     = "broadcast"
	cmdBroadcastList = "broadcast_list"
)

var adminCommands = []string{cmdAdmin, cmdApprove, cmdAgentList, cmdMoveNIK, cmdAdminAdd, cmdAdminRemove, cmdAdminList, cmdBroadcast, cmdBroadcastList, cmdStats}

// Pending admin questions (Session.Pending "<what>:<detail>"): an admin
// answers them whatever state the chat is in.
const (
	pendingReject    = "adm_reject"   // :<agent id> a reason to reject
	pendingSuspend   = "adm_suspend"  // :<agent id> a reason to suspend
	pendingMoveNIK   = "adm_move_nik" // the NIK in dispute
	pendingMoveTo    = "adm_move_to"  // :<ref> where it goes
	pendingMoveWhy   = "adm_move_why" // :<ref>:<to> why
	pendingAdminsPfx = "adm_"
)

// isAdmin reports whether the user writing is an admin: named by the
// environment, or added in chat.
func (t *turn) isAdmin(ctx context.Context) (bool, error) {
	if slices.Contains(t.cfg.Admins, t.who()) {
		return true, nil
	}
	return t.tx.IsAdmin(ctx)
}

// who is the user writing, channel-qualified ("telegram:123456789").
func (t *turn) who() string {
	u := t.s.UserID
	if u == "" {
		u = t.s.ChatID
	}
	return t.s.Channel + ":" + u
}

// tellAdmins sends a message to every admin (their private chat has their
// user id); about names whom it quotes (Reply.About).
func (t *turn) tellAdmins(ctx context.Context, key string, data map[string]any, about ...string) error {
	added, err := t.tx.Admins(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, who := range append(slices.Clone(t.cfg.Admins), added...) {
		channel, id, ok := strings.Cut(who, ":")
		if !ok || seen[who] {
			continue
		}
		seen[who] = true
		if err := t.tx.SendTo(ctx, channel, id, []Reply{noticeOf(NoticeAgent, adminLang, Reply{Text: t.cat.T(adminLang, key, data), Input: InputNone, About: about})}); err != nil {
			return err
		}
	}
	return nil
}

// adminCommand runs an admin command; for anyone else it is unknown.
func (t *turn) adminCommand(ctx context.Context, name, arg string) error {
	ok, err := t.isAdmin(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return t.askNote(ctx, "command.unknown", nil)
	}
	t.s.Pending = ""
	switch name {
	case cmdAdmin:
		return t.adminMenu(ctx)
	case cmdBroadcast:
		return t.startBroadcast(ctx)
	case cmdBroadcastList:
		return t.broadcastList(ctx)
	case cmdStats:
		return t.stats(ctx)
	case cmdApprove:
		return t.applications(ctx)
	case cmdAgentList:
		return t.agentList(ctx, arg)
	case cmdMoveNIK:
		t.s.Pending = pendingMoveNIK
		t.say(Reply{Text: t.T("admin.move_nik", nil), Input: InputText})
		return nil
	case cmdAdminAdd, cmdAdminRemove:
		who := strings.TrimSpace(arg)
		if !ValidWho(who) {
			return t.askNote(ctx, "admin.who_format", nil)
		}
		if name == cmdAdminAdd {
			if err := t.tx.AddAdmin(ctx, who); err != nil {
				return err
			}
			return t.askNote(ctx, "admin.added", map[string]any{"Who": who})
		}
		if slices.Contains(t.cfg.Admins, who) {
			return t.askNote(ctx, "admin.env_fixed", map[string]any{"Who": who})
		}
		gone, err := t.tx.RemoveAdmin(ctx, who)
		if err != nil {
			return err
		}
		if !gone {
			return t.askNote(ctx, "admin.not_admin", map[string]any{"Who": who})
		}
		return t.askNote(ctx, "admin.removed", map[string]any{"Who": who})
	case cmdAdminList:
		added, err := t.tx.Admins(ctx)
		if err != nil {
			return err
		}
		return t.askNote(ctx, "admin.list", map[string]any{"Env": orDash(strings.Join(t.cfg.Admins, ", ")), "Added": orDash(strings.Join(added, ", "))})
	}
	return t.askNote(ctx, "command.unknown", nil)
}

// adminMenu answers /admin: the admin's commands, the admins, and buttons.
func (t *turn) adminMenu(ctx context.Context) error {
	added, err := t.tx.Admins(ctx)
	if err != nil {
		return err
	}
	t.say(Reply{Text: t.T("admin.help", nil) + "\n\n" + t.T("admin.list", map[string]any{"Env": orDash(strings.Join(t.cfg.Admins, ", ")),
		"Added": orDash(strings.Join(added, ", "))}), Input: InputNone, Choices: []Choice{
		{Label: t.T("admin.menu.broadcast", nil), Data: "ad:" + cmdBroadcast},
		{Label: t.T("admin.menu.broadcasts", nil), Data: "ad:" + cmdBroadcastList},
		{Label: t.T("admin.menu.applications", nil), Data: "ad:" + cmdApprove},
		{Label: t.T("admin.menu.agents", nil), Data: "ad:" + cmdAgentList},
		{Label: t.T("admin.menu.move", nil), Data: "ad:" + cmdMoveNIK},
		{Label: t.T("admin.menu.stats", nil), Data: "ad:" + cmdStats},
	}})
	return nil
}

// ValidWho checks a channel-qualified user id: "telegram:123456789".
func ValidWho(s string) bool {
	channel, id, ok := strings.Cut(s, ":")
	if !ok || channel == "" || id == "" || len(s) > 100 {
		return false
	}
	for _, r := range channel + id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// applications lists the agent applications waiting, each with its buttons.
func (t *turn) applications(ctx context.Context) error {
	pending, err := t.tx.Agents(ctx, AgentPending)
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		return t.askNote(ctx, "admin.no_applications", nil)
	}
	const most = 10
	for _, a := range pending[:min(most, len(pending))] {
		if err := t.tx.AuditOn(ctx, "admin:view_application", agentSubject(a.ID), ""); err != nil {
			return err
		}
		t.mentions(about.Agent(a.ID))
		id := strconv.FormatInt(a.ID, 10)
		t.say(Reply{Text: t.T("admin.application", map[string]any{"ID": a.ID, "Summary": t.agentSummary(a),
			"Date": t.cat.Date(t.s.Lang, a.CreatedAt.In(t.cfg.Location))}), Input: InputNone, Choices: []Choice{
			{Label: t.T("admin.approve", nil), Data: "ap:ok:" + id}, {Label: t.T("admin.reject", nil), Data: "ap:no:" + id}}})
	}
	if len(pending) > most {
		t.sayText("admin.more_applications", map[string]any{"Count": len(pending) - most})
	}
	return nil
}

// agentList lists approved and suspended agents (whose name contains
// query, if given), newest first, with a button to suspend or reinstate each
// of the first ones.
func (t *turn) agentList(ctx context.Context, query string) error {
	all, err := t.tx.Agents(ctx, "")
	if err != nil {
		return err
	}
	slices.Reverse(all)
	const buttons, most = 8, 30
	q := strings.ToLower(strings.TrimSpace(query))
	var lines []string
	var choices []Choice
	for _, a := range all {
		if a.Status != AgentApproved && a.Status != AgentSuspended || q != "" && !strings.Contains(strings.ToLower(a.Name), q) {
			continue
		}
		if len(lines) == most {
			break
		}
		id := strconv.FormatInt(a.ID, 10)
		t.mentions(about.Agent(a.ID))
		lines = append(lines, t.T("admin.agent_line", map[string]any{"ID": a.ID, "Name": displayName(a.Name), "Role": t.roleLabel(a.Role),
			"Status": t.T("admin.status."+a.Status, nil)}))
		if len(choices) == buttons {
			continue
		}
		if a.Status == AgentApproved {
			choices = append(choices, Choice{Label: t.T("admin.suspend", map[string]any{"ID": a.ID}), Data: "ap:sus:" + id})
		} else {
			choices = append(choices, Choice{Label: t.T("admin.reinstate", map[string]any{"ID": a.ID}), Data: "ap:re:" + id})
		}
	}
	if err := t.tx.AuditOn(ctx, "admin:list_agents", "agents", fmt.Sprintf("count=%d", len(lines))); err != nil {
		return err
	}
	if len(lines) == 0 {
		return t.askNote(ctx, "admin.no_agents", nil)
	}
	t.say(Reply{Text: t.T("admin.agents", nil) + "\n" + strings.Join(lines, "\n") + "\n\n" + t.T("admin.agents_search", nil), Input: InputNone, Choices: choices})
	return nil
}

// adminChoice handles the buttons of admin messages ("ap:…"), pressed
// whatever the chat is doing.
func (t *turn) adminChoice(ctx context.Context) error {
	ok, err := t.isAdmin(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return t.askNote(ctx, "choice.stale", nil)
	}
	parts := strings.Split(t.ev.Choice, ":")
	if len(parts) != 3 {
		return t.askNote(ctx, "choice.stale", nil)
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return t.askNote(ctx, "choice.stale", nil)
	}
	switch parts[1] {
	case "ok":
		return t.decide(ctx, id, AgentApproved, "")
	case "re":
		return t.decide(ctx, id, AgentApproved, "")
	case "no":
		t.s.Pending = pendingReject + ":" + parts[2]
	case "sus":
		t.s.Pending = pendingSuspend + ":" + parts[2]
	default:
		return t.askNote(ctx, "choice.stale", nil)
	}
	t.say(Reply{Text: t.T("admin.reason_ask", map[string]any{"ID": id}), Input: InputText})
	return nil
}

// decide sets an agent's status, tells the agent and answers the admin.
func (t *turn) decide(ctx context.Context, id int64, status, reason string) error {
	a, before, err := t.decideAgent(ctx, id, status, reason)
	switch {
	case errors.Is(err, ErrRefused):
		return t.askNote(ctx, "admin.already", map[string]any{"ID": id, "Status": t.T("admin.status."+before, nil)})
	case errors.Is(err, ErrNotFound) && before == "":
		return t.askNote(ctx, "admin.agent_unknown", map[string]any{"ID": id})
	case errors.Is(err, ErrNotFound):
		// Another admin decided it in the meantime.
		return t.askNote(ctx, "admin.decided_elsewhere", map[string]any{"ID": id})
	case err != nil:
		return err
	}
	t.mentions(about.Agent(id))
	return t.askNote(ctx, "admin.decided."+status, map[string]any{"ID": id, "Name": displayName(a.Name)})
}

// adminPending takes the answer to an admin's pending question.
func (t *turn) adminPending(ctx context.Context) error {
	ok, err := t.isAdmin(ctx)
	if err != nil {
		return err
	}
	what, detail, _ := strings.Cut(t.s.Pending, ":")
	if !ok {
		t.s.Pending = ""
		return t.askNote(ctx, "command.unknown", nil)
	}
	in, ok, err := t.needText(ctx)
	if !ok {
		return err
	}
	switch what {
	case pendingReject, pendingSuspend:
		if n := len([]rune(in)); n < 5 || n > 300 {
			t.say(Reply{Text: t.T("admin.reason_length", map[string]any{"Got": n}), Input: InputText})
			return nil
		}
		id, _ := strconv.ParseInt(detail, 10, 64)
		t.s.Pending = ""
		status := AgentRejected
		if what == pendingSuspend {
			status = AgentSuspended
		}
		return t.decide(ctx, id, status, in)
	case pendingMoveNIK:
		n, err := nik.Parse(in, t.regions, t.now, 0, 120)
		if err != nil {
			var fe fieldError
			if errors.As(err, &fe) {
				code, got, char := fe.Fields()
				t.say(Reply{Text: t.T("nik.err."+code, map[string]any{"Got": got, "Char": char}) + "\n\n" + t.T("admin.move_nik", nil), Input: InputText})
				return nil
			}
			return err
		}
		o, err := t.tx.FindNIK(ctx, n.Digits)
		if err != nil {
			return err
		}
		if o == nil {
			t.s.Pending = ""
			return t.askNote(ctx, "admin.move_none", map[string]any{"NIK": nik.Mask(n.Digits)})
		}
		if err := t.tx.AuditOn(ctx, "admin:view_registration", o.Ref, "nik dispute"); err != nil {
			return err
		}
		t.s.Pending = pendingMoveTo + ":" + o.Ref
		t.mentions(about.Registration(o.Ref))
		t.say(Reply{Text: t.T("admin.move_found", map[string]any{"Ref": o.Ref, "Name": displayName(o.Name), "Owner": t.ownerLabel(*o)}) +
			"\n\n" + t.T("admin.move_to", nil), Input: InputText})
		return nil
	case pendingMoveTo:
		to := strings.ToLower(strings.TrimSpace(in))
		if rest, ok := strings.CutPrefix(to, "agen:"); ok {
			if _, err := strconv.ParseInt(rest, 10, 64); err != nil {
				t.say(Reply{Text: t.T("admin.move_to_format", nil), Input: InputText})
				return nil
			}
		} else if !ValidWho(to) {
			t.say(Reply{Text: t.T("admin.move_to_format", nil), Input: InputText})
			return nil
		}
		t.s.Pending = pendingMoveWhy + ":" + detail + ":" + to
		t.say(Reply{Text: t.T("admin.move_why", nil), Input: InputText})
		return nil
	case pendingMoveWhy:
		if n := len([]rune(in)); n < 5 || n > 300 {
			t.say(Reply{Text: t.T("admin.reason_length", map[string]any{"Got": n}), Input: InputText})
			return nil
		}
		ref, to, _ := strings.Cut(detail, ":")
		t.s.Pending = ""
		return t.move(ctx, ref, to, in)
	}
	t.s.Pending = ""
	return t.ask(ctx, "")
}

// move gives a disputed registration to its rightful chat or to an agent,
// and tells both chats.
func (t *turn) move(ctx context.Context, ref, to, reason string) error {
	var toChannel, toChat string
	var toAgent int64
	if rest, ok := strings.CutPrefix(to, "agen:"); ok {
		toAgent, _ = strconv.ParseInt(rest, 10, 64)
	} else {
		toChannel, toChat, _ = strings.Cut(to, ":")
	}
	from, err := t.tx.MoveRegistration(ctx, ref, toChannel, toChat, toAgent, reason)
	t.changed()
	if errors.Is(err, ErrNotFound) {
		return t.askNote(ctx, "admin.move_failed", map[string]any{"Ref": ref})
	}
	if err != nil {
		return err
	}
	if toAgent > 0 {
		agents, err := t.tx.Agents(ctx, AgentApproved)
		if err != nil {
			return err
		}
		for _, a := range agents {
			if a.ID == toAgent {
				if err := t.tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{noticeOf(NoticeAgent, adminLang, Reply{Text: t.cat.T(adminLang, "admin.moved_to_agent", map[string]any{"Ref": ref, "Name": displayName(from.Name)}), Input: InputNone,
					About: []string{about.Registration(ref)}})}); err != nil {
					return err
				}
			}
		}
	}
	if toAgent == 0 && from.AgentID > 0 {
		agents, err := t.tx.Agents(ctx, "")
		if err != nil {
			return err
		}
		for _, a := range agents {
			// An agent whose data was erased at their request has no chat to tell.
			if a.ID == from.AgentID && a.ChatID != "" && a.Status != AgentErased {
				if err := t.tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{noticeOf(NoticeAgent, adminLang, Reply{Text: t.cat.T(adminLang, "admin.moved_from_agent", map[string]any{"Ref": ref, "Reason": reason}), Input: InputNone})}); err != nil {
					return err
				}
			}
		}
	}
	if toAgent == 0 {
		if from.Channel != "" && (from.Channel != toChannel || from.ChatID != toChat) {
			if err := t.tx.SendTo(ctx, from.Channel, from.ChatID, []Reply{noticeOf(NoticeMessage, adminLang, Reply{Text: t.cat.T(adminLang, "admin.moved_away", map[string]any{"Ref": ref, "Reason": reason}), Input: InputNone})}); err != nil {
				return err
			}
		}
		if err := t.tx.SendTo(ctx, toChannel, toChat, []Reply{noticeOf(NoticeMessage, adminLang, Reply{Text: t.cat.T(adminLang, "admin.moved_here", map[string]any{"Ref": ref, "Name": displayName(from.Name)}), Input: InputNone})}); err != nil {
			return err
		}
	}
	t.mentions(about.Registration(ref))
	return t.askNote(ctx, "admin.moved", map[string]any{"Ref": ref, "To": to})
}

func (t *turn) ownerLabel(o Owner) string {
	var parts []string
	if o.AgentID > 0 {
		name := displayName(o.AgentName)
		if o.AgentName == "" {
			name = t.T("admin.agent_erased", nil) // the agent's data was erased at their request
		}
		parts = append(parts, t.T("admin.owner_agent", map[string]any{"ID": o.AgentID, "Name": name}))
	}
	if o.Channel != "" {
		parts = append(parts, t.T("admin.owner_chat", map[string]any{"Chat": o.Channel + ":" + o.ChatID}))
	} else {
		parts = append(parts, t.T("admin.owner_none", nil))
	}
	return strings.Join(parts, "; ")
}
