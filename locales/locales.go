// Package locales holds every user-facing text (TOML catalogues, one per
// language) and the formatting of money and dates for them.
package locales

import (
	"embed"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
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
	msgs map[string]map[string]*i18n.MessageTemplate // language → key → message
}

// Load parses the embedded catalogues.
func Load() (*Catalog, error) {
	bundle := i18n.NewBundle(language.Indonesian)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{msgs: map[string]map[string]*i18n.MessageTemplate{}}
	for _, lang := range langs {
		// id.toml, plus one file per channel or area: id.web.toml, id.telegram.toml…
		names, err := fs.Glob(files, lang+".*toml")
		if err != nil {
			return nil, err
		}
		set := map[string]*i18n.MessageTemplate{}
		for _, name := range names {
			if name != lang+".toml" && !strings.HasPrefix(name, lang+".") {
				continue
			}
			buf, err := files.ReadFile(name)
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
				set[m.ID] = i18n.NewMessageTemplate(m)
			}
		}
		if len(set) == 0 {
			return nil, fmt.Errorf("no texts for language %s", lang)
		}
		c.msgs[lang] = set
	}
	return c, nil
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
// itself (tests make sure no key is missing).
func (c *Catalog) T(lang, key string, data map[string]any) string {
	m := c.msgs[lang][key]
	if m == nil {
		if m = c.msgs[Default][key]; m == nil {
			return key
		}
	}
	// Our texts have no plural forms: "other" is the one form. The parsed
	// template is cached by go-i18n; no language matching per call.
	s, err := m.Execute("other", data, nil)
	if err != nil {
		return key
	}
	return s
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
