package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/wilayah"
)

// promptRegister renders the questions of the registration.
func (t *turn) promptRegister(ctx context.Context) (Reply, error) {
	s := t.s
	d := &s.Data
	switch s.State {
	case StWelcome:
		return Reply{Text: t.T("welcome.again", nil), Choices: []Choice{{Label: t.T("welcome.start", nil), Data: "wl:start"},
			{Label: t.T("start.claim", nil), Data: "wl:claim"}, {Label: t.T("start.agent", nil), Data: "wl:agent"}}, Input: InputText}, nil
	case StConsent:
		abroad := ""
		if app, ok := chatApps[s.Channel]; ok {
			abroad = t.T("consent.abroad", map[string]any{"App": app})
		}
		r := Reply{Text: t.T("consent.ask", map[string]any{"Abroad": abroad}), Input: InputText, Choices: []Choice{
			{Label: t.T("consent.yes", nil), Data: "cs:yes"}, {Label: t.T("consent.no", nil), Data: "cs:no"}}}
		if d.Agent {
			r.Text = t.T("consent.ask", nil) // the attestation
		}
		if t.isFreshConsent() {
			// The start menu: someone an agent registered, or an agent.
			r.Choices = append(r.Choices, Choice{Label: t.T("start.claim", nil), Data: "cs:claim"}, Choice{Label: t.T("start.agent", nil), Data: "cs:agent"})
		}
		return r, nil
	case StNIK:
		return Reply{Text: t.T("nik.ask", nil), Input: InputText}, nil
	case StName:
		return Reply{Text: t.T("name.ask", nil), Input: InputText}, nil
	case StBirthConfirm:
		birth := d.birth()
		return Reply{Text: t.T("birth.confirm", map[string]any{"Date": t.cat.Date(s.Lang, birth), "Sex": t.sexLabel(d.Female)}),
			Input: InputText, Choices: []Choice{{Label: t.T("birth.yes", nil), Data: "bc:yes"}, {Label: t.T("birth.no", nil), Data: "bc:no"}}}, nil
	case StBirthEntry:
		return Reply{Text: t.T("birth.ask", nil), Input: InputText}, nil
	case StPhone:
		if d.Agent {
			return Reply{Text: t.T("phone.ask", nil), Input: InputText, Choices: []Choice{{Label: t.T("phone.skip", nil), Data: "ph:skip"}}}, nil
		}
		return Reply{Text: t.T("phone.ask", nil), Input: InputContact, InputLabel: t.T("phone.share", nil)}, nil
	case StProvince:
		return Reply{Text: t.T("province.ask", nil), Input: InputText, Choices: t.regionChoices(t.regions.Provinces())}, nil
	case StRegency:
		choices := t.regionChoices(t.regions.Children(t.province()))
		choices = append(choices, Choice{Label: t.T("regency.other_province", nil), Data: "rg:prov"})
		return Reply{Text: t.T("regency.ask", map[string]any{"Province": t.regionName(t.province())}), Input: InputText, Choices: choices}, nil
	case StDistrict:
		return Reply{Text: t.T("district.ask", map[string]any{"Regency": t.regionName(d.SelRegency)}), Input: InputText,
			Choices: t.regionChoices(t.regions.Children(d.SelRegency))}, nil
	case StVillage:
		villages := t.regions.Children(d.SelDistrict)
		example := ""
		if len(villages) > 0 {
			example = villages[0].Name
		}
		r := Reply{Text: t.T("village.ask", map[string]any{"District": t.regionName(d.SelDistrict), "Example": example}), Input: InputText}
		switch {
		case len(d.Matches) > 0:
			r.Choices = t.regionChoices(nil)
			r.Choices = append(r.Choices, Choice{Label: t.T("village.list", nil), Data: "vl:pg:1"})
		case d.Page > 0:
			// Page 1 is the first page of the full list (page 0 means "type the name").
			r.Choices = t.pageChoices("vl", len(villages), regionChoice("vl", villages), d.Page-1, 1, 0)
		default:
			r.Choices = []Choice{{Label: t.T("village.list", nil), Data: "vl:pg:1"}}
		}
		return r, nil
	case StOccupation:
		return Reply{Text: t.T("occupation.ask", nil), Input: InputText, Choices: t.pageChoices("oc", len(Occupations), func(i int) Choice {
			return Choice{Label: t.T("occupation."+Occupations[i], nil), Data: "oc:" + Occupations[i]}
		}, d.Page, 0, 0)}, nil
	case StOccupationOther:
		return Reply{Text: t.T("occupation.other_ask", nil), Input: InputText}, nil
	case StIncome:
		brackets := t.tariffs.Brackets()
		return Reply{Text: t.T("income.ask", nil), Input: InputText, Choices: t.pageChoices("in", len(brackets), func(i int) Choice {
			b := brackets[i]
			return Choice{Label: t.T("income.choice", map[string]any{"Range": t.bracketRange(b), "Iuran": rupiahOf(b.Monthly(false))}),
				Data: "in:" + strconv.Itoa(b.Index)}
		}, d.Page, 0, 0)}, nil
	case StPrograms:
		b := t.bracket()
		return Reply{Text: t.T("programs.ask", map[string]any{"JKK": rupiahOf(b.JKK), "JKM": rupiahOf(b.JKM), "JHT": rupiahOf(b.JHT)}),
			Input: InputText, Choices: []Choice{
				{Label: t.T("programs.choice_base", map[string]any{"Total": rupiahOf(b.Monthly(false))}), Data: "pr:base"},
				{Label: t.T("programs.choice_jht", map[string]any{"Total": rupiahOf(b.Monthly(true))}), Data: "pr:jht"},
			}}, nil
	case StReview:
		choices := []Choice{{Label: t.T("review.confirm", nil), Data: "rv:ok"}}
		for _, e := range reviewEdits {
			choices = append(choices, Choice{Label: t.T(e.label, nil), Data: e.data})
		}
		return Reply{Text: t.T("review.ask", map[string]any{"Summary": t.summary(d.registration(t.Engine))}), Input: InputText, Choices: choices}, nil
	case StDone:
		choices := []Choice{{Label: t.T("done.new", nil), Data: "dn:new"}, {Label: t.T("done.status", nil), Data: "dn:status"}}
		if t.payer != nil {
			choices = append([]Choice{{Label: t.T("done.pay", nil), Data: "dn:pay"}}, choices...)
		}
		return Reply{Text: t.T("done.menu", nil), Input: InputText, Choices: choices}, nil
	}
	return Reply{}, fmt.Errorf("no question for state %q", s.State)
}

// chatApps are the channels run by a company abroad that keeps the
// messages: the consent text says so on them.
var chatApps = map[string]string{"telegram": "Telegram", "whatsapp": "WhatsApp"}

// bracket is the chosen income bracket (the first if none yet).
func (t *turn) bracket() iuran.Bracket {
	if t.s.Data.Bracket != nil {
		if b, ok := t.tariffs.Bracket(*t.s.Data.Bracket); ok {
			return b
		}
	}
	b, _ := t.tariffs.Bracket(0)
	return b
}

// regionChoices lists regions as buttons: the search matches when there are
// some, else the given list, paged.
func (t *turn) regionChoices(list []wilayah.Region) []Choice {
	prefix := t.prefix()
	if len(t.s.Data.Matches) > 0 {
		var out []Choice
		for _, code := range t.s.Data.Matches {
			if r, ok := t.regions.Get(code); ok {
				out = append(out, Choice{Label: regionLabel(r), Data: prefix + ":" + r.Code})
			}
		}
		return out
	}
	reserve := 0
	if t.s.State == StRegency {
		reserve = 1 // "Provinsi lain"
	}
	return t.pageChoices(prefix, len(list), regionChoice(prefix, list), t.s.Data.Page, 0, reserve)
}

// regionChoice makes the button of list[i].
func regionChoice(prefix string, list []wilayah.Region) func(i int) Choice {
	return func(i int) Choice { return Choice{Label: regionLabel(list[i]), Data: prefix + ":" + list[i].Code} }
}

// regionLabel is a region's name as a button: "Kabupaten" shortened to "Kab."
// so that most names fit a WhatsApp button.
func regionLabel(r wilayah.Region) string {
	if rest, ok := strings.CutPrefix(r.Name, "Kabupaten "); ok {
		return "Kab. " + rest
	}
	return r.Name
}

// pageChoices makes the buttons of one page of n items (item(i) makes the
// i-th, so only the shown ones are rendered) and adds ‹ › buttons. offset is
// added to the page numbers in the buttons' data; reserve is how many buttons
// the caller adds after the page.
func (t *turn) pageChoices(prefix string, n int, item func(i int) Choice, page, offset, reserve int) []Choice {
	from, to := 0, n
	pages := 1
	if n > pageSize+2-reserve {
		pages = (n + pageSize - 1) / pageSize
		page = max(0, min(page, pages-1))
		from, to = page*pageSize, min(n, (page+1)*pageSize)
	}
	out := make([]Choice, 0, to-from+2+reserve)
	for i := from; i < to; i++ {
		out = append(out, item(i))
	}
	if pages > 1 && page > 0 {
		out = append(out, Choice{Label: t.T("page.prev", nil), Data: fmt.Sprintf("%s:pg:%d", prefix, page-1+offset)})
	}
	if pages > 1 && page < pages-1 {
		out = append(out, Choice{Label: t.T("page.next", map[string]any{"Page": page + 2, "Pages": pages}), Data: fmt.Sprintf("%s:pg:%d", prefix, page+1+offset)})
	}
	return out
}
