// Package chart draws simple charts as PNG images (gonum.org/v1/plot): a
// horizontal bar chart of counts, such as the admins' active coverage by
// kabupaten/kota.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Bar is one bar: a label and a count.
type Bar struct {
	Label string
	Value int64
}

// Options tune a chart. The zero value is a good default.
type Options struct {
	Width     int                // pixels; 0 means 800
	BarHeight int                // pixels per bar; 0 means 36 (the height follows the number of bars)
	XLabel    string             // under the value axis
	Format    func(int64) string // the values' labels; nil means plain digits
	Color     color.Color        // of the bars; nil means Lindungi green
}

// Limits of a chart, to keep the image a sensible size.
const (
	MaxBars  = 60
	minWidth = 320
	maxWidth = 2000
)

// dpi is the resolution the chart is drawn at: a point of text is 96/72 px.
const dpi = 96

var green = color.RGBA{0x0b, 0x6e, 0x4f, 0xff}

// Bars draws a horizontal bar chart, the first bar at the top, each bar
// with its value at its end. The image is Width pixels wide and about
// BarHeight pixels per bar (plus the title and the axis) high; the same
// input always gives the same bytes.
func Bars(title string, bars []Bar, opt Options) ([]byte, error) {
	if len(bars) == 0 {
		return nil, errors.New("chart: no bars")
	}
	if len(bars) > MaxBars {
		return nil, fmt.Errorf("chart: %d bars (at most %d)", len(bars), MaxBars)
	}
	if opt.Width == 0 {
		opt.Width = 800
	}
	if opt.Width < minWidth || opt.Width > maxWidth {
		return nil, fmt.Errorf("chart: width %d px (want %d to %d)", opt.Width, minWidth, maxWidth)
	}
	if opt.BarHeight == 0 {
		opt.BarHeight = 36
	}
	if opt.BarHeight < 12 || opt.BarHeight > 200 {
		return nil, fmt.Errorf("chart: bar height %d px (want 12 to 200)", opt.BarHeight)
	}
	if opt.Format == nil {
		opt.Format = func(v int64) string { return strconv.FormatInt(v, 10) }
	}
	if opt.Color == nil {
		opt.Color = green
	}
	px := func(n float64) vg.Length { return vg.Length(n * 72 / dpi) }
	sans := func(size float64) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: px(size)}
	}

	p := plot.New()
	p.BackgroundColor = color.White
	p.Title.Text = title
	// A long title gets smaller rather than cut off.
	p.Title.TextStyle.Font = sans(18)
	for size := 17.0; size >= 10 && p.Title.TextStyle.Width(title) > px(float64(opt.Width-40)); size-- {
		p.Title.TextStyle.Font = sans(size)
	}
	p.Title.Padding = px(12)
	p.X.Label.Text = opt.XLabel
	p.X.Label.TextStyle.Font = sans(13)
	p.X.Tick.Label.Font = sans(12)
	p.Y.Tick.Label.Font = sans(14)

	// The first bar at the top: plot rows count up from the bottom.
	n := len(bars)
	values := make(plotter.Values, n)
	names := make([]string, n)
	labels := plotter.XYLabels{XYs: make(plotter.XYs, n), Labels: make([]string, n)}
	var most int64
	for i, b := range bars {
		if b.Value < 0 {
			return nil, fmt.Errorf("chart: bar %q has a negative value %d", b.Label, b.Value)
		}
		row := n - 1 - i
		values[row] = float64(b.Value)
		names[row] = b.Label
		labels.XYs[row] = plotter.XY{X: float64(b.Value), Y: float64(row)}
		labels.Labels[row] = opt.Format(b.Value)
		most = max(most, b.Value)
	}
	chart, err := plotter.NewBarChart(values, px(float64(opt.BarHeight)*0.65))
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	chart.Horizontal = true
	chart.Color = opt.Color
	chart.LineStyle.Width = 0
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	grid.Vertical.Color = color.Gray{Y: 0xdd}
	values2, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	for i := range values2.TextStyle {
		values2.TextStyle[i].Font = sans(13)
		values2.TextStyle[i].YAlign = text.YCenter
		values2.TextStyle[i].Color = color.Gray{Y: 0x22}
	}
	values2.Offset = vg.Point{X: px(6), Y: px(2)}
	p.Add(grid, chart, values2)
	p.NominalY(names...)

	// Room at the right for the longest value's label.
	p.X.Min = 0
	p.X.Max = math.Max(1, float64(most)*1.15)
	p.X.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ticks []plot.Tick
		for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
			if t.Label != "" && (t.Value != math.Trunc(t.Value) || t.Value > float64(most)*1.05 && most > 0) {
				t.Label = "" // no "0.5 workers"; no tick beyond the longest bar's label
			}
			if t.Label != "" {
				t.Label = opt.Format(int64(t.Value))
			}
			ticks = append(ticks, t)
		}
		return ticks
	})

	height := 110 + opt.BarHeight*n
	if opt.XLabel != "" {
		height += 24
	}
	c := vgimg.NewWith(vgimg.UseWH(px(float64(opt.Width)), px(float64(height))), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.Crop(draw.New(c), px(12), -px(20), px(8), -px(4)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: encode: %w", err)
	}
	return buf.Bytes(), nil
}
