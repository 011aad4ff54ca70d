package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
)

// hash is a stand-in for a stored secret's hash.
func hash(s string) []byte { return flows.StaffLinkHash(s) }

// A sign-in link opens one session, once, before it expires.
func TestStaffLinkRedeemedOnce(t *testing.T) {
	e := newBcEnv(t)
	must(t, e.db.CreateStaffLink(e.ctx, "telegram:42", hash("link-1"), bcToday.Add(10*time.Minute)))
	must(t, e.db.CreateStaffLink(e.ctx, "telegram:43", hash("link-2"), bcToday.Add(10*time.Minute)))

	actor, err := e.db.RedeemStaffLink(e.ctx, hash("link-1"), hash("session-1"), "csrf-1")
	if err != nil || actor != "telegram:42" {
		t.Fatalf("redeem: %q, %v", actor, err)
	}
	s, err := e.db.StaffSession(e.ctx, hash("session-1"), 30*time.Minute, 12*time.Hour)
	if err != nil || s.Actor != "telegram:42" || s.CSRF != "csrf-1" || s.Lang != "" || !s.CreatedAt.Equal(bcToday) || !s.SeenAt.Equal(bcToday) {
		t.Fatalf("its session: %+v, %v", s, err)
	}
	// Again: spent. The second session was never opened.
	if _, err := e.db.RedeemStaffLink(e.ctx, hash("link-1"), hash("session-1b"), "csrf-1b"); !errors.Is(err, dashboard.ErrNotFound) {
		t.Errorf("redeemed twice: %v", err)
	}
	if _, err := e.db.StaffSession(e.ctx, hash("session-1b"), 30*time.Minute, 12*time.Hour); !errors.Is(err, dashboard.ErrNotFound) {
		t.Errorf("the second redeem's session: %v", err)
	}
	if _, err := e.db.RedeemStaffLink(e.ctx, hash("never-made"), hash("session-x"), "x"); !errors.Is(err, dashboard.ErrNotFound) {
		t.Errorf("unknown link: %v", err)
	}
	// The other link, at its expiry: too late.
	e.clk.Set(bcToday.Add(10 * time.Minute))
	if _, err := e.db.RedeemStaffLink(e.ctx, hash("link-2"), hash("session-2"), "csrf-2"); !errors.Is(err, dashboard.ErrNotFound) {
		t.Errorf("expired link: %v", err)
	}
	// A link just before its expiry works.
	must(t, e.db.CreateStaffLink(e.ctx, "telegram:44", hash("link-3"), bcToday.Add(20*time.Minute)))
	e.clk.Set(bcToday.Add(20*time.Minute - time.Second))
	if actor, err := e.db.RedeemStaffLink(e.ctx, hash("link-3"), hash("session-3"), "csrf-3"); err != nil || actor != "telegram:44" {
		t.Errorf("link a second before expiry: %q, %v", actor, err)
	}
	// Links made a day ago go when another is made (link-3 was made at
	// 10:10 yesterday).
	e.clk.Set(bcToday.Add(24*time.Hour + 11*time.Minute))
	must(t, e.db.CreateStaffLink(e.ctx, "telegram:45", hash("link-4"), e.clk.Now().Add(10*time.Minute)))
	var links []string
	must(t, e.db.SQL().Select(&links, `SELECT actor FROM staff_links ORDER BY actor`))
	if !reflect.DeepEqual(links, []string{"telegram:45"}) {
		t.Errorf("links kept: %v", links)
	}
}

// A link asked for in chat (/dasbor) is the chat user's and audited; only
// someone with a role has one.
func TestStaffLinkInChat(t *testing.T) {
	e := newBcEnv(t)
	has := func() bool {
		var yes bool
		must(t, e.admin(func(ctx context.Context, tx flows.Tx) (err error) {
			yes, err = tx.HasStaffRole(ctx)
			return err
		}))
		return yes
	}
	if has() {
		t.Error("a role before any was given")
	}
	must(t, e.db.SetStaffRole(e.ctx, "admin:env", dashboard.Staff{Actor: "t:boss", Role: dashboard.RoleStaf}))
	if !has() {
		t.Error("no role after it was given")
	}
	must(t, e.admin(func(ctx context.Context, tx flows.Tx) error {
		return tx.CreateStaffLink(ctx, hash("chat-link"), bcToday.Add(flows.StaffLinkTTL))
	}))
	// A link made in a transaction that fails is not there.
	if err := e.admin(func(ctx context.Context, tx flows.Tx) error {
		if err := tx.CreateStaffLink(ctx, hash("chat-link-2"), bcToday.Add(flows.StaffLinkTTL)); err != nil {
			return err
		}
		return errors.New("the reply could not be queued")
	}); err == nil {
		t.Fatal("the failing transaction committed")
	}
	if actor, err := e.db.RedeemStaffLink(e.ctx, hash("chat-link"), hash("s"), "c"); err != nil || actor != "t:boss" {
		t.Errorf("redeem the chat's link: %q, %v", actor, err)
	}
	if _, err := e.db.RedeemStaffLink(e.ctx, hash("chat-link-2"), hash("s2"), "c"); !errors.Is(err, dashboard.ErrNotFound) {
		t.Errorf("the rolled-back link: %v", err)
	}
	got, err := e.db.AuditEntries(e.ctx, dashboard.AuditFilter{Action: "dasbor:link"})
	must(t, err)
	if len(got) != 1 || got[0].Actor != "t:boss" || got[0].Subject != "dasbor" || got[0].Detail != "chat" || !got[0].At.Equal(bcToday) {
		t.Errorf("audit of the link: %+v", got)
	}
}

// A session lives while it is used at least every 30 minutes, for at most
// 12 hours, and ends at logout.
func TestStaffSessionExpiry(t *testing.T) {
	e := newBcEnv(t)
	const idle, most = 30 * time.Minute, 12 * time.Hour
	open := func(name string) {
		t.Helper()
		must(t, e.db.CreateStaffLink(e.ctx, "web:"+name, hash("link-"+name), e.clk.Now().Add(10*time.Minute)))
		if _, err := e.db.RedeemStaffLink(e.ctx, hash("link-"+name), hash("s-"+name), "csrf-"+name); err != nil {
			t.Fatal(err)
		}
	}
	live := func(name string) bool {
		t.Helper()
		s, err := e.db.StaffSession(e.ctx, hash("s-"+name), idle, most)
		if errors.Is(err, dashboard.ErrNotFound) {
			return false
		}
		must(t, err)
		if s.Actor != "web:"+name || !s.SeenAt.Equal(e.clk.Now()) {
			t.Errorf("session %s: %+v at %v", name, s, e.clk.Now())
		}
		return true
	}
	at := func(d time.Duration) { e.clk.Set(bcToday.Add(d)) }

	open("idle")
	open("busy")
	open("out")
	at(29 * time.Minute)
	if !live("idle") || !live("busy") {
		t.Fatal("sessions ended within 29 minutes")
	}
	// Seen at 29 min: idle until 59 min.
	at(58 * time.Minute)
	if !live("busy") {
		t.Error("busy session ended after 29 idle minutes")
	}
	at(59*time.Minute + time.Second)
	if live("idle") {
		t.Error("idle session lived 30 idle minutes")
	}
	// The one used every 25 minutes lives 12 hours, not a moment more.
	for d := 58 * time.Minute; d < most-25*time.Minute; d += 25 * time.Minute {
		at(d + 25*time.Minute)
		if !live("busy") {
			t.Fatalf("busy session ended at %v", d+25*time.Minute)
		}
	}
	at(most - time.Second)
	if !live("busy") {
		t.Error("busy session ended before 12 hours")
	}
	at(most)
	if live("busy") {
		t.Error("busy session outlived 12 hours")
	}

	// Logout ends it at once (and again is harmless); the language is kept.
	at(most + time.Hour)
	open("lang")
	must(t, e.db.SetSessionLang(e.ctx, hash("s-lang"), "en"))
	if s, err := e.db.StaffSession(e.ctx, hash("s-lang"), idle, most); err != nil || s.Lang != "en" {
		t.Errorf("language: %+v, %v", s, err)
	}
	at(0)
	open("out2")
	must(t, e.db.EndStaffSession(e.ctx, hash("s-out2")))
	must(t, e.db.EndStaffSession(e.ctx, hash("s-out2")))
	if live("out2") {
		t.Error("session lived after logout")
	}
	if !live("out") {
		t.Error("another's logout ended a session")
	}
	// Sessions unseen for a week go at a logout.
	at(8 * 24 * time.Hour)
	open("late")
	must(t, e.db.EndStaffSession(e.ctx, hash("s-late")))
	var left int
	must(t, e.db.SQL().Get(&left, `SELECT count(*) FROM staff_sessions`))
	if left != 1 {
		t.Errorf("%d sessions kept, want the one ended now", left)
	}
}

// Roles are given, changed and taken away, each audited as the admin who did it.
func TestStaffRoles(t *testing.T) {
	e := newBcEnv(t)
	if _, ok, err := e.db.StaffRole(e.ctx, "telegram:1"); ok || err != nil {
		t.Fatalf("role before any: %v, %v", ok, err)
	}
	if got, err := e.db.StaffRoles(e.ctx); err != nil || len(got) != 0 {
		t.Fatalf("roles before any: %+v, %v", got, err)
	}
	sup := dashboard.Staff{Actor: "telegram:1", Role: dashboard.RoleSupervisor, Regencies: []string{"61.71", "61.04"}, Note: "Dinsos"}
	spo := dashboard.Staff{Actor: "whatsapp:62812", Role: dashboard.RoleSponsor, Batches: []int64{7, 9}}
	must(t, e.db.SetStaffRole(e.ctx, "telegram:admin", sup))
	e.clk.Set(bcToday.Add(time.Minute))
	must(t, e.db.SetStaffRole(e.ctx, "telegram:admin", spo))
	got, ok, err := e.db.StaffRole(e.ctx, "telegram:1")
	sup.GrantedBy, sup.GrantedAt = "telegram:admin", bcToday
	if err != nil || !ok || !got.GrantedAt.Equal(sup.GrantedAt) {
		t.Fatalf("supervisor: %+v, %v, %v", got, ok, err)
	}
	got.GrantedAt = sup.GrantedAt
	if len(got.Batches) == 0 {
		got.Batches = nil // none, however the driver gives it
	}
	if !reflect.DeepEqual(got, sup) {
		t.Errorf("supervisor %+v\n  want %+v", got, sup)
	}
	// Changed: a supervisor becomes staf, with no regions left over.
	e.clk.Set(bcToday.Add(2 * time.Minute))
	must(t, e.db.SetStaffRole(e.ctx, "web:admin2", dashboard.Staff{Actor: "telegram:1", Role: dashboard.RoleStaf}))
	all, err := e.db.StaffRoles(e.ctx)
	must(t, err)
	if len(all) != 2 || all[0].Actor != "telegram:1" || all[0].Role != dashboard.RoleStaf || len(all[0].Regencies) != 0 || all[0].GrantedBy != "web:admin2" ||
		all[1].Actor != "whatsapp:62812" || !reflect.DeepEqual(all[1].Batches, []int64{7, 9}) || len(all[1].Regencies) != 0 {
		t.Errorf("roles %+v", all)
	}
	if err := e.db.SetStaffRole(e.ctx, "web:admin2", dashboard.Staff{Actor: "telegram:2", Role: "raja"}); err == nil {
		t.Error("an unknown role was given")
	}
	e.clk.Set(bcToday.Add(3 * time.Minute))
	if gone, err := e.db.RemoveStaffRole(e.ctx, "web:admin2", "telegram:1"); err != nil || !gone {
		t.Errorf("remove: %v, %v", gone, err)
	}
	if gone, err := e.db.RemoveStaffRole(e.ctx, "web:admin2", "telegram:1"); err != nil || gone {
		t.Errorf("remove again: %v, %v", gone, err)
	}
	if _, ok, _ := e.db.StaffRole(e.ctx, "telegram:1"); ok {
		t.Error("role still there")
	}

	entries, err := e.db.AuditEntries(e.ctx, dashboard.AuditFilter{Action: "dasbor:role_"})
	must(t, err)
	var lines []string
	for _, a := range entries {
		lines = append(lines, fmt.Sprintf("%s %s %s %s %q", a.At.In(wib).Format("15:04"), a.Actor, a.Action, a.Subject, a.Detail))
	}
	want := []string{
		`10:03 web:admin2 dasbor:role_remove telegram:1 ""`,
		`10:02 web:admin2 dasbor:role_set telegram:1 "role=staf"`,
		`10:01 telegram:admin dasbor:role_set whatsapp:62812 "role=sponsor batches=[7 9]"`,
		`10:00 telegram:admin dasbor:role_set telegram:1 "role=supervisor regencies=61.71,61.04"`,
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("audit:\n%q\nwant\n%q", lines, want)
	}
}

// The chat admins (added in chat) are admins of the dashboard too.
func TestChatAdmin(t *testing.T) {
	e := newBcEnv(t)
	e.db.SQL().MustExec(`INSERT INTO admins (channel, user_id, added_by, added_at) VALUES ('telegram', '77', 'env', $1)`, bcToday)
	for actor, want := range map[string]bool{"telegram:77": true, "telegram:78": false, "whatsapp:77": false, "telegram": false} {
		if got, err := e.db.ChatAdmin(e.ctx, actor); err != nil || got != want {
			t.Errorf("ChatAdmin(%q) = %v, %v; want %v", actor, got, err, want)
		}
	}
}

// The audit log is read newest first, filtered by actor, action prefix,
// subject and time, a page at a time.
func TestAuditEntriesFilters(t *testing.T) {
	e := newBcEnv(t)
	type line struct{ actor, action, subject string }
	lines := []line{
		{"telegram:1", "dasbor:view", "LDT-1"},
		{"telegram:1", "dasbor:reveal_nik", "LDT-1"},
		{"telegram:2", "dasbor:view", "LDT-2"},
		{"telegram:2", "agent:approve", "agent:5"},
		{"telegram:1", "dasbor:correct", "LDT-2"},
		{"web:3", "dasbor_x", "LDT-1"}, // not a "dasbor:" action
		{"telegram:1", "broadcast:create", ""},
		{"telegram:2", "dasbor:view", "LDT-1"},
	}
	for i, l := range lines {
		e.clk.Set(bcToday.Add(time.Duration(i) * time.Minute))
		must(t, e.db.Audit(e.ctx, l.actor, l.action, l.subject, fmt.Sprint("n=", i)))
	}
	details := func(f dashboard.AuditFilter) []string {
		t.Helper()
		got, err := e.db.AuditEntries(e.ctx, f)
		must(t, err)
		out := []string{}
		for _, a := range got {
			out = append(out, a.Detail)
		}
		return out
	}
	ids := func(f dashboard.AuditFilter) []int64 {
		t.Helper()
		got, err := e.db.AuditEntries(e.ctx, f)
		must(t, err)
		var out []int64
		for _, a := range got {
			out = append(out, a.ID)
		}
		return out
	}
	all := ids(dashboard.AuditFilter{})
	if len(all) != len(lines) {
		t.Fatalf("%d entries, want %d", len(all), len(lines))
	}
	for _, c := range []struct {
		name string
		f    dashboard.AuditFilter
		want []string
	}{
		{"all", dashboard.AuditFilter{}, []string{"n=7", "n=6", "n=5", "n=4", "n=3", "n=2", "n=1", "n=0"}},
		{"actor", dashboard.AuditFilter{Actor: "telegram:1"}, []string{"n=6", "n=4", "n=1", "n=0"}},
		{"action prefix", dashboard.AuditFilter{Action: "dasbor:"}, []string{"n=7", "n=4", "n=2", "n=1", "n=0"}},
		{"action exact", dashboard.AuditFilter{Action: "dasbor:view"}, []string{"n=7", "n=2", "n=0"}},
		{"action like-pattern is literal", dashboard.AuditFilter{Action: "dasbor_"}, []string{"n=5"}},
		{"subject", dashboard.AuditFilter{Subject: "LDT-1"}, []string{"n=7", "n=5", "n=1", "n=0"}},
		{"actor, action, subject", dashboard.AuditFilter{Actor: "telegram:1", Action: "dasbor:", Subject: "LDT-1"}, []string{"n=1", "n=0"}},
		{"since, until", dashboard.AuditFilter{Since: bcToday.Add(2 * time.Minute), Until: bcToday.Add(5 * time.Minute)}, []string{"n=4", "n=3", "n=2"}},
		{"limit", dashboard.AuditFilter{Limit: 3}, []string{"n=7", "n=6", "n=5"}},
		{"before", dashboard.AuditFilter{Before: all[2], Limit: 3}, []string{"n=4", "n=3", "n=2"}},
		{"before, filtered", dashboard.AuditFilter{Before: all[1], Actor: "telegram:2"}, []string{"n=3", "n=2"}},
		{"before the oldest", dashboard.AuditFilter{Before: all[len(all)-1]}, []string{}},
		{"nobody", dashboard.AuditFilter{Actor: "telegram:9"}, []string{}},
	} {
		if got := details(c.f); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Paging through everything, two at a time, gives each entry once.
	var paged []int64
	for before := int64(0); ; {
		page := ids(dashboard.AuditFilter{Before: before, Limit: 2})
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		before = page[len(page)-1]
	}
	if !reflect.DeepEqual(paged, all) {
		t.Errorf("paged %v, want %v", paged, all)
	}
}
