package kartu

import (
	"image"
	"image/color"
)

// The card is painted straight into a paletted image: it holds few colours
// (bands, paper, black modules, and anti-aliased text of five ink/background
// pairs), and an 8-bit paletted PNG is both smaller and several times faster
// to encode than a truecolour one, since the encoder skips row filtering.

// rampLevels is the number of anti-aliasing steps from background to ink.
const rampLevels = 32

// ramp is one ink colour blended over one background.
type ramp struct{ fg, bg color.RGBA }

// cardPalette is built once from the colours of layout.go and never changed.
var cardPalette = buildPalette(
	[]color.RGBA{colPaper, colGreen, colGreenDark, colQR},
	[]ramp{
		{colInk, colPaper}, {colLabel, colPaper}, {colPending, colPaper},
		{colOnGreen, colGreen}, {colOnGreen2, colGreen},
	},
)

type palette struct {
	colors color.Palette
	solid  map[color.RGBA]uint8 // index of a flat colour
	ramps  map[ramp]uint8       // index of level 0 of a ramp; level i is base+i
}

func buildPalette(solid []color.RGBA, ramps []ramp) *palette {
	p := &palette{solid: map[color.RGBA]uint8{}, ramps: map[ramp]uint8{}}
	for _, c := range solid {
		p.solid[c] = uint8(len(p.colors))
		p.colors = append(p.colors, c)
	}
	for _, r := range ramps {
		p.ramps[r] = uint8(len(p.colors))
		for i := range rampLevels {
			p.colors = append(p.colors, blend(r.fg, r.bg, i, rampLevels-1))
		}
	}
	if len(p.colors) > 256 {
		panic("kartu: palette has more than 256 colours")
	}
	return p
}

// blend is fg over bg at coverage num/den, as draw.Over would mix them.
func blend(fg, bg color.RGBA, num, den int) color.RGBA {
	mix := func(f, b uint8) uint8 {
		return uint8((int(f)*num + int(b)*(den-num) + den/2) / den)
	}
	return color.RGBA{mix(fg.R, bg.R), mix(fg.G, bg.G), mix(fg.B, bg.B), 0xff}
}

// paint draws the plan on a new paletted image.
func (p *plan) paint() *image.Paletted {
	pal := cardPalette
	img := image.NewPaletted(image.Rect(0, 0, Width, Height), pal.colors)
	for _, r := range p.rects {
		fill(img, r.R, pal.solid[r.Col])
	}
	for _, t := range p.texts {
		base, ok := pal.ramps[ramp{t.Col, t.Bg}]
		if !ok {
			panic("kartu: no palette ramp for a text colour") // layout.go and the palette disagree
		}
		drawString(img, t, base)
	}
	return img
}

func fill(img *image.Paletted, r image.Rectangle, idx uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = idx
		}
	}
}

// drawString is font.Drawer.DrawString for a paletted image: each glyph's
// coverage picks a level of the text's ramp; where glyphs overlap, their
// coverages add up as with draw.Over.
func drawString(img *image.Paletted, t text, base uint8) {
	dot := t.Dot
	prev := rune(-1)
	for _, r := range t.S {
		if prev >= 0 {
			dot.X += t.Face.Kern(prev, r)
		}
		prev = r
		dr, mask, mp, adv, ok := t.Face.Glyph(dot, r)
		dot.X += adv
		if !ok {
			continue
		}
		clip := dr.Intersect(img.Rect)
		for y := clip.Min.Y; y < clip.Max.Y; y++ {
			for x := clip.Min.X; x < clip.Max.X; x++ {
				a := alphaAt(mask, mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y)
				if a == 0 {
					continue
				}
				i := img.PixOffset(x, y)
				cov := int(a)
				if cur := img.Pix[i]; cur > base && cur < base+rampLevels {
					// Over an earlier glyph of the same line (a kerned
					// pair): coverages combine as draw.Over would.
					prev := int(cur-base) * 255 / (rampLevels - 1)
					cov += prev * (255 - cov) / 255
				}
				img.Pix[i] = base + uint8((cov*(rampLevels-1)+127)/255)
			}
		}
	}
}

func alphaAt(m image.Image, x, y int) uint8 {
	if a, ok := m.(*image.Alpha); ok {
		return a.Pix[a.PixOffset(x, y)]
	}
	_, _, _, a := m.At(x, y).RGBA()
	return uint8(a >> 8)
}
