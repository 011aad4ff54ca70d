package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
)

// Opening a person's record is audited (who, which record), and the page
// says the record's facts and history in words, not codes.
func TestRecordViewIsAudited(t *testing.T) {
	e := newEnv(t)
	e.seedChats(1, 0)
	b := e.browser()
	b.signIn("telegram:42")
	const ref = "LD2612-S00000"
	code, body := b.get("/admin/pendaftar/" + ref)
	if code != http.StatusOK {
		t.Fatalf("record: %d", code)
	}
	var n int
	if err := e.db.DB.SQL().Get(&n, `SELECT count(*) FROM audit_log WHERE actor = 'telegram:42' AND action = 'dasbor:view_record' AND subject = $1`, ref); err != nil || n != 1 {
		t.Errorf("%d dasbor:view_record audit lines for %s (%v), want 1", n, ref, err)
	}
	if !strings.Contains(body, "Petani") {
		t.Errorf("the occupation is not named:\n%s", excerptAround(body, "facts"))
	}
	// The second view shows the first one in the history, in words.
	if _, body = b.get("/admin/pendaftar/" + ref); !strings.Contains(body, "dibuka di dasbor") || strings.Contains(body, "dasbor:view_record") {
		t.Errorf("the history names the view as a code:\n%s", excerptAround(body, "history"))
	}
}
