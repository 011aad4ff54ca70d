package kartu

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"

	"github.com/lindungi/lindungi/locales"
)

var labelsID = Labels{
	Title:      "KARTU PESERTA",
	Subtitle:   "BPJS Ketenagakerjaan · Bukan Penerima Upah",
	Name:       "Nama",
	Reference:  "No. pendaftaran",
	KPJ:        "KPJ",
	KPJPending: "menyusul",
	Programs:   "Program",
	Coverage:   "Masa perlindungan",
	Scan:       "Pindai untuk memeriksa",
}

func typical() Card {
	return Card{
		Name:      "Siti Rahmawati",
		Reference: "LD2611-7K3M9Q",
		KPJ:       "",
		Programs:  "JKK + JKM + JHT",
		CoverFrom: "1 Desember 2026",
		CoverTo:   "28 Februari 2027",
		VerifyURL: "https://lindungi.example.id/verify/q7Xk2mP9vR4tW8zB3nL6",
		Labels:    labelsID,
	}
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, Width, Height) {
		t.Fatalf("image bounds = %v, want %dx%d", got, Width, Height)
	}
	return img
}

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("gozxing bitmap: %v", err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

func TestRenderTypical(t *testing.T) {
	c := typical()
	b, err := Render(c)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if len(b) > 120<<10 {
		t.Errorf("PNG is %d bytes, want < 120 KB", len(b))
	}
	img := decodePNG(t, b)
	if got := decodeQR(t, img); got != c.VerifyURL {
		t.Errorf("QR = %q, want %q", got, c.VerifyURL)
	}
	t.Logf("PNG %d bytes", len(b))
}

func TestQRRoundTrip(t *testing.T) {
	for _, url := range []string{
		"https://x.id/v/1",
		"https://lindungi.example.id/verify/" + strings.Repeat("Ab3-_", 20),
		"http://localhost:8080/verify/abc?x=1&y=%20",
	} {
		c := typical()
		c.VerifyURL = url
		b, err := Render(c)
		if err != nil {
			t.Fatalf("Render(%q): %v", url, err)
		}
		if got := decodeQR(t, decodePNG(t, b)); got != url {
			t.Errorf("QR = %q, want %q", got, url)
		}
		checkInside(t, planFor(t, c))
	}
}

// planFor lays c out with a face set of its own.
func planFor(t testing.TB, c Card) *plan {
	t.Helper()
	fs, err := getFaces()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { putFaces(fs) })
	p, err := layout(c, fs)
	if err != nil {
		t.Fatalf("layout: %v", err)
	}
	return p
}

func findText(p *plan, s string) (text, bool) {
	for _, tx := range p.texts {
		if tx.S == s {
			return tx, true
		}
	}
	return text{}, false
}

func TestKPJ(t *testing.T) {
	c := typical()
	p := planFor(t, c)
	tx, ok := findText(p, "menyusul")
	if !ok {
		t.Fatalf("KPJ pending: no %q on the card; texts: %v", "menyusul", texts(p))
	}
	if tx.Col != colPending {
		t.Errorf("pending KPJ colour = %v, want %v", tx.Col, colPending)
	}
	if _, ok := findText(p, "KPJ"); !ok {
		t.Errorf("no KPJ label; texts: %v", texts(p))
	}

	c.KPJ = "26010123456"
	p = planFor(t, c)
	if _, ok := findText(p, "menyusul"); ok {
		t.Errorf("KPJ known but the card still says menyusul")
	}
	tx, ok = findText(p, "26010123456")
	if !ok {
		t.Fatalf("KPJ value not on the card; texts: %v", texts(p))
	}
	if tx.Col != colInk {
		t.Errorf("KPJ colour = %v, want %v", tx.Col, colInk)
	}
}

// TestReceiptHeader: without a KPJ the card is Lindungi's registration
// receipt, and its header must not read like a BPJS card; with a KPJ it is
// the member card. The labels are the real locale texts, in both languages.
func TestReceiptHeader(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Langs() {
		labels := LabelsFrom(func(key string) string { return cat.T(lang, key, nil) })
		for name, v := range map[string]string{"Title": labels.Title, "Subtitle": labels.Subtitle, "ReceiptTitle": labels.ReceiptTitle,
			"ReceiptSubtitle": labels.ReceiptSubtitle, "Name": labels.Name, "KPJPending": labels.KPJPending, "Scan": labels.Scan} {
			if v == "" || strings.HasPrefix(v, "card.") {
				t.Errorf("%s: label %s = %q", lang, name, v)
			}
		}
		c := typical()
		c.Labels = labels
		p := planFor(t, c)
		checkInside(t, p)
		for _, want := range []string{labels.ReceiptTitle, labels.ReceiptSubtitle, labels.KPJPending} {
			if _, ok := findText(p, want); !ok {
				t.Errorf("%s, no KPJ: no %q on the card; texts: %v", lang, want, texts(p))
			}
		}
		for _, not := range []string{labels.Title, labels.Subtitle} {
			if _, ok := findText(p, not); ok {
				t.Errorf("%s, no KPJ: the receipt shows the member card's %q", lang, not)
			}
		}
		if lang == "id" && (labels.ReceiptTitle != "BUKTI PENDAFTARAN LINDUNGI" || !strings.HasPrefix(labels.ReceiptSubtitle, "Bukan kartu BPJS.")) {
			t.Errorf("id receipt header: %q / %q", labels.ReceiptTitle, labels.ReceiptSubtitle)
		}

		c.KPJ = "26010123456"
		p = planFor(t, c)
		checkInside(t, p)
		for _, want := range []string{labels.Title, labels.Subtitle, "26010123456"} {
			if _, ok := findText(p, want); !ok {
				t.Errorf("%s, KPJ known: no %q on the card; texts: %v", lang, want, texts(p))
			}
		}
		if _, ok := findText(p, labels.ReceiptTitle); ok {
			t.Errorf("%s, KPJ known: the card still says %q", lang, labels.ReceiptTitle)
		}
	}

	// Labels without the receipt's texts (an older caller): the card keeps its title.
	c := typical()
	if _, ok := findText(planFor(t, c), labelsID.Title); !ok {
		t.Errorf("no receipt labels: title %q missing", labelsID.Title)
	}
}

func texts(p *plan) []string {
	var s []string
	for _, tx := range p.texts {
		s = append(s, tx.S)
	}
	return s
}

// checkInside fails when the ink of any line leaves its box, a box leaves the
// card, or a text box of the left column runs into the QR code.
func checkInside(t *testing.T, p *plan) {
	t.Helper()
	card := image.Rect(0, 0, Width, Height)
	body := image.Rect(0, headerH, Width, Height-footerH)
	if !p.qrQuiet.In(body) {
		t.Errorf("QR quiet zone %v leaves the white body %v", p.qrQuiet, body)
	}
	for _, tx := range p.texts {
		b, _ := font.BoundString(tx.Face, tx.S)
		ink := fixed.Rectangle26_6{Min: b.Min.Add(tx.Dot), Max: b.Max.Add(tx.Dot)}
		box := fixed.R(tx.Box.Min.X, tx.Box.Min.Y, tx.Box.Max.X, tx.Box.Max.Y)
		if !ink.In(box) {
			t.Errorf("%q: ink %v outside its box %v", tx.S, ink, tx.Box)
		}
		if !tx.Box.In(card) {
			t.Errorf("%q: box %v outside the card", tx.S, tx.Box)
		}
		if tx.Box.Overlaps(p.qrQuiet) {
			t.Errorf("%q: box %v overlaps the QR code and its quiet zone %v", tx.S, tx.Box, p.qrQuiet)
		}
		for _, o := range p.texts {
			if o != tx && o.Box.Overlaps(tx.Box) {
				t.Errorf("%q %v overlaps %q %v", tx.S, tx.Box, o.S, o.Box)
			}
		}
	}
}

func TestTypicalLayoutInside(t *testing.T) {
	p := planFor(t, typical())
	checkInside(t, p)
	// The typical name is on one line in the largest size.
	tx, ok := findText(p, "Siti Rahmawati")
	if !ok {
		t.Fatalf("name missing; texts: %v", texts(p))
	}
	if got := tx.Face.Metrics().Height; got < fixed.I(stName.max) {
		t.Errorf("name line height %v, want the largest size %d", got, stName.max)
	}
}

func TestLongTextsFit(t *testing.T) {
	hundred := "Raden Ajeng Kartini Sosroningrat Dewi Sartika Cut Nyak Dhien Martha Christina Tiahahu Nyi Ageng Seri"
	if n := len([]rune(hundred)); n != 100 {
		t.Fatalf("test name has %d characters", n)
	}
	cases := map[string]func(*Card){
		"100-char name": func(c *Card) { c.Name = hundred },
		"100 W no space": func(c *Card) {
			c.Name = strings.Repeat("W", 100)
		},
		"accents and newline": func(c *Card) {
			c.Name = "ÉÀÇ Ñoño\nMüller-Łukasz " + strings.Repeat("Ägyptén ", 10)
		},
		"everything long": func(c *Card) {
			c.Name = hundred
			c.Reference = strings.Repeat("LD2611-7K3M9Q", 4)
			c.KPJ = strings.Repeat("9", 40)
			c.Programs = "JKK + JKM + JHT + JP + JKP + " + strings.Repeat("PROGRAM ", 8)
			c.CoverFrom = "30 September 2026 (mulai tengah malam)"
			c.CoverTo = "30 September 2027 (berakhir tengah malam)"
			c.Labels.Title = strings.Repeat("KARTU PESERTA ", 6)
			c.Labels.Subtitle = strings.Repeat("BPJS Ketenagakerjaan · Bukan Penerima Upah ", 3)
			c.Labels.Reference = strings.Repeat("Nomor pendaftaran ", 3)
			c.Labels.Scan = strings.Repeat("Pindai untuk memeriksa ", 5)
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			c := typical()
			mod(&c)
			p := planFor(t, c)
			checkInside(t, p)
			b, err := Render(c)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got := decodeQR(t, decodePNG(t, b)); got != c.VerifyURL {
				t.Errorf("QR = %q", got)
			}
		})
	}

	// A 100-character name with spaces is shown whole, on at most two lines.
	c := typical()
	c.Name = hundred
	p := planFor(t, c)
	var name []string
	for _, tx := range p.texts {
		if strings.Contains(hundred, tx.S) {
			name = append(name, tx.S)
		}
	}
	if len(name) == 0 || len(name) > 2 || strings.Join(name, " ") != hundred {
		t.Errorf("name lines = %q, want %q on one or two lines", name, hundred)
	}
}

func TestWrapAndEllipsis(t *testing.T) {
	fs, err := getFaces()
	if err != nil {
		t.Fatal(err)
	}
	defer putFaces(fs)
	face := fs.face(bold, 30)
	if got := wrap(face, "Siti", 400, 1); len(got) != 1 || got[0] != "Siti" {
		t.Errorf("wrap short = %q", got)
	}
	if got := wrap(face, strings.Repeat("kata ", 40), 400, 2); got != nil {
		t.Errorf("wrap too long for 2 lines = %q, want nil", got)
	}
	got := wrap(face, strings.Repeat("W", 60), 400, 0)
	if len(got) < 2 || strings.Join(got, "") != strings.Repeat("W", 60) {
		t.Errorf("wrap of one long word = %q", got)
	}
	l := fitLines(fs, stValue, strings.Repeat("sangat panjang ", 30), 300, 1)
	if len(l.s) != 1 || !strings.HasSuffix(l.s[0], "…") || inkWidth(l.face, l.s[0]) > fixed.I(300) {
		t.Errorf("fitLines overflow = %q", l.s)
	}
}

func TestIncomplete(t *testing.T) {
	for _, f := range []func(*Card){
		func(c *Card) { c.VerifyURL = "" },
		func(c *Card) { c.VerifyURL = "  " },
		func(c *Card) { c.Name = "" },
		func(c *Card) { c.Reference = "" },
	} {
		c := typical()
		f(&c)
		b, err := Render(c)
		if !errors.Is(err, ErrIncomplete) || b != nil {
			t.Errorf("Render(%+v) = %d bytes, %v; want ErrIncomplete", c, len(b), err)
		}
	}
}

func TestEmptyLabels(t *testing.T) {
	c := typical()
	c.Labels = Labels{}
	b, err := Render(c)
	if err != nil {
		t.Fatalf("Render without labels: %v", err)
	}
	decodePNG(t, b)
	checkInside(t, planFor(t, c))
}

func TestConcurrentRender(t *testing.T) {
	want, err := Render(typical())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			for j := 0; j < 3; j++ {
				got, err := Render(typical())
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("concurrent Render differs (err %v)", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestSample writes testdata/sample.png, a visual reference, when it is
// missing or when KARTU_SAMPLE=1.
func TestSample(t *testing.T) {
	path := filepath.Join("testdata", "sample.png")
	if _, err := os.Stat(path); err == nil && os.Getenv("KARTU_SAMPLE") != "1" {
		t.Skip("testdata/sample.png exists; KARTU_SAMPLE=1 regenerates it")
	}
	b, err := Render(typical())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkRender(b *testing.B) {
	typ := typical()
	typ.KPJ = "26010123456"
	long := typ
	long.Name = strings.Repeat("Sosroningrat ", 8) + strings.Repeat("W", 60)
	for _, bc := range []struct {
		name string
		card Card
	}{{"typical", typ}, {"long-name", long}} {
		b.Run(bc.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				out, err := Render(bc.card)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.ReportMetric(float64(n), "png-bytes")
		})
	}
}

// TestPaintMatchesDrawer checks the paletted painter against the reference
// drawing of the same plan with image/draw and font.Drawer on RGBA: every
// pixel within one anti-aliasing step.
func TestPaintMatchesDrawer(t *testing.T) {
	c := typical()
	c.Name = "Raden Ajeng Kartini Sosroningrat Dewi Sartika Cut Nyak Dhien"
	p := planFor(t, c)
	got := p.paint()
	want := image.NewRGBA(got.Rect)
	for _, r := range p.rects {
		draw.Draw(want, r.R, image.NewUniform(r.Col), image.Point{}, draw.Src)
	}
	for _, tx := range p.texts {
		d := font.Drawer{Dst: want, Src: image.NewUniform(tx.Col), Face: tx.Face, Dot: tx.Dot}
		d.DrawString(tx.S)
	}
	const tol = 255/(rampLevels-1)/2 + 2
	bad := 0
	for y := got.Rect.Min.Y; y < got.Rect.Max.Y; y++ {
		for x := got.Rect.Min.X; x < got.Rect.Max.X; x++ {
			g := got.Palette[got.ColorIndexAt(x, y)].(color.RGBA)
			w := want.RGBAAt(x, y)
			if absDiff(g.R, w.R) > tol || absDiff(g.G, w.G) > tol || absDiff(g.B, w.B) > tol {
				if bad++; bad <= 5 {
					t.Errorf("pixel (%d,%d) = %v, want ≈ %v", x, y, g, w)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d pixels differ", bad)
	}
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}
