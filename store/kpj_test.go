package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
)

// kpjNotices writes what it was asked, so the queued messages can be checked.
type kpjNotices struct{}

func (kpjNotices) KPJAgentReplies(lang string, k flows.KPJIssued) []flows.Reply {
	return []flows.Reply{{Text: fmt.Sprintf("%s: your resident %s (%s) has KPJ %s, was %q", lang, k.Name, k.Ref, k.KPJ, k.Previous)}}
}

func (kpjNotices) KPJReplies(lang string, k flows.KPJIssued) []flows.Reply {
	out := []flows.Reply{{Text: fmt.Sprintf("%s: KPJ %s for %s (%s), was %q", lang, k.KPJ, k.Ref, k.Name, k.Previous)}}
	if k.Card {
		out = append(out, flows.Reply{Photo: flows.CardPhoto(k.Ref)})
	}
	return out
}

// pending is the chat's unsent replies, each as its text and photo.
func pending(t *testing.T, db *store.DB, u user) []string {
	t.Helper()
	out, err := db.PendingFor(context.Background(), u.channel, u.id)
	must(t, err)
	var texts []string
	for _, o := range out {
		texts = append(texts, o.Reply.Text+o.Reply.Photo)
	}
	return texts
}

func kpjOf(t *testing.T, db *store.DB, ref string) string {
	t.Helper()
	var kpj string
	must(t, db.SQL().Get(&kpj, `SELECT kpj FROM registrations WHERE ref = $1`, ref))
	return kpj
}

func TestSetKPJs(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	kpj := func() string { return fmt.Sprintf("9%010d", next()) }

	// A worker who paid (a card exists), speaking English.
	payer := newUser(db, "kpj-paid").hello(t, "en")
	payerNIK := newNIK()
	payerRef, err := payer.selfRegister(exportReg(payerNIK, newPhone(), "Siti Kartu"))
	must(t, err)
	issue(t, db, "kpj-order-"+payer.id, 16800, line(payerRef))
	if _, err := flows.ApplyPayment(ctx, db, paid("kpj-order-"+payer.id, 16800, clock.Now()), wib, db.Now, nil); err != nil {
		t.Fatal(err)
	}
	// A worker who has not paid, with no session: no language (the notices
	// choose their default).
	unpaid := newUser(db, "kpj-unpaid")
	unpaidNIK := newNIK()
	unpaidRef, err := unpaid.selfRegister(exportReg(unpaidNIK, newPhone(), "Budi Belum"))
	must(t, err)
	// An agent's resident with no chat of their own.
	agent, _ := newAgent(t, db, "ketua_rt", "id")
	residentNIK := newNIK()
	residentRef, err := agent.register(resident(residentNIK, "", "Warga Tanpa Chat"))
	must(t, err)
	// A registration deleted at the worker's request.
	gone := newUser(db, "kpj-gone")
	goneNIK := newNIK()
	_, err = gone.selfRegister(exportReg(goneNIK, newPhone(), "Sudah Hapus"))
	must(t, err)
	must(t, gone.do(func(ctx context.Context, tx flows.Tx) error { _, err := tx.Forget(ctx); return err }))
	// Someone who holds a KPJ already.
	holder := newUser(db, "kpj-holder")
	holderNIK, heldKPJ := newNIK(), kpj()
	holderRef, err := holder.selfRegister(exportReg(holderNIK, newPhone(), "Punya Kpj"))
	must(t, err)
	if _, err := flows.RecordKPJs(ctx, db, []flows.KPJRow{{Row: 1, NIK: holderNIK, KPJ: heldKPJ}}, nil); err != nil {
		t.Fatal(err)
	}

	payerKPJ, unpaidKPJ, residentKPJ := kpj(), kpj(), kpj()
	rows := []flows.KPJRow{
		{Row: 2, NIK: payerNIK, KPJ: payerKPJ},
		{Row: 3, NIK: unpaidNIK, KPJ: unpaidKPJ},
		{Row: 4, NIK: residentNIK, KPJ: residentKPJ},
		{Row: 5, NIK: newNIK(), KPJ: kpj()},
		{Row: 6, NIK: goneNIK, KPJ: kpj()},
		{Row: 7, NIK: newNIK(), KPJ: heldKPJ},
	}
	outcomes := func(res []flows.KPJResult) []string {
		var out []string
		for _, r := range res {
			out = append(out, fmt.Sprintf("%d %s %s told=%t", r.Row, r.Outcome, r.Previous, r.Told || r.ToldAgent))
		}
		return out
	}
	res, err := flows.RecordKPJs(ctx, db, rows, kpjNotices{})
	must(t, err)
	want := []string{"2 updated  told=true", "3 updated  told=true", "4 updated  told=true", "5 unknown_nik  told=false",
		"6 unknown_nik  told=false", "7 unknown_nik  told=false"}
	if got := outcomes(res); !slices.Equal(got, want) {
		t.Errorf("first run:\n%q\nwant\n%q", got, want)
	}
	for ref, want := range map[string]string{payerRef: payerKPJ, unpaidRef: unpaidKPJ, residentRef: residentKPJ, holderRef: heldKPJ} {
		if got := kpjOf(t, db, ref); got != want {
			t.Errorf("kpj of %s = %q, want %q", ref, got, want)
		}
	}
	wantPayer := []string{fmt.Sprintf("en: KPJ %s for %s (Siti Kartu), was \"\"", payerKPJ, payerRef), "card:" + payerRef}
	wantUnpaid := []string{fmt.Sprintf(": KPJ %s for %s (Budi Belum), was \"\"", unpaidKPJ, unpaidRef)}
	// The resident has no chat: their agent is told, and that is audited.
	wantAgent := []string{fmt.Sprintf("id: your resident Warga Tanpa Chat (%s) has KPJ %s, was \"\"", residentRef, residentKPJ)}
	check := func(when string) {
		t.Helper()
		got, n := pending(t, db, agent), 0
		for _, m := range got {
			if m == wantAgent[0] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: the agent's chat has %q, want %q once", when, got, wantAgent)
		}
		if got := audited(t, db, residentRef); !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "agent:kpj_notice "+residentRef) }) {
			t.Errorf("%s: no agent:kpj_notice for %s in %q", when, residentRef, got)
		}
		if got := pending(t, db, payer); !slices.Equal(got, wantPayer) {
			t.Errorf("%s: the paid worker's chat has %q, want %q", when, got, wantPayer)
		}
		if got := pending(t, db, unpaid); !slices.Equal(got, wantUnpaid) {
			t.Errorf("%s: the unpaid worker's chat has %q, want %q", when, got, wantUnpaid)
		}
	}
	check("first run")

	// The same rows again: nothing changes, nobody is told twice.
	res, err = flows.RecordKPJs(ctx, db, rows, kpjNotices{})
	must(t, err)
	want = []string{"2 unchanged  told=false", "3 unchanged  told=false", "4 unchanged  told=false", "5 unknown_nik  told=false",
		"6 unknown_nik  told=false", "7 unknown_nik  told=false"}
	if got := outcomes(res); !slices.Equal(got, want) {
		t.Errorf("second run:\n%q\nwant\n%q", got, want)
	}
	check("second run")

	// A KPJ another registration holds is refused; a correction replaces
	// the old one and says so; two registrations may swap within a batch.
	res, err = flows.RecordKPJs(ctx, db, []flows.KPJRow{
		{Row: 2, NIK: unpaidNIK, KPJ: heldKPJ},
		{Row: 3, NIK: holderNIK, KPJ: unpaidKPJ + "0"},
		{Row: 4, NIK: payerNIK, KPJ: heldKPJ},
	}, kpjNotices{})
	must(t, err)
	if res[0].Outcome != flows.KPJTaken || res[0].Holder != holderRef {
		t.Errorf("a KPJ held by another registration: %+v", res[0])
	}
	if res[1].Outcome != flows.KPJUpdated || res[1].Previous != heldKPJ || res[2].Outcome != flows.KPJUpdated || res[2].Previous != payerKPJ {
		t.Errorf("the holder moved on and the paid worker took the freed KPJ: %+v", res[1:])
	}
	wantPayer = append(wantPayer, fmt.Sprintf("en: KPJ %s for %s (Siti Kartu), was %q", heldKPJ, payerRef, payerKPJ), "card:"+payerRef)
	check("correction")
	if got := kpjOf(t, db, unpaidRef); got != unpaidKPJ {
		t.Errorf("a refused row changed the KPJ to %q", got)
	}
}
