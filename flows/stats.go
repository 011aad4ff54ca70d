package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lindungi/lindungi/locales"
)

// Count is a number of live registrations (erased ones left out) under one
// label.
type Count struct {
	// Key is what is counted: a dotted kabupaten/kota code, an Occupations
	// code, a channel, a Standing* or a Payer* value; "" when the
	// registrations have none (no chat yet, say).
	Key        string `db:"key"`
	Registered int    `db:"registered"`
	Active     int    `db:"active"` // of them, protected today (covered up to today or later)
}

// Collected is what settled payments brought in since a time.
type Collected struct {
	Since    time.Time // midnight in the deployment's zone
	Payments int
	Amount   int64 // Rupiah
}

// Stats are the admins' figures (/statistik), all counted on one day.
type Stats struct {
	Day   time.Time // the day counted: midnight in the deployment's zone
	Total Count     // Key ""
	// Regencies (kabupaten/kota of domicile), Occupations and Channels hold
	// every value found, most registrations first. A registration an agent
	// made and nobody linked to a chat yet has channel "".
	Regencies, Occupations, Channels []Count
	// Standings are StandingAwaiting, StandingActive, StandingArrears and
	// StandingEnded, in that order, as broadcast segments match them (a
	// registration is in one at most; Active counts only in StandingActive).
	Standings []Count
	// Payers are PayerSelf, PayerAgent and PayerSponsor, in that order, as
	// broadcast segments match them.
	Payers []Count
	// Settled payments (paid, not refunded) since the start of today, of this
	// week (Monday) and of this month.
	PaidToday, PaidWeek, PaidMonth Collected
}

// StatsStandings are the standings /statistik counts, in order.
var StatsStandings = []string{StandingAwaiting, StandingActive, StandingArrears, StandingEnded}

// cmdStats is the admins' statistics (/statistik).
const cmdStats = "stats"

// The top groups /statistik lists one per line; the rest share a line.
const (
	statsTopRegencies   = 10
	statsTopOccupations = 8
)

// stats answers /statistik: a few short tables, then the chart.
func (t *turn) stats(ctx context.Context) error {
	st, err := t.tx.Stats(ctx)
	if err != nil {
		return err
	}
	if err := t.tx.AuditOn(ctx, "admin:stats", "stats", fmt.Sprintf("registered=%d", st.Total.Registered)); err != nil {
		return err
	}
	lang := t.s.Lang
	num := func(n int) string { return locales.Number(lang, int64(n)) }
	line := func(label string, c Count) string {
		return t.T("stats.line", map[string]any{"Label": label, "Registered": num(c.Registered), "Active": num(c.Active)})
	}
	date := t.cat.Date(lang, st.Day)

	// The overview: totals, standings, payers, money.
	var b strings.Builder
	b.WriteString(t.T("stats.title", map[string]any{"Date": date, "Registered": num(st.Total.Registered), "Active": num(st.Total.Active)}))
	b.WriteString("\n\n" + t.T("stats.by_standing", nil))
	for _, c := range st.Standings {
		b.WriteString("\n" + t.T("stats.count_line", map[string]any{"Label": upperFirst(t.T("broadcast.standing."+c.Key, nil)), "Count": num(c.Registered)}))
	}
	b.WriteString("\n\n" + t.T("stats.by_payer", nil))
	for _, c := range st.Payers {
		b.WriteString("\n" + line(upperFirst(t.T("broadcast.payer."+c.Key, nil)), c))
	}
	b.WriteString("\n\n" + t.T("stats.paid", nil))
	for _, p := range []struct {
		key string
		c   Collected
	}{{"stats.paid_today", st.PaidToday}, {"stats.paid_week", st.PaidWeek}, {"stats.paid_month", st.PaidMonth}} {
		b.WriteString("\n" + t.T(p.key, map[string]any{"Since": t.cat.Date(lang, p.c.Since), "Count": num(p.c.Payments),
			"Amount": locales.Rupiah(p.c.Amount)}))
	}
	t.sayPlain(b.String())

	// Where: kabupaten/kota.
	t.sayPlain(t.statsTable("stats.by_regency", st.Regencies, statsTopRegencies, "stats.rest_regencies", line, func(key string) string {
		if r, ok := t.regions.Get(key); ok {
			return r.Name
		}
		return t.orUnknown(key)
	}))

	// What work, and through which channel.
	occupations := t.statsTable("stats.by_occupation", st.Occupations, statsTopOccupations, "stats.rest_occupations", line, func(key string) string {
		if slices.Contains(Occupations, key) {
			return t.T("occupation."+key, nil)
		}
		return t.orUnknown(key)
	})
	channels := t.statsTable("stats.by_channel", st.Channels, len(st.Channels), "", line, func(key string) string {
		switch {
		case key == "":
			return t.T("stats.channel_none", nil)
		case slices.Contains(BroadcastChannels, key):
			return t.T("broadcast.channel."+key, nil)
		}
		return key
	})
	t.sayPlain(occupations + "\n\n" + channels)

	if st.Total.Active == 0 {
		t.sayText("stats.no_chart", nil)
		return nil
	}
	t.say(Reply{Photo: CoveragePhoto, Text: t.T("stats.chart_caption", map[string]any{"Date": date}), Input: InputNone})
	return nil
}

// statsTable is a heading and a line for each of the first top groups, the
// others summed on one line (restKey, with their number).
func (t *turn) statsTable(heading string, counts []Count, top int, restKey string, line func(string, Count) string, label func(string) string) string {
	lines := []string{t.T(heading, nil)}
	if len(counts) == 0 {
		return lines[0] + "\n" + t.T("stats.none", nil)
	}
	var rest Count
	for i, c := range counts {
		if i >= top {
			rest.Registered += c.Registered
			rest.Active += c.Active
			continue
		}
		lines = append(lines, line(label(c.Key), c))
	}
	if n := len(counts) - top; n > 0 {
		lines = append(lines, line(t.T(restKey, map[string]any{"Count": locales.Number(t.s.Lang, int64(n))}), rest))
	}
	return strings.Join(lines, "\n")
}

// orUnknown is a key as it is, or "not filled in" for "".
func (t *turn) orUnknown(key string) string {
	if key == "" {
		return t.T("stats.unknown", nil)
	}
	return key
}

// upperFirst capitalises a label that starts a line.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// sayPlain sends a text expecting nothing back.
func (t *turn) sayPlain(text string) { t.say(Reply{Text: text, Input: InputNone}) }
