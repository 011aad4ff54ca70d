package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/store/pgtest"
)

var testDSN string

func TestMain(m *testing.M) {
	if child := os.Getenv("LINDUNGI_TEST_CHILD"); child != "" {
		// A `lindungi serve` (or another command, its arguments separated by
		// newlines) of its own, for tests that kill a process.
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		if err := run(ctx, append([]string{"lindungi"}, strings.Split(child, "\n")...), os.Getenv, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(pgtest.Main(m, &testDSN))
}

var testKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{42}, 32))

func testEnv(extra map[string]string) func(string) string {
	env := map[string]string{"DATABASE_URL": testDSN, "LINDUNGI_DATA_KEY": testKey, "LINDUNGI_LOG_LEVEL": "error", "LINDUNGI_QUIET_HOURS": "off"}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

type reply struct {
	Text    string `json:"text"`
	Choices []struct {
		Label string `json:"label"`
		Data  string `json:"data"`
	} `json:"choices"`
	Input   string `json:"input"`
	Photo   string `json:"photo"`
	Waiting bool   `json:"waiting"`
}

// chat runs one `lindungi chat --jsonl` process over the given input lines and
// returns the replies to each line.
func chat(t *testing.T, user string, lines ...string) [][]reply {
	t.Helper()
	return chatEnv(t, nil, user, lines...)
}

// chatEnv is chat with extra environment.
func chatEnv(t *testing.T, env map[string]string, user string, lines ...string) [][]reply {
	t.Helper()
	var out bytes.Buffer
	in := strings.NewReader(strings.Join(lines, "\n") + "\n")
	if err := run(context.Background(), []string{"lindungi", "chat", "--jsonl", "--user", user}, testEnv(env), in, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	var turns [][]reply
	var cur []reply
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r reply
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("output line %q is not JSON: %v", l, err)
		}
		if r.Waiting {
			turns = append(turns, cur)
			cur = nil
			continue
		}
		cur = append(cur, r)
	}
	if len(turns) != len(lines) {
		t.Fatalf("%d inputs gave %d answers:\n%s", len(lines), len(turns), out.String())
	}
	return turns
}

func last(turn []reply) reply {
	if len(turn) == 0 {
		return reply{}
	}
	return turn[len(turn)-1]
}

// expect checks that the last reply of each turn contains want[i].
func expect(t *testing.T, turns [][]reply, want ...string) {
	t.Helper()
	for i, w := range want {
		if w == "" {
			continue
		}
		got := last(turns[i]).Text
		if !strings.Contains(got, w) {
			t.Errorf("answer %d: %q does not contain %q", i+1, got, w)
		}
	}
}

const testNIK = "6171054508900123"

func TestRegistrationEndToEnd(t *testing.T) {
	// First process: the welcome and consent, a wrong NIK, the right one
	// (its date and sex read from it), the name, the phone, and the process
	// ends at the villages of the NIK's kecamatan.
	turns := chat(t, "501",
		"halo",
		"1",                  // Setuju
		"6171 0545 0890 012", // 15 digits
		"6171.0545.0890.0123",
		"siti aminah",
		"0812-3456-7890",
	)
	expect(t, turns,
		"Setuju?",
		"Ketik NIK Anda",
		"NIK harus 16 angka. Yang Anda ketik 15 angka.",
		"perempuan, lahir 5 Agustus 1990",
		"Ketik nomor HP",
		"KTP Anda dibuat di Kecamatan Pontianak Kota, Kota Pontianak",
	)
	if got := last(turns[1]).Input; got != "number" {
		t.Errorf("NIK question input = %q, want number (the keypad)", got)
	}

	// Second process: the conversation continues where it was.
	turns = chat(t, "501",
		"/kembali",          // back to the phone question
		"+62 812 3456 7891", // a different number
		"darat sekip",
		"petani",
		"3", // my income is higher
		"1.500.000",
		"2", // + JHT
	)
	expect(t, turns,
		"Ketik nomor HP",
		"Kecamatan Pontianak Kota",
		"Apa pekerjaan Anda?",
		"Untuk penghasilan di bawah Rp1,1 juta",
		"Berapa kira-kira penghasilan",
		"Mau menambah JHT",
		"Periksa data Anda",
	)
	review := last(turns[6]).Text
	for _, want := range []string{"6171 05•• •••• 0123", "Siti Aminah", "5 Agustus 1990", "perempuan", "0812-••••-7891",
		"Kel. Darat Sekip, Kec. Pontianak Kota, Kota Pontianak", "Petani/pekebun", "dengan JHT", "Rp1,5–1,7 juta"} {
		if !strings.Contains(review, want) {
			t.Errorf("review lacks %q:\n%s", want, review)
		}
	}
	if strings.Contains(review, testNIK) || strings.Contains(review, "81234567891") {
		t.Errorf("review shows NIK or phone in clear:\n%s", review)
	}

	// Third process: change the name from the review, then confirm.
	turns = chat(t, "501",
		"Ubah data",
		"Ubah nama",
		"Siti Aminah Binti Hasan",
		"Kirim",
	)
	expect(t, turns, "Data mana yang mau diubah?", "Ketik nama lengkap", "Periksa data Anda", "Mau bayar untuk berapa bulan?")
	if !strings.Contains(last(turns[2]).Text, "Siti Aminah Binti Hasan") || !strings.Contains(last(turns[2]).Text, "0812-••••-7891") {
		t.Errorf("review after the edit:\n%s", last(turns[2]).Text)
	}
	done := turns[3][0].Text
	if !strings.Contains(done, "Nomor pendaftaran: LD") {
		t.Fatalf("confirmation: %q", done)
	}

	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	var row struct {
		Name    string `db:"name"`
		Status  string `db:"status"`
		Village string `db:"village"`
		JHT     bool   `db:"jht"`
		Iuran   int64  `db:"monthly_iuran"`
		Birth   string `db:"birth"`
		Female  bool   `db:"female"`
	}
	err := db.Get(&row, `SELECT name, status, village, jht, monthly_iuran, birth_date::text AS birth, female
		FROM registrations WHERE chat_id = '501'`)
	if err != nil {
		t.Fatal(err)
	}
	want := row
	want.Name, want.Status, want.Village, want.JHT, want.Iuran, want.Birth, want.Female =
		"Siti Aminah Binti Hasan", "menunggu_pembayaran", "61.71.05.1002", true, 16000+6800+32000, "1990-08-05", true
	if row != want {
		t.Errorf("stored registration = %+v\nwant %+v", row, want)
	}

	assertNoClearText(t, db, testNIK, "81234567891", "81234567890")

	// The same NIK cannot register twice, from another chat.
	turns = chat(t, "502", "/mulai", "Setuju", testNIK)
	expect(t, turns, "Setuju?", "Ketik NIK", "sudah didaftarkan")
	if strings.Contains(last(turns[2]).Text, "Siti") {
		t.Errorf("the duplicate message reveals whose NIK it is: %q", last(turns[2]).Text)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM registrations WHERE ref LIKE 'LD%'`); err != nil || n != 1 {
		t.Fatalf("registrations = %d, %v", n, err)
	}
}

// assertNoClearText scans every column of every table for the given values.
func assertNoClearText(t *testing.T, db *sqlx.DB, values ...string) {
	t.Helper()
	var tables []string
	if err := db.Select(&tables, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var rows []string
		if err := db.Select(&rows, fmt.Sprintf(`SELECT t::text FROM %q t`, table)); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			for _, v := range values {
				if strings.Contains(r, v) {
					t.Errorf("table %s holds %s in clear: %s", table, v, r)
				}
				// bytea columns print as hex: look for the value's hex too.
				if strings.Contains(r, fmt.Sprintf("%x", v)) {
					t.Errorf("table %s holds %s in clear (hex): %s", table, v, r)
				}
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LINDUNGI_DATA_KEY": ""}, "no data key"},
		{map[string]string{"LINDUNGI_DATA_KEY": "short"}, "LINDUNGI_DATA_KEY"},
		{map[string]string{"LINDUNGI_DRAFT_TTL": "soon"}, "LINDUNGI_DRAFT_TTL"},
		{map[string]string{"LINDUNGI_OUTBOX_RETENTION": "48h"}, "at least 168h"},
		{map[string]string{"LINDUNGI_MIN_AGE": "70"}, "above LINDUNGI_MAX_AGE"},
		{map[string]string{"LINDUNGI_PROVINCE": "99"}, "not a province code"},
		{map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?sslmode=disable"}, "cannot reach PostgreSQL at 127.0.0.1:1"},
		{map[string]string{"LINDUNGI_ENV": "production"}, "sandbox payment provider is for development"},
		{map[string]string{"LINDUNGI_ENV": "production", "LINDUNGI_PAYMENT_PROVIDER": "midtrans", "LINDUNGI_MIDTRANS_SERVER_KEY": "k",
			"LINDUNGI_DATA_KEY": "", "LINDUNGI_DATA_KEY_FILE": "/x/.lindungi/dev-data-key"}, "development data key must not be used"},
		{map[string]string{"LINDUNGI_PAYMENT_PROVIDER": "midtrans"}, "needs LINDUNGI_MIDTRANS_SERVER_KEY"},
		{map[string]string{"LINDUNGI_PAYMENT_PROVIDER": "paypal"}, "is not sandbox or midtrans"},
		{map[string]string{"LINDUNGI_TEST_CLOCK": "next year"}, "LINDUNGI_TEST_CLOCK"},
		{map[string]string{"LINDUNGI_TELEGRAM_SENDERS": "0"}, "LINDUNGI_TELEGRAM_SENDERS"},
		{map[string]string{"LINDUNGI_WEB_MAX_STREAMS": "many"}, "LINDUNGI_WEB_MAX_STREAMS"},
		{map[string]string{"LINDUNGI_TEST_CLOCK": "2028-02-30T08:00:00+07:00"}, "an instant such as 2028-02-29T08:00:00+07:00"},
		{map[string]string{"LINDUNGI_ENV": "production", "LINDUNGI_PAYMENT_PROVIDER": "midtrans", "LINDUNGI_MIDTRANS_SERVER_KEY": "k",
			"LINDUNGI_TEST_CLOCK": "+400d"}, "for tests and staging only"},
	}
	for _, tt := range tests {
		err := run(context.Background(), []string{"lindungi", "chat", "--jsonl"}, testEnv(tt.env), strings.NewReader(""), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("env %v: err = %v, want %q", tt.env, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"lindungi", "migrate"}, testEnv(nil), strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "schema version") {
		t.Errorf("migrate said %q", out.String())
	}
}

func TestChatForPeople(t *testing.T) {
	var out bytes.Buffer
	in := strings.NewReader("halo\n2\n")
	if err := run(context.Background(), []string{"lindungi", "chat", "--user", "900"}, testEnv(nil), in, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"Ketik pesan lalu Enter", "  1. Setuju\n  2. Tidak setuju", "Tanpa persetujuan Anda", "\n> "} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServeHealthAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"lindungi", "serve"}, testEnv(map[string]string{"LINDUNGI_HTTP_ADDR": "127.0.0.1:0"}), strings.NewReader(""), out)
	}()
	var base string
	for i := 0; i < 200 && base == ""; i++ {
		if m := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String()); m != nil {
			base = "http://" + m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		case <-time.After(25 * time.Millisecond):
		}
	}
	if base == "" {
		t.Fatalf("serve did not print its address: %q", out.String())
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
			t.Errorf("GET %s = %d %q", path, resp.StatusCode, body)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s")
	}
}

func TestDiscountsFile(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.csv"
	os.WriteFile(bad, []byte("name,from,to,sectors,jkk_percent,jkm_percent\nx,2026-13-01,2026-12-31,,50,50\n"), 0o600)
	err := run(context.Background(), []string{"lindungi", "migrate"}, testEnv(map[string]string{"LINDUNGI_DISCOUNTS_FILE": bad}), strings.NewReader(""), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "LINDUNGI_DISCOUNTS_FILE") {
		t.Fatalf("bad discounts file: %v", err)
	}
	err = run(context.Background(), []string{"lindungi", "migrate"}, testEnv(map[string]string{"LINDUNGI_DISCOUNTS_FILE": "../../iuran/discounts-pp50-2025.csv"}),
		strings.NewReader(""), &bytes.Buffer{})
	if err != nil {
		t.Fatalf("the example file: %v", err)
	}
}

func TestAuditCommand(t *testing.T) {
	chat(t, "606", "/dataku") // a worker reading their own data is audited
	var out bytes.Buffer
	if err := run(context.Background(), []string{"lindungi", "audit", "--agent", "console:606", "--since", "2020-01-01"}, testEnv(nil), strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "console:606") || !strings.Contains(out.String(), "self.view_data") {
		t.Errorf("audit:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"lindungi", "audit", "--agent", "console:nobody"}, testEnv(nil), strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "console:606") {
		t.Errorf("another actor's entries listed:\n%s", out.String())
	}
}

func TestAgentApprovedInTheTerminalAndAudited(t *testing.T) {
	admins := map[string]string{"LINDUNGI_ADMINS": "console:909"}
	turns := chatEnv(t, admins, "707", "/agen", "Setuju", "Ketua RT", "6171054508907007", "Budi Agen", "darat sekip", "RT 1 RW 2",
		"081377788899", "Kirim permohonan")
	if last := turns[len(turns)-1]; !strings.Contains(last[len(last)-1].Text, "Permohonan Anda sudah kami terima") {
		t.Fatalf("application: %+v", turns)
	}
	// Without LINDUNGI_ADMINS naming it, the same user has no admin commands.
	// (The admins were told of the application first.)
	if got := chat(t, "909", "/agen_setujui"); !strings.Contains(got[0][0].Text, "Permohonan agen #") || !strings.Contains(got[0][len(got[0])-1].Text, "tidak kami kenal") {
		t.Fatalf("admin command without LINDUNGI_ADMINS: %+v", got)
	}
	turns = chatEnv(t, admins, "909", "/agen_setujui", "1")
	app := turns[0][0].Text
	if !strings.Contains(app, "Budi Agen") || !strings.Contains(turns[1][len(turns[1])-1].Text, "disetujui") {
		t.Fatalf("approval: %+v", turns)
	}
	id := strings.Fields(strings.TrimPrefix(app, "Permohonan #"))[0]
	var out bytes.Buffer
	if err := run(context.Background(), []string{"lindungi", "audit", "--agent", id, "--since", "2020-01-01"}, testEnv(nil), strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "console:707") || !strings.Contains(out.String(), "agent:apply") || strings.Contains(out.String(), "console:909") {
		t.Errorf("audit --agent %s:\n%s", id, out.String())
	}
	if err := run(context.Background(), []string{"lindungi", "audit", "--agent", "99999"}, testEnv(nil), strings.NewReader(""), &out); err == nil {
		t.Errorf("an unknown agent number is not an error")
	}
}
