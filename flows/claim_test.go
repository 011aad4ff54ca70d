package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/store"
)

// sponsoredWorkers imports workers into a new sponsor batch and prints
// their claim codes, as `lindungi sponsor codes` does: name → code.
func sponsoredWorkers(t *testing.T, names ...string) (niks []string, codes map[string]string, batch int64) {
	t.Helper()
	ctx := context.Background()
	b, _, err := testDB.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemkab Kapuas Hulu", FileName: "codes.csv", FileSHA: "sha-codes-" + freshNIK(),
		Months: 12, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var ws []roster.Worker
	for i, name := range names {
		n := freshNIK()
		niks = append(niks, n)
		ws = append(ws, roster.Worker{Line: i + 2, NIK: n, Name: name, BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true,
			Province: "61", Regency: "61.71", District: "61.71.05", Village: "61.71.05.1001", Occupation: "petani"})
	}
	if _, err := sponsor.ImportChunk(ctx, testDB, b, ws, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	printed, err := testDB.BatchClaimCodes(ctx, b.ID, clock.Now().AddDate(0, 0, 365), "test")
	if err != nil || len(printed) != len(names) {
		t.Fatalf("codes %v, %v", printed, err)
	}
	codes = map[string]string{}
	for _, c := range printed {
		codes[c.Name] = c.Code
	}
	return niks, codes, b.ID
}

// H1: a printed claim code alone takes over nothing. The link only
// pre-fills the code; the NIK and full name are asked and checked, and
// nothing about the record is shown before they match.
func TestClaimLinkIsNeverTheOnlyProof(t *testing.T) {
	niks, codes, _ := sponsoredWorkers(t, "Yohanes Hasibuan")
	code := codes["Yohanes Hasibuan"]

	stranger := newAgentChat(t, "")
	first := lastText(stranger.send(flows.Event{Kind: flows.KindText, Text: "/start klaim-" + code}))
	must(t, first, "ketik NIK Anda")
	if strings.Contains(first, "Yohanes") || strings.Contains(first, "tersambung") {
		t.Fatalf("the link alone showed the record: %q", first)
	}
	// A consent button pressed now, as the probe did, links nothing.
	stranger.send(flows.Event{Kind: flows.KindChoice, Choice: "cc:yes"})
	if got := stranger.text("/dataku"); strings.Contains(got, "Yohanes") || strings.Contains(got, "Hasibuan") {
		t.Fatalf("/dataku after the link shows the worker: %q", got)
	}
	// The name from the printed list with a guessed NIK: refused, nothing shown.
	stranger.text("/start klaim-" + code)
	stranger.text(freshNIK())
	got := stranger.text("Yohanes Hasibuan")
	must(t, got, "tidak cocok")
	if strings.Contains(got, "LS") || strings.Contains(got, "tersambung") {
		t.Fatalf("a failed link attempt shows %q", got)
	}
	// The link keeps its code for the next try: only NIK and name again.
	must(t, got, "Ketik NIK Anda lagi")
	var linked int
	testDB.SQL().Get(&linked, `SELECT count(*) FROM registrations WHERE channel = 'test' AND chat_id = $1`, stranger.id)
	if linked != 0 {
		t.Fatalf("the stranger's chat owns %d registrations", linked)
	}
	if n := auditCount(t, "claim:attempt", "test:"+stranger.id); n != 2 {
		t.Errorf("%d claim:attempt entries for the stranger's two links", n)
	}
	var reasons []string
	testDB.SQL().Select(&reasons, `SELECT detail FROM audit_log WHERE action = 'claim:failed' AND subject = $1`, "test:"+stranger.id)
	if strings.Join(reasons, ",") != "link:nik_unknown" {
		t.Errorf("failed attempts audited as %v", reasons)
	}

	// The worker, with the code, their NIK and their name: linked, audited as a link.
	worker := newAgentChat(t, "")
	must(t, lastText(worker.send(flows.Event{Kind: flows.KindText, Text: "/start klaim-" + strings.ToLower(code)})), "ketik NIK Anda")
	must(t, worker.text(niks[0]), "nama lengkap")
	worker.text("yohanes hasibuan")
	must(t, worker.said(), "Yohanes Hasibuan", "sekarang tersambung", "Setuju?")
	var how string
	testDB.SQL().Get(&how, `SELECT detail FROM audit_log WHERE action = 'claim:linked' AND actor LIKE $1`, "%"+worker.id)
	if how != "how=link" {
		t.Errorf("the link is audited as %q", how)
	}
	// Spent: the same link now fails after the NIK and name, like any other.
	late := newAgentChat(t, "")
	late.text("/start klaim-" + code)
	late.text(niks[0])
	must(t, late.text("Yohanes Hasibuan"), "tidak cocok")
}

// M1: guessing is limited where a fresh chat cannot reset it: a new web
// cookie from the same address starts with what the address used, a code
// is locked after its tries from any chat, and every lock is an alert.
func TestClaimGuessingLimitsAcrossChats(t *testing.T) {
	_, codes, _ := sponsoredWorkers(t, "Maria Ulfa", "Dedi Kurniawan")
	const addr = "203.0.113.7"
	guessUntilLocked(t, flows.ClaimClientTries, "Maria Ulfa",
		func(int) string { return addr }, func(i int) string { return fmt.Sprintf("GUESS%03d", i) })
	// A fresh chat (a new cookie) from that address is locked at once, typed path or link.
	fresh := newAgentChat(t, "")
	fresh.client = addr
	must(t, fresh.text("/klaim"), "Terlalu banyak percobaan")
	must(t, fresh.text("/start klaim-"+codes["Maria Ulfa"]), "Terlalu banyak percobaan")
	// Another address is not.
	elsewhere := newAgentChat(t, "")
	elsewhere.client = "203.0.113.8"
	must(t, elsewhere.text("/klaim"), "Ketik NIK Anda")
	var alerts int
	testDB.SQL().Get(&alerts, `SELECT count(*) FROM audit_log WHERE action = 'claim:locked' AND detail LIKE '%by client'`)
	if alerts != 1 {
		t.Errorf("%d claim:locked alerts for the address", alerts)
	}

	// One code tried from many addresses and chats: locked after its tries,
	// even for its owner, until the sponsor prints a new one.
	code := codes["Dedi Kurniawan"]
	guessUntilLocked(t, flows.ClaimCodeTries, "Dedi Kurniawan",
		func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) }, func(int) string { return code })
	late := newAgentChat(t, "")
	late.client = "198.51.100.200"
	must(t, late.text("/start klaim-"+code), "Terlalu banyak percobaan")
	testDB.SQL().Get(&alerts, `SELECT count(*) FROM audit_log WHERE action = 'claim:locked' AND detail LIKE '%by code'`)
	if alerts != 1 {
		t.Errorf("%d claim:locked alerts for the code", alerts)
	}
}

// guessUntilLocked makes tries fresh chats each follow a claim link with a
// guessed NIK and the given name: every try but the last fails, the last
// hits the limit.
func guessUntilLocked(t *testing.T, tries int, name string, client, code func(i int) string) {
	t.Helper()
	for i := range tries {
		c := newAgentChat(t, "")
		c.client = client(i)
		c.text("/start klaim-" + code(i))
		c.text(freshNIK())
		if got := c.text(name); i < tries-1 {
			must(t, got, "tidak cocok")
		} else {
			must(t, got, "Terlalu banyak percobaan")
		}
	}
}

// A link's text reaches the claim whatever the chat is doing, exactly as
// Telegram's deep link does: WhatsApp's "/sambung CODE" and "/sponsor
// TOKEN" (no /start there), and the same typed in any case with extra
// spaces, answer what "/start sambung-CODE" and "/start sponsor-TOKEN"
// answer, state by state.
func TestClaimLinkTextInEveryState(t *testing.T) {
	const code = "K7Q2M9XA" // the answer does not depend on it: no oracle
	b, _, err := testDB.OpenBatch(context.Background(), store.BatchSpec{Sponsor: "Pemkab Sambas", FileName: "poster.csv",
		FileSHA: "sha-poster-" + freshNIK(), Months: 12, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	token := b.ClaimToken
	admin := newAgentChat(t, adminID)
	agent := newAgent(t, admin, "Yusuf Maulana")
	const busy = "Selesaikan dulu"
	states := []struct {
		name  string
		setup func(t *testing.T) *chat
		busy  string // the answer when the chat must first finish what it is doing
	}{
		{"new chat", func(t *testing.T) *chat { return newAgentChat(t, "") }, ""},
		{"start menu", func(t *testing.T) *chat {
			c := newAgentChat(t, "")
			c.text("/start")
			return c
		}, ""},
		{"mid-registration", func(t *testing.T) *chat {
			c := newAgentChat(t, "")
			c.text("halo")
			c.press("cs:yes")
			must(t, c.text(freshNIK()), "Ketik nama lengkap")
			return c
		}, busy},
		{"asked to confirm /batal", func(t *testing.T) *chat {
			c := newAgentChat(t, "")
			c.text("halo")
			c.press("cs:yes")
			c.text(freshNIK())
			must(t, c.text("/batal"), "Batalkan pendaftaran ini?")
			return c
		}, busy},
		{"registered", func(t *testing.T) *chat {
			c := newAgentChat(t, "")
			c.toReview(freshNIK())
			c.press("rv:ok")
			return c
		}, ""},
		{"paying", func(t *testing.T) *chat {
			c := newAgentChat(t, "")
			c.toReview(freshNIK())
			c.press("rv:ok")
			must(t, c.text("/bayar"), "bulan")
			return c
		}, ""},
		{"typing a claim", func(t *testing.T) *chat {
			c := newAgentChat(t, "")
			c.text("/klaim")
			must(t, c.text(freshNIK()), "nama lengkap")
			return c
		}, ""},
		{"agent's home", func(t *testing.T) *chat {
			must(t, agent.text("/agen"), "Menu agen")
			return agent
		}, ""},
		{"writing a broadcast", func(t *testing.T) *chat {
			c := newChat(t)
			cfg := agentConfig()
			cfg.Admins = []string{"test:" + c.id}
			c.e = newEngine(cfg)
			must(t, c.text("/siaran"), "Siaran baru")
			return c
		}, "menyusun siaran"},
	}
	forms := []struct{ name, claim, poster string }{
		{"telegram", "/start sambung-" + code, "/start sponsor-" + token}, // the reference
		{"telegram, old link", "/start klaim-" + code, "/start@lindungi_bot sponsor-" + token},
		{"whatsapp", flows.ClaimText(code), flows.SponsorText(token)},
		{"typed", "  /SAMBUNG   " + strings.ToLower(code) + " ", "/Sponsor    " + token + " "},
		{"one word", "/sambung-" + code, "/sponsor-" + token},
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			var refClaim, refPoster string
			for i, f := range forms {
				c := st.setup(t)
				claim := c.text(f.claim)
				c = st.setup(t)
				poster := c.text(f.poster)
				if i == 0 {
					refClaim, refPoster = claim, poster
					if st.busy != "" {
						must(t, claim, st.busy)
						must(t, poster, st.busy)
					} else {
						must(t, claim, "Kode dari tautan sudah kami terima", "ketik NIK Anda")
						must(t, poster, "Iuran Anda dibayar oleh Pemkab Sambas", "Ketik NIK Anda")
					}
					continue
				}
				if claim != refClaim {
					t.Errorf("%s %q answers %q,\nwant what %q answers: %q", f.name, f.claim, claim, forms[0].claim, refClaim)
				}
				if poster != refPoster {
					t.Errorf("%s %q answers %q,\nwant what %q answers: %q", f.name, f.poster, poster, forms[0].poster, refPoster)
				}
			}
		})
	}
	// The claim from the agent's home left it: back home for the other tests.
	agent.text("/agen")
	// A poster's token is exact: another case is another (unknown) poster.
	if upper := strings.ToUpper(token); upper != token {
		c := newAgentChat(t, "")
		c.text(flows.SponsorText(upper))
		must(t, c.said(), "tidak berlaku lagi")
	}
	// "/sambung" with no code, or with words, is the typed claim.
	for _, text := range []string{"/sambung", "/sambung sekarang juga", "/SAMBUNG saya"} {
		c := newAgentChat(t, "")
		if got := c.text(text); !strings.Contains(got, "Ketik NIK Anda (16 angka") || strings.Contains(got, "Kode dari tautan") {
			t.Errorf("%q answers %q, want the typed claim", text, got)
		}
	}
}

// Where the channel knows the number the person writes from (WhatsApp), a
// claim offers it as the proof in one tap; where it hides the number (a
// WhatsApp username), only the agent's code proves.
func TestClaimWithTheSendersNumber(t *testing.T) {
	admin := newAgentChat(t, adminID)
	a := newAgent(t, admin, "Sri Mulyani")
	n := freshNIK()
	a.registerResident(n, "Nur Aini", "081288800088")

	from := func(c *chat, phone string) func(ev flows.Event) []flows.Reply {
		return func(ev flows.Event) []flows.Reply { ev.Phone = phone; return c.send(ev) }
	}
	// Another number than the one on file: not a match.
	other := newAgentChat(t, "")
	say := from(other, "6281299900099")
	say(flows.Event{Kind: flows.KindText, Text: "/klaim"})
	say(flows.Event{Kind: flows.KindText, Text: n})
	must(t, lastText(say(flows.Event{Kind: flows.KindText, Text: "Nur Aini"})), "0812-••••-0099", "Nomor ini")
	must(t, lastText(say(flows.Event{Kind: flows.KindChoice, Choice: "cp:this"})), "tidak cocok")

	// The number on file: linked with one tap.
	own := newAgentChat(t, "")
	say = from(own, "6281288800088")
	say(flows.Event{Kind: flows.KindText, Text: "/klaim"})
	say(flows.Event{Kind: flows.KindText, Text: n})
	must(t, lastText(say(flows.Event{Kind: flows.KindText, Text: "nur aini"})), "0812-••••-0088")
	say(flows.Event{Kind: flows.KindChoice, Choice: "cp:this"})
	must(t, own.said(), "Nur Aini", "sekarang tersambung")

	// A WhatsApp user whose number is hidden is asked for the code only.
	hidden := newAgentChat(t, "")
	hidden.channel = "whatsapp"
	hidden.text("/klaim")
	hidden.text(freshNIK())
	got := hidden.text("Nur Aini")
	must(t, got, "ketik kode sambung")
	if strings.Contains(got, "Kirim nomor saya") {
		t.Errorf("a hidden number is asked to be shared: %q", got)
	}
}
