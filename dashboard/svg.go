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
	Points []point
}

func (c chart) render() template.HTML {
	const w, h, pad = 900.0, 220.0, 24.0
	var top int64
	for _, p := range c.Points {
		top = max(top, p.Value)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, w, h+pad, template.HTMLEscapeString(c.Title))
	fmt.Fprintf(&b, `<line x1="0" y1="%.0f" x2="%.0f" y2="%.0f" class="axis"/>`, h, w, h)
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
		fmt.Fprintf(&b, `<text x="0" y="%.0f" class="lbl">%s</text>`, h+pad-6, template.HTMLEscapeString(c.Points[0].Label))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="lbl end">%s</text>`, w, h+pad-6, template.HTMLEscapeString(c.Points[n-1].Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every value escaped above
}
