package flows

import (
	"strconv"
	"time"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/nama"
)

// Reminder kinds, by when they come relative to the end of coverage.
const (
	RemindBefore  = "before"  // 7, 3 and 1 days before the end
	RemindLapsed  = "lapsed"  // the day after the end
	RemindArrears = "arrears" // a month and two months after the end: arrears can still be paid
)

// Reminder is a contribution reminder for one registration.
type Reminder struct {
	Kind     string
	Ref      string
	Name     string
	End      time.Time // the last covered day
	DaysLeft int       // RemindBefore: days until the end
	Until    time.Time // RemindArrears: the last day arrears can be paid
	Savings  Saved     // what its savings balance holds and lacks for a month
}

// payNowData is the button of reminders: it works whatever question the chat is at.
const payNowData = "go:pay"

// ReminderReplies are the messages of a reminder, in the chat's language,
// with a one-tap "Bayar sekarang".
func (e *Engine) ReminderReplies(lang string, r Reminder) []Reply {
	if !e.cat.Supported(lang) {
		lang = "id"
	}
	// Since is the first day without cover: arrears are stated from it.
	name, end, since := nama.Display(r.Name), e.cat.Date(lang, r.End), e.cat.Date(lang, iuran.FirstUncovered(r.End))
	data := map[string]any{"Name": name, "Ref": r.Ref, "End": end, "Days": r.DaysLeft, "Since": since}
	until := ""
	if !r.Until.IsZero() {
		until = e.cat.Date(lang, r.Until)
		data["Until"] = until
	}
	n := &Notice{Kind: NoticeRemindBefore, Lang: lang, Params: []string{name, r.Ref, end, strconv.Itoa(r.DaysLeft)}}
	switch r.Kind {
	case RemindLapsed:
		n = &Notice{Kind: NoticeRemindLapsed, Lang: lang, Params: []string{name, r.Ref, end}}
	case RemindArrears:
		n = &Notice{Kind: NoticeRemindArrears, Lang: lang, Params: []string{name, r.Ref, since, until}}
	}
	text := e.cat.T(lang, "remind."+r.Kind, data)
	if s := r.Savings; s.Balance > 0 && s.Missing > 0 {
		text += "\n" + e.cat.T(lang, "savings.remind", map[string]any{"Balance": rupiahOf(s.Balance), "Price": rupiahOf(s.Price), "Missing": rupiahOf(s.Missing)})
	}
	return []Reply{{Text: text, Input: InputText,
		Choices: []Choice{{Label: e.cat.T(lang, "remind.pay_now", nil), Data: payNowData}}, Notice: n}}
}
