package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/kode"
)

const qNIKRegistered = `SELECT EXISTS (SELECT 1 FROM registrations WHERE nik_hash = $1)`

// NIKRegistered reports whether a live registration holds this NIK.
func (t *chatTx) NIKRegistered(ctx context.Context, nik string) (bool, error) {
	var exists bool
	err := t.get(ctx, &exists, qNIKRegistered, t.vault.Hash("nik", nik))
	if err != nil {
		return false, fmt.Errorf("look up nik: %w", err)
	}
	return exists, nil
}

const qRecordConsent = `
		INSERT INTO consents (channel, chat_id, user_id, text_version, update_id, given_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`

// RecordConsent stores the proof of consent.
func (t *chatTx) RecordConsent(ctx context.Context, c flows.Consent) (int64, error) {
	var id int64
	err := t.get(ctx, &id, qRecordConsent,
		t.channel, t.chatID, c.UserID, c.TextVersion, c.UpdateID, c.GivenAt)
	if err != nil {
		return 0, fmt.Errorf("record consent: %w", err)
	}
	return id, nil
}

// Consents lists the chat's consents, newest first.
func (t *chatTx) Consents(ctx context.Context) ([]flows.ConsentView, error) {
	var rows []struct {
		ID          int64        `db:"id"`
		TextVersion string       `db:"text_version"`
		GivenAt     time.Time    `db:"given_at"`
		WithdrawnAt sql.NullTime `db:"withdrawn_at"`
	}
	err := t.sel(ctx, &rows, `SELECT id, text_version, given_at, withdrawn_at FROM consents
		WHERE channel = $1 AND chat_id = $2 ORDER BY id DESC`, t.channel, t.chatID)
	if err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	out := make([]flows.ConsentView, 0, len(rows))
	for _, r := range rows {
		v := flows.ConsentView{ID: r.ID, TextVersion: r.TextVersion, GivenAt: r.GivenAt}
		if r.WithdrawnAt.Valid {
			w := r.WithdrawnAt.Time
			v.WithdrawnAt = &w
		}
		out = append(out, v)
	}
	return out, nil
}

// newRef makes a registration reference such as "LD2611-7K3M9Q".
func newRef(now time.Time) (string, error) {
	return now.Format("LD0601-") + kode.New(6), nil
}

const qCreateRegistration = `
		INSERT INTO registrations (ref, channel, chat_id, consent_id, nik_sealed, nik_hash, phone_sealed, phone_hash,
			name, birth_date, female, province, regency, district, village, occupation, occupation_other,
			income_bracket, income_base, jht, monthly_iuran, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23)
		ON CONFLICT (nik_hash) WHERE nik_hash IS NOT NULL DO NOTHING
		RETURNING ref`

// CreateRegistration stores a confirmed registration, NIK and phone sealed.
// A NIK already registered gives flows.ErrDuplicate.
func (t *chatTx) CreateRegistration(ctx context.Context, r flows.Registration) (string, error) {
	nikSealed, err := t.vault.SealString(r.NIK)
	if err != nil {
		return "", fmt.Errorf("seal nik: %w", err)
	}
	phoneSealed, err := t.vault.SealString(r.Phone)
	if err != nil {
		return "", fmt.Errorf("seal phone: %w", err)
	}
	ref, err := newRef(t.now)
	if err != nil {
		return "", fmt.Errorf("make reference: %w", err)
	}
	var consent any
	if r.ConsentID != 0 {
		consent = r.ConsentID
	}
	var got string
	err = t.get(ctx, &got, qCreateRegistration,
		ref, t.channel, t.chatID, consent, nikSealed, t.vault.Hash("nik", r.NIK), phoneSealed, t.vault.Hash("phone", r.Phone),
		r.Name, r.BirthDate, r.Female, r.Province, r.Regency, r.District, r.Village, r.Occupation, r.OccupationOther,
		r.Bracket, r.Income, r.JHT, r.MonthlyIuran, flows.StatusAwaitingPayment, t.now)
	if err == sql.ErrNoRows {
		return "", flows.ErrDuplicate
	}
	if err != nil {
		return "", fmt.Errorf("insert registration: %w", err)
	}
	if err := t.Audit(ctx, "registration.create", got); err != nil {
		return "", err
	}
	return got, nil
}

// registrationRow is a row of registrations as scanned: every query of a
// registration selects the columns it needs into it (the others stay zero),
// plus, beside it, what it computes.
type registrationRow struct {
	Ref             string         `db:"ref"`
	Channel         string         `db:"channel"`
	ChatID          string         `db:"chat_id"`
	NIKSealed       []byte         `db:"nik_sealed"`
	PhoneSealed     []byte         `db:"phone_sealed"`
	Name            string         `db:"name"`
	BirthDate       sql.NullTime   `db:"birth_date"`
	Female          sql.NullBool   `db:"female"`
	Province        string         `db:"province"`
	Regency         string         `db:"regency"`
	District        string         `db:"district"`
	Village         string         `db:"village"`
	Occupation      string         `db:"occupation"`
	OccupationOther string         `db:"occupation_other"`
	Bracket         int            `db:"income_bracket"`
	Income          int64          `db:"income_base"`
	JHT             bool           `db:"jht"`
	MonthlyIuran    int64          `db:"monthly_iuran"`
	KPJ             string         `db:"kpj"`
	Status          string         `db:"status"`
	CreatedAt       time.Time      `db:"created_at"`
	CoveredFrom     sql.NullTime   `db:"covered_from"`
	CoveredTo       sql.NullTime   `db:"covered_to"`
	AgentID         sql.NullInt64  `db:"agent_id"`
	ClaimedAt       sql.NullTime   `db:"claimed_at"`
	AgentReminded   sql.NullTime   `db:"agent_reminded_at"`
	VerifyToken     sql.NullString `db:"verify_token"`
}

// covered is the registration's protection, both dates or neither.
func (r registrationRow) covered() (from, to time.Time) {
	if r.CoveredFrom.Valid && r.CoveredTo.Valid {
		return r.CoveredFrom.Time, r.CoveredTo.Time
	}
	return time.Time{}, time.Time{}
}

// registration is the row as the flows' Registration, NIK and phone opened.
func (d *DB) registration(r registrationRow) (flows.Registration, error) {
	nik, phone, err := d.unseal(r.Ref, r.NIKSealed, r.PhoneSealed)
	if err != nil {
		return flows.Registration{}, err
	}
	return flows.Registration{Channel: r.Channel, ChatID: r.ChatID, NIK: nik, Phone: phone, Name: r.Name,
		BirthDate: r.BirthDate.Time, Female: r.Female.Bool, Province: r.Province, Regency: r.Regency, District: r.District,
		Village: r.Village, Occupation: r.Occupation, OccupationOther: r.OccupationOther, Bracket: r.Bracket, Income: r.Income,
		JHT: r.JHT, MonthlyIuran: r.MonthlyIuran}, nil
}

// Registrations lists the chat's registrations, newest first, NIK and phone opened.
func (t *chatTx) Registrations(ctx context.Context) ([]flows.RegistrationView, error) {
	var rows []struct {
		registrationRow
		Subscribed bool   `db:"subscribed"`
		Sponsor    string `db:"sponsor"`
		JHTSelf    bool   `db:"jht_self"`
		SponsorJHT bool   `db:"sponsor_jht"`
	}
	err := t.sel(ctx, &rows, `
		SELECT ref, channel, chat_id, nik_sealed, phone_sealed, name, birth_date, female, province, regency, district, village,
			occupation, occupation_other, income_bracket, income_base, jht OR coalesce(jht_self_to >= $3::date, false) AS jht, monthly_iuran,
			status, created_at, covered_from, covered_to, kpj, subscription_months IS NOT NULL AS subscribed,
			-- a sponsorship counts while it is waiting for the sponsor or protects today
			CASE WHEN sponsor_batch_id IS NOT NULL AND (covered_to IS NULL OR covered_to >= $3::date)
				THEN (SELECT b.sponsor FROM sponsor_batches b WHERE b.id = r.sponsor_batch_id) ELSE '' END AS sponsor,
			coalesce(jht_self_to >= $3::date, false) AS jht_self, r.jht AS sponsor_jht
		FROM registrations r WHERE channel = $1 AND chat_id = $2 ORDER BY id DESC`, t.channel, t.chatID, t.DB.todayDate())
	if err != nil {
		return nil, fmt.Errorf("list registrations: %w", err)
	}
	out := make([]flows.RegistrationView, 0, len(rows))
	for _, r := range rows {
		reg, err := t.registration(r.registrationRow)
		if err != nil {
			return nil, err
		}
		v := flows.RegistrationView{Ref: r.Ref, Status: r.Status, CreatedAt: r.CreatedAt, KPJ: r.KPJ, Subscribed: r.Subscribed,
			Sponsor: r.Sponsor, JHTSelf: r.JHTSelf, SponsorPaysAll: r.Sponsor != "" && r.SponsorJHT, Registration: reg}
		v.CoveredFrom, v.CoveredTo = r.covered()
		out = append(out, v)
	}
	return out, nil
}

// Forget withdraws the chat's consents and erases the personal data of its
// registrations. What stays is pseudonymous: the reference, status, dates,
// province and regency, income bracket and programmes (for statistics and,
// later, the payment records the law obliges us to keep).
func (t *chatTx) Forget(ctx context.Context) (int, error) {
	if _, err := t.exec(ctx, `UPDATE consents SET withdrawn_at = $3
		WHERE channel = $1 AND chat_id = $2 AND withdrawn_at IS NULL`, t.channel, t.chatID, t.now); err != nil {
		return 0, fmt.Errorf("withdraw consents: %w", err)
	}
	// What is left in a savings balance is flagged for an admin to refund.
	if err := eraseSavings(ctx, t.hot(), t.now, t.channel, t.chatID); err != nil {
		return 0, err
	}
	var refs []string
	if err := t.sel(ctx, &refs, `
		UPDATE registrations SET nik_sealed = NULL, nik_hash = NULL, phone_sealed = NULL, phone_hash = NULL,
			name = '', birth_date = NULL, female = NULL, district = '', village = '', occupation = '',
			occupation_other = '', kpj = '', verify_token = NULL, subscription_months = NULL, subscription_method = NULL, status = $3, deleted_at = $4, updated_at = $4
		WHERE channel = $1 AND chat_id = $2 AND deleted_at IS NULL RETURNING ref`,
		t.channel, t.chatID, flows.StatusDeleted, t.now); err != nil {
		return 0, fmt.Errorf("erase registrations: %w", err)
	}
	quoted := make([]string, 0, len(refs)+1)
	for _, ref := range refs {
		quoted = append(quoted, about.Registration(ref))
	}
	// An agent's own record goes too. The row stays, naming nobody, so that
	// the residents they registered and the consents they stated still say
	// which agent it was; the agent can no longer act (they may apply again).
	var agents []int64
	// A suspended agent's keyed NIK hash and the reason stay: the same
	// person cannot come back as a new agent unnoticed.
	if err := t.sel(ctx, &agents, `UPDATE agents SET chat_id = '', nik_sealed = NULL, phone_sealed = NULL, phone_hash = NULL,
			nik_hash = CASE WHEN status = $5 THEN nik_hash END, reason = CASE WHEN status = $5 THEN reason ELSE '' END,
			name = '', village = '', rt = '', rw = '', institution = '', erased_from = status, status = $3, updated_at = $4
		WHERE channel = $1 AND user_id = $2 AND status <> $3 RETURNING id`, t.channel, t.user(), flows.AgentErased, t.now, flows.AgentSuspended); err != nil {
		return 0, fmt.Errorf("erase agent record: %w", err)
	}
	for _, id := range agents {
		quoted = append(quoted, about.Agent(id))
		if err := t.AuditOn(ctx, "agent:erase", agentSubject(id), ""); err != nil {
			return 0, err
		}
	}
	// Every reply of this chat goes, delivered or not (one not yet
	// delivered would otherwise arrive after the erasure), and every reply
	// in another chat that quotes these registrations or this agent (an
	// admin's notice, an agent's list). This turn's own answer is queued
	// after this.
	res, err := t.exec(ctx, `DELETE FROM outbox WHERE (channel = $1 AND chat_id = $2) OR (about && $3::text[])`,
		t.channel, t.chatID, pq.StringArray(quoted))
	if err != nil {
		return 0, fmt.Errorf("erase replies: %w", err)
	}
	replies, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("erase replies: %w", err)
	}
	// Reminders planned for these registrations and nudges for this chat's
	// draft would only tell nobody about nothing now.
	if _, err := t.exec(ctx, `DELETE FROM jobs WHERE done_at IS NULL AND (payload->>'ref' = ANY($3::text[])
		OR (payload->>'channel' = $1 AND payload->>'chat_id' = $2))`, t.channel, t.chatID, pq.StringArray(refs)); err != nil {
		return 0, fmt.Errorf("erase planned reminders: %w", err)
	}
	if err := t.Audit(ctx, "self.delete_data", fmt.Sprintf("registrations=%d replies=%d", len(refs), replies)); err != nil {
		return 0, err
	}
	return len(refs), nil
}

const qAudit = `INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`

// Audit records who did what.
func (t *chatTx) Audit(ctx context.Context, action, detail string) error {
	_, err := t.exec(ctx, qAudit,
		t.now, t.actor(), action, t.channel+":"+t.chatID, detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Subscribe turns a registration's langganan on (months > 0) or off.
func (t *chatTx) Subscribe(ctx context.Context, ref string, months int, method string) error {
	var m, meth any
	if months > 0 {
		m, meth = months, method
	}
	_, err := t.exec(ctx, `UPDATE registrations SET subscription_months = $4, subscription_method = $5, updated_at = $6
		WHERE ref = $1 AND channel = $2 AND chat_id = $3 AND deleted_at IS NULL`, ref, t.channel, t.chatID, m, meth, t.now)
	if err != nil {
		return fmt.Errorf("subscription of %s: %w", ref, err)
	}
	return nil
}
