package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/lindungi/lindungi/iuran"
)

// Job is work planned for later: a contribution reminder, a nudge. Its key
// makes it unique: planning it again changes nothing.
type Job struct {
	Kind    string // "remind", "nudge"
	Key     string
	At      time.Time
	Payload []byte // JSON
}

// Job kinds.
const (
	JobRemind = "remind"
	JobNudge  = "nudge"
)

// JobStore runs due jobs (store.DB).
type JobStore interface {
	// RunJobs claims up to limit due jobs of a kind (several processes
	// never take the same one), calls handle for each in one transaction
	// and marks it done with the outcome handle gives; it reports how many
	// it finished.
	RunJobs(ctx context.Context, kind string, limit int, handle func(ctx context.Context, tx JobTx, payload []byte) (outcome string, err error)) (int, error)
}

// JobTx is what a due job may do in its transaction.
type JobTx interface {
	// Reminded is the registration a reminder is about (ok false: erased or unknown).
	Reminded(ctx context.Context, ref string) (r RemindedRegistration, ok bool, err error)
	// RecordWorkerPayment stores an issued payment code that the chat's
	// worker pays (payerRef "channel:chat").
	RecordWorkerPayment(ctx context.Context, p PaymentRecord, payerRef string) error
	// Draft locks a chat's session: its state, language and last change
	// (ok false: no session).
	Draft(ctx context.Context, channel, chatID string) (state State, lang string, updated time.Time, ok bool, err error)
	PlanJobs(ctx context.Context, jobs []Job) error
	SendTo(ctx context.Context, channel, chatID string, replies []Reply) error
	// SavingsJobTx buys a month from a balance at a reminder.
	SavingsJobTx
}

// RemindedRegistration is what a reminder needs of its registration.
type RemindedRegistration struct {
	Name            string
	Channel, ChatID string // "" for an agent's resident no chat owns yet
	CoveredTo       string // YYYY-MM-DD, "" never covered
	Lang            string
	Bracket         int
	JHT             bool
	Occupation      string
	Months          int // of its subscription, 0 without
	Method          string
}

// reminderJob is a planned reminder.
type reminderJob struct {
	Ref   string `json:"ref"`
	End   string `json:"end"` // the coverage end this reminder is about, YYYY-MM-DD
	Kind  string `json:"kind"`
	Days  int    `json:"days,omitempty"`
	Until string `json:"until,omitempty"`
}

// remindAt is the local hour reminders go out.
const remindAt = 9

// ReminderPlan is the reminders of a coverage end (a calendar day in
// loc): 7, 3 and 1 days before it, the day after it, and one and two months
// after it (the arrears window), at 09:00; one whose time has passed by now
// is not planned. Keys make them unique per registration and end.
func ReminderPlan(ref string, end, now time.Time, loc *time.Location) []Job {
	at := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), remindAt, 0, 0, 0, loc) }
	endDay := end.Format(time.DateOnly)
	type plan struct {
		when time.Time
		job  reminderJob
	}
	var plans []plan
	for _, days := range []int{7, 3, 1} {
		plans = append(plans, plan{at(end.AddDate(0, 0, -days)), reminderJob{Ref: ref, End: endDay, Kind: RemindBefore, Days: days}})
	}
	plans = append(plans, plan{at(end.AddDate(0, 0, 1)), reminderJob{Ref: ref, End: endDay, Kind: RemindLapsed}})
	until := iuran.ArrearsUntil(end).Format(time.DateOnly)
	for _, months := range []int{1, 2} {
		first := iuran.CoverageEnd(end.AddDate(0, 0, 1), months).AddDate(0, 0, 1)
		plans = append(plans, plan{at(first), reminderJob{Ref: ref, End: endDay, Kind: RemindArrears, Days: months, Until: until}})
	}
	var out []Job
	for _, p := range plans {
		if !p.when.After(now) {
			continue
		}
		b, _ := json.Marshal(p.job) // strings and ints: cannot fail
		out = append(out, Job{Kind: JobRemind, Key: fmt.Sprintf("remind:%s:%s:%s:%d", ref, endDay, p.job.Kind, p.job.Days), At: p.when, Payload: b})
	}
	return out
}

// RunReminders sends the contribution reminders that are due (at most
// limit): each goes to the chat that owns the registration, unless a
// payment moved the end since it was planned (then it stops by itself) or
// no chat owns it (an agent's resident who has not linked their own: the
// agent reminds them). For a registration with a subscription, the first
// reminder (a week before the end) is the next invoice itself; if the
// provider cannot be reached the plain reminder goes instead.
func (e *Engine) RunReminders(ctx context.Context, limit int) (int, error) {
	return runReminders(ctx, e.store, limit, e.cfg.Location, e.ReminderReplies, e.RenewalInvoice, e)
}

// Renew issues a subscription's next invoice (Engine.RenewalInvoice).
type Renew func(ctx context.Context, r Renewal) (PaymentRecord, []Reply, error)

// RunReminders is Engine.RunReminders with its parts given: loc the
// deployment's zone, render the messages, renew the subscriptions' next
// invoice (nil: plain reminders only).
func RunReminders(ctx context.Context, js JobStore, limit int, loc *time.Location, render func(lang string, r Reminder) []Reply, renew Renew) (int, error) {
	return runReminders(ctx, js, limit, loc, render, renew, nil)
}

// runReminders is RunReminders with the savings balances' pricer (nil:
// no month is bought from a balance at a reminder, nor is it told).
func runReminders(ctx context.Context, js JobStore, limit int, loc *time.Location, render func(lang string, r Reminder) []Reply, renew Renew,
	sp savingsPricer) (int, error) {
	return js.RunJobs(ctx, JobRemind, limit, func(ctx context.Context, tx JobTx, payload []byte) (string, error) {
		var job reminderJob
		if err := json.Unmarshal(payload, &job); err != nil {
			return "bad payload", nil //nolint:nilerr // recorded as the job's outcome
		}
		return remind(ctx, tx, job, loc, render, renew, sp)
	})
}

// remind queues one reminder and says what happened.
func remind(ctx context.Context, tx JobTx, job reminderJob, loc *time.Location, render func(string, Reminder) []Reply, renew Renew,
	sp savingsPricer) (string, error) {
	reg, ok, err := tx.Reminded(ctx, job.Ref)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "registration gone", nil // erased (/hapus) or unknown: nothing to remind
	case reg.CoveredTo != job.End:
		return "paid since", nil
	case reg.Channel == "":
		return "unlinked", nil // made by an agent, no chat of the resident's own yet: the agent reminds
	}
	if on, err := onAutoDebit(ctx, tx, job, reg.Channel, reg.ChatID); on || err != nil {
		return "on auto-debit", err
	}
	end, _ := time.ParseInLocation(time.DateOnly, job.End, loc)
	saved, bought, err := remindSavings(ctx, tx, job.Ref, loc, sp)
	if err != nil || bought {
		return "bought from savings", err
	}
	var renewErr error
	if renew != nil && reg.Months > 0 && job.Kind == RemindBefore && job.Days == 7 {
		rec, replies, err := renew(ctx, Renewal{Ref: job.Ref, Name: reg.Name, Bracket: reg.Bracket, JHT: reg.JHT, Occupation: reg.Occupation, Months: reg.Months,
			Method: reg.Method, Start: end.AddDate(0, 0, 1), Channel: reg.Channel, ChatID: reg.ChatID, Language: reg.Lang})
		if err == nil {
			if err := tx.RecordWorkerPayment(ctx, rec, reg.Channel+":"+reg.ChatID); err != nil {
				return "", err
			}
			if err := tx.SendTo(ctx, reg.Channel, reg.ChatID, replies); err != nil {
				return "", err
			}
			return "invoiced", nil
		}
		renewErr = err
	}
	r := Reminder{Kind: job.Kind, Ref: job.Ref, Name: reg.Name, End: end, DaysLeft: job.Days, Savings: saved}
	if job.Until != "" {
		r.Until, _ = time.ParseInLocation(time.DateOnly, job.Until, loc)
	}
	if err := tx.SendTo(ctx, reg.Channel, reg.ChatID, render(reg.Lang, r)); err != nil {
		return "", err
	}
	if renewErr != nil {
		return "sent; subscription invoice failed: " + renewErr.Error(), nil
	}
	return "sent", nil
}

type nudgeJob struct {
	Channel string `json:"channel"`
	ChatID  string `json:"chat_id"`
}

// NudgeJob is the nudge of a chat's unfinished registration, at.
func NudgeJob(channel, chatID string, at time.Time) Job {
	b, _ := json.Marshal(nudgeJob{Channel: channel, ChatID: chatID}) // strings: cannot fail
	return Job{Kind: JobNudge, Key: fmt.Sprintf("nudge:%s:%s:%d", channel, chatID, at.Unix()), At: at, Payload: b}
}

// RunNudges reminds workers of registrations left unfinished for
// NudgeAfter: a draft touched since the nudge was planned gets a new nudge
// after its last answer instead; a finished, cancelled or expired one gets
// none.
func (e *Engine) RunNudges(ctx context.Context, limit int) (int, error) {
	return RunNudges(ctx, e.store, limit, e.now, NudgeAfter, e.cfg.DraftTTL, e.NudgeReplies)
}

// RunNudges is Engine.RunNudges with its parts given: after how long a
// draft is nudged, after how long it is deleted (ttl), and render the
// message (lang, the day the draft will be deleted).
func RunNudges(ctx context.Context, js JobStore, limit int, now func() time.Time, after, ttl time.Duration,
	render func(lang string, expires time.Time) []Reply) (int, error) {
	return js.RunJobs(ctx, JobNudge, limit, func(ctx context.Context, tx JobTx, payload []byte) (string, error) {
		var job nudgeJob
		if err := json.Unmarshal(payload, &job); err != nil {
			return "bad payload", nil //nolint:nilerr // recorded as the job's outcome
		}
		state, lang, updated, ok, err := tx.Draft(ctx, job.Channel, job.ChatID)
		if err != nil {
			return "", err
		}
		at := now()
		switch {
		case !ok || !slices.Contains(draftStates, state):
			return "not unfinished", nil
		case at.Sub(updated) >= ttl:
			return "expired", nil
		case at.Sub(updated) < after:
			return "touched since", tx.PlanJobs(ctx, []Job{NudgeJob(job.Channel, job.ChatID, updated.Add(after))})
		}
		return "sent", tx.SendTo(ctx, job.Channel, job.ChatID, render(lang, updated.Add(ttl)))
	})
}
