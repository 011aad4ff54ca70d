package midtrans

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

func TestCancel(t *testing.T) {
	tests := []struct {
		name   string
		order  string        // the order cancelled
		setup  step          // what Midtrans knows first
		want   error         // nil, or the sentinel the error wraps
		kind   payments.Kind // when want is not nil
		status string        // the fake's transaction_status after
		says   string        // the error says this
		calls  []string      // the requests, "METHOD path"
	}{
		{
			name: "pending va", order: "LDG-c-bca", setup: create("LDG-c-bca", payments.BCA),
			status: "cancel", calls: []string{"POST /v2/LDG-c-bca/cancel"},
		},
		{
			name: "pending mandiri bill", order: "LDG-c-mdr", setup: create("LDG-c-mdr", payments.Mandiri),
			status: "cancel", calls: []string{"POST /v2/LDG-c-mdr/cancel"},
		},
		{
			name: "pending store code", order: "LDG-c-alfa", setup: create("LDG-c-alfa", payments.Alfamart),
			status: "cancel", calls: []string{"POST /v2/LDG-c-alfa/cancel"},
		},
		{
			name: "pending qris", order: "LDG-c-qris", setup: create("LDG-c-qris", payments.QRIS),
			status: "cancel", calls: []string{"POST /v2/LDG-c-qris/cancel"},
		},
		{
			// A retry after a lost answer: 412, and the status query says cancel.
			name: "cancelled already", order: "LDG-c-twice",
			setup:  then(create("LDG-c-twice", payments.BNI), notify("LDG-c-twice", "cancel")),
			status: "cancel", calls: []string{"POST /v2/LDG-c-twice/cancel", "GET /v2/LDG-c-twice/status"},
		},
		{
			name: "settled", order: "LDG-c-paid",
			setup: then(create("LDG-c-paid", payments.BRI), notify("LDG-c-paid", "settlement")),
			want:  payments.ErrNotCancellable, kind: payments.Permanent, status: "settlement", says: `cannot modify the status of the transaction: transaction_status "settlement"`,
			calls: []string{"POST /v2/LDG-c-paid/cancel", "GET /v2/LDG-c-paid/status"},
		},
		{
			name: "expired", order: "LDG-c-exp",
			setup: then(create("LDG-c-exp", payments.Permata), notify("LDG-c-exp", "expire")),
			want:  payments.ErrNotCancellable, kind: payments.Permanent, status: "expire", says: `(HTTP 412): Merchant cannot modify`,
			calls: []string{"POST /v2/LDG-c-exp/cancel", "GET /v2/LDG-c-exp/status"},
		},
		{
			// The status query fails: still not cancellable, as Midtrans said.
			name: "settled, status query down", order: "LDG-c-paid2",
			setup: then(create("LDG-c-paid2", payments.BRI), notify("LDG-c-paid2", "settlement"), fail("status", midtranstest.InternalError)),
			want:  payments.ErrNotCancellable, kind: payments.Permanent, status: "settlement", says: "Merchant cannot modify",
			calls: []string{"POST /v2/LDG-c-paid2/cancel", "GET /v2/LDG-c-paid2/status"},
		},
		{
			name: "unknown", order: "LDG-c-none",
			want: payments.ErrNotFound, kind: payments.Permanent, says: "(HTTP 404): Transaction doesn't exist.",
			calls: []string{"POST /v2/LDG-c-none/cancel"},
		},
		{
			name: "500", order: "LDG-c-500", setup: then(create("LDG-c-500", payments.BCA), fail("cancel", midtranstest.InternalError)),
			kind: payments.Transient, status: "pending", says: "recovering", calls: []string{"POST /v2/LDG-c-500/cancel"},
		},
		{
			name: "503 html", order: "LDG-c-503", setup: then(create("LDG-c-503", payments.BCA), fail("cancel", midtranstest.Unavailable)),
			kind: payments.Transient, status: "pending", says: "503 Service Unavailable", calls: []string{"POST /v2/LDG-c-503/cancel"},
		},
		{
			name: "429", order: "LDG-c-429", setup: then(create("LDG-c-429", payments.BCA), fail("cancel", midtranstest.Failure{HTTPStatus: 429, StatusCode: "429", StatusMessage: "Too many requests"})),
			kind: payments.Transient, status: "pending", says: "Too many", calls: []string{"POST /v2/LDG-c-429/cancel"},
		},
		{
			name: "200 with status_code 500", order: "LDG-c-200-500", setup: then(create("LDG-c-200-500", payments.BCA), fail("cancel", midtranstest.Failure{HTTPStatus: 200, StatusCode: "500", StatusMessage: "Internal Server Error"})),
			kind: payments.Transient, status: "pending", says: "Internal Server Error", calls: []string{"POST /v2/LDG-c-200-500/cancel"},
		},
		{
			name: "200 with status_code 412", order: "LDG-c-200-412",
			setup: then(create("LDG-c-200-412", payments.BCA), notify("LDG-c-200-412", "settlement"), fail("cancel", midtranstest.Failure{HTTPStatus: 200, StatusCode: "412", StatusMessage: "Merchant cannot modify the status of the transaction"})),
			want:  payments.ErrNotCancellable, kind: payments.Permanent, status: "settlement", says: "(HTTP 200, code 412)",
			calls: []string{"POST /v2/LDG-c-200-412/cancel", "GET /v2/LDG-c-200-412/status"},
		},
		{
			name: "200 with status_code 404", order: "LDG-c-200-404", setup: fail("cancel", midtranstest.Failure{HTTPStatus: 200, StatusCode: "404", StatusMessage: "Transaction doesn't exist."}),
			want: payments.ErrNotFound, kind: payments.Permanent, says: "(HTTP 200, code 404)", calls: []string{"POST /v2/LDG-c-200-404/cancel"},
		},
		{
			name: "200 with status_code 407", order: "LDG-c-200-407",
			setup: then(create("LDG-c-200-407", payments.BCA), notify("LDG-c-200-407", "expire"), fail("cancel", midtranstest.Failure{HTTPStatus: 200, StatusCode: "407", StatusMessage: "Transaction is expired"})),
			want:  payments.ErrNotCancellable, kind: payments.Permanent, status: "expire", says: `transaction_status "expire"`,
			calls: []string{"POST /v2/LDG-c-200-407/cancel", "GET /v2/LDG-c-200-407/status"},
		},
		{
			name: "401", order: "LDG-c-401", setup: then(create("LDG-c-401", payments.BCA), fail("cancel", midtranstest.AccessDenied)),
			kind: payments.Permanent, status: "pending", says: "Access denied", calls: []string{"POST /v2/LDG-c-401/cancel"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := midtranstest.NewServer(t)
			c := newClient(t, srv, false)
			if tt.setup != nil {
				tt.setup(t, srv, c)
			}
			before := len(srv.Requests())
			err := c.Cancel(context.Background(), tt.order)
			switch {
			case tt.want == nil && tt.kind == 0:
				if err != nil {
					t.Fatalf("Cancel: %v", err)
				}
			default:
				var pe *payments.Error
				if !errors.As(err, &pe) || pe.Op != "cancel" || pe.Provider != Name {
					t.Fatalf("Cancel: %v, want a midtrans cancel *payments.Error", err)
				}
				if pe.Kind != tt.kind {
					t.Errorf("kind %s, want %s (%v)", pe.Kind, tt.kind, err)
				}
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("Cancel: %v, want %v", err, tt.want)
				}
				for _, s := range []error{payments.ErrNotFound, payments.ErrNotCancellable} {
					if s != tt.want && errors.Is(err, s) {
						t.Errorf("Cancel: %v also wraps %v", err, s)
					}
				}
				if !strings.Contains(err.Error(), tt.says) {
					t.Errorf("error %q does not say %q", err, tt.says)
				}
				if strings.Contains(err.Error(), midtranstest.ServerKey) {
					t.Error("error shows the server key")
				}
			}
			if got := srv.TransactionStatus(tt.order); got != tt.status {
				t.Errorf("the fake's transaction_status %q, want %q", got, tt.status)
			}
			reqs := srv.Requests()[before:]
			var calls []string
			for _, r := range reqs {
				calls = append(calls, r.Method+" "+r.Path)
			}
			if strings.Join(calls, ", ") != strings.Join(tt.calls, ", ") {
				t.Errorf("requests %q, want %q", calls, tt.calls)
			}
			auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(midtranstest.ServerKey+":"))
			for _, r := range reqs {
				if r.Authorization != auth {
					t.Errorf("%s %s: Authorization %q, want %q", r.Method, r.Path, r.Authorization, auth)
				}
				if len(r.Body) != 0 {
					t.Errorf("%s %s: body %q, want none", r.Method, r.Path, r.Body)
				}
			}
		})
	}
}

// step prepares what the fake knows before a Cancel.
type step func(*testing.T, *midtranstest.Server, *Client)

// create opens a pending payment for order at the fake.
func create(order string, m payments.Method) step {
	return func(t *testing.T, _ *midtranstest.Server, c *Client) {
		t.Helper()
		if _, err := c.Create(context.Background(), invoice(order, m)); err != nil {
			t.Fatal(err)
		}
	}
}

// notify moves order to a transaction_status at the fake.
func notify(order, status string) step {
	return func(_ *testing.T, srv *midtranstest.Server, _ *Client) { srv.Notify(order, status, 50400) }
}

// fail scripts the next answer of endpoint.
func fail(endpoint string, f midtranstest.Failure) step {
	return func(_ *testing.T, srv *midtranstest.Server, _ *Client) { srv.Fail(endpoint, 1, f) }
}

// then is the steps one after the other.
func then(steps ...step) step {
	return func(t *testing.T, srv *midtranstest.Server, c *Client) {
		for _, s := range steps {
			s(t, srv, c)
		}
	}
}

// After a cancel, the status query and the cancel notification say
// cancelled, and a second Cancel is a no-op.
func TestCancelThenStatusAndNotification(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	in, err := c.Create(context.Background(), invoice("LDG-cs", payments.BNI))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel(context.Background(), "LDG-cs"); err != nil {
		t.Fatal(err)
	}
	n, err := c.Status(context.Background(), "LDG-cs")
	if err != nil || n.Status != payments.Cancelled || n.ProviderRef != in.ProviderRef || n.Amount != 50400 {
		t.Errorf("Status after Cancel: %+v, %v", n, err)
	}
	_, body, ok := srv.Notification("LDG-cs")
	if !ok {
		t.Fatal("no notification")
	}
	n, err = c.Verify(context.Background(), nil, body)
	if err != nil || n.Status != payments.Cancelled || n.Unbacked != "" || n.OrderID != "LDG-cs" {
		t.Errorf("cancel notification: %+v, %v", n, err)
	}
	if err := c.Cancel(context.Background(), "LDG-cs"); err != nil {
		t.Errorf("second Cancel: %v", err)
	}
	// The order id stays used up: a new code needs a new order id.
	if _, err := c.Create(context.Background(), invoice("LDG-cs", payments.BNI)); !errors.Is(err, payments.ErrDuplicate) {
		t.Errorf("Create after Cancel: %v, want ErrDuplicate", err)
	}
}

func TestCancelRefusesBadOrderIDs(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	for _, id := range []string{"", "../charge", "LDG 1", "LDG/1", strings.Repeat("x", 51), "LDG-1?x=1"} {
		err := c.Cancel(context.Background(), id)
		var pe *payments.Error
		if err == nil || errors.As(err, &pe) {
			t.Errorf("Cancel(%q): %v, want a plain error", id, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid order ids", n)
	}
}

func TestCancelNetworkErrorIsTransient(t *testing.T) {
	srv := midtranstest.Start()
	c, err := New(Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	err = c.Cancel(context.Background(), "LDG-1")
	if !payments.IsTransient(err) || errors.Is(err, payments.ErrNotCancellable) || strings.Contains(err.Error(), midtranstest.ServerKey) {
		t.Errorf("Cancel: %v, want transient", err)
	}
}

func TestCancelTimeoutIsTransient(t *testing.T) {
	srv := midtranstest.NewServer(t)
	c := newClient(t, srv, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Cancel(ctx, "LDG-1"); !payments.IsTransient(err) {
		t.Errorf("Cancel with a done context: %v, want transient", err)
	}
}

// Midtrans' documented bodies, served as they come.
func TestCancelResponses(t *testing.T) {
	settled := testdata(t, "status_settlement.json")
	tests := []struct {
		name   string
		status int
		body   []byte
		order  string
		want   error         // nil, or the sentinel the error wraps
		kind   payments.Kind // 0: success
		says   string
	}{
		{"success", 200, testdata(t, "cancel_bca.json"), "LDG-BCA-0001", nil, 0, ""},
		{"success with a signature", 200, []byte(strings.Replace(string(testdata(t, "cancel_bca.json")), `"fraud_status"`, `"signature_key":"00ff","fraud_status"`, 1)), "LDG-BCA-0001", nil, 0, ""},
		{"success for another order", 200, testdata(t, "cancel_bca.json"), "LDG-BCA-0002", nil, payments.Permanent, `answer is for order "LDG-BCA-0001", not "LDG-BCA-0002"`},
		{"success without order_id", 200, []byte(`{"status_code":"200","status_message":"Success, transaction is canceled","transaction_status":"cancel"}`), "LDG-BCA-0001", nil, payments.Permanent, `answer is for order ""`},
		{"200 but still pending", 200, []byte(strings.Replace(string(testdata(t, "cancel_bca.json")), `"transaction_status": "cancel"`, `"transaction_status": "pending"`, 1)), "LDG-BCA-0001", nil, payments.Permanent, `transaction_status "pending", not cancel`},
		{"200 with a settled transaction", 200, settled, "LDG-BNI-0001", nil, payments.Permanent, `transaction_status "settlement", not cancel`},
		{"412", 412, testdata(t, "error_412.json"), "LDG-BCA-0001", payments.ErrNotCancellable, payments.Permanent, "(HTTP 412): Merchant cannot modify the status of the transaction"},
		{"200 with 412", 200, testdata(t, "error_412.json"), "LDG-BCA-0001", payments.ErrNotCancellable, payments.Permanent, "(HTTP 200, code 412)"},
		{"404", 404, testdata(t, "error_404.json"), "LDG-BCA-0001", payments.ErrNotFound, payments.Permanent, "doesn't exist"},
		{"200 with 404", 200, testdata(t, "error_404.json"), "LDG-BCA-0001", payments.ErrNotFound, payments.Permanent, "(HTTP 200, code 404)"},
		{"401", 401, testdata(t, "error_401.json"), "LDG-BCA-0001", nil, payments.Permanent, "Access denied"},
		{"502 proxy page", 502, []byte("<html>Bad Gateway</html>"), "LDG-BCA-0001", nil, payments.Transient, "Bad Gateway"},
		{"407 from a proxy", 407, []byte("<html>Proxy Authentication Required</html>"), "LDG-BCA-0001", nil, payments.Permanent, "Proxy Authentication"},
		{"200 not json", 200, []byte("<html>ok</html>"), "LDG-BCA-0001", nil, payments.Transient, "not JSON"},
		{"200 wrong types", 200, []byte(`{"status_code":"200","order_id":7,"transaction_status":"cancel"}`), "LDG-BCA-0001", nil, payments.Transient, "unreadable response"},
		{"200 status_code not a number", 200, []byte(`{"status_code":"OK","order_id":"LDG-BCA-0001","transaction_status":"cancel"}`), "LDG-BCA-0001", nil, payments.Permanent, "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fixed(t, tt.status, tt.body)
			err := c.Cancel(context.Background(), tt.order)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("Cancel: %v", err)
				}
				return
			}
			var pe *payments.Error
			if !errors.As(err, &pe) || pe.Kind != tt.kind || pe.HTTPStatus != tt.status || pe.Op != "cancel" {
				t.Fatalf("Cancel: %v (%+v), want a %s cancel *payments.Error with HTTP %d", err, pe, tt.kind, tt.status)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Cancel: %v, want %v", err, tt.want)
			}
			if tt.want == nil && (errors.Is(err, payments.ErrNotFound) || errors.Is(err, payments.ErrNotCancellable)) {
				t.Errorf("Cancel: %v wraps a sentinel", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}
