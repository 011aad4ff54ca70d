// Package flowstest builds the real engine on a real PostgreSQL database (its
// store migrated, the texts, regions and tariffs loaded), for the tests and
// benchmarks of the engine and its channels.
package flowstest

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/vault"
	"github.com/lindungi/lindungi/wilayah"
)

// Options tune Open.
type Options struct {
	Now      func() time.Time // the clock of the store and the engine; nil means clock.Now
	MaxConns int              // pool size; 0 means the store's default
	Log      *slog.Logger     // nil discards
}

// Env is an opened store with everything an engine needs.
type Env struct {
	DB      *store.DB
	Catalog *locales.Catalog
	Regions *wilayah.Data
	Tariffs *iuran.Table
	Log     *slog.Logger
	Now     func() time.Time
	Payer   flows.Payer // nil: paying is not offered
}

// Open connects to dsn (a database of its own, see store/pgtest) with a fresh
// random data key, migrates it and loads the data.
func Open(ctx context.Context, dsn string, o Options) (*Env, error) {
	key := make([]byte, vault.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	v, err := vault.New(key)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = clock.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	db, err := store.Open(ctx, dsn, v, store.Options{Now: o.Now, MaxConns: o.MaxConns, Location: flows.DefaultConfig().Location})
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	cat, err := locales.Load()
	if err != nil {
		db.Close()
		return nil, err
	}
	regions, err := wilayah.Load()
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Env{DB: db, Catalog: cat, Regions: regions, Tariffs: iuran.Default(), Log: o.Log, Now: o.Now}, nil
}

// Engine builds an engine on the environment.
func (e *Env) Engine(cfg flows.Config) *flows.Engine {
	return flows.New(flows.Deps{Store: e.DB, Catalog: e.Catalog, Regions: e.Regions, Tariffs: e.Tariffs, Now: e.Now, Log: e.Log, Payer: e.Payer}, cfg)
}

// Close closes the store.
func (e *Env) Close() error { return e.DB.Close() }
