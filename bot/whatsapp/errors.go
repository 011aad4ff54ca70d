package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/bot"
)

// Error is an error answer of the Graph API,
// {"error":{"message","type","code","error_subcode","error_data":{"details"},"fbtrace_id"}},
// or an error a status webhook reports ({"code","title","message","error_data":{"details"}}).
// A send's failure wraps it in a *bot.SendError: errors.As finds both.
type Error struct {
	Status    int    // the HTTP status; 0 for an error of a status webhook
	Code      int    // Meta's error code (131047, 130429, …); 0 when the body was not Meta's JSON
	Subcode   int    // error_subcode
	Type      string // "OAuthException", …
	Title     string // status webhooks' title ("Re-engagement message")
	Message   string
	Details   string // error_data.details: the most precise description
	FBTraceID string // Meta's id of the request, for their support
	// Usage is the X-Business-Use-Case-Usage header's estimate of when a
	// rate-limited account may call again (0: none given).
	Usage time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("whatsapp")
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, ": code %d", e.Code)
		if e.Subcode != 0 {
			fmt.Fprintf(&b, "/%d", e.Subcode)
		}
	}
	for _, s := range []string{e.Title, e.Message, e.Details} {
		if s != "" && !strings.Contains(b.String(), s) {
			b.WriteString(": " + s)
		}
	}
	if e.FBTraceID != "" {
		b.WriteString(" (fbtrace_id " + e.FBTraceID + ")")
	}
	return b.String()
}

// Meta's error codes that change what the channel does
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes/).
const (
	CodeAPIUnknown         = 1      // unknown error: retry
	CodeAPIService         = 2      // service temporarily unavailable: retry
	CodeAPICapability      = 3      // the app lacks the capability: configuration
	CodeAppRateLimit       = 4      // application request limit reached
	CodePermission         = 10     // permission denied: configuration
	CodeInvalidParameter   = 100    // a parameter is not valid
	CodeAccessToken        = 190    // access token expired or invalid
	CodePermissions        = 200    // missing permission: configuration
	CodePolicyBlocked      = 368    // temporarily blocked for policy violations
	CodeAccountRateLimit   = 80007  // the WhatsApp Business Account's rate limit
	CodeThroughput         = 130429 // over the number's messages per second
	CodeGeneric            = 131000 // something went wrong: retry
	CodeMissingParameter   = 131008
	CodeParameterInvalid   = 131009
	CodeServiceUnavailable = 131016
	CodeRecipientIsSender  = 131021
	CodeUndeliverable      = 131026 // not on WhatsApp, app too old, terms not accepted
	CodeNotAllowed         = 131030 // test numbers only: recipient not in the allowed list
	CodeAccountLocked      = 131031
	CodePayment            = 131042
	CodeReEngagement       = 131047 // outside the 24-hour window: send a template
	CodeSpamRate           = 131048 // the number is limited for sending too much that users refuse
	CodeEcosystem          = 131049 // Meta chose not to deliver this marketing message
	CodeMarketingStopped   = 131050 // the user stopped marketing messages
	CodeUnsupportedType    = 131051
	CodeMediaDownload      = 131052
	CodeMediaUpload        = 131053
	CodePairRate           = 131056 // too many messages to this one user lately
	CodeTemplateFirst      = 132000 // 132000–132016: template problems (parameters, missing, paused, disabled)
	CodeTemplateParams     = 132000
	CodeTemplateMissing    = 132001
	CodeTemplateFormat     = 132012
	CodeTemplatePaused     = 132015
	CodeTemplateDisabled   = 132016
	CodeTemplateLast       = 132016
	CodeServerUnavailable  = 133004
	CodeNotRegistered      = 133010 // the business number is not registered with the Cloud API
)

// Throughput reports a refusal for the number's messages per second
// (130429): pause the channel.
func (e *Error) Throughput() bool { return e.Code == CodeThroughput }

// PairRate reports too many messages to one user lately (131056): delay
// that chat only.
func (e *Error) PairRate() bool { return e.Code == CodePairRate }

// WindowClosed reports a free-form message refused outside the 24-hour
// window (131047): it can only go as a template.
func (e *Error) WindowClosed() bool { return e.Code == CodeReEngagement }

// Undeliverable reports a user WhatsApp cannot deliver to (131026: not on
// WhatsApp, an old app, terms not accepted) or who stopped marketing
// messages (131050, for marketing templates only).
func (e *Error) Undeliverable() bool {
	return e.Code == CodeUndeliverable || e.Code == CodeMarketingStopped
}

// TemplateProblem reports a template refused (132000–132016: wrong
// parameter count or format, missing, paused, disabled): an admin must look.
func (e *Error) TemplateProblem() bool {
	return e.Code >= CodeTemplateFirst && e.Code <= CodeTemplateLast
}

// TokenExpired reports an access token that expired or is not valid (190).
func (e *Error) TokenExpired() bool { return e.Code == CodeAccessToken }

// Transient reports an error worth retrying as it is: a 5xx, Meta's
// "unknown", "service unavailable" and "something went wrong", a media
// transfer that failed.
func (e *Error) Transient() bool {
	switch e.Code {
	case CodeAPIUnknown, CodeAPIService, CodeGeneric, CodeServiceUnavailable, CodeServerUnavailable, CodeMediaDownload, CodeMediaUpload:
		return true
	case 0:
		return e.Status >= 500 || e.Status == 0
	}
	return e.Status >= 500 && !e.TemplateProblem() && !e.Undeliverable() && !e.WindowClosed()
}

// configuration reports an error that says our setup is wrong (token,
// permissions, phone number id): replies are kept and retried, not dropped,
// until someone fixes it.
func (e *Error) configuration() bool {
	switch e.Code {
	case CodeAccessToken, CodePermission, CodePermissions, CodeAPICapability, CodeAccountLocked, CodePayment, CodeNotRegistered:
		return true
	case CodeInvalidParameter:
		// (#100) "Unsupported post request. Object with ID … does not exist": a wrong phone number id.
		return e.Subcode == 33
	}
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusNotFound
}

// Waits after refusals for the rate, when Meta names no time.
const (
	throughputWait = 2 * time.Second  // 130429: the limit is per second
	pairRateWait   = 6 * time.Second  // 131056: about one message every 6 s to one user
	accountWait    = time.Minute      // 4, 80007, 131048, HTTP 429: hourly budgets
	policyWait     = 10 * time.Minute // 368: a block of unknown length
)

// Kind says what the failure means for the outbox:
//   - Throttled (pause the channel): 130429, 4, 80007, 131048, 368, HTTP 429;
//   - Unreachable (stop writing to the chat): 131026, 131030;
//   - Permanent (drop this reply): 131047 (the Sender resends it as a
//     template when it can), 131049, 131050, 131051, 132000–132016, other
//     400s;
//   - Retryable: 131056 (after RetryAfter, for that chat), 5xx, Meta's
//     transient codes, and errors of our configuration (190, permissions, a
//     wrong phone number id), which keep the replies until someone fixes it.
func (e *Error) Kind() bot.Failure {
	switch {
	case e.Throughput(), e.Code == CodeAppRateLimit, e.Code == CodeAccountRateLimit, e.Code == CodeSpamRate, e.Code == CodePolicyBlocked,
		e.Code == 0 && e.Status == http.StatusTooManyRequests:
		return bot.Throttled
	case e.PairRate():
		return bot.Retryable
	case e.Code == CodeUndeliverable, e.Code == CodeNotAllowed:
		return bot.Unreachable
	case e.WindowClosed(), e.TemplateProblem(), e.Code == CodeMarketingStopped, e.Code == CodeEcosystem, e.Code == CodeUnsupportedType,
		e.Code == CodeMissingParameter, e.Code == CodeParameterInvalid, e.Code == CodeRecipientIsSender:
		return bot.Permanent
	case e.configuration(), e.Transient():
		return bot.Retryable
	case e.Status == http.StatusBadRequest, e.Status == 0 && e.Code != 0:
		return bot.Permanent
	}
	return bot.Retryable
}

// RetryAfter is how long to wait before trying again: for Throttled, the
// channel's pause; for the pair rate, that chat's delay; 0 otherwise.
func (e *Error) RetryAfter() time.Duration {
	switch {
	case e.Throughput():
		return throughputWait
	case e.PairRate():
		return pairRateWait
	case e.Code == CodePolicyBlocked:
		return policyWait
	case e.Kind() == bot.Throttled:
		if e.Usage > 0 {
			return e.Usage
		}
		return accountWait
	}
	return 0
}

// classify turns a call's failure into the *bot.SendError the deliverer
// reads; err is wrapped with what was being done.
func classify(err error) *bot.SendError {
	var se *bot.SendError
	if errors.As(err, &se) {
		return se
	}
	var e *Error
	if !errors.As(err, &e) {
		return &bot.SendError{Kind: bot.Retryable, Err: err} // network, timeout, context
	}
	return &bot.SendError{Kind: e.Kind(), RetryAfter: e.RetryAfter(), Err: err}
}

// wireError is Meta's error object, in answers and in webhooks.
type wireError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	Title     string `json:"title"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
	FBTraceID string `json:"fbtrace_id"`
}

func (w wireError) toError(status int) *Error {
	return &Error{Status: status, Code: w.Code, Subcode: w.Subcode, Type: w.Type, Title: w.Title, Message: w.Message,
		Details: w.ErrorData.Details, FBTraceID: w.FBTraceID}
}

// errorFrom reads a failed answer: Meta's JSON error, or (a proxy's page, a
// gateway) just the status and the start of the body.
func errorFrom(resp *http.Response, raw []byte) *Error {
	var body struct {
		Error *wireError `json:"error"`
	}
	var e *Error
	if json.Unmarshal(raw, &body) == nil && body.Error != nil {
		e = body.Error.toError(resp.StatusCode)
	} else {
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		e = &Error{Status: resp.StatusCode, Message: msg}
	}
	if wait := usageWait(resp.Header.Get("X-Business-Use-Case-Usage")); wait > 0 {
		e.Usage = wait
	} else if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		e.Usage = time.Duration(s) * time.Second
	}
	return e
}

// usageWait reads the X-Business-Use-Case-Usage header
// ({"<id>":[{"type":…,"call_count":…,"estimated_time_to_regain_access":<minutes>}]})
// and returns the longest wait it names.
func usageWait(h string) time.Duration {
	if h == "" {
		return 0
	}
	var usage map[string][]struct {
		Minutes int `json:"estimated_time_to_regain_access"`
	}
	if json.Unmarshal([]byte(h), &usage) != nil {
		return 0
	}
	longest := 0
	for _, list := range usage {
		for _, u := range list {
			longest = max(longest, u.Minutes)
		}
	}
	return time.Duration(longest) * time.Minute
}
