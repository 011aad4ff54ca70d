package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lindungi/lindungi/bot/telegram"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
)

// option is one configuration variable: its default, what it means, and how
// it is checked.
type option struct {
	key, def, help string
	secret         bool
}

var options = []option{
	{key: "DATABASE_URL", def: "postgres://postgres@127.0.0.1:5432/lindungi?sslmode=disable", help: "PostgreSQL connection URL"},
	{key: "LINDUNGI_DATA_KEY", help: "32 random bytes, base64 (openssl rand -base64 32): encrypts NIK and phone numbers", secret: true},
	{key: "LINDUNGI_DATA_KEY_FILE", help: "a file holding LINDUNGI_DATA_KEY instead"},
	{key: "LINDUNGI_HTTP_ADDR", def: "127.0.0.1:8080", help: "address of the HTTP server (serve): /healthz, /readyz"},
	{key: "LINDUNGI_PROVINCE", def: "61", help: "province code offered first for the domicile (61 = Kalimantan Barat)"},
	{key: "LINDUNGI_DRAFT_TTL", def: "168h", help: "an unfinished registration older than this is discarded"},
	{key: "LINDUNGI_MIN_AGE", def: "15", help: "youngest age accepted at registration"},
	{key: "LINDUNGI_MAX_AGE", def: "65", help: "oldest age accepted at registration"},
	{key: "LINDUNGI_TIMEZONE", def: "Asia/Jakarta", help: "the deployment's time zone (Asia/Pontianak is the same offset)"},
	{key: "LINDUNGI_IURAN_TABLE", help: "CSV file replacing the built-in contribution brackets"},
	{key: "LINDUNGI_DISCOUNTS_FILE", help: "CSV of more dated contribution discounts, as iuran/discounts-pp50-2025.csv (the law's, always applied)"},
	{key: "LINDUNGI_LOG_LEVEL", def: "info", help: "debug, info, warn or error"},
	{key: "LINDUNGI_METRICS_ADDR", help: "serve /metrics here instead of on LINDUNGI_HTTP_ADDR (keeps it off the public address)"},
	{key: "LINDUNGI_WORKERS", def: "32", help: "updates handled at once (different chats; one chat's updates stay in order)"},
	{key: "TELEGRAM_BOT_TOKEN", help: "the bot's token from @BotFather: serve then runs Telegram too", secret: true},
	{key: "TELEGRAM_API_ENDPOINT", help: "Bot API address in the library's format (https://api.telegram.org/bot%s/%s), for a self-hosted Bot API server"},
	{key: "LINDUNGI_TELEGRAM_WEBHOOK_URL", help: "public URL reaching POST /telegram/webhook: webhook mode instead of long polling"},
	{key: "LINDUNGI_TELEGRAM_WEBHOOK_SECRET", help: "webhook secret token (1-256 of A-Z a-z 0-9 _ -), required in webhook mode, same for all processes", secret: true},
	{key: "LINDUNGI_TELEGRAM_SENDERS", help: "Telegram sends in flight at once, each to another chat (default: enough for a 300 ms round trip at the rate, at least 16)"},
	{key: "LINDUNGI_TELEGRAM_RATE", def: "30", help: "messages per second the whole deployment sends to Telegram"},
	{key: "WHATSAPP_ACCESS_TOKEN", help: "a WhatsApp Cloud API system-user access token: serve then runs WhatsApp too", secret: true},
	{key: "WHATSAPP_PHONE_NUMBER_ID", help: "the business phone number's id (sends go to {API}/{id}/messages, media to {API}/{id}/media)"},
	{key: "WHATSAPP_APP_SECRET", help: "the Meta app's secret: checks X-Hub-Signature-256 on every POST /whatsapp/webhook", secret: true},
	{key: "WHATSAPP_VERIFY_TOKEN", help: "answers Meta's GET /whatsapp/webhook verification handshake", secret: true},
	{key: "WHATSAPP_API_URL", def: "https://graph.facebook.com/v23.0", help: "Graph API base"},
	{key: "WHATSAPP_BUSINESS_ACCOUNT_ID", help: "the WhatsApp Business Account (WABA) id, for lindungi whatsapp templates --submit and --status"},
	{key: "WHATSAPP_DISPLAY_NUMBER", help: "the number people write to, digits with the country code (62811000000), for wa.me links"},
	{key: "LINDUNGI_WHATSAPP_RATE", def: "80", help: "messages per second the whole deployment sends to WhatsApp (Meta's default throughput)"},
	{key: "LINDUNGI_WHATSAPP_HOLD", def: "50ms", help: "how long a WhatsApp message waits before it is handled, so that a chat's messages whose webhooks come out of order are handled in order (0s: at once)"},
	{key: "LINDUNGI_WEB_SECURE_COOKIE", def: "false", help: "web chat cookie only over HTTPS (set true behind TLS)"},
	{key: "LINDUNGI_WEB_ALLOWED_ORIGINS", help: "comma-separated extra origins allowed to post to the web chat"},
	{key: "LINDUNGI_WEB_FRAME_ANCESTORS", help: "comma-separated sites allowed to embed the web chat (CSP frame-ancestors; default 'self')"},
	{key: "LINDUNGI_WEB_RATE_PER_MINUTE", def: "60", help: "web chat requests per minute per client address"},
	{key: "LINDUNGI_WEB_STREAMS_PER_ADDRESS", def: "8", help: "web chat event streams open at once from one client address (the oldest is closed for a new one)"},
	{key: "LINDUNGI_WEB_MAX_STREAMS", def: "4000", help: "web chat event streams open at once in this process (the oldest is closed for a new one)"},
	{key: "LINDUNGI_ENV", def: "development", help: "production refuses the sandbox payment provider and a development data key"},
	{key: "LINDUNGI_PUBLIC_URL", help: "the address people reach serve at, for links and QR codes (default http://LINDUNGI_HTTP_ADDR)"},
	{key: "LINDUNGI_PAYMENT_PROVIDER", def: "sandbox", help: "sandbox (built-in test bank) or midtrans; notifications at POST /payments/{provider}/notification"},
	{key: "LINDUNGI_MIDTRANS_SERVER_KEY", help: "Midtrans server key (Core API auth and notification signatures)", secret: true},
	{key: "LINDUNGI_ADMINS", help: "comma-separated admins as channel:user id (telegram:123456789, console:9); none by default"},
	{key: "LINDUNGI_PERISAI_FEE", def: "7.5", help: "Perisai agents' fee, percent of the contributions they collect"},
	{key: "LINDUNGI_PERISAI_AGENT_SHARE", def: "90", help: "the agent's percent of the Perisai fee (the rest goes to their institution)"},
	{key: "LINDUNGI_QUIET_HOURS", def: "21:00-07:00", help: "local hours when broadcasts and payment reminders wait (off: none)"},
	{key: "LINDUNGI_CLAIM_CODE_TTL", def: "168h", help: "how long an agent's claim code (for a resident to link their chat) stays valid"},
	{key: "LINDUNGI_OUTBOX_RETENTION", def: "720h", help: "replies (their texts hold names and payment codes) are deleted this long after they were queued, delivered or not; at least 168h"},
	{key: "LINDUNGI_MIDTRANS_BASE_URL", def: "https://api.sandbox.midtrans.com", help: "Midtrans Core API address (https://api.midtrans.com in production)"},
	{key: "LINDUNGI_MIDTRANS_GOPAY_TOKENIZATION", def: "off", help: "on once Midtrans has switched GoPay Tokenization on for the merchant: offers auto-debit (recurring notifications at POST /payments/midtrans/recurring); off hides it"},
	{key: clock.Env, help: "tests and staging only: run the clock from an instant (2028-02-29T08:00:00+07:00) or moved by an offset (+400d); refused with LINDUNGI_ENV=production"},
}

// devKeyFile is where `make run` keeps a development data key.
const devKeyFile = ".lindungi/dev-data-key"

// config is the parsed configuration.
type config struct {
	DatabaseURL string
	HTTPAddr    string
	MetricsAddr string
	LogLevel    string
	Workers     int
	Flow        flows.Config
	Tariffs     *iuran.Table
	Discounts   *iuran.Discounts
	// OutboxRetention is how long delivered replies are kept.
	OutboxRetention time.Duration

	TelegramToken    string
	TelegramEndpoint string
	WebhookURL       string
	WebhookSecret    string
	TelegramRate     float64

	WhatsAppToken         string
	WhatsAppPhoneID       string
	WhatsAppAppSecret     string
	WhatsAppVerifyToken   string
	WhatsAppAPIURL        string
	WhatsAppBusinessID    string
	WhatsAppDisplayNumber string
	WhatsAppRate          float64
	WhatsAppHold          time.Duration

	WebSecureCookie  bool
	WebOrigins       []string
	WebFrameAncestor []string
	WebRatePerMinute int
	TelegramSenders  int // 0: the deliverer's default
	// WebStreamsPerAddress and WebMaxStreams cap the web chat's event streams.
	WebStreamsPerAddress, WebMaxStreams int

	Env               string
	PublicURL         string
	PaymentProvider   string
	MidtransServerKey string
	MidtransBaseURL   string
	GoPayTokenization bool // auto-debit offered (with the midtrans provider only)
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lookup(getenv func(string) string, key string) string {
	if v := getenv(key); v != "" {
		return v
	}
	for _, o := range options {
		if o.key == key {
			return o.def
		}
	}
	return ""
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		DatabaseURL: lookup(getenv, "DATABASE_URL"),
		HTTPAddr:    lookup(getenv, "LINDUNGI_HTTP_ADDR"),
		LogLevel:    lookup(getenv, "LINDUNGI_LOG_LEVEL"),
		Flow:        flows.DefaultConfig(),
	}
	c.Flow.Province = lookup(getenv, "LINDUNGI_PROVINCE")
	ttl, err := time.ParseDuration(lookup(getenv, "LINDUNGI_DRAFT_TTL"))
	if err != nil || ttl <= 0 {
		return c, fmt.Errorf("LINDUNGI_DRAFT_TTL: %q is not a positive duration such as 168h", getenv("LINDUNGI_DRAFT_TTL"))
	}
	c.Flow.DraftTTL = ttl
	for _, a := range []struct {
		key string
		dst *int
	}{{"LINDUNGI_MIN_AGE", &c.Flow.MinAge}, {"LINDUNGI_MAX_AGE", &c.Flow.MaxAge}} {
		n, err := strconv.Atoi(lookup(getenv, a.key))
		if err != nil || n < 0 || n > 120 {
			return c, fmt.Errorf("%s: %q is not an age", a.key, getenv(a.key))
		}
		*a.dst = n
	}
	if c.Flow.MinAge > c.Flow.MaxAge {
		return c, fmt.Errorf("LINDUNGI_MIN_AGE (%d) is above LINDUNGI_MAX_AGE (%d)", c.Flow.MinAge, c.Flow.MaxAge)
	}
	loc, err := time.LoadLocation(lookup(getenv, "LINDUNGI_TIMEZONE"))
	if err != nil {
		return c, fmt.Errorf("LINDUNGI_TIMEZONE: %w", err)
	}
	c.Flow.Location = loc
	c.Tariffs = iuran.Default()
	if path := getenv("LINDUNGI_IURAN_TABLE"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return c, fmt.Errorf("LINDUNGI_IURAN_TABLE: %w", err)
		}
		defer f.Close()
		if c.Tariffs, err = iuran.Parse(f); err != nil {
			return c, fmt.Errorf("LINDUNGI_IURAN_TABLE %s: %w", path, err)
		}
	}
	// The discounts the law sets (PP 50/2025) always apply; a deployment
	// may add dated discounts of its own.
	c.Discounts = iuran.Law()
	if path := getenv("LINDUNGI_DISCOUNTS_FILE"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return c, fmt.Errorf("LINDUNGI_DISCOUNTS_FILE: %w", err)
		}
		defer f.Close()
		more, err := iuran.ParseDiscounts(f)
		if err != nil {
			return c, fmt.Errorf("LINDUNGI_DISCOUNTS_FILE %s: %w", path, err)
		}
		if c.Discounts, err = c.Discounts.With(more); err != nil {
			return c, fmt.Errorf("LINDUNGI_DISCOUNTS_FILE %s: %w", path, err)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("LINDUNGI_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel)
	}
	c.MetricsAddr = getenv("LINDUNGI_METRICS_ADDR")
	var err2 error
	if c.Workers, err2 = strconv.Atoi(lookup(getenv, "LINDUNGI_WORKERS")); err2 != nil || c.Workers < 1 || c.Workers > 1000 {
		return c, fmt.Errorf("LINDUNGI_WORKERS: %q is not a number from 1 to 1000", getenv("LINDUNGI_WORKERS"))
	}
	c.TelegramToken = getenv("TELEGRAM_BOT_TOKEN")
	c.TelegramEndpoint = getenv("TELEGRAM_API_ENDPOINT")
	c.WebhookURL = getenv("LINDUNGI_TELEGRAM_WEBHOOK_URL")
	c.WebhookSecret = getenv("LINDUNGI_TELEGRAM_WEBHOOK_SECRET")
	if c.WebhookURL != "" {
		if c.TelegramToken == "" {
			return c, errors.New("LINDUNGI_TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not")
		}
		if !telegram.ValidSecret(c.WebhookSecret) {
			return c, errors.New("LINDUNGI_TELEGRAM_WEBHOOK_SECRET must be set in webhook mode: 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
		}
	}
	if c.TelegramRate, err2 = strconv.ParseFloat(lookup(getenv, "LINDUNGI_TELEGRAM_RATE"), 64); err2 != nil || c.TelegramRate <= 0 {
		return c, fmt.Errorf("LINDUNGI_TELEGRAM_RATE: %q is not a positive number", getenv("LINDUNGI_TELEGRAM_RATE"))
	}
	if err := loadWhatsApp(&c, getenv); err != nil {
		return c, err
	}
	if c.WebSecureCookie, err2 = strconv.ParseBool(lookup(getenv, "LINDUNGI_WEB_SECURE_COOKIE")); err2 != nil {
		return c, fmt.Errorf("LINDUNGI_WEB_SECURE_COOKIE: %q is not true or false", getenv("LINDUNGI_WEB_SECURE_COOKIE"))
	}
	c.WebOrigins = list(getenv("LINDUNGI_WEB_ALLOWED_ORIGINS"))
	c.WebFrameAncestor = list(getenv("LINDUNGI_WEB_FRAME_ANCESTORS"))
	if c.WebRatePerMinute, err2 = strconv.Atoi(lookup(getenv, "LINDUNGI_WEB_RATE_PER_MINUTE")); err2 != nil || c.WebRatePerMinute < 1 {
		return c, fmt.Errorf("LINDUNGI_WEB_RATE_PER_MINUTE: %q is not a positive number", getenv("LINDUNGI_WEB_RATE_PER_MINUTE"))
	}
	if v := getenv("LINDUNGI_TELEGRAM_SENDERS"); v != "" {
		if c.TelegramSenders, err2 = strconv.Atoi(v); err2 != nil || c.TelegramSenders < 1 || c.TelegramSenders > 4096 {
			return c, fmt.Errorf("LINDUNGI_TELEGRAM_SENDERS: %q is not a number from 1 to 4096", v)
		}
	}
	for _, o := range []struct {
		key string
		to  *int
	}{{"LINDUNGI_WEB_STREAMS_PER_ADDRESS", &c.WebStreamsPerAddress}, {"LINDUNGI_WEB_MAX_STREAMS", &c.WebMaxStreams}} {
		if *o.to, err2 = strconv.Atoi(lookup(getenv, o.key)); err2 != nil || *o.to < 1 {
			return c, fmt.Errorf("%s: %q is not a positive number", o.key, getenv(o.key))
		}
	}
	c.Flow.Admins = list(getenv("LINDUNGI_ADMINS"))
	for _, a := range c.Flow.Admins {
		if ch, id, ok := strings.Cut(a, ":"); !ok || ch == "" || id == "" || strings.ContainsAny(a, " ") {
			return c, fmt.Errorf("LINDUNGI_ADMINS: %q is not channel:user id (for example telegram:123456789)", a)
		}
	}
	fee, err2 := strconv.ParseFloat(lookup(getenv, "LINDUNGI_PERISAI_FEE"), 64)
	if err2 != nil || fee < 0 || fee > 100 {
		return c, fmt.Errorf("LINDUNGI_PERISAI_FEE: %q is not a percentage such as 7.5", getenv("LINDUNGI_PERISAI_FEE"))
	}
	c.Flow.PerisaiFeeBP = int(fee*100 + 0.5)
	if c.Flow.PerisaiAgentShare, err2 = strconv.Atoi(lookup(getenv, "LINDUNGI_PERISAI_AGENT_SHARE")); err2 != nil || c.Flow.PerisaiAgentShare < 0 || c.Flow.PerisaiAgentShare > 100 {
		return c, fmt.Errorf("LINDUNGI_PERISAI_AGENT_SHARE: %q is not a percentage from 0 to 100", getenv("LINDUNGI_PERISAI_AGENT_SHARE"))
	}
	if c.Flow.ClaimCodeTTL, err2 = time.ParseDuration(lookup(getenv, "LINDUNGI_CLAIM_CODE_TTL")); err2 != nil || c.Flow.ClaimCodeTTL <= 0 {
		return c, fmt.Errorf("LINDUNGI_CLAIM_CODE_TTL: %q is not a positive duration such as 168h", getenv("LINDUNGI_CLAIM_CODE_TTL"))
	}
	if c.OutboxRetention, err2 = time.ParseDuration(lookup(getenv, "LINDUNGI_OUTBOX_RETENTION")); err2 != nil || c.OutboxRetention < 7*24*time.Hour {
		// Shorter, an outage of the channel could delete replies before they go out.
		return c, fmt.Errorf("LINDUNGI_OUTBOX_RETENTION: %q is not a duration of at least 168h (a week), such as 720h", getenv("LINDUNGI_OUTBOX_RETENTION"))
	}
	if q := lookup(getenv, "LINDUNGI_QUIET_HOURS"); q == "off" {
		c.Flow.QuietFrom, c.Flow.QuietTo = "", ""
	} else {
		from, to, ok := strings.Cut(q, "-")
		c.Flow.QuietFrom, c.Flow.QuietTo = strings.TrimSpace(from), strings.TrimSpace(to)
		if !ok || !validClock(c.Flow.QuietFrom) || !validClock(c.Flow.QuietTo) {
			return c, fmt.Errorf("LINDUNGI_QUIET_HOURS: %q is not HH:MM-HH:MM (for example 21:00-07:00) or off", q)
		}
	}
	c.Env = lookup(getenv, "LINDUNGI_ENV")
	if c.Env != "development" && c.Env != "production" {
		return c, fmt.Errorf("LINDUNGI_ENV: %q is not development or production", c.Env)
	}
	c.PublicURL = strings.TrimRight(lookup(getenv, "LINDUNGI_PUBLIC_URL"), "/")
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	c.PaymentProvider = lookup(getenv, "LINDUNGI_PAYMENT_PROVIDER")
	c.MidtransServerKey = getenv("LINDUNGI_MIDTRANS_SERVER_KEY")
	c.MidtransBaseURL = lookup(getenv, "LINDUNGI_MIDTRANS_BASE_URL")
	switch v := lookup(getenv, "LINDUNGI_MIDTRANS_GOPAY_TOKENIZATION"); v {
	case "on", "off":
		c.GoPayTokenization = v == "on"
	default:
		return c, fmt.Errorf("LINDUNGI_MIDTRANS_GOPAY_TOKENIZATION: %q is not on or off", v)
	}
	if raw := strings.TrimSpace(getenv(clock.Env)); raw != "" {
		if _, err := clock.Parse(raw, clock.Now()); err != nil {
			return c, fmt.Errorf("%s: %q: %w", clock.Env, raw, err)
		}
		if c.Env == "production" {
			return c, fmt.Errorf("LINDUNGI_ENV=production: %s moves the clock, for tests and staging only; unset it", clock.Env)
		}
	}
	if err := clock.Check(); err != nil {
		return c, err
	}
	if c.Env == "production" {
		if c.PaymentProvider == "sandbox" {
			return c, errors.New("LINDUNGI_ENV=production: the sandbox payment provider is for development; set LINDUNGI_PAYMENT_PROVIDER")
		}
		if strings.HasSuffix(getenv("LINDUNGI_DATA_KEY_FILE"), devKeyFile) {
			return c, errors.New("LINDUNGI_ENV=production: the development data key must not be used; set LINDUNGI_DATA_KEY or LINDUNGI_DATA_KEY_FILE")
		}
	}
	return c, nil
}

// printOptions writes the configuration table for --help.
func printOptions(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "variable\tdefault\tmeaning")
	for _, o := range options {
		def := o.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", o.key, def, o.help)
	}
	tw.Flush()
}

// validClock checks "HH:MM".
func validClock(s string) bool {
	t, err := time.Parse("15:04", s)
	return err == nil && t.Format("15:04") == s
}

// loadWhatsApp reads the WHATSAPP_* variables: the channel is on when the
// access token is set, and then needs the phone number id, the app secret
// and the verify token.
func loadWhatsApp(c *config, getenv func(string) string) error {
	c.WhatsAppToken = getenv("WHATSAPP_ACCESS_TOKEN")
	c.WhatsAppPhoneID = getenv("WHATSAPP_PHONE_NUMBER_ID")
	c.WhatsAppAppSecret = getenv("WHATSAPP_APP_SECRET")
	c.WhatsAppVerifyToken = getenv("WHATSAPP_VERIFY_TOKEN")
	c.WhatsAppAPIURL = strings.TrimRight(lookup(getenv, "WHATSAPP_API_URL"), "/")
	c.WhatsAppBusinessID = getenv("WHATSAPP_BUSINESS_ACCOUNT_ID")
	c.WhatsAppDisplayNumber = strings.TrimPrefix(strings.NewReplacer(" ", "", "-", "").Replace(getenv("WHATSAPP_DISPLAY_NUMBER")), "+")
	if n := c.WhatsAppDisplayNumber; n != "" && (len(n) < 8 || len(n) > 15 || strings.Trim(n, "0123456789") != "") {
		return fmt.Errorf("WHATSAPP_DISPLAY_NUMBER: %q is not a phone number in digits with the country code, such as 62811000000", getenv("WHATSAPP_DISPLAY_NUMBER"))
	}
	c.Flow.WhatsAppNumber = c.WhatsAppDisplayNumber
	if !strings.HasPrefix(c.WhatsAppAPIURL, "https://") && !strings.HasPrefix(c.WhatsAppAPIURL, "http://") {
		return fmt.Errorf("WHATSAPP_API_URL: %q is not an http(s) URL such as https://graph.facebook.com/v23.0", c.WhatsAppAPIURL)
	}
	r, err := strconv.ParseFloat(lookup(getenv, "LINDUNGI_WHATSAPP_RATE"), 64)
	if err != nil || r <= 0 || r > 1000 {
		return fmt.Errorf("LINDUNGI_WHATSAPP_RATE: %q is not a number of messages a second from 1 to 1000", getenv("LINDUNGI_WHATSAPP_RATE"))
	}
	c.WhatsAppRate = r
	if c.WhatsAppHold, err = time.ParseDuration(lookup(getenv, "LINDUNGI_WHATSAPP_HOLD")); err != nil || c.WhatsAppHold < 0 || c.WhatsAppHold > 5*time.Second {
		return fmt.Errorf("LINDUNGI_WHATSAPP_HOLD: %q is not a duration from 0s to 5s, such as 50ms", getenv("LINDUNGI_WHATSAPP_HOLD"))
	}
	if c.WhatsAppToken == "" {
		return nil
	}
	for _, need := range []struct{ key, val string }{
		{"WHATSAPP_PHONE_NUMBER_ID", c.WhatsAppPhoneID}, {"WHATSAPP_APP_SECRET", c.WhatsAppAppSecret}, {"WHATSAPP_VERIFY_TOKEN", c.WhatsAppVerifyToken},
	} {
		if need.val == "" {
			return fmt.Errorf("WHATSAPP_ACCESS_TOKEN is set but %s is not: the WhatsApp channel needs it (see the README's WhatsApp section)", need.key)
		}
	}
	return nil
}
