// Package store keeps everything in PostgreSQL (sqlx + lib/pq): sessions,
// processed updates, the outbox, consents, registrations and the audit log.
// NIK and phone numbers are sealed with the vault before they reach a table.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/vault"
)

// DB is the PostgreSQL store.
type DB struct {
	db    *sqlx.DB
	vault *vault.Vault
	now   func() time.Time
}

// Options tune a DB.
type Options struct {
	Now      func() time.Time // the clock; nil means time.Now
	MaxConns int              // pool size; 0 means 20
}

// Open connects and checks the connection. A server that cannot be reached or
// a database that does not exist gives one line saying what to do.
func Open(ctx context.Context, dsn string, v *vault.Vault, opt Options) (*DB, error) {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if opt.MaxConns == 0 {
		opt.MaxConns = 20
	}
	db.SetMaxOpenConns(opt.MaxConns)
	db.SetMaxIdleConns(opt.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, explainConnError(dsn, err)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &DB{db: db, vault: v, now: opt.Now}, nil
}

func explainConnError(dsn string, err error) error {
	where := "the database"
	if u, perr := url.Parse(dsn); perr == nil && u.Host != "" {
		where = "PostgreSQL at " + u.Host
	}
	var pqErr *pq.Error
	var netErr net.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "3D000":
		return fmt.Errorf("%s has no such database (%s): create it with `createdb -h 127.0.0.1 -U postgres lindungi` or `make run`", where, pqErr.Message)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot reach %s (connection refused): start PostgreSQL (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`) or set DATABASE_URL", where)
	case errors.As(err, &netErr):
		return fmt.Errorf("cannot reach %s (%v): start PostgreSQL or set DATABASE_URL", where, err)
	}
	return fmt.Errorf("connect to %s: %w", where, err)
}

// Close closes the pool.
func (d *DB) Close() error { return d.db.Close() }

// SQL exposes the pool to tests and tools in this repository.
func (d *DB) SQL() *sqlx.DB { return d.db }

// Atomically runs fn in one transaction bound to one chat (see flows.Store).
func (d *DB) Atomically(ctx context.Context, channel, chatID string, fn func(ctx context.Context, tx flows.Tx) error) error {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	ct := &chatTx{DB: d, tx: tx, channel: channel, chatID: chatID, now: d.now()}
	if err := fn(ctx, ct); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// chatTx implements flows.Tx.
type chatTx struct {
	*DB
	tx      *sqlx.Tx
	channel string
	chatID  string
	userID  string
	now     time.Time
}

var _ flows.Store = (*DB)(nil)

func (t *chatTx) actor() string {
	if t.userID == "" {
		return t.channel + ":" + t.chatID
	}
	return t.channel + ":" + t.userID
}

// placeholders writes "($1,$2,$3),($4,$5,$6)…" for n rows of k columns.
func placeholders(n, k int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range k {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "$%d", i*k+j+1)
		}
		b.WriteByte(')')
	}
	return b.String()
}
