package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/whatsapp"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
)

// statusBatch is how long deliveries and reads wait to be written together.
const statusBatch = 200 * time.Millisecond

// startWhatsApp makes the WhatsApp channel: its client (checked against
// the Graph API: a refused token is reported by /readyz, not fatal, so the
// other channels go on), its sender for the deliverer, and the webhook.
func startWhatsApp(ctx context.Context, cfg config, d deps, metrics *bot.Metrics, submit whatsapp.Submit, poke func(),
	stdout io.Writer) (*waChannel, error) {
	log := d.log.With("channel", whatsapp.Channel)
	wa, err := whatsapp.New(whatsapp.Options{AccessToken: cfg.WhatsAppToken, PhoneNumberID: cfg.WhatsAppPhoneID, BusinessAccountID: cfg.WhatsAppBusinessID,
		APIURL: cfg.WhatsAppAPIURL, Now: clock.Now, Log: log, Photos: d.photos, Menus: menus{d.db}, Typing: true,
		ListButton: d.cat.T("id", "whatsapp.list_button", nil), NextLabel: d.cat.T("id", "whatsapp.next_page", nil),
		PrevLabel: d.cat.T("id", "whatsapp.prev_page", nil), Called: metrics.Called(whatsapp.Channel)})
	if err != nil {
		return nil, fmt.Errorf("whatsapp: %w", err)
	}
	number, err := wa.Check(ctx)
	switch {
	case err == nil:
		fmt.Fprintf(stdout, "whatsapp number %s (%s) running (webhook at /whatsapp/webhook)\n", number.DisplayPhoneNumber, number.VerifiedName)
	case wa.Unhealthy() != nil:
		log.Error("whatsapp: the access token was refused; /readyz fails until a call works again", "err", err)
		fmt.Fprintln(stdout, "whatsapp: the access token was refused (see /readyz); webhook at /whatsapp/webhook")
	default:
		log.Warn("whatsapp: the phone number could not be checked", "err", err)
		fmt.Fprintln(stdout, "whatsapp: running, the phone number not checked yet (webhook at /whatsapp/webhook)")
	}
	windows := whatsapp.NewWindows(clock.Now)
	statuses := &whatsapp.Statuses{Store: d.db, Log: log, Poke: poke, Windows: windows, Batch: statusBatch}
	sender := &whatsapp.Sender{Client: wa,
		Template: func(_ string, r flows.Reply) (whatsapp.Template, bool) {
			if r.Notice == nil {
				return whatsapp.Template{}, false
			}
			return waTemplateFor(d.templates, *r.Notice)
		},
		LastInbound: func(ctx context.Context, chatID string) (time.Time, error) {
			if at, ok := windows.Open(chatID); ok {
				return at, nil
			}
			return d.db.LastInbound(ctx, whatsapp.Channel, chatID)
		},
		Sent:    statuses.Sent,
		Refused: statuses.Refused,
	}
	hook := whatsapp.WebhookHandler(whatsapp.WebhookOptions{VerifyToken: cfg.WhatsAppVerifyToken, AppSecret: cfg.WhatsAppAppSecret,
		Submit: func(ctx context.Context, evs []flows.Event) error {
			err := submit(ctx, evs)
			if err == nil {
				for _, ev := range evs {
					windows.Heard(ev.ChatID, ev.Received)
				}
			}
			return err
		}, Statuses: statuses.Apply, Pages: wa, Seen: wa.MarkReadSoon, Hold: cfg.WhatsAppHold, Log: log, Now: clock.Now})
	return &waChannel{client: wa, sender: sender, hook: hook, statuses: statuses}, nil
}

// waChannel is the WhatsApp channel serve runs.
type waChannel struct {
	client   *whatsapp.Client
	sender   *whatsapp.Sender
	hook     http.Handler
	statuses *whatsapp.Statuses // Run writes the batched deliveries and reads
}

// menus keeps the lists in pages in the database, for every process.
type menus struct{ db *store.DB }

func (m menus) SaveMenu(ctx context.Context, chatID, key string, r flows.Reply) error {
	return m.db.SaveMenu(ctx, whatsapp.Channel, chatID, key, r)
}

func (m menus) Menu(ctx context.Context, chatID, key string) (flows.Reply, error) {
	r, err := m.db.Menu(ctx, whatsapp.Channel, chatID, key)
	if errors.Is(err, flows.ErrNotFound) {
		return r, fmt.Errorf("%w: %w", whatsapp.ErrNoMenu, err)
	}
	return r, err
}
