// Package webhook receives payment providers' notifications over HTTP.
package webhook

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

// Apply applies a verified notification exactly once (flows.Engine.ApplyPayment).
type Apply func(ctx context.Context, n payments.Notification) (flows.PaymentResult, error)

// Pending finds the payments to ask the provider about (store.DB).
type Pending interface {
	// PaymentsToCheck claims up to limit pending payments of a provider
	// older than age that nobody asked about for age.
	PaymentsToCheck(ctx context.Context, provider string, age time.Duration, limit int) ([]string, error)
}

// Handler takes a provider's payment notifications at
// POST /payments/{provider}/notification: the signature is checked before
// anything else (forged → 401, nothing changes), then the payment is applied
// exactly once and the worker's confirmation (and an agent's summary) queued
// in the same transaction (apply).
func Handler(p payments.Provider, apply Apply, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, payments.MaxNotificationSize))
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			log.Warn("payment notification: body not read", "provider", p.Name(), "err", err)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n, err := p.Verify(r.Context(), r.Header, body)
		switch {
		case errors.Is(err, payments.ErrForged):
			log.Warn("payment notification rejected: signature does not check", "provider", p.Name(), "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		case payments.IsTransient(err):
			log.Warn("payment notification: provider unreachable, the gateway will retry", "provider", p.Name(), "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		case err != nil:
			log.Warn("payment notification malformed", "provider", p.Name(), "err", err)
			http.Error(w, "bad notification", http.StatusBadRequest)
			return
		}
		if n.Unbacked != "" {
			log.Warn("payment notification not backed by the provider's status query: only its own answer is applied",
				"provider", p.Name(), "order_id", n.OrderID, "claimed", n.Unbacked, "provider_says", n.Status)
		}
		res, err := apply(r.Context(), n)
		if errors.Is(err, flows.ErrUnknownPayment) {
			log.Warn("payment notification for an unknown order", "provider", p.Name(), "order_id", n.OrderID)
			http.Error(w, "unknown order", http.StatusNotFound)
			return
		}
		if err != nil {
			log.Error("apply payment notification", "provider", p.Name(), "order_id", n.OrderID, "err", err)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		if res.Outcome == flows.PaymentFlagged {
			log.Warn("payment flagged for an admin", "order_id", n.OrderID, "status", n.Status, "amount", n.Amount)
		}
		log.Info("payment notification", "order_id", n.OrderID, "status", n.Status, "outcome", res.Outcome)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
}

// Reconcile asks the provider about payments still pending after age (a
// notification may have been lost) and applies what it says, exactly as a
// notification. A provider that cannot be asked (the sandbox) is skipped.
func Reconcile(ctx context.Context, p payments.Provider, pending Pending, apply Apply, age time.Duration, log *slog.Logger) (int, error) {
	orders, err := pending.PaymentsToCheck(ctx, p.Name(), age, 50)
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, order := range orders {
		n, err := p.Status(ctx, order)
		if errors.Is(err, payments.ErrNotFound) {
			continue // unknown to the provider (or a provider that keeps nothing)
		}
		if err != nil {
			log.Warn("reconcile: ask the provider", "provider", p.Name(), "order_id", order, "err", err)
			continue
		}
		if n.Status == payments.Pending {
			continue
		}
		res, err := apply(ctx, n)
		if err != nil {
			return changed, err
		}
		if res.Outcome != flows.PaymentUnchanged {
			changed++
			log.Info("reconcile: payment updated from the provider", "order_id", order, "status", n.Status, "outcome", res.Outcome)
		}
	}
	return changed, nil
}
