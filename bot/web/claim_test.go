package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/store"
)

// say sends a text or a button press and returns the texts of the replies
// it brought.
func (c *client) say(text, choice string) string {
	c.t.Helper()
	c.seq++
	m := map[string]string{"id": "m" + strconv.Itoa(c.seq)}
	if choice != "" {
		m["choice"] = choice
	} else {
		m["text"] = text
	}
	b, _ := json.Marshal(m)
	if st := c.post(string(b)); st != http.StatusAccepted {
		c.t.Fatalf("post %v: status %d", m, st)
	}
	chat := c.chat()
	var out []string
	var ids []int64
	for _, p := range pending(c.t, chat) {
		out = append(out, p.Reply.Text)
		ids = append(ids, p.ID)
	}
	if err := testDB.MarkSent(context.Background(), ids); err != nil {
		c.t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// The security review's H1 and M1, replayed through the web chat: a
// printed sponsor code alone shows and takes nothing, and fresh cookies get
// no fresh allowance for guessing.
func TestPrintedClaimCodeAloneTakesNothing(t *testing.T) {
	ctx := context.Background()
	b, _, err := testDB.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemprov Uji", FileName: "pekerja.csv", FileSHA: fmt.Sprint("h1-", clock.Now().UnixNano()),
		Months: 12, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	w := roster.Worker{Line: 2, NIK: "6104250801030298", Name: "Yohanes Hasibuan", BirthDate: time.Date(2003, 1, 8, 0, 0, 0, 0, time.UTC),
		Province: "61", Regency: "61.04", District: "61.04.25", Village: "61.04.25.2001", Occupation: "petani"}
	if _, err := sponsor.ImportChunk(ctx, testDB, b, []roster.Worker{w}, iuran.Default()); err != nil {
		t.Fatal(err)
	}
	codes, err := testDB.BatchClaimCodes(ctx, b.ID, clock.Now().AddDate(0, 0, 365), "test")
	if err != nil || len(codes) != 1 {
		t.Fatalf("codes %v, %v", codes, err)
	}
	srv := start(t, testOptions(), nil)

	// The probe: a fresh browser, the link, the consent button, /dataku, /hapus.
	c := newClient(t, srv)
	c.get("/")
	got := c.say("/start klaim-"+codes[0].Code, "")
	got += c.say("", "cc:yes")
	got += c.say("/dataku", "")
	if strings.Contains(got, "Yohanes") || strings.Contains(got, "Hasibuan") || strings.Contains(got, "tertaut") {
		t.Fatalf("a code alone showed the record:\n%s", got)
	}
	c.say("/hapus", "")
	c.say("", "cf:yes")
	var st struct {
		Status  string `db:"status"`
		Channel string `db:"channel"`
	}
	testDB.SQL().Get(&st, `SELECT status, channel FROM registrations WHERE sponsor_batch_id = $1`, b.ID)
	if st.Status == "dihapus" || st.Channel != "" {
		t.Fatalf("after the probe the registration is %+v", st)
	}

	// M1: new cookies from one address share its allowance.
	for i := 0; ; i++ {
		if i > flows.ClaimClientTries {
			t.Fatal("no lock after the address's tries")
		}
		g := newClient(t, srv)
		g.get("/")
		g.say(fmt.Sprintf("/start klaim-AAAAAAA%d", i), "")
		g.say(fmt.Sprintf("6104250801030%03d", 300+i), "")
		if strings.Contains(g.say("Yohanes Hasibuan", ""), "Terlalu banyak percobaan") {
			if i != flows.ClaimClientTries-1 {
				t.Errorf("locked after %d tries, want %d", i+1, flows.ClaimClientTries)
			}
			break
		}
	}
	fresh := newClient(t, srv)
	fresh.get("/")
	if got := fresh.say("/start klaim-"+codes[0].Code, ""); !strings.Contains(got, "Terlalu banyak percobaan") {
		t.Errorf("a fresh cookie from the same address got a fresh allowance: %q", got)
	}
	var alerts int
	testDB.SQL().Get(&alerts, `SELECT count(*) FROM audit_log WHERE action = 'claim:locked'`)
	if alerts == 0 {
		t.Error("no claim:locked alert for link guesses")
	}
}
