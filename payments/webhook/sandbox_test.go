package webhook_test

import (
	"context"
	"errors"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/payments/webhook"
)

// codes are the payments the test bank knows, by code.
type codes map[string]payments.Issued

func (c codes) PaymentByCode(_ context.Context, provider, code string) (payments.Issued, error) {
	if provider != sandbox.Name {
		return payments.Issued{}, errors.New("wrong provider " + provider)
	}
	if code == "broken" {
		return payments.Issued{}, errors.New("connection lost")
	}
	p, ok := c[code]
	if !ok {
		return payments.Issued{}, flows.ErrUnknownPayment
	}
	return p, nil
}

// notified records the notifications the page fires, checked as the
// provider's own.
type notified struct {
	p    *sandbox.Provider
	got  []payments.Notification
	errs []error
}

func (n *notified) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	got, err := n.p.Verify(r.Context(), r.Header, body)
	if err != nil {
		n.errs = append(n.errs, err)
		http.Error(w, "forged", http.StatusUnauthorized)
		return
	}
	n.got = append(n.got, got)
}

func TestSandboxPage(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := sandbox.New(sandbox.Options{Secret: []byte("notification-key")})
	if err != nil {
		t.Fatal(err)
	}
	known := codes{
		"8800000000000001": {OrderID: "R1-1", Amount: 16800, Status: payments.Pending, Method: payments.BNI},
		"8800000000000002": {OrderID: "R2-1", Amount: 50400, Status: payments.Paid, Method: payments.BNI},
		"8800000000000003": {OrderID: "R3-1", Amount: 16800, Status: payments.Expired, Method: payments.BNI},
		"8800000000000004": {OrderID: "R4-1", Amount: 33600, Status: payments.Pending, Method: payments.BNI},
	}
	key := []byte("page-token-key")
	const self = "http://bank.test"
	tokenOf := func(t *testing.T, h http.Handler, code string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, self+"/sandbox/pay/"+code, nil))
		m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(rec.Body.String())
		if m == nil {
			t.Fatalf("no form token on the page: %s", rec.Body.String())
		}
		return m[1]
	}
	tests := []struct {
		name     string
		method   string
		code     string
		header   map[string]string
		token    string // "page": the page's own token, "other": another code's
		paid     bool   // the payment is paid once its page is shown, before the post
		status   int
		body     []string // the page shows them all
		texts    []string // and these texts of the catalogue, in its language
		notified int      // notifications fired
	}{
		{name: "a payment waiting", method: http.MethodGet, code: "8800000000000001", status: http.StatusOK,
			body: []string{"8800000000000001", "Rp16.800", `<form method="post">`}, texts: []string{"sandbox.title", "sandbox.code", "sandbox.pay"}},
		{name: "in English", method: http.MethodGet, code: "8800000000000001", header: map[string]string{"Accept-Language": "en-GB,en"},
			status: http.StatusOK, body: []string{`lang="en"`}, texts: []string{"sandbox.title", "sandbox.note", "sandbox.pay"}},
		{name: "paid", method: http.MethodGet, code: "8800000000000002", status: http.StatusOK, body: []string{"Rp50.400"},
			texts: []string{"sandbox.status.paid"}},
		{name: "expired", method: http.MethodGet, code: "8800000000000003", header: map[string]string{"Accept-Language": "en"}, status: http.StatusOK,
			texts: []string{"sandbox.status.expired"}},
		{name: "an unknown code", method: http.MethodGet, code: "123", header: map[string]string{"Accept-Language": "en"}, status: http.StatusOK,
			texts: []string{"sandbox.not_found"}},
		{name: "the store fails", method: http.MethodGet, code: "broken", status: http.StatusInternalServerError},
		{name: "paid from its own page", method: http.MethodPost, code: "8800000000000001", header: map[string]string{"Origin": self},
			token: "page", status: http.StatusSeeOther, notified: 1},
		{name: "another site's form", method: http.MethodPost, code: "8800000000000001", header: map[string]string{"Origin": "http://evil.example"},
			token: "page", status: http.StatusForbidden},
		{name: "no origin", method: http.MethodPost, code: "8800000000000001", token: "page", status: http.StatusForbidden},
		{name: "no token", method: http.MethodPost, code: "8800000000000001", header: map[string]string{"Origin": self}, status: http.StatusForbidden},
		{name: "another code's token", method: http.MethodPost, code: "8800000000000001", header: map[string]string{"Origin": self},
			token: "other", status: http.StatusForbidden},
		{name: "paid meanwhile", method: http.MethodPost, code: "8800000000000001", header: map[string]string{"Origin": self}, token: "page",
			paid: true, status: http.StatusOK, texts: []string{"sandbox.status.paid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &notified{p: p}
			known := maps.Clone(known)
			h := webhook.SandboxPage(p, known, cat, n, key, quiet)
			mux := http.NewServeMux()
			mux.Handle("/sandbox/pay/{code}", h)
			form := url.Values{}
			switch tt.token {
			case "page":
				form.Set("token", tokenOf(t, mux, tt.code))
			case "other":
				form.Set("token", tokenOf(t, mux, "8800000000000004"))
			}
			if tt.paid {
				pay := known[tt.code]
				pay.Status = payments.Paid
				known[tt.code] = pay
			}
			req := httptest.NewRequest(tt.method, self+"/sandbox/pay/"+tt.code, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body.String())
			}
			lang := "id"
			if strings.HasPrefix(tt.header["Accept-Language"], "en") {
				lang = "en"
			}
			want := slices.Clone(tt.body)
			for _, k := range tt.texts {
				want = append(want, html.EscapeString(cat.T(lang, k, nil)))
			}
			for _, s := range want {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("the page does not show %q:\n%s", s, rec.Body.String())
				}
			}
			if tt.status == http.StatusSeeOther && rec.Header().Get("Location") != "/sandbox/pay/"+tt.code {
				t.Errorf("redirected to %q", rec.Header().Get("Location"))
			}
			if len(n.got) != tt.notified || len(n.errs) > 0 {
				t.Fatalf("%d notifications (%v), want %d", len(n.got), n.errs, tt.notified)
			}
			if tt.notified > 0 {
				if got := n.got[0]; got.OrderID != "R1-1" || got.Amount != 16800 || got.Status != payments.Paid {
					t.Errorf("notification %+v", got)
				}
			}
		})
	}
}
