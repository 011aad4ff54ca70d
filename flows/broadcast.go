package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/tanggal"
	"github.com/lindungi/lindungi/wilayah"
)

// States of composing a broadcast (admins only).
const (
	StBcSegment  State = "bc_segment"  // who receives it, with the count
	StBcPick     State = "bc_pick"     // the values of one filter
	StBcText     State = "bc_text"     // the message
	StBcButton   State = "bc_button"   // an optional button
	StBcPreview  State = "bc_preview"  // as recipients will see it: send, schedule or change
	StBcSchedule State = "bc_schedule" // when
)

// Events of composing a broadcast.
const (
	EvBroadcast   = "broadcast"
	EvPick        = "pick"
	EvEditText    = "edit_text"
	EvEditSegment = "edit_segment"
)

var broadcastStates = []State{StBcSegment, StBcPick, StBcText, StBcButton, StBcPreview, StBcSchedule}

var broadcastEvents = table{
	{EvBroadcast, append(slices.Clone(applyFrom), broadcastStates...), StBcSegment},
	{EvPick, []State{StBcSegment}, StBcPick},
	{EvNext, []State{StBcPick}, StBcSegment},
	{EvNext, []State{StBcSegment}, StBcText},
	{EvNext, []State{StBcText}, StBcButton},
	{EvNext, []State{StBcButton}, StBcPreview},
	{EvAlt, []State{StBcPreview}, StBcSchedule},
	{EvConfirm, []State{StBcPreview, StBcSchedule}, StWelcome},
	{EvEditText, []State{StBcPreview}, StBcText},
	{EvEditSegment, []State{StBcPreview}, StBcSegment},
	{EvBack, []State{StBcPick, StBcText}, StBcSegment},
	{EvBack, []State{StBcButton}, StBcText},
	{EvBack, []State{StBcPreview}, StBcButton},
	{EvBack, []State{StBcSchedule}, StBcPreview},
	{EvCancel, broadcastStates, StWelcome},
}

// maxBroadcastText is the longest broadcast: one Telegram message with room to spare.
const maxBroadcastText = 3000

// Filters of a segment, as the composer names them.
const (
	dimRegency    = "reg"
	dimDistrict   = "dist"
	dimStanding   = "st"
	dimOccupation = "oc"
	dimJHT        = "jht"
	dimPayer      = "pay"
	dimChannel    = "ch"
)

// BroadcastChannels are the channels a segment can be narrowed to.
var BroadcastChannels = []string{"telegram", "whatsapp", "web", "console"}

var standings = []string{StandingAwaiting, StandingActive, StandingDue, StandingArrears, StandingEnded}
var payers = []string{PayerSelf, PayerAgent, PayerSponsor}

// startBroadcast answers /siaran (admins only).
func (t *turn) startBroadcast(ctx context.Context) error {
	if busy, err := t.busy(ctx); busy {
		return err
	}
	t.s.Data = Answers{Seg: &Segment{}}
	t.s.Pending = ""
	return t.fire(ctx, EvBroadcast, "")
}

// dueDays is the "ends within" window of the due standing.
func dueDays(s *Segment) int {
	if s.DueDays > 0 {
		return s.DueDays
	}
	return 7
}

// segmentSummary describes a segment in lines.
func (t *turn) segmentSummary(s *Segment) string {
	all := t.T("broadcast.any", nil)
	names := func(codes []string) string {
		if len(codes) == 0 {
			return all
		}
		var out []string
		for _, c := range codes {
			out = append(out, t.regionName(c))
		}
		return strings.Join(out, ", ")
	}
	labels := func(values []string, label func(string) string) string {
		if len(values) == 0 {
			return all
		}
		var out []string
		for _, v := range values {
			out = append(out, label(v))
		}
		return strings.Join(out, ", ")
	}
	jht := all
	if s.JHT != "" {
		jht = t.T("broadcast.jht."+s.JHT, nil)
	}
	who := t.T("broadcast.who.workers", nil)
	if s.AgentsOnly {
		who = t.T("broadcast.who.agents", nil)
	}
	lines := []string{
		t.T("broadcast.field.who", map[string]any{"Value": who}),
		t.T("broadcast.field.regency", map[string]any{"Value": names(s.Regencies)}),
		t.T("broadcast.field.district", map[string]any{"Value": names(s.Districts)}),
		t.T("broadcast.field.channel", map[string]any{"Value": labels(s.Channels, func(v string) string { return t.T("broadcast.channel."+v, nil) })}),
	}
	if !s.AgentsOnly {
		lines = append(lines,
			t.T("broadcast.field.standing", map[string]any{"Value": labels(s.Standings, func(v string) string { return t.standingOption(s, v) })}),
			t.T("broadcast.field.occupation", map[string]any{"Value": labels(s.Occupations, func(v string) string { return t.T("occupation."+v, nil) })}),
			t.T("broadcast.field.jht", map[string]any{"Value": jht}),
			t.T("broadcast.field.payer", map[string]any{"Value": labels(s.Payers, func(v string) string { return t.T("broadcast.payer."+v, nil) })}),
		)
	}
	return strings.Join(lines, "\n")
}

func (t *turn) standingOption(s *Segment, v string) string {
	return t.T("broadcast.standing."+v, map[string]any{"Days": dueDays(s)})
}

// option is one value of a filter.
type option struct{ value, label string }

// options lists the values a filter offers.
func (t *turn) options(dim string) []option {
	s := t.s.Data.Seg
	var out []option
	switch dim {
	case dimRegency:
		for _, r := range t.regions.Children(t.cfg.Province) {
			out = append(out, option{r.Code, regionLabel(r)})
		}
		// Regencies found by name elsewhere stay offered while chosen.
		for _, c := range s.Regencies {
			if r, ok := t.regions.Get(c); ok && r.Parent != t.cfg.Province {
				out = append(out, option{c, regionLabel(r)})
			}
		}
	case dimDistrict:
		for _, reg := range s.Regencies {
			for _, r := range t.regions.Children(reg) {
				out = append(out, option{r.Code, r.Name})
			}
		}
	case dimStanding:
		for _, v := range standings {
			out = append(out, option{v, t.standingOption(s, v)})
		}
	case dimOccupation:
		for _, v := range Occupations {
			out = append(out, option{v, t.T("occupation."+v, nil)})
		}
	case dimJHT:
		out = []option{{"with", t.T("broadcast.jht.with", nil)}, {"without", t.T("broadcast.jht.without", nil)}}
	case dimPayer:
		for _, v := range payers {
			out = append(out, option{v, t.T("broadcast.payer."+v, nil)})
		}
	case dimChannel:
		for _, v := range BroadcastChannels {
			out = append(out, option{v, t.T("broadcast.channel."+v, nil)})
		}
	}
	return out
}

// chosen is the list of values a filter holds.
func (t *turn) chosen(dim string) *[]string {
	s := t.s.Data.Seg
	switch dim {
	case dimRegency:
		return &s.Regencies
	case dimDistrict:
		return &s.Districts
	case dimStanding:
		return &s.Standings
	case dimOccupation:
		return &s.Occupations
	case dimPayer:
		return &s.Payers
	case dimChannel:
		return &s.Channels
	}
	return nil
}

func (t *turn) isChosen(dim, value string) bool {
	if dim == dimJHT {
		return t.s.Data.Seg.JHT == value
	}
	return slices.Contains(*t.chosen(dim), value)
}

// toggle adds or removes a filter's value (JHT holds one value at most).
func (t *turn) toggle(dim, value string) {
	s := t.s.Data.Seg
	if dim == dimJHT {
		if s.JHT == value {
			s.JHT = ""
		} else {
			s.JHT = value
		}
		return
	}
	list := t.chosen(dim)
	if i := slices.Index(*list, value); i >= 0 {
		*list = slices.Delete(*list, i, i+1)
	} else {
		*list = append(*list, value)
	}
	if dim == dimRegency {
		// Districts follow their regencies.
		s.Districts = slices.DeleteFunc(s.Districts, func(d string) bool { return !slices.Contains(s.Regencies, parentCode(d)) })
	}
}

// broadcastQuestions are the questions of writing a broadcast (see question).
func broadcastQuestions() map[State]question {
	return map[State]question{
		StBcSegment:  {"bs", (*turn).promptBroadcast, (*turn).answerBroadcast},
		StBcPick:     {"bp", (*turn).promptBroadcast, (*turn).answerBroadcast},
		StBcText:     {"", (*turn).promptBroadcast, (*turn).answerBroadcast},
		StBcButton:   {"bb", (*turn).promptBroadcast, (*turn).answerBroadcast},
		StBcPreview:  {"bv", (*turn).promptBroadcast, (*turn).answerBroadcast},
		StBcSchedule: {"", (*turn).promptBroadcast, (*turn).answerBroadcast},
	}
}

func (t *turn) promptBroadcast(ctx context.Context) (Reply, error) {
	d := &t.s.Data
	if d.Seg == nil {
		d.Seg = &Segment{}
	}
	switch t.s.State {
	case StBcSegment:
		n, err := t.tx.SegmentCount(ctx, *d.Seg)
		if err != nil {
			return Reply{}, err
		}
		who := "broadcast.who_button.workers"
		if d.Seg.AgentsOnly {
			who = "broadcast.who_button.agents"
		}
		choices := []Choice{
			{Label: t.T(who, nil), Data: "bs:who"},
			{Label: t.T("broadcast.dim."+dimRegency, nil), Data: "bs:" + dimRegency},
			{Label: t.T("broadcast.dim."+dimDistrict, nil), Data: "bs:" + dimDistrict},
			{Label: t.T("broadcast.dim."+dimChannel, nil), Data: "bs:" + dimChannel},
		}
		if !d.Seg.AgentsOnly {
			for _, dim := range []string{dimStanding, dimOccupation, dimJHT, dimPayer} {
				choices = append(choices, Choice{Label: t.T("broadcast.dim."+dim, nil), Data: "bs:" + dim})
			}
		}
		choices = append(choices, Choice{Label: t.T("broadcast.write", nil), Data: "bs:go"})
		return Reply{Text: t.T("broadcast.segment", map[string]any{"Summary": t.segmentSummary(d.Seg), "Count": locales.Number(t.s.Lang, int64(n))}),
			Input: InputText, Choices: choices}, nil
	case StBcPick:
		opts := t.options(d.Dim)
		pages := max(1, (len(opts)+agentPage-1)/agentPage)
		page := max(0, min(d.Page, pages-1))
		var choices []Choice
		for _, o := range opts[page*agentPage : min(len(opts), (page+1)*agentPage)] {
			mark := "☐ "
			if t.isChosen(d.Dim, o.value) {
				mark = "☑ "
			}
			choices = append(choices, Choice{Label: mark + o.label, Data: "bp:t:" + o.value})
		}
		if page > 0 {
			choices = append(choices, Choice{Label: t.T("page.prev", nil), Data: fmt.Sprintf("bp:pg:%d", page-1)})
		}
		if page < pages-1 {
			choices = append(choices, Choice{Label: t.T("page.next", map[string]any{"Page": page + 2, "Pages": pages}), Data: fmt.Sprintf("bp:pg:%d", page+1)})
		}
		choices = append(choices, Choice{Label: t.T("broadcast.pick_done", nil), Data: "bp:done"})
		key := "broadcast.pick." + d.Dim
		if d.Dim == dimDistrict && len(opts) == 0 {
			key = "broadcast.pick.dist_none"
		}
		return Reply{Text: t.T(key, map[string]any{"Days": dueDays(d.Seg)}), Input: InputText, Choices: choices}, nil
	case StBcText:
		return Reply{Text: t.T("broadcast.text_ask", map[string]any{"Max": maxBroadcastText}), Input: InputText}, nil
	case StBcButton:
		var choices []Choice
		for _, b := range []string{"none", ButtonPay, ButtonStatus, ButtonCard} {
			choices = append(choices, Choice{Label: t.T("broadcast.button_choice."+b, nil), Data: "bb:" + b})
		}
		return Reply{Text: t.T("broadcast.button_ask", nil), Input: InputText, Choices: choices}, nil
	case StBcPreview:
		n, err := t.tx.SegmentCount(ctx, *d.Seg)
		if err != nil {
			return Reply{}, err
		}
		text := t.T("broadcast.confirm", map[string]any{"Count": locales.Number(t.s.Lang, int64(n))})
		wa, err := t.whatsAppPreview(ctx, d)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Text: wa + text, Input: InputText, Choices: []Choice{
			{Label: t.T("broadcast.send_now", nil), Data: "bv:send"},
			{Label: t.T("broadcast.schedule", nil), Data: "bv:later"},
			{Label: t.T("broadcast.edit_text", nil), Data: "bv:text"},
			{Label: t.T("broadcast.edit_segment", nil), Data: "bv:seg"},
		}}, nil
	case StBcSchedule:
		return Reply{Text: t.T("broadcast.when_ask", nil), Input: InputText}, nil
	}
	return Reply{}, fmt.Errorf("no question for state %q", t.s.State)
}

func (t *turn) answerBroadcast(ctx context.Context) error {
	if ok, err := t.isAdmin(ctx); err != nil || !ok {
		// No longer an admin (removed meanwhile): the draft goes.
		if err != nil {
			return err
		}
		t.s.Data = Answers{}
		t.enter(StWelcome)
		return t.askNote(ctx, "command.unknown", nil)
	}
	d := &t.s.Data
	if d.Seg == nil {
		d.Seg = &Segment{}
	}
	switch t.s.State {
	case StBcSegment:
		switch c := t.ev.Choice; {
		case c == "bs:go":
			return t.fire(ctx, EvNext, "")
		case c == "bs:who":
			d.Seg.AgentsOnly = !d.Seg.AgentsOnly
			return t.ask(ctx, "")
		case strings.HasPrefix(c, "bs:"):
			d.Dim = strings.TrimPrefix(c, "bs:")
			if t.chosen(d.Dim) == nil && d.Dim != dimJHT {
				return t.askNote(ctx, "choice.stale", nil)
			}
			return t.fire(ctx, EvPick, "")
		}
		return t.askNote(ctx, "broadcast.segment_unclear", nil)
	case StBcPick:
		c := t.ev.Choice
		if c == "bp:done" {
			return t.fire(ctx, EvNext, "")
		}
		if v, ok := strings.CutPrefix(c, "bp:t:"); ok {
			if !slices.ContainsFunc(t.options(d.Dim), func(o option) bool { return o.value == v }) {
				return t.askNote(ctx, "choice.stale", nil)
			}
			t.toggle(d.Dim, v)
			return t.ask(ctx, "")
		}
		in, ok, err := t.needText(ctx)
		if !ok {
			return err
		}
		return t.typedFilter(ctx, in)
	case StBcText:
		in, ok, err := t.needText(ctx)
		if !ok {
			return err
		}
		if n := len([]rune(in)); n > maxBroadcastText {
			return t.askNote(ctx, "broadcast.text_long", map[string]any{"Got": n, "Max": maxBroadcastText})
		}
		d.BcText = in
		return t.fire(ctx, EvNext, "")
	case StBcButton:
		b, ok := strings.CutPrefix(t.ev.Choice, "bb:")
		if !ok || !slices.Contains([]string{"none", ButtonPay, ButtonStatus, ButtonCard}, b) {
			return t.askNote(ctx, "broadcast.button_unclear", nil)
		}
		if b == "none" {
			b = ButtonNone
		}
		d.BcButton = b
		return t.preview(ctx)
	case StBcPreview:
		switch t.ev.Choice {
		case "bv:send":
			return t.createBroadcast(ctx, time.Time{})
		case "bv:later":
			return t.fire(ctx, EvAlt, "")
		case "bv:text":
			return t.fire(ctx, EvEditText, "")
		case "bv:seg":
			return t.fire(ctx, EvEditSegment, "")
		}
		return t.askNote(ctx, "broadcast.confirm_unclear", nil)
	case StBcSchedule:
		in, ok, err := t.needText(ctx)
		if !ok {
			return err
		}
		at, err := tanggal.ParseWhen(in, t.now)
		if err != nil {
			return t.askNote(ctx, "broadcast.when_err", map[string]any{"Got": quote(in)})
		}
		if !at.After(t.now) || at.After(t.now.AddDate(0, 0, 90)) {
			return t.askNote(ctx, "broadcast.when_range", nil)
		}
		return t.createBroadcast(ctx, at)
	}
	return fmt.Errorf("not a broadcast state: %s", t.s.State)
}

// typedFilter takes a typed answer while picking a filter: a region's name,
// or the number of days of "ends within".
func (t *turn) typedFilter(ctx context.Context, in string) error {
	d := &t.s.Data
	switch d.Dim {
	case dimStanding:
		n, err := strconv.Atoi(strings.Fields(in + " x")[0])
		if err != nil || n < 1 || n > 90 {
			return t.askNote(ctx, "broadcast.days_err", nil)
		}
		d.Seg.DueDays = n
		if !slices.Contains(d.Seg.Standings, StandingDue) {
			d.Seg.Standings = append(d.Seg.Standings, StandingDue)
		}
		return t.ask(ctx, "")
	case dimRegency, dimDistrict:
		var found []wilayah.Region
		if d.Dim == dimRegency {
			found = t.regions.Search(t.cfg.Province, wilayah.Regency, in, 1)
			if len(found) == 0 {
				found = t.regions.Search("", wilayah.Regency, in, 1)
			}
		} else {
			for _, reg := range d.Seg.Regencies {
				found = append(found, t.regions.Search(reg, wilayah.District, in, 1)...)
			}
		}
		if len(found) == 0 {
			return t.askNote(ctx, "region.none", map[string]any{"Query": quote(in), "Where": t.regionName("")})
		}
		if !t.isChosen(d.Dim, found[0].Code) {
			t.toggle(d.Dim, found[0].Code)
		}
		return t.ask(ctx, "")
	}
	return t.askNote(ctx, "broadcast.pick_unclear", nil)
}

// preview shows the broadcast exactly as its recipients will get it, then
// asks to send it.
func (t *turn) preview(ctx context.Context) error {
	t.sayText("broadcast.preview_above", nil)
	// The admin's own preview: as the message reads, not as a notice.
	preview := t.BroadcastReply(t.s.Lang, t.s.Data.BcText, t.s.Data.BcButton)
	preview.Notice = nil
	t.say(preview)
	return t.fire(ctx, EvNext, "")
}

// createBroadcast stores the broadcast, to start now or at a time.
func (t *turn) createBroadcast(ctx context.Context, at time.Time) error {
	d := t.s.Data
	if strings.TrimSpace(d.BcText) == "" || d.Seg == nil {
		return t.askNote(ctx, "review.incomplete", nil)
	}
	n, err := t.tx.SegmentCount(ctx, *d.Seg)
	if err != nil {
		return err
	}
	if n == 0 {
		return t.askNote(ctx, "broadcast.nobody", nil)
	}
	id, err := t.tx.CreateBroadcast(ctx, Broadcast{Segment: *d.Seg, Text: d.BcText, Button: d.BcButton, ScheduledAt: at,
		CreatedBy: t.who(), ReportChannel: t.s.Channel, ReportChat: t.s.ChatID})
	if err != nil {
		return err
	}
	t.s.Data = Answers{}
	note := t.T("broadcast.started", map[string]any{"ID": id, "Count": locales.Number(t.s.Lang, int64(n))})
	if !at.IsZero() {
		loc := at.In(t.cfg.Location)
		note = t.T("broadcast.scheduled", map[string]any{"ID": id, "When": t.cat.Date(t.s.Lang, loc) + " " + loc.Format("15.04")})
	}
	if t.quietAt(at) {
		note += "\n" + t.T("broadcast.quiet_note", map[string]any{"From": t.cfg.QuietFrom, "To": t.cfg.QuietTo})
	}
	return t.fire(ctx, EvConfirm, note)
}

// quietAt reports whether broadcasts wait at a time (now when zero).
func (t *turn) quietAt(at time.Time) bool {
	if at.IsZero() {
		at = t.now
	}
	return t.cfg.Quiet(at)
}

// broadcastList answers /siaran_daftar: the latest broadcasts, each with its buttons.
func (t *turn) broadcastList(ctx context.Context) error {
	list, err := t.tx.RecentBroadcasts(ctx, 5)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return t.askNote(ctx, "broadcast.none", nil)
	}
	for _, p := range list {
		r := t.BroadcastProgressReply(p, t.now)
		excerpt := []rune(p.Text)
		if len(excerpt) > 60 {
			excerpt = append(excerpt[:60], '…')
		}
		r.Text += "\n" + t.T("broadcast.excerpt", map[string]any{"Text": string(excerpt)})
		if p.Status == BroadcastScheduled {
			loc := p.ScheduledAt.In(t.cfg.Location)
			r.Text = t.T("broadcast.scheduled_line", map[string]any{"ID": p.ID, "When": t.cat.Date(t.s.Lang, loc) + " " + loc.Format("15.04"),
				"Text": string(excerpt)})
			r.Choices = []Choice{{Label: t.T("broadcast.cancel", nil), Data: fmt.Sprintf("bx:cancel:%d", p.ID)}}
		}
		t.say(r)
	}
	return nil
}

// broadcastChoice handles the pause, resume and cancel buttons ("bx:…") of
// progress messages and lists, pressed whatever the chat is doing.
func (t *turn) broadcastChoice(ctx context.Context) error {
	ok, err := t.isAdmin(ctx)
	if err != nil {
		return err
	}
	parts := strings.Split(t.ev.Choice, ":")
	if !ok || len(parts) != 3 {
		return t.askNote(ctx, "choice.stale", nil)
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	status := map[string]string{"pause": BroadcastPaused, "resume": BroadcastRunning, "cancel": BroadcastCancelled}[parts[1]]
	if err != nil || status == "" {
		return t.askNote(ctx, "choice.stale", nil)
	}
	p, err := t.tx.SetBroadcastStatus(ctx, id, status)
	if errors.Is(err, ErrNotFound) {
		return t.askNote(ctx, "broadcast.status_refused", map[string]any{"ID": id})
	}
	if err != nil {
		return err
	}
	return t.askNote(ctx, "broadcast.now."+p.Status, map[string]any{"ID": id})
}

// optOut answers /berhenti and /aktifkan: broadcasts stop or start again
// for this chat (replies, receipts and payment reminders always come).
func (t *turn) optOut(ctx context.Context, out bool) error {
	changed, err := t.tx.SetOptOut(ctx, out)
	if err != nil {
		return err
	}
	key := map[[2]bool]string{{true, true}: "optout.done", {true, false}: "optout.already", {false, true}: "optin.done", {false, false}: "optin.already"}[[2]bool{out, changed}]
	return t.askNote(ctx, key, nil)
}

// whatsAppChannel is the channel whose broadcasts go as templates.
const whatsAppChannel = "whatsapp"

// whatsAppWindow is WhatsApp's customer service window: a template to a
// chat that wrote in it is free, one to any other is paid for.
const whatsAppWindow = 24 * time.Hour

// whatsAppPreview tells the admin, before a broadcast is sent, that on
// WhatsApp it goes as an approved template, with the text people will read,
// and how many of its WhatsApp recipients wrote in the last 24 hours (free)
// or not (each such message costs money); "" when none is on WhatsApp.
func (t *turn) whatsAppPreview(ctx context.Context, d *Answers) (string, error) {
	if t.templates == nil {
		return "", nil
	}
	inside, outside, err := t.tx.SegmentWindow(ctx, *d.Seg, whatsAppChannel, t.now.Add(-whatsAppWindow))
	if err != nil {
		return "", err
	}
	if inside+outside == 0 {
		return "", nil
	}
	kind := broadcastKind(d.BcButton)
	tpl, ok := t.templates.For(kind, locales.Default)
	if !ok {
		return "", fmt.Errorf("no WhatsApp template for %s", kind)
	}
	body := strings.Replace(tpl.Body, "{{1}}", strings.Join(strings.Fields(d.BcText), " "), 1)
	num := func(n int) string { return locales.Number(t.s.Lang, int64(n)) }
	return t.T("broadcast.whatsapp_preview", map[string]any{"Body": body, "Name": tpl.Name, "Inside": num(inside), "Outside": num(outside),
		"Total": num(inside + outside)}) + "\n\n", nil
}
