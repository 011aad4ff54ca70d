package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// opTx is a transaction of a use case not bound to one chat (a payment
// notification, a sponsor's transfer, due jobs, a KPJ import, the end of
// broadcasts): it implements flows.PaymentTx, JobTx, KPJTx and BroadcastTx.
type opTx struct {
	tx  preparedTx
	d   *DB
	now time.Time // the transaction's time
}

// atomically runs fn in one such transaction, committed when fn succeeds.
func (d *DB) atomically(ctx context.Context, fn func(ctx context.Context, t *opTx) error) error {
	stx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer stx.Rollback() //nolint:errcheck
	if err := fn(ctx, &opTx{tx: preparedTx{stx, d}, d: d, now: d.now()}); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// SendTo queues replies for a chat, delivered after commit.
func (t *opTx) SendTo(ctx context.Context, channel, chatID string, replies []flows.Reply) error {
	return queueReplies(ctx, t.tx, t.d.announces(channel), channel, chatID, t.now, replies)
}

// AuditAs records what someone did.
func (t *opTx) AuditAs(ctx context.Context, actor, action, subject, detail string) error {
	return audit(ctx, t.tx, t.now, actor, action, subject, detail)
}

// PlanJobs plans work for later.
func (t *opTx) PlanJobs(ctx context.Context, jobs []flows.Job) error {
	return planJobs(ctx, t.tx, jobs)
}
