package flows_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/flowstest"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/wilayah"
)

var (
	sandboxPay *sandbox.Provider
	env        *flowstest.Env
	testDB     *store.DB
	clock      = &testClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	cat        *locales.Catalog
	regions    *wilayah.Data
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to at until the test ends.
func (c *testClock) Set(t *testing.T, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.t
	c.t = at
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.t = before
	})
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMain(m *testing.M) {
	var dsn string
	os.Exit(pgtest.Main(m, &dsn, func() error {
		var err error
		env, err = flowstest.Open(context.Background(), dsn, flowstest.Options{Now: clock.Now})
		if err != nil {
			return err
		}
		if sandboxPay, err = sandbox.New(sandbox.Options{Secret: []byte("flows-test-sandbox-secret"), Now: clock.Now}); err != nil {
			return err
		}
		env.Payer = sandboxPay
		testDB, cat, regions = env.DB, env.Catalog, env.Regions
		return nil
	}))
}

func newEngine(cfg flows.Config) *flows.Engine { return env.Engine(cfg) }

// chat is one simulated conversation.
type chat struct {
	t       *testing.T
	e       *flows.Engine
	channel string // "test" unless set
	phone   string // the sender's number, as WhatsApp gives it ("" elsewhere)
	id      string
	client  string // the network address its events come from (Event.Client)
	last    []flows.Reply
}

var chatSeq struct {
	sync.Mutex
	n int
}

func newChat(t *testing.T) *chat {
	t.Helper()
	chatSeq.Lock()
	chatSeq.n++
	id := fmt.Sprintf("t%d-%d", clock.Now().UnixNano()%1e6, chatSeq.n)
	chatSeq.Unlock()
	return &chat{t: t, e: newEngine(flows.DefaultConfig()), id: id}
}

func (c *chat) send(ev flows.Event) []flows.Reply {
	c.t.Helper()
	ev.Channel, ev.ChatID = c.channelName(), c.id
	if ev.Client == "" {
		ev.Client = c.client
	}
	if ev.Phone == "" {
		ev.Phone = c.phone
	}
	if ev.UserID == "" {
		ev.UserID = c.id
	}
	if _, err := c.e.Handle(context.Background(), ev); err != nil {
		c.t.Fatalf("handle %+v: %v", ev, err)
	}
	return c.flush()
}

func (c *chat) flush() []flows.Reply {
	c.t.Helper()
	pending, err := testDB.PendingFor(context.Background(), c.channelName(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []flows.Reply
	var ids []int64
	for _, p := range pending {
		out = append(out, p.Reply)
		ids = append(ids, p.ID)
		checkReply(c.t, p.Reply)
	}
	if err := testDB.MarkSent(context.Background(), ids); err != nil {
		c.t.Fatal(err)
	}
	c.last = out
	return out
}

// checkReply holds every reply to the house rules.
func checkReply(t *testing.T, r flows.Reply) {
	t.Helper()
	if strings.Contains(r.Text, "<no value>") || strings.Contains(r.Text, "{{") {
		t.Errorf("reply has an unfilled template field: %q", r.Text)
	}
	if len([]rune(r.Text)) > 4096 {
		t.Errorf("reply longer than 4096 characters")
	}
	// WhatsApp's limits hold on every channel: up to 3 buttons of at most
	// 20 characters, else list rows of at most 24.
	limit := 24
	if len(r.Choices) <= 3 {
		limit = 20
	}
	for _, ch := range r.Choices {
		if len(ch.Data) == 0 || len(ch.Data) > 64 {
			t.Errorf("choice %q has data %q (1–64 bytes)", ch.Label, ch.Data)
		}
		if n := len([]rune(ch.Label)); n > limit {
			t.Errorf("choice label %q is %d characters, over %d (of %d choices)", ch.Label, n, limit, len(r.Choices))
		}
	}
	if len(r.Choices) > 10 {
		t.Errorf("%d choices in one message (at most 10)", len(r.Choices))
	}
}

func (c *chat) text(s string) string {
	c.t.Helper()
	return lastText(c.send(flows.Event{Kind: flows.KindText, Text: s}))
}

// press taps the button whose label or data is given, in the latest reply with buttons.
func (c *chat) press(labelOrData string) string {
	c.t.Helper()
	for i := len(c.last) - 1; i >= 0; i-- {
		for _, ch := range c.last[i].Choices {
			if ch.Label == labelOrData || ch.Data == labelOrData {
				return lastText(c.send(flows.Event{Kind: flows.KindChoice, Choice: ch.Data}))
			}
		}
	}
	c.t.Fatalf("no button %q in %+v", labelOrData, c.last)
	return ""
}

func (c *chat) channelName() string {
	if c.channel == "" {
		return "test"
	}
	return c.channel
}

func (c *chat) choices() []flows.Choice {
	if len(c.last) == 0 {
		return nil
	}
	return c.last[len(c.last)-1].Choices
}

// said is every text of the latest replies, in order.
func (c *chat) said() string {
	var texts []string
	for _, r := range c.last {
		texts = append(texts, r.Text)
	}
	return strings.Join(texts, "\n\n")
}

func lastText(rs []flows.Reply) string {
	if len(rs) == 0 {
		return ""
	}
	return rs[len(rs)-1].Text
}

func must(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("reply %q\ndoes not contain %q", got, w)
		}
	}
}

// nikFor makes a valid NIK for a woman born 5 August 1990 with a given serial.
func nikFor(serial int) string { return fmt.Sprintf("617105450890%04d", serial) }

var nikSerial struct {
	sync.Mutex
	n int
}

func freshNIK() string {
	nikSerial.Lock()
	defer nikSerial.Unlock()
	nikSerial.n++
	return nikFor(1000 + nikSerial.n)
}

// toReview answers every question up to the review.
func (c *chat) toReview(nik string) string {
	c.t.Helper()
	c.text("halo")
	c.press("cs:yes")
	must(c.t, c.text(nik), "Ketik nama lengkap")
	c.text("Siti Aminah")
	must(c.t, c.text("081234567890"), "Kecamatan Pontianak Kota")
	c.text("darat sekip")
	c.press("oc:petani")
	return c.press("in:base")
}
