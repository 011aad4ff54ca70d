package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
)

func TestAdminsAddedInChat(t *testing.T) {
	db := open(t)
	boss := newUser(db, "boss")
	helper := newUser(db, "helper")
	isAdmin := func(u user) bool {
		var yes bool
		must(t, u.do(func(ctx context.Context, tx flows.Tx) (err error) {
			yes, err = tx.IsAdmin(ctx)
			return err
		}))
		return yes
	}
	admins := func() []string {
		var out []string
		must(t, boss.do(func(ctx context.Context, tx flows.Tx) (err error) {
			out, err = tx.Admins(ctx)
			return err
		}))
		return out
	}
	if isAdmin(helper) {
		t.Fatal("an admin before being added")
	}
	for _, who := range []string{helper.actor, "web:zz", helper.actor} {
		must(t, boss.do(func(ctx context.Context, tx flows.Tx) error { return tx.AddAdmin(ctx, who) }))
	}
	if !isAdmin(helper) {
		t.Fatal("not an admin after being added")
	}
	if got := admins(); !slices.IsSorted(got) || !slices.Contains(got, helper.actor) || !slices.Contains(got, "web:zz") {
		t.Errorf("admins %v", got)
	}
	var addedBy string
	must(t, db.SQL().Get(&addedBy, `SELECT added_by FROM admins WHERE channel = 't' AND user_id = $1`, helper.userID))
	if addedBy != boss.actor {
		t.Errorf("added by %q", addedBy)
	}
	if err := boss.do(func(ctx context.Context, tx flows.Tx) error { return tx.AddAdmin(ctx, "nochannel") }); err == nil {
		t.Errorf("an admin without a channel was added")
	}
	for i, want := range []bool{true, false} {
		var gone bool
		must(t, boss.do(func(ctx context.Context, tx flows.Tx) (err error) {
			gone, err = tx.RemoveAdmin(ctx, helper.actor)
			return err
		}))
		if gone != want {
			t.Errorf("remove #%d: %v", i+1, gone)
		}
	}
	if isAdmin(helper) || slices.Contains(admins(), helper.actor) {
		t.Errorf("still an admin after removal")
	}
	if got := audited(t, db, helper.actor); fmt.Sprint(got) != fmt.Sprintf("[admin:add %[1]s  admin:add %[1]s  admin:remove %[1]s ]", helper.actor) {
		t.Errorf("audit %q", got)
	}
}

func TestFindAndMoveRegistration(t *testing.T) {
	db := open(t)
	admin := newUser(db, "admin")
	agent, agentID := newAgent(t, db, "ketua_rw", "id")
	pending := newUser(db, "agent")
	pendingID, err := pending.apply("kader", newNIK(), "")
	must(t, err)
	wrong := newUser(db, "wrong")
	nik := newNIK()
	ref, err := wrong.selfRegister(resident(nik, newPhone(), "Dewi"))
	must(t, err)
	right := newUser(db, "right")

	find := func(nik string) *flows.Owner {
		var o *flows.Owner
		must(t, admin.do(func(ctx context.Context, tx flows.Tx) (err error) {
			o, err = tx.FindNIK(ctx, nik)
			return err
		}))
		return o
	}
	move := func(ref, toChannel, toChat string, toAgent int64) (flows.Owner, error) {
		var o flows.Owner
		err := admin.do(func(ctx context.Context, tx flows.Tx) (err error) {
			o, err = tx.MoveRegistration(ctx, ref, toChannel, toChat, toAgent, "KTP checked at the office")
			return err
		})
		return o, err
	}
	if o := find(nik); o == nil || *o != (flows.Owner{Ref: ref, Name: "Dewi", Channel: "t", ChatID: wrong.id}) {
		t.Fatalf("found %+v", o)
	}
	if o := find(newNIK()); o != nil {
		t.Errorf("an unknown NIK found %+v", o)
	}

	from, err := move(ref, "t", right.id, 0)
	if err != nil || from.Channel != "t" || from.ChatID != wrong.id || from.AgentID != 0 {
		t.Fatalf("moved from %+v, %v", from, err)
	}
	if got := right.registrations(t); fmt.Sprint(got) != "["+ref+"]" {
		t.Errorf("the right chat lists %v", got)
	}
	if got := wrong.registrations(t); len(got) != 0 {
		t.Errorf("the wrong chat still lists %v", got)
	}

	from, err = move(ref, "", "", agentID)
	if err != nil || from.ChatID != right.id {
		t.Fatalf("moved to the agent from %+v, %v", from, err)
	}
	if o := find(nik); o == nil || o.AgentID != agentID || o.AgentName != "Pak "+agent.id || o.ChatID != right.id {
		t.Errorf("after moving to the agent %+v", o)
	}
	if res, err := agent.residents(); err != nil || len(res) != 1 || res[0].Ref != ref || res[0].ChatID != right.id {
		t.Errorf("the agent's residents %+v, %v", res, err)
	}

	for name, try := range map[string]func() error{
		"unknown ref":        func() error { _, err := move("LD0000-NOPE00", "t", right.id, 0); return err },
		"pending agent":      func() error { _, err := move(ref, "", "", pendingID); return err },
		"no such agent":      func() error { _, err := move(ref, "", "", agentID+1000000); return err },
		"no chat to move to": func() error { _, err := move(ref, "", "", 0); return err },
	} {
		if err := try(); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	want := []string{
		fmt.Sprintf("admin:move_registration %s from t:%s to t:%s: KTP checked at the office", ref, wrong.id, right.id),
		fmt.Sprintf("admin:move_registration %s from t:%s to agent:%d+t:%s: KTP checked at the office", ref, right.id, agentID, right.id),
	}
	if got := audited(t, db, ref); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var actor string
	must(t, db.SQL().Get(&actor, `SELECT actor FROM audit_log WHERE subject = $1 ORDER BY id DESC LIMIT 1`, ref))
	if actor != admin.actor {
		t.Errorf("moved by %q", actor)
	}
	assertNoClearText(t, db.SQL(), nik)
}
