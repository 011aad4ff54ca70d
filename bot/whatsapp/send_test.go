package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/bot/whatsapp/whatsapptest"
	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// compactJSON is s without the spaces between tokens, to compare bodies.
func compactJSON(t *testing.T, s []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, s); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return b.String()
}

// The exact bodies of what goes out (Meta's shapes, as in WHATSAPP.md).
func TestSendRequestBodies(t *testing.T) {
	choices := func(n int) []flows.Choice {
		out := make([]flows.Choice, n)
		for i := range out {
			out[i] = flows.Choice{Label: fmt.Sprintf("Pilihan %d", i+1), Data: fmt.Sprintf("x:%d", i+1)}
		}
		return out
	}
	tests := []struct {
		name string
		to   string
		r    flows.Reply
		want []string
	}{
		{"text to a BSUID", siti, flows.Reply{Text: "Selamat datang di *Lindungi*."},
			[]string{`{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"ID.1502576394655843","type":"text","text":{"body":"Selamat datang di *Lindungi*.","preview_url":false}}`}},
		{"text to a number", "6281234567890", flows.Reply{Text: "Halo"},
			[]string{`{"messaging_product":"whatsapp","recipient_type":"individual","to":"6281234567890","type":"text","text":{"body":"Halo","preview_url":false}}`}},
		{"buttons", siti, flows.Reply{Text: "Lahir 17-08-1985, perempuan (dari NIK). Benar?",
			Choices: []flows.Choice{{Label: "Benar", Data: "dob:ok"}, {Label: "Ubah", Data: "dob:edit"}}},
			[]string{`{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"ID.1502576394655843","type":"interactive","interactive":{"type":"button","body":{"text":"Lahir 17-08-1985, perempuan (dari NIK). Benar?"},"action":{"buttons":[{"type":"reply","reply":{"id":"dob:ok","title":"Benar"}},{"type":"reply","reply":{"id":"dob:edit","title":"Ubah"}}]}}}`}},
		{"a long button label is cut", siti, flows.Reply{Text: "Setuju?", Choices: []flows.Choice{{Label: "Ya, saya setuju dengan semuanya", Data: "cs:yes"}}},
			[]string{`{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"ID.1502576394655843","type":"interactive","interactive":{"type":"button","body":{"text":"Setuju?"},"action":{"buttons":[{"type":"reply","reply":{"id":"cs:yes","title":"Ya, saya setuju den…"}}]}}}`}},
		{"list", siti, flows.Reply{Text: "Pilih kabupaten/kota domisili", Choices: []flows.Choice{
			{Label: "Kota Pontianak", Data: "reg:61.71"}, {Label: "Kab. Mempawah", Data: "reg:61.04"},
			{Label: "Kab. Kubu Raya", Data: "reg:61.12"}, {Label: "Kab. Kapuas Hulu Bagian Utara Sekali", Data: "reg:61.06"}}},
			[]string{`{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"ID.1502576394655843","type":"interactive","interactive":{"type":"list","body":{"text":"Pilih kabupaten/kota domisili"},"action":{"button":"Pilih","sections":[{"rows":[{"id":"reg:61.71","title":"Kota Pontianak"},{"id":"reg:61.04","title":"Kab. Mempawah"},{"id":"reg:61.12","title":"Kab. Kubu Raya"},{"id":"reg:61.06","title":"Kab. Kapuas Hulu Bagian…","description":"Kab. Kapuas Hulu Bagian Utara Sekali"}]}]}}}`}},
		// Two labels the same once cut: buttons would be refused, a list is not.
		{"buttons whose cut titles collide", siti, flows.Reply{Text: "Pilih", Choices: []flows.Choice{
			{Label: "Bayar 3 bulan sekaligus Rp50.400", Data: "ay:3"}, {Label: "Bayar 3 bulan sekaligus Rp60.000", Data: "ay:3b"}}},
			[]string{`{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"ID.1502576394655843","type":"interactive","interactive":{"type":"list","body":{"text":"Pilih"},"action":{"button":"Pilih","sections":[{"rows":[{"id":"ay:3","title":"Bayar 3 bulan sekaligus…","description":"Bayar 3 bulan sekaligus Rp50.400"},{"id":"ay:3b","title":"Bayar 3 bulan sekaligus…","description":"Bayar 3 bulan sekaligus Rp60.000"}]}]}}}`}},
		{"ten choices in one list", siti, flows.Reply{Text: "Pilih", Choices: choices(10)}, nil},
		{"choices without id or label are left out", siti, flows.Reply{Text: "Pilih", Choices: []flows.Choice{{Label: "A", Data: "a"}, {Label: "", Data: "b"}, {Label: "C", Data: ""}, {Label: "A again", Data: "a"}}},
			[]string{`{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"ID.1502576394655843","type":"interactive","interactive":{"type":"button","body":{"text":"Pilih"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]}}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := whatsapptest.NewServer(t)
			c := newClient(t, srv, nil)
			ids, err := c.Send(context.Background(), tt.to, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests("messages")
			if len(ids) != len(reqs) || len(reqs) == 0 {
				t.Fatalf("%d wamids for %d requests", len(ids), len(reqs))
			}
			for i, m := range srv.AllMessages() {
				if ids[i] != m.ID {
					t.Errorf("wamid %d %q, the server gave %q", i, ids[i], m.ID)
				}
			}
			if tt.want == nil {
				if n := len(srv.AllMessages()[0].Choices()); n != len(tt.r.Choices) {
					t.Errorf("%d rows, want %d", n, len(tt.r.Choices))
				}
				return
			}
			for i, w := range tt.want {
				if got := compactJSON(t, reqs[i].Body); got != w {
					t.Errorf("request %d\n%s\nwant\n%s", i, got, w)
				}
			}
		})
	}
}

// A text over 4096 characters goes in parts, in order, at line breaks; with
// choices the last part is the interactive body, within 1024.
func TestSendSplitsLongText(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, nil)
	var b strings.Builder
	for i := 1; b.Len() < 9000; i++ {
		fmt.Fprintf(&b, "Baris %03d: Iuran JKK dan JKM Rp16.800 sebulan, dibayar di bank atau minimarket. 🙏\n", i)
	}
	text := b.String() + "Lanjut bayar?"
	ids, err := c.Send(context.Background(), siti, flows.Reply{Text: text, Choices: []flows.Choice{{Label: "Bayar", Data: "pay:go"}, {Label: "Nanti", Data: "pay:later"}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(siti)
	if len(msgs) != len(ids) || len(msgs) < 3 {
		t.Fatalf("%d messages", len(msgs))
	}
	var joined []string
	for i, m := range msgs {
		last := i == len(msgs)-1
		switch {
		case !last && (m.Type != "text" || units(m.Text) > maxText):
			t.Errorf("part %d: %s of %d units", i, m.Type, units(m.Text))
		case last && (m.Type != "interactive" || units(m.Text) > maxBody || !strings.HasSuffix(m.Text, "Lanjut bayar?")):
			t.Errorf("last part: %s of %d units ending %q", m.Type, units(m.Text), m.Text[max(0, len(m.Text)-20):])
		}
		if !strings.HasPrefix(m.Text, "Baris") && !last {
			t.Errorf("part %d does not begin at a line: %q", i, m.Text[:20])
		}
		joined = append(joined, m.Text)
	}
	if got := strings.Join(joined, "\n"); got != strings.TrimRight(text, "\n") {
		t.Errorf("the parts do not make the text again")
	}
}

func TestSplitAndFit(t *testing.T) {
	if got := fit("Kabupaten Kapuas Hulu", 20); got != "Kabupaten Kapuas Hu…" || units(got) != 20 {
		t.Errorf("fit = %q", got)
	}
	if got := fit("  Dua\nbaris  ", 20); got != "Dua baris" {
		t.Errorf("fit = %q", got)
	}
	if got := fit("😀😀😀😀😀😀😀😀😀😀😀", 20); units(got) > 20 {
		t.Errorf("fit of emoji = %q (%d units)", got, units(got))
	}
	// One long line with no breaks: cut at spaces.
	line := strings.Repeat("kata ", 500)
	head, body := splitBody(line)
	if units(body) > maxBody || !strings.HasPrefix(body, "kata") || head+body != strings.TrimRight(line, "\n") {
		t.Errorf("splitBody of one line: head %d, body %d units", units(head), units(body))
	}
	// No space at all: cut between characters, never inside one.
	solid := strings.Repeat("é", 5000)
	for _, p := range split(solid, maxText) {
		if units(p) > maxText || !strings.HasPrefix(p, "é") {
			t.Errorf("part of %d units", units(p))
		}
	}
	if parts := split("\n\n  \n", maxText); len(parts) != 0 {
		t.Errorf("blank text gave parts %q", parts)
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		n, page int
		want    pageLayout
	}{
		{3, 0, pageLayout{0, 1, 0, 3, false, false}},
		{10, 0, pageLayout{0, 1, 0, 10, false, false}},
		{11, 0, pageLayout{0, 2, 0, 9, false, true}},
		{11, 1, pageLayout{1, 2, 9, 11, true, false}},
		{14, 1, pageLayout{1, 2, 9, 14, true, false}},
		{18, 1, pageLayout{1, 2, 9, 18, true, false}},
		{19, 1, pageLayout{1, 3, 9, 17, true, true}},
		{19, 2, pageLayout{2, 3, 17, 19, true, false}},
		{19, 7, pageLayout{2, 3, 17, 19, true, false}},
		{19, -1, pageLayout{0, 3, 0, 9, false, true}},
	}
	for _, tt := range tests {
		if got := layout(tt.n, tt.page); got != tt.want {
			t.Errorf("layout(%d, %d) = %+v, want %+v", tt.n, tt.page, got, tt.want)
		}
	}
	// Every choice on exactly one page, every page within 10 rows.
	for n := 11; n < 200; n++ {
		l0 := layout(n, 0)
		next := 0
		for p := 0; p < l0.pages; p++ {
			l := layout(n, p)
			rows := l.to - l.from
			if l.prev {
				rows++
			}
			if l.next {
				rows++
			}
			if l.from != next || rows > maxRows || l.to <= l.from {
				t.Fatalf("n %d page %d: %+v", n, p, l)
			}
			next = l.to
		}
		if next != n {
			t.Fatalf("n %d: pages end at %d", n, next)
		}
	}
}

// pngPhotos draws a 1×1 PNG for any name.
type pngPhotos struct{ fail bool }

func (p pngPhotos) Photo(ctx context.Context, name string) ([]byte, error) {
	if p.fail {
		return nil, errors.New("no such card")
	}
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1, 1)))
	return b.Bytes(), nil
}

func TestSendPhoto(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, func(o *Options) { o.Photos = pngPhotos{} })
	// The card with its text as the caption.
	ids, err := c.Send(context.Background(), siti, flows.Reply{Text: "Kartu peserta Anda", Photo: "card:LD2611-7K3M9Q"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(siti)
	if len(ids) != 1 || len(msgs) != 1 || msgs[0].Type != "image" || msgs[0].Text != "Kartu peserta Anda" {
		t.Fatalf("messages %+v", msgs)
	}
	data, mime := srv.Media(msgs[0].Image)
	if mime != "image/png" || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Errorf("uploaded %q of %d bytes", mime, len(data))
	}
	up := srv.Requests("media")[0]
	if up.Fields["messaging_product"] != "whatsapp" || up.Fields["type"] != "image/png" {
		t.Errorf("upload fields %v", up.Fields)
	}
	// With choices: the card, then the question with its buttons.
	ids, err = c.Send(context.Background(), siti, flows.Reply{Text: "Kartu Anda. Unduh lagi?", Photo: "card:LD2611-7K3M9Q",
		Choices: []flows.Choice{{Label: "Ya", Data: "k:yes"}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs = srv.Messages(siti)[1:]
	if len(ids) != 2 || msgs[0].Type != "image" || msgs[0].Text != "" || msgs[1].Type != "interactive" {
		t.Errorf("messages %+v", msgs)
	}
	// A card that cannot be drawn is a reply that can never go.
	bad := newClient(t, srv, func(o *Options) { o.Photos = pngPhotos{fail: true} })
	if _, err := bad.Send(context.Background(), siti, flows.Reply{Text: "x", Photo: "card:nope"}); bot.Classify(err).Kind != bot.Permanent {
		t.Errorf("undrawable card: %v", err)
	}
	// Without Photos, the text goes alone (numbered from part 1).
	plain := newClient(t, srv, nil)
	if ids, err := plain.Send(context.Background(), "6281200000001", flows.Reply{Text: "Kartu", Photo: "card:LD"}); err != nil || len(ids) != 1 {
		t.Errorf("%v %v", ids, err)
	}
	if _, err := c.UploadMedia(context.Background(), []byte("GIF89a"), "image/gif"); bot.Classify(err).Kind != bot.Permanent {
		t.Errorf("a GIF upload: %v", err)
	}
}

// A failure after some parts says how many went out; SendFrom sends the
// rest, so nobody reads a part twice.
func TestSendResumesAfterDeliveredParts(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, func(o *Options) { o.Photos = pngPhotos{} })
	long := strings.Repeat("Paragraf panjang tentang iuran. ", 300) // about 9600 characters: 3 parts
	r := flows.Reply{Text: long, Photo: "card:LD2611-7K3M9Q"}
	// The card and the first text part go, the second fails.
	n := 0
	srv.OnMessage(func(whatsapptest.Message) {
		n++
		if n == 2 {
			srv.Fail("messages", "", 1, whatsapptest.Unknown)
		}
	})
	_, err := c.Send(context.Background(), siti, r)
	se := bot.Classify(err)
	if se.Kind != bot.Retryable || se.Delivered != 2 {
		t.Fatalf("error %v, delivered %d, want retryable after 2 parts", err, se.Delivered)
	}
	srv.OnMessage(nil)
	ids, err := c.SendFrom(context.Background(), siti, r, se.Delivered)
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(siti)
	if len(ids) != 2 || len(msgs) != 4 || msgs[0].Type != "image" {
		t.Fatalf("%d wamids, messages %d", len(ids), len(msgs))
	}
	var text strings.Builder
	for _, m := range msgs[1:] {
		text.WriteString(m.Text)
	}
	if got, want := strings.Join(strings.Fields(text.String()), " "), strings.Join(strings.Fields(long), " "); got != want {
		t.Errorf("the text's parts, resumed, do not make the text (%d vs %d)", len(got), len(want))
	}
	if len(srv.Requests("media")) != 1 {
		t.Errorf("the card was uploaded %d times", len(srv.Requests("media")))
	}
}

func TestSendPagedList(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	menus := NewMemoryMenus(10, time.Hour, clock.Now)
	c := newClient(t, srv, func(o *Options) { o.Menus = menus })
	var choices []flows.Choice
	for i := 1; i <= 19; i++ {
		choices = append(choices, flows.Choice{Label: fmt.Sprintf("Desa %d", i), Data: fmt.Sprintf("vl:%d", i)})
	}
	r := flows.Reply{Text: "Pilih desa/kelurahan", Choices: choices}
	if _, err := c.Send(context.Background(), siti, r); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages(siti)[0]
	rows := m.Choices()
	key := menuKey(siti, r)
	if len(rows) != 10 || rows[8].ID != "vl:9" || rows[9].ID != "wa:pg:"+key+":1" || rows[9].Title != "Berikutnya ›" || m.Interactive.Button != "Pilih (1/3)" {
		t.Fatalf("page 1: %q %+v", m.Interactive.Button, rows)
	}
	if _, err := menus.Menu(context.Background(), siti, key); err != nil {
		t.Fatalf("the reply is not kept: %v", err)
	}
	for page, want := range map[int][]string{1: {"vl:10", "vl:17", "wa:pg:" + key + ":0", "wa:pg:" + key + ":2"}, 2: {"vl:18", "vl:19", "wa:pg:" + key + ":1"}} {
		if err := c.TurnPage(context.Background(), PageTurn{ChatID: siti, Key: key, Page: page}); err != nil {
			t.Fatal(err)
		}
		msgs := srv.Messages(siti)
		rows := msgs[len(msgs)-1].Choices()
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		if ids[0] != want[0] || ids[len(ids)-1] != want[len(want)-1] || msgs[len(msgs)-1].Text != "Pilih desa/kelurahan" {
			t.Errorf("page %d: %v", page+1, ids)
		}
	}
	if err := c.TurnPage(context.Background(), PageTurn{ChatID: siti, Key: "nope", Page: 1}); !errors.Is(err, ErrNoMenu) {
		t.Errorf("unknown menu: %v", err)
	}
	if err := c.TurnPage(context.Background(), PageTurn{ChatID: "ID.999", Key: key, Page: 1}); !errors.Is(err, ErrNoMenu) {
		t.Errorf("another chat's menu: %v", err)
	}
	menus.Forget(siti)
	if _, err := menus.Menu(context.Background(), siti, key); !errors.Is(err, ErrNoMenu) {
		t.Errorf("forgotten menu: %v", err)
	}
}

func TestMemoryMenusBoundAndExpiry(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	m := NewMemoryMenus(3, time.Hour, func() time.Time { return now })
	ctx := context.Background()
	for i := range 5 {
		m.SaveMenu(ctx, "c", fmt.Sprint(i), flows.Reply{Text: fmt.Sprint(i)})
	}
	for i, want := range []bool{false, false, true, true, true} {
		if _, err := m.Menu(ctx, "c", fmt.Sprint(i)); (err == nil) != want {
			t.Errorf("menu %d kept: %v", i, err == nil)
		}
	}
	now = now.Add(2 * time.Hour)
	if _, err := m.Menu(ctx, "c", "4"); !errors.Is(err, ErrNoMenu) {
		t.Errorf("an expired menu: %v", err)
	}
}

func TestTemplates(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, nil)
	ctx := context.Background()
	id, err := c.SendTemplateMessage(ctx, "6281234567890", Template{Name: "iuran_jatuh_tempo", Lang: "id",
		Body: []string{"Siti", "31 Desember 2026", "Rp16.800"}, Payloads: []string{"bayar:LD2611-7K3M9Q"}})
	if err != nil || id == "" {
		t.Fatal(id, err)
	}
	want := `{"messaging_product":"whatsapp","recipient_type":"individual","to":"6281234567890","type":"template","template":{"name":"iuran_jatuh_tempo","language":{"code":"id"},"components":[{"type":"body","parameters":[{"type":"text","text":"Siti"},{"type":"text","text":"31 Desember 2026"},{"type":"text","text":"Rp16.800"}]},{"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"bayar:LD2611-7K3M9Q"}]}]}}`
	if got := compactJSON(t, srv.Requests("messages")[0].Body); got != want {
		t.Errorf("template body\n%s\nwant\n%s", got, want)
	}
	// Parameters WhatsApp refuses are made acceptable.
	if _, err := c.SendTemplate(ctx, siti, "kpj_terbit", "en", []string{"Siti\nAminah", "", "a      b"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(siti)[0].Template.Body; !reflect.DeepEqual(got, []string{"Siti Aminah", "-", "a b"}) {
		t.Errorf("parameters %q", got)
	}
	// Meta's template errors are template problems, kept for an admin.
	srv.AddTemplate("iuran_jatuh_tempo", "id", 3)
	for _, tt := range []struct {
		name   string
		params []string
		code   int
	}{{"iuran_jatuh_tempo", []string{"Siti"}, 132000}, {"tidak_ada", nil, 132001}} {
		_, err := c.SendTemplate(ctx, siti, tt.name, "id", tt.params)
		var e *Error
		if !errors.As(err, &e) || e.Code != tt.code || !e.TemplateProblem() || bot.Classify(err).Kind != bot.Permanent {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	srv.SetTemplateStatus("iuran_jatuh_tempo", "id", "PAUSED")
	if _, err := c.SendTemplate(ctx, siti, "iuran_jatuh_tempo", "id", []string{"a", "b", "c"}); !strings.Contains(fmt.Sprint(err), "132015") {
		t.Errorf("paused template: %v", err)
	}

	// Submitting and reading the review status.
	def := TemplateDef{Name: "kartu_siap", Language: "id", Category: "UTILITY", Components: []TemplateComponent{
		{Type: "BODY", Text: "Halo {{1}}, kartu peserta Anda sudah terbit.", Example: &TemplateExample{BodyText: [][]string{{"Siti"}}}},
		{Type: "BUTTONS", Buttons: []TemplateButton{{Type: "QUICK_REPLY", Text: "Lihat kartu"}}}}}
	info, err := c.SubmitTemplate(ctx, def)
	if err != nil || info.ID == "" || info.Status != "PENDING" || info.Category != "UTILITY" {
		t.Fatalf("%+v %v", info, err)
	}
	if got := compactJSON(t, srv.Requests("message_templates")[0].Body); !strings.Contains(got, `"example":{"body_text":[["Siti"]]}`) {
		t.Errorf("submitted %s", got)
	}
	if _, err := c.SubmitTemplate(ctx, def); err == nil {
		t.Error("the same template twice accepted")
	}
	for i := range 120 {
		srv.AddTemplate(fmt.Sprintf("t_%03d", i), "en", 0)
	}
	list, err := c.Templates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]string{}
	for _, ti := range list {
		statuses[ti.Name+"/"+ti.Language] = ti.Status
	}
	if len(list) != 122 || statuses["kartu_siap/id"] != "PENDING" || statuses["iuran_jatuh_tempo/id"] != "PAUSED" {
		t.Errorf("%d templates: %v", len(list), statuses["kartu_siap/id"])
	}
	if len(srv.Requests("message_templates")) < 3 {
		t.Errorf("the list was not read in pages")
	}
	noWABA := newClient(t, srv, func(o *Options) { o.BusinessAccountID = "" })
	if _, err := noWABA.Templates(ctx); err == nil {
		t.Error("templates without a business account id")
	}
}

func TestMarkRead(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, func(o *Options) { o.Typing = true })
	if err := c.MarkRead(context.Background(), "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNB"); err != nil {
		t.Fatal(err)
	}
	want := `{"message_id":"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNB","messaging_product":"whatsapp","status":"read","typing_indicator":{"type":"text"}}`
	if got := compactJSON(t, srv.Requests("read")[0].Body); got != want {
		t.Errorf("read receipt %s", got)
	}
	c.MarkReadSoon([]string{"wamid.A", "wamid.B", "wamid.C"})
	waitFor(t, "read receipts", func() bool { return len(srv.Reads()) == 4 })
	if len(srv.Requests("messages")) != 0 {
		t.Error("a read receipt counted as a message")
	}
}

// Meta's errors, as the fake answers them, and what they mean for the outbox.
func TestSendErrorClassification(t *testing.T) {
	tests := []struct {
		name       string
		f          whatsapptest.Failure
		kind       bot.Failure
		retryAfter time.Duration
		check      func(*Error) bool
	}{
		{"throughput", whatsapptest.Throughput, bot.Throttled, 2 * time.Second, (*Error).Throughput},
		{"pair rate", whatsapptest.PairRate, bot.Retryable, 6 * time.Second, (*Error).PairRate},
		{"window closed", whatsapptest.ReEngagement, bot.Permanent, 0, (*Error).WindowClosed},
		{"undeliverable", whatsapptest.Undeliverable, bot.Unreachable, 0, (*Error).Undeliverable},
		{"marketing stopped", whatsapptest.MarketingStopped, bot.Permanent, 0, (*Error).Undeliverable},
		{"template params", whatsapptest.TemplateParams, bot.Permanent, 0, (*Error).TemplateProblem},
		{"template missing", whatsapptest.TemplateMissing, bot.Permanent, 0, (*Error).TemplateProblem},
		{"template paused", whatsapptest.TemplatePaused, bot.Permanent, 0, (*Error).TemplateProblem},
		{"token expired", whatsapptest.TokenExpired, bot.Retryable, 0, (*Error).TokenExpired},
		{"spam rate", whatsapptest.SpamRate, bot.Throttled, time.Minute, nil},
		{"account rate limit", whatsapptest.Failure{Status: 400, Code: 80007, Message: "(#80007) Rate limit issues"}, bot.Throttled, time.Minute, nil},
		{"policy block", whatsapptest.Failure{Status: 400, Code: 368, Message: "Temporarily blocked for policies violations"}, bot.Throttled, 10 * time.Minute, nil},
		{"internal error", whatsapptest.InternalError, bot.Retryable, 0, (*Error).Transient},
		{"something went wrong", whatsapptest.Unknown, bot.Retryable, 0, (*Error).Transient},
		{"bad gateway page", whatsapptest.BadGateway, bot.Retryable, 0, (*Error).Transient},
		{"another 400", whatsapptest.Failure{Status: 400, Code: 131009, Message: "(#131009) Parameter value is not valid"}, bot.Permanent, 0, nil},
		{"wrong phone number id", whatsapptest.Failure{Status: 400, Code: 100, Subcode: 33, Message: "Unsupported post request."}, bot.Retryable, 0, nil},
		{"plain 429", whatsapptest.Failure{Status: 429, Body: "slow down"}, bot.Throttled, time.Minute, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := whatsapptest.NewServer(t)
			c := newClient(t, srv, nil)
			srv.Fail("messages", "", 1, tt.f)
			_, err := c.Send(context.Background(), siti, flows.Reply{Text: "Halo"})
			se := bot.Classify(err)
			if se.Kind != tt.kind || se.RetryAfter != tt.retryAfter || se.Delivered != 0 {
				t.Errorf("%v: kind %v retry after %v, want %v %v", err, se.Kind, se.RetryAfter, tt.kind, tt.retryAfter)
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != tt.f.Status || e.Code != tt.f.Code {
				t.Fatalf("no *Error with status %d code %d in %v", tt.f.Status, tt.f.Code, err)
			}
			if tt.f.Body == "" && (e.FBTraceID == "" || e.Type != "OAuthException") {
				t.Errorf("fbtrace %q type %q", e.FBTraceID, e.Type)
			}
			if tt.check != nil && !tt.check(e) {
				t.Errorf("the helper does not recognise %v", e)
			}
			if strings.Contains(err.Error(), "6281234567890") {
				t.Errorf("a phone number in clear in %v", err)
			}
		})
	}
	// Meta's own estimate of the wait, in X-Business-Use-Case-Usage.
	if d := usageWait(`{"102290129340398":[{"type":"whatsapp_business_management","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":7}]}`); d != 7*time.Minute {
		t.Errorf("usage wait %v", d)
	}
}

// The token is never in an error or a log line, even when the network fails.
func TestTokenNeverShows(t *testing.T) {
	var logs lockedLog
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every call fails
	c, err := New(Options{AccessToken: whatsapptest.AccessToken, PhoneNumberID: whatsapptest.PhoneNumberID, APIURL: "http://" + addr + "/v23.0",
		HTTPClient: &http.Client{Timeout: time.Second}, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), "6281234567890", flows.Reply{Text: "Halo", Choices: []flows.Choice{{Label: "", Data: "x"}}})
	if se := bot.Classify(err); se.Kind != bot.Retryable {
		t.Errorf("network failure: %v", err)
	}
	c.MarkReadSoon([]string{"wamid.X"})
	time.Sleep(100 * time.Millisecond)
	for _, s := range []string{err.Error(), logs.String()} {
		if strings.Contains(s, whatsapptest.AccessToken) || strings.Contains(s, "6281234567890") {
			t.Errorf("the token or the number shows in %q", s)
		}
	}
	// A token refused makes the client unhealthy until a call works.
	srv := whatsapptest.NewServer(t)
	c = newClient(t, srv, nil)
	srv.Fail("messages", "", 1, whatsapptest.TokenExpired)
	c.Send(context.Background(), siti, flows.Reply{Text: "x"})
	if err := c.Unhealthy(); err == nil || !strings.Contains(err.Error(), "190") {
		t.Errorf("unhealthy: %v", err)
	}
	if _, err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Unhealthy(); err != nil {
		t.Errorf("still unhealthy after a call worked: %v", err)
	}
	wrong := newClient(t, srv, func(o *Options) { o.AccessToken = "EAAwrong" })
	if _, err := wrong.Check(context.Background()); err == nil || wrong.Unhealthy() == nil {
		t.Errorf("a wrong token passed the check: %v", err)
	}
	badID := newClient(t, srv, func(o *Options) { o.PhoneNumberID = "999" })
	if _, err := badID.Check(context.Background()); err == nil {
		t.Error("a wrong phone number id passed the check")
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{PhoneNumberID: "1"},
		{AccessToken: "t"},
		{AccessToken: "t", PhoneNumberID: "1/../2"},
		{AccessToken: "t", PhoneNumberID: "1", APIURL: "graph.facebook.com"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	c, err := New(Options{AccessToken: "t", PhoneNumberID: "1"})
	if err != nil || c.api != DefaultAPIURL {
		t.Errorf("defaults: %v %v", c, err)
	}
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	c, _ = New(Options{AccessToken: "t", PhoneNumberID: "1", Now: func() time.Time { return now }})
	if !c.InWindow(now.Add(-23*time.Hour)) || c.InWindow(now.Add(-25*time.Hour)) || c.InWindow(time.Time{}) {
		t.Error("InWindow")
	}
}

// The channel's Sender: a reply refused for the closed window goes again as
// its template; outside the window it goes as a template at once.
func TestSenderWindow(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	srv.EnforceWindow(true)
	c := newClient(t, srv, nil)
	u := whatsapptest.NewUser(31)
	reminder := flows.Reply{Text: "Iuran Anda jatuh tempo 31 Desember 2026: Rp16.800.", Choices: []flows.Choice{{Label: "Bayar sekarang", Data: "bayar:LD2611-7K3M9Q"}}}
	tmpl := func(chatID string, r flows.Reply) (Template, bool) {
		if !strings.HasPrefix(r.Text, "Iuran") {
			return Template{}, false
		}
		return Template{Name: "iuran_jatuh_tempo", Lang: "id", Body: []string{"Siti", "31 Desember 2026", "Rp16.800"}, Payloads: []string{"bayar:LD2611-7K3M9Q"}}, true
	}
	var sent [][]string
	s := &Sender{Client: c, Template: tmpl, Sent: func(_ context.Context, chatID string, r flows.Reply, ids []string) error {
		sent = append(sent, ids)
		return nil
	}}
	if err := s.Send(context.Background(), u.ChatID(), reminder); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(u.ChatID())
	if len(msgs) != 1 || msgs[0].Type != "template" || msgs[0].Template.Payloads[0] != "bayar:LD2611-7K3M9Q" {
		t.Fatalf("messages %+v", msgs)
	}
	if len(sent) != 1 || sent[0][0] != msgs[0].ID {
		t.Errorf("Sent told %v", sent)
	}
	// A reply without a template cannot go outside the window.
	err := s.Send(context.Background(), u.ChatID(), flows.Reply{Text: "Halo"})
	if se := bot.Classify(err); se.Kind != bot.Permanent || !strings.Contains(err.Error(), "131047") {
		t.Errorf("no template: %v", err)
	}
	// Inside the window (the user wrote), free-form.
	srv.Wrote(u, clock.Now())
	if err := s.Send(context.Background(), u.ChatID(), reminder); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(u.ChatID()); m[len(m)-1].Type != "interactive" {
		t.Errorf("inside the window: %s", m[len(m)-1].Type)
	}
	// Knowing when the chat last wrote, the template goes without a refused call.
	before := len(srv.Requests("messages"))
	s.LastInbound = func(context.Context, string) (time.Time, error) { return clock.Now().Add(-30 * time.Hour), nil }
	if err := s.Send(context.Background(), u.ChatID(), reminder); err != nil {
		t.Fatal(err)
	}
	if reqs := srv.Requests("messages")[before:]; len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"type":"template"`) {
		t.Errorf("%d calls after LastInbound", len(reqs))
	}
}

// FuzzFit: whatever the flows give, what goes out fits WhatsApp's limits.
func FuzzFit(f *testing.F) {
	f.Add("Pilih kabupaten/kota domisili", "Kota Pontianak", "reg:61.71", 14, 0)
	f.Add(strings.Repeat("a\n", 3000), "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "x", 2, 1)
	f.Add("", " ", "", 4, 3)
	f.Add("\xff\xfe", "\xff label", "\xff", 30, 2)
	c, _ := New(Options{AccessToken: "t", PhoneNumberID: "1", Log: quiet})
	f.Fuzz(func(t *testing.T, text, label, data string, n, page int) {
		n = max(0, min(n, 60))
		var choices []flows.Choice
		for i := range n {
			choices = append(choices, flows.Choice{Label: strings.Repeat(label, 1+i%3), Data: fmt.Sprintf("%s%d", data, i)})
		}
		r := flows.Reply{Text: text, Choices: choices}
		msgs, _ := c.build(siti, r, page)
		for _, m := range msgs {
			if problem := overLimit(m); problem != "" {
				t.Fatalf("%s in %+v", problem, m)
			}
		}
	})
}

// overLimit names the first of WhatsApp's limits a message breaks.
func overLimit(m outMessage) string {
	switch m.Type {
	case "text":
		if strings.TrimSpace(m.Text.Body) == "" || units(m.Text.Body) > maxText {
			return "text length"
		}
	case "interactive":
		in := m.Interactive
		if strings.TrimSpace(in.Body.Text) == "" || units(in.Body.Text) > maxBody {
			return "body length"
		}
		titles, ids := map[string]bool{}, map[string]bool{}
		for _, b := range in.Action.Buttons {
			if n := units(b.Reply.Title); n < 1 || n > maxButtonTitle || titles[b.Reply.Title] || ids[b.Reply.ID] || len(b.Reply.ID) > maxButtonID {
				return "button " + b.Reply.Title
			}
			titles[b.Reply.Title], ids[b.Reply.ID] = true, true
		}
		if len(in.Action.Buttons) > maxButtons {
			return "buttons count"
		}
		rows := 0
		for _, s := range in.Action.Sections {
			for _, r := range s.Rows {
				rows++
				if n := units(r.Title); n < 1 || n > maxRowTitle || units(r.Description) > maxRowDescription || ids[r.ID] || len(r.ID) > maxRowID {
					return "row " + r.Title
				}
				ids[r.ID] = true
			}
		}
		if rows > maxRows || (in.Type == "list" && (rows == 0 || units(in.Action.Button) > maxListButton || strings.TrimSpace(in.Action.Button) == "")) {
			return "list"
		}
	}
	return ""
}

// Sends, page turns and read receipts at once, from many goroutines, on
// one client (run with -race).
func TestConcurrentSends(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, func(o *Options) { o.Photos = pngPhotos{} })
	var choices []flows.Choice
	for i := 1; i <= 12; i++ {
		choices = append(choices, flows.Choice{Label: fmt.Sprintf("Warga %d", i), Data: fmt.Sprintf("al:LD%02d", i)})
	}
	const n = 40
	errs := make(chan error, 3*n)
	for i := range n {
		go func() {
			chat := fmt.Sprintf("ID.77%014d", i)
			r := flows.Reply{Text: fmt.Sprintf("Warga Anda (%d)", i), Choices: choices, Photo: "card:x"}
			if _, err := c.Send(context.Background(), chat, r); err != nil {
				errs <- err
				return
			}
			errs <- c.TurnPage(context.Background(), PageTurn{ChatID: chat, Key: menuKey(chat, r), Page: 1})
			c.MarkReadSoon([]string{fmt.Sprintf("wamid.%d", i)})
			errs <- nil
		}()
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := len(srv.Requests("messages")); got != 3*n {
		t.Errorf("%d messages, want %d", got, 3*n)
	}
	waitFor(t, "read receipts", func() bool { return len(srv.Reads()) == n })
}

// A template refused at once tells Refused too: a broadcast (always a
// template) to someone who stopped marketing messages (131050) is how a
// chat's broadcasts stop.
func TestSenderTemplateRefused(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	c := newClient(t, srv, nil)
	u := whatsapptest.NewUser(32)
	srv.Fail("messages", u.ChatID(), 1, whatsapptest.MarketingStopped)
	var refused []int
	s := &Sender{Client: c,
		Template: func(string, flows.Reply) (Template, bool) {
			return Template{Name: "lindungi_pengumuman", Lang: "id", Body: []string{"Kantor tutup 25 Desember."}}, true
		},
		Refused: func(_ context.Context, chatID string, e *Error) { refused = append(refused, e.Code) },
	}
	broadcast := flows.Reply{Text: "Kantor tutup 25 Desember.", Notice: &flows.Notice{Kind: flows.NoticeBroadcast, Params: []string{"Kantor tutup 25 Desember."}, Always: true}}
	err := s.Send(context.Background(), u.ChatID(), broadcast)
	if se := bot.Classify(err); se.Kind != bot.Permanent {
		t.Fatalf("refused broadcast: %v", err)
	}
	if len(refused) != 1 || refused[0] != CodeMarketingStopped {
		t.Fatalf("Refused told %v", refused)
	}
}
