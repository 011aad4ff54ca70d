package telegram

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/wilayah"
)

var (
	env     *flowstest.Env
	testDB  *store.DB
	cat     *locales.Catalog
	regions *wilayah.Data
	quiet   = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func TestMain(m *testing.M) {
	var dsn string
	os.Exit(pgtest.Main(m, &dsn, func() error {
		var err error
		env, err = flowstest.Open(context.Background(), dsn, flowstest.Options{Log: quiet})
		if err != nil {
			return err
		}
		testDB, cat, regions = env.DB, env.Catalog, env.Regions
		return nil
	}))
}

func newEngine() *flows.Engine { return env.Engine(flows.DefaultConfig()) }

// sleeps records the waits a client asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	time.Sleep(time.Millisecond) // yield, but never really wait
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newClient connects a client to the fake server; its sleeps are recorded.
func newClient(t *testing.T, srv *telegramtest.Server) (*Client, *sleeps) {
	t.Helper()
	c, err := New(context.Background(), Options{Token: telegramtest.Token, Endpoint: srv.Endpoint(), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	c.sleep = s.sleep
	return c, s
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waited := clock.Start()
	for !cond() {
		if waited.Elapsed() > 5*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
