package flows_test

import (
	"testing"

	"github.com/lindungi/lindungi/flows"
)

func TestKPJReplies(t *testing.T) {
	e := newEngine(flows.DefaultConfig())
	k := flows.KPJIssued{Ref: "LD2611-AAAAAA", Name: "SITI AMINAH", KPJ: "12345678901"}
	got := e.KPJReplies("id", k)
	if len(got) != 1 {
		t.Fatalf("%d replies for a registration without a card", len(got))
	}
	must(t, got[0].Text, "nomor peserta (KPJ) untuk Siti Aminah: 12345678901", "LD2611-AAAAAA", "setelah iuran pertama dibayar")
	k.Card = true
	if got := e.KPJReplies("en", k); len(got) != 2 || got[1].Photo != flows.CardPhoto(k.Ref) {
		t.Fatalf("with a card: %+v", got)
	}
	// A resident without a chat: their agent is asked to pass it on.
	must(t, e.KPJAgentReplies("id", k)[0].Text, "warga Anda Siti Aminah: 12345678901", "tolong sampaikan nomor ini")
	k.Previous = "10987654321"
	must(t, e.KPJAgentReplies("en", k)[0].Text, "your resident Siti Aminah's participant number", "was 10987654321", "pass the new number on")
	must(t, e.KPJAgentReplies("xx", k)[0].Text, "diperbaiki", "sebelumnya 10987654321")
}
