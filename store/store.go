// Package store keeps everything in PostgreSQL (sqlx + lib/pq): sessions,
// processed updates, the outbox, consents, registrations and the audit log.
// NIK and phone numbers are sealed with the vault before they reach a table.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/vault"
)

// DB is the PostgreSQL store.
type DB struct {
	db  *sqlx.DB
	dsn string // for the LISTEN connection (ListenOutbox)
	// announce says whether replies must be NOTIFYed (AnnounceReplies).
	announce func() bool
	vault    *vault.Vault
	now      func() time.Time
	loc      *time.Location // the deployment's time zone: what "today" means

	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt // prepared once, then reused on every connection
}

// Options tune a DB.
type Options struct {
	Now      func() time.Time // the clock; nil means clock.Now
	MaxConns int              // pool size; 0 means 20
	// Location is the deployment's time zone, which says what "today" is
	// (a segment's standings); nil means Asia/Jakarta (WIB).
	Location *time.Location
}

// defaultLocation is Asia/Jakarta, or a fixed +07:00 zone where the system
// has no time zone database.
func defaultLocation() *time.Location {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		return time.FixedZone("WIB", 7*3600)
	}
	return loc
}

// Open connects and checks the connection. A server that cannot be reached or
// a database that does not exist gives one line saying what to do.
func Open(ctx context.Context, dsn string, v *vault.Vault, opt Options) (*DB, error) {
	db, err := sqlx.Open("postgres", connOptions(dsn))
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
		opt.Now = clock.Now
	}
	if opt.Location == nil {
		opt.Location = defaultLocation()
	}
	return &DB{db: db, dsn: connOptions(dsn), vault: v, now: opt.Now, loc: opt.Location, stmts: map[string]*sqlx.Stmt{}}, nil
}

// connOptions adds what the store relies on to a postgres:// URL, unless the
// URL sets it already: lib/pq sends a statement and its parameters in one
// round trip (binary_parameters), and the server bounds every statement and
// idle transaction (Atomically does not cancel a transaction it has begun).
func connOptions(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn
	}
	q := u.Query()
	for k, v := range map[string]string{
		"binary_parameters":                   "yes",
		"statement_timeout":                   "30000",
		"idle_in_transaction_session_timeout": "60000",
	} {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// prepareHot prepares the statements every message runs, once, outside any
// transaction (preparing needs a free connection). Migrate calls it.
func (d *DB) prepareHot(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range hotQueries {
		if _, ok := d.stmts[q]; ok {
			continue
		}
		st, err := d.db.PreparexContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		d.stmts[q] = st
	}
	return nil
}

// prepared returns the prepared statement for q, if it is a hot one.
func (d *DB) prepared(q string) (*sqlx.Stmt, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, ok := d.stmts[q]
	return st, ok
}

// Close closes the prepared statements and the pool.
func (d *DB) Close() error {
	d.mu.Lock()
	for q, st := range d.stmts {
		st.Close()
		delete(d.stmts, q)
	}
	d.mu.Unlock()
	return d.db.Close()
}

// Now is the store's clock (the time its rows record).
func (d *DB) Now() time.Time { return d.now() }

// SQL exposes the pool to tests and tools in this repository.
func (d *DB) SQL() *sqlx.DB { return d.db }

// Atomically runs fn in one transaction bound to one chat (see flows.Store).
//
// Once begun, a transaction is finished even if ctx is cancelled (a shutdown
// lets the messages in flight complete); the server's statement_timeout
// bounds it instead. Not watching ctx also spares lib/pq a goroutine per
// statement.
func (d *DB) Atomically(ctx context.Context, channel, chatID string, fn func(ctx context.Context, tx flows.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	ct := &chatTx{DB: d, tx: tx, channel: channel, chatID: chatID, now: d.now()}
	if err := fn(ctx, ct); err != nil {
		return err
	}
	if err := ct.flush(ctx); err != nil {
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
	save    *savedSession // written at the end, with the replies
	replies []string      // JSON payloads to queue
}

// The statements prepared once per connection; others are sent as they are.
var hotQueries = []string{qBegin, qCreateSession, qLockSession, qSaveAndSend, qSend, qNIKRegistered, qRecordConsent,
	qCreateRegistration, qAudit, qLockPayment, qSetPaymentStatus, qPaymentEvents, qCoveredItems, qExtendCoverage, qPlanJobs, qRecordSent}

// get, sel and exec run q in the transaction, prepared when it is a hot statement.
func (t *chatTx) get(ctx context.Context, dest any, q string, args ...any) error {
	return t.hot().GetContext(ctx, dest, q, args...)
}

func (t *chatTx) sel(ctx context.Context, dest any, q string, args ...any) error {
	return t.hot().SelectContext(ctx, dest, q, args...)
}

func (t *chatTx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.hot().ExecContext(ctx, q, args...)
}

// hot runs the statements of the transaction, the hot ones prepared.
func (t *chatTx) hot() preparedTx { return preparedTx{t.tx, t.DB} }

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

var _ flows.Store = (*DB)(nil)

func (t *chatTx) actor() string {
	if t.userID == "" {
		return t.channel + ":" + t.chatID
	}
	return t.channel + ":" + t.userID
}
