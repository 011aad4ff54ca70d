package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/tanggal"
)

// statsNow counts /statistik as the store does for an admin.
func statsNow(t *testing.T) flows.Stats {
	t.Helper()
	var st flows.Stats
	err := testDB.Atomically(context.Background(), "test", "stats-probe", func(ctx context.Context, tx flows.Tx) (err error) {
		st, err = tx.Stats(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStatsForAdminsOnly(t *testing.T) {
	stranger := newAgentChat(t, "")
	unknown := stranger.text("/perintah_ngawur")
	for _, cmd := range []string{"/statistik", "/stats", "/Statistik@lindungi_bot"} {
		if got := stranger.text(cmd); got != unknown {
			t.Errorf("%s for a non-admin: %q, want the unknown-command answer %q", cmd, got, unknown)
		}
		if len(stranger.last) != 1 || stranger.last[0].Photo != "" {
			t.Errorf("%s for a non-admin: %+v", cmd, stranger.last)
		}
	}
	must(t, stranger.tap("ad:stats"), "tidak kami kenal")
	if n := auditCount(t, "admin:stats", ""); n != 0 {
		t.Errorf("a refused /statistik was audited %d times", n)
	}
}

// The shared database holds the other tests' registrations too: the
// figures of this test's dataset are checked where it alone counts (its
// kabupaten, occupation and channel nobody else uses), and as a difference
// elsewhere.
func TestStatsTables(t *testing.T) {
	before := statsNow(t)
	db := testDB.SQL()
	today := clock.Now().In(flows.DefaultConfig().Location)
	day := func(n int) any {
		if n == 999 {
			return nil
		}
		return today.AddDate(0, 0, n).Format(time.DateOnly)
	}
	var agent int64
	if err := db.Get(&agent, `INSERT INTO agents (channel, user_id, chat_id, role, nik_sealed, nik_hash, name, status, created_at, updated_at)
		VALUES ('test', 'stats-agent', 'stats-agent', 'kader', '\x00', 'stats-agent-nik', 'Agen', 'approved', now(), now()) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	// In Kabupaten Kayong Utara, all artists: awaiting, protected, ended,
	// an agent's resident without a chat protected up to today, and an
	// erased one that never counts.
	for i, r := range []struct {
		channel string
		covered int // days from today; 999: never paid
		agent   bool
		deleted bool
	}{{"whatsapp", 999, false, false}, {"whatsapp", 30, false, false}, {"whatsapp", -200, false, false}, {"", 0, true, false}, {"whatsapp", 10, false, true}} {
		status := flows.StatusActive
		if r.covered == 999 {
			status = flows.StatusAwaitingPayment
		}
		var agentID, deleted any
		if r.agent {
			agentID = agent
		}
		if r.deleted {
			deleted = today
		}
		chat := ""
		if r.channel != "" {
			chat = fmt.Sprint("stats-", i)
		}
		db.MustExec(`INSERT INTO registrations (ref, channel, chat_id, province, regency, district, occupation, status, covered_to, agent_id, deleted_at, created_at, updated_at)
			VALUES ($1, $2, $3, '61', '61.11', '61.11.01', 'seniman', $4, $5::date, $6, $7, now(), now())`,
			fmt.Sprint("ST-", i), r.channel, chat, status, day(r.covered), agentID, deleted)
	}
	for i, p := range []struct {
		amount int64
		status string
	}{{16800, "paid"}, {36800, "paid"}, {99999, "refunded"}, {77777, "pending"}} {
		var paid any
		if p.status != "pending" {
			paid = today
		}
		db.MustExec(`INSERT INTO payments (order_id, provider, payer_kind, payer_ref, method, amount, status, paid_at, created_at, updated_at)
			VALUES ($1, 'sandbox', 'worker', 'whatsapp:stats-0', 'bri', $2, $3, $4, now(), now())`, fmt.Sprint("ST-PAY-", i), p.amount, p.status, paid)
	}
	after := statsNow(t)
	if after.Total.Registered != before.Total.Registered+4 || after.Total.Active != before.Total.Active+2 ||
		after.PaidToday.Payments != before.PaidToday.Payments+2 || after.PaidToday.Amount != before.PaidToday.Amount+53600 {
		t.Fatalf("before %+v\nafter %+v", before, after)
	}
	for i, d := range []int{1, 2, 0, 1} { // awaiting, active, arrears, ended
		if got := after.Standings[i].Registered - before.Standings[i].Registered; got != d {
			t.Errorf("standing %s grew by %d, want %d", after.Standings[i].Key, got, d)
		}
	}

	admin := newAgentChat(t, adminID)
	must(t, admin.text("/admin"), "Perintah admin")
	if cs := admin.choices(); len(cs) > 8 || cs[len(cs)-1].Data != "ad:stats" || cs[len(cs)-1].Label != "📊 Statistik" {
		t.Errorf("admin menu: %+v", cs)
	}
	audited := auditCount(t, "admin:stats", "stats")
	admin.press("ad:stats")
	out := admin.last
	if len(out) != 4 {
		t.Fatalf("%d replies: %+v", len(out), out)
	}
	n := func(v int) string { return locales.Number("id", int64(v)) }
	money := func(c flows.Collected) string {
		return n(c.Payments) + " pembayaran · " + locales.Rupiah(c.Amount)
	}
	must(t, out[0].Text, "📊 Statistik Lindungi, "+cat.Date("id", today),
		fmt.Sprintf("Terdaftar: %s pekerja · aktif (terlindungi hari ini): %s", n(after.Total.Registered), n(after.Total.Active)),
		"Status iuran:\nMenunggu pembayaran: "+n(after.Standings[0].Registered)+"\nAktif: "+n(after.Standings[1].Registered)+
			"\nMenunggak: "+n(after.Standings[2].Registered)+"\nBerakhir: "+n(after.Standings[3].Registered),
		"Bayar sendiri: "+n(after.Payers[0].Registered)+" terdaftar · "+n(after.Payers[0].Active)+" aktif",
		"Lewat agen: "+n(after.Payers[1].Registered)+" terdaftar · "+n(after.Payers[1].Active)+" aktif",
		"Disponsori: "+n(after.Payers[2].Registered)+" terdaftar · "+n(after.Payers[2].Active)+" aktif",
		"Hari ini: "+money(after.PaidToday),
		"Minggu ini (sejak Senin, "+cat.Date("id", tanggal.WeekStart(today))+"): "+money(after.PaidWeek),
		"Bulan ini (sejak 1 "+cat.T("id", "month."+fmt.Sprint(int(today.Month())), nil)+fmt.Sprintf(" %d): ", today.Year())+money(after.PaidMonth))
	must(t, out[1].Text, "Per kabupaten/kota", "\nKabupaten Kayong Utara: 4 terdaftar · 2 aktif")
	must(t, out[2].Text, "Per pekerjaan:", "\nSeniman: 4 terdaftar · 2 aktif", "Per saluran:", "\nWhatsApp: 3 terdaftar · 1 aktif",
		"\nBelum punya chat (didaftarkan agen): ")
	if out[3].Photo != flows.CoveragePhoto || !strings.Contains(out[3].Text, "Pekerja aktif (terlindungi hari ini) per kabupaten/kota") {
		t.Errorf("chart: %+v", out[3])
	}
	for i, r := range out {
		if l := len([]rune(r.Text)); l > 1500 {
			t.Errorf("message %d has %d characters (at most 1,500 for a phone)", i, l)
		}
		if r.Input != flows.InputNone || len(r.Choices) != 0 {
			t.Errorf("message %d asks something: %+v", i, r)
		}
	}
	if got := auditCount(t, "admin:stats", "stats"); got != audited+1 {
		t.Errorf("audited %d times, want %d", got-audited, 1)
	}
	t.Logf("/statistik:\n%s\n---\n%s\n---\n%s\n---\n[%s] %s", out[0].Text, out[1].Text, out[2].Text, out[3].Photo, out[3].Text)

	// The alias, in English.
	must(t, admin.text("/language"), "English")
	got := admin.text("/stats")
	must(t, admin.last[0].Text, "Lindungi statistics", "Who pays the contribution:\nThemselves: ", "Awaiting payment: ")
	must(t, admin.last[2].Text, "\nArtist: 4 registered · 2 active")
	must(t, got, "Active workers (protected today) by regency/city")
}
