package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/lindungi/lindungi/chart"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/kartu"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/wilayah"
)

// cards draws the images replies name, for the channels (bot.Photos): a
// reply naming "card:<reference>" gets the registration's current card,
// "qris:<order>" a payment's QR code, "link:<url>" a claim link's QR code
// and "chart:coverage" the admins' chart of active coverage.
type cards struct {
	db        *store.DB
	cat       *locales.Catalog
	publicURL string
	loc       *time.Location
	regions   *wilayah.Data // names of the chart's kabupaten/kota
}

func (c cards) Photo(ctx context.Context, name string) ([]byte, error) {
	kind, what, ok := flows.ParsePhoto(name)
	switch {
	case !ok:
		return nil, fmt.Errorf("no image called %q", name)
	case kind == flows.PhotoChart:
		return c.coverageChart(ctx)
	case kind == flows.PhotoQRIS:
		payload, err := c.db.QRString(ctx, what)
		if err != nil {
			return nil, err
		}
		if payload == "" {
			return nil, fmt.Errorf("payment %s has no QRIS code", what)
		}
		return qrcode.Encode(payload, qrcode.Medium, 512)
	case kind == flows.PhotoLink:
		// A claim link for a resident, to scan with their phone's camera:
		// Telegram's or WhatsApp's, nothing else.
		if !strings.HasPrefix(what, "https://t.me/") && !strings.HasPrefix(what, "https://wa.me/") {
			return nil, fmt.Errorf("not a link to draw: %q", name)
		}
		return qrcode.Encode(what, qrcode.Medium, 512)
	}
	ref := what
	d, err := c.db.Card(ctx, ref)
	if err != nil {
		return nil, err
	}
	// The card is an official document: Indonesian.
	const lang = "id"
	T := func(key string) string { return c.cat.T(lang, key, nil) }
	programs := T("programs.base")
	if d.JHT {
		programs = T("programs.with_jht")
	}
	card := kartu.Card{
		Name: nama.Display(d.Name), Reference: d.Ref, KPJ: d.KPJ, Programs: programs,
		VerifyURL: c.publicURL + "/verify/" + d.Token,
		Labels:    kartu.LabelsFrom(T), // a receipt until BPJS gives a KPJ
	}
	if !d.CoveredFrom.IsZero() && !d.CoveredTo.IsZero() {
		card.CoverFrom, card.CoverTo = c.cat.Date(lang, d.CoveredFrom), c.cat.Date(lang, d.CoveredTo)
	}
	return kartu.Render(card)
}

// chartBars is how many kabupaten/kota the coverage chart shows one by one;
// the others share the last bar.
const chartBars = 14

// coverageChart draws the workers protected today by kabupaten/kota, most
// first. Like the card it is in Indonesian.
func (c cards) coverageChart(ctx context.Context) ([]byte, error) {
	counts, err := c.db.CoverageByRegency(ctx)
	if err != nil {
		return nil, err
	}
	const lang = "id"
	var bars []chart.Bar
	var rest chart.Bar
	others := 0
	for _, n := range counts {
		if n.Active == 0 {
			continue // the counts come most active first
		}
		if len(bars) < chartBars {
			label := c.cat.T(lang, "stats.unknown", nil)
			if r, ok := c.regions.Get(n.Key); ok {
				label = r.Name
			} else if n.Key != "" {
				label = n.Key
			}
			bars = append(bars, chart.Bar{Label: label, Value: int64(n.Active)})
			continue
		}
		others++
		rest.Value += int64(n.Active)
	}
	if others > 0 {
		rest.Label = c.cat.T(lang, "stats.rest_regencies", map[string]any{"Count": others})
		bars = append(bars, rest)
	}
	if len(bars) == 0 {
		bars = []chart.Bar{{Label: c.cat.T(lang, "stats.chart_empty", nil)}}
	}
	title := c.cat.T(lang, "stats.chart_title", map[string]any{"Date": c.cat.Date(lang, clock.Now().In(c.loc))})
	return chart.Bars(title, bars, chart.Options{XLabel: c.cat.T(lang, "stats.chart_axis", nil),
		Format: func(v int64) string { return locales.Number(lang, v) }})
}
