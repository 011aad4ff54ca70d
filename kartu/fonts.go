package kartu

import (
	"fmt"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// parsedFonts parses the two embedded Go fonts once. An *opentype.Font is
// safe for concurrent use.
var parsedFonts = sync.OnceValues(func() ([2]*opentype.Font, error) {
	var fs [2]*opentype.Font
	for i, src := range [2][]byte{goregular.TTF, gobold.TTF} {
		f, err := opentype.Parse(src)
		if err != nil {
			return fs, fmt.Errorf("kartu: parse Go font: %w", err)
		}
		fs[i] = f
	}
	return fs, nil
})

type weight int

const (
	regular weight = iota
	bold
)

type faceKey struct {
	w    weight
	size int // pixels per em (72 DPI, so points = pixels)
}

// faces is a set of font faces by weight and size. An opentype face is not
// safe for concurrent use, so each Render takes a whole set from facePool,
// uses it alone and puts it back: faces are made once per size and reused,
// without sharing one face between goroutines.
type faces struct {
	fonts [2]*opentype.Font
	m     map[faceKey]font.Face
}

var facePool sync.Pool

func getFaces() (*faces, error) {
	if fs, ok := facePool.Get().(*faces); ok {
		return fs, nil
	}
	fonts, err := parsedFonts()
	if err != nil {
		return nil, err
	}
	return &faces{fonts: fonts, m: make(map[faceKey]font.Face)}, nil
}

func putFaces(fs *faces) { facePool.Put(fs) }

// face returns the face of weight w at size px. The Go fonts are valid, so
// opentype.NewFace only fails on a nonsensical size, which layout never asks
// for; it panics rather than carry an impossible error through every caller.
func (fs *faces) face(w weight, px int) font.Face {
	k := faceKey{w, px}
	if f, ok := fs.m[k]; ok {
		return f
	}
	f, err := opentype.NewFace(fs.fonts[w], &opentype.FaceOptions{
		Size:    float64(px),
		DPI:     72,
		Hinting: font.HintingFull,
	})
	if err != nil {
		panic(fmt.Sprintf("kartu: face %v/%dpx: %v", w, px, err))
	}
	fs.m[k] = f
	return f
}
