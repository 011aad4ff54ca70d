package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/tanggal"
)

// broadcastCommand is `lindungi broadcast send|status ID`: a broadcast from
// the terminal, with the same segments as /siaran in chat, and its progress.
func broadcastCommand(ctx context.Context, args []string, db *store.DB, engine *flows.Engine, cfg flows.Config, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(commandUsage["broadcast"])
	}
	switch args[0] {
	case "send":
		return broadcastSend(ctx, args[1:], db, engine, cfg, getenv, stdout)
	case "status":
		return broadcastStatus(ctx, args[1:], db, engine, stdout)
	}
	return fmt.Errorf("lindungi broadcast %s: want send or status", args[0])
}

func broadcastSend(ctx context.Context, args []string, db *store.DB, engine *flows.Engine, cfg flows.Config, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("broadcast send", flag.ContinueOnError)
	fs.SetOutput(stdout)
	text := fs.String("text", "", "the message (*bold*, _italic_)")
	button := fs.String("button", "", "one button under it: pay, status or card")
	regency := fs.String("regency", "", "kabupaten/kota codes, comma-separated (61.71,61.72)")
	district := fs.String("district", "", "kecamatan codes, comma-separated")
	status := fs.String("status", "", "awaiting, active, due, arrears, ended (comma-separated)")
	dueDays := fs.Int("due-days", 7, "\"due\": protection ends within this many days")
	occupation := fs.String("occupation", "", "occupation codes (petani,nelayan,…)")
	jht := fs.String("jht", "", "with or without JHT (default either)")
	payer := fs.String("payer", "", "self, agent, sponsor (comma-separated)")
	agents := fs.Bool("agents", false, "send to the approved agents instead of workers")
	channel := fs.String("channel", "", "channels, comma-separated (telegram,web)")
	at := fs.String("at", "", "when: 08.00, besok 08.00 or 26-11-2026 08.00 (default now)")
	yes := fs.Bool("yes", false, "send without asking again (otherwise only the recipient count is printed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	seg := flows.Segment{Regencies: list(*regency), Districts: list(*district), Standings: list(*status), DueDays: *dueDays,
		Occupations: list(*occupation), JHT: *jht, Payers: list(*payer), AgentsOnly: *agents, Channels: list(*channel)}
	if err := checkSegment(seg); err != nil {
		return err
	}
	if strings.TrimSpace(*text) == "" || len([]rune(*text)) > 3000 {
		return errors.New("--text: write the message, at most 3000 characters")
	}
	if *button != "" && *button != flows.ButtonPay && *button != flows.ButtonStatus && *button != flows.ButtonCard {
		return fmt.Errorf("--button %q: want pay, status or card", *button)
	}
	var when time.Time
	if *at != "" {
		t, err := tanggal.ParseWhen(*at, clock.Now().In(cfg.Location))
		if err != nil {
			return fmt.Errorf("--at %q: %w", *at, err)
		}
		when = t
	}
	n, err := db.CountSegment(ctx, seg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "recipients now: %s\n", locales.Number("en", int64(n)))
	if !*yes {
		fmt.Fprintln(stdout, "nothing sent: run again with --yes to send")
		return nil
	}
	if n == 0 {
		return errors.New("nobody matches: nothing sent")
	}
	id, err := db.CreateBroadcastAs(ctx, "cli:"+operator(getenv), flows.Broadcast{Segment: seg, Text: *text, Button: *button, ScheduledAt: when})
	if err != nil {
		return err
	}
	if when.IsZero() {
		fmt.Fprintf(stdout, "broadcast %d queued: `lindungi serve` sends it; follow it with `lindungi broadcast status %d --watch`\n", id, id)
	} else {
		fmt.Fprintf(stdout, "broadcast %d scheduled for %s\n", id, when.Format("2006-01-02 15:04 MST"))
	}
	return nil
}

// checkSegment refuses filter values the chat would never offer.
func checkSegment(s flows.Segment) error {
	check := func(flag string, got []string, allowed []string) error {
		for _, v := range got {
			if !slices.Contains(allowed, v) {
				return fmt.Errorf("--%s %q: want one of %s", flag, v, strings.Join(allowed, ", "))
			}
		}
		return nil
	}
	if s.JHT != "" && s.JHT != "with" && s.JHT != "without" {
		return fmt.Errorf("--jht %q: want with or without", s.JHT)
	}
	if s.DueDays < 1 || s.DueDays > 90 {
		return fmt.Errorf("--due-days %d: want 1 to 90", s.DueDays)
	}
	return errors.Join(
		check("status", s.Standings, []string{flows.StandingAwaiting, flows.StandingActive, flows.StandingDue, flows.StandingArrears, flows.StandingEnded}),
		check("payer", s.Payers, []string{flows.PayerSelf, flows.PayerAgent, flows.PayerSponsor}),
		check("occupation", s.Occupations, flows.Occupations),
		check("channel", s.Channels, flows.BroadcastChannels),
	)
}

// operator names who runs the command, for the audit log.
func operator(getenv func(string) string) string {
	if u := getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

func broadcastStatus(ctx context.Context, args []string, db *store.DB, engine *flows.Engine, stdout io.Writer) error {
	fs := flag.NewFlagSet("broadcast status", flag.ContinueOnError)
	fs.SetOutput(stdout)
	watch := fs.Bool("watch", false, "refresh every 2 seconds until it ends")
	idArg, rest := fileArg(args, nil)
	if err := fs.Parse(rest); err != nil {
		return err
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil {
		return errors.New("usage: lindungi broadcast status ID [--watch]")
	}
	for {
		p, err := db.BroadcastProgressOf(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, progressBar(p, 30)+"  "+engine.BroadcastProgressReply(p, clock.Now()).Text)
		if !*watch || p.Status == flows.BroadcastDone || p.Status == flows.BroadcastCancelled {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}

// progressBar draws a broadcast's progress: "[#########.....]  62%".
func progressBar(p flows.BroadcastProgress, width int) string {
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done()) / float64(p.Total)
	}
	return bar(frac, width)
}

// bar draws a fraction done: "[#########.....]  62%".
func bar(frac float64, width int) string {
	n := int(frac * float64(width))
	return fmt.Sprintf("[%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac)
}
