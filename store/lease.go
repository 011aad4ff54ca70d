package store

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
)

// Lease is a PostgreSQL advisory lock held on a connection of its own: only
// one process of a deployment holds a given lease at a time. The lock goes
// with the connection, so a process that dies or loses its database loses
// the lease and another can take it.
type Lease struct {
	conn *sql.Conn
	key  int64
}

func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("lindungi/lease/" + name))
	return int64(h.Sum64())
}

// TryLease takes the named lease if nobody holds it; ok is false otherwise.
func (d *DB) TryLease(ctx context.Context, name string) (*Lease, bool, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	key := leaseKey(name)
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return &Lease{conn: conn, key: key}, true, nil
}

// Held checks that the lease's connection (and so its lock) is still there.
func (l *Lease) Held(ctx context.Context) bool {
	var held bool
	err := l.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
		AND objid = ($1::bigint & 4294967295)::oid AND granted)`, l.key).Scan(&held)
	return err == nil && held
}

// Release gives the lease up.
func (l *Lease) Release() {
	l.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, l.key) //nolint:errcheck
	l.conn.Close()
}
