package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/kartu"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/payments/webhook"
	"github.com/lindungi/lindungi/store"
)

type payResult struct {
	notifications int
	clients       int
	elapsed       time.Duration
	perSec        float64
	p50, p99      time.Duration
	cardMean      time.Duration
	cardBytes     int
}

// benchPayments sends one signed settlement for each of n payments through
// the real notification handler (signature check, row lock, coverage,
// confirmation queued) from clients concurrent senders, and times card
// rendering.
func benchPayments(ctx context.Context, n, clients, conns int) (payResult, error) {
	res := payResult{notifications: n, clients: clients}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	env, done, err := freshEnv(ctx, conns, log)
	if err != nil {
		return res, err
	}
	defer done()
	sb, err := sandbox.New(sandbox.Options{Secret: []byte("bench-sandbox-secret-key")})
	if err != nil {
		return res, err
	}
	engine := env.Engine(flows.DefaultConfig())
	orders := make([]string, n)
	for i := range n {
		var ref string
		err := env.DB.Atomically(ctx, "bench", fmt.Sprint(i), func(ctx context.Context, tx flows.Tx) error {
			ref, err = tx.CreateRegistration(ctx, flows.Registration{NIK: fmt.Sprintf("6171054508%06d", i+1), Name: "Siti Aminah",
				Phone: "+6281234500001", BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true,
				Province: "61", Regency: "61.71", District: "61.71.05", Village: "61.71.05.1002", Occupation: "petani", Income: 1000000, MonthlyIuran: 16800})
			return err
		})
		if err != nil {
			return res, err
		}
		orders[i] = ref + "-PAY"
		ins, err := sb.Create(ctx, payments.Invoice{OrderID: orders[i], Amount: 50400, Method: payments.BCA})
		if err != nil {
			return res, err
		}
		if _, err := env.DB.CreatePayment(ctx, store.NewPayment{Instruction: ins, PayerKind: store.PayerWorker, PayerRef: "bench:" + fmt.Sprint(i),
			Items: []flows.PaymentLine{{RegistrationRef: ref, Months: 3, JKK: 30000, JKM: 20400, Amount: 50400}}}); err != nil {
			return res, err
		}
	}
	srv := httptest.NewServer(webhook.Handler(sb, engine.ApplyPayment, log))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	lat := make([][]time.Duration, clients)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	start := clock.Start()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += clients {
				header, body := sb.Notify(orders[i], 50400, payments.Paid, clock.Now())
				req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL, strings.NewReader(string(body)))
				req.Header = header
				t0 := clock.Start()
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("notification %s: HTTP %d", orders[i], resp.StatusCode)
					return
				}
				lat[c] = append(lat[c], t0.Elapsed())
			}
		}()
	}
	wg.Wait()
	res.elapsed = start.Elapsed()
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	var applied int
	if err := env.DB.SQL().GetContext(ctx, &applied, `SELECT count(*) FROM payments WHERE applied_at IS NOT NULL`); err != nil {
		return res, err
	}
	if applied != n {
		return res, fmt.Errorf("%d of %d payments applied", applied, n)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	res.perSec = float64(n) / res.elapsed.Seconds()
	res.p50, res.p99 = quantile(all, 0.5), quantile(all, 0.99)

	card := kartu.Card{Name: "Siti Aminah", Reference: "LD2611-7K3M9Q", Programs: "JKK + JKM", CoverFrom: "1 Desember 2026",
		CoverTo: "28 Februari 2027", VerifyURL: "https://lindungi.example.go.id/verify/AbCdEfGhIjKlMnOpQrStUvWx",
		Labels: kartu.Labels{Title: "KARTU PESERTA", Subtitle: "BPJS Ketenagakerjaan · Bukan Penerima Upah", Name: "Nama",
			Reference: "No. pendaftaran", KPJ: "KPJ", KPJPending: "menyusul", Programs: "Program", Coverage: "Masa perlindungan", Scan: "Pindai untuk memeriksa"}}
	const renders = 200
	t0 := clock.Start()
	for range renders {
		png, err := kartu.Render(card)
		if err != nil {
			return res, err
		}
		res.cardBytes = len(png)
	}
	res.cardMean = t0.Elapsed() / renders
	return res, nil
}

func reportPayments(w io.Writer, r payResult) {
	tw := &table{w: w}
	tw.head("payment notifications: %d signed settlements through the webhook handler, %d concurrent senders\n", r.notifications, r.clients)
	tw.row("  throughput", "%.0f notifications/s (target ≥ 1,000/s)\n", r.perSec)
	tw.row("  latency p50", "%s\n", roundDur(r.p50))
	tw.row("  latency p99", "%s\n", roundDur(r.p99))
	tw.head("membership card: 200 renders\n")
	tw.row("  per card", "%s (target < 20 ms), %d bytes\n", roundDur(r.cardMean), r.cardBytes)
}
