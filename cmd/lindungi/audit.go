package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/store"
)

// auditCommand prints the audit log: `lindungi audit [--agent ID] [--since DATE]`.
// ID is channel-qualified, as in LINDUNGI_ADMINS ("telegram:123456789").
func auditCommand(ctx context.Context, args []string, db *store.DB, loc *time.Location, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stdout)
	agent := fs.String("agent", "", "only what this agent or admin did: an agent's number (12, as in #12) or channel:user_id (telegram:123456789)")
	since := fs.String("since", clock.Now().In(loc).AddDate(0, 0, -7).Format(time.DateOnly), "from this day on (YYYY-MM-DD)")
	limit := fs.Int("limit", 10000, "at most this many entries")
	if err := fs.Parse(args); err != nil {
		return err
	}
	from, err := time.ParseInLocation(time.DateOnly, *since, loc)
	if err != nil {
		return fmt.Errorf("--since %q: want YYYY-MM-DD", *since)
	}
	actor := *agent
	if id, err := strconv.ParseInt(strings.TrimPrefix(actor, "#"), 10, 64); err == nil {
		if actor, err = db.AgentActor(ctx, id); err != nil {
			return err
		}
	}
	entries, err := db.AuditLog(ctx, actor, from, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "at\tactor\taction\tsubject\tdetail")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.In(loc).Format("2006-01-02 15:04:05"), e.Actor, e.Action, e.Subject, e.Detail)
	}
	return tw.Flush()
}
