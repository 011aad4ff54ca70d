package midtrans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lindungi/lindungi/payments"
)

// statusExpired is Midtrans' status_code for an expired transaction.
const statusExpired = 407

// Cancel cancels orderID's unpaid payment (POST /v2/{order_id}/cancel), so
// that its virtual account, bill key, store code or QRIS code takes no money.
// Midtrans cancels pending bank transfer, echannel, cstore and QRIS
// payments; it answers HTTP 200 with status_code "200" and
// transaction_status "cancel" (and sends the cancel notification).
//
// Errors, all *payments.Error with Op "cancel" unless the order id is
// invalid (then a plain error and nothing is sent):
//   - ErrNotFound: status_code 404, Midtrans does not know the order.
//   - ErrNotCancellable: status_code 412 ("Merchant cannot modify the status
//     of the transaction": settled, expired, denied) or 407 (expired). A 412
//     is checked with a signed status query: an order that is cancelled
//     already (an earlier Cancel whose answer was lost) gives nil, so Cancel
//     may be retried; otherwise the error names the transaction_status when
//     the query told it.
//   - transient: no answer, 5xx, 429, or an unreadable 2xx answer (the
//     cancel may have gone through: a retry finds out).
//   - permanent otherwise: 401, or an answer for another order or with
//     another transaction_status than "cancel".
//
// Either status code may come in the JSON body of an HTTP 200 answer, as
// Midtrans does; both are read. The answer's signature_key, when present,
// is not checked: a cancel answer proves nothing about money, and a wrong
// one at worst leaves a code open that Status and notifications still
// report.
func (c *Client) Cancel(ctx context.Context, orderID string) error {
	if err := payments.ValidOrderID(orderID); err != nil {
		return err
	}
	code, body, err := c.do(ctx, "cancel", http.MethodPost, "/v2/"+url.PathEscape(orderID)+"/cancel", nil)
	if err != nil {
		return err
	}
	e := cancelAnswer(orderID, code, body)
	if e == nil {
		return nil
	}
	if errors.Is(e, payments.ErrNotCancellable) {
		// Cancelled already (the 412 of a retry) counts as done; the status
		// answer is signed, so this is Midtrans' word.
		if t, _, err := c.status(ctx, "status", orderID); err == nil {
			if t.TransactionStatus == "cancel" {
				return nil
			}
			e.Err = fmt.Errorf("transaction_status %q: %w", t.TransactionStatus, payments.ErrNotCancellable)
		}
	}
	return e
}

// cancelAnswer reads Midtrans' answer to a cancel of orderID: nil when it
// says the order is cancelled.
func cancelAnswer(orderID string, httpStatus int, body []byte) *payments.Error {
	if e := failure("cancel", httpStatus, body); e != nil {
		return e
	}
	var t struct {
		StatusCode        string `json:"status_code"`
		StatusMessage     string `json:"status_message"`
		OrderID           string `json:"order_id"`
		TransactionStatus string `json:"transaction_status"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return &payments.Error{Provider: Name, Op: "cancel", Kind: payments.Transient, HTTPStatus: httpStatus, Err: fmt.Errorf("unreadable response: %w", err)}
	}
	bad := func(format string, a ...any) *payments.Error {
		return &payments.Error{Provider: Name, Op: "cancel", Kind: payments.Permanent, HTTPStatus: httpStatus, Code: t.StatusCode, Message: t.StatusMessage, Err: fmt.Errorf(format, a...)}
	}
	if t.OrderID != orderID {
		return bad("answer is for order %q, not %q", t.OrderID, orderID)
	}
	if t.TransactionStatus != "cancel" {
		return bad("answer says transaction_status %q, not cancel", t.TransactionStatus)
	}
	return nil
}
