package flows_test

import (
	"testing"

	"github.com/lindungi/lindungi/flows"
)

func TestPhotoNames(t *testing.T) {
	for _, tc := range []struct{ name, kind, what string }{
		{flows.CardPhoto("LD2611-7K3M9Q"), flows.PhotoCard, "LD2611-7K3M9Q"},
		{flows.QRISPhoto("LD2611-7K3M9Q-ABC123"), flows.PhotoQRIS, "LD2611-7K3M9Q-ABC123"},
		{flows.LinkPhoto("https://t.me/lindungi_bot?start=klaim-X"), flows.PhotoLink, "https://t.me/lindungi_bot?start=klaim-X"},
		{flows.CoveragePhoto, flows.PhotoChart, "coverage"},
	} {
		kind, what, ok := flows.ParsePhoto(tc.name)
		if !ok || kind != tc.kind || what != tc.what {
			t.Errorf("ParsePhoto(%q) = %q %q %v", tc.name, kind, what, ok)
		}
	}
	for _, bad := range []string{"", "card:", "card", "chart:other", "kartu:LD1", "https://example.com/x.png"} {
		if kind, what, ok := flows.ParsePhoto(bad); ok {
			t.Errorf("ParsePhoto(%q) = %q %q, want refused", bad, kind, what)
		}
	}
}
