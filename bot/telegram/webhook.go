package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// SecretHeader carries the webhook's secret_token on every delivery.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxWebhookBody bounds a webhook request body; real updates are a few KB.
const maxWebhookBody = 1 << 20

// ValidSecret reports whether s can be a webhook secret_token: 1–256
// characters of A-Z, a-z, 0-9, _ and -.
func ValidSecret(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// webhookConnections is the max_connections the webhook asks for.
const webhookConnections = 100

// SetWebhook tells Telegram to deliver updates to webhookURL (https; a self-hosted
// Bot API server also takes http) with
// secret in the X-Telegram-Bot-Api-Secret-Token header. The library's
// WebhookConfig has no secret_token (its issue #670), so the request is made
// by hand.
func (c *Client) SetWebhook(ctx context.Context, webhookURL, secret string) error {
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// Telegram wants https; a self-hosted Bot API server (--local) takes http too.
		return fmt.Errorf("telegram: webhook URL must be an https URL, got %q", webhookURL)
	}
	if !ValidSecret(secret) {
		return errors.New("telegram: webhook secret must be 1–256 characters of A-Z, a-z, 0-9, _ and -")
	}
	// Telegram opens at most max_connections to the webhook at once (its
	// default 40): each holds one update until the 200, so at a 250 ms
	// round trip 40 would cap the bot at 160 updates a second. 100 is the
	// most it allows.
	p := tgbotapi.Params{"url": webhookURL, "secret_token": secret, "max_connections": strconv.Itoa(webhookConnections)}
	if err := p.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return fmt.Errorf("telegram: setWebhook: %w", err)
	}
	if _, err := c.api(ctx).MakeRequest("setWebhook", p); err != nil {
		return fmt.Errorf("telegram: setWebhook: %w", err)
	}
	return nil
}

// DeleteWebhook removes the webhook (polling needs that), keeping the
// updates that wait.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	if _, err := c.api(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		return fmt.Errorf("telegram: deleteWebhook: %w", err)
	}
	return nil
}

// WebhookHandler takes Telegram's webhook deliveries (mount it at POST
// /telegram/webhook). A request without the right secret header gets 401 and
// nothing is processed; a body that is not an update gets 400; an update the
// bot does not act on gets 200. Otherwise the event goes to submit, and the
// answer is 200 only after submit returned nil, else 500 so that Telegram
// delivers it again (a replayed update is ignored by the engine). After
// A button press is handed to ack (Client.AcknowledgeSoon; may be nil) at
// once, before it is stored: its spinner stops while the engine works, and
// nothing on the way to the 200 waits for it.
func WebhookHandler(secret string, submit Submit, ack func(u tgbotapi.Update), log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	refused := bot.NewRefusals(log, "telegram webhook: wrong or missing secret")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get(SecretHeader)
		if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			if !refused.Note(r.RemoteAddr) {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "too many requests", http.StatusTooManyRequests)
				return
			}
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, ok := bot.ReadBody(w, r, maxWebhookBody)
		if !ok {
			return
		}
		var u tgbotapi.Update
		if err := json.Unmarshal(body, &u); err != nil {
			http.Error(w, "body is not a Telegram update", http.StatusBadRequest)
			return
		}
		ev, ok := ToEvent(u)
		if !ok {
			w.WriteHeader(http.StatusOK)
			return
		}
		ev.Received = clock.Now()
		if ack != nil && u.CallbackQuery != nil {
			ack(u)
		}
		if err := submit(r.Context(), []flows.Event{ev}); err != nil {
			log.Error("telegram webhook: submit", "err", err, "update_id", u.UpdateID, "chat_id", ev.ChatID)
			http.Error(w, "not stored, try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
