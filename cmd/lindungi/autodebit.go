package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/autodebit"
	"github.com/lindungi/lindungi/payments/midtrans"
	"github.com/lindungi/lindungi/payments/webhook"
	"github.com/lindungi/lindungi/store"
)

// autoDebit is auto-debit as serve runs it: the use cases and the
// provider's recurring notifications. Its zero value is auto-debit off.
type autoDebit struct {
	uses      *flows.AutoDebits
	recurring autodebit.Midtrans
}

// newAutoDebit switches auto-debit on when the provider is Midtrans and
// LINDUNGI_MIDTRANS_GOPAY_TOKENIZATION=on (Midtrans must have switched
// GoPay Tokenization on for the merchant); otherwise the payment menu does
// not offer it. The engine is told either way.
func newAutoDebit(cfg config, provider payments.Provider, db *store.DB, engine *flows.Engine) autoDebit {
	c, ok := provider.(*midtrans.Client)
	if !ok || !cfg.GoPayTokenization {
		engine.SetAutoDebits(nil)
		return autoDebit{}
	}
	rec := autodebit.Midtrans{C: c}
	uses := flows.NewAutoDebits(engine, db, db, rec, cfg.PublicURL+"/")
	engine.SetAutoDebits(uses)
	return autoDebit{uses: uses, recurring: rec}
}

// on reports whether auto-debit is offered.
func (a autoDebit) on() bool { return a.uses != nil }

// addRoutes serves the Recurring Notification URL, to set in Midtrans'
// dashboard: POST /payments/midtrans/recurring.
func (a autoDebit) addRoutes(mux *http.ServeMux, log *slog.Logger) {
	if !a.on() {
		return
	}
	mux.Handle("POST /payments/"+midtrans.Name+"/recurring", webhook.Recurring(midtrans.Name, a.recurring, a.uses.ApplyRecurring, log))
}

// loop follows the GoPay accounts waiting for the worker's approval every
// five minutes, and every hour brings each subscription's amount to the
// price of the month its next charge pays (a discount period that starts
// or ends, a changed bracket), until ctx ends.
func (a autoDebit) loop(ctx context.Context, log *slog.Logger) {
	if !a.on() {
		return
	}
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for i := 0; ; i++ {
		if n, err := a.uses.FollowLinks(ctx); err != nil && ctx.Err() == nil {
			log.Warn("follow gopay links", "err", err)
		} else if n > 0 {
			log.Info("gopay links moved on", "count", n)
		}
		if i%12 == 0 {
			if n, err := a.uses.Reprice(ctx); err != nil && ctx.Err() == nil {
				log.Warn("reprice auto-debits", "err", err)
			} else if n > 0 {
				log.Info("auto-debit amounts changed", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
