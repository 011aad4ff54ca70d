package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// Claimable finds the live registration holding a NIK; nil when none.
func (t *chatTx) Claimable(ctx context.Context, nik string) (*flows.Claimable, error) {
	var r struct {
		Ref         string `db:"ref"`
		Name        string `db:"name"`
		PhoneSealed []byte `db:"phone_sealed"`
		ByAgent     bool   `db:"by_agent"`
		Linked      bool   `db:"linked"`
		Sponsor     string `db:"sponsor"`
	}
	err := t.get(ctx, &r, `SELECT r.ref, r.name, r.phone_sealed, r.agent_id IS NOT NULL AS by_agent, r.channel <> '' AS linked,
			coalesce(b.sponsor, '') AS sponsor
		FROM registrations r LEFT JOIN sponsor_batches b ON b.id = r.sponsor_batch_id
		WHERE r.nik_hash = $1 AND r.deleted_at IS NULL`, t.vault.Hash("nik", nik))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claimable: %w", err)
	}
	phone, err := t.vault.OpenString(r.PhoneSealed)
	if err != nil {
		return nil, fmt.Errorf("open phone of %s: %w", r.Ref, err)
	}
	return &flows.Claimable{Ref: r.Ref, Name: r.Name, Phone: phone, ByAgent: r.ByAgent, Linked: r.Linked, Sponsor: r.Sponsor}, nil
}

// SponsorByToken names the sponsor of the batch whose poster link holds token.
func (t *chatTx) SponsorByToken(ctx context.Context, token string) (string, bool, error) {
	var s string
	err := t.get(ctx, &s, `SELECT sponsor FROM sponsor_batches WHERE claim_token = $1`, token)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sponsor of a poster: %w", err)
	}
	return s, true, nil
}

// Sponsorship says who pays for a registration of this chat and until when
// (zero before the sponsor paid); "" when nobody sponsors it.
func (t *chatTx) Sponsorship(ctx context.Context, ref string) (string, time.Time, error) {
	var r struct {
		Sponsor string       `db:"sponsor"`
		To      sql.NullTime `db:"covered_to"`
	}
	err := t.get(ctx, &r, `SELECT b.sponsor, r.covered_to FROM registrations r JOIN sponsor_batches b ON b.id = r.sponsor_batch_id
		WHERE r.ref = $1 AND r.channel = $2 AND r.chat_id = $3`, ref, t.channel, t.chatID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sponsorship of %s: %w", ref, err)
	}
	return r.Sponsor, r.To.Time, nil
}

// normalizeClaimCode reads a code as a person may type it: any case, with
// spaces or dashes, and the letters the codes never hold read as the digits
// they look like (O as 0, I and L as 1).
func normalizeClaimCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		case 'O', 'o':
			return '0'
		case 'I', 'i', 'L', 'l':
			return '1'
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// UseClaimCode spends a valid claim code: unused, not expired, of ref when
// ref is not "", for a live registration no chat owns yet. The row is
// locked by the update, so a code is spent once however many chats try it
// together. It reports the registration's ref, and false when the code is
// not valid.
func (t *chatTx) UseClaimCode(ctx context.Context, code, ref string) (string, bool, error) {
	code = normalizeClaimCode(code)
	if code == "" {
		return "", false, nil
	}
	var got string
	err := t.get(ctx, &got, `
		UPDATE claim_codes c SET used_at = $3, used_by = $4
		FROM registrations r
		WHERE c.code_hash = $1 AND r.id = c.registration_id AND c.used_at IS NULL AND c.expires_at > $3
			AND ($2 = '' OR r.ref = $2) AND r.deleted_at IS NULL AND r.channel = ''
		RETURNING r.ref`, t.vault.Hash("claim", code), ref, t.now, t.channel+":"+t.chatID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("use claim code: %w", err)
	}
	return got, true, nil
}

// LinkResident makes this chat the owner of a registration no chat owns.
func (t *chatTx) LinkResident(ctx context.Context, ref, how string) error {
	res, err := t.exec(ctx, `UPDATE registrations SET channel = $2, chat_id = $3, claimed_at = $4, updated_at = $4
		WHERE ref = $1 AND channel = '' AND deleted_at IS NULL`, ref, t.channel, t.chatID, t.now)
	if err != nil {
		return fmt.Errorf("link %s: %w", ref, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("link %s: %w", ref, err)
	}
	if n == 0 {
		return fmt.Errorf("link %s: no live registration without a chat", ref)
	}
	return t.AuditOn(ctx, "claim:linked", ref, "how="+how)
}

// claimHashes are the keyed hashes of what an attempt was about (nil
// where it was not given).
func (t *chatTx) claimHashes(k flows.ClaimKeys) (nik, code, client any) {
	if k.NIK != "" {
		nik = t.vault.Hash("nik", k.NIK)
	}
	if c := normalizeClaimCode(k.Code); c != "" {
		code = t.vault.Hash("claim", c)
	}
	if k.Client != "" {
		client = t.vault.Hash("client", k.Client)
	}
	return nik, code, client
}

// claimBatchSQL finds the sponsor batch of the live registration an attempt
// was after: the NIK's ($1), else the code's ($2).
const claimBatchSQL = `coalesce(
	(SELECT sponsor_batch_id FROM registrations WHERE nik_hash = $1 AND deleted_at IS NULL),
	(SELECT r.sponsor_batch_id FROM claim_codes c JOIN registrations r ON r.id = c.registration_id WHERE c.code_hash = $2 LIMIT 1))`

// ClaimFailed records a failed attempt of this chat to link a registration,
// under every key it can be counted by; the audit log gets the reason,
// never the NIK, the code or the address.
func (t *chatTx) ClaimFailed(ctx context.Context, k flows.ClaimKeys, reason string) error {
	nik, code, client := t.claimHashes(k)
	if _, err := t.exec(ctx, `INSERT INTO claim_failures (channel, chat_id, nik_hash, code_hash, client_hash, batch_id, reason, at)
		VALUES ($3, $4, $1, $2, $5, `+claimBatchSQL+`, $6, $7)`,
		nik, code, t.channel, t.chatID, client, reason, t.now); err != nil {
		return fmt.Errorf("record failed claim: %w", err)
	}
	return t.AuditOn(ctx, "claim:failed", t.channel+":"+t.chatID, reason)
}

// ClaimFailures counts the failed attempts since a time: this chat's, and
// those from any chat or channel on the same NIK, code, client address and
// sponsor batch (0 for what k leaves out).
func (t *chatTx) ClaimFailures(ctx context.Context, k flows.ClaimKeys, since time.Time) (flows.ClaimCounts, error) {
	nik, code, client := t.claimHashes(k)
	var n struct {
		Chat   int `db:"chat"`
		NIK    int `db:"nik"`
		Code   int `db:"code"`
		Client int `db:"client"`
		Batch  int `db:"batch"`
	}
	err := t.get(ctx, &n, `SELECT
		(SELECT count(*) FROM claim_failures WHERE channel = $3 AND chat_id = $4 AND at >= $5) AS chat,
		(SELECT count(*) FROM claim_failures WHERE nik_hash = $1 AND at >= $5) AS nik,
		(SELECT count(*) FROM claim_failures WHERE code_hash = $2 AND at >= $5) AS code,
		(SELECT count(*) FROM claim_failures WHERE client_hash = $6 AND at >= $5) AS client,
		(SELECT count(*) FROM claim_failures WHERE batch_id = `+claimBatchSQL+` AND at >= $5) AS batch`,
		nik, code, t.channel, t.chatID, since, client)
	if err != nil {
		return flows.ClaimCounts{}, fmt.Errorf("count failed claims: %w", err)
	}
	return flows.ClaimCounts{Chat: n.Chat, NIK: n.NIK, Code: n.Code, Client: n.Client, Batch: n.Batch}, nil
}

// ConfirmConsent records the consent the resident gave for a registration
// this chat owns. flows.ErrNotFound when it owns none with that ref.
func (t *chatTx) ConfirmConsent(ctx context.Context, ref string, consentID int64) error {
	res, err := t.exec(ctx, `UPDATE registrations SET consent_id = $4, updated_at = $5
		WHERE ref = $1 AND channel = $2 AND chat_id = $3 AND deleted_at IS NULL`, ref, t.channel, t.chatID, consentID, t.now)
	if err != nil {
		return fmt.Errorf("consent of %s: %w", ref, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("consent of %s: %w", ref, err)
	}
	if n == 0 {
		return fmt.Errorf("consent of %s: %w", ref, flows.ErrNotFound)
	}
	return nil
}
