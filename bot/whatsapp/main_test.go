package whatsapp

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot/whatsapp/whatsapptest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
)

var (
	env    *flowstest.Env
	testDB *store.DB
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func TestMain(m *testing.M) {
	var dsn string
	os.Exit(pgtest.Main(m, &dsn, func() error {
		var err error
		env, err = flowstest.Open(context.Background(), dsn, flowstest.Options{Log: quiet})
		if err != nil {
			return err
		}
		testDB = env.DB
		return nil
	}))
}

// newClient makes a client of the fake API.
func newClient(t testing.TB, srv *whatsapptest.Server, edit func(*Options)) *Client {
	t.Helper()
	o := Options{AccessToken: whatsapptest.AccessToken, PhoneNumberID: whatsapptest.PhoneNumberID,
		BusinessAccountID: whatsapptest.BusinessAccountID, APIURL: srv.URL(), HTTPClient: srv.Client(), Log: quiet}
	if edit != nil {
		edit(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// lockedLog is a log destination safe for the client's background workers.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
