package flows

import (
	"strconv"
	"time"

	"github.com/lindungi/lindungi/locales"
)

// BroadcastReply is a broadcast as its recipient gets it, in their language.
func (e *Engine) BroadcastReply(lang, text, button string) Reply {
	if !e.cat.Supported(lang) {
		lang = locales.Default
	}
	r := Reply{Text: text, Rich: true, Input: InputNone, Notice: &Notice{Kind: broadcastKind(button), Lang: lang, Params: []string{text}, Always: true}}
	if button != ButtonNone {
		r.Choices = []Choice{{Label: e.cat.T(lang, "broadcast.button."+button, nil), Data: "go:" + button}}
		r.Input = InputText
	}
	return r
}

// BroadcastProgressReply is the progress message an admin sees edited in
// place while a broadcast runs: counts, an estimate of the end, and buttons
// to pause, resume or cancel it.
func (e *Engine) BroadcastProgressReply(p BroadcastProgress, now time.Time) Reply {
	lang := adminLang
	num := func(n int) string { return locales.Number(lang, int64(n)) }
	data := map[string]any{"ID": p.ID, "Sent": num(p.Sent), "Total": num(p.Total), "Failed": num(p.Failed), "Blocked": num(p.Blocked),
		"Unknown": num(p.Unknown), "OptedOut": num(p.OptedOut), "ETA": "-"}
	if elapsed := now.Sub(p.StartedAt); p.Sent > 0 && elapsed > 0 && p.Queued > 0 {
		left := time.Duration(float64(elapsed) * float64(p.Queued) / float64(p.Done()))
		data["ETA"] = now.Add(left).In(e.cfg.Location).Format("15.04")
	}
	text := e.cat.T(lang, "broadcast.progress", data)
	if p.Unknown > 0 {
		text += "\n" + e.cat.T(lang, "broadcast.progress_unknown", data)
	}
	text += e.readLine(lang, p)
	id := strconv.FormatInt(p.ID, 10)
	r := Reply{Input: InputNone}
	switch p.Status {
	case BroadcastRunning:
		if e.cfg.Quiet(now) {
			text += "\n" + e.cat.T(lang, "broadcast.progress_quiet", map[string]any{"To": e.cfg.QuietTo})
		}
		r.Choices = []Choice{{Label: e.cat.T(lang, "broadcast.pause", nil), Data: "bx:pause:" + id}, {Label: e.cat.T(lang, "broadcast.cancel", nil), Data: "bx:cancel:" + id}}
	case BroadcastPaused:
		text += "\n" + e.cat.T(lang, "broadcast.progress_paused", nil)
		r.Choices = []Choice{{Label: e.cat.T(lang, "broadcast.resume", nil), Data: "bx:resume:" + id}, {Label: e.cat.T(lang, "broadcast.cancel", nil), Data: "bx:cancel:" + id}}
	case BroadcastDone:
		text += "\n" + e.cat.T(lang, "broadcast.progress_done", nil)
	case BroadcastCancelled:
		text += "\n" + e.cat.T(lang, "broadcast.progress_cancelled", nil)
	}
	r.Text = text
	return r
}

// BroadcastReportReply is the final report of a finished broadcast.
func (e *Engine) BroadcastReportReply(p BroadcastProgress) Reply {
	lang := adminLang
	num := func(n int) string { return locales.Number(lang, int64(n)) }
	return noticeOf(NoticeAgent, lang, Reply{Text: e.cat.T(lang, "broadcast.report", map[string]any{"ID": p.ID, "Sent": num(p.Sent), "Total": num(p.Total),
		"Failed": num(p.Failed), "Blocked": num(p.Blocked), "OptedOut": num(p.OptedOut), "Unknown": num(p.Unknown)}) + e.readLine(lang, p), Input: InputNone})
}

// readLine says how many of a broadcast's WhatsApp messages reached the
// phone and were read ("" when no channel said).
func (e *Engine) readLine(lang string, p BroadcastProgress) string {
	if p.Delivered == 0 && p.Read == 0 {
		return ""
	}
	return "\n" + e.cat.T(lang, "broadcast.whatsapp_read", map[string]any{"Delivered": locales.Number(lang, int64(p.Delivered)),
		"Read": locales.Number(lang, int64(p.Read))})
}
