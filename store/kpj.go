package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
)

// kpjLock serialises KPJ imports: a KPJ must stay unique across registrations
// and no constraint says so.
const kpjLock = 0x6b706a // "kpj"

// KPJAtomically runs fn in one transaction, one KPJ import at a time (see
// flows.RecordKPJs).
func (d *DB) KPJAtomically(ctx context.Context, fn func(ctx context.Context, tx flows.KPJTx) error) error {
	return d.atomically(ctx, func(ctx context.Context, t *opTx) error {
		if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, kpjLock); err != nil {
			return fmt.Errorf("lock the kpj imports: %w", err)
		}
		return fn(ctx, t)
	})
}

var _ flows.KPJStore = (*DB)(nil)

func (t *opTx) KPJRegistrations(ctx context.Context, niks []string) (map[string]*flows.KPJRegistration, error) {
	hashes := make(pq.ByteaArray, len(niks))
	nikOf := make(map[string]string, len(niks))
	for i, n := range niks {
		hashes[i] = t.d.vault.Hash("nik", n)
		nikOf[string(hashes[i])] = n
	}
	var regs []struct {
		ID           int64  `db:"id"`
		Ref          string `db:"ref"`
		Hash         []byte `db:"nik_hash"`
		Name         string `db:"name"`
		KPJ          string `db:"kpj"`
		Channel      string `db:"channel"`
		ChatID       string `db:"chat_id"`
		Card         bool   `db:"card"`
		Lang         string `db:"lang"`
		AgentID      int64  `db:"agent_id"`
		AgentChannel string `db:"agent_channel"`
		AgentChat    string `db:"agent_chat"`
		AgentUser    string `db:"agent_user"`
		AgentLang    string `db:"agent_lang"`
	}
	if err := t.tx.SelectContext(ctx, &regs, `
		SELECT r.id, r.ref, r.nik_hash, r.name, r.kpj, r.channel, r.chat_id, r.verify_token IS NOT NULL AS card, coalesce(s.lang, '') AS lang,
			coalesce(a.id, 0) AS agent_id, coalesce(a.channel, '') AS agent_channel, coalesce(a.chat_id, '') AS agent_chat, coalesce(a.user_id, '') AS agent_user,
			coalesce(sa.lang, '') AS agent_lang
		FROM registrations r LEFT JOIN sessions s ON s.channel = r.channel AND s.chat_id = r.chat_id
		LEFT JOIN agents a ON r.channel = '' AND a.id = r.agent_id AND a.status = 'approved'
		LEFT JOIN sessions sa ON sa.channel = a.channel AND sa.chat_id = a.chat_id
		WHERE r.nik_hash = ANY($1) AND r.deleted_at IS NULL
		ORDER BY r.id FOR UPDATE OF r`, hashes); err != nil {
		return nil, fmt.Errorf("registrations: %w", err)
	}
	out := make(map[string]*flows.KPJRegistration, len(regs))
	for _, r := range regs {
		out[nikOf[string(r.Hash)]] = &flows.KPJRegistration{ID: r.ID, Ref: r.Ref, Name: r.Name, KPJ: r.KPJ, Channel: r.Channel, ChatID: r.ChatID,
			Lang: r.Lang, Card: r.Card, AgentID: r.AgentID, AgentChannel: r.AgentChannel, AgentChat: r.AgentChat, AgentUser: r.AgentUser, AgentLang: r.AgentLang}
	}
	return out, nil
}

func (t *opTx) KPJHolders(ctx context.Context, kpjs []string) (map[string]string, error) {
	var held []struct {
		Ref string `db:"ref"`
		KPJ string `db:"kpj"`
	}
	if err := t.tx.SelectContext(ctx, &held, `SELECT ref, kpj FROM registrations WHERE kpj = ANY($1) AND deleted_at IS NULL`, pq.StringArray(kpjs)); err != nil {
		return nil, fmt.Errorf("holders: %w", err)
	}
	out := make(map[string]string, len(held))
	for _, h := range held {
		out[h.KPJ] = h.Ref
	}
	return out, nil
}

func (t *opTx) SetKPJs(ctx context.Context, regIDs []int64, kpjs []string) error {
	// A registration updated twice in the batch takes its last KPJ.
	if _, err := t.tx.ExecContext(ctx, `
		UPDATE registrations r SET kpj = u.kpj, updated_at = $3
		FROM (SELECT DISTINCT ON (id) id, kpj FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS x(id, kpj, n) ORDER BY id, n DESC) u
		WHERE r.id = u.id`, pq.Int64Array(regIDs), pq.StringArray(kpjs), t.now); err != nil {
		return fmt.Errorf("set %d kpjs: %w", len(regIDs), err)
	}
	return nil
}
