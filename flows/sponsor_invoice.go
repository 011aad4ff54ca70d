package flows

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/sponsor"
)

// SponsorInvoiceTTL is how long a batch's virtual account stays open.
const SponsorInvoiceTTL = 7 * 24 * time.Hour

// SponsorInvoiceStore reads a batch's waiting workers and records the
// payment code issued for them (store.DB).
type SponsorInvoiceStore interface {
	// BatchWaiting reads a batch and its workers waiting for the sponsor,
	// by what prices them.
	BatchWaiting(ctx context.Context, id int64) (sponsor.Batch, []sponsor.Waiting, error)
	// InvoiceBatch records the code: one payment, an item per waiting
	// worker. It refuses a code whose amount no longer matches what is due,
	// and a second code while one is open.
	InvoiceBatch(ctx context.Context, id int64, ins payments.Instruction, prices []sponsor.Price, actor string) error
	// BatchInvoiceOpen reports whether a code for the batch is still open.
	BatchInvoiceOpen(ctx context.Context, id int64) (bool, error)
}

// InvoiceSponsorBatch asks the payment provider for one virtual account at
// bank for the whole batch, for what its waiting workers cost now
// (SponsorDue); its settlement protects every one of them at once. actor
// is who asked, for the audit log. ErrRefused without a provider, for a
// bank that opens no virtual account, or when nobody in the batch waits.
func (e *Engine) InvoiceSponsorBatch(ctx context.Context, st SponsorInvoiceStore, id int64, bank payments.Method, actor string) (payments.Instruction, error) {
	if e.payer == nil {
		return payments.Instruction{}, fmt.Errorf("invoice batch %d: no payment provider: %w", id, ErrRefused)
	}
	if !bank.Valid() || bank.Kind() != "va" {
		return payments.Instruction{}, fmt.Errorf("invoice batch %d: %q opens no virtual account: %w", id, bank, ErrRefused)
	}
	b, waiting, err := st.BatchWaiting(ctx, id)
	if err != nil {
		return payments.Instruction{}, err
	}
	prices, due, err := e.SponsorDue(ctx, b, waiting)
	if err != nil {
		return payments.Instruction{}, err
	}
	if due == 0 {
		return payments.Instruction{}, fmt.Errorf("batch %d: nobody in it is waiting for payment: %w", id, ErrRefused)
	}
	// One open code at a time, asked before the provider makes one: a
	// second press must not leave a live account that nothing records.
	if open, err := st.BatchInvoiceOpen(ctx, id); err != nil || open {
		if err == nil {
			err = fmt.Errorf("invoice batch %d: an invoice for it is still open: %w", id, ErrRefused)
		}
		return payments.Instruction{}, err
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return payments.Instruction{}, fmt.Errorf("invoice batch %d: %w", id, err)
	}
	ins, err := e.payer.Create(ctx, payments.Invoice{OrderID: fmt.Sprintf("SP%d-%x", id, suffix), Amount: due, Method: bank,
		ExpiresAt: e.now().Add(SponsorInvoiceTTL)})
	if err != nil {
		return payments.Instruction{}, fmt.Errorf("invoice batch %d: %w", id, err)
	}
	if err := st.InvoiceBatch(ctx, id, ins, prices, actor); err != nil {
		// Another press won the race, or the batch changed: the code just
		// made is cancelled where the provider can (if it is paid anyway,
		// the money is applied, or flagged when nobody waits).
		if c, ok := e.payer.(canceller); ok {
			if cerr := c.Cancel(context.WithoutCancel(ctx), ins.OrderID); cerr != nil {
				e.log.Warn("cancel an unrecorded sponsor invoice", "order_id", ins.OrderID, "err", cerr)
			}
		}
		return payments.Instruction{}, err
	}
	return ins, nil
}
