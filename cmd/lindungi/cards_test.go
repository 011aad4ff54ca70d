package main

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/lindungi/lindungi/flows"
)

// decodeQR reads back the text of a QR code drawn as a PNG.
func decodeQR(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

// A claim link's QR picture: Telegram's and WhatsApp's links are drawn as
// they are, any other address is refused.
func TestCardLinkPhoto(t *testing.T) {
	for _, tt := range []struct {
		link string
		ok   bool
	}{
		{flows.ClaimLink("lindungi_bot", "K7Q2M9XA"), true},
		{flows.WhatsAppClaimLink("62811000000", "K7Q2M9XA"), true},
		{flows.WhatsAppSponsorLink("+62 811-000-000", "aZ09-_xYwVuTsRqPoNmLkJiH"), true},
		{"https://example.com/?start=sambung-K7Q2M9XA", false},
		{"http://wa.me/62811000000?text=x", false},
		{"https://wa.me.example.com/62811000000", false},
	} {
		img, err := cards{}.Photo(context.Background(), flows.LinkPhoto(tt.link))
		if !tt.ok {
			if err == nil || !strings.Contains(err.Error(), "not a link to draw") {
				t.Errorf("%s: drawn (err %v), want refused", tt.link, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.link, err)
			continue
		}
		if got := decodeQR(t, img); got != tt.link {
			t.Errorf("the QR picture of %s reads %q", tt.link, got)
		}
	}
}
