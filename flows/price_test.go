package flows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
)

// lawEngine is an engine with the discounts the law sets, on a day: the
// test clock (the store's too) reads at until the test ends.
func lawEngine(t *testing.T, at time.Time) *flows.Engine {
	clock.Set(t, at)
	return flows.New(flows.Deps{Store: env.DB, Catalog: env.Catalog, Regions: env.Regions, Tariffs: env.Tariffs,
		Now: clock.Now, Log: env.Log, Payer: env.Payer, Discounts: iuran.Law()}, flows.DefaultConfig())
}

// The price the law sets on the day is the one every text states, the
// payment code charges and the payment records: PP 50/2025 halves JKK and
// JKM for transport workers in January 2026–March 2027 and for everyone
// else in April–December 2026.
func TestPricesTheLawSets(t *testing.T) {
	wib := flows.DefaultConfig().Location
	today := time.Date(2026, 12, 4, 10, 0, 0, 0, wib)
	for _, tt := range []struct {
		name       string
		at         time.Time
		occupation string // the button's data
		monthly    string
		discount   bool
	}{
		{"trader today", today, "oc:pedagang_pasar", "Rp8.400", true},
		{"ojek today", today, "oc:ojek", "Rp8.400", true},
		{"courier today", today, "oc:kurir", "Rp8.400", true},
		{"trader in January 2027", time.Date(2027, 1, 10, 10, 0, 0, 0, wib), "oc:pedagang_pasar", "Rp16.800", false},
		{"ojek in January 2027", time.Date(2027, 1, 10, 10, 0, 0, 0, wib), "oc:ojek", "Rp8.400", true},
		{"ojek in April 2027", time.Date(2027, 4, 10, 10, 0, 0, 0, wib), "oc:ojek", "Rp16.800", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChat(t)
			c.e = lawEngine(t, tt.at)
			c.text("halo")
			c.press("cs:yes")
			c.text(freshNIK())
			c.text("Siti Aminah")
			c.text("081234567890")
			c.text("darat sekip")
			income := c.press(tt.occupation)
			must(t, income, "iurannya "+tt.monthly)
			if got := strings.Contains(income, "diskon 50% dari pemerintah"); got != tt.discount {
				t.Errorf("discount named: %v, want %v: %q", got, tt.discount, income)
			}
			must(t, c.press("in:base"), "Iuran: "+tt.monthly+" sebulan")
			months := c.press("rv:ok")
			must(t, months, "Iuran Siti Aminah: "+tt.monthly+" per bulan")
			must(t, c.choices()[0].Label, tt.monthly)
			must(t, c.press("pm:1"), "Total "+tt.monthly)
			c.press("pb:bri")
			must(t, c.said(), "Bayar "+tt.monthly)
			var amount, discount int64
			if err := testDB.SQL().QueryRow(`SELECT p.amount, i.discount FROM payments p JOIN payment_items i ON i.payment_id = p.id
				JOIN registrations r ON r.id = i.registration_id WHERE r.chat_id = $1`, c.id).Scan(&amount, &discount); err != nil {
				t.Fatal(err)
			}
			if want := map[string]int64{"Rp8.400": 8400, "Rp16.800": 16800}[tt.monthly]; amount != want || (discount > 0) != tt.discount {
				t.Errorf("payment of %d with a discount of %d, want %d", amount, discount, want)
			}
		})
	}
}

// JHT is never discounted: Rp8.400 + Rp20.000 today.
func TestJHTIsNeverDiscounted(t *testing.T) {
	c := newChat(t)
	c.e = lawEngine(t, time.Date(2026, 12, 4, 10, 0, 0, 0, flows.DefaultConfig().Location))
	c.text("halo")
	c.press("cs:yes")
	c.text(freshNIK())
	c.text("Siti Aminah")
	c.text("081234567890")
	c.text("darat sekip")
	must(t, c.press("oc:petani"), "iurannya Rp8.400", "(JHT) Rp20.000", "Jadi Rp28.400")
	must(t, c.press("in:jht"), "Iuran: Rp28.400 sebulan")
	c.press("rv:ok")
	must(t, c.choices()[0].Label, "Rp28.400")
}

// A discounted month is under the stores' Rp10.000 minimum: they are not
// offered for it, and a store typed anyway is refused with the reason.
func TestStoresAreNotOfferedUnderTheirMinimum(t *testing.T) {
	c := newChat(t)
	c.e = lawEngine(t, time.Date(2026, 12, 4, 10, 0, 0, 0, flows.DefaultConfig().Location))
	c.toReview(freshNIK())
	c.press("rv:ok")
	c.press("pm:1")
	var offered []string
	for _, ch := range c.choices() {
		offered = append(offered, ch.Data)
	}
	if slices.Contains(offered, "pb:alfamart") || slices.Contains(offered, "pb:indomaret") || !slices.Contains(offered, "pb:qris") {
		t.Errorf("for Rp8.400 offered %v", offered)
	}
	must(t, c.text("alfamart"), "minimal Rp10.000", "Rp8.400")
	c.text("/kembali")
	c.press("pm:3")
	offered = offered[:0]
	for _, ch := range c.choices() {
		offered = append(offered, ch.Data)
	}
	if !slices.Contains(offered, "pb:alfamart") {
		t.Errorf("for Rp25.200 offered %v", offered)
	}
}

// Asking to pay the same months again shows the code still open, not a new
// one; another number of months replaces it.
func TestOneOpenCodePerPayment(t *testing.T) {
	c := newChat(t)
	c.toReview(freshNIK())
	c.press("rv:ok")
	c.press("pm:1")
	c.press("pb:bri")
	must(t, c.said(), "Bayar Rp16.800")
	for range 4 {
		c.text("/bayar")
		got := c.send(flows.Event{Kind: flows.KindChoice, Choice: "pm:1"})
		if len(got) != 2 {
			t.Fatalf("pay again: %d replies", len(got))
		}
		must(t, got[0].Text, "masih berlaku", "Bayar Rp16.800")
		must(t, got[1].Text, "cara lain")
		c.text("/batal")
	}
	codes := func(status string) int {
		var n int
		testDB.SQL().Get(&n, `SELECT count(*) FROM payments p JOIN payment_items i ON i.payment_id = p.id
			JOIN registrations r ON r.id = i.registration_id WHERE r.chat_id = $1 AND p.status = $2`, c.id, status)
		return n
	}
	if n := codes("pending"); n != 1 {
		t.Fatalf("%d open codes after paying five times for 1 month", n)
	}
	// "Every month" with the code open: the open code, and the subscription.
	c.text("/bayar")
	got := c.send(flows.Event{Kind: flows.KindChoice, Choice: "pm:sub"})
	must(t, got[0].Text, "masih berlaku", "tiap bulan kami kirim nomor bayar")
	var subscribed int
	testDB.SQL().Get(&subscribed, `SELECT count(*) FROM registrations WHERE chat_id = $1 AND subscription_months = 1`, c.id)
	if subscribed != 1 {
		t.Errorf("subscription with the open code: %d", subscribed)
	}
	c.text("/batal")
	// Paying another way replaces the code.
	c.text("/bayar")
	c.press("pm:1")
	c.press("pb:bni")
	must(t, c.said(), "BNI")
	if open, cancelled := codes("pending"), codes("cancelled"); open != 1 || cancelled != 1 {
		t.Errorf("another way: %d open, %d cancelled", open, cancelled)
	}
	// Three months is another payment: it replaces the one month.
	c.text("/bayar")
	must(t, c.press("pm:3"), "Total Rp50.400")
	c.press("pb:bri")
	must(t, c.said(), "Bayar Rp50.400")
	if open, cancelled := codes("pending"), codes("cancelled"); open != 1 || cancelled != 2 {
		t.Errorf("three months: %d open, %d cancelled", open, cancelled)
	}
}

// The path of a worker who lives in their NIK's kecamatan, counted: bot
// messages and typed answers up to the stored registration, and the length
// of every message.
func TestRegistrationPathIsShort(t *testing.T) {
	for _, tt := range []struct {
		channel         string
		messages, typed int
		phoneShared     bool
		phoneKnown      string // the number the channel says the worker writes from
	}{
		{channel: "telegram", messages: 10, typed: 2, phoneShared: true},
		{channel: "whatsapp", messages: 10, typed: 2, phoneKnown: "6281234567890"},
		{channel: "console", messages: 11, typed: 3},
	} {
		t.Run(tt.channel, func(t *testing.T) {
			c := newChat(t)
			c.channel, c.phone = tt.channel, tt.phoneKnown
			c.e = lawEngine(t, time.Date(2026, 12, 4, 10, 0, 0, 0, flows.DefaultConfig().Location))
			var lengths []int
			messages, typed := 0, 0
			count := func() {
				for _, r := range c.last {
					messages++
					lengths = append(lengths, len([]rune(r.Text)))
				}
			}
			c.text("halo")
			count()
			steps := []func(){
				func() { c.press("cs:yes") },
				func() { typed++; c.text(freshNIK()) },
				func() { typed++; c.text("Siti Aminah") },
				func() {
					if tt.phoneShared {
						c.send(flows.Event{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "+6281234567890", UserID: c.id}})
						return
					}
					if tt.phoneKnown != "" {
						must(t, c.said(), "Kabar iuran kami kirim ke nomor ini: 0812-••••-7890")
						c.press("ph:this")
						return
					}
					typed++
					c.text("081234567890")
				},
				func() { c.press(c.choices()[1].Data) }, // a village of the NIK's kecamatan, by one tap
				func() { c.press("oc:pedagang_pasar") },
				func() { c.press("in:base") },
				func() { c.press("rv:ok") },
			}
			for _, step := range steps {
				step()
				count()
			}
			var stored int
			testDB.SQL().Get(&stored, `SELECT count(*) FROM registrations WHERE channel = $1 AND chat_id = $2`, tt.channel, c.id)
			// Other tests count registrations by channel: this one leaves none behind.
			t.Cleanup(func() {
				testDB.SQL().MustExec(`DELETE FROM registrations WHERE channel = $1 AND chat_id = $2`, tt.channel, c.id)
			})
			if stored != 1 {
				t.Fatalf("registration not stored: %q", c.said())
			}
			if messages > tt.messages || typed > tt.typed {
				t.Errorf("%d bot messages and %d typed answers, want at most %d and %d", messages, typed, tt.messages, tt.typed)
			}
			for i, n := range lengths {
				if n > 320 {
					t.Errorf("message %d is %d characters (at most 320)", i+1, n)
				}
			}
			slices.Sort(lengths)
			t.Logf("%s: %d messages, %d typed answers; lengths %v, median %d", tt.channel, messages, typed, lengths, lengths[len(lengths)/2])
		})
	}
}
