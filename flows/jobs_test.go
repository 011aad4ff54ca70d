package flows_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// The reminders of a coverage end, at 09:00 in the deployment's zone; those
// already past when the coverage is extended are not planned.
func TestReminderPlan(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	end := time.Date(2026, 12, 31, 0, 0, 0, 0, wib)
	all := []string{
		"remind:LD1:2026-12-31:before:7 2026-12-24T09:00:00+07:00",
		"remind:LD1:2026-12-31:before:3 2026-12-28T09:00:00+07:00",
		"remind:LD1:2026-12-31:before:1 2026-12-30T09:00:00+07:00",
		"remind:LD1:2026-12-31:lapsed:0 2027-01-01T09:00:00+07:00",
		"remind:LD1:2026-12-31:arrears:1 2027-02-01T09:00:00+07:00",
		"remind:LD1:2026-12-31:arrears:2 2027-03-01T09:00:00+07:00",
	}
	for _, tc := range []struct {
		now  time.Time
		want []string
	}{
		{time.Date(2026, 11, 30, 14, 0, 0, 0, wib), all},
		{time.Date(2026, 12, 28, 9, 0, 0, 0, wib), all[2:]}, // the 3-day one is due this very minute: gone
		{time.Date(2027, 3, 1, 10, 0, 0, 0, wib), nil},
	} {
		var got []string
		for _, j := range flows.ReminderPlan("LD1", end, tc.now, wib) {
			if j.Kind != flows.JobRemind || !strings.Contains(string(j.Payload), `"ref":"LD1"`) {
				t.Errorf("job %+v", j)
			}
			got = append(got, j.Key+" "+j.At.Format(time.RFC3339))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("now %v:\n got %q\nwant %q", tc.now, got, tc.want)
		}
	}
	n := flows.NudgeJob("telegram", "42", time.Unix(1_800_000_000, 0))
	if n.Kind != flows.JobNudge || n.Key != "nudge:telegram:42:1800000000" || string(n.Payload) != `{"channel":"telegram","chat_id":"42"}` {
		t.Errorf("nudge %+v", n)
	}
}
