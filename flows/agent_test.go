package flows_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

// adminID is the chat (and user) the agents' tests name in LINDUNGI_ADMINS.
const adminID = "admin-env-1"

// agentConfig is the configuration of the agents' tests: one admin from the environment.
func agentConfig() flows.Config {
	cfg := flows.DefaultConfig()
	cfg.Admins = []string{"test:" + adminID}
	cfg.BotUsername = func() string { return "lindungi_bot" }
	return cfg
}

func newAgentChat(t *testing.T, id string) *chat {
	t.Helper()
	c := newChat(t)
	c.e = newEngine(agentConfig())
	if id != "" {
		c.id = id
	}
	return c
}

// apply fills in an agent application as a ketua RT and sends it.
func (c *chat) apply(nik, name string) {
	c.t.Helper()
	must(c.t, c.text("/agen"), "Untuk menjadi agen", "Setuju?")
	must(c.t, c.press("ac:yes"), "Apa peran Anda")
	must(c.t, c.press("ar:ketua_rt"), "Ketik NIK Anda")
	must(c.t, c.text(nik), "Ketik nama lengkap Anda")
	must(c.t, c.text(name), "Di desa/kelurahan mana Anda bertugas?")
	got := c.text("darat sekip")
	if !strings.Contains(got, "nomor RT dan RW") {
		c.press(c.choices()[0].Data)
	}
	must(c.t, c.text("RT 3 / RW 12"), "Ketik nomor HP Anda")
	must(c.t, c.text("0813 1111 2222"), "Periksa permohonan Anda", "Ketua RT", "RT 003/RW 012", "Darat Sekip", "0813-••••-2222")
	must(c.t, c.press("aw:ok"), "Permohonan Anda sudah kami terima")
}

// approveAll approves every waiting application from the admin's chat.
func approveAll(t *testing.T, admin *chat) {
	t.Helper()
	admin.text("/agen_setujui")
	for _, r := range admin.last {
		for _, ch := range r.Choices {
			if strings.HasPrefix(ch.Data, "ap:ok:") {
				must(t, lastText(admin.send(flows.Event{Kind: flows.KindChoice, Choice: ch.Data})), "disetujui")
			}
		}
	}
}

// newAgent makes an approved agent.
func newAgent(t *testing.T, admin *chat, name string) *chat {
	t.Helper()
	a := newAgentChat(t, "")
	a.apply(freshNIK(), name)
	approveAll(t, admin)
	must(t, lastText(a.flush()), "disetujui")
	must(t, a.text("/agen"), "Menu agen", name)
	return a
}

// register makes the agent register a resident and returns the reference.
func (c *chat) registerResident(nik, name, phone string) string {
	c.t.Helper()
	must(c.t, c.press("ah:reg"), "Sebelum mengisi data warga", "warga setuju?")
	must(c.t, c.press("cs:yes"), "Ketik NIK warga")
	must(c.t, c.text(nik), "Ketik nama lengkap warga")
	must(c.t, c.text(name), "Ketik nomor HP warga")
	var village string
	if phone == "" {
		village = c.press("ph:skip")
	} else {
		village = c.text(phone)
	}
	must(c.t, village, "KTP warga dibuat di Kecamatan Pontianak Kota")
	must(c.t, c.text("darat sekip"), "Apa pekerjaan warga?")
	must(c.t, c.press("oc:petani"), "penghasilan warga")
	review := c.press("in:base")
	must(c.t, review, "Periksa data warga", name)
	if strings.Contains(review, "Periksa data Anda") {
		c.t.Errorf("the review speaks to the resident as the agent: %q", review)
	}
	got := c.press("rv:ok")
	must(c.t, c.last[0].Text, "sudah terdaftar", "Nomor pendaftaran: LD")
	must(c.t, got, "Menu agen")
	i := strings.Index(c.last[0].Text, "LD")
	return c.last[0].Text[i : i+13]
}

func auditCount(t *testing.T, action, subject string) int {
	t.Helper()
	var n int
	if err := testDB.SQL().Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND ($2 = '' OR subject = $2)`, action, subject); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAgentRegistersAndPaysForThreeResidents(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgentChat(t, "")
	a.apply(freshNIK(), "Budi Santoso")
	// The admins are told of the application.
	must(t, lastText(admin.flush()), "Permohonan agen #", "Budi Santoso", "/agen_setujui")
	must(t, a.text("/agen"), "masih diperiksa admin")
	must(t, a.tap("ah:reg"), "hanya agen yang sudah disetujui") // a stale button does nothing

	// Admin commands are unknown to everyone else: the same answer as a made-up command.
	stranger := newAgentChat(t, "")
	unknown := stranger.text("/perintah_ngawur")
	for _, cmd := range []string{"/agen_setujui", "/agen_daftar", "/nik_pindah", "/admin_tambah test:9", "/admin_daftar", "/admin"} {
		if got := stranger.text(cmd); got != unknown {
			t.Errorf("%s for a non-admin: %q, want the unknown-command answer", cmd, got)
		}
	}
	if got := stranger.text("/bantuan"); strings.Contains(got, "agen_setujui") {
		t.Errorf("help shows admin commands: %q", got)
	}
	stranger.send(flows.Event{Kind: flows.KindChoice, Choice: "ap:ok:1"})
	must(t, lastText(stranger.last), "Tombol itu dari pertanyaan sebelumnya")

	approveAll(t, admin)
	must(t, lastText(a.flush()), "permohonan agen Anda disetujui")
	must(t, a.text("/mulai"), "Menu agen", "Budi Santoso", "Ketua RT")

	var refs []string
	for i, name := range []string{"Siti Aminah", "Ahmad Yani", "Rina Wati"} {
		phone := fmt.Sprintf("0812555%05d", i)
		if i == 2 {
			phone = "" // no phone: it is optional for a resident
		}
		refs = append(refs, a.registerResident(freshNIK(), name, phone))
	}
	if n := auditCount(t, "agent:register", ""); n < 3 {
		t.Errorf("agent.register audited %d times", n)
	}
	list := a.press("ah:list")
	must(t, list, "Warga yang Anda daftarkan: 3 orang", "Siti Aminah – menunggu pembayaran", "Rina Wati")
	must(t, a.text("ahmad"), "Hasil cari", "1 orang", "Ahmad Yani")
	must(t, a.press("al:"+refs[1]), "Ahmad Yani", refs[1], "NIK: 6171 05••", "HP: 0812-••••-")
	if auditCount(t, "agent:view", refs[1]) != 1 || auditCount(t, "agent:list", "") < 2 {
		t.Errorf("reads not audited")
	}
	a.press("rs:back")
	a.press("al:home")

	// One payment for all three.
	must(t, a.press("ah:pay"), "Pilih warga", "Terpilih: 0")
	must(t, a.press("pk:due"), "Terpilih: 3")
	must(t, a.press("pk:go"), "Bayar untuk berapa bulan? (3 warga")
	must(t, strings.Join(labels(a.choices()), "|"), "1 bulan Rp50.400", "3 bulan Rp151.200")
	// Months an agent may pay for are the periods a worker may: 2 is none.
	must(t, a.text("2"), "Mohon pilih 1, 3, 6, atau 12 bulan.", "Bayar untuk berapa bulan?")
	must(t, a.press("ay:1"), "Total Rp50.400")
	got := a.press("ab:bca")
	must(t, got, "Menu agen")
	must(t, a.last[0].Text, "Bayar Rp50.400 (1 bulan, 3 warga)", "nomor bayar BCA")
	var p struct {
		OrderID   string `db:"order_id"`
		PayerKind string `db:"payer_kind"`
		Items     int    `db:"items"`
	}
	if err := testDB.SQL().Get(&p, `SELECT order_id, payer_kind, (SELECT count(*) FROM payment_items i WHERE i.payment_id = p.id) AS items
		FROM payments p WHERE payer_ref = $1`, "test:"+a.id); err != nil {
		t.Fatal(err)
	}
	if p.PayerKind != "agent" || p.Items != 3 {
		t.Fatalf("payment %+v", p)
	}
	n := payments.Notification{Provider: sandboxPay.Name(), OrderID: p.OrderID, Status: payments.Paid, Amount: 50400, PaidAt: clock.Now()}
	res, err := flows.ApplyPayment(context.Background(), testDB, n, flows.DefaultConfig().Location, testDB.Now, a.e)
	if err != nil || res.Outcome != flows.PaymentApplied || len(res.Coverage) != 3 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	must(t, lastText(a.flush()), "Pembayaran Rp50.400 untuk 3 warga sudah diterima", "Siti Aminah", "Ahmad Yani", "Rina Wati", "aktif sampai")
	must(t, a.text("/agen"), "Menu agen")
	list = a.press("ah:list")
	if strings.Count(list, "aktif sampai") != 3 {
		t.Errorf("after the payment: %q", list)
	}
}

// tap presses a button by its data, whether or not the latest replies show it
// (a button kept from an old message).
func (c *chat) tap(data string) string {
	c.t.Helper()
	return lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: data}))
}

func labels(cs []flows.Choice) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Label)
	}
	return out
}

func TestAgentSeesOnlyTheirResidents(t *testing.T) {
	admin := newAgentChat(t, adminID)
	first := newAgent(t, admin, "Dewi Lestari")
	second := newAgent(t, admin, "Joko Susilo")
	ref := first.registerResident(freshNIK(), "Maria Ulfa", "081266600011")

	must(t, second.press("ah:list"), "Warga yang Anda daftarkan: 0 orang")
	// Buttons made for the first agent's resident do nothing for the second.
	second.send(flows.Event{Kind: flows.KindChoice, Choice: "al:" + ref})
	must(t, lastText(second.last), "Tombol itu dari pertanyaan sebelumnya")
	if strings.Contains(lastText(second.last), "Maria") {
		t.Errorf("the second agent sees the first agent's resident")
	}
	second.press("al:home")
	must(t, second.press("ah:pay"), "Belum ada warga yang iurannya bisa dibayar")
	// Even typed as a search, nothing of the first agent's shows.
	second.press("ah:list")
	if got := second.text("maria"); !strings.Contains(got, "0 orang") || strings.Contains(got, "Maria") {
		t.Errorf("search across agents: %q", got)
	}
	// Nor through the store, whatever a flow asked.
	err := testDB.Atomically(context.Background(), "test", second.id, func(ctx context.Context, tx flows.Tx) error {
		tx.Identify(second.id)
		return tx.RecordAgentPayment(ctx, flows.PaymentRecord{
			Instruction: payments.Instruction{OrderID: "AGX-" + ref, Provider: "sandbox", Bank: "bca", Amount: 16800, VANumber: "1"},
			Lines:       []flows.PaymentLine{{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800}}})
	})
	if err == nil || !strings.Contains(err.Error(), flows.ErrNotYours.Error()) {
		t.Errorf("second agent's payment for the first agent's resident: %v", err)
	}
}

func TestDuplicateNIKAcrossSelfAndAgent(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Rudi Hartono")

	// Registered by the worker themselves: the agent is told only "sudah terdaftar".
	self := newChat(t)
	n := freshNIK()
	self.toReview(n)
	self.press("rv:ok")
	a.press("ah:reg")
	a.press("cs:yes")
	got := a.text(n)
	must(t, got, "sudah terdaftar", "tidak perlu didaftarkan lagi", "Ketik NIK warga")
	for _, leak := range []string{"Siti", self.id, "sendiri", "agen"} {
		if strings.Contains(got, leak) {
			t.Errorf("the agent learns %q: %q", leak, got)
		}
	}
	a.text("/batal")
	a.press("cf:yes")

	// Registered by the agent: a worker typing it is refused the same way.
	n2 := freshNIK()
	a.registerResident(n2, "Yusuf Kalla", "081277700001")
	w := newChat(t)
	w.text("halo")
	w.press("cs:yes")
	got = w.text(n2)
	// The way on ("Sudah didaftarkan") is named, not who registered it.
	must(t, got, "sudah didaftarkan di Lindungi", "Sudah didaftarkan")
	if strings.Contains(got, "Rudi") || strings.Contains(got, "Yusuf") {
		t.Errorf("the worker learns who registered the NIK: %q", got)
	}
}

func TestClaim(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Sri Mulyani")
	n := freshNIK()
	ref := a.registerResident(n, "Nur Aini", "081288800077")

	// Wrong birth date in the NIK, five times: locked, with an alert in the audit log.
	prober := newAgentChat(t, "")
	wrong := n[:6] + "460890" + n[12:] // born on the 6th, not the 5th
	must(t, prober.text("/start"), "Setuju?")
	must(t, prober.press("cs:claim"), "Ketik NIK Anda")
	for i := 1; i <= flows.ClaimTries; i++ {
		must(t, prober.text(wrong), "Ketik nama lengkap Anda")
		must(t, prober.text("Nur Aini"), "buktikan bahwa ini Anda")
		got := prober.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "+6281288800077", UserID: prober.id}})
		if i < flows.ClaimTries {
			must(t, lastText(got), "tidak cocok", fmt.Sprintf("Sisa percobaan hari ini: %d", flows.ClaimTries-i))
		} else {
			must(t, lastText(got), "Terlalu banyak percobaan")
		}
	}
	must(t, prober.text("/klaim"), "Terlalu banyak percobaan")
	if auditCount(t, "claim:locked", "test:"+prober.id) != 1 || auditCount(t, "claim:failed", "test:"+prober.id) != flows.ClaimTries {
		t.Errorf("lock not audited")
	}
	// Even the right answers wait for the cool-down.
	clock.Add(flows.ClaimWindow + time.Minute)

	// NIK and birth date alone prove nothing: a typed date, or a typed phone number, is no proof.
	guess := newAgentChat(t, "")
	guess.text("/klaim")
	guess.text(n)
	guess.text("Nur Aini")
	must(t, guess.text("05-08-1990"), "tidak cocok")
	guess.text(n)
	guess.text("Nur Aini")
	must(t, guess.text("081288800077"), "tidak cocok")
	// Somebody else's contact card is refused before anything is compared.
	guess.text(n)
	guess.text("Nur Aini")
	must(t, lastText(guess.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "+6281288800077", UserID: "someone-else"}})), "nomor Anda sendiri")

	// The right phone, shared with the contact button by its owner: linked.
	r := newAgentChat(t, "")
	r.text("/klaim")
	r.text(n)
	must(t, r.text("NUR  AINI"), "buktikan")
	r.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "+62 812-8880-0077", UserID: r.id}})
	got := r.said()
	if len(r.last) != 2 {
		t.Errorf("linked: %d messages, want what happened, then the consent question", len(r.last))
	}
	must(t, got, "sekarang tersambung ke HP ini", ref, "Setuju?")
	must(t, r.press("cc:yes"), "Terima kasih")
	must(t, r.text("/status"), ref, "Nur Aini")
	var consent int64
	testDB.SQL().Get(&consent, `SELECT coalesce(consent_id, 0) FROM registrations WHERE ref = $1`, ref)
	if consent == 0 {
		t.Errorf("the resident's consent was not recorded")
	}
	// The agent still sees the status; the resident owns the record.
	a.press("ah:list")
	must(t, a.last[0].Text, "Nur Aini", "📱")
	must(t, a.press("al:"+ref), "sudah menyambungkan HP-nya sendiri")
	for _, ch := range a.choices() {
		if ch.Data == "rs:code" {
			t.Errorf("a claim code is offered for a linked resident")
		}
	}
	// A second claim of the same NIK fails like any other.
	again := newAgentChat(t, "")
	again.text("/klaim")
	again.text(n)
	again.text("Nur Aini")
	must(t, lastText(again.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "+6281288800077", UserID: again.id}})), "tidak cocok")

	// A claim code from the agent: typed with NIK and name, or as a link in one tap.
	a.press("rs:back")
	a.press("al:home")
	n2 := freshNIK()
	ref2 := a.registerResident(n2, "Hendra Wijaya", "")
	a.press("ah:list")
	a.press("al:" + ref2)
	must(t, a.press("rs:code"), "Hendra Wijaya")
	must(t, a.last[0].Text, "Kode sambung untuk Hendra Wijaya", "https://t.me/lindungi_bot?start=sambung-")
	if a.last[0].Photo == "" {
		t.Errorf("no QR picture of the link")
	}
	code := strings.Fields(strings.SplitN(a.last[0].Text, ": ", 2)[1])[0]
	h := newAgentChat(t, "")
	h.text("/klaim")
	h.text(n2)
	h.text("Hendra Wijaya")
	must(t, h.text("ZZZZZZZZ"), "tidak cocok")
	h.text(n2)
	h.text("hendra wijaya")
	h.text(strings.ToLower(code))
	must(t, h.said(), "sekarang tersambung", ref2)
	// Spent: the link no longer works, and says so only after the NIK and name.
	other := newAgentChat(t, "")
	must(t, other.send(flows.Event{Kind: flows.KindText, Text: "/start sambung-" + code})[0].Text, "Kode dari tautan sudah kami terima", "ketik NIK")
	other.text(n2)
	must(t, other.text("Hendra Wijaya"), "tidak cocok")

	a.press("rs:back")
	a.press("al:home")
	n3 := freshNIK()
	ref3 := a.registerResident(n3, "Wati Susanti", "")
	a.press("ah:list")
	a.press("al:" + ref3)
	a.press("rs:code")
	code3 := strings.Fields(strings.SplitN(a.last[0].Text, ": ", 2)[1])[0]
	tap := newAgentChat(t, "")
	must(t, lastText(tap.send(flows.Event{Kind: flows.KindText, Text: "/start klaim-" + code3})), "ketik NIK")
	must(t, tap.text(n3), "nama lengkap")
	tap.text("Wati Susanti")
	must(t, tap.said(), "Wati Susanti", "sekarang tersambung", "Setuju?")
	must(t, tap.press("cc:yes"), "Terima kasih")
	if auditCount(t, "claim:linked", ref3) != 1 {
		t.Errorf("link not audited")
	}
}

func TestSuspendedAgentCannotRegister(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Tono Prasetyo")
	a.registerResident(freshNIK(), "Lina Marlina", "081299900001")
	must(t, admin.text("/agen_daftar prasetyo"), "Tono Prasetyo")
	if len(admin.choices()) != 1 || !strings.HasPrefix(admin.choices()[0].Data, "ap:sus:") {
		t.Fatalf("agent list: %+v", admin.last)
	}
	suspend := admin.choices()[0].Data
	must(t, lastText(admin.send(flows.Event{Kind: flows.KindChoice, Choice: suspend})), "Ketik alasannya")
	must(t, admin.text("oke"), "5 sampai 300 huruf")
	must(t, admin.text("Data warga tidak sesuai KTP"), "ditangguhkan")
	must(t, lastText(a.flush()), "Akun agen Anda ditangguhkan", "Data warga tidak sesuai KTP")

	must(t, a.tap("ah:reg"), "hanya agen yang sudah disetujui")
	home := a.text("/agen")
	must(t, home, "ditangguhkan", "1 warga", "1 menunggu bayar")
	if l := labels(a.choices()); len(l) != 1 || l[0] != "Daftar untuk saya" {
		t.Errorf("a suspended agent is offered %v", l)
	}
	// Nor through the store.
	err := testDB.Atomically(context.Background(), "test", a.id, func(ctx context.Context, tx flows.Tx) error {
		tx.Identify(a.id)
		_, err := tx.RecordAttestation(ctx, flows.Attestation{TextVersion: "x", GivenAt: clock.Now()})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), flows.ErrNotAgent.Error()) {
		t.Errorf("attestation by a suspended agent: %v", err)
	}
}

func TestAdminsInChat(t *testing.T) {
	admin := newAgentChat(t, adminID)
	must(t, admin.text("/admin_hapus test:"+adminID), "konfigurasi server")
	must(t, admin.text("/admin_tambah bukan-format"), "contoh: /admin_tambah telegram:")
	other := newAgentChat(t, "")
	must(t, admin.text("/admin_tambah test:"+other.id), "sekarang admin")
	must(t, other.text("/admin_daftar"), "test:"+adminID, "test:"+other.id)
	must(t, other.text("/admin_hapus test:"+other.id), "bukan admin lagi")
	unknown := other.text("/perintah_ngawur")
	if got := other.text("/admin_daftar"); got != unknown {
		t.Errorf("a removed admin still has admin commands: %q", got)
	}
	if auditCount(t, "admin:add", "test:"+other.id) != 1 || auditCount(t, "admin:remove", "test:"+other.id) != 1 {
		t.Errorf("admin changes not audited")
	}
}

func TestAdminMovesADisputedNIK(t *testing.T) {
	admin := newAgentChat(t, adminID)
	wrong := newChat(t)
	n := freshNIK()
	wrong.toReview(n)
	wrong.press("rv:ok")
	wrong.text("/batal")
	rightful := newChat(t)

	must(t, admin.text("/nik_pindah"), "Ketik NIK yang disengketakan")
	must(t, admin.text("12345"), "NIK harus 16 angka")
	must(t, admin.text(n), "Pendaftaran LD", "Siti Aminah", "chat test:"+wrong.id, "Pindahkan ke mana?")
	must(t, admin.text("ke sana"), "Tujuan tidak bisa kami baca")
	must(t, admin.text("test:"+rightful.id), "Ketik alasan")
	must(t, admin.text("KTP asli ditunjukkan di kantor cabang"), "dipindahkan ke test:"+rightful.id)
	must(t, lastText(wrong.flush()), "dipindahkan admin", "KTP asli ditunjukkan")
	must(t, lastText(rightful.flush()), "sekarang tersambung ke HP ini")
	must(t, rightful.text("/status"), "Siti Aminah")
	must(t, wrong.text("/status"), "Belum ada pendaftaran")
	if auditCount(t, "admin:move_registration", "") < 1 {
		t.Errorf("move not audited")
	}
}

func TestAgentRemindsLinkedResidents(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Agus Salim")
	n := freshNIK()
	a.registerResident(n, "Fitri Handayani", "081211122233")
	a.registerResident(freshNIK(), "Tanpa Tautan", "")
	r := newAgentChat(t, "")
	r.text("/klaim")
	r.text(n)
	r.text("Fitri Handayani")
	r.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "081211122233", UserID: r.id}})
	r.press("cc:yes")

	must(t, a.press("ah:remind"), "Pengingat terkirim ke 1 warga", "1 warga belum menyambungkan")
	got := r.flush()
	must(t, lastText(got), "Agus Salim (Ketua RT) mengingatkan", "belum dibayar")
	if len(got) != 1 || got[0].Choices[0].Data != "go:pay" {
		t.Fatalf("reminder: %+v", got)
	}
	must(t, a.press("ah:remind"), "0 warga", "1 warga sudah diingatkan hari ini")
	// The reminder's button starts paying in the resident's own chat.
	must(t, r.press("go:pay"), "berapa bulan")
}

func TestManyResidentsArePaged(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Wayan Sudana")
	for i := range 8 {
		a.registerResident(freshNIK(), "Warga Nomor "+string(rune('A'+i)), "")
	}
	list := a.press("ah:list") // checkReply holds every message to 10 buttons
	must(t, list, "8 orang (halaman 1/2)", "6. Warga Nomor")
	must(t, a.press("al:pg:1"), "halaman 2/2", "8. Warga Nomor")
	a.press("al:home")
	a.press("ah:pay")
	must(t, a.press("pk:due"), "Terpilih: 8")
	must(t, a.press("pk:pg:1"), "Terpilih: 8")
	must(t, a.press("pk:go"), "(8 warga")
	must(t, strings.Join(labels(a.choices()), "|"), "1 bulan Rp134.400")
}

func TestPerisaiApplicationAndFee(t *testing.T) {
	c := newAgentChat(t, "")
	c.text("/agen")
	c.press("ac:yes")
	c.press("ar:perisai")
	c.text(freshNIK())
	must(t, c.text("Andi Wijaya"), "nama lembaga Perisai")
	must(t, c.text("ab"), "3 sampai 80 huruf")
	must(t, c.text("Koperasi Maju Bersama"), "Ketik nomor HP Anda") // no RT/RW for a Perisai agent
	must(t, c.text("/kembali"), "nama lembaga Perisai")
	c.text("Koperasi Maju Bersama")
	must(t, c.text("081344455566"), "Agen Perisai", "Lembaga: Koperasi Maju Bersama")
	must(t, c.text("/batal"), "dibatalkan")
	var n int
	testDB.SQL().Get(&n, `SELECT count(*) FROM agents WHERE user_id = $1`, c.id)
	if n != 0 {
		t.Errorf("a cancelled application was stored")
	}

	e := newEngine(agentConfig())
	got := e.AgentPaymentReplies("id", flows.AgentPaid{Role: flows.RolePerisai, Amount: 50400, CollectedMonth: 100000, CollectedTotal: 1000000,
		Covered: []flows.Covered{{RegistrationRef: "LD2611-AAAAAA", Name: "siti aminah", To: time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)}}})
	must(t, got[0].Text, "Rp50.400 untuk 1 warga", "Siti Aminah (LD2611-AAAAAA): aktif sampai 25 Desember 2026",
		"Komisi Perisai (7,5%, bagian Anda 90%): bulan ini Rp6.750 dari Rp100.000", "seluruhnya Rp67.500 dari Rp1.000.000")
	got = e.AgentPaymentReplies("en", flows.AgentPaid{Role: "ketua_rt", Amount: 16800, Covered: []flows.Covered{{RegistrationRef: "LD2611-AAAAAA", Name: "x"}}})
	if strings.Contains(got[0].Text, "Perisai") {
		t.Errorf("a fee shown to a ketua RT: %q", got[0].Text)
	}
}

// An agent's /hapus erases their own agent record too (their residents stay
// registered, still saying which agent registered them); they are no longer
// an agent and may apply again.
func TestAgentDeletesTheirData(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Rahmat Hidayat")
	resident := a.registerResident(freshNIK(), "Wati Lestari", "")
	var agentID int64
	if err := testDB.SQL().Get(&agentID, `SELECT id FROM agents WHERE channel = 'test' AND user_id = $1`, a.id); err != nil {
		t.Fatal(err)
	}
	must(t, a.text("/hapus"), "Hapus semua data Anda?", "berhenti menjadi agen", "Warga yang sudah Anda daftarkan tetap terdaftar")
	must(t, a.press("Ya, hapus data"), "Data Anda sudah dihapus", "Anda bukan agen lagi")
	var row struct {
		Name   string `db:"name"`
		Status string `db:"status"`
		NIK    bool   `db:"nik"`
		Chat   string `db:"chat_id"`
	}
	if err := testDB.SQL().Get(&row, `SELECT name, status, nik_sealed IS NOT NULL OR nik_hash IS NOT NULL OR phone_sealed IS NOT NULL AS nik, chat_id
		FROM agents WHERE id = $1`, agentID); err != nil {
		t.Fatal(err)
	}
	if row.Name != "" || row.Status != flows.AgentErased || row.NIK || row.Chat != "" {
		t.Errorf("the agent's record after /hapus: %+v", row)
	}
	var reg struct {
		Agent  int64  `db:"agent_id"`
		Status string `db:"status"`
	}
	testDB.SQL().Get(&reg, `SELECT agent_id, status FROM registrations WHERE ref = $1`, resident)
	if reg.Agent != agentID || reg.Status == flows.StatusDeleted {
		t.Errorf("the resident after the agent's /hapus: %+v", reg)
	}
	if n := auditCount(t, "agent:erase", fmt.Sprint("agent:", agentID)); n != 1 {
		t.Errorf("%d agent:erase entries", n)
	}
	// No agent menu any more; applying again starts a new application, a
	// new record: the erased one keeps its residents.
	must(t, a.text("/agen"), "Untuk menjadi agen", "Setuju?")
	must(t, a.text("/batal"), "dibatalkan")
	a.apply(freshNIK(), "Rahmat Hidayat")
	var records []string
	testDB.SQL().Select(&records, `SELECT status FROM agents WHERE channel = 'test' AND user_id = $1 ORDER BY id`, a.id)
	if !slices.Equal(records, []string{flows.AgentErased, flows.AgentPending}) {
		t.Errorf("the user's agent records after applying again: %v", records)
	}
}

// A suspended agent's /hapus keeps the suspension's trace (the keyed NIK
// hash and the reason): they cannot come back as a new agent with the
// same NIK.
func TestSuspendedAgentCannotComeBackAfterDeleting(t *testing.T) {
	admin := newAgentChat(t, adminID)
	agentNIK := freshNIK()
	a := newAgentChat(t, "")
	a.apply(agentNIK, "Joko Susanto")
	approveAll(t, admin)
	a.flush()
	admin.text("/agen_daftar susanto")
	admin.send(flows.Event{Kind: flows.KindChoice, Choice: admin.choices()[0].Data})
	must(t, admin.text("Menarik iuran dua kali"), "ditangguhkan")
	a.flush()
	must(t, a.text("/hapus"), "berhenti menjadi agen")
	must(t, a.press("Ya, hapus data"), "Anda bukan agen lagi")
	var row struct {
		Reason string `db:"reason"`
		From   string `db:"erased_from"`
		Hash   bool   `db:"hash"`
		Name   string `db:"name"`
	}
	testDB.SQL().Get(&row, `SELECT reason, erased_from, nik_hash IS NOT NULL AS hash, name FROM agents WHERE channel = 'test' AND user_id = $1`, a.id)
	if row.Reason != "Menarik iuran dua kali" || row.From != flows.AgentSuspended || !row.Hash || row.Name != "" {
		t.Errorf("the suspended agent's erased record: %+v", row)
	}
	// Applying again with the same NIK is refused.
	must(t, a.text("/agen"), "Setuju?")
	must(t, a.press("ac:yes"), "Apa peran Anda")
	must(t, a.press("ar:ketua_rt"), "Ketik NIK Anda")
	must(t, a.text(agentNIK), "Ketik nama lengkap Anda")
	must(t, a.text("Joko Susanto"), "Di desa/kelurahan mana")
	if got := a.text("darat sekip"); !strings.Contains(got, "nomor RT dan RW") {
		a.press(a.choices()[0].Data)
	}
	a.text("RT 3 / RW 12")
	must(t, a.text("0813 1111 3333"), "Periksa permohonan Anda")
	must(t, a.press("aw:ok"), "sudah dipakai di permohonan agen lain")
}
