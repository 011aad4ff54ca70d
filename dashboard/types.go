package dashboard

import (
	"context"
	"errors"
	"time"
)

// Roles of staff on the dashboard.
const (
	RoleAdmin      = "admin"      // everything, manages roles
	RoleStaf       = "staf"       // reads everything, personal data masked
	RoleSupervisor = "supervisor" // reads within their kabupaten/kota
	RoleSponsor    = "sponsor"    // reads their sponsor batches
)

// Roles lists the roles in the order the roles page offers them.
var Roles = []string{RoleAdmin, RoleStaf, RoleSupervisor, RoleSponsor}

// ErrNotFound is returned for a link, session or record that is not there
// (used, expired, ended or never made).
var ErrNotFound = errors.New("not found")

// Staff is someone with a role on the dashboard.
type Staff struct {
	Actor     string    `db:"actor"` // channel:user_id, as the audit log names people
	Role      string    `db:"role"`
	Regencies []string  `db:"-"` // supervisor: dotted kabupaten/kota codes
	Batches   []int64   `db:"-"` // sponsor: sponsor batch ids
	Note      string    `db:"note"`
	GrantedBy string    `db:"granted_by"`
	GrantedAt time.Time `db:"granted_at"`
}

// Scope is what a role may see: everything when both are empty.
type Scope struct {
	Regencies []string // only registrations domiciled in these kabupaten/kota
	Batches   []int64  // only registrations of these sponsor batches
	None      bool     // nothing at all (a sponsor with no batch yet)
}

// All reports whether the scope is unrestricted.
func (s Scope) All() bool { return !s.None && len(s.Regencies) == 0 && len(s.Batches) == 0 }

// Session is a signed-in staff member's browser session.
type Session struct {
	Actor     string    `db:"actor"`
	CSRF      string    `db:"csrf"`
	Lang      string    `db:"lang"`
	CreatedAt time.Time `db:"created_at"`
	SeenAt    time.Time `db:"seen_at"`
}

// Totals count the live registrations by standing on a day.
type Totals struct {
	Registered int64 // all live registrations
	Awaiting   int64 // registered, never paid
	Active     int64 // protected on the day
	Arrears    int64 // protection ended, arrears still payable
	Ended      int64 // more than three months unpaid
}

// Day is one day of the overview's series.
type Day struct {
	Day           time.Time // midnight in the deployment's zone
	Registrations int64
	Payments      int64 // registrations paid for
	Amount        int64 // Rupiah settled
}

// Area counts the live registrations of a kabupaten/kota or kecamatan.
type Area struct {
	Code       string // dotted code, "" when none was given
	Registered int64
	Active     int64
}

// Source counts the live registrations by where they came from: telegram,
// whatsapp, web, console, agent or import.
type Source struct {
	Source     string
	Registered int64
	Active     int64
}

// Step is one step of the registration funnel in one week.
type Step struct {
	Step    string // a FunnelSteps value
	Reached int64  // conversations that got to it
	Stopped int64  // of them, those for whom it is the furthest so far
	Error   string // the most common error text key at it, "" for none
	ErrorN  int64  // how often that error was made
	ErrorsN int64  // all errors made at it
}

// Week is the funnel of the conversations started in one week.
type Week struct {
	Week  time.Time // Monday, midnight in the deployment's zone
	Steps []Step    // in FunnelSteps order
}

// Overview is the Ringkasan page's figures, in a scope, on a day.
type Overview struct {
	Day       time.Time
	Totals    Totals
	Days      []Day  // the 90 days up to and including Day, oldest first
	Regencies []Area // by kabupaten/kota, most registrations first
	Districts []Area // by kecamatan, most registrations first
	Sources   []Source
	Funnel    []Week // newest first
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID      int64     `db:"id"`
	At      time.Time `db:"at"`
	Actor   string    `db:"actor"`
	Action  string    `db:"action"`
	Subject string    `db:"subject"`
	Detail  string    `db:"detail"`
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Actor   string
	Action  string // a prefix: "dasbor:" matches every dashboard action
	Subject string
	Since   time.Time
	Until   time.Time
	Before  int64 // entries older than this id (paging), 0 for the newest
	Limit   int
}

// Query searches registrations; zero fields match everything.
type Query struct {
	Text    string // a name (part of it) or a reference
	Village string // a dotted code or the start of one (regency, district)
	Status  string // a standing: awaiting, active, arrears, ended
	Agent   int64
	Batch   int64
	Source  string
	Page    int // from 1
	PerPage int
}

// Registration is one registration as the dashboard lists it; NIK and
// phone masked.
type Registration struct {
	ID         int64      `db:"id"`
	Ref        string     `db:"ref"`
	Name       string     `db:"name"`
	NIKMasked  string     `db:"-"`
	Phone      string     `db:"-"` // masked
	Regency    string     `db:"regency"`
	District   string     `db:"district"`
	Village    string     `db:"village"`
	Occupation string     `db:"occupation"`
	Status     string     `db:"status"`
	Standing   string     `db:"-"`
	Source     string     `db:"source"`
	Channel    string     `db:"channel"`
	ChatID     string     `db:"chat_id"`
	AgentID    *int64     `db:"agent_id"`
	AgentName  string     `db:"agent_name"`
	BatchID    *int64     `db:"sponsor_batch_id"`
	Monthly    int64      `db:"monthly_iuran"`
	JHT        bool       `db:"jht"`
	KPJ        string     `db:"kpj"`
	CoveredTo  *time.Time `db:"covered_to"`
	CreatedAt  time.Time  `db:"created_at"`
	ClaimedAt  *time.Time `db:"claimed_at"`
}

// Event is one line of a registration's history.
type Event struct {
	At     time.Time
	Kind   string // registered, payment, reminder, claim, consent, audit
	Text   string // what happened, in plain words (no personal data)
	Actor  string
	Amount int64
}

// Record is a registration's page.
type Record struct {
	Registration
	History []Event // newest first
	Savings int64   // the savings balance (tabungan iuran), in Rupiah
	// AutoDebit is its auto-debit in force (bayar otomatis GoPay); Status ""
	// when none.
	AutoDebit AutoDebit
}

// AutoDebit is a registration's auto-debit in force.
type AutoDebit struct {
	Status string // linking, confirming, active, paused
	Amount int64  // Rupiah a month
	Day    int    // of the month it is charged on; 0 until confirmed
}

// Application is an agent's application or record, with what they did.
type Agent struct {
	ID          int64        `db:"id"`
	Actor       string       `db:"actor"`
	Role        string       `db:"role"`
	Name        string       `db:"name"`
	Village     string       `db:"village"`
	Institution string       `db:"institution"`
	Status      string       `db:"status"`
	Reason      string       `db:"reason"`
	DecidedBy   string       `db:"decided_by"`
	CreatedAt   time.Time    `db:"created_at"`
	DecidedAt   *time.Time   `db:"decided_at"`
	Residents   int64        `db:"residents"`
	Active      int64        `db:"active"`
	Months      []AgentMonth `db:"-"`
}

// AgentMonth is what an agent collected in one month.
type AgentMonth struct {
	Month    time.Time `db:"month"`
	Payments int64     `db:"payments"`
	Amount   int64     `db:"amount"`
	Fee      int64     `db:"-"` // the agent's fee on it (Perisai agents)
}

// Store is what the dashboard reads and writes.
type Store interface {
	BroadcastStore // broadcasts.go
	ImportStore    // imports.go
	PaymentStore   // payments.go

	// CreateStaffLink stores a sign-in link's hash for actor, valid until expires.
	CreateStaffLink(ctx context.Context, actor string, tokenHash []byte, expires time.Time) error
	// RedeemStaffLink spends a link (once, before it expires) and opens a
	// session with the given hash and CSRF token; it returns the actor.
	// ErrNotFound for a used, expired or unknown link.
	RedeemStaffLink(ctx context.Context, tokenHash, sessionHash []byte, csrf string) (string, error)
	// StaffSession finds a live session (seen within idle, opened within
	// most) and marks it seen. ErrNotFound when there is none.
	StaffSession(ctx context.Context, sessionHash []byte, idle, most time.Duration) (Session, error)
	// EndStaffSession ends a session (logout).
	EndStaffSession(ctx context.Context, sessionHash []byte) error
	// SetSessionLang keeps the language a session chose.
	SetSessionLang(ctx context.Context, sessionHash []byte, lang string) error

	// StaffRole finds the role given to actor on the dashboard; false for none.
	StaffRole(ctx context.Context, actor string) (Staff, bool, error)
	// StaffRoles lists the roles given, by actor.
	StaffRoles(ctx context.Context) ([]Staff, error)
	// SetStaffRole gives (or changes) a role, audited as by.
	SetStaffRole(ctx context.Context, by string, s Staff) error
	// RemoveStaffRole takes a role away; false when there was none.
	RemoveStaffRole(ctx context.Context, by, actor string) (bool, error)
	// ChatAdmin reports whether actor was made an admin in chat.
	ChatAdmin(ctx context.Context, actor string) (bool, error)

	// Audit writes one line of the audit log.
	Audit(ctx context.Context, actor, action, subject, detail string) error
	// AuditEntries lists audit entries, newest first.
	AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error)

	// Overview counts the Ringkasan page's figures on today.
	Overview(ctx context.Context, scope Scope, today time.Time) (Overview, error)
	// Registrations searches registrations in a scope: a page of them and
	// how many match.
	Registrations(ctx context.Context, scope Scope, q Query, today time.Time) ([]Registration, int, error)
	// Record is a registration's page. ErrNotFound outside the scope.
	Record(ctx context.Context, scope Scope, ref string, today time.Time) (Record, error)
	// RevealNIK opens a registration's NIK. ErrNotFound outside the scope.
	RevealNIK(ctx context.Context, scope Scope, ref string) (string, error)
	// StaffAgents lists agents with a status ("" for all), newest first,
	// with their residents and the collections of the last months.
	StaffAgents(ctx context.Context, status string, months int, today time.Time) ([]Agent, error)
}
