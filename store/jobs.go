package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
)

// qPlanJobs plans jobs, each once by its key (prepared once: see hotQueries).
const qPlanJobs = `INSERT INTO jobs (kind, key, run_at, payload)
		SELECT k, y, w::timestamptz, p::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS j(k, y, w, p)
		ON CONFLICT (key) DO NOTHING`

// planJobs stores jobs for later; one planned before under its key stays as it was.
func planJobs(ctx context.Context, tx txx, jobs []flows.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	kinds, keys, times, payloads := make([]string, len(jobs)), make([]string, len(jobs)), make([]string, len(jobs)), make([]string, len(jobs))
	for i, j := range jobs {
		kinds[i], keys[i], times[i], payloads[i] = j.Kind, j.Key, j.At.Format(time.RFC3339Nano), string(j.Payload)
	}
	if _, err := tx.ExecContext(ctx, qPlanJobs, pq.StringArray(kinds), pq.StringArray(keys), pq.StringArray(times), pq.StringArray(payloads)); err != nil {
		return fmt.Errorf("plan %d jobs (%s): %w", len(jobs), jobs[0].Key, err)
	}
	return nil
}

// RunJobs claims up to limit due jobs of a kind with FOR UPDATE SKIP LOCKED
// (several processes never take the same one), handles each in the same
// transaction and marks it done with the outcome handle gives. It returns how
// many jobs it finished (see flows.JobStore).
func (d *DB) RunJobs(ctx context.Context, kind string, limit int, handle func(ctx context.Context, tx flows.JobTx, payload []byte) (string, error)) (int, error) {
	n := 0
	err := d.atomically(ctx, func(ctx context.Context, t *opTx) error {
		var jobs []struct {
			ID      int64  `db:"id"`
			Payload []byte `db:"payload"`
		}
		if err := t.tx.SelectContext(ctx, &jobs, `SELECT id, payload FROM jobs WHERE kind = $3 AND done_at IS NULL AND run_at <= $1
			ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, t.now, limit, kind); err != nil {
			return err
		}
		for _, j := range jobs {
			outcome, err := handle(ctx, t, j.Payload)
			if err != nil {
				return fmt.Errorf("job %d: %w", j.ID, err)
			}
			if _, err := t.tx.ExecContext(ctx, `UPDATE jobs SET done_at = $2, outcome = $3, attempts = attempts + 1 WHERE id = $1`, j.ID, t.now, outcome); err != nil {
				return err
			}
		}
		n = len(jobs)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s jobs: %w", kind, err)
	}
	return n, nil
}

var _ flows.JobStore = (*DB)(nil)

func (t *opTx) Reminded(ctx context.Context, ref string) (flows.RemindedRegistration, bool, error) {
	var reg struct {
		registrationRow
		Lang   string `db:"lang"`
		Months int    `db:"months"`
		Method string `db:"method"`
	}
	err := t.tx.GetContext(ctx, &reg, `SELECT r.name, r.channel, r.chat_id, r.covered_to,
		r.income_bracket, r.jht, r.occupation, coalesce(r.subscription_months, 0) AS months, coalesce(r.subscription_method, '') AS method,
		coalesce((SELECT lang FROM sessions s WHERE s.channel = r.channel AND s.chat_id = r.chat_id), '') AS lang
		FROM registrations r WHERE r.ref = $1 AND r.deleted_at IS NULL`, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return flows.RemindedRegistration{}, false, nil
	}
	if err != nil {
		return flows.RemindedRegistration{}, false, fmt.Errorf("registration %s: %w", ref, err)
	}
	to := ""
	if reg.CoveredTo.Valid {
		to = reg.CoveredTo.Time.Format(time.DateOnly)
	}
	return flows.RemindedRegistration{Name: reg.Name, Channel: reg.Channel, ChatID: reg.ChatID, CoveredTo: to, Lang: reg.Lang,
		Bracket: reg.Bracket, JHT: reg.JHT, Occupation: reg.Occupation, Months: reg.Months, Method: reg.Method}, true, nil
}

func (t *opTx) RecordWorkerPayment(ctx context.Context, p flows.PaymentRecord, payerRef string) error {
	_, err := insertPayment(ctx, t.tx, t.now, NewPayment{Instruction: p.Instruction, PayerKind: PayerWorker, PayerRef: payerRef, Items: p.Lines})
	return err
}

func (t *opTx) Draft(ctx context.Context, channel, chatID string) (state flows.State, lang string, updated time.Time, ok bool, err error) {
	var s struct {
		State   flows.State `db:"state"`
		Lang    string      `db:"lang"`
		Updated time.Time   `db:"updated_at"`
	}
	err = t.tx.GetContext(ctx, &s, `SELECT state, lang, updated_at FROM sessions WHERE channel = $1 AND chat_id = $2 FOR UPDATE`, channel, chatID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", time.Time{}, false, nil
	}
	if err != nil {
		return "", "", time.Time{}, false, fmt.Errorf("session %s/%s: %w", channel, chatID, err)
	}
	return s.State, s.Lang, s.Updated, true, nil
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

// PlanJobs plans work for later (a nudge of this chat's unfinished registration).
func (t *chatTx) PlanJobs(ctx context.Context, jobs []flows.Job) error {
	return planJobs(ctx, t.tx, jobs)
}
