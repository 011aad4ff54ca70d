package flows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/tanggal"
)

// An admin asks for a dashboard link in chat; anyone else is not told there is one.
func TestDashboardLink(t *testing.T) {
	cfg := agentConfig()
	cfg.DashboardURL = "https://lindungi.example/admin/login?t=%s"
	admin := newAgentChat(t, adminID)
	admin.e = newEngine(cfg)
	got := admin.text("/dasbor")
	must(t, got, "https://lindungi.example/admin/login?t=", "10 menit", "Jangan bagikan")
	token := got[strings.Index(got, "?t=")+3:]
	token = strings.Fields(token)[0]
	var n int
	if err := testDB.SQL().Get(&n, `SELECT count(*) FROM staff_links WHERE token_hash = $1 AND actor = $2 AND used_at IS NULL`,
		flows.StaffLinkHash(token), "test:"+adminID); err != nil || n != 1 {
		t.Fatalf("stored links for the token: %d (%v)", n, err)
	}
	worker := newChat(t)
	worker.e = newEngine(cfg)
	if got := worker.text("/dashboard"); strings.Contains(got, "admin/login") {
		t.Errorf("a worker got a link: %q", got)
	}
}

// The funnel counts how far a registration got and the errors on the way.
func TestFunnelCounts(t *testing.T) {
	week := tanggal.WeekStart(clockNowIn(t)).Format(time.DateOnly)
	before := funnelRows(t, week)
	c := newChat(t)
	c.text("halo")
	c.press("cs:yes")
	c.text("12345") // too short: an error at the NIK step
	c.text(freshNIK())
	after := funnelRows(t, week)
	if d := after["consent"][0] - before["consent"][0]; d != 1 {
		t.Errorf("consent reached +%d, want +1", d)
	}
	if d := after["name"][0] - before["name"][0]; d != 1 {
		t.Errorf("name reached +%d, want +1", d)
	}
	if d := after["name"][1] - before["name"][1]; d != 1 {
		t.Errorf("stopped at name +%d, want +1", d)
	}
	if d := after["nik"][1] - before["nik"][1]; d != 0 {
		t.Errorf("stopped at nik +%d, want 0 (it moved on)", d)
	}
	if d := after["nik"][2] - before["nik"][2]; d != 1 {
		t.Errorf("errors at nik +%d, want +1", d)
	}
}

func clockNowIn(t *testing.T) time.Time {
	t.Helper()
	return clock.Now().In(flows.DefaultConfig().Location)
}

// funnelRows sums the funnel of a week by step: reached, stopped, errors
// (folded or not). The package's tests run one at a time.
func funnelRows(t *testing.T, week string) map[string][3]int64 {
	t.Helper()
	var rows []struct {
		Step    string `db:"step"`
		Reached int64  `db:"reached"`
		Stopped int64  `db:"stopped"`
		Errors  int64  `db:"errors"`
	}
	if err := testDB.SQL().Select(&rows, `SELECT step, sum(reached) AS reached, sum(stopped) AS stopped, sum(errors) AS errors FROM (
			SELECT step, reached, stopped, errors FROM funnel_counts WHERE week = $1
			UNION ALL SELECT source, n, m, e FROM rollup_deltas WHERE kind = 'funnel' AND day = $1) AS f GROUP BY step`, week); err != nil {
		t.Fatal(err)
	}
	out := map[string][3]int64{}
	for _, r := range rows {
		out[r.Step] = [3]int64{r.Reached, r.Stopped, r.Errors}
	}
	return out
}
