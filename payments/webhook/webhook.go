// Package webhook receives payment providers' notifications over HTTP.
package webhook

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
)

// Replies renders the messages for a worker whose payment settled
// (flows.Engine.PaymentReplies).
type Replies func(lang string, c flows.Covered) []flows.Reply

// Handler takes a provider's payment notifications at
// POST /payments/{provider}/notification: the signature is checked before
// anything else (forged → 401, nothing changes), then the payment is applied
// exactly once and the worker's confirmation queued in the same transaction.
func Handler(p payments.Provider, db *store.DB, replies Replies, loc *time.Location, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, payments.MaxNotificationSize))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
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
		res, err := db.ApplyNotification(r.Context(), n, loc, replies)
		if errors.Is(err, store.ErrUnknownPayment) {
			log.Warn("payment notification for an unknown order", "provider", p.Name(), "order_id", n.OrderID)
			http.Error(w, "unknown order", http.StatusNotFound)
			return
		}
		if err != nil {
			log.Error("apply payment notification", "provider", p.Name(), "order_id", n.OrderID, "err", err)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		if res.Outcome == store.Flagged {
			log.Warn("payment flagged for an admin", "order_id", n.OrderID, "status", n.Status, "amount", n.Amount)
		}
		log.Info("payment notification", "order_id", n.OrderID, "status", n.Status, "outcome", res.Outcome)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
}
