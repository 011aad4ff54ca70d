package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
	templates, err := loadTemplates(d.cat)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: %w", err)
	}
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
			return templates.For(*r.Notice)
		},
		LastInbound: func(ctx context.Context, chatID string) (time.Time, error) {
			if at, ok := windows.Open(chatID); ok {
				return at, nil
			}
			return d.db.LastInbound(ctx, whatsapp.Channel, chatID)
		},
		Sent: func(ctx context.Context, chatID string, _ flows.Reply, wamids []string) error {
			s := bot.SendingOf(ctx)
			if e := statuses.Sent(context.WithoutCancel(ctx), chatID, s.Outbox, s.Broadcast, wamids); e != nil {
				return e
			}
			return nil
		},
		Refused: func(ctx context.Context, chatID string, e *whatsapp.Error) {
			statuses.Refused(context.WithoutCancel(ctx), chatID, e)
		},
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

// maxTemplateBody is the most characters a template's body may have with
// its parameters filled in (Meta refuses a longer one with 132000-range
// errors).
const maxTemplateBody = 1024

// fitParams shortens the longest parameters (a broadcast's or a notice's
// whole text) so that body, filled in, stays within maxTemplateBody; what is
// cut ends in "…".
func fitParams(body string, params []string) []string {
	fixed := utf8.RuneCountInString(body)
	for i := range params {
		fixed -= utf8.RuneCountInString(fmt.Sprintf("{{%d}}", i+1))
	}
	out := slices.Clone(params)
	for {
		total, longest := fixed, -1
		for i, p := range out {
			n := utf8.RuneCountInString(p)
			total += n
			if longest < 0 || n > utf8.RuneCountInString(out[longest]) {
				longest = i
			}
		}
		if total <= maxTemplateBody || longest < 0 || utf8.RuneCountInString(out[longest]) <= 1 {
			return out
		}
		r := []rune(out[longest])
		keep := max(len(r)-(total-maxTemplateBody)-1, 0)
		out[longest] = strings.TrimSpace(string(r[:keep])) + "…"
	}
}
