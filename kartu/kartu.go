// Package kartu draws the card a worker receives once the first iuran is
// paid: a landscape PNG with the name, the registration reference, the KPJ
// (or a "pending" mark), the programmes, the coverage period and a QR code
// pointing at the public verification page. Until BPJS Ketenagakerjaan has
// given a KPJ the card is only Lindungi's registration receipt, and its
// header says so ([Labels.ReceiptTitle]) instead of looking like a BPJS card;
// with a KPJ it is the membership card.
//
// The package is a pure renderer: no I/O, no clock, no text of its own. Every
// label arrives in [Labels], taken by the caller from the locales, and every
// value arrives already formatted (title-cased name, Indonesian dates).
//
// Text is set in the Go fonts (Go Regular and Go Bold, from
// golang.org/x/image/font/gofont), which are released by the Go Authors under
// the BSD 3-Clause licence that also covers the golang.org/x/image module they
// are embedded in; no font file is vendored here.
package kartu

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync"
	"unicode"
)

// Size of the card in pixels (roughly the ISO/IEC 7810 ID-1 aspect ratio).
const (
	Width  = 1000
	Height = 630
)

// Card is what is printed on one membership card.
type Card struct {
	Name               string // as it should appear; title-casing is the caller's job
	Reference          string // Lindungi registration reference, e.g. "LD2611-7K3M9Q"
	KPJ                string // BPJS participant number; "" when not known yet
	Programs           string // e.g. "JKK + JKM + JHT"
	CoverFrom, CoverTo string // already formatted dates, e.g. "1 Desember 2026"
	VerifyURL          string // encoded in the QR code
	Labels             Labels
}

// Labels are the fixed texts of the card, in the worker's language.
type Labels struct {
	Title    string // "KARTU PESERTA", the header once a KPJ is known
	Subtitle string // "BPJS Ketenagakerjaan · Bukan Penerima Upah"
	// The header while the KPJ is not known: "BUKTI PENDAFTARAN LINDUNGI",
	// "Bukan kartu BPJS. Kartu peserta menyusul…". A caller that leaves them
	// empty gets Title and Subtitle on every card.
	ReceiptTitle    string
	ReceiptSubtitle string
	Name            string // "Nama"
	Reference       string // "No. pendaftaran"
	KPJ             string // "KPJ"
	KPJPending      string // "menyusul", shown as the KPJ value while KPJ is ""
	Programs        string // "Program"
	Coverage        string // "Masa perlindungan"
	Scan            string // "Pindai untuk memeriksa", under the QR code
}

// LabelsFrom returns the card's labels from the locale keys card.title,
// card.subtitle, card.receipt_title, card.receipt_subtitle, card.name,
// card.reference, card.kpj, card.kpj_pending, card.programs, card.coverage
// and card.scan; text renders one key (locales.Catalog.T in one language).
func LabelsFrom(text func(key string) string) Labels {
	return Labels{
		Title: text("card.title"), Subtitle: text("card.subtitle"),
		ReceiptTitle: text("card.receipt_title"), ReceiptSubtitle: text("card.receipt_subtitle"),
		Name: text("card.name"), Reference: text("card.reference"), KPJ: text("card.kpj"), KPJPending: text("card.kpj_pending"),
		Programs: text("card.programs"), Coverage: text("card.coverage"), Scan: text("card.scan"),
	}
}

// header returns the title and subtitle the card shows: the member card's
// once a KPJ is known, the receipt's before.
func (c Card) header() (title, subtitle string) {
	if clean(c.KPJ) == "" && clean(c.Labels.ReceiptTitle) != "" {
		return c.Labels.ReceiptTitle, c.Labels.ReceiptSubtitle
	}
	return c.Labels.Title, c.Labels.Subtitle
}

// ErrIncomplete is returned (wrapped, with the field's name) when a field the
// card cannot do without is empty.
var ErrIncomplete = errors.New("kartu: incomplete card")

// Render draws the card and returns it as PNG bytes of Width×Height pixels.
// Long texts wrap (the name, to two lines) or shrink to fit their place and
// are cut with an ellipsis only as a last resort; nothing is drawn outside
// its box. Render is safe for concurrent use.
func Render(c Card) ([]byte, error) {
	img, err := renderImage(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: encoderBuffers{}}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("kartu: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// encoderPool keeps PNG encoder state (its ~1 MB deflate window above all)
// between renders; like the face cache, it holds no data of any card.
var encoderPool sync.Pool

type encoderBuffers struct{}

func (encoderBuffers) Get() *png.EncoderBuffer {
	b, _ := encoderPool.Get().(*png.EncoderBuffer)
	return b
}

func (encoderBuffers) Put(b *png.EncoderBuffer) { encoderPool.Put(b) }

// renderImage validates the card, lays it out and paints it.
func renderImage(c Card) (*image.Paletted, error) {
	if err := validate(c); err != nil {
		return nil, err
	}
	fs, err := getFaces()
	if err != nil {
		return nil, err
	}
	defer putFaces(fs)
	p, err := layout(c, fs)
	if err != nil {
		return nil, err
	}
	return p.paint(), nil
}

func validate(c Card) error {
	for _, f := range []struct{ name, v string }{
		{"VerifyURL", c.VerifyURL},
		{"Name", c.Name},
		{"Reference", c.Reference},
	} {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("%w: empty %s", ErrIncomplete, f.name)
		}
	}
	return nil
}

// maxRunes bounds every text before layout. Nothing longer can be shown
// whole on the card anyway (it would be cut with an ellipsis), and the bound
// keeps the cost of fitting an absurd input small.
const maxRunes = 300

// clean turns any run of white space or control characters into one space so
// that a stray newline or tab in stored data cannot break the layout, and
// cuts the text at maxRunes.
func clean(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}), " ")
	if r := []rune(s); len(r) > maxRunes {
		s = string(r[:maxRunes])
	}
	return s
}
