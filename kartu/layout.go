package kartu

import (
	"fmt"
	"image"
	"image/color"
	"sort"
	"strings"

	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// Colours. Text colours keep at least 4.5:1 contrast on their background.
var (
	colGreen     = color.RGBA{0x0b, 0x6e, 0x4f, 0xff} // header band
	colGreenDark = color.RGBA{0x08, 0x52, 0x3b, 0xff} // footer band
	colOnGreen   = color.RGBA{0xff, 0xff, 0xff, 0xff} // title
	colOnGreen2  = color.RGBA{0xd4, 0xee, 0xe3, 0xff} // subtitle
	colPaper     = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colInk       = color.RGBA{0x17, 0x24, 0x1f, 0xff} // values
	colLabel     = color.RGBA{0x5a, 0x69, 0x63, 0xff} // labels
	colPending   = color.RGBA{0x9a, 0x58, 0x00, 0xff} // "KPJ: menyusul"
	colQR        = color.RGBA{0x00, 0x00, 0x00, 0xff}
)

// Geometry, in pixels.
const (
	margin     = 48
	headerH    = 124
	footerH    = 14
	contentTop = 150
	fieldGap   = 26 // between two fields of the text column
	columnGap  = 24 // between the reference and KPJ columns
	// qrMax is the largest side of the QR code's modules, quiet zone not
	// counted; the quiet zone (4 modules) lies around it in white space.
	qrMax = 250
	// qrQuietMax bounds the quiet zone: modules are at most 11 px (a version
	// 1 code, 21 modules, in qrMax), so the zone is at most 44 px wide.
	qrQuietMax = 44
)

var (
	// qrArea is where the QR modules may go, right-aligned to the margin.
	qrArea = image.Rect(Width-margin-qrMax, contentTop, Width-margin, contentTop+qrMax)
	// qrBox is qrArea with the largest quiet zone: no text may enter it.
	qrBox   = qrArea.Inset(-qrQuietMax)
	textCol = image.Rect(margin, contentTop, qrBox.Min.X-4, Height-footerH-16)
)

// text is one line of text placed on the card. Box is the area the line was
// fitted into; the line's ink, as font.BoundString measures it from Dot, lies
// inside Box.
type text struct {
	S    string
	Face font.Face
	Col  color.RGBA // ink
	Bg   color.RGBA // what the line is drawn on
	Dot  fixed.Point26_6
	Box  image.Rectangle
}

// rect is a filled rectangle.
type rect struct {
	R   image.Rectangle
	Col color.RGBA
}

// plan is the whole card, laid out but not yet painted.
type plan struct {
	rects   []rect
	texts   []text
	qrCode  image.Rectangle // the QR modules
	qrQuiet image.Rectangle // qrCode with its quiet zone
}

// style is a text role: weight, largest and smallest size, and colour.
type style struct {
	w        weight
	max, min int
	col, bg  color.RGBA
}

var (
	stTitle    = style{bold, 38, 22, colOnGreen, colGreen}
	stSubtitle = style{regular, 21, 14, colOnGreen2, colGreen}
	stLabel    = style{regular, 19, 13, colLabel, colPaper}
	stName     = style{bold, 50, 20, colInk, colPaper}
	stValue    = style{bold, 30, 16, colInk, colPaper}
	stScan     = style{regular, 18, 13, colLabel, colPaper}
)

// layout places everything on the card. It measures every line before
// placing it, so it can promise that nothing leaves its box.
func layout(c Card, fs *faces) (*plan, error) {
	p := &plan{}
	p.rects = append(p.rects,
		rect{image.Rect(0, 0, Width, Height), colPaper},
		rect{image.Rect(0, 0, Width, headerH), colGreen},
		rect{image.Rect(0, Height-footerH, Width, Height), colGreenDark},
	)

	// Header: title and subtitle, vertically centred in the band together.
	hw := Width - 2*margin
	titleText, subText := c.header()
	title := fitLines(fs, stTitle, clean(titleText), hw, 1)
	sub := fitLines(fs, stSubtitle, clean(subText), hw, 1)
	const titleSubGap = 10
	hh := title.height() + sub.height()
	if !title.empty() && !sub.empty() {
		hh += titleSubGap
	}
	y := (headerH - hh) / 2
	y = p.place(title, margin, y, hw, alignLeft)
	if !title.empty() {
		y += titleSubGap
	}
	p.place(sub, margin, y, hw, alignLeft)

	// Left column: name, then reference | KPJ, then programmes, then coverage.
	x, w := textCol.Min.X, textCol.Dx()
	y = textCol.Min.Y
	y = p.field(fs, x, y, w, c.Labels.Name, fitName(fs, clean(c.Name), w))
	y += fieldGap

	colW := (w - columnGap) / 2
	kpj, kpjStyle := clean(c.KPJ), stValue
	if kpj == "" {
		kpj, kpjStyle.col = clean(c.Labels.KPJPending), colPending
	}
	y1 := p.field(fs, x, y, colW, c.Labels.Reference, fitLines(fs, stValue, clean(c.Reference), colW, 1))
	y2 := p.field(fs, x+colW+columnGap, y, colW, c.Labels.KPJ, fitLines(fs, kpjStyle, kpj, colW, 1))
	y = max(y1, y2) + fieldGap

	y = p.field(fs, x, y, w, c.Labels.Programs, fitLines(fs, stValue, clean(c.Programs), w, 1))
	y += fieldGap

	y = p.field(fs, x, y, w, c.Labels.Coverage, fitLines(fs, stValue, coverage(c), w, 1))
	if y > textCol.Max.Y {
		return nil, fmt.Errorf("kartu: layout overflows the card by %d px", y-textCol.Max.Y)
	}

	// Right: QR code, and the scan hint centred under it.
	code, err := p.qr(c.VerifyURL)
	if err != nil {
		return nil, err
	}
	scan := fitLines(fs, stScan, clean(c.Labels.Scan), qrArea.Dx(), 2)
	yq := p.place(scan, code.Min.X+(code.Dx()-qrArea.Dx())/2, p.qrQuiet.Max.Y+2, qrArea.Dx(), alignCentre)

	// Centre the body vertically: as much white above it as below.
	bottom := max(y, yq, p.qrQuiet.Max.Y)
	if dy := ((Height - footerH - bottom) - (contentTop - headerH)) / 2; dy > 0 {
		p.shiftBody(dy)
	}
	return p, nil
}

func coverage(c Card) string {
	from, to := clean(c.CoverFrom), clean(c.CoverTo)
	switch {
	case from == "":
		return to
	case to == "":
		return from
	}
	return from + " – " + to
}

// field places a small label above a value block and returns the y below it.
func (p *plan) field(fs *faces, x, y, w int, label string, value lines) int {
	l := fitLines(fs, stLabel, clean(label), w, 1)
	y = p.place(l, x, y, w, alignLeft)
	if !l.empty() {
		y += 2
	}
	return p.place(value, x, y, w, alignLeft)
}

// lines is a block of text set in one face.
type lines struct {
	face  font.Face
	col   color.RGBA
	bg    color.RGBA
	s     []string
	lineH int
	asc   int
}

func (l lines) empty() bool { return len(l.s) == 0 }

func (l lines) height() int { return len(l.s) * l.lineH }

type align int

const (
	alignLeft align = iota
	alignCentre
)

// place puts the block's top at y in the box [x, x+w) and returns the y
// below it.
func (p *plan) place(l lines, x, y, w int, a align) int {
	for _, s := range l.s {
		box := image.Rect(x, y, x+w, y+l.lineH)
		b, _ := font.BoundString(l.face, s)
		left := min(b.Min.X, 0)
		ink := inkWidth(l.face, s)
		dx := fixed.I(x) - left
		if a == alignCentre {
			dx += (fixed.I(w) - ink) / 2
		}
		p.texts = append(p.texts, text{
			S:    s,
			Face: l.face,
			Col:  l.col,
			Bg:   l.bg,
			Dot:  fixed.Point26_6{X: dx, Y: fixed.I(y + l.asc)},
			Box:  box,
		})
		y += l.lineH
	}
	return y
}

// fitName prefers the name on one line in a large size; failing that, on two
// lines in the largest size that holds it.
func fitName(fs *faces, name string, w int) lines {
	one := stName
	one.min = 36
	if l, ok := fit(fs, one, name, w, 1); ok {
		return l
	}
	return fitLines(fs, stName, name, w, 2)
}

// fitLines sets s in the largest size of st that fits in maxLines lines of
// width w; at the smallest size it cuts the last line with an ellipsis.
func fitLines(fs *faces, st style, s string, w, maxLines int) lines {
	if l, ok := fit(fs, st, s, w, maxLines); ok {
		return l
	}
	face := fs.face(st.w, st.min)
	all := wrap(face, s, w, 0)
	last := strings.Join(all[maxLines-1:], " ")
	ls := append(all[:maxLines-1:maxLines-1], ellipsize(face, last, w))
	return newLines(face, st, ls)
}

// fit sets s in the largest size of st at which it takes at most maxLines
// lines of width w; false when even the smallest size is too large.
func fit(fs *faces, st style, s string, w, maxLines int) (lines, bool) {
	if s == "" {
		return lines{}, true
	}
	largest := fs.face(st.w, st.max)
	if ls := wrap(largest, s, w, maxLines); ls != nil {
		return newLines(largest, st, ls), true // the common case
	}
	// Bisect the sizes, largest first: text that fits at one size fits at
	// every smaller one. Search only reports an index whose predicate it saw
	// true, so the result always fits even where hinting bends that rule.
	i := sort.Search(st.max-st.min+1, func(i int) bool {
		return wrap(fs.face(st.w, st.max-i), s, w, maxLines) != nil
	})
	if i > st.max-st.min {
		return lines{}, false
	}
	face := fs.face(st.w, st.max-i)
	if ls := wrap(face, s, w, maxLines); ls != nil {
		return newLines(face, st, ls), true
	}
	return lines{}, false
}

func newLines(face font.Face, st style, s []string) lines {
	m := face.Metrics()
	return lines{
		face:  face,
		col:   st.col,
		bg:    st.bg,
		s:     s,
		lineH: (m.Ascent + m.Descent).Ceil(),
		asc:   m.Ascent.Ceil(),
	}
}

// inkWidth is the horizontal extent of s: its advance, widened by any glyph
// that reaches left of the origin or right of the advance.
func inkWidth(face font.Face, s string) fixed.Int26_6 {
	b, adv := font.BoundString(face, s)
	return max(b.Max.X, adv) - min(b.Min.X, 0)
}

// wrap breaks s into lines no wider than w, at spaces where it can and inside
// a word only when the word alone is too wide. It returns nil when more than
// maxLines lines would be needed (maxLines 0: no limit).
func wrap(face font.Face, s string, w, maxLines int) []string {
	limit := fixed.I(w)
	if inkWidth(face, s) <= limit {
		return []string{s}
	}
	var out []string
	line := ""
	push := func(l string) bool {
		out = append(out, l)
		return maxLines == 0 || len(out) <= maxLines
	}
	for _, word := range strings.Split(s, " ") {
		cand := word
		if line != "" {
			cand = line + " " + word
		}
		if inkWidth(face, cand) <= limit {
			line = cand
			continue
		}
		if line != "" {
			if !push(line) {
				return nil
			}
			line = ""
		}
		// The word alone: break it by runes while it is too wide.
		for inkWidth(face, word) > limit {
			r := []rune(word)
			// The longest prefix that fits (at least one rune), by bisection.
			n := sort.Search(len(r), func(i int) bool {
				return i > 1 && inkWidth(face, string(r[:i])) > limit
			}) - 1
			n = max(n, 1)
			if !push(string(r[:n])) {
				return nil
			}
			word = string(r[n:])
		}
		line = word
	}
	if line != "" && !push(line) {
		return nil
	}
	return out
}

// ellipsize cuts s so that s + "…" fits in w.
func ellipsize(face font.Face, s string, w int) string {
	limit := fixed.I(w)
	if inkWidth(face, s) <= limit {
		return s
	}
	r := []rune(s)
	cut := func(n int) string { return strings.TrimRight(string(r[:n]), " ") + "…" }
	// The longest prefix that fits with the ellipsis, by bisection.
	n := sort.Search(len(r)+1, func(i int) bool {
		return i > 0 && inkWidth(face, cut(i)) > limit
	}) - 1
	if n <= 0 {
		return "…"
	}
	return cut(n)
}

// qr adds the QR code of url (error correction Medium) as whole-pixel
// modules, as large as fits in qrArea, right-aligned with the margin and its
// top level with the first label. The 4-module quiet zone around it is left
// white. It returns the rectangle of the modules, quiet zone not included.
func (p *plan) qr(url string) (image.Rectangle, error) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return image.Rectangle{}, fmt.Errorf("kartu: qr code: %w", err)
	}
	q.DisableBorder = true // the quiet zone is the white card around it
	bits := q.Bitmap()
	n := len(bits)
	scale := qrMax / n
	if scale < 2 {
		return image.Rectangle{}, fmt.Errorf("kartu: verify URL too long for the QR code (%d modules)", n)
	}
	side := n * scale
	top := max(qrArea.Min.Y+4, headerH+4*scale+4) // quiet zone clear of the header band
	code := image.Rect(qrArea.Max.X-side, top, qrArea.Max.X, top+side)
	p.qrCode, p.qrQuiet = code, code.Inset(-4*scale)
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			x0 := x // merge horizontal runs of dark modules into one rectangle
			for x < len(row) && row[x] {
				x++
			}
			p.rects = append(p.rects, rect{
				image.Rect(code.Min.X+x0*scale, code.Min.Y+y*scale, code.Min.X+x*scale, code.Min.Y+(y+1)*scale),
				colQR,
			})
		}
	}
	return code, nil
}

// shiftBody moves everything below the header band down by dy pixels.
func (p *plan) shiftBody(dy int) {
	d := image.Pt(0, dy)
	for i := range p.texts {
		if p.texts[i].Box.Min.Y >= headerH {
			p.texts[i].Box = p.texts[i].Box.Add(d)
			p.texts[i].Dot.Y += fixed.I(dy)
		}
	}
	for i := range p.rects {
		if r := p.rects[i].R; r.Min.Y >= headerH && r.Max.Y <= Height-footerH {
			p.rects[i].R = r.Add(d)
		}
	}
	p.qrCode, p.qrQuiet = p.qrCode.Add(d), p.qrQuiet.Add(d)
}
