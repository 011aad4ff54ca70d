package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/flows"
)

// KPJRow is one checked row of a KPJ file: a NIK (16 digits) and the
// participant number (KPJ) BPJS Ketenagakerjaan issued for it.
type KPJRow struct {
	Row int // the row in the file, for the report
	NIK string
	KPJ string
}

// KPJOutcome says what recording one row did.
type KPJOutcome string

// Outcomes of SetKPJs.
const (
	KPJUpdated    KPJOutcome = "updated"     // recorded (Previous holds the KPJ it replaced, if any)
	KPJUnchanged  KPJOutcome = "unchanged"   // the registration has this KPJ already
	KPJUnknownNIK KPJOutcome = "unknown_nik" // no live registration holds the NIK
	KPJTaken      KPJOutcome = "kpj_taken"   // another live registration holds the KPJ (Holder)
)

// KPJResult is what recording one row did.
type KPJResult struct {
	Row       int
	Outcome   KPJOutcome
	Ref       string // the registration the NIK belongs to ("" for an unknown NIK)
	Previous  string // the KPJ an update replaced
	Holder    string // for KPJTaken: the reference of the registration holding the KPJ
	Told      bool   // a message for the registration's chat was queued
	ToldAgent bool   // no chat of its own: its agent was told instead
}

// kpjLock serialises KPJ imports: a KPJ must stay unique across registrations
// and no constraint says so.
const kpjLock = 0x6b706a // "kpj"

// SetKPJs records the KPJs of a batch of rows in one transaction: each NIK's
// live registration gets its KPJ, unless it has it already or another live
// registration holds that KPJ. For each registration updated that a chat
// owns, notices.KPJReplies (in the chat's language) is queued in the same
// transaction, so a KPJ is never recorded without telling its worker, nor
// told twice: running the same rows again changes nothing and queues
// nothing. The rows are taken in order; a NIK should appear once.
func (d *DB) SetKPJs(ctx context.Context, rows []KPJRow, notices flows.KPJNotices) ([]KPJResult, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("record kpj: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	now := d.now()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, kpjLock); err != nil {
		return nil, fmt.Errorf("record kpj: %w", err)
	}
	hashes := make(pq.ByteaArray, len(rows))
	kpjs := make(pq.StringArray, len(rows))
	for i, r := range rows {
		hashes[i] = d.vault.Hash("nik", r.NIK)
		kpjs[i] = r.KPJ
	}
	var regs []struct {
		ID      int64  `db:"id"`
		Ref     string `db:"ref"`
		Hash    []byte `db:"nik_hash"`
		Name    string `db:"name"`
		KPJ     string `db:"kpj"`
		Channel string `db:"channel"`
		ChatID  string `db:"chat_id"`
		Card    bool   `db:"card"`
		Lang    string `db:"lang"`
		// The agent of a resident without a chat of their own (approved agents only).
		AgentID      int64  `db:"agent_id"`
		AgentChannel string `db:"agent_channel"`
		AgentChat    string `db:"agent_chat"`
		AgentUser    string `db:"agent_user"`
		AgentLang    string `db:"agent_lang"`
	}
	if err := tx.SelectContext(ctx, &regs, `
		SELECT r.id, r.ref, r.nik_hash, r.name, r.kpj, r.channel, r.chat_id, r.verify_token IS NOT NULL AS card, coalesce(s.lang, '') AS lang,
			coalesce(a.id, 0) AS agent_id, coalesce(a.channel, '') AS agent_channel, coalesce(a.chat_id, '') AS agent_chat, coalesce(a.user_id, '') AS agent_user,
			coalesce(sa.lang, '') AS agent_lang
		FROM registrations r LEFT JOIN sessions s ON s.channel = r.channel AND s.chat_id = r.chat_id
		LEFT JOIN agents a ON r.channel = '' AND a.id = r.agent_id AND a.status = 'approved'
		LEFT JOIN sessions sa ON sa.channel = a.channel AND sa.chat_id = a.chat_id
		WHERE r.nik_hash = ANY($1) AND r.deleted_at IS NULL
		ORDER BY r.id FOR UPDATE OF r`, hashes); err != nil {
		return nil, fmt.Errorf("record kpj: registrations: %w", err)
	}
	byHash := make(map[string]int, len(regs))
	for i, r := range regs {
		byHash[string(r.Hash)] = i
	}
	// Who holds each KPJ now (live registrations), kept up to date as rows
	// are applied.
	var held []struct {
		Ref string `db:"ref"`
		KPJ string `db:"kpj"`
	}
	if err := tx.SelectContext(ctx, &held, `SELECT ref, kpj FROM registrations WHERE kpj = ANY($1) AND deleted_at IS NULL`, kpjs); err != nil {
		return nil, fmt.Errorf("record kpj: holders: %w", err)
	}
	holder := make(map[string]string, len(held))
	for _, h := range held {
		holder[h.KPJ] = h.Ref
	}

	out := make([]KPJResult, len(rows))
	var ids pq.Int64Array
	var newKPJs pq.StringArray
	for i, row := range rows {
		res := KPJResult{Row: row.Row}
		j, ok := byHash[string(hashes[i])]
		if !ok {
			res.Outcome = KPJUnknownNIK
			out[i] = res
			continue
		}
		reg := &regs[j]
		res.Ref = reg.Ref
		switch h, taken := holder[row.KPJ]; {
		case reg.KPJ == row.KPJ:
			res.Outcome = KPJUnchanged
		case taken && h != reg.Ref:
			res.Outcome, res.Holder = KPJTaken, h
		default:
			res.Outcome, res.Previous = KPJUpdated, reg.KPJ
			if reg.KPJ != "" && holder[reg.KPJ] == reg.Ref {
				delete(holder, reg.KPJ)
			}
			holder[row.KPJ] = reg.Ref
			reg.KPJ = row.KPJ
			ids = append(ids, reg.ID)
			newKPJs = append(newKPJs, row.KPJ)
			if reg.Channel != "" && reg.ChatID != "" && notices != nil {
				replies := notices.KPJReplies(reg.Lang, flows.KPJIssued{Ref: reg.Ref, Name: reg.Name, KPJ: row.KPJ,
					Previous: res.Previous, Card: reg.Card})
				if err := queueReplies(ctx, tx, d.announces(reg.Channel), reg.Channel, reg.ChatID, now, replies); err != nil {
					return nil, fmt.Errorf("record kpj of %s: %w", reg.Ref, err)
				}
				res.Told = true
			} else if reg.AgentChat != "" && notices != nil {
				replies := quoting(notices.KPJAgentReplies(reg.AgentLang, flows.KPJIssued{Ref: reg.Ref, Name: reg.Name, KPJ: row.KPJ, Previous: res.Previous}),
					about.Registration(reg.Ref))
				if err := queueReplies(ctx, tx, d.announces(reg.AgentChannel), reg.AgentChannel, reg.AgentChat, now, replies); err != nil {
					return nil, fmt.Errorf("record kpj of %s: %w", reg.Ref, err)
				}
				// The agent reads a resident's number: audited like every agent's access.
				if err := audit(ctx, tx, now, reg.AgentChannel+":"+reg.AgentUser, "agent:kpj_notice", reg.Ref, agentSubject(reg.AgentID)); err != nil {
					return nil, err
				}
				res.ToldAgent = true
			}
		}
		out[i] = res
	}
	if len(ids) > 0 {
		// A registration updated twice in the batch takes its last KPJ.
		if _, err := tx.ExecContext(ctx, `
			UPDATE registrations r SET kpj = u.kpj, updated_at = $3
			FROM (SELECT DISTINCT ON (id) id, kpj FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS x(id, kpj, n) ORDER BY id, n DESC) u
			WHERE r.id = u.id`, ids, newKPJs, now); err != nil {
			return nil, fmt.Errorf("record kpj: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("record kpj: %w", err)
	}
	return out, nil
}
