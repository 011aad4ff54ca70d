// Package locales holds every user-facing text (TOML catalogues, one per
// language) and the formatting of money and dates for them.
//
// A text that prints a count has plural forms in the languages that need
// them (English "1 month" / "3 months"; Indonesian has one form): see
// Catalog.T for how the form is chosen.
package locales

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed *.toml
var files embed.FS

// Default is the language used when none is chosen.
const Default = "id"

// Langs are the supported languages, the default first.
var langs = []string{"id", "en"}

// Catalog renders messages in the supported languages. It is immutable and
// safe for concurrent use.
type Catalog struct {
	msgs map[string]map[string]*message // language → key → message
	tags map[string]language.Tag        // language → its tag, for the plural rules
}

// A message is one key's text in one language: a template per plural form
// ("other" always; "one" and the like for a text that prints a count) and,
// for a plural text, the template value that holds the count.
type message struct {
	forms map[plural.Form]form
	count string // one of pluralParams; "" when the text has only "other"
}

// form is one plural form of a message, parsed once.
type form struct {
	text string             // the text itself, when it has no template action
	tmpl *template.Template // otherwise
}

func (f form) render(data map[string]any) (string, error) {
	if f.tmpl == nil {
		return f.text, nil
	}
	var b strings.Builder
	if err := f.tmpl.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// pluralParams are the template values that can hold a plural text's count,
// in order of preference. A text with plural forms (go-i18n's format:
//
//	"pay.months_choice".one = "{{.Months}} month: {{.Total}}"
//	"pay.months_choice".other = "{{.Months}} months: {{.Total}}"
//
// ) is chosen by the first of these values that its forms use, found when
// the catalogue loads; a caller may also pass PluralCount to choose the form
// of any text. Indonesian has only the "other" form, so a plural key may be a
// plain string there and a table in English (or the other way round).
var pluralParams = []string{"PluralCount", "Count", "Months", "Days", "Hours", "Got"}

// Load parses the embedded catalogues. It fails on a text that is not a valid
// template, a plural text without an "other" form, a form the language never
// uses (such as "one" in Indonesian), and a plural text that uses none of
// pluralParams.
func Load() (*Catalog, error) { return load(files) }

// load parses the catalogues of fsys: for each language, <lang>.toml and
// <lang>.<area>.toml.
func load(fsys fs.FS) (*Catalog, error) {
	bundle := i18n.NewBundle(language.Indonesian)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{msgs: map[string]map[string]*message{}, tags: map[string]language.Tag{}}
	for _, lang := range langs {
		tag := language.Make(lang)
		usable := usableForms(tag)
		// id.toml, plus one file per channel or area: id.web.toml, id.telegram.toml…
		names, err := fs.Glob(fsys, lang+".*toml")
		if err != nil {
			return nil, err
		}
		set := map[string]*message{}
		for _, name := range names {
			if name != lang+".toml" && !strings.HasPrefix(name, lang+".") {
				continue
			}
			buf, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			mf, err := bundle.ParseMessageFileBytes(buf, name)
			if err != nil {
				return nil, fmt.Errorf("parse %s: %w", name, err)
			}
			for _, m := range mf.Messages {
				if set[m.ID] != nil {
					return nil, fmt.Errorf("%s: key %q is defined twice for %s", name, m.ID, lang)
				}
				msg, err := newMessage(m, usable)
				if err != nil {
					return nil, fmt.Errorf("%s: key %q: %w", name, m.ID, err)
				}
				set[m.ID] = msg
			}
		}
		if len(set) == 0 {
			return nil, fmt.Errorf("no texts for language %s", lang)
		}
		c.msgs[lang], c.tags[lang] = set, tag
	}
	return c, nil
}

// usableForms are the plural forms the language's rules choose for whole
// numbers (our counts are never fractions).
func usableForms(tag language.Tag) map[plural.Form]bool {
	out := map[plural.Form]bool{}
	for n := range 1000 {
		out[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)] = true
	}
	return out
}

// actionField finds the values a template names: {{.Months}}, {{if .Female}}…
var (
	templateAction = regexp.MustCompile(`\{\{(.*?)\}\}`)
	actionField    = regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_]*)`)
)

func newMessage(m *i18n.Message, usable map[plural.Form]bool) (*message, error) {
	if m.Other == "" {
		return nil, errors.New(`no "other" form`)
	}
	msg := &message{forms: map[plural.Form]form{}}
	used := map[string]bool{}
	for _, f := range []struct {
		form plural.Form
		name string
		src  string
	}{{plural.Zero, "zero", m.Zero}, {plural.One, "one", m.One}, {plural.Two, "two", m.Two},
		{plural.Few, "few", m.Few}, {plural.Many, "many", m.Many}, {plural.Other, "other", m.Other}} {
		if f.src == "" {
			continue
		}
		if !usable[f.form] {
			return nil, fmt.Errorf("the language has no plural form %q", f.name)
		}
		if !strings.Contains(f.src, "{{") {
			msg.forms[f.form] = form{text: f.src}
			continue
		}
		// The options of go-i18n's own text parser: a missing value prints "<no value>".
		t, err := template.New(m.ID).Option("missingkey=default").Parse(f.src)
		if err != nil {
			return nil, err
		}
		msg.forms[f.form] = form{tmpl: t}
		for _, a := range templateAction.FindAllStringSubmatch(f.src, -1) {
			for _, v := range actionField.FindAllStringSubmatch(a[1], -1) {
				used[v[1]] = true
			}
		}
	}
	if len(msg.forms) > 1 {
		for _, p := range pluralParams {
			if used[p] {
				msg.count = p
				break
			}
		}
		if msg.count == "" {
			return nil, fmt.Errorf("plural forms, but the text prints none of %s", strings.Join(pluralParams, ", "))
		}
	}
	return msg, nil
}

// Langs lists the supported language codes, the default first.
func (c *Catalog) Langs() []string { return append([]string(nil), langs...) }

// Supported reports whether lang is one of the catalogue's languages.
func (c *Catalog) Supported(lang string) bool { _, ok := c.msgs[lang]; return ok }

// Keys returns the message ids of one language, sorted.
func (c *Catalog) Keys(lang string) []string {
	out := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether key exists in lang.
func (c *Catalog) Has(lang, key string) bool { return c.msgs[lang][key] != nil }

// T renders a message. data may be nil. A missing key renders as the key
// itself (tests make sure no key is missing); a key missing in lang only
// renders in Indonesian.
//
// A text with plural forms picks its form by the language's plural rules
// from data["PluralCount"] when given, else from the value the text prints
// its count with (Count, Months, Days, Hours or Got: see pluralParams): so
// {"Months": 1} gives "1 month" and {"Months": 3} "3 months". The count may be
// any integer or a formatted number ("1.250", "1,250"); anything else gives
// the "other" form.
func (c *Catalog) T(lang, key string, data map[string]any) string {
	m := c.msgs[lang][key]
	if m == nil {
		lang = Default
		if m = c.msgs[lang][key]; m == nil {
			return key
		}
	}
	f := m.forms[plural.Other]
	if len(m.forms) > 1 {
		v, ok := data["PluralCount"]
		if !ok {
			v = data[m.count]
		}
		if n, ok := count(v); ok {
			if g, ok := m.forms[plural.Cardinal.MatchPlural(c.tags[lang], n, 0, 0, 0, 0)]; ok {
				f = g
			}
		}
	}
	s, err := f.render(data)
	if err != nil {
		return key
	}
	return s
}

// count reads a plural count: any integer, a whole float, or a number
// formatted with Number ("1.250" or "1,250"). It returns the absolute value,
// as the plural rules want.
func count(v any) (int, bool) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint:
		n = int64(x)
	case uint8:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint64:
		n = int64(x)
	case float32:
		return count(float64(x))
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
			return 0, false
		}
		n = int64(x)
	case string:
		digits := strings.NewReplacer(".", "", ",", "").Replace(strings.TrimSpace(x))
		p, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return 0, false
		}
		n = p
	default:
		return 0, false
	}
	if n < 0 {
		n = -n
	}
	// The rules look at the last digits only ("it is okay to pass the value
	// modulo 10,000,000", x/text/feature/plural).
	return int(n % 10_000_000), true
}

// Date formats a date as "17 Agustus 1985" (or "17 August 1985").
func (c *Catalog) Date(lang string, t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), c.T(lang, "month."+strconv.Itoa(int(t.Month())), nil), t.Year())
}

// Rupiah formats an amount as "Rp16.800" (dots between thousands, no decimals).
func Rupiah(n int64) string {
	if n < 0 {
		return "-Rp" + grouped(-n, '.')
	}
	return "Rp" + grouped(n, '.')
}

// Number formats a count with thousands grouped: "75.489" in Indonesian,
// "75,489" in English.
func Number(lang string, n int64) string {
	sep := byte('.')
	if lang == "en" {
		sep = ','
	}
	if n < 0 {
		return "-" + grouped(-n, sep)
	}
	return grouped(n, sep)
}

// Decimal formats a number with prec decimals and thousands grouped:
// "1.234,5" in Indonesian, "1,234.5" in English.
func Decimal(lang string, f float64, prec int) string {
	s := strconv.FormatFloat(math.Abs(f), 'f', prec, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	point := ","
	if lang == "en" {
		point = "."
	}
	out := Number(lang, n)
	if frac != "" {
		out += point + frac
	}
	if f < 0 && strings.Trim(s, "0.") != "" {
		out = "-" + out
	}
	return out
}

func grouped(n int64, sep byte) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}
