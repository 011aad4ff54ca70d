package flows_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
)

// Every notification against every stored state, without a database.
func TestDecidePayment(t *testing.T) {
	const invoiced = 16800
	pending := flows.StoredPayment{ID: 1, Amount: invoiced, Status: payments.Pending}
	with := func(p flows.StoredPayment, f func(*flows.StoredPayment)) flows.StoredPayment { f(&p); return p }
	settled := with(pending, func(p *flows.StoredPayment) { p.Status, p.Applied = payments.Paid, true })
	mismatched := with(pending, func(p *flows.StoredPayment) { p.Status, p.Flag = payments.Paid, flows.FlagAmountMismatch })
	expired := with(pending, func(p *flows.StoredPayment) { p.Status = payments.Expired })
	cancelled := with(pending, func(p *flows.StoredPayment) { p.Status = payments.Cancelled })
	refunded := with(settled, func(p *flows.StoredPayment) { p.Status, p.Flag = payments.Refunded, flows.FlagRefunded })
	note := func(s payments.Status, amount int64) payments.Notification {
		return payments.Notification{Status: s, Amount: amount}
	}
	ev := func(kd ...string) []flows.PaymentEvent {
		out := []flows.PaymentEvent{{Kind: "notification"}}
		for i := 0; i < len(kd); i += 2 {
			out = append(out, flows.PaymentEvent{Kind: kd[i], Detail: kd[i+1]})
		}
		return out
	}
	apply := func(flag string, events []flows.PaymentEvent) flows.PaymentStep {
		return flows.PaymentStep{Outcome: flows.PaymentApplied, SetStatus: true, Status: payments.Paid, Flag: flag, Paid: true, Settle: true, Events: events}
	}
	ignore := func(detail string) flows.PaymentStep {
		return flows.PaymentStep{Outcome: flows.PaymentUnchanged, Events: ev("ignored", detail)}
	}
	update := func(s payments.Status, flag string, events []flows.PaymentEvent) flows.PaymentStep {
		return flows.PaymentStep{Outcome: flows.PaymentUpdated, SetStatus: true, Status: s, Flag: flag, Events: events}
	}
	for _, tc := range []struct {
		name   string
		stored flows.StoredPayment
		n      payments.Notification
		want   flows.PaymentStep
	}{
		{"paid as invoiced", pending, note(payments.Paid, invoiced), apply("", ev())},
		{"paid again", settled, note(payments.Paid, invoiced), ignore("already applied")},
		{"paid again, another amount", settled, note(payments.Paid, 1), ignore("already applied")},
		{"paid another amount", pending, note(payments.Paid, 16000), flows.PaymentStep{Outcome: flows.PaymentFlagged, SetStatus: true,
			Status: payments.Paid, Flag: flows.FlagAmountMismatch, Paid: true, Events: ev("flagged", "received 16000, invoiced 16800")}},
		{"the invoiced amount after a wrong one", mismatched, note(payments.Paid, invoiced),
			apply("", ev("unflagged", "amount_mismatch cleared: the invoiced amount settled"))},
		{"paid after expiry: money wins", expired, note(payments.Paid, invoiced), apply("", ev())},
		{"paid after cancellation: money wins", cancelled, note(payments.Paid, invoiced), apply("", ev())},
		{"another flag stays", with(pending, func(p *flows.StoredPayment) { p.Flag = flows.FlagPaidTwice }), note(payments.Paid, invoiced),
			apply(flows.FlagPaidTwice, ev())},
		{"refunded after settlement", settled, note(payments.Refunded, invoiced),
			update(payments.Refunded, flows.FlagRefunded, ev("flagged", "refunded after settlement: coverage left as it was"))},
		{"refunded twice", refunded, note(payments.Refunded, invoiced), ignore("refunded after refunded")},
		{"refunded, never paid", pending, note(payments.Refunded, invoiced), ignore("refunded after pending")},
		{"expired", pending, note(payments.Expired, invoiced), update(payments.Expired, "", ev())},
		{"cancelled", pending, note(payments.Cancelled, invoiced), update(payments.Cancelled, "", ev())},
		{"failed after a wrong amount came", mismatched, note(payments.Failed, invoiced), ignore("failed after paid")},
		{"failed while pending", with(pending, func(p *flows.StoredPayment) { p.Flag = "x" }), note(payments.Failed, 0), update(payments.Failed, "x", ev())},
		{"pending again", pending, note(payments.Pending, invoiced), ignore("pending after pending")},
		{"pending after settlement: never backwards", settled, note(payments.Pending, invoiced), ignore("pending after paid")},
		{"expired after settlement", settled, note(payments.Expired, invoiced), ignore("expired after paid")},
		{"expired twice", expired, note(payments.Expired, invoiced), ignore("expired after expired")},
		{"cancelled after expiry", expired, note(payments.Cancelled, invoiced), ignore("cancelled after expired")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := flows.DecidePayment(tc.stored, tc.n); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DecidePayment(%+v, %s %d)\n got %+v\nwant %+v", tc.stored, tc.n.Status, tc.n.Amount, got, tc.want)
			}
		})
	}
}

// Once the coverage is extended: who was left out decides the flag.
func TestSettleOutcome(t *testing.T) {
	var many flows.Uncovered
	for i := range 23 {
		many.Add(fmt.Sprintf("LD%02d", i), 100)
	}
	two := flows.Uncovered{}
	two.Add("LD1", 16800)
	two.Add("LD2", 16800)
	for _, tc := range []struct {
		name    string
		sponsor bool
		covered int
		left    flows.Uncovered
		outcome flows.PaymentOutcome
		flag    string
		events  []string // "kind: detail"
	}{
		{"a worker's payment", false, 1, flows.Uncovered{}, flows.PaymentApplied, "", []string{"applied: 1 registrations"}},
		{"erased before the money came", false, 1, two, flows.PaymentFlagged, flows.FlagErased, []string{
			"flagged: 2 registrations were erased at the worker's request before the money arrived, 33600 for them is to refund: LD1, LD2",
			"applied: 1 registrations"}},
		{"a sponsor's batch", true, 120, flows.Uncovered{}, flows.PaymentApplied, "", []string{"applied: 120 registrations"}},
		{"a sponsor's batch, all covered already", true, 0, two, flows.PaymentFlagged, flows.FlagPaidTwice, []string{
			"flagged: the batch's workers were covered already (or erased at their request): nobody left to cover",
			"applied: 0 registrations"}},
		{"a sponsor's batch, some covered meanwhile", true, 5, many, flows.PaymentFlagged, flows.FlagPaidTwice, []string{
			"flagged: 23 of the invoice's workers were covered meanwhile (paid another way) or erased at their request, 2300 for them is to refund or carry over: " +
				"LD00, LD01, LD02, LD03, LD04, LD05, LD06, LD07, LD08, LD09, LD10, LD11, LD12, LD13, LD14, LD15, LD16, LD17, LD18, LD19, … (3 more)",
			"applied: 5 registrations"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outcome, flag, events := flows.SettleOutcome(tc.sponsor, tc.covered, tc.left)
			var got []string
			for _, e := range events {
				got = append(got, e.Kind+": "+e.Detail)
			}
			if outcome != tc.outcome || flag != tc.flag || strings.Join(got, "\n") != strings.Join(tc.events, "\n") {
				t.Errorf("got %s %q\n%s\nwant %s %q\n%s", outcome, flag, strings.Join(got, "\n"), tc.outcome, tc.flag, strings.Join(tc.events, "\n"))
			}
		})
	}
}
