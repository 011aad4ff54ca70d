package flows

import (
	"context"
	"fmt"
	"time"
)

// Segment chooses the recipients of a broadcast. Every non-empty field
// narrows it; an empty segment is every worker with a linked chat. A person
// (one chat) matches at most once, whatever their registrations.
type Segment struct {
	Regencies   []string `json:"regencies,omitempty"`   // dotted kabupaten/kota codes of the registration's domicile
	Districts   []string `json:"districts,omitempty"`   // dotted kecamatan codes
	Standings   []string `json:"standings,omitempty"`   // Standing* values
	DueDays     int      `json:"due_days,omitempty"`    // StandingDue: protection ends within this many days (0 means 7)
	Occupations []string `json:"occupations,omitempty"` // Occupations codes
	JHT         string   `json:"jht,omitempty"`         // "with", "without", or "" for either
	Payers      []string `json:"payers,omitempty"`      // Payer* values
	AgentsOnly  bool     `json:"agents_only,omitempty"` // the approved agents themselves, instead of workers (region filters apply to their area)
	Channels    []string `json:"channels,omitempty"`    // "telegram", "web", …
}

// Standings of a registration for segments (a registration's "status" as a
// worker would say it).
const (
	StandingAwaiting = "awaiting" // registered, never paid
	StandingActive   = "active"   // protected today
	StandingDue      = "due"      // protected today, ending within DueDays
	StandingArrears  = "arrears"  // protection ended, arrears still payable (up to 3 months)
	StandingEnded    = "ended"    // more than 3 months unpaid: membership ended
)

// Who pays a registration's contribution, for segments.
const (
	PayerSelf    = "self"    // the worker (registered themselves)
	PayerAgent   = "agent"   // registered by an agent
	PayerSponsor = "sponsor" // a sponsor's batch (bulk import)
)

// Broadcast buttons: a flow the recipient can start with one tap.
const (
	ButtonNone   = ""
	ButtonPay    = "pay"    // Bayar iuran
	ButtonStatus = "status" // Lihat status
	ButtonCard   = "card"   // Kartu peserta
)

// Broadcast statuses.
const (
	BroadcastScheduled = "scheduled" // waits for its time
	BroadcastRunning   = "running"
	BroadcastPaused    = "paused"
	BroadcastCancelled = "cancelled"
	BroadcastDone      = "done"
)

// Broadcast is a message to a segment.
type Broadcast struct {
	ID          int64
	Segment     Segment
	Text        string // plain text; *bold* and _italic_ marked as in Telegram
	Button      string // Button*
	ScheduledAt time.Time
	CreatedBy   string // "channel:user_id" of the admin
	// The admin chat that gets the progress message and the final report.
	ReportChannel, ReportChat string
	Status                    string
	CreatedAt                 time.Time
	// DraftKey is the dashboard form's key: the same form sent twice
	// makes one broadcast ("" from chat and the CLI).
	DraftKey string
}

// BroadcastProgress counts a broadcast's recipients by state.
type BroadcastProgress struct {
	ID       int64
	Status   string
	Text     string
	Total    int // recipients fixed when it started (0 before)
	Queued   int // not yet sent (or waiting for a retry)
	Sent     int
	Failed   int // gave up after retries, or a permanent error
	Blocked  int // the chat blocked the bot
	OptedOut int // the person opted out (/berhenti) after it started
	Unknown  int // in flight when a process died: never resent blindly
	// Delivered and Read count what the channels said after sending
	// (WhatsApp's status webhooks); 0 on the others.
	Delivered, Read                    int
	ScheduledAt, StartedAt, FinishedAt time.Time
	CreatedBy                          string
	ReportChannel, ReportChat          string
	// ProgressRef is the channel's id of the progress message in the
	// report chat (to edit it in place), "" before it is sent.
	ProgressRef string
}

// Done counts the recipients that need nothing more.
func (p BroadcastProgress) Done() int { return p.Sent + p.Failed + p.Blocked + p.OptedOut + p.Unknown }

// BroadcastItem is one recipient claimed for sending.
type BroadcastItem struct {
	BroadcastID     int64
	Channel, ChatID string
	Lang            string // the recipient chat's language ("" if unknown)
	Attempts        int    // including this one
}

// BroadcastResult is what sending one item did.
type BroadcastResult struct {
	BroadcastID     int64
	Channel, ChatID string
	State           string // "sent", "failed", "blocked", or "queued" to retry at RetryAt
	Error           string
	RetryAt         time.Time
}

// BroadcastStore opens the transaction a broadcast's end is recorded in
// (store.DB).
type BroadcastStore interface {
	BroadcastAtomically(ctx context.Context, fn func(ctx context.Context, tx BroadcastTx) error) error
}

// BroadcastTx is what finishing broadcasts needs of its transaction.
type BroadcastTx interface {
	// FinishRunning marks done the running broadcasts with nobody left to
	// send to, and returns them (each once, whoever calls it).
	FinishRunning(ctx context.Context) ([]BroadcastProgress, error)
	SendTo(ctx context.Context, channel, chatID string, replies []Reply) error
}

// FinishBroadcasts marks done the running broadcasts with nobody queued or
// in flight, and returns them for their final report. report, when not
// nil, gives each one's final report (Engine.BroadcastReportReply): it is
// queued for the broadcast's report chat in the same transaction, so a
// broadcast is never done without its report.
func FinishBroadcasts(ctx context.Context, bs BroadcastStore, report func(BroadcastProgress) Reply) ([]BroadcastProgress, error) {
	var out []BroadcastProgress
	err := bs.BroadcastAtomically(ctx, func(ctx context.Context, tx BroadcastTx) error {
		done, err := tx.FinishRunning(ctx)
		if err != nil {
			return err
		}
		out = done
		if report == nil {
			return nil
		}
		for _, p := range done {
			if p.ReportChannel == "" {
				continue
			}
			if err := tx.SendTo(ctx, p.ReportChannel, p.ReportChat, []Reply{report(p)}); err != nil {
				return fmt.Errorf("report broadcast %d: %w", p.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("finish broadcasts: %w", err)
	}
	return out, nil
}
