package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
)

// A registration on auto-debit says so on its page.
func TestRecordShowsAutoDebit(t *testing.T) {
	e := newEnv(t)
	e.seedChats(1, 0)
	b := e.browser()
	b.signIn("telegram:42")
	const ref = "LD2612-S00000"
	if _, err := e.db.DB.SQL().Exec(`INSERT INTO autodebits (registration_id, channel, chat_id, provider, account_id, account_status, token,
			subscription_id, amount, charge_day, status, created_at, updated_at)
		SELECT id, channel, chat_id, 'midtrans', 'acc-dash', 'ENABLED', 'tok', 'sub-dash', 16800, 24, 'active', now(), now()
		FROM registrations WHERE ref = $1`, ref); err != nil {
		t.Fatal(err)
	}
	code, body := b.get("/admin/pendaftar/" + ref)
	if code != http.StatusOK || !strings.Contains(body, "Bayar otomatis") || !strings.Contains(body, "GoPay, Rp16.800 tiap tanggal 24") {
		t.Fatalf("record %d:\n%s", code, excerptAround(body, "rec-autodebit"))
	}
}
