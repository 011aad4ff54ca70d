package flows

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/telepon"
	"github.com/lindungi/lindungi/wilayah"
)

// cmdDashboard asks for a link to the staff dashboard (/dasbor).
const cmdDashboard = "dashboard"

// StaffLinkTTL is how long a dashboard sign-in link works.
const StaffLinkTTL = 10 * time.Minute

// ErrRefused is returned for a staff action the record's state does not
// allow now (an agent already decided, a value that breaks a rule).
var ErrRefused = errors.New("refused")

// DashboardTx is what asking for a dashboard link may do.
type DashboardTx interface {
	// HasStaffRole reports whether the user writing was given a role on
	// the dashboard.
	HasStaffRole(ctx context.Context) (bool, error)
	// CreateStaffLink stores a sign-in link's hash for the user writing.
	CreateStaffLink(ctx context.Context, tokenHash []byte, expires time.Time) error
	// CorrectRegistration sets one field of a registration (see
	// Engine.Correct) and returns who holds it.
	CorrectRegistration(ctx context.Context, ref string, c Correction) (Owner, error)
}

// NewStaffLink makes a sign-in link's secret and the hash that is stored.
func NewStaffLink() (token string, hash []byte, err error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("staff link: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, StaffLinkHash(token), nil
}

// StaffLinkHash is the stored form of a link's (or a session's) secret.
func StaffLinkHash(token string) []byte {
	h := sha256.Sum256([]byte("lindungi-staff:" + token))
	return h[:]
}

// dashboardLink answers /dasbor: a one-time sign-in link for staff.
func (t *turn) dashboardLink(ctx context.Context) error {
	ok, err := t.isAdmin(ctx)
	if err != nil {
		return err
	}
	if !ok {
		if ok, err = t.tx.HasStaffRole(ctx); err != nil {
			return err
		}
	}
	if !ok {
		return t.askNote(ctx, "command.unknown", nil)
	}
	if t.cfg.DashboardURL == "" {
		return t.askNote(ctx, "dashboard.off", nil)
	}
	token, hash, err := NewStaffLink()
	if err != nil {
		return err
	}
	if err := t.tx.CreateStaffLink(ctx, hash, t.now.Add(StaffLinkTTL)); err != nil {
		return err
	}
	t.s.Pending = ""
	t.say(Reply{Text: t.T("dashboard.link", map[string]any{"URL": fmt.Sprintf(t.cfg.DashboardURL, token),
		"Minutes": int(StaffLinkTTL / time.Minute)}), Input: InputNone})
	return nil
}

// staff runs a staff member's action from the dashboard in one transaction,
// as them: the audit log names the actor, and the people it tells are
// told through the outbox, committed with the change.
func (e *Engine) staff(ctx context.Context, actor string, fn func(ctx context.Context, t *turn) error) error {
	channel, user, ok := strings.Cut(actor, ":")
	if !ok || channel == "" || user == "" {
		return fmt.Errorf("staff %q: want channel:user_id", actor)
	}
	return e.store.Atomically(ctx, channel, user, func(ctx context.Context, tx Tx) error {
		t := &turn{Engine: e, tx: tx, s: &Session{Channel: channel, ChatID: user, Lang: locales.Default}, now: e.now().In(e.cfg.Location)}
		return fn(ctx, t)
	})
}

// DecideAgent approves, rejects, suspends or reinstates (approved from
// suspended) an agent from the dashboard, and tells the agent. ErrRefused
// when the agent's status does not allow it; ErrNotFound for no agent.
func (e *Engine) DecideAgent(ctx context.Context, actor string, id int64, status, reason string) (Agent, error) {
	var out Agent
	err := e.staff(ctx, actor, func(ctx context.Context, t *turn) error {
		a, _, err := t.decideAgent(ctx, id, status, reason)
		out = a
		return err
	})
	return out, err
}

// decideAgent sets an agent's status and tells the agent; it returns the
// agent and the status before. ErrRefused when the move is not allowed,
// ErrNotFound for no agent (or one another admin just decided).
func (t *turn) decideAgent(ctx context.Context, id int64, status, reason string) (Agent, string, error) {
	agents, err := t.tx.Agents(ctx, "")
	if err != nil {
		return Agent{}, "", err
	}
	i := slices.IndexFunc(agents, func(a Agent) bool { return a.ID == id })
	if i < 0 {
		return Agent{}, "", fmt.Errorf("agent %d: %w", id, ErrNotFound)
	}
	before := agents[i].Status
	allowed := map[string][]string{
		AgentApproved:  {AgentPending, AgentSuspended},
		AgentRejected:  {AgentPending},
		AgentSuspended: {AgentApproved},
	}
	if !slices.Contains(allowed[status], before) {
		return agents[i], before, fmt.Errorf("agent %d is %s: %w", id, before, ErrRefused)
	}
	a, err := t.tx.DecideAgent(ctx, id, status, reason)
	t.changed()
	if err != nil {
		return Agent{}, before, err
	}
	lang := a.Lang
	if !t.cat.Supported(lang) {
		lang = locales.Default
	}
	key := map[string]string{AgentApproved: "agent.approved", AgentRejected: "agent.rejected", AgentSuspended: "agent.suspended"}[status]
	if before == AgentSuspended {
		key = "agent.reinstated"
	}
	if err := t.tx.SendTo(ctx, a.Channel, a.ChatID, []Reply{noticeOf(NoticeAgent, lang, Reply{Text: t.cat.T(lang, key, map[string]any{"Reason": reason}), Input: InputNone})}); err != nil {
		return a, before, err
	}
	return a, before, nil
}

// Fields of a registration staff may correct (the worker's right to
// correction under UU PDP).
const (
	FieldName       = "name"
	FieldPhone      = "phone"
	FieldVillage    = "village"
	FieldOccupation = "occupation"
)

// CorrectFields lists them in the order the dashboard offers them.
var CorrectFields = []string{FieldName, FieldPhone, FieldVillage, FieldOccupation}

// Correction is one field set to a checked value.
type Correction struct {
	Field  string
	Value  string // the name, the E.164 phone, the village code, the occupation code or text
	Reason string
	// For a village: its kecamatan, kabupaten/kota and province codes.
	District, Regency, Province string
}

// Correct sets one field of a registration from the dashboard, with a
// reason, and tells the worker (in their chat, or their agent's). The value
// is checked as the registration checks it; ErrRefused (wrapped, with the
// rule's text key) when it breaks a rule, ErrNotFound for no registration.
func (e *Engine) Correct(ctx context.Context, actor, ref, field, value, reason string) error {
	c := Correction{Field: field, Reason: strings.TrimSpace(reason)}
	if n := len([]rune(c.Reason)); n < 5 || n > 300 {
		return fmt.Errorf("correct %s: reason of %d characters: %w", field, n, ErrRefused)
	}
	value = strings.TrimSpace(value)
	shown := value
	switch field {
	case FieldName:
		n, err := nama.Parse(value)
		if err != nil {
			return fmt.Errorf("correct name: %w: %w", ErrRefused, err)
		}
		c.Value, shown = n, n
	case FieldPhone:
		p, err := telepon.Normalize(value)
		if err != nil {
			return fmt.Errorf("correct phone: %w: %w", ErrRefused, err)
		}
		c.Value, shown = p, telepon.Mask(p)
	case FieldVillage:
		v, ok := e.regions.Get(value)
		if !ok || v.Level != wilayah.Village {
			return fmt.Errorf("correct village %q: not a village code: %w", value, ErrRefused)
		}
		d, _ := e.regions.Get(v.Parent)
		c.Value, c.District, c.Regency = v.Code, d.Code, d.Parent
		if r, ok := e.regions.Get(d.Parent); ok {
			c.Province = r.Parent
		}
		shown = v.Name
	case FieldOccupation:
		if value == "" || len([]rune(value)) > 60 {
			return fmt.Errorf("correct occupation: %q: %w", value, ErrRefused)
		}
		c.Value = value
		if slices.Contains(Occupations, value) {
			shown = e.cat.T(locales.Default, "occupation."+value, nil)
		}
	default:
		return fmt.Errorf("correct %q: not a field staff may correct: %w", field, ErrRefused)
	}
	return e.staff(ctx, actor, func(ctx context.Context, t *turn) error {
		o, err := t.tx.CorrectRegistration(ctx, ref, c)
		if err != nil {
			return err
		}
		channel, chat := o.Channel, o.ChatID
		if channel == "" && o.AgentID > 0 {
			agents, err := t.tx.Agents(ctx, AgentApproved)
			if err != nil {
				return err
			}
			for _, a := range agents {
				if a.ID == o.AgentID {
					channel, chat = a.Channel, a.ChatID
				}
			}
		}
		if channel == "" || chat == "" {
			return nil // nobody to tell: the correction stands
		}
		lang := locales.Default
		text := t.cat.T(lang, "correction.told", map[string]any{"Ref": ref, "Field": t.cat.T(lang, "correction.field."+field, nil),
			"Value": shown, "Reason": c.Reason})
		return t.tx.SendTo(ctx, channel, chat, []Reply{noticeOf(NoticeMessage, lang, Reply{Text: text, Input: InputNone,
			About: []string{about.Registration(ref)}})})
	})
}
