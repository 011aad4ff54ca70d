package flows

// Notice marks a reply the service sends on its own rather than as an
// answer (a reminder, a settled payment, a KPJ, a broadcast, a notice to an
// agent). A channel that reaches a chat quiet for a while only with an
// approved template (WhatsApp, 24 hours after the chat last wrote) sends the
// template of Kind, in Lang, with Params instead of the reply's text. The
// templates are defined in locales/templates.toml, one per kind and
// language, their parameters in the order given here.
type Notice struct {
	Kind   string   `json:"kind"`
	Lang   string   `json:"lang,omitempty"`
	Params []string `json:"params,omitempty"`
	// Always sends the template even to a chat that wrote lately (a
	// broadcast: everyone reads the text the composer showed).
	Always bool `json:"always,omitempty"`
}

// Notice kinds, with their parameters.
const (
	NoticeRemindBefore  = "remind_before"  // Name, Ref, End (the last covered day), Days (left)
	NoticeRemindLapsed  = "remind_lapsed"  // Name, Ref, End
	NoticeRemindArrears = "remind_arrears" // Name, Ref, Since (the first day without cover), Until (the last day arrears can be paid)
	NoticeNudge         = "nudge"          // Date (when the unfinished registration is deleted)
	NoticePaid          = "paid"           // Name, Ref, To (covered until)
	NoticePaidJHT       = "paid_jht"       // Name, Months
	NoticeAgentPaid     = "agent_paid"     // Total (Rupiah), Count (people covered)
	NoticeKPJ           = "kpj"            // Name, Ref, KPJ
	NoticeKPJAgent      = "kpj_agent"      // Name, Ref, KPJ
	NoticeBroadcast     = "broadcast"      // Text; with a button: broadcast_pay, broadcast_status, broadcast_card
	NoticeAgent         = "agent_notice"   // Text (a notice to an agent or an admin: an approval, a record moved)
	NoticeMessage       = "message"        // Text (a notice to a worker: a record moved, their agent's reminder)
)

// NoticeKinds lists every kind, each with how many parameters it has.
var NoticeKinds = map[string]int{
	NoticeRemindBefore: 4, NoticeRemindLapsed: 3, NoticeRemindArrears: 4, NoticeNudge: 1,
	NoticePaid: 3, NoticePaidJHT: 2, NoticeAgentPaid: 2, NoticeKPJ: 3, NoticeKPJAgent: 3,
	NoticeBroadcast: 1, broadcastKind(ButtonPay): 1, broadcastKind(ButtonStatus): 1, broadcastKind(ButtonCard): 1,
	NoticeAgent: 1, NoticeMessage: 1,
}

// broadcastKind is the notice kind of a broadcast with button (Button*).
func broadcastKind(button string) string {
	if button == ButtonNone {
		return NoticeBroadcast
	}
	return NoticeBroadcast + "_" + button
}

// noticeOf marks a reply as a notice whose only parameter is its text.
func noticeOf(kind, lang string, r Reply) Reply {
	r.Notice = &Notice{Kind: kind, Lang: lang, Params: []string{r.Text}}
	return r
}

// MessageStatus is what a channel's status report (WhatsApp's status
// webhooks) said of one message it had accepted.
type MessageStatus struct {
	ID     string // the channel's message id (wamid)
	ChatID string
	Status string // "sent", "delivered", "read" or "failed"
	Error  string // a failed one's reason
	Code   int    // the channel's code of the failure (WhatsApp: 131047, …)
}

// StatusChange is a message a status report just said failed, with what
// it carried.
type StatusChange struct {
	MessageStatus
	OutboxID, BroadcastID int64 // 0 when it carried none (or is not known)
}

// SentMessage is one message a channel accepted (its id: WhatsApp's wamid)
// and what it carried: a reply of the outbox or a broadcast.
type SentMessage struct {
	ID, ChatID            string
	OutboxID, BroadcastID int64
}
