// Package flows is the conversation engine: an inbound event plus the chat's
// saved session give replies and domain effects, all committed in one
// transaction through the Store the caller provides. Flows know nothing of
// Telegram, WhatsApp or the terminal.
package flows

import (
	"context"
	"errors"
	"time"
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
	Lang     string // the client's language hint ("id", "en"), used for a new session only
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
}

// Session is the saved state of one chat.
type Session struct {
	Channel   string
	ChatID    string
	UserID    string
	Flow      string
	State     string
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
}

// Tx is what a flow may do inside the transaction of one chat.
type Tx interface {
	// Begin records the update id (unless it is "") and loads and locks the
	// chat's session, a fresh one for a new chat. ok is false, and the session
	// nil, when the update was processed before.
	Begin(ctx context.Context, updateID string) (s *Session, ok bool, err error)
	SaveSession(ctx context.Context, s *Session) error
	// Send queues replies for the chat (the outbox); they are delivered after commit.
	Send(ctx context.Context, replies []Reply) error

	NIKRegistered(ctx context.Context, nik string) (bool, error)
	RecordConsent(ctx context.Context, c Consent) (int64, error)
	CreateRegistration(ctx context.Context, r Registration) (ref string, err error)
	// Registrations made from this chat, newest first.
	Registrations(ctx context.Context) ([]RegistrationView, error)
	Consents(ctx context.Context) ([]ConsentView, error)
	// Forget withdraws every consent of this chat and erases the personal
	// data of its registrations, keeping a pseudonymised record.
	Forget(ctx context.Context) (int, error)
	// RecordPayment stores an issued payment code and what it pays for.
	RecordPayment(ctx context.Context, p PaymentRecord) error
	// Subscribe makes a registration's next invoices by themselves (months 0 stops it).
	Subscribe(ctx context.Context, ref string, months int, method string) error
	// NudgeLater plans a reminder for an unfinished registration at the given time.
	NudgeLater(ctx context.Context, at time.Time) error
	// Payments lists the payments for the chat's registrations, newest first.
	Payments(ctx context.Context) ([]PaymentView, error)
	Audit(ctx context.Context, action, detail string) error
}

// Outgoing is a reply waiting in the outbox.
type Outgoing struct {
	ID        int64
	Channel   string
	ChatID    string
	Reply     Reply
	CreatedAt time.Time
	Attempts  int
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
}
