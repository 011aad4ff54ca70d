// Package pgtest gives each test package a throwaway PostgreSQL database on
// the real server (LINDUNGI_TEST_DATABASE_URL, default the local "postgres"
// database), and drops it afterwards.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	_ "github.com/lib/pq" // the driver
)

// AdminURL is the server connection used to create and drop test databases.
func AdminURL() string {
	if u := os.Getenv("LINDUNGI_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Create makes a fresh database and returns its URL and a function that drops it.
func Create(ctx context.Context) (string, func(), error) {
	admin, err := sql.Open("postgres", AdminURL())
	if err != nil {
		return "", nil, err
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("tests need PostgreSQL at %s (start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start): %w", AdminURL(), err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "lindungi_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create %s: %w", name, err)
	}
	u, err := url.Parse(AdminURL())
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		admin.Close()
	}
	return u.String(), drop, nil
}

// Main runs a package's tests with one throwaway database in *dsn, after the
// setup functions (which may use *dsn).
func Main(m *testing.M, dsn *string, setup ...func() error) int {
	u, drop, err := Create(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	defer drop()
	*dsn = u
	for _, f := range setup {
		if err := f(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: setup:", err)
			return 1
		}
	}
	return m.Run()
}
