package flows

import (
	"fmt"
	"strings"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/wilayah"
)

// chatApps are the channels run by a company abroad that keeps the
// messages: the consent text says so on them.
var chatApps = map[string]string{"telegram": "Telegram", "whatsapp": "WhatsApp"}

// sharesContact are the channels whose chat has a button that sends the
// worker's own number.
var sharesContact = map[string]bool{"telegram": true}

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

// WhatsApp's limits, which every channel's choices keep: up to 3 reply
// buttons of at most 20 characters, else a list of rows of at most 24.
const (
	maxButtons     = 3
	maxButtonLabel = 20
	maxListLabel   = 24
)

// regionLabel is a region's name as a choice: "Kabupaten" shortened to
// "Kab.", and the rare name longer than a list row cut with "…".
func regionLabel(r wilayah.Region) string {
	name := r.Name
	if rest, ok := strings.CutPrefix(name, "Kabupaten "); ok {
		name = "Kab. " + rest
	}
	return fitLabel(name, maxListLabel)
}

// fitLabel cuts s to at most max characters, ending with "…" when cut.
func fitLabel(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return strings.TrimSpace(string(r[:max-1])) + "…"
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
