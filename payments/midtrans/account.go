package midtrans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lindungi/lindungi/payments"
)

// GoPay Tokenization links a worker's GoPay account to the merchant once, so
// that a subscription can charge it every month without a PIN
// (https://docs.midtrans.com/reference/gopay-tokenization). Midtrans support
// or sales must switch it on for the merchant, in the sandbox and in
// production alike; until then POST /v2/pay/account is refused.

// AccountStatus is where a linked GoPay account stands.
type AccountStatus string

// Account statuses (https://docs.midtrans.com/reference/create-pay-account).
const (
	AccountPending  AccountStatus = "PENDING"  // the worker has not confirmed the link in GoPay yet
	AccountEnabled  AccountStatus = "ENABLED"  // linked: it can be charged
	AccountExpired  AccountStatus = "EXPIRED"  // the activation link expired unconfirmed
	AccountDisabled AccountStatus = "DISABLED" // unlinked (by us, the worker or GoPay)
)

func (s AccountStatus) valid() bool {
	switch s {
	case AccountPending, AccountEnabled, AccountExpired, AccountDisabled:
		return true
	}
	return false
}

// Account is a GoPay account as Midtrans describes it.
type Account struct {
	ID     string
	Status AccountStatus
	// AppURL is the activation deeplink that opens the GoPay app
	// (activation-link-app), WebURL the same in a browser
	// (activation-link-url); both only while PENDING.
	AppURL, WebURL string
	// Token is the GoPay wallet's payment_option_token, which a
	// subscription charges; only once ENABLED.
	Token string
}

type accountRequest struct {
	PaymentType  string       `json:"payment_type"`
	GopayPartner gopayPartner `json:"gopay_partner"`
}

type gopayPartner struct {
	PhoneNumber string `json:"phone_number"`
	CountryCode string `json:"country_code"`
	RedirectURL string `json:"redirect_url,omitempty"`
}

// accountAnswer is Midtrans' answer about an account.
type accountAnswer struct {
	StatusCode    string        `json:"status_code"`
	PaymentType   string        `json:"payment_type"`
	AccountID     string        `json:"account_id"`
	AccountStatus AccountStatus `json:"account_status"`
	Actions       []struct {
		Name   string `json:"name"`
		Method string `json:"method"`
		URL    string `json:"url"`
	} `json:"actions"`
	Metadata struct {
		PaymentOptions []struct {
			Name   string `json:"name"`
			Active bool   `json:"active"`
			Token  string `json:"token"`
		} `json:"payment_options"`
	} `json:"metadata"`
}

// maxAccountID bounds an account id read from Midtrans (theirs are UUIDs).
const maxAccountID = 64

// validAccountID checks an account id before it goes into a path.
func validAccountID(id string) error {
	if id == "" || len(id) > maxAccountID {
		return fmt.Errorf("midtrans: account id of %d characters", len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("midtrans: account id: character %q not allowed", c)
		}
	}
	return nil
}

// LinkAccount asks Midtrans to link the GoPay account of a phone number
// ("81212345678": the national number without its leading 0; "62" and
// "+62" are cut off too). The answer is PENDING with the activation links
// the worker opens to confirm in GoPay; redirectURL is where GoPay sends
// them afterwards (optional).
func (c *Client) LinkAccount(ctx context.Context, phone, redirectURL string) (Account, error) {
	national := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(phone, "+"), "62"), "0")
	if len(national) < 8 || len(national) > 13 || !digits(national) || national[0] != '8' {
		return Account{}, errors.New("midtrans: link account: not an Indonesian mobile number")
	}
	body, err := json.Marshal(accountRequest{PaymentType: "gopay",
		GopayPartner: gopayPartner{PhoneNumber: national, CountryCode: "62", RedirectURL: redirectURL}})
	if err != nil {
		return Account{}, err
	}
	return c.account(ctx, "link", http.MethodPost, "/v2/pay/account", body)
}

// Account asks where a linked account stands (GET /v2/pay/account/{id}).
// ErrNotFound when Midtrans does not know it.
func (c *Client) Account(ctx context.Context, id string) (Account, error) {
	if err := validAccountID(id); err != nil {
		return Account{}, err
	}
	return c.account(ctx, "account", http.MethodGet, "/v2/pay/account/"+url.PathEscape(id), nil)
}

// Unbind unlinks an account (POST /v2/pay/account/{id}/unbind); Midtrans
// then posts an unbind notification too. Unbinding an account unlinked
// already is not an error.
func (c *Client) Unbind(ctx context.Context, id string) error {
	if err := validAccountID(id); err != nil {
		return err
	}
	a, err := c.account(ctx, "unbind", http.MethodPost, "/v2/pay/account/"+url.PathEscape(id)+"/unbind", nil)
	if err != nil {
		return err
	}
	if a.Status != AccountDisabled {
		return &payments.Error{Provider: Name, Op: "unbind", Kind: payments.Permanent, Err: fmt.Errorf("account is %s after unbind", a.Status)}
	}
	return nil
}

func (c *Client) account(ctx context.Context, op, method, path string, body []byte) (Account, error) {
	code, b, err := c.do(ctx, op, method, path, body)
	if err != nil {
		return Account{}, err
	}
	return accountFrom(op, code, b)
}

// accountFrom reads Midtrans' answer about an account.
func accountFrom(op string, httpStatus int, body []byte) (Account, error) {
	if e := failure(op, httpStatus, body); e != nil {
		return Account{}, e
	}
	bad := func(format string, a ...any) (Account, error) {
		return Account{}, &payments.Error{Provider: Name, Op: op, Kind: payments.Permanent, HTTPStatus: httpStatus, Err: fmt.Errorf(format, a...)}
	}
	var t accountAnswer
	if err := json.Unmarshal(body, &t); err != nil {
		return bad("answer: %w", err)
	}
	if err := validAccountID(t.AccountID); err != nil {
		return bad("%w", err)
	}
	if !t.AccountStatus.valid() {
		return bad("account_status %q", t.AccountStatus)
	}
	a := Account{ID: t.AccountID, Status: t.AccountStatus}
	for _, act := range t.Actions {
		u, err := url.Parse(act.URL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "gojek") {
			continue
		}
		switch act.Name {
		case "activation-link-app":
			a.AppURL = act.URL
		case "activation-link-url":
			a.WebURL = act.URL
		}
	}
	if a.Status == AccountPending && a.AppURL == "" && a.WebURL == "" && op == "link" {
		return bad("no activation link")
	}
	for _, po := range t.Metadata.PaymentOptions {
		if po.Name == "GOPAY_WALLET" && po.Active && po.Token != "" {
			a.Token = po.Token
		}
	}
	if a.Status == AccountEnabled && a.Token == "" && op == "account" {
		return bad("an enabled account without a GOPAY_WALLET token")
	}
	return a, nil
}
