package flows

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/tanggal"
)

// PaySponsorBatch records a sponsor's transfer for a batch (an SP2D or a
// bank reference), paid outside any gateway, and covers at once every
// worker of the batch still waiting for it, from the agreement's start (or
// from tomorrow) for the batch's months; each worker who linked a chat is
// told. An invoice still open for the batch is cancelled: paying it too
// would pay twice. It reports how many it covered; a batch nobody waits in
// (paid before) records nothing and covers nobody again. actor is who
// recorded it, for the audit log.
func (e *Engine) PaySponsorBatch(ctx context.Context, id int64, reference, actor string) (int, error) {
	return PaySponsorBatch(ctx, e.store, id, reference, actor, e.tariffs, e.discounts, e.cfg.Location, e.now, e)
}

// PaySponsorBatch is Engine.PaySponsorBatch with its parts given (notices
// nil: tell nobody). Each waiting worker is priced by the quote every price
// goes through: the discount of their sector, unless public funds pay.
func PaySponsorBatch(ctx context.Context, ps PaymentStore, id int64, reference, actor string, tariffs *iuran.Table, discounts *iuran.Discounts,
	loc *time.Location, now func() time.Time, notices PaymentNotices) (int, error) {
	covered := 0
	err := ps.PaymentAtomically(ctx, func(ctx context.Context, tx PaymentTx) error {
		b, err := tx.LockBatch(ctx, id)
		if err != nil {
			return err
		}
		waiting, err := tx.BatchWaiting(ctx, id)
		if err != nil {
			return err
		}
		at := now()
		from, to := BatchPeriod(b.Start, b.Months, at, loc)
		prices, total, err := sponsor.Prices(tariffs, discounts, b, from, waiting)
		if err != nil {
			return err
		}
		if total == 0 {
			return nil // nobody waits for the sponsor: paid before
		}
		payID, err := tx.RecordTransfer(ctx, id, total, prices, reference)
		if err != nil {
			return err
		}
		cov, err := tx.CoverBatch(ctx, id, payID, from, to, tanggal.Midnight(at.In(loc)), reference)
		if err != nil {
			return err
		}
		covered = len(cov)
		if err := tx.RecordPaymentEvents(ctx, payID, payments.Notification{Status: payments.Paid, Amount: total}, []PaymentEvent{
			{"applied", fmt.Sprintf("sponsor batch %d, %d registrations, reference %s", id, covered, reference)}}); err != nil {
			return err
		}
		if err := tx.AuditAs(ctx, actor, "sponsor:pay", "batch:"+strconv.FormatInt(id, 10),
			fmt.Sprintf("reference=%s amount=%d registrations=%d", reference, total, covered)); err != nil {
			return err
		}
		if notices == nil {
			return nil
		}
		for _, c := range cov {
			if c.Channel == "" {
				continue
			}
			if err := tx.SendTo(ctx, c.Channel, c.ChatID, notices.PaymentReplies(c.Lang, c.Covered())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pay batch %d: %w", id, err)
	}
	return covered, nil
}

// SponsorDue is what a batch's waiting workers cost if paid now: the
// invoice's total and the price of each group.
func (e *Engine) SponsorDue(ctx context.Context, b sponsor.Batch, waiting []sponsor.Waiting) ([]sponsor.Price, int64, error) {
	from, _ := BatchPeriod(b.Start, b.Months, e.now(), e.cfg.Location)
	return sponsor.Prices(e.tariffs, e.discounts, b, from, waiting)
}
