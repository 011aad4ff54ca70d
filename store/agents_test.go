package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
)

// seq numbers what the tests make (NIKs, chats), unique in the shared database.
var seq struct {
	sync.Mutex
	n int
}

func next() int {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return seq.n
}

func newNIK() string   { return fmt.Sprintf("3201%012d", next()) }
func newPhone() string { return fmt.Sprintf("+62813%08d", next()) }

// user is someone writing in a chat of channel "t".
type user struct {
	db             *store.DB
	channel, id    string // the chat
	userID         string
	actor, chatKey string // "t:<user>", "t:<chat>"
}

func newUser(db *store.DB, prefix string) user {
	id := fmt.Sprintf("%s-%d-%d", prefix, clock.Now().UnixNano(), next())
	return user{db: db, channel: "t", id: id, userID: "u" + id, actor: "t:u" + id, chatKey: "t:" + id}
}

// do runs fn in one transaction of the user's chat, as the engine does.
func (u user) do(fn func(ctx context.Context, tx flows.Tx) error) error {
	return u.db.Atomically(context.Background(), u.channel, u.id, func(ctx context.Context, tx flows.Tx) error {
		tx.Identify(u.userID)
		return fn(ctx, tx)
	})
}

// hello saves the chat's session in a language.
func (u user) hello(t *testing.T, lang string) user {
	t.Helper()
	must(t, u.do(func(ctx context.Context, tx flows.Tx) error {
		s, _, err := tx.Begin(ctx, "")
		if err != nil {
			return err
		}
		s.Lang, s.UserID = lang, u.userID
		return tx.SaveSession(ctx, s)
	}))
	return u
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (u user) apply(role, nik, phone string) (int64, error) {
	var id int64
	err := u.do(func(ctx context.Context, tx flows.Tx) (err error) {
		id, err = tx.ApplyAgent(ctx, flows.Agent{Role: role, NIK: nik, Name: "Pak " + u.id, Phone: phone, Village: "61.71.05.1002", RT: "003", RW: "007"})
		return err
	})
	return id, err
}

func (u user) decide(id int64, status, reason string) (flows.Agent, error) {
	var a flows.Agent
	err := u.do(func(ctx context.Context, tx flows.Tx) (err error) {
		a, err = tx.DecideAgent(ctx, id, status, reason)
		return err
	})
	return a, err
}

// newAgent makes an approved agent whose chat speaks lang.
func newAgent(t *testing.T, db *store.DB, role, lang string) (user, int64) {
	t.Helper()
	a := newUser(db, "agent").hello(t, lang)
	id, err := a.apply(role, newNIK(), newPhone())
	must(t, err)
	_, err = newUser(db, "admin").decide(id, flows.AgentApproved, "checked")
	must(t, err)
	return a, id
}

func resident(nik, phone, name string) flows.Registration {
	return flows.Registration{NIK: nik, Name: name, Phone: phone, BirthDate: time.Date(1980, 3, 4, 0, 0, 0, 0, time.UTC),
		Province: "61", Regency: "61.71", District: "61.71.05", Village: "61.71.05.1002", Occupation: "petani",
		Income: 1000000, MonthlyIuran: 16800}
}

// register has the agent attest a resident's consent and register them.
func (u user) register(r flows.Registration) (string, error) {
	var ref string
	err := u.do(func(ctx context.Context, tx flows.Tx) error {
		id, err := tx.RecordAttestation(ctx, flows.Attestation{TextVersion: "attest-v1", UpdateID: "up", GivenAt: clock.Now()})
		if err != nil {
			return err
		}
		ref, err = tx.CreateResident(ctx, r, id)
		return err
	})
	return ref, err
}

func (u user) residents() ([]flows.Resident, error) {
	var out []flows.Resident
	err := u.do(func(ctx context.Context, tx flows.Tx) (err error) {
		out, err = tx.Residents(ctx)
		return err
	})
	return out, err
}

func (u user) selfRegister(r flows.Registration) (string, error) {
	var ref string
	err := u.do(func(ctx context.Context, tx flows.Tx) (err error) {
		ref, err = tx.CreateRegistration(ctx, r)
		return err
	})
	return ref, err
}

func (u user) registrations(t *testing.T) []string {
	t.Helper()
	var refs []string
	must(t, u.do(func(ctx context.Context, tx flows.Tx) error {
		regs, err := tx.Registrations(ctx)
		for _, r := range regs {
			refs = append(refs, r.Ref)
		}
		return err
	}))
	return refs
}

func line(ref string) flows.PaymentLine {
	return flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800}
}

func (u user) pay(order string, refs ...string) error {
	var lines []flows.PaymentLine
	for _, r := range refs {
		lines = append(lines, line(r))
	}
	return u.do(func(ctx context.Context, tx flows.Tx) error {
		return tx.RecordAgentPayment(ctx, flows.PaymentRecord{Lines: lines, Instruction: payments.Instruction{Provider: "sandbox",
			OrderID: order, Bank: payments.BCA, VANumber: "12345" + order, Amount: 16800 * int64(len(refs))}})
	})
}

// audited lists "action subject detail" of the audit log for subjects.
func audited(t *testing.T, db *store.DB, subjects ...string) []string {
	t.Helper()
	var out []string
	err := db.SQL().Select(&out, `SELECT action || ' ' || subject || ' ' || detail FROM audit_log WHERE subject = ANY($1) ORDER BY id`,
		pq.StringArray(subjects))
	must(t, err)
	return out
}

// assertNoClearText scans every column of every table for the given values,
// as text and as the hex a bytea column prints.
func assertNoClearText(t *testing.T, db *sqlx.DB, values ...string) {
	t.Helper()
	var tables []string
	must(t, db.Select(&tables, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`))
	for _, table := range tables {
		var rows []string
		must(t, db.Select(&rows, fmt.Sprintf(`SELECT t::text FROM %q t`, table)))
		for _, r := range rows {
			for _, v := range values {
				if strings.Contains(r, v) || strings.Contains(r, fmt.Sprintf("%x", v)) {
					t.Errorf("table %s holds %s in clear: %s", table, v, r)
				}
			}
		}
	}
}

func TestAgentApplyApproveRegisterAndList(t *testing.T) {
	db := open(t)
	admin := newUser(db, "admin")
	a := newUser(db, "agent").hello(t, "en")
	nikA, phoneA := newNIK(), newPhone()
	id, err := a.apply("ketua_rt", nikA, phoneA)
	must(t, err)

	// Pending: the record is there, nothing may be done yet.
	must(t, a.do(func(ctx context.Context, tx flows.Tx) error {
		got, err := tx.Agent(ctx)
		if err != nil || got == nil || got.ID != id || got.Status != flows.AgentPending || got.NIK != nikA || got.Phone != phoneA ||
			got.UserID != a.userID || got.ChatID != a.id || got.Lang != "en" || got.RT != "003" {
			t.Errorf("pending agent %+v, %v", got, err)
		}
		return nil
	}))
	nik1, nik2, phone1 := newNIK(), newNIK(), newPhone()
	if _, err := a.register(resident(nik1, phone1, "Budi")); !errors.Is(err, flows.ErrNotAgent) {
		t.Fatalf("a pending agent registered a resident: %v", err)
	}
	if _, err := a.residents(); !errors.Is(err, flows.ErrNotAgent) {
		t.Fatalf("a pending agent listed residents: %v", err)
	}

	got, err := admin.decide(id, flows.AgentApproved, "checked with the kelurahan")
	if err != nil || got.Status != flows.AgentApproved || got.DecidedBy != admin.actor || got.DecidedAt.IsZero() || got.NIK != nikA || got.Lang != "en" {
		t.Fatalf("approved %+v, %v", got, err)
	}
	if _, err := admin.decide(id+1000000, flows.AgentApproved, ""); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("deciding on no agent: %v", err)
	}
	if _, err := admin.decide(id, "maybe", ""); err == nil {
		t.Errorf("a decision that is none was taken")
	}

	ref1, err := a.register(resident(nik1, phone1, "Budi"))
	must(t, err)
	ref2, err := a.register(resident(nik2, "", "Wati")) // no phone given
	must(t, err)
	res, err := a.residents()
	must(t, err)
	if len(res) != 2 || res[0].Ref != ref2 || res[1].Ref != ref1 {
		t.Fatalf("residents %+v, want %s then %s", res, ref2, ref1)
	}
	if r := res[1]; r.NIK != nik1 || r.Phone != phone1 || r.Name != "Budi" || r.Status != flows.StatusAwaitingPayment || r.Linked() ||
		r.MonthlyIuran != 16800 || r.CreatedAt.IsZero() {
		t.Errorf("resident %+v", r)
	}
	if r := res[0]; r.NIK != nik2 || r.Phone != "" {
		t.Errorf("resident without phone %+v", r)
	}
	// No chat owns them: the agent's own chat does not list them as its registrations.
	if regs := a.registrations(t); len(regs) != 0 {
		t.Errorf("the agent's chat lists %v as its own", regs)
	}
	var owner struct {
		Channel string `db:"channel"`
		ChatID  string `db:"chat_id"`
		Consent *int64 `db:"consent_id"`
		Attest  *int64 `db:"attestation_id"`
	}
	must(t, db.SQL().Get(&owner, `SELECT channel, chat_id, consent_id, attestation_id FROM registrations WHERE ref = $1`, ref1))
	if owner.Channel != "" || owner.ChatID != "" || owner.Consent != nil || owner.Attest == nil {
		t.Errorf("stored resident %+v", owner)
	}

	// Another agent sees none of them and may touch none of them.
	b, _ := newAgent(t, db, "kader", "id")
	if res, err := b.residents(); err != nil || len(res) != 0 {
		t.Errorf("the second agent sees %+v, %v", res, err)
	}
	order := "AGX-" + ref1
	for name, try := range map[string]func() error{
		"pay": func() error { return b.pay(order, ref1) },
		"claim code": func() error {
			return b.do(func(ctx context.Context, tx flows.Tx) error {
				_, err := tx.NewClaimCode(ctx, ref1, clock.Now().Add(time.Hour))
				return err
			})
		},
		"remind": func() error {
			return b.do(func(ctx context.Context, tx flows.Tx) error { return tx.MarkReminded(ctx, []string{ref1}) })
		},
	} {
		if err := try(); !errors.Is(err, flows.ErrNotYours) {
			t.Errorf("%s on another agent's resident: %v", name, err)
		}
	}
	var n int
	must(t, db.SQL().Get(&n, `SELECT count(*) FROM payments WHERE order_id = $1`, order))
	if n != 0 {
		t.Errorf("a refused payment was written")
	}
	// One of the agent's own and one not: refused as a whole.
	if err := a.pay("AGY-"+ref1, ref1, "LD0000-NOPE00"); !errors.Is(err, flows.ErrNotYours) {
		t.Errorf("pay with a stranger's line: %v", err)
	}

	must(t, a.do(func(ctx context.Context, tx flows.Tx) error { return tx.MarkReminded(ctx, []string{ref1, ref1}) }))
	res, _ = a.residents()
	if res[1].RemindedAt.IsZero() || !res[0].RemindedAt.IsZero() {
		t.Errorf("reminded: %v / %v", res[1].RemindedAt, res[0].RemindedAt)
	}

	// Suspended: no more registering, but the list stays readable.
	if _, err := admin.decide(id, flows.AgentSuspended, "complaints"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.register(resident(newNIK(), "", "Ani")); !errors.Is(err, flows.ErrNotAgent) {
		t.Errorf("a suspended agent registered: %v", err)
	}
	if err := a.pay("AGZ-"+ref1, ref1); !errors.Is(err, flows.ErrNotAgent) {
		t.Errorf("a suspended agent paid: %v", err)
	}
	if res, err := a.residents(); err != nil || len(res) != 2 {
		t.Errorf("a suspended agent's residents: %d, %v", len(res), err)
	}
	if _, err := a.apply("ketua_rt", nikA, phoneA); err == nil || errors.Is(err, flows.ErrDuplicate) {
		t.Errorf("a suspended agent applied again: %v", err)
	}

	want := []string{"agent:apply agent:%d ", "admin:agent_approved agent:%d checked with the kelurahan", "admin:agent_suspended agent:%d complaints"}
	for i := range want {
		want[i] = fmt.Sprintf(want[i], id)
	}
	if got := audited(t, db, fmt.Sprint("agent:", id)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit of the agent %q, want %q", got, want)
	}
	if got := audited(t, db, ref1); len(got) != 1 || !strings.HasPrefix(got[0], "agent:register "+ref1+" attestation=") {
		t.Errorf("audit of the resident %q", got)
	}
	var actor string
	must(t, db.SQL().Get(&actor, `SELECT actor FROM audit_log WHERE subject = $1`, ref1))
	if actor != a.actor {
		t.Errorf("actor %q, want %q", actor, a.actor)
	}
	assertNoClearText(t, db.SQL(), nikA, phoneA, nik1, nik2, phone1)
}

func TestAgentReapplyAfterRejection(t *testing.T) {
	db := open(t)
	admin := newUser(db, "admin")
	a := newUser(db, "agent")
	id, err := a.apply("kader", newNIK(), newPhone())
	must(t, err)
	// While pending the answers may be replaced.
	nik := newNIK()
	if again, err := a.apply("kepala_desa", nik, ""); err != nil || again != id {
		t.Fatalf("re-apply while pending: %d, %v", again, err)
	}
	if _, err := admin.decide(id, flows.AgentRejected, "not in the village"); err != nil {
		t.Fatal(err)
	}
	if again, err := a.apply("ketua_rw", nik, ""); err != nil || again != id {
		t.Fatalf("re-apply after rejection: %d, %v", again, err)
	}
	must(t, a.do(func(ctx context.Context, tx flows.Tx) error {
		got, err := tx.Agent(ctx)
		if err != nil || got.Status != flows.AgentPending || got.Role != "ketua_rw" || got.Reason != "" || got.DecidedBy != "" ||
			!got.DecidedAt.IsZero() || got.Phone != "" || got.NIK != nik {
			t.Errorf("after re-applying: %+v, %v", got, err)
		}
		return nil
	}))
	var pending []flows.Agent
	must(t, admin.do(func(ctx context.Context, tx flows.Tx) (err error) {
		pending, err = tx.Agents(ctx, flows.AgentPending)
		return err
	}))
	found := false
	for i, p := range pending {
		found = found || p.ID == id
		if p.Status != flows.AgentPending || (i > 0 && p.CreatedAt.Before(pending[i-1].CreatedAt)) {
			t.Errorf("pending list %+v", pending)
		}
	}
	if !found {
		t.Errorf("the re-application is not pending")
	}
}

func TestNIKTakenIsADuplicate(t *testing.T) {
	db := open(t)
	agent, _ := newAgent(t, db, "ketua_rt", "id")
	self := newUser(db, "self")
	tests := []struct {
		name        string
		first, then func(nik string) error
	}{
		{"self then agent",
			func(nik string) error { _, err := self.selfRegister(resident(nik, newPhone(), "Siti")); return err },
			func(nik string) error { _, err := agent.register(resident(nik, "", "Siti")); return err }},
		{"agent then self",
			func(nik string) error { _, err := agent.register(resident(nik, "", "Siti")); return err },
			func(nik string) error { _, err := self.selfRegister(resident(nik, newPhone(), "Siti")); return err }},
		{"agent then agent",
			func(nik string) error { _, err := agent.register(resident(nik, "", "Siti")); return err },
			func(nik string) error { _, err := agent.register(resident(nik, "", "Siti")); return err }},
		{"another agent's NIK",
			func(nik string) error { _, err := newUser(db, "agent").apply("kader", nik, ""); return err },
			func(nik string) error { _, err := newUser(db, "agent").apply("kader", nik, ""); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nik := newNIK()
			must(t, tt.first(nik))
			if err := tt.then(nik); !errors.Is(err, flows.ErrDuplicate) {
				t.Errorf("err = %v, want ErrDuplicate", err)
			}
		})
	}

	// A refused application leaves the transaction usable (the flow answers in it).
	taken := newNIK()
	if _, err := newUser(db, "agent").apply("kader", taken, ""); err != nil {
		t.Fatal(err)
	}
	late := newUser(db, "agent")
	err := late.do(func(ctx context.Context, tx flows.Tx) error {
		if _, err := tx.ApplyAgent(ctx, flows.Agent{Role: "kader", NIK: taken, Name: "X"}); !errors.Is(err, flows.ErrDuplicate) {
			t.Errorf("apply with a taken NIK: %v", err)
		}
		a, err := tx.Agent(ctx)
		if a != nil {
			t.Errorf("a refused application was stored: %+v", a)
		}
		if err != nil {
			return err
		}
		return tx.Send(ctx, []flows.Reply{{Text: "taken"}})
	})
	if err != nil {
		t.Fatalf("the transaction after a refused application: %v", err)
	}
}

// fakeNotices renders settled payments as short lines to compare.
type fakeNotices struct{}

func (fakeNotices) PaymentReplies(lang string, c flows.Covered) []flows.Reply {
	return []flows.Reply{{Text: fmt.Sprintf("paid %s %s %s", lang, c.RegistrationRef, c.To.Format(time.DateOnly))}}
}

func (fakeNotices) AgentPaymentReplies(lang string, p flows.AgentPaid) []flows.Reply {
	return []flows.Reply{{Text: fmt.Sprintf("agent %s %s amount=%d covered=%d month=%d total=%d", lang, p.Role, p.Amount, len(p.Covered),
		p.CollectedMonth, p.CollectedTotal)}}
}

func texts(t *testing.T, db *store.DB, channel, chat string) []string {
	t.Helper()
	p, err := db.PendingFor(context.Background(), channel, chat)
	must(t, err)
	var out []string
	for _, o := range p {
		out = append(out, o.Reply.Text)
	}
	return out
}

func TestAgentPaymentNotices(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 10, 10, 9, 0, 0, 0, wib)}
	db, err := store.Open(ctx, dsn, testVault(t), store.Options{Now: clk.Now})
	must(t, err)
	defer db.Close()
	agent, _ := newAgent(t, db, flows.RolePerisai, "en")
	var refs []string
	for _, name := range []string{"Budi", "Wati", "Ani"} {
		ref, err := agent.register(resident(newNIK(), "", name))
		must(t, err)
		refs = append(refs, ref)
	}
	// The first resident links their own chat.
	linked := newUser(db, "resident").hello(t, "id")
	must(t, linked.do(func(ctx context.Context, tx flows.Tx) error { return tx.LinkResident(ctx, refs[0], "code") }))

	// October: one month for the first resident.
	oct := "AG-OCT-" + refs[0]
	must(t, agent.pay(oct, refs[0]))
	if r, err := flows.ApplyPayment(ctx, db, paid(oct, 16800, time.Date(2026, 10, 15, 10, 0, 0, 0, wib)), wib, db.Now, fakeNotices{}); err != nil || r.Outcome != flows.PaymentApplied {
		t.Fatalf("october: %+v, %v", r, err)
	}
	want := []string{"agent en perisai amount=16800 covered=1 month=16800 total=16800"}
	if got := texts(t, db, "t", agent.id); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("agent told %q, want %q", got, want)
	}
	clearOutbox(t, db)

	// November: all three, paid on the last day of the month late in the
	// evening (still November in WIB, already 1 December nowhere).
	clk.Set(time.Date(2026, 11, 30, 20, 0, 0, 0, wib))
	nov := "AG-NOV-" + refs[0]
	must(t, agent.pay(nov, refs...))
	for range 2 { // applied once, however often it is repeated
		if _, err := flows.ApplyPayment(ctx, db, paid(nov, 3*16800, time.Date(2026, 11, 30, 23, 30, 0, 0, wib)), wib, db.Now, fakeNotices{}); err != nil {
			t.Fatal(err)
		}
	}
	want = []string{"agent en perisai amount=50400 covered=3 month=50400 total=67200"}
	if got := texts(t, db, "t", agent.id); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("agent told %q, want %q", got, want)
	}
	if got := texts(t, db, "t", linked.id); len(got) != 1 || !strings.HasPrefix(got[0], "paid id "+refs[0]+" ") {
		t.Errorf("the linked resident told %q", got)
	}
	var unowned, waiting int
	must(t, db.SQL().Get(&unowned, `SELECT count(*) FROM outbox WHERE channel = '' OR chat_id = ''`))
	must(t, db.SQL().Get(&waiting, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`))
	if unowned != 0 || waiting != 2 {
		t.Errorf("%d replies for no chat, %d waiting in all", unowned, waiting)
	}
	res, err := agent.residents()
	must(t, err)
	for _, r := range res {
		if r.Status != flows.StatusActive || (r.Ref != refs[0] && r.CoveredTo.Format(time.DateOnly) != "2026-12-31") {
			t.Errorf("resident after payment %+v", r)
		}
	}
	must(t, agent.do(func(ctx context.Context, tx flows.Tx) error {
		month, total, err := tx.AgentCollected(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, wib))
		if month != 50400 || total != 67200 {
			t.Errorf("collected %d this month, %d ever", month, total)
		}
		return err
	}))
	clearOutbox(t, db)

	// December: a payment made late in November is notified after one of
	// December: it counts for November.
	clk.Set(time.Date(2026, 12, 5, 9, 0, 0, 0, wib))
	late, dec := "AG-LATE-"+refs[0], "AG-DEC-"+refs[0]
	must(t, agent.pay(late, refs[2]))
	must(t, agent.pay(dec, refs[1]))
	for _, n := range []payments.Notification{paid(dec, 16800, clk.Now()), paid(late, 16800, time.Date(2026, 11, 30, 22, 0, 0, 0, wib))} {
		if _, err := flows.ApplyPayment(ctx, db, n, wib, db.Now, fakeNotices{}); err != nil {
			t.Fatal(err)
		}
	}
	want = []string{"agent en perisai amount=16800 covered=1 month=16800 total=84000", "agent en perisai amount=16800 covered=1 month=67200 total=100800"}
	if got := texts(t, db, "t", agent.id); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("agent told %q, want %q", got, want)
	}

	var agentID *int64
	must(t, db.SQL().Get(&agentID, `SELECT agent_id FROM payments WHERE order_id = $1`, nov))
	if agentID == nil {
		t.Errorf("the agent's payment does not name the agent")
	}
}

func clearOutbox(t *testing.T, db *store.DB) {
	t.Helper()
	db.SQL().MustExec(`UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL`)
}

// Automatic reminders of a resident no chat owns are not sent: the agent reminds.
func TestRemindersSkipUnlinkedResidents(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 11, 30, 14, 0, 0, 0, wib)}
	db, err := store.Open(ctx, dsn, testVault(t), store.Options{Now: clk.Now})
	must(t, err)
	defer db.Close()
	agent, _ := newAgent(t, db, "ketua_rt", "id")
	unlinked, err := agent.register(resident(newNIK(), "", "Budi"))
	must(t, err)
	linkedRef, err := agent.register(resident(newNIK(), "", "Wati"))
	must(t, err)
	linked := newUser(db, "resident")
	must(t, linked.do(func(ctx context.Context, tx flows.Tx) error { return tx.LinkResident(ctx, linkedRef, "phone") }))
	order := "AG-REM-" + unlinked
	must(t, agent.pay(order, unlinked, linkedRef))
	if _, err := flows.ApplyPayment(ctx, db, paid(order, 2*16800, clk.Now()), wib, db.Now, nil); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 12, 24, 10, 0, 0, 0, wib)) // a week before the end
	if _, err := flows.RunReminders(ctx, db, 1000, wib, render, nil); err != nil {
		t.Fatal(err)
	}
	outcome := func(ref string) string {
		var o string
		must(t, db.SQL().Get(&o, `SELECT outcome FROM jobs WHERE key = $1`, "remind:"+ref+":2026-12-31:before:7"))
		return o
	}
	if o := outcome(unlinked); o != "unlinked" {
		t.Errorf("unlinked resident's reminder: %q", o)
	}
	if o := outcome(linkedRef); o != "sent" {
		t.Errorf("linked resident's reminder: %q", o)
	}
	if got := texts(t, db, "t", linked.id); fmt.Sprint(got) != "[before 7 2026-12-31]" {
		t.Errorf("linked resident got %q", got)
	}
}
