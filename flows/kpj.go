package flows

import "github.com/lindungi/lindungi/nama"

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
	if !k.Card {
		return []Reply{{Text: text + "\n" + e.cat.T(lang, "kpj.card_later", nil), Input: InputNone}}
	}
	return []Reply{{Text: text + "\n" + e.cat.T(lang, "kpj.card_updated", nil), Input: InputNone}, cardReply(e, lang, k.Ref, k.Name)}
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
	_, text := e.kpjText(lang, k, "kpj.agent_issued", "kpj.agent_corrected")
	return []Reply{{Text: text, Input: InputNone}}
}
