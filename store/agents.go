package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/kode"
)

// Identify names the user writing; "" keeps the session's.
func (t *chatTx) Identify(userID string) {
	if userID != "" {
		t.userID = userID
	}
}

// user is the user writing: the session's (or Identify's) user id, or the
// chat's id when the channel gives none. With the channel it names the
// user's agent record and admin row.
func (t *chatTx) user() string {
	if t.userID == "" {
		return t.chatID
	}
	return t.userID
}

// AuditOn records an action of the user writing on a record.
func (t *chatTx) AuditOn(ctx context.Context, action, subject, detail string) error {
	if _, err := t.exec(ctx, qAudit, t.now, t.actor(), action, subject, detail); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func agentSubject(id int64) string { return "agent:" + strconv.FormatInt(id, 10) }

// agentRow is an agents row as flows.Agent holds it, with the language of
// the agent's chat.
type agentRow struct {
	ID          int64         `db:"id"`
	Channel     string        `db:"channel"`
	UserID      string        `db:"user_id"`
	ChatID      string        `db:"chat_id"`
	Role        string        `db:"role"`
	NIKSealed   []byte        `db:"nik_sealed"`
	PhoneSealed []byte        `db:"phone_sealed"`
	Name        string        `db:"name"`
	Village     string        `db:"village"`
	RT          string        `db:"rt"`
	RW          string        `db:"rw"`
	Institution string        `db:"institution"`
	ConsentID   sql.NullInt64 `db:"consent_id"`
	Status      string        `db:"status"`
	Reason      string        `db:"reason"`
	DecidedBy   string        `db:"decided_by"`
	DecidedAt   sql.NullTime  `db:"decided_at"`
	CreatedAt   time.Time     `db:"created_at"`
	Lang        string        `db:"lang"`
}

// qAgentFrom selects agentRow columns from agents a (and its chat's session);
// the queries add their WHERE.
const qAgentFrom = `SELECT a.id, a.channel, a.user_id, a.chat_id, a.role, a.nik_sealed, a.phone_sealed, a.name, a.village, a.rt, a.rw,
		a.institution, a.consent_id, a.status, a.reason, a.decided_by, a.decided_at, a.created_at, coalesce(s.lang, '') AS lang
	FROM agents a LEFT JOIN sessions s ON s.channel = a.channel AND s.chat_id = a.chat_id`

// unseal opens a person's sealed NIK and phone (whose names the errors).
func (d *DB) unseal(whose string, nikSealed, phoneSealed []byte) (nik, phone string, err error) {
	if nik, err = d.vault.OpenString(nikSealed); err != nil {
		return "", "", fmt.Errorf("open nik of %s: %w", whose, err)
	}
	if phone, err = d.vault.OpenString(phoneSealed); err != nil {
		return "", "", fmt.Errorf("open phone of %s: %w", whose, err)
	}
	return nik, phone, nil
}

// openAgent opens an agent's NIK and phone.
func (d *DB) openAgent(r agentRow) (flows.Agent, error) {
	nik, phone, err := d.unseal(agentSubject(r.ID), r.NIKSealed, r.PhoneSealed)
	if err != nil {
		return flows.Agent{}, err
	}
	return flows.Agent{ID: r.ID, Channel: r.Channel, UserID: r.UserID, ChatID: r.ChatID, Role: r.Role, NIK: nik, Name: r.Name,
		Phone: phone, Village: r.Village, RT: r.RT, RW: r.RW, Institution: r.Institution, ConsentID: r.ConsentID.Int64,
		Status: r.Status, Reason: r.Reason, DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt.Time, Lang: r.Lang}, nil
}

// myAgent is the id of the user's agent record when its status is one of
// allowed; flows.ErrNotAgent otherwise.
func (t *chatTx) myAgent(ctx context.Context, allowed ...string) (int64, error) {
	var a struct {
		ID     int64  `db:"id"`
		Status string `db:"status"`
	}
	err := t.get(ctx, &a, `SELECT id, status FROM agents WHERE channel = $1 AND user_id = $2 AND status <> $3`, t.channel, t.user(), flows.AgentErased)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, flows.ErrNotAgent
	}
	if err != nil {
		return 0, fmt.Errorf("agent of %s: %w", t.actor(), err)
	}
	if !slices.Contains(allowed, a.Status) {
		return 0, flows.ErrNotAgent
	}
	return a.ID, nil
}

// approvedAgent is the id of the user's agent record if it is approved.
func (t *chatTx) approvedAgent(ctx context.Context) (int64, error) {
	return t.myAgent(ctx, flows.AgentApproved)
}

// Agent is the user's agent record, nil when they never applied.
func (t *chatTx) Agent(ctx context.Context) (*flows.Agent, error) {
	var r agentRow
	err := t.get(ctx, &r, qAgentFrom+` WHERE a.channel = $1 AND a.user_id = $2 AND a.status <> $3`, t.channel, t.user(), flows.AgentErased)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agent of %s: %w", t.actor(), err)
	}
	a, err := t.openAgent(r)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// ApplyAgent stores the user's application as pending: a new row, or the
// answers of a new application replacing a pending or rejected one. The
// record is always the user writing's (a's Channel, UserID and ChatID are
// not read). An approved or suspended agent cannot apply again. A NIK held
// by another user's record gives flows.ErrDuplicate.
func (t *chatTx) ApplyAgent(ctx context.Context, a flows.Agent) (int64, error) {
	if a.NIK == "" || a.Name == "" || a.Role == "" {
		return 0, errors.New("apply as agent: NIK, name and role are required")
	}
	nikSealed, err := t.vault.SealString(a.NIK)
	if err != nil {
		return 0, fmt.Errorf("seal nik: %w", err)
	}
	phoneSealed, phoneHash, err := t.sealPhone(a.Phone)
	if err != nil {
		return 0, err
	}
	var id int64
	err = t.savepoint(ctx, func() error {
		return t.get(ctx, &id, `
			INSERT INTO agents (channel, user_id, chat_id, role, nik_sealed, nik_hash, phone_sealed, phone_hash, name,
				village, rt, rw, institution, consent_id, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'pending', $15, $15)
			ON CONFLICT (channel, user_id) WHERE status <> 'erased' DO UPDATE SET chat_id = EXCLUDED.chat_id, role = EXCLUDED.role,
				nik_sealed = EXCLUDED.nik_sealed, nik_hash = EXCLUDED.nik_hash, phone_sealed = EXCLUDED.phone_sealed,
				phone_hash = EXCLUDED.phone_hash, name = EXCLUDED.name, village = EXCLUDED.village, rt = EXCLUDED.rt,
				rw = EXCLUDED.rw, institution = EXCLUDED.institution, consent_id = EXCLUDED.consent_id, status = 'pending',
				reason = '', decided_by = '', decided_at = NULL, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
			WHERE agents.status IN ('pending', 'rejected')
			RETURNING id`,
			t.channel, t.user(), t.chatID, a.Role, nikSealed, t.vault.Hash("nik", a.NIK), phoneSealed, phoneHash, a.Name,
			a.Village, a.RT, a.RW, a.Institution, nullID(a.ConsentID), t.now)
	})
	switch {
	case isUniqueViolation(err):
		return 0, flows.ErrDuplicate
	case errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("apply as agent: %s is an approved or suspended agent already", t.actor())
	case err != nil:
		return 0, fmt.Errorf("apply as agent: %w", err)
	}
	if err := t.AuditOn(ctx, "agent:apply", agentSubject(id), ""); err != nil {
		return 0, err
	}
	return id, nil
}

// RecordAttestation stores the approved agent's statement of a resident's consent.
func (t *chatTx) RecordAttestation(ctx context.Context, a flows.Attestation) (int64, error) {
	agent, err := t.approvedAgent(ctx)
	if err != nil {
		return 0, err
	}
	given := a.GivenAt
	if given.IsZero() {
		given = t.now
	}
	var id int64
	err = t.get(ctx, &id, `INSERT INTO attestations (agent_id, text_version, update_id, given_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		agent, a.TextVersion, a.UpdateID, given)
	if err != nil {
		return 0, fmt.Errorf("record attestation: %w", err)
	}
	return id, nil
}

// CreateResident stores a registration the approved agent made: no chat owns
// it until the resident links theirs, and its consent is the agent's
// attestation (which must be the agent's own). A NIK already registered
// gives flows.ErrDuplicate.
func (t *chatTx) CreateResident(ctx context.Context, r flows.Registration, attestationID int64) (string, error) {
	agent, err := t.approvedAgent(ctx)
	if err != nil {
		return "", err
	}
	var attested bool
	if err := t.get(ctx, &attested, `SELECT EXISTS (SELECT 1 FROM attestations WHERE id = $1 AND agent_id = $2)`,
		attestationID, agent); err != nil {
		return "", fmt.Errorf("check attestation: %w", err)
	}
	if !attested {
		return "", fmt.Errorf("register resident: attestation %d is not agent %d's", attestationID, agent)
	}
	nikSealed, err := t.vault.SealString(r.NIK)
	if err != nil {
		return "", fmt.Errorf("seal nik: %w", err)
	}
	phoneSealed, phoneHash, err := t.sealPhone(r.Phone)
	if err != nil {
		return "", err
	}
	ref, err := newRef(t.now)
	if err != nil {
		return "", fmt.Errorf("make reference: %w", err)
	}
	var got string
	err = t.get(ctx, &got, `
		INSERT INTO registrations (ref, channel, chat_id, agent_id, attestation_id, nik_sealed, nik_hash, phone_sealed, phone_hash,
			name, birth_date, female, province, regency, district, village, occupation, occupation_other,
			income_bracket, income_base, jht, monthly_iuran, status, created_at, updated_at)
		VALUES ($1, '', '', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)
		ON CONFLICT (nik_hash) WHERE nik_hash IS NOT NULL DO NOTHING
		RETURNING ref`,
		ref, agent, attestationID, nikSealed, t.vault.Hash("nik", r.NIK), phoneSealed, phoneHash,
		r.Name, r.BirthDate, r.Female, r.Province, r.Regency, r.District, r.Village, r.Occupation, r.OccupationOther,
		r.Bracket, r.Income, r.JHT, r.MonthlyIuran, flows.StatusAwaitingPayment, t.now)
	if errors.Is(err, sql.ErrNoRows) {
		return "", flows.ErrDuplicate
	}
	if err != nil {
		return "", fmt.Errorf("insert resident: %w", err)
	}
	if err := t.AuditOn(ctx, "agent:register", got, "attestation="+strconv.FormatInt(attestationID, 10)); err != nil {
		return "", err
	}
	// The questions and the review of this registration, in the agent's
	// chat since the attestation, quote the resident: their erasure takes
	// them out of the outbox too.
	if _, err := t.exec(ctx, `UPDATE outbox SET about = array_append(coalesce(about, '{}'), $3)
		WHERE channel = $1 AND chat_id = $2 AND created_at >= (SELECT given_at FROM attestations WHERE id = $4)`,
		t.channel, t.chatID, about.Registration(got), attestationID); err != nil {
		return "", fmt.Errorf("mark the replies about %s: %w", got, err)
	}
	return got, nil
}

// Residents lists the agent's live residents, newest first, NIK and phone
// opened. A suspended agent still may read them.
func (t *chatTx) Residents(ctx context.Context) ([]flows.Resident, error) {
	agent, err := t.myAgent(ctx, flows.AgentApproved, flows.AgentSuspended)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		registrationRow
		Lang    string `db:"lang"`
		Savings int64  `db:"savings"`
		// AutoDebit is its auto-debit in force, "" when none.
		AutoDebit string `db:"autodebit"`
	}
	err = t.sel(ctx, &rows, `
		SELECT r.ref, r.name, r.nik_sealed, r.phone_sealed, r.status, r.income_bracket, r.jht, r.occupation, r.monthly_iuran, r.created_at,
			r.covered_from, r.covered_to, r.channel, r.chat_id, coalesce(s.lang, '') AS lang, r.claimed_at, r.agent_reminded_at,
			(SELECT coalesce(sum(e.amount), 0) FROM savings_entries e WHERE e.registration_id = r.id) AS savings,
			coalesce((SELECT a.status FROM autodebits a WHERE a.registration_id = r.id AND a.status <> 'stopped'), '') AS autodebit
		FROM registrations r LEFT JOIN sessions s ON r.channel <> '' AND s.channel = r.channel AND s.chat_id = r.chat_id
		WHERE r.agent_id = $1 AND r.deleted_at IS NULL ORDER BY r.id DESC`, agent)
	if err != nil {
		return nil, fmt.Errorf("list residents of agent %d: %w", agent, err)
	}
	out := make([]flows.Resident, 0, len(rows))
	for _, r := range rows {
		nik, phone, err := t.unseal(r.Ref, r.NIKSealed, r.PhoneSealed)
		if err != nil {
			return nil, err
		}
		v := flows.Resident{Ref: r.Ref, Name: r.Name, NIK: nik, Phone: phone, Status: r.Status, Bracket: r.Bracket, JHT: r.JHT, Occupation: r.Occupation,
			MonthlyIuran: r.MonthlyIuran, CreatedAt: r.CreatedAt, Channel: r.Channel, ChatID: r.ChatID, Lang: r.Lang,
			ClaimedAt: r.ClaimedAt.Time, RemindedAt: r.AgentReminded.Time, Savings: r.Savings, AutoDebit: r.AutoDebit}
		v.CoveredFrom, v.CoveredTo = r.covered()
		out = append(out, v)
	}
	return out, nil
}

// ownsAll checks that every ref is a live registration of the agent
// (flows.ErrNotYours otherwise); it returns the refs without repeats.
func (t *chatTx) ownsAll(ctx context.Context, agent int64, refs []string) ([]string, error) {
	refs = slices.Compact(slices.Sorted(slices.Values(refs)))
	var n int
	err := t.get(ctx, &n, `SELECT count(*) FROM registrations WHERE ref = ANY($1) AND agent_id = $2 AND deleted_at IS NULL`,
		pq.StringArray(refs), agent)
	if err != nil {
		return nil, fmt.Errorf("residents of agent %d: %w", agent, err)
	}
	if n != len(refs) {
		return nil, flows.ErrNotYours
	}
	return refs, nil
}

// RecordAgentPayment stores a payment code the approved agent pays for
// their residents.
func (t *chatTx) RecordAgentPayment(ctx context.Context, p flows.PaymentRecord) error {
	agent, err := t.approvedAgent(ctx)
	if err != nil {
		return err
	}
	refs := make([]string, 0, len(p.Lines))
	for _, l := range p.Lines {
		refs = append(refs, l.RegistrationRef)
	}
	if _, err := t.ownsAll(ctx, agent, refs); err != nil {
		return err
	}
	_, err = insertPayment(ctx, t.tx, t.now, NewPayment{Instruction: p.Instruction, PayerKind: PayerAgent,
		PayerRef: t.channel + ":" + t.chatID, AgentID: agent, Items: p.Lines})
	return err
}

// qAgentCollected sums an agent's settled payments since $2, and ever.
const qAgentCollected = `
	SELECT coalesce(sum(amount) FILTER (WHERE paid_at >= $2), 0) AS since, coalesce(sum(amount), 0) AS total
	FROM payments WHERE agent_id = $1 AND status = 'paid' AND applied_at IS NOT NULL`

type collected struct {
	Since int64 `db:"since"`
	Total int64 `db:"total"`
}

// AgentCollected sums the agent's settled payments since a time, and ever.
func (t *chatTx) AgentCollected(ctx context.Context, since time.Time) (int64, int64, error) {
	agent, err := t.myAgent(ctx, flows.AgentApproved, flows.AgentSuspended)
	if err != nil {
		return 0, 0, err
	}
	var c collected
	if err := t.get(ctx, &c, qAgentCollected, agent, since); err != nil {
		return 0, 0, fmt.Errorf("collections of agent %d: %w", agent, err)
	}
	return c.Since, c.Total, nil
}

// MarkReminded notes that the approved agent reminded these residents now.
func (t *chatTx) MarkReminded(ctx context.Context, refs []string) error {
	agent, err := t.approvedAgent(ctx)
	if err != nil {
		return err
	}
	refs, err = t.ownsAll(ctx, agent, refs)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `UPDATE registrations SET agent_reminded_at = $3
		WHERE ref = ANY($1) AND agent_id = $2 AND deleted_at IS NULL`, pq.StringArray(refs), agent, t.now); err != nil {
		return fmt.Errorf("mark reminded: %w", err)
	}
	return nil
}

// SendTo queues replies for another chat in this transaction (this chat's
// own go with Send, so they keep their order).
func (t *chatTx) SendTo(ctx context.Context, channel, chatID string, replies []flows.Reply) error {
	if channel == "" || chatID == "" {
		return fmt.Errorf("send to %q:%q: no chat", channel, chatID)
	}
	if channel == t.channel && chatID == t.chatID {
		return t.Send(ctx, replies)
	}
	if len(replies) == 0 {
		return nil
	}
	return queueReplies(ctx, t.tx, t.announces(channel), channel, chatID, t.now, replies)
}

// claimCodeLen is the length of a claim code: 32⁸ ≈ 10¹² codes, against at
// most ClaimTries guesses a day per chat.
const claimCodeLen = 8

// NewClaimCode makes a single-use code for the approved agent's unlinked
// resident; only its keyed hash is stored. Earlier unused codes of that
// resident stop working.
func (t *chatTx) NewClaimCode(ctx context.Context, ref string, expires time.Time) (string, error) {
	agent, err := t.approvedAgent(ctx)
	if err != nil {
		return "", err
	}
	var regID int64
	err = t.get(ctx, &regID, `SELECT id FROM registrations WHERE ref = $1 AND agent_id = $2 AND channel = '' AND deleted_at IS NULL
		FOR UPDATE`, ref, agent)
	if errors.Is(err, sql.ErrNoRows) {
		return "", flows.ErrNotYours
	}
	if err != nil {
		return "", fmt.Errorf("claim code for %s: %w", ref, err)
	}
	code, err := newClaimCode()
	if err != nil {
		return "", fmt.Errorf("claim code for %s: %w", ref, err)
	}
	if _, err := t.exec(ctx, `UPDATE claim_codes SET used_at = $2, used_by = 'replaced' WHERE registration_id = $1 AND used_at IS NULL`,
		regID, t.now); err != nil {
		return "", fmt.Errorf("replace claim codes of %s: %w", ref, err)
	}
	if _, err := t.exec(ctx, `INSERT INTO claim_codes (code_hash, registration_id, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		t.vault.Hash("claim", code), regID, agent, t.now, expires); err != nil {
		return "", fmt.Errorf("claim code for %s: %w", ref, err)
	}
	if err := t.AuditOn(ctx, "agent:claim_code", ref, "expires="+expires.UTC().Format(time.RFC3339)); err != nil {
		return "", err
	}
	return code, nil
}

// newClaimCode makes a random code a person can type: 8 characters of the
// reference alphabet.
func newClaimCode() (string, error) { return kode.New(claimCodeLen), nil }

// sealPhone seals a phone number and makes its lookup hash; an empty one
// gives NULL for both.
func (t *chatTx) sealPhone(phone string) (sealed []byte, hash any, err error) {
	if phone == "" {
		return nil, nil, nil
	}
	sealed, err = t.vault.SealString(phone)
	if err != nil {
		return nil, nil, fmt.Errorf("seal phone: %w", err)
	}
	return sealed, t.vault.Hash("phone", phone), nil
}

// nullID is NULL for a zero id.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// savepoint runs fn so that a statement failing inside it (a unique
// violation) leaves the transaction usable.
func (t *chatTx) savepoint(ctx context.Context, fn func() error) error {
	if _, err := t.tx.ExecContext(ctx, `SAVEPOINT attempt`); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT attempt`); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := t.tx.ExecContext(ctx, `RELEASE SAVEPOINT attempt`)
	return err
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation (23505).
func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
