package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
)

// seedChats registers n workers with Telegram chats in regency 61.71 and
// m in 61.72 (never paid).
func (e *env) seedChats(n, m int) {
	e.t.Helper()
	for i := range n + m {
		regency, district, village := "61.71", "61.71.01", "61.71.01.1001"
		if i >= n {
			regency, district, village = "61.72", "61.72.01", "61.72.01.1001"
		}
		if _, err := e.db.DB.SQL().Exec(`INSERT INTO registrations (ref, channel, chat_id, name, province, regency, district, village,
				occupation, status, monthly_iuran, created_at, updated_at)
			VALUES ($1, 'telegram', $2, 'Pekerja Uji', '61', $3, $4, $5, 'petani', $6, 16800, $7, $7)`,
			fmt.Sprintf("LD2612-S%05d", i), fmt.Sprint(800000+i), regency, district, village, flows.StatusAwaitingPayment, e.clock.Now()); err != nil {
			e.t.Fatal(err)
		}
	}
}

var broadcastIDRe = regexp.MustCompile(`/admin/siaran/(\d+)\?baru=1`)

// An admin composes a broadcast: the count and the preview follow the
// form, a bad draft is refused with its reason and kept, a good one is
// stored as the admin's and audited; pause, resume and cancel steer it.
func TestComposeAndSteerBroadcast(t *testing.T) {
	e := newEnv(t)
	e.seedChats(3, 2)
	b := e.browser()
	b.signIn("telegram:42")
	csrf := b.csrf()

	code, body := b.get("/admin/siaran/baru?reg=61.71")
	if code != http.StatusOK || !strings.Contains(body, `id="bc-count">3<`) {
		t.Fatalf("composer for 61.71: %d, count not 3:\n%s", code, excerptAround(body, "bc-count"))
	}
	form := url.Values{"csrf": {csrf}, "reg": {"61.71", "61.72"}, "teks": {"Halo *semua*, iuran bulan ini."}, "tombol": {"pay"}, "kapan": {"sekarang"}}
	code, body = b.post("/admin/siaran/pratinjau", form)
	if code != http.StatusOK || !strings.Contains(body, `id="bc-count">5<`) || !strings.Contains(body, "Halo <b>semua</b>") ||
		!strings.Contains(body, "Bayar iuran") {
		t.Fatalf("preview: %d\n%s", code, body)
	}
	// A kecamatan alone narrows its kabupaten/kota.
	if _, body := b.post("/admin/siaran/pratinjau", url.Values{"csrf": {csrf}, "dist": {"61.72.01"}}); !strings.Contains(body, `id="bc-count">2<`) {
		t.Errorf("kecamatan 61.72.01: %s", excerptAround(body, "bc-count"))
	}

	// Refused drafts keep what was typed and say why.
	bad := url.Values{"csrf": {csrf}, "reg": {"61.71"}, "teks": {"  "}, "do": {"kirim"}}
	if code, body := b.post("/admin/siaran/baru", bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Pesan masih kosong") ||
		!strings.Contains(body, `value="61.71" checked`) {
		t.Errorf("no text: %d\n%s", code, excerptAround(body, "problem"))
	}
	past := url.Values{"csrf": {csrf}, "teks": {"Halo"}, "kapan": {"nanti"}, "waktu": {"2026-12-01T08:00"}, "do": {"kirim"}}
	if code, body := b.post("/admin/siaran/baru", past); code != http.StatusUnprocessableEntity || !strings.Contains(body, "sudah lewat") {
		t.Errorf("a time past: %d", code)
	}
	nobody := url.Values{"csrf": {csrf}, "teks": {"Halo"}, "reg": {"61.73"}, "do": {"kirim"}}
	if code, body := b.post("/admin/siaran/baru", nobody); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Tidak ada penerima") {
		t.Errorf("nobody: %d", code)
	}
	if code, _ := b.post("/admin/siaran/baru", url.Values{"csrf": {csrf}, "teks": {"Halo"}, "st": {"everyone"}, "do": {"kirim"}}); code != http.StatusBadRequest {
		t.Errorf("a standing the page never offers: %d, want 400", code)
	}
	var n int
	if err := e.db.DB.SQL().Get(&n, `SELECT count(*) FROM broadcasts`); err != nil || n != 0 {
		t.Fatalf("%d broadcasts after refusals (%v)", n, err)
	}

	// The composer's form carries its key; sent twice (a double click),
	// it is one broadcast.
	_, page := b.get("/admin/siaran/baru")
	key := regexp.MustCompile(`name="kunci" value="([^"]+)"`).FindStringSubmatch(page)
	if key == nil {
		t.Fatal("the composer has no form key")
	}
	form.Set("kunci", key[1])
	form.Set("do", "kirim")
	send := func() string {
		t.Helper()
		resp, err := b.c.PostForm(e.srv.URL+"/admin/siaran/baru", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		m := broadcastIDRe.FindStringSubmatch(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("send: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return m[1]
	}
	id := send()
	if again := send(); again != id {
		t.Errorf("the same form sent twice made broadcasts %s and %s", id, again)
	}
	var by, text, button string
	if err := e.db.DB.SQL().QueryRow(`SELECT created_by, text, button FROM broadcasts WHERE id = $1`, id).Scan(&by, &text, &button); err != nil {
		t.Fatal(err)
	}
	if by != "telegram:42" || text != "Halo *semua*, iuran bulan ini." || button != flows.ButtonPay {
		t.Errorf("stored %q %q %q", by, text, button)
	}
	if n := e.audited("telegram:42", "broadcast:create"); n != 1 {
		t.Errorf("%d broadcast:create audited, want 1", n)
	}
	if _, err := e.db.DB.StartBroadcasts(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body = b.get("/admin/siaran/" + id + "?baru=1")
	if code != http.StatusOK || !strings.Contains(body, `id="bc-total">5<`) || !strings.Contains(body, `data-events="/admin/siaran/`+id+`/events"`) {
		t.Fatalf("broadcast page: %d\n%s", code, excerptAround(body, "bc-total"))
	}
	if _, body := b.get("/admin/siaran"); !strings.Contains(body, `href="/admin/siaran/`+id+`"`) {
		t.Error("the list does not link the broadcast")
	}

	steer := func(action string, want int) {
		t.Helper()
		if code, _ := b.post("/admin/siaran/"+id+"/status", url.Values{"csrf": {csrf}, "action": {action}}); code != want {
			t.Errorf("%s: %d, want %d", action, code, want)
		}
	}
	steer("jeda", http.StatusSeeOther)
	steer("jeda", http.StatusConflict)
	steer("lanjut", http.StatusSeeOther)
	steer("batal", http.StatusSeeOther)
	steer("lanjut", http.StatusConflict)
	var status string
	if err := e.db.DB.SQL().Get(&status, `SELECT status FROM broadcasts WHERE id = $1`, id); err != nil || status != flows.BroadcastCancelled {
		t.Errorf("status %q (%v), want cancelled", status, err)
	}
	for _, a := range []string{"broadcast:paused", "broadcast:running", "broadcast:cancelled"} {
		if n := e.audited("telegram:42", a); n != 1 {
			t.Errorf("%d %s audited, want 1", n, a)
		}
	}
	// An ended broadcast's stream says so once and closes.
	code, body = b.get("/admin/siaran/" + id + "/events")
	if code != http.StatusOK || strings.Count(body, "event: progress") != 1 || !strings.Contains(body, `"end":true`) {
		t.Errorf("events of a cancelled broadcast: %d\n%s", code, body)
	}
}

// The live page's stream sends the counts again whenever they change.
func TestBroadcastEventsFollowSending(t *testing.T) {
	e := newEnv(t)
	e.seedChats(4, 0)
	ctx := context.Background()
	id, err := e.db.DB.CreateBroadcastAs(ctx, "telegram:42", flows.Broadcast{Text: "Halo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.DB.StartBroadcasts(ctx); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("telegram:42")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/admin/siaran/%d/events", e.srv.URL, id), nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				events <- string(buf[:n])
			}
			if err != nil {
				close(events)
				return
			}
		}
	}()
	wait := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("stream closed before %s", want)
				}
				if strings.Contains(ev, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no event with %s", want)
			}
		}
	}
	wait(`"sent":"0"`)
	items, err := e.db.DB.ClaimBroadcastItems(ctx, []string{"telegram"}, 10)
	if err != nil || len(items) != 4 {
		t.Fatalf("claimed %d (%v)", len(items), err)
	}
	var res []flows.BroadcastResult
	for i, it := range items {
		state := "sent"
		if i == 3 {
			state = "blocked"
		}
		res = append(res, flows.BroadcastResult{BroadcastID: it.BroadcastID, Channel: it.Channel, ChatID: it.ChatID, State: state})
	}
	if err := e.db.DB.FinishBroadcastItems(ctx, res); err != nil {
		t.Fatal(err)
	}
	wait(`"sent":"3"`)
	if _, err := flows.FinishBroadcasts(ctx, e.db.DB, nil); err != nil {
		t.Fatal(err)
	}
	wait(`"end":true`)
}

// Staf read broadcasts but cannot write or steer them; supervisors (a
// kabupaten/kota) and sponsors (their batches) do not see them: they go
// to the whole province.
func TestBroadcastRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for actor, s := range map[string]dashboard.Staff{
		"telegram:77": {Role: dashboard.RoleStaf},
		"telegram:88": {Role: dashboard.RoleSupervisor, Regencies: []string{"61.71"}},
		"telegram:99": {Role: dashboard.RoleSponsor, Batches: []int64{1}},
	} {
		s.Actor = actor
		if err := e.db.DB.SetStaffRole(ctx, "telegram:42", s); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		actor   string
		list    int
		compose int
	}{{"telegram:77", 200, 403}, {"telegram:88", 403, 403}, {"telegram:99", 403, 403}} {
		b := e.browser()
		b.signIn(c.actor)
		if code, body := b.get("/admin/siaran"); code != c.list || strings.Contains(body, `href="/admin/siaran/baru"`) {
			t.Errorf("%s: list %d, want %d (or offers to write)", c.actor, code, c.list)
		}
		if code, _ := b.get("/admin/siaran/baru"); code != c.compose {
			t.Errorf("%s: composer %d, want %d", c.actor, code, c.compose)
		}
		if code, _ := b.post("/admin/siaran/baru", url.Values{"csrf": {b.csrf()}, "teks": {"Halo"}, "do": {"kirim"}}); code != http.StatusForbidden {
			t.Errorf("%s: send %d, want 403", c.actor, code)
		}
	}
}

// excerptAround is a bit of body around the first s, for failure messages.
func excerptAround(body, s string) string {
	i := strings.Index(body, s)
	if i < 0 {
		return "(no " + s + ")"
	}
	return body[max(0, i-200):min(len(body), i+300)]
}
