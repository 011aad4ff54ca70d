package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments/midtrans"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
	"github.com/lindungi/lindungi/payments/sandbox"
)

func TestGoPayTokenizationConfig(t *testing.T) {
	err := run(context.Background(), []string{"lindungi", "chat", "--jsonl"}, testEnv(map[string]string{"LINDUNGI_MIDTRANS_GOPAY_TOKENIZATION": "yes"}),
		strings.NewReader(""), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "LINDUNGI_MIDTRANS_GOPAY_TOKENIZATION: \"yes\" is not on or off") {
		t.Fatalf("err = %v", err)
	}
	c, err := loadConfig(testEnv(nil))
	if err != nil || c.GoPayTokenization {
		t.Fatalf("default: %v %v", c.GoPayTokenization, err)
	}
}

// Auto-debit is offered only with Midtrans and tokenization switched on;
// then Midtrans' recurring notifications are taken, verified first.
func TestAutoDebitWiring(t *testing.T) {
	db := openStore(t)
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	engine := flows.New(flows.Deps{Store: db, Catalog: cat, Tariffs: iuran.Default()}, flows.DefaultConfig())
	srv := midtranstest.NewServer(t)
	mt, err := midtrans.New(midtrans.Options{ServerKey: midtranstest.ServerKey, BaseURL: srv.URL(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{Secret: []byte("autodebit-wiring")})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name string
		cfg  config
		p    interface{ Name() string }
		on   bool
	}{
		{"midtrans, tokenization off", config{}, mt, false},
		{"sandbox, tokenization on", config{GoPayTokenization: true}, sb, false},
		{"midtrans, tokenization on", config{GoPayTokenization: true, PublicURL: "https://lindungi.example"}, mt, true},
	} {
		var a autoDebit
		switch p := tt.p.(type) {
		case *midtrans.Client:
			a = newAutoDebit(tt.cfg, p, db, engine)
		case *sandbox.Provider:
			a = newAutoDebit(tt.cfg, p, db, engine)
		}
		if a.on() != tt.on {
			t.Errorf("%s: on = %v", tt.name, a.on())
		}
		mux := http.NewServeMux()
		a.addRoutes(mux, log)
		w := httptest.NewRecorder()
		_, forged := srv.Forged("SUBS-x-1", "settlement", 16800)
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/payments/midtrans/recurring", bytes.NewReader(forged)))
		want := http.StatusNotFound
		if tt.on {
			want = http.StatusUnauthorized
		}
		if w.Code != want {
			t.Errorf("%s: a forged recurring notification got %d, want %d", tt.name, w.Code, want)
		}
	}
}
