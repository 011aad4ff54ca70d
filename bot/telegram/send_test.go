package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/telegram/telegramtest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

func TestSendRequestBodies(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	tests := []struct {
		name   string
		reply  flows.Reply
		markup string
	}{
		{"text removes a reply keyboard", flows.Reply{Text: "Ketik nama lengkap Anda.", Input: flows.InputText},
			`{"remove_keyboard":true}`},
		{"information removes it too", flows.Reply{Text: "Terima kasih.", Input: flows.InputNone},
			`{"remove_keyboard":true}`},
		{"two short choices share a row", flows.Reply{Text: "Setuju?", Choices: []flows.Choice{{Label: "Setuju", Data: "cs:yes"}, {Label: "Tidak", Data: "cs:no"}}},
			`{"inline_keyboard":[[{"text":"Setuju","callback_data":"cs:yes"},{"text":"Tidak","callback_data":"cs:no"}]]}`},
		{"contact question", flows.Reply{Text: "Ketik nomor HP Anda.", Input: flows.InputContact, InputLabel: "📱 Kirim nomor saya"},
			`{"keyboard":[[{"text":"📱 Kirim nomor saya","request_contact":true}]],"resize_keyboard":true,"one_time_keyboard":true}`},
		{"choices win over a contact button", flows.Reply{Text: "Benar?", Input: flows.InputContact, InputLabel: "Kirim", Choices: []flows.Choice{{Label: "Ya", Data: "cf:yes"}}},
			`{"inline_keyboard":[[{"text":"Ya","callback_data":"cf:yes"}]]}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := int64(7000 + i)
			if err := c.Send(context.Background(), fmt.Sprint(chat), tt.reply); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests("sendMessage")
			got := reqs[len(reqs)-1].Params
			// The library sends entities=null with every message (v5.5.1's
			// Params.AddInterface marshals a nil slice); Telegram takes it.
			want := url.Values{"chat_id": {fmt.Sprint(chat)}, "text": {tt.reply.Text}, "reply_markup": {tt.markup}, "entities": {"null"}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("sendMessage sent\n%v\nwant\n%v", got, want)
			}
		})
	}
}

func TestInlineKeyboardLayout(t *testing.T) {
	c := &Client{log: quiet}
	ch := func(label, data string) flows.Choice { return flows.Choice{Label: label, Data: data} }
	long := "Kab. Kepulauan Seribu Utara" // > 16 characters
	tests := []struct {
		name    string
		choices []flows.Choice
		rows    [][]string // callback data per row
	}{
		{"pairs", []flows.Choice{ch("Petani", "oc:petani"), ch("Nelayan", "oc:nelayan"), ch("Sopir", "oc:sopir")},
			[][]string{{"oc:petani", "oc:nelayan"}, {"oc:sopir"}}},
		{"long labels alone", []flows.Choice{ch("Petani", "a"), ch(long, "b"), ch("Sopir", "c"), ch("Ojek", "d")},
			[][]string{{"a"}, {"b"}, {"c", "d"}}},
		{"paging row, then the extra button", []flows.Choice{
			ch("Kab. Sambas", "rg:61.01"), ch("Kab. Bengkayang", "rg:61.02"), ch("Kab. Landak", "rg:61.03"),
			ch("‹ Sebelumnya", "rg:pg:0"), ch("Berikutnya › (3/3)", "rg:pg:2"), ch("Provinsi lain", "pv:other")},
			[][]string{{"rg:61.01", "rg:61.02"}, {"rg:61.03"}, {"rg:pg:0", "rg:pg:2"}, {"pv:other"}}},
		{"bad data skipped", []flows.Choice{ch("A", ""), ch("B", strings.Repeat("x", 65)), ch("C", strings.Repeat("y", 64))},
			[][]string{{strings.Repeat("y", 64)}}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kb := c.inlineKeyboard(tt.choices)
			var got [][]string
			if kb != nil {
				for _, row := range kb.InlineKeyboard {
					if len(row) > maxPerRow {
						t.Errorf("row of %d buttons", len(row))
					}
					var r []string
					for _, b := range row {
						r = append(r, *b.CallbackData)
					}
					got = append(got, r)
				}
			}
			if !reflect.DeepEqual(got, tt.rows) {
				t.Errorf("rows %v, want %v", got, tt.rows)
			}
		})
	}
}

func TestSendSplitsLongMessages(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	para := strings.Repeat("Iuran JKK dan JKM dibayar setiap bulan. ", 50) // 2,000 characters
	text := para + "\n" + para + "\n" + para + "\nPilih:"
	reply := flows.Reply{Text: text, Choices: []flows.Choice{{Label: "Ya", Data: "cf:yes"}}}
	if err := c.Send(context.Background(), "8101", reply); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(8101)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	var joined []string
	for i, m := range msgs {
		if n := units(m.Text); n > maxText {
			t.Errorf("part %d has %d characters", i, n)
		}
		if kb := m.InlineKeyboard(); (len(kb) > 0) != (i == len(msgs)-1) {
			t.Errorf("part %d: keyboard %v (only the last part has it)", i, kb)
		}
		joined = append(joined, m.Text)
	}
	if strings.Join(joined, "\n") != text {
		t.Errorf("the parts do not add up to the text")
	}

	// One line longer than the limit, without spaces, with emoji (two UTF-16 units each).
	line := strings.Repeat("😀", 3000)
	parts := split(line, maxText)
	if len(parts) != 2 || units(parts[0]) != maxText || strings.Join(parts, "") != line {
		t.Errorf("split of %d emoji: %d parts, first %d units", 3000, len(parts), units(parts[0]))
	}
	// Words are kept whole.
	words := strings.Repeat("kata ", 1000) // 5,000 characters
	parts = split(words, maxText)
	if len(parts) != 2 || !strings.HasSuffix(parts[0], "kata ") || strings.Join(parts, "") != words {
		t.Errorf("split of words: %q…", parts[0][len(parts[0])-10:])
	}
	if got := split(" \n ", maxText); len(got) != 0 {
		t.Errorf("blank text split into %q", got)
	}
	if err := c.Send(context.Background(), "8102", flows.Reply{Text: "  "}); bot.Classify(err).Kind != bot.Permanent {
		t.Errorf("blank reply: %v, want a permanent failure", err)
	}
}

func TestSendErrorClassification(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	tests := []struct {
		name  string
		fail  telegramtest.Failure
		kind  bot.Failure
		after time.Duration
	}{
		{"429", telegramtest.TooManyRequests(17), bot.Throttled, 17 * time.Second},
		{"429 without parameters", telegramtest.Failure{Status: 429, Description: "Too Many Requests: retry after 5"}, bot.Throttled, 5 * time.Second},
		{"blocked", telegramtest.Blocked, bot.Unreachable, 0},
		{"deactivated", telegramtest.Deactivated, bot.Unreachable, 0},
		{"cannot initiate", telegramtest.Failure{Status: 403, Description: "Forbidden: bot can't initiate conversation with a user"}, bot.Unreachable, 0},
		{"chat not found", telegramtest.ChatNotFound, bot.Unreachable, 0},
		{"other 400", telegramtest.Failure{Status: 400, Description: "Bad Request: can't parse entities: Unsupported start tag"}, bot.Permanent, 0},
		{"500", telegramtest.InternalError, bot.Retryable, 0},
		{"502 from a proxy", telegramtest.BadGateway, bot.Retryable, 0},
		{"401 wrong token", telegramtest.Failure{Status: 401, Description: "Unauthorized"}, bot.Retryable, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := int64(9000 + i)
			srv.FailSend(chat, 1, tt.fail)
			err := c.Send(context.Background(), fmt.Sprint(chat), flows.Reply{Text: "halo"})
			var se *bot.SendError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *bot.SendError", err, err)
			}
			if se.Kind != tt.kind || se.RetryAfter != tt.after {
				t.Errorf("%v: kind %s, retry after %s; want %s, %s", err, se.Kind, se.RetryAfter, tt.kind, tt.after)
			}
			// The failure was used up: the next try goes through.
			if err := c.Send(context.Background(), fmt.Sprint(chat), flows.Reply{Text: "halo"}); err != nil {
				t.Errorf("second try: %v", err)
			}
		})
	}
	if err := c.Send(context.Background(), "not-a-number", flows.Reply{Text: "halo"}); bot.Classify(err).Kind != bot.Permanent {
		t.Errorf("bad chat id: %v", err)
	}
}

func TestSendNetworkErrorsAreRetryableAndHideTheToken(t *testing.T) {
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/getMe") {
			fmt.Fprint(w, `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Lindungi","username":"lindungi_bot"}}`)
			return
		}
		io.Copy(io.Discard, r.Body) // so the server notices the client leaving
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	c, err := New(context.Background(), Options{Token: telegramtest.Token, Endpoint: slow.URL + "/bot%s/%s",
		HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for name, send := range map[string]func() error{
		"timeout": func() error { return c.Send(context.Background(), "1", flows.Reply{Text: "halo"}) },
		"cancelled": func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			return c.Send(ctx, "1", flows.Reply{Text: "halo"})
		},
	} {
		err := send()
		if k := bot.Classify(err).Kind; k != bot.Retryable {
			t.Errorf("%s: %v is %s, want retryable", name, err, k)
		}
		if strings.Contains(err.Error(), telegramtest.Token) || strings.Contains(err.Error(), "AAHfake") {
			t.Errorf("%s: the error shows the token: %v", name, err)
		}
	}
	close(hang)
	slow.Close()
	err = c.Send(context.Background(), "1", flows.Reply{Text: "halo"})
	if k := bot.Classify(err).Kind; k != bot.Retryable || strings.Contains(err.Error(), telegramtest.Token) {
		t.Errorf("refused connection: %v (%s)", err, k)
	}
	if _, err := New(context.Background(), Options{Token: telegramtest.Token, Endpoint: slow.URL + "/bot%s/%s", Log: quiet}); err == nil ||
		strings.Contains(err.Error(), telegramtest.Token) {
		t.Errorf("New against a dead server: %v", err)
	}
}

func TestAcknowledge(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	if err := c.Send(context.Background(), "8200", flows.Reply{Text: "Setuju?", Choices: []flows.Choice{{Label: "Setuju", Data: "cs:yes"}}}); err != nil {
		t.Fatal(err)
	}
	msg := srv.Messages(8200)[0]
	u := tgbotapi.Update{UpdateID: 5, CallbackQuery: &tgbotapi.CallbackQuery{ID: "4382bfdwdsb323b2d9", From: &tgbotapi.User{ID: 8200},
		Message: &tgbotapi.Message{MessageID: msg.MessageID, Chat: &tgbotapi.Chat{ID: 8200, Type: "private"}}, Data: "cs:yes"}}
	if err := c.Acknowledge(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests("answerCallbackQuery", "editMessageReplyMarkup")
	for i := range reqs {
		reqs[i].At = time.Time{}
	}
	want := []telegramtest.Request{
		{Method: "answerCallbackQuery", Params: url.Values{"callback_query_id": {"4382bfdwdsb323b2d9"}}},
		{Method: "editMessageReplyMarkup", Params: url.Values{"chat_id": {"8200"}, "message_id": {fmt.Sprint(msg.MessageID)},
			"reply_markup": {`{"inline_keyboard":[]}`}}},
	}
	if !reflect.DeepEqual(reqs, want) {
		t.Errorf("requests\n%+v\nwant\n%+v", reqs, want)
	}
	if kb := srv.Messages(8200)[0].InlineKeyboard(); len(kb) != 0 {
		t.Errorf("keyboard still there: %v", kb)
	}
	// Pressed again (a replayed update): "message is not modified" is no error.
	if err := c.Acknowledge(context.Background(), u); err != nil {
		t.Errorf("second acknowledge: %v", err)
	}
	// A text message needs no housekeeping.
	if err := c.Acknowledge(context.Background(), tgbotapi.Update{UpdateID: 6, Message: &tgbotapi.Message{Text: "x"}}); err != nil {
		t.Error(err)
	}
	// A real failure is reported.
	srv.Fail("answerCallbackQuery", 0, 1, telegramtest.InternalError)
	if err := c.Acknowledge(context.Background(), u); err == nil {
		t.Error("a 500 from answerCallbackQuery was not reported")
	}
}

type pngPhotos struct{ fail bool }

func (p pngPhotos) Photo(ctx context.Context, name string) ([]byte, error) {
	if p.fail {
		return nil, errors.New("no such card")
	}
	return []byte("\x89PNG\r\n\x1a\n" + name), nil
}

func TestSendPhoto(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	c.photos = pngPhotos{}
	if err := c.Send(context.Background(), "555", flows.Reply{Text: "📄 Kartu peserta Siti", Photo: "card:LD2611-AAAAAA"}); err != nil {
		t.Fatal(err)
	}
	ms := srv.Messages(555)
	if len(ms) != 1 || string(ms[0].Photo) != "\x89PNG\r\n\x1a\ncard:LD2611-AAAAAA" || ms[0].Text != "📄 Kartu peserta Siti" {
		t.Fatalf("sent %+v", ms)
	}
	c.photos = pngPhotos{fail: true}
	err := c.Send(context.Background(), "555", flows.Reply{Text: "x", Photo: "card:gone"})
	var se *bot.SendError
	if !errors.As(err, &se) || se.Kind != bot.Permanent {
		t.Fatalf("a card that cannot be drawn: %v", err)
	}
}

// A long reply whose second part fails: the error says one part went out,
// and sending from there delivers the rest, so nobody reads a part twice.
// A card whose separate text fails is not sent again either.
func TestSendResumesAfterDeliveredParts(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	para := strings.Repeat("Iuran JKK dan JKM dibayar setiap bulan. ", 50)
	text := para + "\n" + para + "\n" + para + "\n" + para + "\nPilih:"
	reply := flows.Reply{Text: text, Choices: []flows.Choice{{Label: "Ya", Data: "cf:yes"}}}
	first := true
	srv.OnMessage(func(m telegramtest.Message) {
		if m.ChatID == 8301 && first {
			first = false
			srv.FailSend(8301, 1, telegramtest.InternalError)
		}
	})
	err := c.Send(context.Background(), "8301", reply)
	se := bot.Classify(err)
	if err == nil || se.Kind != bot.Retryable || se.Delivered != 1 || len(srv.Messages(8301)) != 1 {
		t.Fatalf("the failed attempt: %v, delivered %d, %d messages", err, se.Delivered, len(srv.Messages(8301)))
	}
	if err := c.SendFrom(context.Background(), "8301", reply, se.Delivered); err != nil {
		t.Fatal(err)
	}
	var joined []string
	msgs := srv.Messages(8301)
	for i, m := range msgs {
		joined = append(joined, m.Text)
		if kb := m.InlineKeyboard(); (len(kb) > 0) != (i == len(msgs)-1) {
			t.Errorf("part %d: keyboard %v (only the last part has it)", i, kb)
		}
	}
	if len(msgs) != 2 || strings.Join(joined, "\n") != text {
		t.Fatalf("%d messages; the parts add up to the text: %v", len(msgs), strings.Join(joined, "\n") == text)
	}

	c.photos = pngPhotos{}
	long := flows.Reply{Text: strings.Repeat("Kartu peserta. ", 100), Photo: "card:LD2611-BBBBBB"} // too long for a caption
	srv.FailSend(8302, 1, telegramtest.TooManyRequests(3))
	err = c.Send(context.Background(), "8302", long)
	if se := bot.Classify(err); se.Kind != bot.Throttled || se.Delivered != 1 {
		t.Fatalf("the card's text throttled: %v, delivered %d", err, se.Delivered)
	}
	if err := c.SendFrom(context.Background(), "8302", long, 1); err != nil {
		t.Fatal(err)
	}
	if ms := srv.Messages(8302); len(ms) != 2 || len(ms[0].Photo) == 0 || len(ms[1].Photo) != 0 || ms[1].Text != long.Text {
		t.Fatalf("sent %d messages: a card, then its text, each once", len(ms))
	}
}

// Through the outbox: a 429 on the second part pauses the channel; after the
// pause only the rest goes out, whatever process sends it.
func TestDeliveryResumesALongReply(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newClient(t, srv)
	ctx := context.Background()
	channel := fmt.Sprintf("tgparts%d", clock.Now().UnixNano())
	para := strings.Repeat("Pengumuman dari kantor cabang. ", 60)
	text := para + "\n" + para + "\n" + para
	if err := testDB.Atomically(ctx, channel, "8303", func(ctx context.Context, tx flows.Tx) error {
		return tx.Send(ctx, []flows.Reply{{Text: text}})
	}); err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	clk := func() time.Time { return now }
	first := true
	srv.OnMessage(func(m telegramtest.Message) {
		if m.ChatID == 8303 && first {
			first = false
			srv.FailSend(8303, 1, telegramtest.TooManyRequests(2))
		}
	})
	d := &bot.Deliverer{Outbox: testDB, Senders: map[string]bot.Sender{channel: c}, Rate: 1000, PerChat: time.Millisecond, Now: clk, Log: quiet}
	if _, _, err := d.Round(ctx, []string{channel}); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages(8303)); n != 1 {
		t.Fatalf("%d messages before the pause", n)
	}
	// Another process (a new Deliverer) sends after the pause.
	now = now.Add(3 * time.Second)
	d = &bot.Deliverer{Outbox: testDB, Senders: map[string]bot.Sender{channel: c}, Rate: 1000, PerChat: time.Millisecond, Now: clk, Log: quiet}
	if _, _, err := d.Round(ctx, []string{channel}); err != nil {
		t.Fatal(err)
	}
	var joined []string
	for _, m := range srv.Messages(8303) {
		joined = append(joined, m.Text)
	}
	if want := len(split(text, maxText)); want < 2 || len(joined) != want || strings.Join(joined, "\n") != text {
		t.Fatalf("%d messages of %d parts; they add up to the text: %v", len(joined), want, strings.Join(joined, "\n") == text)
	}
	if left, _ := testDB.PendingFor(ctx, channel, "8303"); len(left) != 0 {
		t.Fatalf("still pending: %+v", left)
	}
}

// Many sends at once (a broadcast's senders beside the replies) reuse their
// connections instead of opening one per message (over TLS to Telegram, a
// handshake each).
func TestSendsReuseConnections(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, err := New(context.Background(), Options{Token: telegramtest.Token, Endpoint: srv.Endpoint(), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	const senders, rounds = 24, 10
	for r := range rounds {
		var wg sync.WaitGroup
		for i := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.Send(context.Background(), strconv.Itoa(9000+i), flows.Reply{Text: fmt.Sprintf("Pengumuman %d", r)}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	if n := srv.Conns(); n > senders+2 {
		t.Errorf("%d sends by %d senders opened %d connections, want at most %d", senders*rounds, senders, n, senders+2)
	}
}
