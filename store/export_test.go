package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
)

// openAt opens the test database with a clock stopped at now: rows made
// through it carry that time, so an export --since then sees only them.
func openAt(t *testing.T, now time.Time) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, testVault(t), store.Options{Now: func() time.Time { return now }, Location: wib})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func exportReg(nik, phone, name string) flows.Registration {
	r := resident(nik, phone, name)
	r.Female, r.JHT, r.MonthlyIuran = true, true, 36800
	return r
}

func TestExports(t *testing.T) {
	ctx := context.Background()
	// Far from every other test's rows: --since below selects only these.
	march := time.Date(2037, 3, 2, 10, 0, 0, 0, wib)
	april := time.Date(2037, 4, 2, 10, 0, 0, 0, wib)
	dbM, dbA := openAt(t, march), openAt(t, april)

	self := newUser(dbM, "exp-self")
	selfNIK, selfPhone := newNIK(), newPhone()
	selfRef, err := self.selfRegister(exportReg(selfNIK, selfPhone, "Siti Ekspor"))
	must(t, err)
	gone := newUser(dbM, "exp-gone")
	goneRef, err := gone.selfRegister(exportReg(newNIK(), newPhone(), "Hilang Sekali"))
	must(t, err)
	must(t, gone.do(func(ctx context.Context, tx flows.Tx) error { _, err := tx.Forget(ctx); return err }))

	agent, agentID := newAgent(t, dbM, "ketua_rt", "id")
	agent.db = dbA // the residents come in April
	res1, err := agent.register(resident(newNIK(), newPhone(), "Warga Satu"))
	must(t, err)
	res2, err := agent.register(resident(newNIK(), "", "Warga Dua"))
	must(t, err)

	// The agent pays for both in one payment, which settles.
	_, err = dbA.CreatePayment(ctx, store.NewPayment{
		Instruction: payments.Instruction{Provider: "sandbox", OrderID: "exp-agent-2037", Bank: payments.BRI, VANumber: "9", Amount: 33600},
		PayerKind:   store.PayerAgent, PayerRef: agent.chatKey, AgentID: agentID, Items: []flows.PaymentLine{line(res1), line(res2)},
	})
	must(t, err)
	if _, err := flows.ApplyPayment(ctx, dbA, paid("exp-agent-2037", 33600, april), wib, dbA.Now, nil); err != nil {
		t.Fatal(err)
	}

	since := func(t time.Time) store.ExportOptions { return store.ExportOptions{Since: t} }
	regs := func(opt store.ExportOptions) map[string]store.ExportRegistration {
		t.Helper()
		out := map[string]store.ExportRegistration{}
		total := -1
		opt.Start = func(n int) error { total = n; return nil }
		n, err := dbA.ExportRegistrations(ctx, opt, func(r store.ExportRegistration) error { out[r.Ref] = r; return nil })
		must(t, err)
		if n != len(out) || total != n {
			t.Errorf("%d rows given, %d distinct, Start told %d", n, len(out), total)
		}
		return out
	}

	all := regs(since(march.AddDate(0, 0, -1)))
	if len(all) != 4 {
		t.Fatalf("export since March: %d rows, want 4: %+v", len(all), all)
	}
	s := all[selfRef]
	if s.Name != "Siti Ekspor" || s.NIK != "" || s.Phone != "" || !s.Female.Bool || !s.JHT || s.MonthlyIuran != 36800 ||
		s.Village != "61.71.05.1002" || s.Status != flows.StatusAwaitingPayment || s.AgentID.Valid || s.Channel != "t" {
		t.Errorf("self registration without NIK: %+v", s)
	}
	g := all[goneRef]
	if g.Name != "" || !g.BirthDate.IsZero() || g.Female.Valid || g.Village != "" || g.Status != flows.StatusDeleted || g.Regency != "61.71" {
		t.Errorf("deleted registration is not pseudonymous: %+v", g)
	}
	r1 := all[res1]
	if !r1.AgentID.Valid || r1.AgentID.Int64 != agentID || r1.Channel != "" || r1.Status != flows.StatusActive || r1.CoveredTo.IsZero() {
		t.Errorf("agent's resident: %+v", r1)
	}

	april1 := time.Date(2037, 4, 1, 0, 0, 0, 0, wib)
	if got := regs(since(april1)); len(got) != 2 || got[res1].Ref == "" || got[res2].Ref == "" {
		t.Errorf("export since April: %+v", got)
	}

	withNIK := regs(store.ExportOptions{Since: march.AddDate(0, 0, -1), WithPersonal: true})
	if w := withNIK[selfRef]; w.NIK != selfNIK || w.Phone != selfPhone {
		t.Errorf("with NIK: %q %q, want %q %q", w.NIK, w.Phone, selfNIK, selfPhone)
	}
	if w := withNIK[goneRef]; w.NIK != "" || w.Phone != "" {
		t.Errorf("deleted registration with NIK: %+v", w)
	}
	if w := withNIK[res2]; w.Phone != "" || w.NIK == "" {
		t.Errorf("resident without phone: %+v", w)
	}

	// Payments: one row per item; the items add up to the payment.
	var items []store.ExportPaymentItem
	n, err := dbA.ExportPayments(ctx, since(april1), func(it store.ExportPaymentItem) error {
		if it.OrderID == "exp-agent-2037" {
			items = append(items, it)
		}
		return nil
	})
	must(t, err)
	if n < 2 || len(items) != 2 {
		t.Fatalf("payment items: %d rows, ours %+v", n, items)
	}
	var sum int64
	for i, it := range items {
		sum += it.Amount
		if it.Item != i+1 || it.Items != 2 || it.PaymentAmount != 33600 || it.Status != "paid" || it.AppliedAt.IsZero() ||
			!it.AgentID.Valid || it.AgentID.Int64 != agentID || it.PayerKind != store.PayerAgent || it.JKK+it.JKM+it.JHT-it.Discount != it.Amount {
			t.Errorf("item %d: %+v", i+1, it)
		}
	}
	if sum != items[0].PaymentAmount {
		t.Errorf("items add up to %d, the payment is %d", sum, items[0].PaymentAmount)
	}

	// Agents: what each registered, has active and collected.
	var got []store.ExportAgent
	_, err = dbM.ExportAgents(ctx, store.ExportOptions{Since: march.AddDate(0, 0, -1), WithPersonal: true}, func(a store.ExportAgent) error {
		if a.ID == agentID {
			got = append(got, a)
		}
		return nil
	})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("agents: %+v", got)
	}
	if a := got[0]; a.Registered != 2 || a.Active != 2 || a.Collected != 33600 || a.Status != flows.AgentApproved || a.NIK == "" ||
		a.Phone == "" || a.DecidedAt.IsZero() || a.Village != "61.71.05.1002" || a.RT != "003" {
		t.Errorf("agent: %+v", a)
	}
	_, err = dbM.ExportAgents(ctx, store.ExportOptions{Since: march.AddDate(0, 0, -1)}, func(a store.ExportAgent) error {
		if a.NIK != "" || a.Phone != "" {
			t.Errorf("agent %d without personal data: %+v", a.ID, a)
		}
		return nil
	})
	must(t, err)
}
