package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/store"
)

func (u user) claimCode(ref string, expires time.Time) (string, error) {
	var code string
	err := u.do(func(ctx context.Context, tx flows.Tx) (err error) {
		code, err = tx.NewClaimCode(ctx, ref, expires)
		return err
	})
	return code, err
}

func (u user) useCode(t *testing.T, code, ref string) (string, bool) {
	t.Helper()
	var got string
	var ok bool
	must(t, u.do(func(ctx context.Context, tx flows.Tx) (err error) {
		got, ok, err = tx.UseClaimCode(ctx, code, ref)
		return err
	}))
	return got, ok
}

func TestClaimCodes(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, wib)}
	db, err := store.Open(ctx, dsn, testVault(t), store.Options{Now: clk.Now})
	must(t, err)
	defer db.Close()
	agent, _ := newAgent(t, db, "ketua_rt", "id")
	var refs []string
	for range 4 {
		ref, err := agent.register(resident(newNIK(), "", "Budi"))
		must(t, err)
		refs = append(refs, ref)
	}
	hour := clk.Now().Add(time.Hour)
	first, err := agent.claimCode(refs[0], hour)
	must(t, err)
	second, err := agent.claimCode(refs[0], hour)
	must(t, err)
	other, err := agent.claimCode(refs[1], hour)
	must(t, err)
	short, err := agent.claimCode(refs[2], clk.Now().Add(time.Minute))
	must(t, err)
	if len(second) != 8 || strings.Trim(second, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") != "" || first == second {
		t.Fatalf("codes %q, %q", first, second)
	}
	clk.Set(clk.Now().Add(2 * time.Minute))

	resident := newUser(db, "resident")
	typed := strings.ToLower(second[:4]) + " - " + second[4:] // as a person may type it
	tests := []struct {
		name, code, ref string
		want            string // the ref, "" when refused
	}{
		{"replaced by a newer code", first, refs[0], ""},
		{"for another resident", second, refs[1], ""},
		{"expired", short, refs[2], ""},
		{"unknown", "ZZZZZZZZ", "", ""},
		{"empty", " - ", "", ""},
		{"typed loosely, of the asked resident", typed, refs[0], refs[0]},
		{"spent already", second, refs[0], ""},
		{"any resident (a claim link)", other, "", refs[1]},
		{"spent already, by link", other, "", ""},
	}
	for _, tt := range tests {
		got, ok := resident.useCode(t, tt.code, tt.ref)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
	var usedBy []string
	must(t, db.SQL().Select(&usedBy, `SELECT c.used_by FROM claim_codes c JOIN registrations r ON r.id = c.registration_id
		WHERE r.ref = $1 ORDER BY c.created_at, c.used_by`, refs[0]))
	if fmt.Sprint(usedBy) != fmt.Sprintf("[replaced %s]", resident.chatKey) {
		t.Errorf("codes of %s used by %v", refs[0], usedBy)
	}

	// Many chats with one code at once: exactly one gets it.
	code, err := agent.claimCode(refs[3], clk.Now().Add(time.Hour))
	must(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newUser(db, "race")
			err := c.do(func(ctx context.Context, tx flows.Tx) error {
				ref, ok, err := tx.UseClaimCode(ctx, code, "")
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
					return tx.LinkResident(ctx, ref, "code")
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("the code was spent %d times", won)
	}

	// A linked resident needs no code, and an unused code of theirs stops working.
	left, err := agent.claimCode(refs[2], clk.Now().Add(time.Hour))
	must(t, err)
	must(t, resident.do(func(ctx context.Context, tx flows.Tx) error { return tx.LinkResident(ctx, refs[2], "phone") }))
	if _, ok := newUser(db, "late").useCode(t, left, ""); ok {
		t.Errorf("a code of a linked resident was spent")
	}
	if _, err := agent.claimCode(refs[2], clk.Now().Add(time.Hour)); !errors.Is(err, flows.ErrNotYours) {
		t.Errorf("a code for a linked resident: %v", err)
	}
	audit := audited(t, db, refs[0])
	if len(audit) != 3 || !strings.HasPrefix(audit[1], "agent:claim_code "+refs[0]+" expires=") {
		t.Errorf("audit %q", audit)
	}
	assertNoClearText(t, db.SQL(), first, second, other, short, code, left)
}

func TestLinkResident(t *testing.T) {
	db := open(t)
	agent, _ := newAgent(t, db, "ketua_rt", "id")
	nik, phone := newNIK(), newPhone()
	ref, err := agent.register(resident(nik, phone, "Budi Santoso"))
	must(t, err)
	self := newUser(db, "self")
	selfNIK := newNIK()
	selfRef, err := self.selfRegister(resident(selfNIK, newPhone(), "Siti"))
	must(t, err)

	r := newUser(db, "resident").hello(t, "en")
	claimable := func(nik string) *flows.Claimable {
		var c *flows.Claimable
		must(t, r.do(func(ctx context.Context, tx flows.Tx) (err error) {
			c, err = tx.Claimable(ctx, nik)
			return err
		}))
		return c
	}
	if c := claimable(nik); c == nil || *c != (flows.Claimable{Ref: ref, Name: "Budi Santoso", Phone: phone, ByAgent: true}) {
		t.Fatalf("claimable %+v", c)
	}
	if c := claimable(selfNIK); c == nil || c.Ref != selfRef || c.ByAgent || !c.Linked {
		t.Errorf("a self registration is claimable as %+v", c)
	}
	if c := claimable(newNIK()); c != nil {
		t.Errorf("an unknown NIK is claimable as %+v", c)
	}

	must(t, r.do(func(ctx context.Context, tx flows.Tx) error { return tx.LinkResident(ctx, ref, "phone") }))
	if regs := r.registrations(t); fmt.Sprint(regs) != "["+ref+"]" {
		t.Errorf("the resident's chat lists %v", regs)
	}
	res, err := agent.residents()
	must(t, err)
	if len(res) != 1 || res[0].Channel != "t" || res[0].ChatID != r.id || res[0].Lang != "en" || res[0].ClaimedAt.IsZero() || !res[0].Linked() {
		t.Errorf("the agent sees %+v", res)
	}
	if c := claimable(nik); c == nil || !c.Linked {
		t.Errorf("after linking %+v", c)
	}
	if err := newUser(db, "thief").do(func(ctx context.Context, tx flows.Tx) error { return tx.LinkResident(ctx, ref, "phone") }); err == nil {
		t.Errorf("a linked registration was linked again")
	}

	var consent int64
	must(t, r.do(func(ctx context.Context, tx flows.Tx) (err error) {
		if consent, err = tx.RecordConsent(ctx, flows.Consent{TextVersion: "v1", GivenAt: clock.Now()}); err != nil {
			return err
		}
		return tx.ConfirmConsent(ctx, ref, consent)
	}))
	var stored int64
	must(t, db.SQL().Get(&stored, `SELECT consent_id FROM registrations WHERE ref = $1`, ref))
	if stored != consent {
		t.Errorf("consent %d, want %d", stored, consent)
	}
	err = newUser(db, "thief").do(func(ctx context.Context, tx flows.Tx) error { return tx.ConfirmConsent(ctx, ref, consent) })
	if !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("consent for another chat's registration: %v", err)
	}
	if got := audited(t, db, ref); len(got) != 2 || got[1] != "claim:linked "+ref+" how=phone" {
		t.Errorf("audit %q", got)
	}
	assertNoClearText(t, db.SQL(), nik, phone, selfNIK)
}

func TestClaimFailures(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, wib)}
	db, err := store.Open(ctx, dsn, testVault(t), store.Options{Now: clk.Now})
	must(t, err)
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// A sponsor's batch of two workers, with printed codes.
	b, _, err := db.OpenBatch(ctx, store.BatchSpec{Sponsor: "Pemkab Sintang", FileName: "f.csv", FileSHA: fmt.Sprint("fail-", clock.Now().UnixNano()), Months: 3, CreatedBy: "test"})
	must(t, err)
	sponsored, sponsored2 := newNIK(), newNIK()
	_, err = sponsor.ImportChunk(ctx, db, b, []roster.Worker{rosterWorker(2, sponsored), rosterWorker(3, sponsored2)}, iuran.Default())
	must(t, err)
	codes, err := db.BatchClaimCodes(ctx, b.ID, clk.Now().AddDate(0, 0, 30), "test")
	if err != nil || len(codes) != 2 {
		t.Fatalf("codes %v, %v", codes, err)
	}
	code2 := codes[1].Code

	nik := newNIK()
	a, c := newUser(db, "prober"), newUser(db, "prober")
	web := newUser(db, "web") // another channel, the same address as a
	web.channel = "w"
	const addr = "2001:db8:1:2::/64"
	fail := func(u user, k flows.ClaimKeys) {
		must(t, u.do(func(ctx context.Context, tx flows.Tx) error { return tx.ClaimFailed(ctx, k, "name_mismatch") }))
	}
	fail(a, flows.ClaimKeys{NIK: nik}) // an hour before the window
	clk.Set(clk.Now().Add(2 * time.Hour))
	since := clk.Now().Add(-time.Hour)
	fail(a, flows.ClaimKeys{NIK: nik, Client: addr})
	fail(a, flows.ClaimKeys{NIK: nik})
	fail(a, flows.ClaimKeys{})
	fail(c, flows.ClaimKeys{NIK: nik})
	fail(web, flows.ClaimKeys{Code: "abcd-efgh", Client: addr})                // typed the way people type
	fail(web, flows.ClaimKeys{NIK: sponsored, Client: addr})                   // the batch, by its NIK
	fail(c, flows.ClaimKeys{Code: strings.ToLower(code2)})                     // the batch, by its code
	fail(newUser(db, "x"), flows.ClaimKeys{NIK: sponsored2, Code: "ABCDEFGH"}) // the batch once, the code once
	tests := []struct {
		who  user
		k    flows.ClaimKeys
		want flows.ClaimCounts
	}{
		{a, flows.ClaimKeys{NIK: nik}, flows.ClaimCounts{Chat: 3, NIK: 3}},
		{a, flows.ClaimKeys{}, flows.ClaimCounts{Chat: 3}},
		{c, flows.ClaimKeys{NIK: nik}, flows.ClaimCounts{Chat: 2, NIK: 3}},
		{c, flows.ClaimKeys{NIK: newNIK()}, flows.ClaimCounts{Chat: 2}},
		{newUser(db, "fresh"), flows.ClaimKeys{NIK: nik}, flows.ClaimCounts{NIK: 3}},
		// A fresh chat from the same address, on any channel, starts with what the address used.
		{newUser(db, "fresh"), flows.ClaimKeys{Client: addr}, flows.ClaimCounts{Client: 3}},
		{newUser(db, "fresh"), flows.ClaimKeys{Client: "2001:db8:1:3::/64"}, flows.ClaimCounts{}},
		{newUser(db, "fresh"), flows.ClaimKeys{Code: "ABCDEFGH"}, flows.ClaimCounts{Code: 2}},
		// The batch counts every attempt on any of its workers, by NIK or by code.
		{newUser(db, "fresh"), flows.ClaimKeys{NIK: sponsored2}, flows.ClaimCounts{NIK: 1, Batch: 3}},
		{newUser(db, "fresh"), flows.ClaimKeys{Code: codes[0].Code}, flows.ClaimCounts{Batch: 3}},
	}
	for i, tt := range tests {
		must(t, tt.who.do(func(ctx context.Context, tx flows.Tx) error {
			got, err := tx.ClaimFailures(ctx, tt.k, since)
			if got != tt.want {
				t.Errorf("%d: %+v, want %+v", i, got, tt.want)
			}
			return err
		}))
	}
	if got := audited(t, db, a.chatKey); len(got) != 4 || got[0] != "claim:failed "+a.chatKey+" name_mismatch" {
		t.Errorf("audit %q", got)
	}
	assertNoClearText(t, db.SQL(), nik, addr, "ABCDEFGH", code2)
}
