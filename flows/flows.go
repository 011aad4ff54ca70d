// Package flows is the conversation engine: an inbound event plus the chat's
// saved session give replies and domain effects, all committed in one
// transaction through the Store the caller provides. Flows know nothing of
// Telegram, WhatsApp or the terminal.
package flows

import (
	"context"
	"errors"
	"time"

	"github.com/lindungi/lindungi/payments"
)

// Kind says what an inbound event carries.
type Kind string

// Event kinds.
const (
	KindText    Kind = "text"    // typed text (commands included)
	KindChoice  Kind = "choice"  // a button press: Choice holds the button's data
	KindContact Kind = "contact" // a shared contact card
	KindMedia   Kind = "media"   // sticker, photo, voice note, document…: answered politely
	KindGroup   Kind = "group"   // anything in a group chat: the bot says once that it works in private chats only
)

// Event is one inbound update, already translated from a channel's wire format.
type Event struct {
	Channel  string // "telegram", "web", "console", …
	ChatID   string // the conversation
	UserID   string // the sender
	UpdateID string // the channel's id for this update; "" when the channel has none
	Kind     Kind
	Text     string
	Choice   string
	Contact  *Contact
	// Phone is the sender's own number when the channel knows it
	// (WhatsApp's wa_id, "6281234567890"); "" elsewhere.
	Phone string
	Lang  string // the client's language hint ("id", "en"), used for a new session only
	// Client is the sender's network address as the channel saw it (the web
	// chat: the IP, an IPv6 address by its /64), for limits a new chat
	// cannot reset; "" where the channel has none (Telegram: the user is).
	Client string
	// Received is when the update reached this service (zero: unknown); the
	// replies to it carry it on (Reply.Answers) for the update→reply latency.
	Received time.Time `json:",omitzero"`
}

// Contact is a shared contact card.
type Contact struct {
	Phone  string
	UserID string // the contact's own user id on the channel, when known
}

// Input tells a channel what kind of answer the question expects.
type Input string

// Input kinds.
const (
	InputText    Input = "text"
	InputContact Input = "contact" // a phone number: channels that can share a contact offer a button
	InputNone    Input = "none"    // nothing is expected (pure information)
	InputNumber  Input = "number"  // digits (a NIK): channels that can open the numeric keypad do
)

// Choice is one button. Data is short and stable (at most 64 bytes, Telegram's
// callback_data limit).
type Choice struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

// Reply is one outgoing message, channel-neutral.
type Reply struct {
	Text       string   `json:"text"`
	Choices    []Choice `json:"choices,omitempty"`
	Input      Input    `json:"input,omitempty"`
	InputLabel string   `json:"input_label,omitempty"` // the label of a channel's own input button ("Kirim nomor saya")
	Photo      string   `json:"photo,omitempty"`
	// Copy lists what in the text the reader must copy exactly (a payment
	// code, a claim code): channels that can put a copy button by it do.
	Copy []string `json:"copy,omitempty"`
	// Rich marks a text written with *bold* and _italic_ (an admin's
	// broadcast): channels that can show them do, the others show it as typed.
	Rich bool `json:"rich,omitempty"`
	// About names the people whose data the text quotes, when they are not
	// the chat it goes to (AboutRegistration, AboutAgent): their erasure
	// deletes it from the outbox, delivered or not. Channels ignore it.
	About []string `json:"about,omitempty"`
	// Forget tells the channel that the chat's data was just erased: one
	// that keeps a copy of the conversation (the web page's transcript)
	// clears it.
	Forget bool `json:"forget,omitempty"`
	// Rotate tells a channel with sessions of its own (the web chat's
	// cookie) to issue the chat a new one: the chat just gave its consent,
	// took over a record or erased it, so a session someone planted
	// beforehand stops working.
	Rotate bool `json:"rotate,omitempty"`
	// Answers is when the update this reply answers reached the service
	// (Event.Received; zero for a reply nobody asked for, like a reminder):
	// the deliverer measures the update→reply latency from it.
	Answers time.Time `json:"answers,omitzero"`
	// Notice, set on a reply the service sends on its own, is the
	// template it goes as where only a template reaches the chat.
	Notice *Notice `json:"notice,omitempty"`
}

// Session is the saved state of one chat.
type Session struct {
	Channel   string
	ChatID    string
	UserID    string
	Flow      string
	State     State
	Lang      string
	Pending   string  // a confirmation being asked ("cancel", "delete"), "" if none
	Data      Answers // held encrypted at rest by the store
	CreatedAt time.Time
	UpdatedAt time.Time
	New       bool // no row existed before this event
}

// Registration is a confirmed self-registration, as the flow hands it to the store.
type Registration struct {
	Channel         string
	ChatID          string
	NIK             string
	Name            string
	BirthDate       time.Time
	Female          bool
	Phone           string // E.164
	Province        string // dotted region codes
	Regency         string
	District        string
	Village         string
	Occupation      string
	OccupationOther string
	Bracket         int   // index in the iuran table
	Income          int64 // the bracket's base
	JHT             bool
	MonthlyIuran    int64
	ConsentID       int64
}

// RegistrationView is a stored registration as the worker may see it.
type RegistrationView struct {
	Registration
	Ref         string
	Status      string
	CreatedAt   time.Time
	CoveredFrom time.Time // zero until a payment settled
	CoveredTo   time.Time
	KPJ         string // BPJS's participant number, "" until recorded
	Subscribed  bool   // langganan: invoices made by themselves
	Sponsor     string // the sponsor paying JKK and JKM, "" when none
	JHTSelf     bool   // a sponsored worker added JHT at their own cost
	// SponsorPaysAll: the sponsor pays JHT too; nothing is left for the worker to pay.
	SponsorPaysAll bool
}

// Consent is the proof of a consent given (UU PDP art. 20–24).
type Consent struct {
	Channel     string
	ChatID      string
	UserID      string
	TextVersion string
	UpdateID    string
	GivenAt     time.Time
}

// ConsentView is a stored consent.
type ConsentView struct {
	ID          int64
	TextVersion string
	GivenAt     time.Time
	WithdrawnAt *time.Time
}

// Registration statuses.
const (
	StatusAwaitingPayment = "menunggu_pembayaran"
	StatusActive          = "aktif" // the contribution is paid: protected
	StatusDeleted         = "dihapus"
)

// ErrDuplicate is returned by Tx.CreateRegistration when the NIK is already registered.
var ErrDuplicate = errors.New("already registered")

// Store runs one transaction for one chat. The implementation locks the chat's
// session for the whole of fn, so two events of one chat never interleave, and
// commits fn's writes together (or none of them).
type Store interface {
	Atomically(ctx context.Context, channel, chatID string, fn func(ctx context.Context, tx Tx) error) error
	PaymentStore
	JobStore
}

// Tx is what a flow may do inside the transaction of one chat.
type Tx interface {
	SessionTx
	RegistrationTx
	PayingTx
	AgentTx
	AdminTx
	ClaimTx
	PrefsTx
	FunnelTx
	DashboardTx
	ChatSavingsTx
}

// SessionTx is the chat's session, its replies, its plans and its audit.
type SessionTx interface {
	// Begin records the update id (unless it is "") and loads and locks the
	// chat's session, a fresh one for a new chat. ok is false, and the session
	// nil, when the update was processed before.
	Begin(ctx context.Context, updateID string) (s *Session, ok bool, err error)
	SaveSession(ctx context.Context, s *Session) error
	// Send queues replies for the chat (the outbox); they are delivered after commit.
	Send(ctx context.Context, replies []Reply) error
	// PlanJobs plans work for later (a nudge of an unfinished registration).
	PlanJobs(ctx context.Context, jobs []Job) error
	// Audit records an action of the user writing on their own chat.
	Audit(ctx context.Context, action, detail string) error
}

// RegistrationTx is what registering (and erasing) needs.
type RegistrationTx interface {
	NIKRegistered(ctx context.Context, nik string) (bool, error)
	RecordConsent(ctx context.Context, c Consent) (int64, error)
	CreateRegistration(ctx context.Context, r Registration) (ref string, err error)
	// Registrations made from this chat, newest first.
	Registrations(ctx context.Context) ([]RegistrationView, error)
	Consents(ctx context.Context) ([]ConsentView, error)
	// Forget withdraws every consent of this chat and erases the personal
	// data of its registrations, keeping a pseudonymised record.
	Forget(ctx context.Context) (int, error)
}

// PayingTx is what paying from a chat needs.
type PayingTx interface {
	// RecordPayment stores an issued payment code and what it pays for.
	RecordPayment(ctx context.Context, p PaymentRecord) error
	// Subscribe makes a registration's next invoices by themselves (months 0 stops it).
	Subscribe(ctx context.Context, ref string, months int, method string) error
	// Payments lists the payments for the chat's registrations, newest first.
	Payments(ctx context.Context) ([]PaymentView, error)
	// CancelPayment marks the chat's own pending code cancelled (a new code
	// replaced it); a settlement that still comes is applied.
	CancelPayment(ctx context.Context, orderID, why string) error
}

// AgentTx is what the agent flows may do. The agent is always the user
// writing (see Identify): the store refuses what that user may not do
// (ErrNotAgent, ErrNotYours), whatever the flow asks.
type AgentTx interface {
	// Identify names the user writing ("" keeps the session's): the actor of
	// the audit log and of every agent and admin check.
	Identify(userID string)
	// AuditOn records an action on a record ("LD2611-7K3M9Q", "agent:12").
	AuditOn(ctx context.Context, action, subject, detail string) error
	// Agent is the user's agent record, nil when they never applied.
	Agent(ctx context.Context) (*Agent, error)
	// ApplyAgent stores the user's application (or a new one after a
	// rejection) as pending. ErrDuplicate: another user's record holds the NIK.
	ApplyAgent(ctx context.Context, a Agent) (int64, error)
	// RecordAttestation stores the approved agent's statement that a resident
	// agreed to the processing of their data. ErrNotAgent.
	RecordAttestation(ctx context.Context, a Attestation) (int64, error)
	// CreateResident stores a registration made by the approved agent.
	// ErrDuplicate: the NIK is registered (by anyone); ErrNotAgent.
	CreateResident(ctx context.Context, r Registration, attestationID int64) (ref string, err error)
	// Residents lists the agent's residents (registered by them or moved to
	// them by an admin), newest first, erased ones left out. ErrNotAgent when
	// the user has no agent record.
	Residents(ctx context.Context) ([]Resident, error)
	// RecordAgentPayment stores a payment code the approved agent pays; every
	// line must be one of the agent's residents (ErrNotYours).
	RecordAgentPayment(ctx context.Context, p PaymentRecord) error
	// AgentCollected sums the agent's settled payments since a time, and ever.
	AgentCollected(ctx context.Context, since time.Time) (sinceSum, total int64, err error)
	// MarkReminded notes that the agent reminded these residents now. ErrNotYours.
	MarkReminded(ctx context.Context, refs []string) error
	// SendTo queues replies for another chat (a resident, an applicant, an admin).
	SendTo(ctx context.Context, channel, chatID string, replies []Reply) error
	// NewClaimCode makes a single-use code for the agent's unlinked resident,
	// valid until expires; an earlier unused code of that resident stops
	// working. ErrNotYours.
	NewClaimCode(ctx context.Context, ref string, expires time.Time) (string, error)
}

// AdminTx is what the admin flows may do. The store checks nothing of admin
// rights (the environment's admins are the engine's configuration): the flow does.
type AdminTx interface {
	// IsAdmin reports whether the user writing was made an admin in chat.
	IsAdmin(ctx context.Context) (bool, error)
	// Admins lists the admins added in chat ("channel:user_id").
	Admins(ctx context.Context) ([]string, error)
	AddAdmin(ctx context.Context, who string) error
	// RemoveAdmin reports false when who was not an admin added in chat.
	RemoveAdmin(ctx context.Context, who string) (bool, error)
	// Agents lists agent records with a status ("" for all), oldest first.
	Agents(ctx context.Context, status string) ([]Agent, error)
	// DecideAgent sets an agent's status (approved, rejected, suspended) with
	// a reason; it returns the agent as it now is. ErrNotFound.
	DecideAgent(ctx context.Context, id int64, status, reason string) (Agent, error)
	// FindNIK finds the live registration holding a NIK; nil when none.
	FindNIK(ctx context.Context, nik string) (*Owner, error)
	// MoveRegistration gives a registration to another chat (toChannel,
	// toChat) or, with toAgent > 0, to another agent; it returns who had it.
	MoveRegistration(ctx context.Context, ref, toChannel, toChat string, toAgent int64, reason string) (Owner, error)

	// SegmentCount counts the people a broadcast to the segment would reach
	// now (each chat once, opted-out and unreachable chats left out).
	SegmentCount(ctx context.Context, s Segment) (int, error)
	// SegmentWindow counts the segment's recipients on channel who wrote
	// since (inside WhatsApp's 24-hour window) and those who did not.
	SegmentWindow(ctx context.Context, s Segment, channel string, since time.Time) (inside, outside int, err error)
	// CreateBroadcast stores a broadcast to start at its ScheduledAt (now
	// when zero); its recipients are fixed when it starts.
	CreateBroadcast(ctx context.Context, b Broadcast) (int64, error)
	// BroadcastProgress counts a broadcast's recipients. ErrNotFound.
	BroadcastProgress(ctx context.Context, id int64) (BroadcastProgress, error)
	// RecentBroadcasts lists the latest broadcasts, newest first.
	RecentBroadcasts(ctx context.Context, limit int) ([]BroadcastProgress, error)
	// SetBroadcastStatus pauses (running → paused), resumes (paused →
	// running) or cancels (scheduled, running or paused → cancelled) a
	// broadcast; any other move is refused with ErrNotFound.
	SetBroadcastStatus(ctx context.Context, id int64, status string) (BroadcastProgress, error)

	// Stats counts the live registrations today (in the deployment's zone)
	// by kabupaten/kota, standing, occupation, channel and payer, and sums
	// the settled payments of today, this week and this month: the figures
	// of /statistik.
	Stats(ctx context.Context) (Stats, error)
}

// PrefsTx holds what a person chooses for their chat.
type PrefsTx interface {
	// SetOptOut stops (true) or restarts (false) broadcasts to this chat; it
	// reports whether that changed anything.
	SetOptOut(ctx context.Context, out bool) (bool, error)
}

// ClaimTx is what linking a resident's own chat may do.
type ClaimTx interface {
	// Claimable finds the live registration holding a NIK; nil when none.
	Claimable(ctx context.Context, nik string) (*Claimable, error)
	// UseClaimCode spends a valid code (unused, not expired), of the
	// registration ref when ref is not "": it reports the registration's ref
	// and false when the code is not valid.
	UseClaimCode(ctx context.Context, code, ref string) (string, bool, error)
	// LinkResident makes this chat the owner of a registration; how is
	// "phone" or "code".
	LinkResident(ctx context.Context, ref, how string) error
	// ClaimFailed records a failed attempt of this chat, under each key k
	// gives.
	ClaimFailed(ctx context.Context, k ClaimKeys, reason string) error
	// ClaimFailures counts the failed attempts since a time: this chat's,
	// and those from any chat on the same NIK, code, client address and
	// sponsor batch (that of the NIK's or the code's registration).
	ClaimFailures(ctx context.Context, k ClaimKeys, since time.Time) (ClaimCounts, error)
	// ConfirmConsent records that the resident confirmed the consent of a
	// linked registration.
	ConfirmConsent(ctx context.Context, ref string, consentID int64) error
	// SponsorByToken names the sponsor of the batch whose poster link holds token.
	SponsorByToken(ctx context.Context, token string) (string, bool, error)
	// Sponsorship says who pays for a registration of this chat and until
	// when (zero before the sponsor paid); "" when nobody sponsors it.
	Sponsorship(ctx context.Context, ref string) (sponsor string, until time.Time, err error)
}

// Errors of the agent and claim stores.
var (
	ErrNotAgent = errors.New("not an approved agent")
	ErrNotYours = errors.New("not this agent's resident")
	ErrNotFound = errors.New("not found")
)

// Agent roles (labels in locales: "agent.role.<role>").
var AgentRoles = []string{"ketua_rt", "ketua_rw", "kepala_desa", "perangkat_desa", "perisai", "kader", "lainnya"}

// RolePerisai is the BPJS Perisai agent, paid a fee on what they collect.
const RolePerisai = "perisai"

// Agent statuses.
const (
	AgentPending   = "pending"
	AgentApproved  = "approved"
	AgentRejected  = "rejected"
	AgentSuspended = "suspended"
	AgentErased    = "erased" // their data erased at their request (/hapus): no longer an agent
)

// Agent is a user who acts for residents: an application and its decision.
type Agent struct {
	ID          int64
	Channel     string
	UserID      string
	ChatID      string // where the agent is told things
	Role        string
	NIK         string
	Name        string
	Phone       string // E.164
	Village     string // dotted code of the desa/kelurahan; "" for Perisai agents
	RT, RW      string // "003"; "" when not asked
	Institution string // Perisai agents
	ConsentID   int64
	Status      string
	Reason      string // why rejected or suspended
	DecidedBy   string // "channel:user_id" of the admin
	CreatedAt   time.Time
	DecidedAt   time.Time // zero until decided
	Lang        string    // the language of the agent's chat (read only)
}

// Attestation is an agent's statement that a resident agreed to the
// processing of their data (UU PDP), before their NIK is asked.
type Attestation struct {
	TextVersion string
	UpdateID    string
	GivenAt     time.Time
}

// Resident is a registration as the agent who made it sees it.
type Resident struct {
	Ref                    string
	Name                   string
	NIK                    string // opened, to be shown masked
	Phone                  string // "" when the agent gave none
	Status                 string // StatusAwaitingPayment, StatusActive
	Bracket                int
	JHT                    bool
	Occupation             string
	MonthlyIuran           int64
	CreatedAt              time.Time
	CoveredFrom, CoveredTo time.Time // zero until a payment settled
	Channel, ChatID        string    // the resident's own chat once linked, "" before
	Lang                   string    // that chat's language
	ClaimedAt              time.Time
	RemindedAt             time.Time // last "Kirim pengingat" of the agent
	Savings                int64     // its savings balance (tabungan iuran), in Rupiah
	AutoDebit              string    // its auto-debit in force (AutoDebitStatus), "" when none
}

// Linked reports whether the resident linked their own chat.
func (r Resident) Linked() bool { return r.Channel != "" }

// Claimable is a registration someone asks to link to their own chat.
type Claimable struct {
	Ref     string
	Name    string
	Phone   string // E.164 on file, "" when none
	ByAgent bool   // registered by an agent
	Linked  bool   // already linked to a chat
	Sponsor string // the sponsor whose batch pays for it, "" if none
}

// Owner says who holds a registration (for an admin settling a NIK).
type Owner struct {
	Ref       string
	Name      string
	Channel   string // the owning chat, "" when none
	ChatID    string
	AgentID   int64 // 0 when no agent
	AgentName string
}

// AgentPaid is what an agent is told when a payment they made settled.
type AgentPaid struct {
	Role           string
	Amount         int64
	Covered        []Covered
	CollectedMonth int64 // the agent's settled collections this calendar month, this one included
	CollectedTotal int64 // ever
}

// PaymentNotices makes the messages of a settled payment: one set per
// registration for its own chat, and a summary for an agent who paid.
type PaymentNotices interface {
	PaymentReplies(lang string, c Covered) []Reply
	AgentPaymentReplies(lang string, p AgentPaid) []Reply
}

// Outgoing is a reply waiting in the outbox.
type Outgoing struct {
	ID        int64
	Channel   string
	ChatID    string
	Reply     Reply
	CreatedAt time.Time
	Attempts  int
	PartsSent int // of a reply a channel sends in parts: how many went out before an attempt failed
}

// Backlog is what waits in a channel's outbox.
type Backlog struct {
	Waiting int       // replies not yet delivered
	Oldest  time.Time // when the oldest of them was queued
}

// PaymentView is a payment as the worker may see it.
type PaymentView struct {
	RegistrationRef string
	Status          string // payments.Status
	Amount          int64
	Months          int
	Bank            string
	Code            string
	ExpiresAt       time.Time
	PaidAt          time.Time
	Instruction     payments.Instruction // the whole code, to show it again
}

// quoting marks replies for one chat as quoting others (Reply.About: they
// are erased with those others).
func quoting(replies []Reply, keys ...string) []Reply {
	for i := range replies {
		replies[i].About = append(replies[i].About, keys...)
	}
	return replies
}
