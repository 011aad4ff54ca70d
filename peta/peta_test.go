package peta_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/peta"
	"github.com/lindungi/lindungi/wilayah"
)

// The shipped map has every kabupaten/kota of the province, by the codes
// and names the registrations use, and nothing else.
func TestMapMatchesTheRegions(t *testing.T) {
	regions, err := wilayah.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := peta.Load("61")
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, r := range regions.Children("61") {
		want = append(want, r.Code)
	}
	for _, r := range m.Regions {
		got = append(got, r.Code)
		reg, ok := regions.Get(r.Code)
		if !ok {
			t.Errorf("map region %s %q: no such kabupaten/kota", r.Code, r.Name)
			continue
		}
		if name := strings.TrimPrefix(reg.Name, "Kabupaten "); !strings.EqualFold(name, r.Name) {
			t.Errorf("map region %s is %q, the regions say %q", r.Code, r.Name, reg.Name)
		}
		if len(r.Polygons) == 0 {
			t.Errorf("map region %s has no shape", r.Code)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("map regions %v, the province has %v", got, want)
	}
	if m.License == "" || m.Source == "" {
		t.Error("the map's licence or source is missing")
	}
}

func TestNoMap(t *testing.T) {
	for _, p := range []string{"32", "../61", ""} {
		if _, err := peta.Load(p); !errors.Is(err, peta.ErrNoMap) {
			t.Errorf("Load(%q): %v, want ErrNoMap", p, err)
		}
	}
}

// Each region is drawn once, with its class, title and link, escaped.
func TestSVG(t *testing.T) {
	m, err := peta.Load("61")
	if err != nil {
		t.Fatal(err)
	}
	svg := string(m.SVG("Cakupan <uji>", func(code string) peta.Fill {
		return peta.Fill{Class: "m2", Title: code + " & co", Link: "/admin/pendaftar?wilayah=" + code}
	}))
	if n := strings.Count(svg, "<path "); n != len(m.Regions) {
		t.Errorf("%d paths for %d regions", n, len(m.Regions))
	}
	for _, want := range []string{`aria-label="Cakupan &lt;uji&gt;"`, `<title>61.71 &amp; co</title>`, `href="/admin/pendaftar?wilayah=61.71"`, `class="m2"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %s", want)
		}
	}
	if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
		t.Error("svg has a coordinate that is not a number")
	}
}
