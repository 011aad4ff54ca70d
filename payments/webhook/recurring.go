package webhook

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

// RecurringVerifier checks a notification posted to the provider's
// Recurring Notification URL (autodebit.Midtrans).
type RecurringVerifier interface {
	VerifyRecurring(ctx context.Context, body []byte) (flows.RecurringEvent, error)
}

// ApplyRecurring applies a verified recurring notification exactly once
// (flows.AutoDebits.ApplyRecurring).
type ApplyRecurring func(ctx context.Context, ev flows.RecurringEvent) (flows.PaymentResult, error)

// Recurring takes the provider's recurring notifications (subscription
// charges, unlinked accounts) at POST /payments/{provider}/recurring:
// verified first (forged → 401, nothing changes; provider unreachable →
// 503 so it retries), then applied once however often they come.
func Recurring(name string, v RecurringVerifier, apply ApplyRecurring, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, payments.MaxNotificationSize))
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		ev, err := v.VerifyRecurring(r.Context(), body)
		switch {
		case errors.Is(err, payments.ErrForged):
			log.Warn("recurring notification rejected: it does not check", "provider", name, "remote", r.RemoteAddr, "err", err)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		case payments.IsTransient(err):
			log.Warn("recurring notification: provider unreachable, the gateway will retry", "provider", name, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		case err != nil:
			log.Warn("recurring notification malformed", "provider", name, "err", err)
			http.Error(w, "bad notification", http.StatusBadRequest)
			return
		}
		res, err := apply(r.Context(), ev)
		if errors.Is(err, flows.ErrUnknownPayment) {
			log.Warn("recurring notification for an unknown subscription", "provider", name, "order_id", ev.Charge.OrderID)
			http.Error(w, "unknown subscription", http.StatusNotFound)
			return
		}
		if err != nil {
			log.Error("apply recurring notification", "provider", name, "order_id", ev.Charge.OrderID, "err", err)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		log.Info("recurring notification", "order_id", ev.Charge.OrderID, "status", ev.Charge.Status, "unbind", ev.UnboundAccount != "", "outcome", res.Outcome)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
}
