package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/wilayah"
)

// adminCommand is `lindungi admin link CHANNEL:ID`: a one-time sign-in
// link to the dashboard for a configured admin (or someone given a role on
// the dashboard), printed as a full URL.
func adminCommand(ctx context.Context, args []string, db *store.DB, cfg flows.Config, publicURL string, stdout io.Writer) error {
	if asksHelp(args) {
		fmt.Fprintln(stdout, commandUsage["admin"])
		return flag.ErrHelp
	}
	if len(args) != 2 || args[0] != "link" {
		return errors.New(commandUsage["admin"])
	}
	who := args[1]
	role, _, err := dashboard.RoleOf(ctx, db, cfg.Admins, who)
	if err != nil {
		return err
	}
	if role == "" {
		return fmt.Errorf("admin link: %s is not an admin (LINDUNGI_ADMINS, or added in chat) and has no role on the dashboard", who)
	}
	token, hash, err := flows.NewStaffLink()
	if err != nil {
		return err
	}
	if err := db.CreateStaffLink(ctx, who, hash, clock.Now().Add(flows.StaffLinkTTL)); err != nil {
		return err
	}
	if err := db.Audit(ctx, who, "dasbor:link", "dasbor", "lindungi admin link"); err != nil {
		return err
	}
	fmt.Fprintln(stdout, publicURL+"/admin/login?t="+token)
	return nil
}

// dashboardHandler builds the staff dashboard served under /admin/.
func dashboardHandler(ctx context.Context, db *store.DB, engine *flows.Engine, cat *locales.Catalog, regions *wilayah.Data, cfg config, log *slog.Logger) (http.Handler, error) {
	h, err := dashboard.New(dashboard.Config{Store: db, Actions: engine, Broadcasts: engine, Imports: startImports(ctx, db, engine), Catalog: cat, Regions: regions, Province: cfg.Flow.Province, Admins: cfg.Flow.Admins,
		Location: cfg.Flow.Location, SecureCookie: cfg.WebSecureCookie, Log: log})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return h, nil
}

// foldRollups keeps the dashboard's rollups small: every 30 seconds the
// counts appended since are folded in (the overview is exact either way).
func foldRollups(ctx context.Context, db *store.DB, log *slog.Logger) {
	for {
		if n, err := db.FoldRollups(ctx); err != nil && ctx.Err() == nil {
			log.Warn("fold dashboard rollups", "err", err)
		} else if n > 0 {
			log.Debug("folded dashboard rollups", "count", n)
		}
		if err := clock.Sleep(ctx, 30*time.Second); err != nil {
			return
		}
	}
}
