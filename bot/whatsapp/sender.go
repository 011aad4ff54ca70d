package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
)

// Sender is the channel's bot.PartSender: the deliverer sends the outbox
// through it. It adds to Client.SendFrom what the 24-hour window needs: a
// reply to a chat whose window closed goes as its template.
type Sender struct {
	Client *Client
	// Template gives the approved template that carries a reply outside
	// the window (a reminder, a settled payment, a KPJ notice); false when
	// the reply has none.
	Template func(chatID string, r flows.Reply) (Template, bool)
	// LastInbound, when set, tells when the chat last wrote (zero: never):
	// outside the window a reply goes as its template at once, or is
	// refused (Permanent) when it has none, without a call. When nil, a
	// reply goes free-form, and one refused with 131047 goes again as its
	// template.
	LastInbound func(ctx context.Context, chatID string) (time.Time, error)
	// Sent, when set, is told the wamids of every reply delivered (the
	// status webhooks name them), the template's when it went as one. It
	// returns a failure a status webhook that came first reported for one
	// of them (a *Error): the send is then handled as if Meta had refused it.
	Sent func(ctx context.Context, chatID string, r flows.Reply, wamids []string) error
	// Refused, when set, is told of every send Meta refused at once,
	// free-form or template (its error may say something of the chat:
	// 131047 its window closed, 131050 it stopped marketing messages),
	// before the refusal is handled.
	Refused func(ctx context.Context, chatID string, e *Error)
}

var _ bot.PartSender = (*Sender)(nil)

// Send delivers a reply (bot.Sender).
func (s *Sender) Send(ctx context.Context, chatID string, r flows.Reply) error {
	return s.SendFrom(ctx, chatID, r, 0)
}

// SendFrom delivers a reply from its part from on (bot.PartSender).
func (s *Sender) SendFrom(ctx context.Context, chatID string, r flows.Reply, from int) error {
	if r.Notice != nil && r.Notice.Always && from == 0 {
		return s.asTemplate(ctx, chatID, r, errors.New("it always goes as its template"))
	}
	if s.LastInbound != nil {
		last, err := s.LastInbound(ctx, chatID)
		if err != nil {
			return &bot.SendError{Kind: bot.Retryable, Err: fmt.Errorf("whatsapp: when %s last wrote: %w", who(chatID), err)}
		}
		if !s.Client.InWindow(last) {
			return s.asTemplate(ctx, chatID, r, errors.New("outside the 24-hour window"))
		}
	}
	ids, err := s.Client.SendFrom(ctx, chatID, r, from)
	if e := s.answered(ctx, chatID, r, ids, &err); e != nil && e.WindowClosed() {
		return s.asTemplate(ctx, chatID, r, err)
	}
	return err
}

// answered tells Sent of the wamids a send got and Refused of its refusal,
// and returns Meta's error of the send (nil when it went, or failed another
// way). A failure a status webhook reported first counts as a refusal: it
// becomes *errp.
func (s *Sender) answered(ctx context.Context, chatID string, r flows.Reply, ids []string, errp *error) *Error {
	if s.Sent != nil && len(ids) > 0 {
		if later := s.Sent(ctx, chatID, r, ids); later != nil && *errp == nil {
			*errp = classify(later)
		}
	}
	var e *Error
	if !errors.As(*errp, &e) {
		return nil
	}
	if s.Refused != nil {
		s.Refused(ctx, chatID, e)
	}
	return e
}

// asTemplate sends the reply's template instead, because why.
func (s *Sender) asTemplate(ctx context.Context, chatID string, r flows.Reply, why error) error {
	var t Template
	ok := false
	if s.Template != nil {
		t, ok = s.Template(chatID, r)
	}
	if !ok {
		return &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("whatsapp: a reply to %s has no template to go as: %w", who(chatID), why)}
	}
	id, err := s.Client.SendTemplateMessage(ctx, chatID, t)
	var ids []string
	if err == nil {
		ids = []string{id}
	}
	if e := s.answered(ctx, chatID, r, ids, &err); e != nil && e.TemplateProblem() {
		// Not the chat's fault: the template is missing, paused or its
		// parameters do not match. The reply is kept, failed, in the outbox.
		s.Client.log.Error("whatsapp: a template was refused; an admin must look at it (lindungi whatsapp templates --status)",
			"template", t.Name, "language", t.Lang, "chat_id", who(chatID), "err", e)
	}
	return err
}
