package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
)

// IsAdmin reports whether the user writing was made an admin in chat.
func (t *chatTx) IsAdmin(ctx context.Context) (bool, error) {
	var yes bool
	err := t.get(ctx, &yes, `SELECT EXISTS (SELECT 1 FROM admins WHERE channel = $1 AND user_id = $2)`, t.channel, t.user())
	if err != nil {
		return false, fmt.Errorf("admin %s: %w", t.actor(), err)
	}
	return yes, nil
}

// Admins lists the admins added in chat as "channel:user_id", sorted.
func (t *chatTx) Admins(ctx context.Context) ([]string, error) {
	var out []string
	if err := t.sel(ctx, &out, `SELECT channel || ':' || user_id FROM admins ORDER BY 1`); err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	return out, nil
}

// splitWho splits "channel:user_id".
func splitWho(who string) (channel, userID string, err error) {
	channel, userID, ok := strings.Cut(who, ":")
	if !ok || channel == "" || userID == "" {
		return "", "", fmt.Errorf("admin %q: want channel:user_id", who)
	}
	return channel, userID, nil
}

// AddAdmin makes who ("channel:user_id") an admin; one already is stays as they were.
func (t *chatTx) AddAdmin(ctx context.Context, who string) error {
	channel, userID, err := splitWho(who)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `INSERT INTO admins (channel, user_id, added_by, added_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, user_id) DO NOTHING`, channel, userID, t.actor(), t.now); err != nil {
		return fmt.Errorf("add admin %s: %w", who, err)
	}
	return t.AuditOn(ctx, "admin:add", who, "")
}

// RemoveAdmin removes an admin added in chat; false when who was none.
func (t *chatTx) RemoveAdmin(ctx context.Context, who string) (bool, error) {
	channel, userID, err := splitWho(who)
	if err != nil {
		return false, err
	}
	res, err := t.exec(ctx, `DELETE FROM admins WHERE channel = $1 AND user_id = $2`, channel, userID)
	if err != nil {
		return false, fmt.Errorf("remove admin %s: %w", who, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remove admin %s: %w", who, err)
	}
	if n == 0 {
		return false, nil
	}
	return true, t.AuditOn(ctx, "admin:remove", who, "")
}

// Agents lists agent records with a status ("" for all), oldest application
// first, NIK and phone opened.
func (t *chatTx) Agents(ctx context.Context, status string) ([]flows.Agent, error) {
	var rows []agentRow
	if err := t.sel(ctx, &rows, qAgentFrom+` WHERE $1 = '' OR a.status = $1 ORDER BY a.created_at, a.id`, status); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	out := make([]flows.Agent, 0, len(rows))
	for _, r := range rows {
		a, err := t.openAgent(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// agentDecisions are the statuses an admin may give.
var agentDecisions = []string{flows.AgentApproved, flows.AgentRejected, flows.AgentSuspended}

// DecideAgent sets an agent's status with a reason, as decided by the user
// writing, and returns the agent as it now is. flows.ErrNotFound.
func (t *chatTx) DecideAgent(ctx context.Context, id int64, status, reason string) (flows.Agent, error) {
	if !slices.Contains(agentDecisions, status) {
		return flows.Agent{}, fmt.Errorf("decide agent %d: %q is not a decision", id, status)
	}
	// Only from the statuses a decision applies to, so that two admins
	// deciding at once cannot both win.
	from := map[string][]string{
		flows.AgentApproved:  {flows.AgentPending, flows.AgentSuspended},
		flows.AgentRejected:  {flows.AgentPending},
		flows.AgentSuspended: {flows.AgentApproved},
	}[status]
	res, err := t.exec(ctx, `UPDATE agents SET status = $2, reason = $3, decided_by = $4, decided_at = $5, updated_at = $5
		WHERE id = $1 AND status = ANY($6)`, id, status, reason, t.actor(), t.now, pq.StringArray(from))
	if err != nil {
		return flows.Agent{}, fmt.Errorf("decide agent %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return flows.Agent{}, fmt.Errorf("decide agent %d: %w", id, err)
	}
	if n == 0 {
		return flows.Agent{}, fmt.Errorf("decide agent %d: %w", id, flows.ErrNotFound)
	}
	var r agentRow
	if err := t.get(ctx, &r, qAgentFrom+` WHERE a.id = $1`, id); err != nil {
		return flows.Agent{}, fmt.Errorf("decide agent %d: %w", id, err)
	}
	a, err := t.openAgent(r)
	if err != nil {
		return flows.Agent{}, err
	}
	return a, t.AuditOn(ctx, "admin:agent_"+status, agentSubject(id), reason)
}

// ownerRow is who holds a registration.
type ownerRow struct {
	Ref       string `db:"ref"`
	Name      string `db:"name"`
	Channel   string `db:"channel"`
	ChatID    string `db:"chat_id"`
	AgentID   int64  `db:"agent_id"`
	AgentName string `db:"agent_name"`
}

func (o ownerRow) owner() flows.Owner { return flows.Owner(o) }

// ownerLabel names an owner in the audit log, without personal data:
// "agent:3+telegram:77", "web:abc", "none".
func ownerLabel(o flows.Owner) string {
	var parts []string
	if o.AgentID > 0 {
		parts = append(parts, agentSubject(o.AgentID))
	}
	if o.Channel != "" {
		parts = append(parts, o.Channel+":"+o.ChatID)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// FindNIK finds the live registration holding a NIK; nil when none.
func (t *chatTx) FindNIK(ctx context.Context, nik string) (*flows.Owner, error) {
	var o ownerRow
	err := t.get(ctx, &o, `
		SELECT r.ref, r.name, r.channel, r.chat_id, coalesce(r.agent_id, 0) AS agent_id, coalesce(a.name, '') AS agent_name
		FROM registrations r LEFT JOIN agents a ON a.id = r.agent_id
		WHERE r.nik_hash = $1 AND r.deleted_at IS NULL`, t.vault.Hash("nik", nik))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find nik: %w", err)
	}
	owner := o.owner()
	return &owner, nil
}

// MoveRegistration gives a live registration to another chat or, with
// toAgent > 0, to another approved agent, and returns who had it.
// flows.ErrNotFound: no such live registration, no such approved agent, or
// no chat to move to.
func (t *chatTx) MoveRegistration(ctx context.Context, ref, toChannel, toChat string, toAgent int64, reason string) (flows.Owner, error) {
	var o ownerRow
	err := t.get(ctx, &o, `
		SELECT r.ref, r.name, r.channel, r.chat_id, coalesce(r.agent_id, 0) AS agent_id, coalesce(a.name, '') AS agent_name
		FROM registrations r LEFT JOIN agents a ON a.id = r.agent_id
		WHERE r.ref = $1 AND r.deleted_at IS NULL FOR UPDATE OF r`, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return flows.Owner{}, fmt.Errorf("move %s: %w", ref, flows.ErrNotFound)
	}
	if err != nil {
		return flows.Owner{}, fmt.Errorf("move %s: %w", ref, err)
	}
	from := o.owner()
	to := from
	if toAgent > 0 {
		var name string
		err := t.get(ctx, &name, `SELECT name FROM agents WHERE id = $1 AND status = $2`, toAgent, flows.AgentApproved)
		if errors.Is(err, sql.ErrNoRows) {
			return flows.Owner{}, fmt.Errorf("move %s to agent %d: %w", ref, toAgent, flows.ErrNotFound)
		}
		if err != nil {
			return flows.Owner{}, fmt.Errorf("move %s: %w", ref, err)
		}
		if _, err := t.exec(ctx, `UPDATE registrations SET agent_id = $2, updated_at = $3 WHERE ref = $1`, ref, toAgent, t.now); err != nil {
			return flows.Owner{}, fmt.Errorf("move %s: %w", ref, err)
		}
		to.AgentID, to.AgentName = toAgent, name
	} else {
		if toChannel == "" || toChat == "" {
			return flows.Owner{}, fmt.Errorf("move %s: no chat to move to: %w", ref, flows.ErrNotFound)
		}
		// The rightful owner holds it alone: no agent keeps access, and the
		// consent given for it was somebody else's.
		if _, err := t.exec(ctx, `UPDATE registrations SET channel = $2, chat_id = $3, agent_id = NULL, consent_id = NULL, updated_at = $4 WHERE ref = $1`,
			ref, toChannel, toChat, t.now); err != nil {
			return flows.Owner{}, fmt.Errorf("move %s: %w", ref, err)
		}
		to.Channel, to.ChatID, to.AgentID, to.AgentName = toChannel, toChat, 0, ""
	}
	detail := "from " + ownerLabel(from) + " to " + ownerLabel(to) + ": " + reason
	if err := t.AuditOn(ctx, "admin:move_registration", ref, detail); err != nil {
		return flows.Owner{}, err
	}
	return from, nil
}
