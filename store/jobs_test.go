package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func render(lang string, r flows.Reminder) []flows.Reply {
	return []flows.Reply{{Text: fmt.Sprintf("%s %d %s", r.Kind, r.DaysLeft, r.End.Format(time.DateOnly))}}
}

// A month and more of daily scheduler runs (twice a day, two processes):
// every reminder once, on its day, and they stop when a payment lands.
func TestReminderScheduleAcrossMonths(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 11, 30, 14, 0, 0, 0, wib)}
	db, err := store.Open(ctx, dsn, testVault(t), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	other, _ := store.Open(ctx, dsn, testVault(t), store.Options{Now: clk.Now})
	defer other.Close()

	ref := register(t, db)
	var chat string
	db.SQL().Get(&chat, `SELECT chat_id FROM registrations WHERE ref = $1`, ref)
	order := "ORD-" + ref
	issue(t, db, order, 16800, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
	if _, err := flows.ApplyPayment(ctx, db, paid(order, 16800, clk.Now()), wib, db.Now, nil); err != nil {
		t.Fatal(err)
	}
	// Covered 1–31 December 2026.
	got := map[string]string{} // reminder text → day sent
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, wib)
	for ; day.Before(time.Date(2027, 3, 10, 0, 0, 0, 0, wib)); day = day.AddDate(0, 0, 1) {
		for _, hour := range []int{10, 16} {
			clk.Set(day.Add(time.Duration(hour) * time.Hour))
			var wg sync.WaitGroup
			for _, d := range []*store.DB{db, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := flows.RunReminders(ctx, d, 50, wib, render, nil); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		pending, _ := db.PendingFor(ctx, "t", chat)
		var ids []int64
		for _, p := range pending {
			if _, dup := got[p.Reply.Text]; dup {
				t.Errorf("reminder %q sent twice", p.Reply.Text)
			}
			got[p.Reply.Text] = day.Format(time.DateOnly)
			ids = append(ids, p.ID)
		}
		db.MarkSent(ctx, ids)
	}
	want := map[string]string{
		"before 7 2026-12-31": "2026-12-24", "before 3 2026-12-31": "2026-12-28", "before 1 2026-12-31": "2026-12-30",
		"lapsed 0 2026-12-31": "2027-01-01", "arrears 1 2026-12-31": "2027-02-01", "arrears 2 2026-12-31": "2027-03-01",
	}
	for text, onDay := range want {
		if got[text] != onDay {
			t.Errorf("%q sent on %q, want %s", text, got[text], onDay)
		}
	}
	if len(got) != len(want) {
		t.Errorf("reminders: %v", got)
	}
}

func TestRemindersStopWhenPaid(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 11, 30, 14, 0, 0, 0, wib)}
	db, err := store.Open(ctx, dsn, testVault(t), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ref := register(t, db)
	var chat string
	db.SQL().Get(&chat, `SELECT chat_id FROM registrations WHERE ref = $1`, ref)
	issue(t, db, "A-"+ref, 16800, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
	flows.ApplyPayment(ctx, db, paid("A-"+ref, 16800, clk.Now()), wib, db.Now, nil)
	// The 7-day reminder goes; the renewal is paid on 26 December.
	clk.Set(time.Date(2026, 12, 24, 10, 0, 0, 0, wib))
	flows.RunReminders(ctx, db, 50, wib, render, nil)
	clk.Set(time.Date(2026, 12, 26, 10, 0, 0, 0, wib))
	issue(t, db, "B-"+ref, 16800, flows.PaymentLine{RegistrationRef: ref, Months: 1, JKK: 10000, JKM: 6800, Amount: 16800})
	if r, err := flows.ApplyPayment(ctx, db, paid("B-"+ref, 16800, clk.Now()), wib, db.Now, nil); err != nil || r.Outcome != flows.PaymentApplied {
		t.Fatalf("renewal: %+v %v", r, err)
	}
	for _, d := range []string{"2026-12-28", "2026-12-30", "2027-01-01", "2027-01-24", "2027-01-28"} {
		day, _ := time.ParseInLocation(time.DateOnly, d, wib)
		clk.Set(day.Add(10 * time.Hour))
		flows.RunReminders(ctx, db, 50, wib, render, nil)
	}
	pending, _ := db.PendingFor(ctx, "t", chat)
	var texts []string
	for _, p := range pending {
		texts = append(texts, p.Reply.Text)
	}
	want := []string{"before 7 2026-12-31", "before 7 2027-01-31", "before 3 2027-01-31"}
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Errorf("reminders %v, want %v: the old end's stopped when the payment landed", texts, want)
	}
}
