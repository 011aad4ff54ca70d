package locales

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/text/feature/plural"
)

// missingKeys lists the keys of one language that another lacks, plural
// keys ("key".one / "key".other) included.
func missingKeys(c *Catalog) []string {
	var out []string
	for _, lang := range c.Langs() {
		for _, k := range c.Keys(Default) {
			if !c.Has(lang, k) {
				out = append(out, "key "+k+" is missing in "+lang)
			}
		}
		for _, k := range c.Keys(lang) {
			if !c.Has(Default, k) {
				out = append(out, "key "+k+" of "+lang+" is missing in "+Default)
			}
		}
	}
	return out
}

func TestEveryKeyInEveryLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Keys(Default)); n < 100 {
		t.Fatalf("only %d keys in %s", n, Default)
	}
	for _, m := range missingKeys(c) {
		t.Error(m)
	}
}

// The missing-key check sees plural keys like any other, in both directions.
func TestMissingPluralKey(t *testing.T) {
	for name, tt := range map[string]struct {
		id, en string
		want   []string
	}{
		"plural in en only": {`"a" = "{{.Months}} bulan"`, `"a".one = "{{.Months}} month"` + "\n" + `"a".other = "{{.Months}} months"`, nil},
		"plural key missing in id": {`"a" = "x"`, `"a" = "x"` + "\n" + `"b".one = "{{.Count}} day"` + "\n" + `"b".other = "{{.Count}} days"`,
			[]string{"key b of en is missing in id"}},
		"plural key missing in en": {`"a" = "x"` + "\n" + `"b".other = "{{.Count}} hari"`, `"a" = "x"`, []string{"key b is missing in en"}},
	} {
		c, err := load(fstest.MapFS{"id.toml": {Data: []byte(tt.id)}, "en.toml": {Data: []byte(tt.en)}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := missingKeys(c); !slices.Equal(got, tt.want) {
			t.Errorf("%s: missing %q, want %q", name, got, tt.want)
		}
	}
}

// Load refuses plural texts it could not choose a form for.
func TestPluralLoadErrors(t *testing.T) {
	for name, id := range map[string]string{
		"one in Indonesian":  `"a".one = "{{.Count}} hari"` + "\n" + `"a".other = "{{.Count}} hari"`,
		"no other":           `"a".one = "{{.Count}} hari"`,
		"zero in Indonesian": `"a".zero = "tidak ada"` + "\n" + `"a".other = "{{.Count}} hari"`,
		"bad template":       `"a" = "{{.Name"`,
	} {
		if _, err := load(fstest.MapFS{"id.toml": {Data: []byte(id)}, "en.toml": {Data: []byte(`"a" = "x"`)}}); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := load(fstest.MapFS{"id.toml": {Data: []byte(`"a" = "x"`)},
		"en.toml": {Data: []byte(`"a".one = "1 day"` + "\n" + `"a".other = "{{.Total}} days"`)}}); err == nil {
		t.Errorf("en plural without a count value: loaded")
	}
}

func TestPlural(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lang, key string
		data      map[string]any
		want      string
	}{
		{"en", "pay.months_choice", map[string]any{"Months": 1, "Total": "Rp16.800"}, "1 month Rp16.800"},
		{"en", "pay.months_choice", map[string]any{"Months": 3, "Total": "Rp50.400"}, "3 months Rp50.400"},
		{"en", "pay.months_choice", map[string]any{"Months": int64(12), "Total": "Rp201.600"}, "12 months Rp201.600"},
		{"id", "pay.months_choice", map[string]any{"Months": 1, "Total": "Rp16.800"}, "1 bulan Rp16.800"},
		{"id", "pay.months_choice", map[string]any{"Months": 3, "Total": "Rp50.400"}, "3 bulan Rp50.400"},
		{"en", "agent.pay_for", map[string]any{"Count": 1}, "1 resident"},
		{"en", "agent.pay_for", map[string]any{"Count": 2}, "2 residents"},
		{"en", "agent.pay_for", map[string]any{"Count": 0}, "0 residents"},
		{"en", "agent.pay_for", map[string]any{"Count": 21}, "21 residents"},
		{"id", "agent.pay_for", map[string]any{"Count": 1}, "1 warga"},
		// Counts formatted with Number, in both languages.
		{"en", "broadcast.confirm", map[string]any{"Count": "1"}, "Send the broadcast above to 1 person?"},
		{"en", "broadcast.confirm", map[string]any{"Count": Number("en", 1001)}, "Send the broadcast above to 1,001 people?"},
		{"en", "stats.rest_regencies", map[string]any{"Count": 1}, "1 other regency/city"},
		{"en", "claim.locked", map[string]any{"Hours": 1}, "⚠️ Too many tries that didn't match. Try again in 1 hour, or ask your RT/RW head or agent for a new link code."},
		{"en", "remind.before", map[string]any{"Name": "Siti", "Days": 1, "End": "1 May 2027"},
			"⏰ Siti's protection ends in 1 day (1 May 2027). Pay the contribution now to stay protected."},
		// PluralCount chooses the form whatever the text prints.
		{"en", "agent.pay_for", map[string]any{"Count": 5, "PluralCount": 1}, "5 resident"},
		// No count, or one that is not a number: the "other" form.
		{"en", "agent.pay_for", nil, "<no value> residents"},
		{"en", "agent.pay_for", map[string]any{"Count": "beberapa"}, "beberapa residents"},
		{"en", "agent.pay_for", map[string]any{"Count": 1.5}, "1.5 residents"},
		// A key English lacks falls back to Indonesian, with its rules.
		{"xx", "agent.pay_for", map[string]any{"Count": 1}, "1 warga"},
	} {
		if got := c.T(tt.lang, tt.key, tt.data); got != tt.want {
			t.Errorf("T(%s, %s, %v) = %q, want %q", tt.lang, tt.key, tt.data, got, tt.want)
		}
	}
}

// countNoun finds an English text that prints a count before a plural noun
// ("{{.Months}} months", "({{.Count}} registrations)"): such a text needs a
// "one" form.
var countNoun = regexp.MustCompile(`\{\{\.(Count|Months|Days|Hours)\}\} (other )?[a-z]+s\b`)

// pendingPlural are texts of en.toml that still print "1 months" and the
// like: their one/other forms are proposed to the owner of en.toml. Remove a
// key here once en.toml has its plural forms.
var pendingPlural = []string{}

func TestEnglishCountsHavePlurals(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range c.Keys("en") {
		m := c.msgs["en"][k]
		f := m.forms[plural.Other]
		src := f.text
		if f.tmpl != nil {
			src = f.tmpl.Root.String()
		}
		switch pending := slices.Contains(pendingPlural, k); {
		case len(m.forms) == 1 && countNoun.MatchString(src) && !pending:
			t.Errorf("en %q prints a count without a plural form: %q", k, countNoun.FindString(src))
		case pending && (len(m.forms) > 1 || !countNoun.MatchString(src)):
			t.Logf("en %q has its plural forms now: remove it from pendingPlural", k)
		}
	}
	for _, lang := range c.Langs() {
		for _, k := range c.Keys(lang) {
			if m := c.msgs[lang][k]; len(m.forms) > 1 && m.count == "" {
				t.Errorf("%s %q: plural forms without a count", lang, k)
			}
		}
	}
}

func TestTextsRender(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range c.Langs() {
		for _, k := range c.Keys(lang) {
			s := c.T(lang, k, map[string]any{})
			if s == k || strings.TrimSpace(s) == "" {
				t.Errorf("%s %q renders as %q", lang, k, s)
			}
			if strings.Contains(s, "Input tidak valid") || strings.Contains(s, "TO"+"DO") {
				t.Errorf("%s %q: %q", lang, k, s)
			}
		}
	}
}

func TestRupiah(t *testing.T) {
	tests := map[int64]string{0: "Rp0", 800: "Rp800", 16800: "Rp16.800", 1000000: "Rp1.000.000", 123456789: "Rp123.456.789", -5000: "-Rp5.000"}
	for n, want := range tests {
		if got := Rupiah(n); got != want {
			t.Errorf("Rupiah(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDate(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	d := time.Date(1985, 8, 17, 0, 0, 0, 0, time.UTC)
	if got := c.Date("id", d); got != "17 Agustus 1985" {
		t.Errorf("id: %q", got)
	}
	if got := c.Date("en", d); got != "17 August 1985" {
		t.Errorf("en: %q", got)
	}
	if got := c.T("xx", "month.5", nil); got != "Mei" {
		t.Errorf("unknown language falls back to Indonesian: %q", got)
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		lang string
		f    float64
		prec int
		want string
	}{
		{"id", 1.25, 1, "1,2"}, {"en", 1.25, 1, "1.2"}, {"id", 23190.4, 0, "23.190"}, {"en", 23190.4, 0, "23,190"},
		{"id", 1234567.891, 2, "1.234.567,89"}, {"en", 0.05, 1, "0.1"}, {"id", -2.5, 1, "-2,5"}, {"id", -0.01, 1, "0,0"},
	}
	for _, tt := range tests {
		if got := Decimal(tt.lang, tt.f, tt.prec); got != tt.want {
			t.Errorf("Decimal(%s, %v, %d) = %q, want %q", tt.lang, tt.f, tt.prec, got, tt.want)
		}
	}
}
