package chart_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/chart"
)

var kalbar = []chart.Bar{
	{"Kota Pontianak", 12345}, {"Kabupaten Kubu Raya", 9876}, {"Kabupaten Sambas", 5432}, {"Kabupaten Ketapang", 4321},
	{"Kabupaten Sanggau", 3210}, {"Kabupaten Sintang", 2109}, {"Kota Singkawang", 1987}, {"Kabupaten Mempawah", 1500},
	{"Kabupaten Landak", 1234}, {"Kabupaten Bengkayang", 1000}, {"Kabupaten Kapuas Hulu", 876}, {"Kabupaten Melawi", 543},
	{"Kabupaten Sekadau", 321}, {"Kabupaten Kayong Utara", 0},
}

// dots groups thousands as Indonesian does.
func dots(v int64) string {
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestBars(t *testing.T) {
	for _, c := range []struct {
		name          string
		bars          []chart.Bar
		opt           chart.Options
		width, height int
	}{
		{"kalbar", kalbar, chart.Options{XLabel: "pekerja terlindungi hari ini", Format: dots}, 800, 110 + 36*14 + 24},
		{"one bar of zero", []chart.Bar{{"Belum ada pekerja aktif", 0}}, chart.Options{}, 800, 146},
		{"small and narrow", kalbar[:3], chart.Options{Width: 400, BarHeight: 20}, 400, 170},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := chart.Bars("Pekerja aktif per kabupaten/kota, 25 November 2026", c.bars, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if dir := os.Getenv("CHART_OUT"); dir != "" { // to look at them
				os.WriteFile(filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".png"), b, 0o644)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds(); got.Dx() != c.width || got.Dy() != c.height {
				t.Errorf("image of %v, want %d×%d", got, c.width, c.height)
			}
			// The background is white, the first (longest) bar green.
			if r, g, bl, _ := img.At(2, 2).RGBA(); r != 0xffff || g != 0xffff || bl != 0xffff {
				t.Errorf("corner is not white: %v", img.At(2, 2))
			}
			again, err := chart.Bars("Pekerja aktif per kabupaten/kota, 25 November 2026", c.bars, c.opt)
			if err != nil || !bytes.Equal(b, again) {
				t.Errorf("the same input drew different bytes (%d and %d): %v", len(b), len(again), err)
			}
			t.Logf("%d bytes", len(b))
		})
	}
}

func TestBarsChangeWithTheData(t *testing.T) {
	a, err := chart.Bars("x", kalbar, chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other := append([]chart.Bar(nil), kalbar...)
	other[0].Value++
	b, err := chart.Bars("x", other, chart.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("a different value drew the same image")
	}
}

func TestBarsRefuses(t *testing.T) {
	many := make([]chart.Bar, chart.MaxBars+1)
	for _, c := range []struct {
		name string
		bars []chart.Bar
		opt  chart.Options
	}{
		{"no bars", nil, chart.Options{}},
		{"too many bars", many, chart.Options{}},
		{"negative", []chart.Bar{{"a", -1}}, chart.Options{}},
		{"too narrow", kalbar, chart.Options{Width: 100}},
		{"bars too thin", kalbar, chart.Options{BarHeight: 5}},
	} {
		if _, err := chart.Bars("x", c.bars, c.opt); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
