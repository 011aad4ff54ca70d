package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxBroadcastText is the longest broadcast text, in characters (a
// Telegram message holds 4,096; a WhatsApp template's parameter fewer once
// its lead and tail are added).
const MaxBroadcastText = 3000

// maxBroadcastAhead is how far ahead a broadcast may be scheduled.
const maxBroadcastAhead = 60 * 24 * time.Hour

// BroadcastDraft is a broadcast composed on the dashboard.
type BroadcastDraft struct {
	Segment Segment
	Text    string
	Button  string    // Button*
	At      time.Time // zero: now
	// Key is the form's own (random, kept across its previews): sent
	// twice, it is one broadcast.
	Key string
}

// ChannelPreview is a draft as one channel shows it.
type ChannelPreview struct {
	Channel string
	Count   int    // the draft's recipients on it now
	Text    string // the text as it arrives, *bold* and _italic_ marked
	Buttons []string
	// WhatsApp sends broadcasts as approved templates: the template's
	// name, and how many recipients wrote in the last 24 hours (free) and
	// how many not (each message paid for).
	Template        string
	Inside, Outside int
}

// BroadcastPreview is what a draft would do now.
type BroadcastPreview struct {
	Count    int // people it reaches, each once
	Channels []ChannelPreview
	// Problem is the text key of what stops it being sent ("" for none).
	Problem string
}

// checkDraft is the text key of what is wrong with a draft ("" for
// nothing); a value the page never offers is an error.
func checkDraft(d BroadcastDraft, now time.Time) (string, error) {
	s := d.Segment
	bad := func(dim string, got, allowed []string) error {
		for _, v := range got {
			if !slices.Contains(allowed, v) {
				return fmt.Errorf("broadcast draft: %s %q: %w", dim, v, ErrRefused)
			}
		}
		return nil
	}
	if err := bad("standing", s.Standings, standings); err != nil {
		return "", err
	}
	if err := bad("payer", s.Payers, payers); err != nil {
		return "", err
	}
	if err := bad("occupation", s.Occupations, Occupations); err != nil {
		return "", err
	}
	if err := bad("channel", s.Channels, BroadcastChannels); err != nil {
		return "", err
	}
	if s.JHT != "" && s.JHT != "with" && s.JHT != "without" {
		return "", fmt.Errorf("broadcast draft: jht %q: %w", s.JHT, ErrRefused)
	}
	if !slices.Contains([]string{ButtonNone, ButtonPay, ButtonStatus, ButtonCard}, d.Button) {
		return "", fmt.Errorf("broadcast draft: button %q: %w", d.Button, ErrRefused)
	}
	switch {
	case s.DueDays < 1 || s.DueDays > 90:
		return "dasbor.bc.err.due_days", nil
	case strings.TrimSpace(d.Text) == "":
		return "dasbor.bc.err.no_text", nil
	case len([]rune(d.Text)) > MaxBroadcastText:
		return "dasbor.bc.err.too_long", nil
	case !d.At.IsZero() && !d.At.After(now):
		return "dasbor.bc.err.past", nil
	case !d.At.IsZero() && d.At.Sub(now) > maxBroadcastAhead:
		return "dasbor.bc.err.far", nil
	}
	return "", nil
}

// PreviewBroadcast counts a draft's recipients and shows it as each
// channel they are on will: the text, its button, and on WhatsApp the
// template it goes as. Problem says what stops it being sent.
func (e *Engine) PreviewBroadcast(ctx context.Context, actor, lang string, d BroadcastDraft) (BroadcastPreview, error) {
	var out BroadcastPreview
	err := e.staff(ctx, actor, func(ctx context.Context, t *turn) error {
		problem, err := checkDraft(d, t.now)
		if err != nil {
			return err
		}
		out.Problem = problem
		if out.Count, err = t.tx.SegmentCount(ctx, d.Segment); err != nil {
			return err
		}
		if out.Count == 0 && out.Problem == "" {
			out.Problem = "dasbor.bc.err.nobody"
		}
		r := e.BroadcastReply(lang, d.Text, d.Button)
		var buttons []string
		for _, c := range r.Choices {
			buttons = append(buttons, c.Label)
		}
		for _, ch := range BroadcastChannels {
			if len(d.Segment.Channels) > 0 && !slices.Contains(d.Segment.Channels, ch) {
				continue
			}
			one := d.Segment
			one.Channels = []string{ch}
			p := ChannelPreview{Channel: ch, Text: d.Text, Buttons: buttons}
			if p.Count, err = t.tx.SegmentCount(ctx, one); err != nil {
				return err
			}
			if ch == whatsAppChannel {
				if e.templates == nil {
					continue // no WhatsApp here
				}
				tpl, ok := e.templates.For(broadcastKind(d.Button), lang)
				if !ok {
					return fmt.Errorf("no WhatsApp template for %s", broadcastKind(d.Button))
				}
				p.Template = tpl.Name
				p.Text = strings.Replace(tpl.Body, "{{1}}", strings.Join(strings.Fields(d.Text), " "), 1)
				p.Buttons = nil
				for _, b := range tpl.Buttons {
					p.Buttons = append(p.Buttons, b.Label)
				}
				if p.Inside, p.Outside, err = t.tx.SegmentWindow(ctx, d.Segment, whatsAppChannel, t.now.Add(-whatsAppWindow)); err != nil {
					return err
				}
			}
			if p.Count == 0 && ch == "console" {
				continue // the terminal chat is for trying things out
			}
			out.Channels = append(out.Channels, p)
		}
		return nil
	})
	if err != nil {
		return BroadcastPreview{}, fmt.Errorf("preview broadcast: %w", err)
	}
	return out, nil
}

// SendBroadcast stores a draft to go now or at its time, as actor (the
// audit log names them). ErrRefused, wrapped with the text key of the
// reason, when the draft cannot be sent (no text, nobody to reach…).
func (e *Engine) SendBroadcast(ctx context.Context, actor string, d BroadcastDraft) (int64, error) {
	var id int64
	err := e.staff(ctx, actor, func(ctx context.Context, t *turn) error {
		problem, err := checkDraft(d, t.now)
		if err != nil {
			return err
		}
		if problem == "" {
			n, err := t.tx.SegmentCount(ctx, d.Segment)
			if err != nil {
				return err
			}
			if n == 0 {
				problem = "dasbor.bc.err.nobody"
			}
		}
		if problem != "" {
			return &RefusedError{Key: problem}
		}
		id, err = t.tx.CreateBroadcast(ctx, Broadcast{Segment: d.Segment, Text: strings.TrimSpace(d.Text), Button: d.Button, ScheduledAt: d.At,
			CreatedBy: actor, DraftKey: d.Key})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("send broadcast: %w", err)
	}
	return id, nil
}

// SetBroadcastStatus pauses, resumes or cancels a broadcast from the
// dashboard, as actor. ErrNotFound for a move its status does not allow.
func (e *Engine) SetBroadcastStatus(ctx context.Context, actor string, id int64, status string) (BroadcastProgress, error) {
	var out BroadcastProgress
	err := e.staff(ctx, actor, func(ctx context.Context, t *turn) error {
		p, err := t.tx.SetBroadcastStatus(ctx, id, status)
		out = p
		return err
	})
	return out, err
}

// RefusedError is ErrRefused with the text key that says why.
type RefusedError struct{ Key string }

func (e *RefusedError) Error() string { return "refused: " + e.Key }

// Unwrap makes errors.Is(err, ErrRefused) hold.
func (e *RefusedError) Unwrap() error { return ErrRefused }

// SegmentOption is one value a segment's filter offers.
type SegmentOption struct{ Value, Label string }

// SegmentFilter is one filter of a segment and the values it offers.
type SegmentFilter struct {
	Name    string // "reg", "st", "oc", "jht", "pay", "ch"
	Label   string
	Options []SegmentOption
}

// SegmentFilters are the filters a segment is built of on the dashboard,
// in lang, with the values the chat's composer offers (the kabupaten/kota
// of the province; the page lists each one's kecamatan itself).
func (e *Engine) SegmentFilters(lang string, s Segment) []SegmentFilter {
	t := &turn{Engine: e, s: &Session{Lang: lang, Data: Answers{Seg: &s}}}
	var out []SegmentFilter
	for _, dim := range []string{dimRegency, dimStanding, dimOccupation, dimJHT, dimPayer, dimChannel} {
		f := SegmentFilter{Name: dim, Label: t.T("broadcast.dim."+dim, nil)}
		for _, o := range t.options(dim) {
			f.Options = append(f.Options, SegmentOption{o.value, o.label})
		}
		out = append(out, f)
	}
	return out
}

// SegmentSummary describes a segment in lines, in lang, as the chat's
// composer does.
func (e *Engine) SegmentSummary(lang string, s Segment) string {
	t := &turn{Engine: e, s: &Session{Lang: lang}}
	return t.segmentSummary(&s)
}
