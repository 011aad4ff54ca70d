package locales

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// templatesFile holds the WhatsApp message templates, one table per notice
// kind (flows.NoticeKinds).
const templatesFile = "templates.toml"

// TemplateText is the WhatsApp message template of one notice kind in one
// language: what Meta reviews, and what is sent instead of a notice's text
// outside WhatsApp's 24-hour window.
type TemplateText struct {
	Kind     string // the notice kind (flows.Notice.Kind): "remind_before"
	Lang     string // "id", "en"
	Name     string // the template's name at Meta, the same in every language: "lindungi_iuran_pengingat"
	Category string // "UTILITY"
	// Body has the parameters {{1}} … {{n}}, each once and in order.
	Body string
	// Examples are a value for each parameter, in order (Meta's review
	// wants them): len(Examples) is the number of parameters.
	Examples []string
	// Buttons are the quick-reply buttons, in order.
	Buttons []QuickReply
}

// QuickReply is a template's quick-reply button.
type QuickReply struct {
	Label   string `toml:"label"`   // at most 20 characters
	Payload string `toml:"payload"` // what the bot receives when it is tapped: "go:pay"
}

// Params is how many parameters the body has.
func (t TemplateText) Params() int { return len(t.Examples) }

// Templates are the WhatsApp message templates of every notice kind, in
// every supported language. They are immutable and safe for concurrent use.
type Templates struct {
	all []TemplateText
	by  map[string]map[string]int // kind → language → index in all
}

// LoadTemplates parses the embedded templates.toml and checks every
// template against Meta's rules (see the file's header): it fails on a
// template that Meta would refuse or that breaks what the sender relies on
// (a kind missing in a language, buttons that differ between languages).
func LoadTemplates() (*Templates, error) {
	buf, err := fs.ReadFile(files, templatesFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", templatesFile, err)
	}
	ts, err := parseTemplates(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", templatesFile, err)
	}
	return ts, nil
}

// All returns every template, by kind in the order of templates.toml,
// and then by language (Indonesian first).
func (ts *Templates) All() []TemplateText {
	out := make([]TemplateText, len(ts.all))
	for i, t := range ts.all {
		out[i] = t.clone()
	}
	return out
}

// Kinds returns the notice kinds that have templates, sorted.
func (ts *Templates) Kinds() []string {
	out := make([]string, 0, len(ts.by))
	for k := range ts.by {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// For returns the template of kind in lang; a language without templates
// ("", "fr") gets the Indonesian one. It reports false for a kind that has
// no template.
func (ts *Templates) For(kind, lang string) (TemplateText, bool) {
	langs, ok := ts.by[kind]
	if !ok {
		return TemplateText{}, false
	}
	i, ok := langs[lang]
	if !ok {
		i = langs[Default]
	}
	return ts.all[i].clone(), true
}

func (t TemplateText) clone() TemplateText {
	t.Examples = slices.Clone(t.Examples)
	t.Buttons = slices.Clone(t.Buttons)
	return t
}

// Meta's limits on templates
// (https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/).
const (
	maxTemplateName  = 512
	maxTemplateBody  = 1024
	maxQuickReplies  = 3 // Meta allows 10; WhatsApp shows 3 at once, as for reply buttons
	maxButtonLabel   = 20
	maxButtonPayload = 256
)

var (
	templateName = regexp.MustCompile(`^lindungi_[a-z0-9_]+$`)
	placeholder  = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
)

// rawLang is one language's part of a kind's table.
type rawLang struct {
	Body     string       `toml:"body"`
	Examples []string     `toml:"examples"`
	Buttons  []QuickReply `toml:"buttons"`
}

// rawKind is a kind's table: its name, category and languages.
type rawKind struct {
	kind, name, category string
	langs                map[string]rawLang
}

func parseTemplates(buf []byte) (*Templates, error) {
	kinds, err := decodeTemplates(buf)
	if err != nil {
		return nil, err
	}
	ts := &Templates{by: map[string]map[string]int{}}
	names := map[string]string{}             // name → kind
	bodies := map[string]map[string]string{} // language → body → kind
	for _, k := range kinds {
		if err := checkName(k.name); err != nil {
			return nil, fmt.Errorf("%s: %w", k.kind, err)
		}
		if other, ok := names[k.name]; ok {
			return nil, fmt.Errorf("%s: name %q is already %s's", k.kind, k.name, other)
		}
		names[k.name] = k.kind
		if k.category != "UTILITY" && k.category != "MARKETING" {
			return nil, fmt.Errorf("%s: category %q: want UTILITY (or MARKETING)", k.kind, k.category)
		}
		ts.by[k.kind] = map[string]int{}
		for _, lang := range langs {
			rl, ok := k.langs[lang]
			if !ok {
				return nil, fmt.Errorf("%s: no template in %s ([%s.%s])", k.kind, lang, k.kind, lang)
			}
			t := TemplateText{Kind: k.kind, Lang: lang, Name: k.name, Category: k.category, Body: rl.Body, Examples: rl.Examples, Buttons: rl.Buttons}
			if err := t.check(); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", k.kind, lang, err)
			}
			if lang != Default {
				first := ts.all[ts.by[k.kind][Default]]
				if t.Params() != first.Params() {
					return nil, fmt.Errorf("%s.%s: %d parameters, but %d in %s", k.kind, lang, t.Params(), first.Params(), first.Lang)
				}
				if !slices.Equal(payloads(t.Buttons), payloads(first.Buttons)) {
					return nil, fmt.Errorf("%s.%s: button payloads %q, but %q in %s: a tap must mean the same in every language",
						k.kind, lang, payloads(t.Buttons), payloads(first.Buttons), first.Lang)
				}
			}
			if bodies[lang] == nil {
				bodies[lang] = map[string]string{}
			}
			if other, ok := bodies[lang][t.Body]; ok {
				return nil, fmt.Errorf("%s.%s: the same body as %s (Meta refuses a template that copies another)", k.kind, lang, other)
			}
			bodies[lang][t.Body] = k.kind
			ts.by[k.kind][lang] = len(ts.all)
			ts.all = append(ts.all, t)
		}
	}
	if len(ts.all) == 0 {
		return nil, errors.New("no templates")
	}
	return ts, nil
}

// decodeTemplates reads the file's tables, in the file's order, and fails
// on a key it does not know (a misspelt one would be silently empty).
func decodeTemplates(buf []byte) ([]rawKind, error) {
	var raw map[string]map[string]toml.Primitive
	md, err := toml.Decode(string(buf), &raw)
	if err != nil {
		return nil, err
	}
	var kinds []rawKind
	for _, key := range md.Keys() {
		if len(key) != 1 {
			continue
		}
		k := rawKind{kind: key[0], langs: map[string]rawLang{}}
		for field, p := range raw[k.kind] {
			var err error
			switch {
			case field == "name":
				err = md.PrimitiveDecode(p, &k.name)
			case field == "category":
				err = md.PrimitiveDecode(p, &k.category)
			case slices.Contains(langs, field):
				var rl rawLang
				err = md.PrimitiveDecode(p, &rl)
				k.langs[field] = rl
			default:
				err = fmt.Errorf("unknown key %q (want name, category, %s)", field, strings.Join(langs, ", "))
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.kind, err)
			}
		}
		kinds = append(kinds, k)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("unknown keys: %s (want body, examples, buttons with label and payload)", strings.Join(keys, ", "))
	}
	return kinds, nil
}

func payloads(bs []QuickReply) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Payload
	}
	return out
}

func checkName(name string) error {
	if !templateName.MatchString(name) || len(name) > maxTemplateName {
		return fmt.Errorf("name %q: want lindungi_ then lowercase letters, digits and underscores (at most %d)", name, maxTemplateName)
	}
	return nil
}

// check tests a template against Meta's rules for a body, its parameters
// and its buttons.
func (t TemplateText) check() error {
	body := t.Body
	switch {
	case strings.TrimSpace(body) == "":
		return errors.New("no body")
	case utf8.RuneCountInString(body) > maxTemplateBody:
		return fmt.Errorf("body has %d characters: at most %d", utf8.RuneCountInString(body), maxTemplateBody)
	case strings.TrimSpace(body) != body:
		return errors.New("body starts or ends with spaces or a line break")
	case strings.Contains(body, "\n\n\n"):
		return errors.New("body has more than one empty line in a row")
	case strings.ContainsAny(body, "\t\r"):
		return errors.New("body has a tab or a carriage return")
	}
	// The parameters: {{1}} … {{n}}, each once, in order.
	locs := placeholder.FindAllStringSubmatchIndex(body, -1)
	for i, l := range locs {
		n, err := strconv.Atoi(body[l[2]:l[3]])
		if err != nil || n != i+1 || body[l[2]:l[3]] != strconv.Itoa(n) {
			return fmt.Errorf("parameter %s: want {{%d}} (numbered 1, 2, … once each, in order)", body[l[0]:l[1]], i+1)
		}
	}
	if rest := placeholder.ReplaceAllString(body, ""); strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return errors.New("body has a {{ or }} that is not a parameter {{n}}")
	}
	n := len(locs)
	if len(t.Examples) != n {
		return fmt.Errorf("%d examples for %d parameters", len(t.Examples), n)
	}
	if n > 0 {
		if !hasWord(body[:locs[0][0]]) {
			return errors.New("body starts with a parameter (Meta refuses it: put words before {{1}})")
		}
		if !hasWord(body[locs[n-1][1]:]) {
			return fmt.Errorf("body ends with a parameter (Meta refuses it: put words after {{%d}})", n)
		}
		for i := 1; i < n; i++ {
			if !hasWord(body[locs[i-1][1]:locs[i][0]]) {
				return fmt.Errorf("{{%d}} and {{%d}} are next to each other (Meta refuses it: put words between them)", i, i+1)
			}
		}
		words := 0
		for _, f := range strings.Fields(placeholder.ReplaceAllString(body, " ")) {
			if hasWord(f) {
				words++
			}
		}
		if words < 2*n+1 {
			return fmt.Errorf("%d words for %d parameters: Meta refuses too many parameters for the length (want %d words at least)", words, n, 2*n+1)
		}
	}
	for i, e := range t.Examples {
		if err := plainLine(e, 0); err != nil {
			return fmt.Errorf("example of {{%d}}: %w", i+1, err)
		}
	}
	if len(t.Buttons) > maxQuickReplies {
		return fmt.Errorf("%d buttons: at most %d", len(t.Buttons), maxQuickReplies)
	}
	seen := map[string]bool{}
	for i, b := range t.Buttons {
		if err := plainLine(b.Label, maxButtonLabel); err != nil {
			return fmt.Errorf("button %d label: %w", i+1, err)
		}
		if seen[b.Label] {
			return fmt.Errorf("button %d label %q: two buttons have it", i+1, b.Label)
		}
		seen[b.Label] = true
		if b.Payload == "" || len(b.Payload) > maxButtonPayload || strings.ContainsFunc(b.Payload, unicode.IsSpace) {
			return fmt.Errorf("button %d payload %q: want the bot's data for the tap, such as go:pay (no spaces, at most %d bytes)", i+1, b.Payload, maxButtonPayload)
		}
	}
	return nil
}

// hasWord reports whether s has a letter or a digit: the text Meta wants
// before, between and after parameters.
func hasWord(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
}

// plainLine checks a parameter's example or a button's label: not empty,
// one line, no emoji, no run of 4 spaces (WhatsApp refuses these in
// parameters), at most limit characters when limit > 0.
func plainLine(s string, limit int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("empty")
	case limit > 0 && utf8.RuneCountInString(s) > limit:
		return fmt.Errorf("%q has %d characters: at most %d", s, utf8.RuneCountInString(s), limit)
	case strings.ContainsAny(s, "\n\r\t"):
		return fmt.Errorf("%q has a line break or a tab", s)
	case strings.Contains(s, "    "):
		return fmt.Errorf("%q has 4 spaces in a row", s)
	case strings.ContainsFunc(s, isEmoji):
		return fmt.Errorf("%q has an emoji", s)
	}
	return nil
}

// isEmoji reports the runes of emoji and pictographs (and the variation
// selector that makes a symbol one).
func isEmoji(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r >= 0x2B00 && r <= 0x2BFF || r == 0xFE0F || r == 0x200D
}
