package flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
)

func (c *chat) try(ev flows.Event) error {
	ev.Channel, ev.ChatID = "test", c.id
	if ev.UserID == "" {
		ev.UserID = c.id
	}
	_, err := c.e.Handle(context.Background(), ev)
	c.flush()
	return err
}

// A linked resident who has not answered the consent question presses /bayar or the agent's reminder button.
func TestPayWhileConsentIsAsked(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Agus Salim")
	n := freshNIK()
	a.registerResident(n, "Fitri Handayani", "081211122233")
	r := newAgentChat(t, "")
	r.text("/klaim")
	r.text(n)
	r.text("Fitri Handayani")
	r.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "081211122233", UserID: r.id}})
	must(t, r.said(), "tersambung")
	if err := r.try(flows.Event{Kind: flows.KindText, Text: "/bayar"}); err != nil {
		t.Errorf("/bayar in cl_consent: %v", err)
	}
	must(t, lastText(r.last), "Jawab dulu pertanyaan persetujuan")
	if err := r.try(flows.Event{Kind: flows.KindChoice, Choice: "go:pay"}); err != nil {
		t.Errorf("go:pay in cl_consent: %v", err)
	}
}

// An approved agent who registered themselves, resting at the agent menu, types /bayar.
func TestAgentPaysOwnFromHome(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Budi Santoso")
	a.press("ah:self")
	a.toReviewFrom(freshNIK())
	a.press("rv:ok")
	a.text("/agen")
	must(t, a.last[len(a.last)-1].Text, "Menu agen")
	if err := a.try(flows.Event{Kind: flows.KindText, Text: "/bayar"}); err != nil {
		t.Errorf("/bayar from ag_home: %v", err)
	}
	must(t, lastText(a.last), "berapa bulan")
}

// A pending applicant in a claim state types /agen.
func TestAgentCommandFromClaim(t *testing.T) {
	c := newAgentChat(t, "")
	c.apply(freshNIK(), "Rudi Hartono")
	c.text("/klaim")
	if err := c.try(flows.Event{Kind: flows.KindText, Text: "/agen"}); err != nil {
		t.Errorf("/agen from cl_nik for a pending agent: %v", err)
	}
	must(t, lastText(c.last), "masih diperiksa admin")
}

// A suspended agent whose chat sat in Warga saya keeps reading and opening residents.
func TestSuspendedAgentLosesTheList(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Tini Wulandari")
	ref := a.registerResident(freshNIK(), "Lina Marlina", "081299900001")
	a.press("ah:list")
	admin.text("/agen_daftar wulandari")
	admin.send(flows.Event{Kind: flows.KindChoice, Choice: admin.choices()[0].Data})
	must(t, admin.text("Data warga tidak sesuai KTP"), "ditangguhkan")
	a.flush()
	got := a.text("lina")
	if strings.Contains(got, "Lina Marlina") {
		t.Errorf("suspended agent searches residents: %q", got)
	}
	got = a.tap("al:" + ref)
	if strings.Contains(got, "NIK") {
		t.Errorf("suspended agent opens a resident: %q", got)
	}
	got = a.tap("rs:back")
	if strings.Contains(got, "Lina") {
		t.Errorf("suspended agent back in the list: %q", got)
	}
	must(t, got, "ditangguhkan", "1 warga")
}

// After an admin gives an agent's resident to the rightful chat, the agent still has it.
func TestMovedAwayLeavesTheAgent(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Dewi Lestari")
	n := freshNIK()
	ref := a.registerResident(n, "Maria Ulfa", "081266600011")
	rightful := newChat(t)
	rightful.text("halo")
	admin.text("/nik_pindah")
	admin.text(n)
	admin.text("test:" + rightful.id)
	must(t, admin.text("KTP asli ditunjukkan di kantor"), "dipindahkan")
	rightful.flush()
	must(t, lastText(a.flush()), "dipindahkan admin kepada pemilik NIK yang sah", ref)
	got := a.tap("ah:list")
	if strings.Contains(got, "Maria") {
		t.Errorf("agent still lists a registration moved to its rightful chat: %q", got)
	}
	a.press("al:home")
	a.press("ah:remind")
	if r := rightful.flush(); len(r) > 0 {
		t.Errorf("agent reminds the rightful owner: %q", r[0].Text)
	}

}

// A linked resident's /status shows the agent's batch payment code, with their own share as the amount.
func TestResidentDoesNotSeeTheAgentsCode(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Agus Salim")
	n := freshNIK()
	a.registerResident(n, "Fitri Handayani", "081211122233")
	a.registerResident(freshNIK(), "Ahmad Yani", "")
	a.press("ah:pay")
	a.press("pk:due")
	a.press("pk:go")
	a.press("ay:1")
	a.press("ab:bca")
	must(t, a.last[0].Text, "Bayar Rp33.600")
	r := newAgentChat(t, "")
	r.text("/klaim")
	r.text(n)
	r.text("Fitri Handayani")
	r.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "081211122233", UserID: r.id}})
	r.press("cc:yes")
	got := r.text("/status")
	must(t, got, "Fitri Handayani", "menunggu pembayaran")
	if strings.Contains(got, "Kode bayar") {
		t.Errorf("the resident is shown the agent's code for several people: %q", got)
	}
}

func (c *chat) toReviewFrom(nik string) string {
	c.t.Helper()
	c.press("cs:yes")
	must(c.t, c.text(nik), "Ketik nama lengkap")
	c.text("Budi Santoso")
	c.text("081234567891")
	c.text("darat sekip")
	c.press("oc:petani")
	return c.press("in:base")
}

func TestPendingAgentCanRegisterThemselves(t *testing.T) {
	c := newAgentChat(t, "")
	c.apply(freshNIK(), "Rudi Hartono")
	must(t, c.text("/agen"), "masih diperiksa admin")
	must(t, c.press("ah:self"), "Setuju?")
	must(t, c.press("cs:yes"), "Ketik NIK Anda")
	must(t, c.text("/mulai"), "Anda sedang mengisi pendaftaran")
}

// A resident of an agent who erased their data can still be moved to its
// rightful chat; the owner shows the agent as erased.
func TestMoveAResidentOfAnErasedAgent(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Yanti Kusuma")
	n := freshNIK()
	a.registerResident(n, "Rina Wati", "081266600022")
	a.text("/hapus")
	must(t, a.press("Ya, hapus data"), "Anda bukan agen lagi")
	rightful := newChat(t)
	rightful.text("halo")
	admin.text("/nik_pindah")
	must(t, admin.text(n), "datanya dihapus atas permintaannya")
	admin.text("test:" + rightful.id)
	must(t, admin.text("KTP asli ditunjukkan di kantor"), "dipindahkan")
	must(t, lastText(rightful.flush()), "")
}
