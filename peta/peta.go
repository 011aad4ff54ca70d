// Package peta holds the boundaries of a province's kabupaten/kota and
// draws them as SVG on the server, each filled by a value (the dashboard's
// coverage map). Only provinces whose boundaries can be shipped under an
// open licence are here: data/<province>.json, with its source, licence
// and changes in the file (see data/README.md).
package peta

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"strings"
)

//go:embed data/*.json
var files embed.FS

// ErrNoMap is returned for a province with no boundaries shipped.
var ErrNoMap = errors.New("no boundaries for this province")

// Map is a province's kabupaten/kota boundaries.
type Map struct {
	Province string   `json:"province"`
	Source   string   `json:"source"`
	License  string   `json:"license"`
	Changes  string   `json:"changes"`
	Regions  []Region `json:"regions"`
}

// Region is one kabupaten/kota: its polygons, each of rings of [lon, lat].
type Region struct {
	Code     string           `json:"code"` // Kemendagri's dotted code: 61.71
	Name     string           `json:"name"`
	Polygons [][][][2]float64 `json:"polygons"`
}

// Load reads a province's map (its dotted code: "61"); ErrNoMap when
// none is shipped.
func Load(province string) (*Map, error) {
	if strings.ContainsAny(province, "/\\") {
		return nil, fmt.Errorf("province %q: %w", province, ErrNoMap)
	}
	b, err := fs.ReadFile(files, "data/"+province+".json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("province %q: %w", province, ErrNoMap)
	}
	if err != nil {
		return nil, fmt.Errorf("map of %s: %w", province, err)
	}
	var m Map
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("map of %s: %w", province, err)
	}
	if m.Province != province || len(m.Regions) == 0 {
		return nil, fmt.Errorf("map of %s: holds province %q with %d regions", province, m.Province, len(m.Regions))
	}
	return &m, nil
}

// Fill is how one region is drawn: a CSS class for its colour, its title
// (read out and shown on a long press), and where it links ("" for none).
type Fill struct {
	Class, Title, Link string
}

// width is the drawing's width in its own units; its height follows the
// province's shape.
const width = 1000.0

// SVG draws the map, each region as fill says, in an equirectangular
// projection (the longitude scaled by the cosine of the middle latitude:
// exact enough near the equator, and for one province anywhere).
func (m *Map) SVG(label string, fill func(code string) Fill) template.HTML {
	minLon, maxLon, minLat, maxLat := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, r := range m.Regions {
		for _, poly := range r.Polygons {
			for _, ring := range poly {
				for _, p := range ring {
					minLon, maxLon = math.Min(minLon, p[0]), math.Max(maxLon, p[0])
					minLat, maxLat = math.Min(minLat, p[1]), math.Max(maxLat, p[1])
				}
			}
		}
	}
	kx := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	scale := width / ((maxLon - minLon) * kx)
	height := (maxLat - minLat) * scale
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="map" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, width, math.Ceil(height), template.HTMLEscapeString(label))
	for _, r := range m.Regions {
		f := fill(r.Code)
		var d strings.Builder
		for _, poly := range r.Polygons {
			for _, ring := range poly {
				for i, p := range ring {
					cmd := 'L'
					if i == 0 {
						cmd = 'M'
					}
					fmt.Fprintf(&d, "%c%.1f %.1f", cmd, (p[0]-minLon)*kx*scale, (maxLat-p[1])*scale)
				}
				d.WriteByte('Z')
			}
		}
		path := fmt.Sprintf(`<path class="%s" d="%s"><title>%s</title></path>`, template.HTMLEscapeString(f.Class), d.String(),
			template.HTMLEscapeString(f.Title))
		if f.Link != "" {
			path = fmt.Sprintf(`<a href="%s" aria-label="%s">%s</a>`, template.HTMLEscapeString(f.Link), template.HTMLEscapeString(f.Title), path)
		}
		b.WriteString(path)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every value escaped above
}
