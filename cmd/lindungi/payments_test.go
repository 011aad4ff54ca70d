package main

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/tanggal"
	"github.com/lindungi/lindungi/vault"
)

// priceNow is what months of the first bracket cost when paid today (from
// tomorrow), with the discounts the law sets: what the chat charges.
func priceNow(t *testing.T, months int, jht bool) int64 {
	t.Helper()
	loc := flows.DefaultConfig().Location
	q, err := iuran.Default().Quote(iuran.QuoteRequest{Bracket: 0, JHT: jht, Months: months,
		Start: tanggal.Midnight(clock.Now().In(loc)).AddDate(0, 0, 1), Discounts: iuran.Law()})
	if err != nil {
		t.Fatal(err)
	}
	return q.Totals.Total
}

func rupiahNow(t *testing.T, months int, jht bool) string {
	return locales.Rupiah(priceNow(t, months, jht))
}

// Registration → payment code in the chat → the test bank pays → the worker
// is told, and is protected.
func TestRegisterPayAndConfirmWithTheSandbox(t *testing.T) {
	turns := chat(t, "601", "halo", "1", "6171054508900601", "Budi Santoso", "0812-3456-0601",
		"darat sekip", "petani", "in:base", "Kirim",
		"pm:3", "BCA")
	expect(t, turns[8:], "berapa bulan", "bank atau toko apa", "Ada lagi")
	instruction := turns[10][0].Text
	code := regexp.MustCompile(`\b\d{16}\b`).FindString(instruction)
	if code == "" || !strings.Contains(instruction, rupiahNow(t, 3, false)) || !strings.Contains(instruction, "/sandbox/pay/"+code) {
		t.Fatalf("instruction: %q", instruction)
	}

	base, stop := startServe(t, map[string]string{})
	defer stop()
	page := get(t, base+"/sandbox/pay/"+code)
	if !strings.Contains(page, rupiahNow(t, 3, false)) || !strings.Contains(page, "Bank uji coba") {
		t.Fatalf("sandbox page: %s", page)
	}
	// Security review M5: another site posting the form, or a post without
	// the page's token, pays nothing.
	for _, tt := range []struct {
		origin string
		form   url.Values
	}{
		{"http://evil.example", url.Values{"token": {sandboxFormToken(t, page)}}},
		{base, url.Values{}},
		{base, url.Values{"token": {"0123456789abcdef0123456789abcdef"}}},
		{"", url.Values{"token": {sandboxFormToken(t, page)}}},
	} {
		if st := postForm(t, base+"/sandbox/pay/"+code, tt.origin, tt.form); st != http.StatusForbidden {
			t.Errorf("a post from %q with %v: %d, want 403", tt.origin, tt.form, st)
		}
	}
	if strings.Contains(get(t, base+"/sandbox/pay/"+code), "Sudah dibayar") {
		t.Fatal("a forged post paid")
	}
	payInSandbox(t, base, code)
	if !strings.Contains(get(t, base+"/sandbox/pay/"+code), "Sudah dibayar") {
		t.Error("the sandbox page does not say paid")
	}

	turns = chat(t, "601", "/status")
	all, photo := "", ""
	for _, r := range turns[0] {
		all += r.Text + "\n"
		if r.Photo != "" {
			photo = r.Photo
		}
	}
	png, err := os.ReadFile(photo)
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("the card %q: %v", photo, err)
	}
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	var token string
	db.Get(&token, `SELECT verify_token FROM registrations WHERE chat_id = '601'`)
	verify := html.UnescapeString(get(t, base+"/verify/"+token))
	// Paid today, protected from tomorrow: not "Terlindungi" yet, and not green.
	for _, want := range []string{"B. S.", "JKK + JKM", "Perlindungan mulai", `class="soon"`} {
		if !strings.Contains(verify, want) {
			t.Errorf("verify page lacks %q", want)
		}
	}
	if strings.Contains(verify, "Terlindungi") {
		t.Errorf("verify page says Terlindungi before the first day:\n%s", verify)
	}
	if strings.Contains(verify, "Budi") || strings.Contains(verify, "6171") {
		t.Errorf("verify page shows personal data:\n%s", verify)
	}
	if !strings.Contains(get(t, base+"/verify/not-a-token"), "tidak kami kenal") {
		t.Error("unknown token page")
	}
	for _, want := range []string{"Iuran Budi Santoso sudah kami terima", "terlindungi (iuran sudah dibayar)", "Terlindungi "} {
		if !strings.Contains(all, want) {
			t.Errorf("after paying, /status lacks %q:\n%s", want, all)
		}
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// The notification endpoint: forged → 401 and nothing changes; the same
// settlement five times at once → one coverage extension.
func TestPaymentNotificationEndpoint(t *testing.T) {
	turns := chat(t, "602", "halo", "1", "6171054508900602", "Ani", "0812-3456-0602",
		"darat sekip", "petani", "in:base", "Kirim", "pm:1", "BRI")
	code := regexp.MustCompile(`\b\d{15,16}\b`).FindString(turns[10][0].Text)
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	var order string
	if err := db.Get(&order, `SELECT order_id FROM payments WHERE va_number = $1`, code); err != nil {
		t.Fatal(err)
	}
	key, _ := vault.ParseKey(testKey)
	v, _ := vault.New(key)
	sb, _ := sandbox.New(sandbox.Options{Secret: v.Hash("sandbox", "notification-key")})

	base, stop := startServe(t, map[string]string{})
	defer stop()
	post := func(header http.Header, body []byte) int {
		req, _ := http.NewRequest("POST", base+"/payments/sandbox/notification", strings.NewReader(string(body)))
		for k, vs := range header {
			req.Header[k] = vs
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	forged, _ := sandbox.New(sandbox.Options{Secret: []byte("not-the-deployment-key")})
	if code := post(forged.Notify(order, priceNow(t, 1, false), payments.Paid, timeNow())); code != http.StatusUnauthorized {
		t.Fatalf("forged notification: %d", code)
	}
	var status string
	db.Get(&status, `SELECT status FROM payments WHERE order_id = $1`, order)
	if status != "pending" {
		t.Fatalf("a forged notification changed the payment: %s", status)
	}
	header, body := sb.Notify(order, priceNow(t, 1, false), payments.Paid, timeNow())
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := post(header, body); code != http.StatusOK {
				t.Errorf("notification: %d", code)
			}
		}()
	}
	wg.Wait()
	var applied, events int
	db.Get(&applied, `SELECT count(*) FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1 AND e.kind = 'applied'`, order)
	db.Get(&events, `SELECT count(*) FROM payment_events e JOIN payments p ON p.id = e.payment_id WHERE p.order_id = $1 AND e.kind = 'notification'`, order)
	if applied != 1 || events != 5 {
		t.Fatalf("applied %d times, %d notifications recorded", applied, events)
	}
	var confirmations int
	db.Get(&confirmations, `SELECT count(*) FROM outbox WHERE chat_id = '602' AND payload::text LIKE '%Iuran Ani sudah kami terima%'`)
	if confirmations != 1 {
		t.Errorf("%d confirmations queued", confirmations)
	}
}

func timeNow() time.Time { return clock.Now() }

// The same journey with Midtrans (a fake Core API): the charge, the signed
// notification confirmed by a status query, the confirmation and the card.
func TestRegisterPayAndConfirmWithMidtrans(t *testing.T) {
	mt := midtranstest.NewServer(t)
	env := map[string]string{"LINDUNGI_PAYMENT_PROVIDER": "midtrans", "LINDUNGI_MIDTRANS_SERVER_KEY": midtranstest.ServerKey,
		"LINDUNGI_MIDTRANS_BASE_URL": mt.URL()}
	turns := chatEnv(t, env, "603", "halo", "1", "6171054508900603", "Citra Dewi", "0812-3456-0603",
		"darat sekip", "petani", "in:jht", "Kirim", "pm:1", "Mandiri")
	instruction := turns[10][0].Text
	if !strings.Contains(instruction, rupiahNow(t, 1, true)) || !strings.Contains(instruction, "Mandiri") || strings.Contains(instruction, "/sandbox/") {
		t.Fatalf("instruction: %q", instruction)
	}
	charges := mt.Charges()
	if len(charges) != 1 {
		t.Fatalf("%d charges at Midtrans", len(charges))
	}
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	var order string
	db.Get(&order, `SELECT order_id FROM payments WHERE payer_ref = 'console:603'`)

	base, stop := startServe(t, env)
	defer stop()
	fh, fb := mt.Forged(order, "settlement", priceNow(t, 1, true))
	if code := postNotification(t, base+"/payments/midtrans/notification", fh, fb); code != http.StatusUnauthorized {
		t.Fatalf("forged: %d", code)
	}
	nh, nb := mt.Notify(order, "settlement", priceNow(t, 1, true))
	if code := postNotification(t, base+"/payments/midtrans/notification", nh, nb); code != http.StatusOK {
		t.Fatalf("settlement: %d", code)
	}
	turns = chatEnv(t, env, "603", "/status")
	all, photo := "", ""
	for _, r := range turns[0] {
		all += r.Text + "\n"
		if r.Photo != "" {
			photo = r.Photo
		}
	}
	if !strings.Contains(all, "Iuran Citra Dewi sudah kami terima") || photo == "" {
		t.Fatalf("after paying: photo %q\n%s", photo, all)
	}
}

func postNotification(t *testing.T, u string, header http.Header, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(string(body)))
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPaymentsReport(t *testing.T) {
	turns := chat(t, "604", "halo", "1", "6171054508900604", "Dewi", "0812-3456-0604",
		"darat sekip", "petani", "in:base", "Kirim", "pm:1", "BNI")
	if !strings.Contains(turns[10][0].Text, rupiahNow(t, 1, false)) {
		t.Fatalf("instruction %q", turns[10][0].Text)
	}
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	var order string
	db.Get(&order, `SELECT order_id FROM payments WHERE payer_ref = 'console:604'`)
	key, _ := vault.ParseKey(testKey)
	v, _ := vault.New(key)
	sb, _ := sandbox.New(sandbox.Options{Secret: v.Hash("sandbox", "notification-key")})
	base, stop := startServe(t, map[string]string{})
	nh, nb := sb.Notify(order, 16000, payments.Paid, clock.Now())
	if code := postNotification(t, base+"/payments/sandbox/notification", nh, nb); code != http.StatusOK {
		t.Fatalf("mismatched notification: %d", code)
	}
	stop()
	var out strings.Builder
	if err := run(context.Background(), []string{"lindungi", "payments", "report", "--date", clock.Now().In(wibZone()).Format(time.DateOnly)},
		testEnv(nil), strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Laporan pembayaran iuran", "Pembayaran masuk", "Menurut saluran", "Bayar otomatis GoPay: 0 aktif", "Perlu diperiksa admin", order, "amount_mismatch"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func wibZone() *time.Location { return time.FixedZone("WIB", 7*3600) }

func TestPayWithQRISInTheSandbox(t *testing.T) {
	turns := chat(t, "605", "halo", "1", "6171054508900605", "Fajar", "0812-3456-0605",
		"darat sekip", "petani", "in:base", "Kirim", "pm:1", "QRIS")
	r := turns[10][0]
	png, err := os.ReadFile(r.Photo)
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") || !strings.Contains(r.Text, "QRIS") {
		t.Fatalf("QRIS reply %+v: %v", r, err)
	}
	link := regexp.MustCompile(`/sandbox/pay/(\S+)\)`).FindStringSubmatch(r.Text)
	if link == nil {
		t.Fatalf("no test bank link in %q", r.Text)
	}
	base, stop := startServe(t, map[string]string{})
	defer stop()
	if page := get(t, base+"/sandbox/pay/"+link[1]); !strings.Contains(page, rupiahNow(t, 1, false)) {
		t.Fatalf("sandbox page: %s", page)
	}
	payInSandbox(t, base, link[1])
	if !strings.Contains(get(t, base+"/sandbox/pay/"+link[1]), "Sudah dibayar") {
		t.Error("QRIS payment not applied")
	}
}

// sandboxFormToken reads the form token from the test bank's page.
func sandboxFormToken(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the test bank's page: %s", page)
	}
	return m[1]
}

// postForm posts a form with an Origin header ("" for none) and returns the status.
func postForm(t *testing.T, address, origin string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, address, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// payInSandbox presses the test bank's button, as the page's own form does.
func payInSandbox(t *testing.T, base, code string) {
	t.Helper()
	token := sandboxFormToken(t, get(t, base+"/sandbox/pay/"+code))
	if st := postForm(t, base+"/sandbox/pay/"+code, base, url.Values{"token": {token}}); st != http.StatusSeeOther {
		t.Fatalf("paying %s in the test bank: %d", code, st)
	}
}
