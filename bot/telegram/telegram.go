// Package telegram is the Telegram channel: it translates Bot API updates to
// flows events (polling or webhook), delivers replies as messages with inline
// keyboards, and classifies the Bot API's errors for the outbox.
//
// The Bot API is spoken through github.com/go-telegram-bot-api/telegram-bot-api/v5.
// That library takes no context; every call here runs on a shallow copy of
// the library's BotAPI whose HTTP client binds the caller's context, so
// cancellation (shutdown, a long poll) works.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
)

// Channel is the channel name sessions and the outbox use for Telegram.
const Channel = "telegram"

// allowedUpdates are the update kinds the bot asks for, polling or webhook.
var allowedUpdates = []string{"message", "callback_query"}

// Options configure a Client.
type Options struct {
	Token string // the bot token from @BotFather; never logged
	// Endpoint is the Bot API address in the library's format
	// ("https://api.telegram.org/bot%s/%s"); "" means Telegram's own.
	Endpoint string
	// HTTPClient makes the requests; nil means one with a 40 s timeout
	// (longer than the 25 s long poll).
	HTTPClient *http.Client
	Log        *slog.Logger // nil means slog.Default()
	// Photos draws the images replies name (Reply.Photo); nil sends their text only.
	Photos bot.Photos
	// Called, when set, is told the Bot API method of every request
	// (sendMessage, answerCallbackQuery, …), for the metrics.
	Called func(method string)
}

// Client talks to the Bot API for one bot.
type Client struct {
	bot   *tgbotapi.BotAPI
	http  *http.Client
	token string
	log   *slog.Logger

	// sleep waits d or until ctx ends (then it returns ctx's error); tests
	// replace it so that backoffs take no time.
	sleep func(ctx context.Context, d time.Duration) error
	// pollTimeout is the long-poll timeout of getUpdates, in seconds.
	pollTimeout int
	photos      bot.Photos
	called      func(method string)
	// acks are the button presses waiting to be acknowledged (AcknowledgeSoon).
	acks    chan tgbotapi.Update
	ackOnce sync.Once
}

// New connects to the Bot API: it calls getMe at once, so a wrong token or
// endpoint fails here.
func New(ctx context.Context, o Options) (*Client, error) {
	if o.Token == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if o.Endpoint == "" {
		o.Endpoint = tgbotapi.APIEndpoint
	}
	if strings.Count(o.Endpoint, "%s") != 2 {
		return nil, fmt.Errorf("telegram: endpoint %q must have two %%s, for the token and the method, like %q", o.Endpoint, tgbotapi.APIEndpoint)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 40 * time.Second, Transport: transport()}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	c := &Client{http: o.HTTPClient, token: o.Token, log: o.Log, sleep: clock.Sleep, pollTimeout: 25, photos: o.Photos, called: o.Called,
		acks: make(chan tgbotapi.Update, ackQueue)}
	bot, err := tgbotapi.NewBotAPIWithClient(o.Token, o.Endpoint, c.doer(ctx))
	if err != nil {
		return nil, fmt.Errorf("telegram: getMe: %w", err)
	}
	c.bot = bot
	return c, nil
}

// maxConns is how many connections to the Bot API stay open for reuse:
// enough for the reply senders in flight (bot.Deliverer.Workers), the
// broadcast senders and the button answers together.
const maxConns = 1024

// transport keeps connections to the Bot API open for reuse. The default
// keeps 2 per host: with more senders at once, every other request would
// open (and close) a TLS connection of its own.
func transport() *http.Transport {
	t := &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second, ExpectContinueTimeout: time.Second}
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		t = d.Clone() // the standard settings, unless a library replaced them
	}
	t.MaxIdleConns, t.MaxIdleConnsPerHost = maxConns, maxConns
	return t
}

// Username is the bot's @username, as getMe told.
func (c *Client) Username() string { return c.bot.Self.UserName }

// api returns the library's client bound to ctx.
func (c *Client) api(ctx context.Context) *tgbotapi.BotAPI {
	b := *c.bot
	b.Client = c.doer(ctx)
	return &b
}

func (c *Client) doer(ctx context.Context) *ctxDoer {
	return &ctxDoer{ctx: ctx, c: c.http, token: c.token, called: c.called}
}

// ctxDoer runs the library's requests under a context and keeps the token
// out of its errors (a *url.Error quotes the URL, which holds the token).
type ctxDoer struct {
	ctx    context.Context
	c      *http.Client
	token  string
	called func(method string)
}

func (d *ctxDoer) Do(req *http.Request) (*http.Response, error) {
	if d.called != nil {
		d.called(path.Base(req.URL.Path))
	}
	resp, err := d.c.Do(req.WithContext(d.ctx))
	if err != nil {
		return nil, redact(err, d.token)
	}
	return resp, nil
}

// redact removes the token from an error's text, keeping what errors.Is and
// errors.As need (timeouts, context errors).
func redact(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		cp := *ue
		cp.URL = strings.ReplaceAll(cp.URL, token, "<token>")
		err = &cp
	}
	if msg := err.Error(); strings.Contains(msg, token) {
		return &redacted{msg: strings.ReplaceAll(msg, token, "<token>"), err: errors.Unwrap(err)}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// apiError returns the Bot API's error in err, if it is one.
func apiError(err error) (*tgbotapi.Error, bool) {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return te, true
	}
	return nil, false
}
