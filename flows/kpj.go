package flows

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/nama"
)

// KPJIssued is a participant number (KPJ) BPJS Ketenagakerjaan issued for a
// registration, as its chat is told of it.
type KPJIssued struct {
	Ref      string // the registration's reference
	Name     string // the registered person
	KPJ      string
	Previous string // the KPJ it replaces, "" for the first one
	Card     bool   // a membership card exists (a payment settled): the updated card follows
}

// KPJNotices makes the messages of a recorded KPJ (the store queues them in
// the transaction that records it).
type KPJNotices interface {
	KPJReplies(lang string, k KPJIssued) []Reply
	// KPJAgentReplies tell the agent of a resident with no chat of their
	// own, so the agent can pass the number on.
	KPJAgentReplies(lang string, k KPJIssued) []Reply
}

// KPJReplies tell a worker the KPJ recorded for a registration of their
// chat, then send the card that now shows it; a registration not paid for
// yet has no card, and the message says the number will be on it.
func (e *Engine) KPJReplies(lang string, k KPJIssued) []Reply {
	lang, text := e.kpjText(lang, k, "kpj.issued", "kpj.corrected")
	n := &Notice{Kind: NoticeKPJ, Lang: lang, Params: []string{nama.Display(k.Name), k.Ref, k.KPJ}}
	if !k.Card {
		return []Reply{{Text: text + "\n" + e.cat.T(lang, "kpj.card_later", nil), Input: InputNone, Notice: n}}
	}
	return []Reply{{Text: text + "\n" + e.cat.T(lang, "kpj.card_updated", nil), Input: InputNone, Notice: n}, cardReply(e, lang, k.Ref, k.Name)}
}

// kpjText is the message of a KPJ recorded (issued) or replacing an earlier
// one (corrected), in lang or the default; it returns the language used.
func (e *Engine) kpjText(lang string, k KPJIssued, issued, corrected string) (string, string) {
	if !e.cat.Supported(lang) {
		lang = "id"
	}
	key := issued
	if k.Previous != "" {
		key = corrected
	}
	return lang, e.cat.T(lang, key, map[string]any{"Name": nama.Display(k.Name), "Ref": k.Ref, "KPJ": k.KPJ, "Previous": k.Previous})
}

// KPJAgentReplies tell an agent the KPJ recorded for a resident they
// registered who has no chat of their own.
func (e *Engine) KPJAgentReplies(lang string, k KPJIssued) []Reply {
	lang, text := e.kpjText(lang, k, "kpj.agent_issued", "kpj.agent_corrected")
	return []Reply{{Text: text, Input: InputNone, Notice: &Notice{Kind: NoticeKPJAgent, Lang: lang, Params: []string{nama.Display(k.Name), k.Ref, k.KPJ}}}}
}

// KPJRow is one checked row of a KPJ file: a NIK (16 digits) and the
// participant number (KPJ) BPJS Ketenagakerjaan issued for it.
type KPJRow struct {
	Row int // the row in the file, for the report
	NIK string
	KPJ string
}

// KPJOutcome says what recording one row did.
type KPJOutcome string

// Outcomes of RecordKPJs.
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

// KPJRegistration is a live registration a KPJ row names by its NIK, locked.
type KPJRegistration struct {
	ID              int64
	Ref, Name, KPJ  string
	Channel, ChatID string // "" for an agent's resident with no chat of their own
	Lang            string
	Card            bool // a membership card exists
	// The approved agent of a resident with no chat of their own.
	AgentID                            int64
	AgentChannel, AgentChat, AgentUser string
	AgentLang                          string
}

// KPJStore opens the transaction a batch of KPJs is recorded in (store.DB).
type KPJStore interface {
	// KPJAtomically runs fn in one transaction; KPJ imports run one at a
	// time (a KPJ must stay unique, and no constraint says so).
	KPJAtomically(ctx context.Context, fn func(ctx context.Context, tx KPJTx) error) error
}

// KPJTx is what recording KPJs needs of its transaction.
type KPJTx interface {
	// KPJRegistrations locks the live registrations of the NIKs, by NIK.
	KPJRegistrations(ctx context.Context, niks []string) (map[string]*KPJRegistration, error)
	// KPJHolders is the reference of the live registration holding each KPJ held.
	KPJHolders(ctx context.Context, kpjs []string) (map[string]string, error)
	// SetKPJs records registrations' KPJs, in one statement; a
	// registration named twice takes its last.
	SetKPJs(ctx context.Context, regIDs []int64, kpjs []string) error
	SendTo(ctx context.Context, channel, chatID string, replies []Reply) error
	// AuditAs records what someone (channel:user) did.
	AuditAs(ctx context.Context, actor, action, subject, detail string) error
}

// RecordKPJs records the KPJs of a batch of rows in one transaction: each
// NIK's live registration gets its KPJ, unless it has it already or another
// live registration holds that KPJ (a KPJ freed earlier in the batch may be
// taken). Each registration updated is told in the same transaction: its
// chat in the chat's language (with the updated card when one exists), or,
// for an agent's resident with no chat of their own, the agent, which is
// audited as an agent's access; so a KPJ is never recorded without telling
// its worker, nor told twice: the same rows again change nothing and tell
// nobody. The rows are taken in order; a NIK should appear once.
func RecordKPJs(ctx context.Context, ks KPJStore, rows []KPJRow, notices KPJNotices) ([]KPJResult, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var out []KPJResult
	err := ks.KPJAtomically(ctx, func(ctx context.Context, tx KPJTx) error {
		niks, kpjs := make([]string, len(rows)), make([]string, len(rows))
		for i, r := range rows {
			niks[i], kpjs[i] = r.NIK, r.KPJ
		}
		regs, err := tx.KPJRegistrations(ctx, niks)
		if err != nil {
			return err
		}
		// Who holds each KPJ, kept up to date as rows are applied.
		holder, err := tx.KPJHolders(ctx, kpjs)
		if err != nil {
			return err
		}
		out = make([]KPJResult, len(rows))
		var ids []int64
		var set []string
		for i, row := range rows {
			res := KPJResult{Row: row.Row}
			reg, ok := regs[row.NIK]
			if !ok {
				res.Outcome = KPJUnknownNIK
				out[i] = res
				continue
			}
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
				ids, set = append(ids, reg.ID), append(set, row.KPJ)
				if res.Told, res.ToldAgent, err = tellKPJ(ctx, tx, reg, res.Previous, notices); err != nil {
					return fmt.Errorf("record kpj of %s: %w", reg.Ref, err)
				}
			}
			out[i] = res
		}
		if len(ids) == 0 {
			return nil
		}
		return tx.SetKPJs(ctx, ids, set)
	})
	if err != nil {
		return nil, fmt.Errorf("record kpj: %w", err)
	}
	return out, nil
}

// tellKPJ tells a registration's chat its new KPJ, or, with no chat of its
// own, its agent.
func tellKPJ(ctx context.Context, tx KPJTx, reg *KPJRegistration, previous string, notices KPJNotices) (told, toldAgent bool, err error) {
	if notices == nil {
		return false, false, nil
	}
	issued := KPJIssued{Ref: reg.Ref, Name: reg.Name, KPJ: reg.KPJ, Previous: previous}
	switch {
	case reg.Channel != "" && reg.ChatID != "":
		issued.Card = reg.Card
		return true, false, tx.SendTo(ctx, reg.Channel, reg.ChatID, notices.KPJReplies(reg.Lang, issued))
	case reg.AgentChat != "":
		replies := quoting(notices.KPJAgentReplies(reg.AgentLang, issued), about.Registration(reg.Ref))
		if err := tx.SendTo(ctx, reg.AgentChannel, reg.AgentChat, replies); err != nil {
			return false, false, err
		}
		// The agent reads a resident's number: audited like every agent's access.
		return false, true, tx.AuditAs(ctx, reg.AgentChannel+":"+reg.AgentUser, "agent:kpj_notice", reg.Ref, "agent:"+strconv.FormatInt(reg.AgentID, 10))
	}
	return false, false, nil
}
