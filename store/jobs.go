package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
)

// qScheduleReminders plans reminder jobs (prepared once: see hotQueries).
const qScheduleReminders = `INSERT INTO jobs (kind, key, run_at, payload)
		SELECT 'remind', k, w::timestamptz, p::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS j(k, w, p)
		ON CONFLICT (key) DO NOTHING`

// remindAt is the local hour reminders go out.
const remindAt = 9

type reminderJob struct {
	Ref   string `json:"ref"`
	End   string `json:"end"` // the coverage end this reminder is about, YYYY-MM-DD
	Kind  string `json:"kind"`
	Days  int    `json:"days,omitempty"`
	Until string `json:"until,omitempty"`
}

// scheduleReminders plans the reminders of a coverage end: 7, 3 and 1 days
// before it, the day after it, and one and two months after it (the arrears
// window). Keys make them unique per registration and end; a job whose time
// has passed is not planned.
func scheduleReminders(ctx context.Context, tx txx, ref string, end, now time.Time, loc *time.Location) error {
	at := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), remindAt, 0, 0, 0, loc) }
	endDay := end.Format(time.DateOnly)
	type plan struct {
		when time.Time
		job  reminderJob
	}
	var plans []plan
	for _, days := range []int{7, 3, 1} {
		plans = append(plans, plan{at(end.AddDate(0, 0, -days)), reminderJob{Ref: ref, End: endDay, Kind: flows.RemindBefore, Days: days}})
	}
	plans = append(plans, plan{at(end.AddDate(0, 0, 1)), reminderJob{Ref: ref, End: endDay, Kind: flows.RemindLapsed}})
	until := iuran.ArrearsUntil(end).Format(time.DateOnly)
	for _, months := range []int{1, 2} {
		first := iuran.CoverageEnd(end.AddDate(0, 0, 1), months).AddDate(0, 0, 1)
		plans = append(plans, plan{at(first), reminderJob{Ref: ref, End: endDay, Kind: flows.RemindArrears, Days: months, Until: until}})
	}
	var keys, payloads []string
	var whens []time.Time
	for _, p := range plans {
		if !p.when.After(now) {
			continue
		}
		b, err := json.Marshal(p.job)
		if err != nil {
			return err
		}
		keys = append(keys, fmt.Sprintf("remind:%s:%s:%s:%d", ref, endDay, p.job.Kind, p.job.Days))
		payloads = append(payloads, string(b))
		whens = append(whens, p.when)
	}
	if len(keys) == 0 {
		return nil
	}
	times := make([]string, len(whens))
	for i, w := range whens {
		times[i] = w.Format(time.RFC3339)
	}
	_, err := tx.ExecContext(ctx, qScheduleReminders, pq.StringArray(keys), pq.StringArray(times), pq.StringArray(payloads))
	if err != nil {
		return fmt.Errorf("schedule reminders of %s: %w", ref, err)
	}
	return nil
}

// runJobs claims up to limit due jobs of a kind with FOR UPDATE SKIP LOCKED
// (several processes never take the same one), handles each in the same
// transaction and marks it done with the outcome handle gives. It returns how
// many jobs it finished.
func (d *DB) runJobs(ctx context.Context, kind string, limit int, handle func(ctx context.Context, tx txx, payload []byte, now time.Time) (string, error)) (int, error) {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("%s jobs: %w", kind, err)
	}
	defer tx.Rollback() //nolint:errcheck
	now := d.now()
	var jobs []struct {
		ID      int64  `db:"id"`
		Payload []byte `db:"payload"`
	}
	if err := tx.SelectContext(ctx, &jobs, `SELECT id, payload FROM jobs WHERE kind = $3 AND done_at IS NULL AND run_at <= $1
		ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit, kind); err != nil {
		return 0, fmt.Errorf("%s jobs: %w", kind, err)
	}
	for _, j := range jobs {
		outcome, err := handle(ctx, tx, j.Payload, now)
		if err != nil {
			return 0, fmt.Errorf("%s job %d: %w", kind, j.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET done_at = $2, outcome = $3, attempts = attempts + 1 WHERE id = $1`, j.ID, now, outcome); err != nil {
			return 0, fmt.Errorf("%s jobs: %w", kind, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("%s jobs: %w", kind, err)
	}
	return len(jobs), nil
}

// queueReplies puts replies in a chat's outbox inside tx.
func queueReplies(ctx context.Context, tx txx, announce bool, channel, chatID string, now time.Time, replies []flows.Reply) error {
	payloads := make([]string, 0, len(replies))
	for _, r := range replies {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		payloads = append(payloads, string(b))
	}
	if _, err := tx.ExecContext(ctx, qSend, channel, chatID, now, pq.StringArray(payloads), announce); err != nil {
		return fmt.Errorf("queue replies for %s/%s: %w", channel, chatID, err)
	}
	return nil
}

// about marks replies for one chat as quoting others (flows.Reply.About).
func quoting(replies []flows.Reply, keys ...string) []flows.Reply {
	for i := range replies {
		replies[i].About = append(replies[i].About, keys...)
	}
	return replies
}

// Renew issues a subscription's next invoice (flows.Engine.RenewalInvoice).
type Renew func(ctx context.Context, r flows.Renewal) (flows.PaymentRecord, []flows.Reply, error)

// RunReminders sends the contribution reminders that are due (at most
// limit): each goes to the chat that owns the registration, unless a payment
// moved the end since it was planned (then it stops by itself) or no chat
// owns it (an agent's resident who has not linked their own: the agent
// reminds them). For a
// registration with a subscription, the first reminder (a week before the
// end) is the next invoice itself, made with renew; if the provider cannot
// be reached the plain reminder goes instead.
func (d *DB) RunReminders(ctx context.Context, limit int, loc *time.Location, render func(lang string, r flows.Reminder) []flows.Reply, renew Renew) (int, error) {
	return d.runJobs(ctx, "remind", limit, func(ctx context.Context, tx txx, payload []byte, now time.Time) (string, error) {
		var job reminderJob
		if err := json.Unmarshal(payload, &job); err != nil {
			return "bad payload", nil //nolint:nilerr // recorded as the job's outcome
		}
		return d.remind(ctx, tx, job, now, loc, render, renew)
	})
}

// remind queues one reminder and says what happened.
func (d *DB) remind(ctx context.Context, tx txx, job reminderJob, now time.Time, loc *time.Location,
	render func(string, flows.Reminder) []flows.Reply, renew Renew) (string, error) {
	var reg struct {
		Name    string `db:"name"`
		Channel string `db:"channel"`
		ChatID  string `db:"chat_id"`
		To      string `db:"covered_to"`
		Lang    string `db:"lang"`
		Bracket int    `db:"income_bracket"`
		JHT     bool   `db:"jht"`
		Months  int    `db:"months"`
		Method  string `db:"method"`
	}
	err := tx.GetContext(ctx, &reg, `SELECT r.name, r.channel, r.chat_id, coalesce(r.covered_to::text, '') AS covered_to,
		r.income_bracket, r.jht, coalesce(r.subscription_months, 0) AS months, coalesce(r.subscription_method, '') AS method,
		coalesce((SELECT lang FROM sessions s WHERE s.channel = r.channel AND s.chat_id = r.chat_id), '') AS lang
		FROM registrations r WHERE r.ref = $1 AND r.deleted_at IS NULL`, job.Ref)
	if err != nil {
		return "registration gone", nil //nolint:nilerr // deleted (/hapus) or unknown: nothing to remind
	}
	if reg.To != job.End {
		return "paid since", nil
	}
	if reg.Channel == "" {
		return "unlinked", nil // made by an agent, no chat of the resident's own yet: the agent reminds
	}
	end, _ := time.ParseInLocation(time.DateOnly, job.End, loc)
	var renewErr error
	if renew != nil && reg.Months > 0 && job.Kind == flows.RemindBefore && job.Days == 7 {
		rec, replies, err := renew(ctx, flows.Renewal{Ref: job.Ref, Name: reg.Name, Bracket: reg.Bracket, JHT: reg.JHT, Months: reg.Months,
			Method: reg.Method, Start: end.AddDate(0, 0, 1), Channel: reg.Channel, ChatID: reg.ChatID, Language: reg.Lang})
		if err == nil {
			if _, err := insertPayment(ctx, tx, now, NewPayment{Instruction: rec.Instruction, PayerKind: PayerWorker,
				PayerRef: reg.Channel + ":" + reg.ChatID, Items: rec.Lines}); err != nil {
				return "", err
			}
			if err := queueReplies(ctx, tx, d.announces(reg.Channel), reg.Channel, reg.ChatID, now, replies); err != nil {
				return "", err
			}
			return "invoiced", nil
		}
		renewErr = err
	}
	r := flows.Reminder{Kind: job.Kind, Ref: job.Ref, Name: reg.Name, End: end, DaysLeft: job.Days}
	if job.Until != "" {
		r.Until, _ = time.ParseInLocation(time.DateOnly, job.Until, loc)
	}
	if err := queueReplies(ctx, tx, d.announces(reg.Channel), reg.Channel, reg.ChatID, now, render(reg.Lang, r)); err != nil {
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

// NudgeLater plans a nudge for this chat's unfinished registration.
func (t *chatTx) NudgeLater(ctx context.Context, at time.Time) error {
	return scheduleNudge(ctx, t.tx, t.channel, t.chatID, at)
}

func scheduleNudge(ctx context.Context, tx txx, channel, chatID string, at time.Time) error {
	b, err := json.Marshal(nudgeJob{Channel: channel, ChatID: chatID})
	if err != nil {
		return err
	}
	key := fmt.Sprintf("nudge:%s:%s:%d", channel, chatID, at.Unix())
	if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, key, run_at, payload) VALUES ('nudge', $1, $2, $3) ON CONFLICT (key) DO NOTHING`,
		key, at, string(b)); err != nil {
		return fmt.Errorf("plan nudge: %w", err)
	}
	return nil
}

// RunNudges reminds workers of registrations left unfinished for after: a
// draft touched since the nudge was planned gets a new nudge after its last
// answer instead; a finished, cancelled or expired one gets none. draftStates
// are the flow's unfinished states; render makes the message (lang, the day
// the draft will be deleted).
func (d *DB) RunNudges(ctx context.Context, limit int, after, ttl time.Duration, draftStates []string,
	render func(lang string, expires time.Time) []flows.Reply) (int, error) {
	return d.runJobs(ctx, "nudge", limit, func(ctx context.Context, tx txx, payload []byte, now time.Time) (string, error) {
		var job nudgeJob
		if err := json.Unmarshal(payload, &job); err != nil {
			return "bad payload", nil //nolint:nilerr // recorded as the job's outcome
		}
		var s struct {
			State   string    `db:"state"`
			Lang    string    `db:"lang"`
			Updated time.Time `db:"updated_at"`
		}
		err := tx.GetContext(ctx, &s, `SELECT state, lang, updated_at FROM sessions WHERE channel = $1 AND chat_id = $2 FOR UPDATE`, job.Channel, job.ChatID)
		switch {
		case err != nil || !slices.Contains(draftStates, s.State):
			return "not unfinished", nil //nolint:nilerr // no session: nothing to nudge
		case now.Sub(s.Updated) >= ttl:
			return "expired", nil
		case now.Sub(s.Updated) < after:
			return "touched since", scheduleNudge(ctx, tx, job.Channel, job.ChatID, s.Updated.Add(after))
		}
		return "sent", queueReplies(ctx, tx, d.announces(job.Channel), job.Channel, job.ChatID, now, render(s.Lang, s.Updated.Add(ttl)))
	})
}
