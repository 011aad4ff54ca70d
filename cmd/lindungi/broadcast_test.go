package main

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/clock"
)

// seedRecipients makes n chats of workers registered in Kota Pontianak from
// chat id base on, the first `twice` of them with a second registration in
// Kota Singkawang.
func seedRecipients(t *testing.T, db *sqlx.DB, base, n, twice int) {
	t.Helper()
	if err := run(context.Background(), []string{"lindungi", "migrate"}, testEnv(nil), strings.NewReader(""), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO registrations (ref, channel, chat_id, name, regency, district, status, created_at, updated_at)
		SELECT 'BC' || $1::int || '-' || g, 'telegram', ($1::int + g)::text, 'Warga', '61.71', '61.71.05', 'menunggu_pembayaran', now(), now()
		FROM generate_series(1, $2::int) g`, base, n)
	db.MustExec(`INSERT INTO registrations (ref, channel, chat_id, name, regency, district, status, created_at, updated_at)
		SELECT 'BD' || $1::int || '-' || g, 'telegram', ($1::int + g)::text, 'Warga', '61.72', '61.72.01', 'menunggu_pembayaran', now(), now()
		FROM generate_series(1, $2::int) g`, base, twice)
}

func sendBroadcast(t *testing.T, text string, flags ...string) int64 {
	t.Helper()
	var out bytes.Buffer
	args := append([]string{"lindungi", "broadcast", "send", "--text", text, "--yes"}, flags...)
	if err := run(context.Background(), args, testEnv(nil), strings.NewReader(""), &out); err != nil {
		t.Fatalf("broadcast send: %v\n%s", err, out.String())
	}
	f := strings.Fields(out.String()[strings.Index(out.String(), "broadcast "):])
	id, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("no broadcast id in %q", out.String())
	}
	return id
}

// A broadcast to 5,000 people, 1,000 of whom match twice, with some who
// blocked the bot and some who opted out; the delivering process is killed
// in the middle and started again.
func TestBroadcastSurvivesAKill(t *testing.T) {
	tg := telegramtest.NewServer(t)
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	const base, n = 8_000_000, 5000
	seedRecipients(t, db, base, n, 1000)
	for i := 1; i <= 10; i++ {
		tg.FailSend(int64(base+i), -1, telegramtest.Blocked)
	}
	db.MustExec(`INSERT INTO opt_outs (channel, chat_id, at) SELECT 'telegram', ($1::int + g)::text, now() FROM generate_series(4991, 5000) g`, base)

	var out bytes.Buffer
	run(context.Background(), []string{"lindungi", "broadcast", "send", "--text", "x", "--regency", "61.71,61.72"}, testEnv(nil), strings.NewReader(""), &out)
	if !strings.Contains(out.String(), "recipients now: 4,990") || !strings.Contains(out.String(), "nothing sent") {
		t.Fatalf("count without --yes: %s", out.String())
	}
	id := sendBroadcast(t, "Siaran uji *penting*", "--regency", "61.71,61.72", "--button", "pay")

	start := func() *exec.Cmd {
		cmd, _ := startChild(t, tg, "LINDUNGI_TELEGRAM_RATE=2000", "LINDUNGI_QUIET_HOURS=off")
		return cmd
	}
	broadcastMsgs := func() map[int64]int {
		got := map[int64]int{}
		for _, m := range tg.AllMessages() {
			if m.Text == "Siaran uji <b>penting</b>" {
				got[m.ChatID]++
			}
		}
		return got
	}
	child := start()
	waitFor(t, "a third of the broadcast", func() bool { return len(broadcastMsgs()) >= 1500 })
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	atKill := len(broadcastMsgs())
	child = start()
	defer func() { child.Process.Signal(syscall.SIGTERM); child.Wait() }()
	var status string
	waited := clock.Start()
	for waited.Elapsed() < 30*time.Second && status != "done" {
		time.Sleep(100 * time.Millisecond)
		db.Get(&status, `SELECT status FROM broadcasts WHERE id = $1`, id)
	}
	if status != "done" {
		t.Fatalf("broadcast %d is %q after the restart", id, status)
	}
	var c struct {
		Sent, Unknown, Blocked, OptedOut, Other int
	}
	db.Get(&c, `SELECT count(*) FILTER (WHERE state = 'sent') AS sent, count(*) FILTER (WHERE state = 'unknown') AS unknown,
		count(*) FILTER (WHERE state = 'blocked') AS blocked, count(*) FILTER (WHERE state = 'opted_out') AS optedout,
		count(*) FILTER (WHERE state NOT IN ('sent', 'unknown', 'blocked', 'opted_out')) AS other
		FROM broadcast_recipients WHERE broadcast_id = $1`, id)
	got := broadcastMsgs()
	twice := 0
	for _, k := range got {
		if k > 1 {
			twice++
		}
	}
	t.Logf("at the kill %d delivered; then sent %d, unknown %d, blocked %d, opted out %d", atKill, c.Sent, c.Unknown, c.Blocked, c.OptedOut)
	if twice > 0 {
		t.Errorf("%d people got the broadcast twice", twice)
	}
	if c.Sent+c.Unknown+c.Blocked != 4990 || c.Blocked != 10 || c.OptedOut != 0 || c.Other != 0 {
		t.Errorf("counts %+v, want 4,990 recipients (10 blocked)", c)
	}
	if c.Unknown > 500 { // one batch in flight at 2,000/s
		t.Errorf("%d unknown, more than one batch", c.Unknown)
	}
	if len(got) < c.Sent || len(got) > c.Sent+c.Unknown {
		t.Errorf("%d people got it; %d sent + %d unknown", len(got), c.Sent, c.Unknown)
	}
	var blocked int
	db.Get(&blocked, `SELECT count(*) FROM unreachable_chats WHERE channel = 'telegram' AND chat_id::bigint BETWEEN $1 AND $2`, base+1, base+10)
	if blocked != 10 {
		t.Errorf("%d blocked chats marked unreachable", blocked)
	}
	var out2 bytes.Buffer
	run(context.Background(), []string{"lindungi", "broadcast", "status", strconv.FormatInt(id, 10)}, testEnv(nil), strings.NewReader(""), &out2)
	if !strings.Contains(out2.String(), "100%") || !strings.Contains(out2.String(), "Selesai") {
		t.Errorf("status: %s", out2.String())
	}
}

// A 429 pauses the whole channel for its retry_after, and no other 429 follows.
func TestBroadcastThrottled(t *testing.T) {
	tg := telegramtest.NewServer(t)
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	const base = 8_100_000
	seedRecipients(t, db, base, 40, 0)
	db.MustExec(`UPDATE registrations SET district = '61.71.03' WHERE chat_id::bigint > $1 AND chat_id::bigint <= $1 + 40`, base)
	id := sendBroadcast(t, "Pengumuman 429", "--district", "61.71.03")
	tg.Fail("sendMessage", 0, 1, telegramtest.TooManyRequests(2))
	_, stop := startServe(t, map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": tg.Endpoint(),
		"LINDUNGI_TELEGRAM_RATE": "500"})
	defer stop()
	var status string
	waited := clock.Start()
	for waited.Elapsed() < 15*time.Second && status != "done" {
		time.Sleep(50 * time.Millisecond)
		db.Get(&status, `SELECT status FROM broadcasts WHERE id = $1`, id)
	}
	if status != "done" {
		t.Fatalf("broadcast is %q", status)
	}
	var sent int
	for _, m := range tg.AllMessages() {
		if m.Text == "Pengumuman 429" {
			sent++
		}
	}
	if sent != 40 {
		t.Fatalf("%d sent, want 40", sent)
	}
	// Calls already on their way when the 429 came finish; after it, no new
	// call for its 2 s, and no second 429.
	reqs := tg.Requests("sendMessage")
	var at429 time.Time
	for _, r := range reqs {
		if r.Failed {
			if !at429.IsZero() {
				t.Errorf("a second 429")
			}
			at429 = r.At
		}
	}
	for _, r := range reqs {
		if d := r.At.Sub(at429); d > 100*time.Millisecond && d < 1900*time.Millisecond {
			t.Errorf("a sendMessage call %v after the 429, inside its 2 s pause", d)
		}
	}
	if len(reqs) != 41 {
		t.Errorf("%d sendMessage calls for 40 recipients and one 429: a resend", len(reqs))
	}
}

// The admin who sent a broadcast from Telegram sees one progress message,
// edited in place, and a final report.
func TestBroadcastProgressEditedInPlace(t *testing.T) {
	tg := telegramtest.NewServer(t)
	db := sqlx.MustConnect("postgres", testDSN)
	defer db.Close()
	const base, admin = 8_200_000, 8_299_999
	seedRecipients(t, db, base, 150, 0)
	db.MustExec(`UPDATE registrations SET district = '61.71.06' WHERE chat_id::bigint > $1 AND chat_id::bigint <= $1 + 150`, base)
	var id int64
	db.Get(&id, `INSERT INTO broadcasts (segment, text, button, scheduled_at, status, created_by, report_channel, report_chat, created_at, updated_at)
		VALUES ('{"districts":["61.71.06"]}', 'Kabar kemajuan', '', now(), 'scheduled', 'telegram:8299999', 'telegram', $1, now(), now()) RETURNING id`,
		strconv.Itoa(admin))
	_, stop := startServe(t, map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": tg.Endpoint(),
		"LINDUNGI_TELEGRAM_RATE": "50"})
	defer stop()
	waitFor(t, "the final report", func() bool { return strings.Contains(lastMessage(tg, admin), "selesai untuk 150 penerima") })
	msgs := tg.Messages(admin)
	if len(msgs) != 2 {
		t.Fatalf("admin got %d messages, want the progress message and the report: %+v", len(msgs), msgs)
	}
	p := msgs[0]
	if p.Edits < 1 || !strings.Contains(p.Text, "150 / 150 terkirim") || !strings.Contains(p.Text, "Selesai") || len(p.InlineKeyboard()) != 0 {
		t.Errorf("progress message: %+v", p)
	}
	_ = id
}
