package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
)

// bcEnv is a database of its own (segment counts are exact) with a clock.
type bcEnv struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	clk *fakeClock
}

// bcToday is the tests' "now": 25 November 2026, 10:00 WIB.
var bcToday = time.Date(2026, 11, 25, 10, 0, 0, 0, wib)

func newBcEnv(t *testing.T) *bcEnv {
	t.Helper()
	ctx := context.Background()
	u, drop, err := pgtest.Create(ctx)
	must(t, err)
	t.Cleanup(drop)
	clk := &fakeClock{t: bcToday}
	db, err := store.Open(ctx, u, testVault(t), store.Options{Now: clk.Now, Location: wib})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	must(t, err)
	return &bcEnv{t: t, ctx: ctx, db: db, clk: clk}
}

// admin runs fn in the chat of the admin t:boss.
func (e *bcEnv) admin(fn func(ctx context.Context, tx flows.Tx) error) error {
	return e.db.Atomically(e.ctx, "t", "boss", func(ctx context.Context, tx flows.Tx) error {
		tx.Identify("boss")
		return fn(ctx, tx)
	})
}

func (e *bcEnv) count(s flows.Segment) int {
	e.t.Helper()
	var n int
	must(e.t, e.admin(func(ctx context.Context, tx flows.Tx) (err error) {
		n, err = tx.SegmentCount(ctx, s)
		return err
	}))
	return n
}

// create makes a broadcast to s as the admin, at its time (zero: now).
func (e *bcEnv) create(s flows.Segment, at time.Time) int64 {
	e.t.Helper()
	var id int64
	must(e.t, e.admin(func(ctx context.Context, tx flows.Tx) (err error) {
		id, err = tx.CreateBroadcast(ctx, flows.Broadcast{Segment: s, Text: "Halo *semua*", Button: flows.ButtonPay, ScheduledAt: at})
		return err
	}))
	return id
}

func (e *bcEnv) start() []int64 {
	e.t.Helper()
	ids, err := e.db.StartBroadcasts(e.ctx)
	must(e.t, err)
	return ids
}

func (e *bcEnv) progress(id int64) flows.BroadcastProgress {
	e.t.Helper()
	p, err := e.db.BroadcastProgressOf(e.ctx, id)
	must(e.t, err)
	return p
}

// recipients maps the chats of a broadcast ("channel/chat") to their state.
func (e *bcEnv) recipients(id int64) map[string]string {
	e.t.Helper()
	var rows []struct {
		Key   string `db:"key"`
		State string `db:"state"`
	}
	must(e.t, e.db.SQL().Select(&rows, `SELECT channel || '/' || chat_id AS key, state FROM broadcast_recipients WHERE broadcast_id = $1`, id))
	out := map[string]string{}
	for _, r := range rows {
		out[r.Key] = r.State
	}
	return out
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// worker is a registration of the hand-built dataset.
type worker struct {
	channel, chat, regency, district, occupation string
	jht                                          bool
	covered                                      *int // days from today to the last covered day; nil: never paid
	agent                                        int64
	deleted                                      bool
}

func days(n int) *int { return &n }

func (e *bcEnv) addWorker(w worker) {
	e.t.Helper()
	status, covered := flows.StatusAwaitingPayment, ""
	if w.covered != nil {
		status, covered = flows.StatusActive, bcToday.AddDate(0, 0, *w.covered).Format(time.DateOnly)
	}
	var deleted any
	if w.deleted {
		deleted = bcToday
	}
	e.db.SQL().MustExec(`INSERT INTO registrations (ref, channel, chat_id, province, regency, district, occupation, jht, status,
		covered_to, agent_id, deleted_at, created_at, updated_at)
		VALUES ($1, $2, $3, '61', $4, $5, $6, $7, $8, nullif($9, '')::date, nullif($10, 0), $11, $12, $12)`,
		fmt.Sprintf("LDT-%d", next()), w.channel, w.chat, w.regency, w.district, w.occupation, w.jht, status, covered, w.agent, deleted, bcToday)
}

func (e *bcEnv) addAgent(channel, chat, village, status string) int64 {
	e.t.Helper()
	var id int64
	must(e.t, e.db.SQL().Get(&id, `INSERT INTO agents (channel, user_id, chat_id, role, nik_sealed, nik_hash, name, village, status, created_at, updated_at)
		VALUES ($1, $2, $2, 'kader', '\x00', $3, 'Agen', $4, $5, $6, $6) RETURNING id`,
		channel, chat, []byte(fmt.Sprint("agent-nik-", next())), village, status, bcToday))
	return id
}

func (e *bcEnv) optOut(channel, chat string, out bool) bool {
	e.t.Helper()
	var changed bool
	must(e.t, e.db.Atomically(e.ctx, channel, chat, func(ctx context.Context, tx flows.Tx) (err error) {
		changed, err = tx.SetOptOut(ctx, out)
		return err
	}))
	return changed
}

// Every filter narrows as documented, SegmentCount (the chat), CountSegment
// (the CLI) and the recipients a start fixes always agree, and a person is
// counted once however many of their registrations match.
func TestSegmentFilters(t *testing.T) {
	e := newBcEnv(t)
	a1 := e.addAgent("telegram", "a1", "61.71.05.1002", flows.AgentApproved)
	e.addAgent("web", "a2", "", flows.AgentApproved) // Perisai: no village
	e.addAgent("telegram", "a3", "61.71.05.1002", flows.AgentPending)
	e.addAgent("telegram", "a4", "61.04.01.2001", flows.AgentApproved)
	e.addAgent("telegram", "a5", "61.71.01.1001", flows.AgentApproved) // unreachable below
	for _, w := range []worker{
		{"telegram", "w1", "61.71", "61.71.01", "petani", true, days(30), 0, false},
		{"telegram", "w2", "61.71", "61.71.05", "nelayan", false, days(3), 0, false},
		{"web", "w3", "61.71", "61.71.05", "petani", false, nil, 0, false},
		{"telegram", "w4", "61.04", "61.04.01", "pedagang", true, days(-10), 0, false},
		{"web", "w5", "61.04", "61.04.01", "petani", false, days(-200), 0, false},
		{"telegram", "w6", "61.71", "61.71.01", "nelayan", true, days(0), a1, false},
		{"", "", "61.71", "61.71.05", "petani", false, nil, a1, false}, // an agent's resident with no chat of their own
		{"telegram", "w8", "61.71", "61.71.05", "petani", false, nil, 0, true},
		{"telegram", "w9", "61.71", "61.71.01", "buruh", false, nil, 0, false},
		{"telegram", "w9", "61.04", "61.04.01", "buruh", false, days(60), 0, false},
		{"telegram", "w10", "61.71", "61.71.05", "petani", false, nil, 0, false}, // opted out below
		{"telegram", "w11", "61.71", "61.71.05", "petani", false, nil, 0, false}, // unreachable below
		{"telegram", "w12", "61.04", "61.04.01", "pedagang", false, days(7), 0, false},
	} {
		e.addWorker(w)
	}
	e.db.SQL().MustExec(`INSERT INTO sessions (channel, chat_id, lang) VALUES ('telegram', 'w1', 'en')`)
	if !e.optOut("telegram", "w10", true) {
		t.Fatal("opting out changed nothing")
	}
	must(t, e.db.MarkUnreachable(e.ctx, "telegram", "w11", "blocked"))
	must(t, e.db.MarkUnreachable(e.ctx, "telegram", "a5", "blocked"))

	for _, c := range []struct {
		name string
		seg  flows.Segment
		want int
	}{
		{"everyone", flows.Segment{}, 8},
		{"regency", flows.Segment{Regencies: []string{"61.71"}}, 5},
		{"other regency", flows.Segment{Regencies: []string{"61.04"}}, 4},
		{"both regencies, w9 once", flows.Segment{Regencies: []string{"61.71", "61.04"}}, 8},
		{"district", flows.Segment{Districts: []string{"61.71.05"}}, 2},
		{"regency and district", flows.Segment{Regencies: []string{"61.71"}, Districts: []string{"61.71.01"}}, 3},
		{"awaiting", flows.Segment{Standings: []string{flows.StandingAwaiting}}, 2},
		{"active", flows.Segment{Standings: []string{flows.StandingActive}}, 5},
		{"due in 7 days", flows.Segment{Standings: []string{flows.StandingDue}}, 3},
		{"due in 3 days", flows.Segment{Standings: []string{flows.StandingDue}, DueDays: 3}, 2},
		{"arrears", flows.Segment{Standings: []string{flows.StandingArrears}}, 1},
		{"ended", flows.Segment{Standings: []string{flows.StandingEnded}}, 1},
		{"awaiting or active", flows.Segment{Standings: []string{flows.StandingAwaiting, flows.StandingActive}}, 6},
		{"active or due", flows.Segment{Standings: []string{flows.StandingActive, flows.StandingDue}}, 5},
		{"occupation", flows.Segment{Occupations: []string{"petani"}}, 3},
		{"occupations", flows.Segment{Occupations: []string{"nelayan", "buruh"}}, 3},
		{"with JHT", flows.Segment{JHT: "with"}, 3},
		{"without JHT", flows.Segment{JHT: "without"}, 5},
		{"self-paying", flows.Segment{Payers: []string{flows.PayerSelf}}, 7},
		{"paid by an agent", flows.Segment{Payers: []string{flows.PayerAgent}}, 1},
		{"sponsored (none yet)", flows.Segment{Payers: []string{flows.PayerSponsor}}, 0},
		{"self or agent", flows.Segment{Payers: []string{flows.PayerSelf, flows.PayerAgent}}, 8},
		{"web", flows.Segment{Channels: []string{"web"}}, 2},
		{"telegram", flows.Segment{Channels: []string{"telegram"}}, 6},
		{"awaiting in 61.71 on telegram", flows.Segment{Regencies: []string{"61.71"}, Standings: []string{flows.StandingAwaiting}, Channels: []string{"telegram"}}, 1},
		{"agent-paid with JHT in 61.71", flows.Segment{Regencies: []string{"61.71"}, JHT: "with", Payers: []string{flows.PayerAgent}}, 1},
		{"one registration must match all", flows.Segment{Regencies: []string{"61.04"}, Standings: []string{flows.StandingAwaiting}}, 0},
		{"agents", flows.Segment{AgentsOnly: true}, 3},
		{"agents in a regency", flows.Segment{AgentsOnly: true, Regencies: []string{"61.71"}}, 1},
		{"agents in a district", flows.Segment{AgentsOnly: true, Districts: []string{"61.04.01"}}, 1},
		{"agents: a code prefix is not a region", flows.Segment{AgentsOnly: true, Regencies: []string{"61.7"}}, 0},
		{"agents on web", flows.Segment{AgentsOnly: true, Channels: []string{"web"}}, 1},
		{"agents: worker filters ignored", flows.Segment{AgentsOnly: true, Standings: []string{flows.StandingEnded}, Occupations: []string{"x"}, JHT: "with"}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := e.count(c.seg); got != c.want {
				t.Errorf("SegmentCount %d, want %d", got, c.want)
			}
			n, err := e.db.CountSegment(e.ctx, c.seg)
			must(t, err)
			if n != c.want {
				t.Errorf("CountSegment %d, want %d", n, c.want)
			}
			id := e.create(c.seg, time.Time{})
			if started := e.start(); !slices.Equal(started, []int64{id}) {
				t.Fatalf("started %v, want [%d]", started, id)
			}
			p := e.progress(id)
			want := flows.BroadcastRunning
			if c.want == 0 {
				want = flows.BroadcastDone
			}
			if p.Total != c.want || p.Queued != c.want || p.Status != want || !p.StartedAt.Equal(bcToday) {
				t.Errorf("started: %+v", p)
			}
			// Leave it out of the next cases' way.
			must(t, e.admin(func(ctx context.Context, tx flows.Tx) error {
				_, err := tx.SetBroadcastStatus(ctx, id, flows.BroadcastCancelled)
				if c.want == 0 && errors.Is(err, flows.ErrNotFound) {
					return nil // done already
				}
				return err
			}))
		})
	}

	id := e.create(flows.Segment{}, time.Time{})
	e.start()
	got := e.recipients(id)
	if want := []string{"telegram/w1", "telegram/w12", "telegram/w2", "telegram/w4", "telegram/w6", "telegram/w9", "web/w3", "web/w5"}; !slices.Equal(keys(got), want) {
		t.Errorf("recipients %v, want %v", keys(got), want)
	}
	var lang string
	must(t, e.db.SQL().Get(&lang, `SELECT lang FROM broadcast_recipients WHERE broadcast_id = $1 AND chat_id = 'w1'`, id))
	if lang != "en" {
		t.Errorf("w1's language %q", lang)
	}

	for _, bad := range []flows.Segment{
		{Standings: []string{"aktif"}}, {Payers: []string{"boss"}}, {JHT: "maybe"}, {Standings: []string{flows.StandingDue}, DueDays: -1},
	} {
		if _, err := e.db.CountSegment(e.ctx, bad); err == nil {
			t.Errorf("segment %+v counted", bad)
		}
		if err := e.admin(func(ctx context.Context, tx flows.Tx) error {
			_, err := tx.CreateBroadcast(ctx, flows.Broadcast{Segment: bad, Text: "x"})
			return err
		}); err == nil {
			t.Errorf("broadcast to %+v created", bad)
		}
	}
	for _, b := range []flows.Broadcast{{Text: " "}, {Text: "x", Button: "hapus"}} {
		if _, err := e.db.CreateBroadcastAs(e.ctx, "cli:root", b); err == nil {
			t.Errorf("broadcast %+v created", b)
		}
	}
}

// The standings of a segment agree with iuran.Status (what the worker is
// told), across month ends and a leap day.
func TestSegmentStandingsFollowIuran(t *testing.T) {
	e := newBcEnv(t)
	first := time.Date(2026, 9, 1, 0, 0, 0, 0, wib)
	e.db.SQL().MustExec(`INSERT INTO registrations (ref, channel, chat_id, status, covered_to, created_at, updated_at)
		SELECT 'S' || d::date, 't', d::date::text, 'aktif', d::date, now(), now()
		FROM generate_series($1::date, $1::date + 700, '1 day') AS d`, first.Format(time.DateOnly))
	for _, day := range []string{"2026-11-25", "2027-01-31", "2027-02-28", "2027-03-01", "2027-04-29", "2027-04-30", "2027-05-01",
		"2027-05-31", "2027-12-31", "2028-02-29", "2028-03-01", "2028-05-30", "2028-05-31"} {
		today, err := time.ParseInLocation(time.DateOnly, day, wib)
		must(t, err)
		e.clk.Set(today.Add(time.Hour)) // 01:00 WIB is the day before in UTC: "today" is WIB's date
		for _, st := range []struct {
			name  string
			iuran iuran.Standing
		}{{flows.StandingActive, iuran.Active}, {flows.StandingArrears, iuran.Arrears}, {flows.StandingEnded, iuran.Ended}} {
			var want []string
			for end := first; !end.After(first.AddDate(0, 0, 700)); end = end.AddDate(0, 0, 1) {
				if iuran.Status(end, today) == st.iuran {
					want = append(want, "t/"+end.Format(time.DateOnly))
				}
			}
			id := e.create(flows.Segment{Standings: []string{st.name}}, time.Time{})
			e.start()
			if got := keys(e.recipients(id)); !slices.Equal(got, want) {
				t.Errorf("%s on %s: %d recipients, iuran says %d (first %v / %v)", st.name, day, len(got), len(want), got[:min(1, len(got))], want[:min(1, len(want))])
			}
		}
	}
}

// 5,000 people, most matching twice (two registrations, two standings):
// started once by four processes at a time, claimed by four workers at a
// time in batches of 200, each sent exactly once.
func TestBroadcastFiveThousandExactlyOnce(t *testing.T) {
	e := newBcEnv(t)
	today := bcToday.Format(time.DateOnly)
	// Chats c1…c5000 (every fifth on web): c1…c4000 awaiting in 61.71;
	// c1…c3000 and c4001…c5000 also (or only) active and due in 61.04.
	// n1…n1000 match nothing (ended, elsewhere).
	e.db.SQL().MustExec(`
		INSERT INTO registrations (ref, channel, chat_id, regency, district, status, covered_to, created_at, updated_at)
		SELECT 'A' || i, CASE WHEN i % 5 = 0 THEN 'web' ELSE 'telegram' END, 'c' || i, '61.71', '61.71.01', 'menunggu_pembayaran', NULL, now(), now()
		FROM generate_series(1, 4000) AS i
		UNION ALL
		SELECT 'B' || i, CASE WHEN i % 5 = 0 THEN 'web' ELSE 'telegram' END, 'c' || i, '61.04', '61.04.01', 'aktif', $1::date + 3, now(), now()
		FROM generate_series(1, 5000) AS i WHERE i <= 3000 OR i > 4000
		UNION ALL
		SELECT 'N' || i, 'telegram', 'n' || i, '61.72', '61.72.01', 'aktif', $1::date - 400, now(), now()
		FROM generate_series(1, 1000) AS i`, today)
	e.db.SQL().MustExec(`INSERT INTO sessions (channel, chat_id, lang)
		SELECT CASE WHEN i % 5 = 0 THEN 'web' ELSE 'telegram' END, 'c' || i, CASE WHEN i % 2 = 0 THEN 'en' ELSE 'id' END
		FROM generate_series(1, 5000, 3) AS i`)
	seg := flows.Segment{Regencies: []string{"61.71", "61.04"}, Standings: []string{flows.StandingAwaiting, flows.StandingActive, flows.StandingDue}}
	if n := e.count(seg); n != 5000 {
		t.Fatalf("segment counts %d, want 5000", n)
	}
	id := e.create(seg, time.Time{})

	var mu sync.Mutex
	var started []int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			ids, err := e.db.StartBroadcasts(e.ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			started = append(started, ids...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if !slices.Equal(started, []int64{id}) {
		t.Fatalf("started %v, want [%d] once", started, id)
	}
	if p := e.progress(id); p.Total != 5000 || p.Queued != 5000 || p.Status != flows.BroadcastRunning {
		t.Fatalf("started: %+v", p)
	}

	claims := map[string]int{}
	var badLang []string
	for range 4 {
		wg.Go(func() {
			for {
				items, err := e.db.ClaimBroadcastItems(e.ctx, []string{"telegram", "web"}, 200)
				if err != nil {
					t.Error(err)
					return
				}
				if len(items) == 0 {
					return
				}
				if len(items) > 200 {
					t.Errorf("claimed %d", len(items))
				}
				results := make([]flows.BroadcastResult, len(items))
				mu.Lock()
				for i, it := range items {
					claims[it.Channel+"/"+it.ChatID]++
					var n int
					fmt.Sscanf(it.ChatID, "c%d", &n)
					want := ""
					if (n-1)%3 == 0 {
						want = map[bool]string{true: "en", false: "id"}[n%2 == 0]
					}
					if it.Lang != want || it.Attempts != 1 || it.BroadcastID != id {
						badLang = append(badLang, fmt.Sprintf("%+v", it))
					}
					results[i] = flows.BroadcastResult{BroadcastID: it.BroadcastID, Channel: it.Channel, ChatID: it.ChatID, State: "sent"}
				}
				mu.Unlock()
				if err := e.db.FinishBroadcastItems(e.ctx, results); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(badLang) > 0 {
		t.Errorf("%d items with the wrong language or attempts, e.g. %s", len(badLang), badLang[0])
	}
	if len(claims) != 5000 {
		t.Errorf("%d recipients claimed, want 5000", len(claims))
	}
	for k, n := range claims {
		if n != 1 {
			t.Errorf("%s claimed %d times", k, n)
		}
		if !strings.HasPrefix(k, "telegram/c") && !strings.HasPrefix(k, "web/c") {
			t.Errorf("%s claimed: not in the segment", k)
		}
	}
	var sent int
	must(t, e.db.SQL().Get(&sent, `SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = $1 AND state = 'sent'`, id))
	if sent != 5000 {
		t.Errorf("%d sent, want 5000", sent)
	}
	done, err := flows.FinishBroadcasts(e.ctx, e.db, nil)
	must(t, err)
	if len(done) != 1 || done[0].ID != id || done[0].Sent != 5000 || done[0].Total != 5000 || done[0].Status != flows.BroadcastDone ||
		done[0].Queued != 0 || done[0].ReportChannel != "t" || done[0].ReportChat != "boss" || !done[0].FinishedAt.Equal(bcToday) {
		t.Errorf("finished %+v", done)
	}
	if again, err := flows.FinishBroadcasts(e.ctx, e.db, nil); err != nil || len(again) != 0 {
		t.Errorf("finished twice: %v %v", again, err)
	}
}
