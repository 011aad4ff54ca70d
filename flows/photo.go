package flows

import "strings"

// A Reply.Photo names a picture the channel asks its photo source to draw
// when it delivers the reply: "kind:what". This file is its one home: the
// names are built here, and ParsePhoto reads them back.

// Photo kinds.
const (
	PhotoCard  = "card"  // a registration's membership card, by reference
	PhotoQRIS  = "qris"  // a QRIS payment's code, by order id
	PhotoLink  = "link"  // a link drawn as a QR code
	PhotoChart = "chart" // a chart: "coverage", the active coverage by kabupaten/kota
)

// CardPhoto is the Reply.Photo of a registration's membership card.
func CardPhoto(ref string) string { return PhotoCard + ":" + ref }

// QRISPhoto is the Reply.Photo of a QRIS payment's code, drawn as a QR code.
func QRISPhoto(orderID string) string { return PhotoQRIS + ":" + orderID }

// LinkPhoto is the Reply.Photo of a link drawn as a QR code.
func LinkPhoto(url string) string { return PhotoLink + ":" + url }

// CoveragePhoto is the Reply.Photo of the chart of active coverage by
// kabupaten/kota, drawn from the store when it is sent.
const CoveragePhoto = PhotoChart + ":coverage"

// ParsePhoto reads a Reply.Photo: its kind and what it shows; ok is false
// for a name none of the builders above makes.
func ParsePhoto(name string) (kind, what string, ok bool) {
	kind, what, ok = strings.Cut(name, ":")
	switch {
	case !ok || what == "":
		return "", "", false
	case kind == PhotoCard, kind == PhotoQRIS, kind == PhotoLink, kind == PhotoChart && what == "coverage":
		return kind, what, true
	}
	return "", "", false
}
