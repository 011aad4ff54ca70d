package webhook_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/webhook"
)

type verifier struct {
	ev  flows.RecurringEvent
	err error
}

func (v verifier) VerifyRecurring(context.Context, []byte) (flows.RecurringEvent, error) {
	return v.ev, v.err
}

func TestRecurringAnswers(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	charge := flows.RecurringEvent{Charge: payments.Notification{OrderID: "SUBS-1", Status: payments.Paid}, SubscriptionID: "s"}
	for _, tt := range []struct {
		name     string
		v        verifier
		applyErr error
		want     int
		applied  bool
	}{
		{"charge", verifier{ev: charge}, nil, 200, true},
		{"forged", verifier{err: payments.ErrForged}, nil, 401, false},
		{"provider down", verifier{err: &payments.Error{Kind: payments.Transient}}, nil, 503, false},
		{"malformed", verifier{err: errors.New("no subscription named")}, nil, 400, false},
		{"unknown subscription", verifier{ev: charge}, flows.ErrUnknownPayment, 404, true},
		{"database down", verifier{ev: charge}, errors.New("conn refused"), 500, true},
	} {
		applied := false
		h := webhook.Recurring("midtrans", tt.v, func(ctx context.Context, ev flows.RecurringEvent) (flows.PaymentResult, error) {
			applied = true
			return flows.PaymentResult{Outcome: flows.PaymentApplied}, tt.applyErr
		}, log)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/payments/midtrans/recurring", strings.NewReader(`{}`)))
		if w.Code != tt.want || applied != tt.applied {
			t.Errorf("%s: %d (applied %v), want %d (%v)", tt.name, w.Code, applied, tt.want, tt.applied)
		}
	}
	h := webhook.Recurring("midtrans", verifier{ev: charge}, nil, log)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", payments.MaxNotificationSize+1))))
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d", w.Code)
	}
}
