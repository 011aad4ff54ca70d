package dashboard

import (
	"fmt"
	"html/template"
	"strings"
)

// point is one bar of a chart.
type point struct {
	Label string // the day, as people read it
	Value int64
	Text  string // the value, formatted
}

// chart is a bar chart drawn on the server as SVG: no script, scales with
// the page (a phone's 390 px or a desk's 1366 px), each bar titled with its
// day and value for a screen reader or a long press.
type chart struct {
	Title  string
	Peak   string // the words before the highest value: "tertinggi"
	Points []point
}

func (c chart) render() template.HTML {
	const w, h = 900.0, 220.0
	var top int64
	peak := ""
	for _, p := range c.Points {
		if p.Value > top {
			top, peak = p.Value, p.Text
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" preserveAspectRatio="none">`, w, h+2, template.HTMLEscapeString(c.Title))
	fmt.Fprintf(&b, `<line x1="0" y1="%.0f" x2="%.0f" y2="%.0f" class="axis" vector-effect="non-scaling-stroke"/>`, h, w, h)
	if n := len(c.Points); n > 0 {
		step := w / float64(n)
		for i, p := range c.Points {
			bh := 0.0
			if top > 0 {
				bh = (h - 4) * float64(p.Value) / float64(top)
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
				float64(i)*step+step*0.1, h-bh, step*0.8, bh, template.HTMLEscapeString(p.Label), template.HTMLEscapeString(p.Text))
		}
	}
	b.WriteString(`</svg>`)
	// The axis's words are the page's text, not the picture's: they keep
	// their size however narrow the chart is drawn.
	if peak != "" {
		peak = c.Peak + " " + peak
	}
	if n := len(c.Points); n > 0 {
		fmt.Fprintf(&b, `<div class="chart-axis"><span>%s</span><span>%s</span><span>%s</span></div>`, template.HTMLEscapeString(c.Points[0].Label),
			template.HTMLEscapeString(peak), template.HTMLEscapeString(c.Points[n-1].Label))
	}
	return template.HTML(b.String()) //nolint:gosec // every value escaped above
}
