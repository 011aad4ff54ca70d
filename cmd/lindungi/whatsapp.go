package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/lindungi/lindungi/bot/whatsapp"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
)

const whatsappUsage = "usage: lindungi whatsapp templates [--submit | --status]"

// whatsappCommand is `lindungi whatsapp templates`: it prints the WhatsApp
// message templates (locales/templates.toml) as the Graph API's
// message_templates JSON; --submit sends each for Meta's review, --status
// shows Meta's verdict on each. Printing needs no configuration; --submit
// and --status need WHATSAPP_ACCESS_TOKEN and WHATSAPP_BUSINESS_ACCOUNT_ID.
func whatsappCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "templates" {
		if asksHelp(args) {
			fmt.Fprintln(stdout, whatsappUsage)
			return nil
		}
		return errors.New(whatsappUsage)
	}
	fs := flag.NewFlagSet("whatsapp templates", flag.ContinueOnError)
	fs.SetOutput(stdout)
	submit := fs.Bool("submit", false, "submit every template for Meta's review (POST {WHATSAPP_API_URL}/{WHATSAPP_BUSINESS_ACCOUNT_ID}/message_templates); one that exists already is reported")
	status := fs.Bool("status", false, "show Meta's review status of every template (APPROVED, PENDING, REJECTED with the reason), and the ones missing at Meta")
	fs.Usage = func() {
		fmt.Fprintln(stdout, whatsappUsage)
		fmt.Fprintln(stdout, "\nWithout a flag, prints the templates as Meta's message_templates JSON.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("whatsapp templates: unexpected %q (%s)", fs.Arg(0), whatsappUsage)
	}
	if *submit && *status {
		return errors.New("whatsapp templates: --submit or --status, not both")
	}
	tpl, err := locales.LoadTemplates()
	if err != nil {
		return fmt.Errorf("load templates: %w", err)
	}
	defs := waTemplateDefs(tpl)
	if !*submit && !*status {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(defs); err != nil {
			return fmt.Errorf("whatsapp templates: %w", err)
		}
		return nil
	}
	what := "--status"
	if *submit {
		what = "--submit"
	}
	client, err := waTemplateClient(getenv, what)
	if err != nil {
		return err
	}
	if *submit {
		return waSubmit(ctx, client, defs, stdout)
	}
	return waStatus(ctx, client, defs, stdout)
}

// waTemplateDefs converts the templates into the Graph API's
// message_templates objects: a BODY with its example values, and BUTTONS
// with a QUICK_REPLY per button. The order is tpl.All()'s.
func waTemplateDefs(tpl *locales.Templates) []whatsapp.TemplateDef {
	var defs []whatsapp.TemplateDef
	for _, t := range tpl.All() {
		body := whatsapp.TemplateComponent{Type: "BODY", Text: t.Body}
		if len(t.Examples) > 0 {
			body.Example = &whatsapp.TemplateExample{BodyText: [][]string{t.Examples}}
		}
		d := whatsapp.TemplateDef{Name: t.Name, Language: t.Lang, Category: t.Category, Components: []whatsapp.TemplateComponent{body}}
		if len(t.Buttons) > 0 {
			buttons := whatsapp.TemplateComponent{Type: "BUTTONS"}
			for _, b := range t.Buttons {
				buttons.Buttons = append(buttons.Buttons, whatsapp.TemplateButton{Type: "QUICK_REPLY", Text: b.Label})
			}
			d.Components = append(d.Components, buttons)
		}
		defs = append(defs, d)
	}
	return defs
}

// waTemplateFor is what to send for a notice where only a template reaches
// the chat: the template of n.Kind in n.Lang (Indonesian for a language
// without templates), n.Params as the body's parameters, and the payloads
// of its quick-reply buttons (a tap comes back as that choice: "go:pay").
// Long parameters are shortened to fit the body's limit (fitParams). It
// reports false for a kind without a template, or when n has not the
// number of parameters the template has (flows.NoticeKinds).
func waTemplateFor(tpl *locales.Templates, n flows.Notice) (whatsapp.Template, bool) {
	t, ok := tpl.For(n.Kind, n.Lang)
	if !ok || len(n.Params) != t.Params() {
		return whatsapp.Template{}, false
	}
	out := whatsapp.Template{Name: t.Name, Lang: t.Lang, Body: fitParams(t.Body, n.Params)}
	for _, b := range t.Buttons {
		out.Payloads = append(out.Payloads, b.Payload)
	}
	return out, true
}

// maxTemplateBody is the most characters a template's body may have with
// its parameters filled in (Meta refuses a longer one with 132000-range
// errors).
const maxTemplateBody = 1024

// fitParams shortens the longest parameters (a broadcast's or a notice's
// whole text) so that body, filled in, stays within maxTemplateBody; what is
// cut ends in "…".
func fitParams(body string, params []string) []string {
	fixed := utf8.RuneCountInString(body)
	for i := range params {
		fixed -= utf8.RuneCountInString(fmt.Sprintf("{{%d}}", i+1))
	}
	out := slices.Clone(params)
	for {
		total, longest := fixed, -1
		for i, p := range out {
			n := utf8.RuneCountInString(p)
			total += n
			if longest < 0 || n > utf8.RuneCountInString(out[longest]) {
				longest = i
			}
		}
		if total <= maxTemplateBody || longest < 0 || utf8.RuneCountInString(out[longest]) <= 1 {
			return out
		}
		r := []rune(out[longest])
		keep := max(len(r)-(total-maxTemplateBody)-1, 0)
		out[longest] = strings.TrimSpace(string(r[:keep])) + "…"
	}
}

// loadTemplates loads the templates and checks that every notice kind
// (flows.NoticeKinds) has one, with its number of parameters, in every
// language of the catalogue.
func loadTemplates(cat *locales.Catalog) (*locales.Templates, error) {
	tpl, err := locales.LoadTemplates()
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	for kind, params := range flows.NoticeKinds {
		for _, lang := range cat.Langs() {
			t, ok := tpl.For(kind, lang)
			switch {
			case !ok:
				return nil, fmt.Errorf("load templates: no template for the notice %q (locales/templates.toml)", kind)
			case t.Lang != lang:
				return nil, fmt.Errorf("load templates: no template for the notice %q in %s (locales/templates.toml)", kind, lang)
			case t.Params() != params:
				return nil, fmt.Errorf("load templates: the template of the notice %q has %d parameters, the notice %d", kind, t.Params(), params)
			}
		}
	}
	return tpl, nil
}

// waTemplateClient makes a client for the business account's templates
// from the configuration.
func waTemplateClient(getenv func(string) string, what string) (*whatsapp.Client, error) {
	var missing []string
	for _, key := range []string{"WHATSAPP_ACCESS_TOKEN", "WHATSAPP_BUSINESS_ACCOUNT_ID"} {
		if getenv(key) == "" {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("whatsapp templates %s needs WHATSAPP_ACCESS_TOKEN and WHATSAPP_BUSINESS_ACCOUNT_ID; not set: %s", what, strings.Join(missing, ", "))
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	c, err := whatsapp.New(whatsapp.Options{AccessToken: cfg.WhatsAppToken, PhoneNumberID: cfg.WhatsAppPhoneID,
		BusinessAccountID: cfg.WhatsAppBusinessID, APIURL: cfg.WhatsAppAPIURL})
	if err != nil {
		return nil, fmt.Errorf("whatsapp templates %s: %w", what, err)
	}
	return c, nil
}

// waSubmit submits every template and prints a line for each: its name,
// language and status (PENDING, or APPROVED at once), "exists already", or
// the error. A template Meta refuses does not stop the others (the command
// fails at the end); any other failure (the token, the network, a rate
// limit) stops at once.
func waSubmit(ctx context.Context, c *whatsapp.Client, defs []whatsapp.TemplateDef, stdout io.Writer) error {
	line := waLine(defs, stdout)
	refused := 0
	for i, d := range defs {
		info, err := c.SubmitTemplate(ctx, d)
		var e *whatsapp.Error
		switch {
		case err == nil:
			line(d.Name, d.Language, info.Status)
		case waDuplicate(err):
			line(d.Name, d.Language, "exists already at Meta (to change its text, give the template a new name)")
		case errors.As(err, &e) && e.Status == http.StatusBadRequest && e.RetryAfter() == 0 && !e.TokenExpired():
			line(d.Name, d.Language, "REFUSED: "+e.Error())
			refused++
		default:
			msg := err.Error()
			if e != nil {
				msg = e.Error() // without the name and language the line has
			}
			line(d.Name, d.Language, "error (stopped here): "+msg)
			return fmt.Errorf("whatsapp templates --submit: stopped at %d of %d: %w", i+1, len(defs), err)
		}
	}
	if refused > 0 {
		return fmt.Errorf("whatsapp templates --submit: Meta refused %d of %d templates", refused, len(defs))
	}
	return nil
}

// subcodeTemplateExists is Meta's error_subcode for a template whose name
// exists already in that language ("There is already en content for this
// template").
const subcodeTemplateExists = 2388024

// waDuplicate reports Meta's answer to a template that exists already.
func waDuplicate(err error) bool {
	var e *whatsapp.Error
	if !errors.As(err, &e) {
		return false
	}
	text := strings.ToLower(e.Message + " " + e.Details)
	return e.Subcode == subcodeTemplateExists || strings.Contains(text, "already exists") || strings.Contains(text, "there is already")
}

// waStatus prints Meta's status of each template, marks the ones missing at
// Meta and the ones Meta moved to another category, and lists Meta's
// lindungi_ templates that are defined here no more. It fails only when the
// list cannot be read.
func waStatus(ctx context.Context, c *whatsapp.Client, defs []whatsapp.TemplateDef, stdout io.Writer) error {
	infos, err := c.Templates(ctx)
	if err != nil {
		return fmt.Errorf("whatsapp templates --status: %w", err)
	}
	type key struct{ name, lang string }
	at := map[key]whatsapp.TemplateInfo{}
	for _, in := range infos {
		at[key{in.Name, in.Language}] = in
	}
	line := waLine(defs, stdout)
	counts := map[string]int{}
	ours := map[key]bool{}
	for _, d := range defs {
		ours[key{d.Name, d.Language}] = true
		in, ok := at[key{d.Name, d.Language}]
		if !ok {
			counts["missing"]++
			line(d.Name, d.Language, "MISSING at Meta (submit it with --submit)")
			continue
		}
		counts[in.Status]++
		s := in.Status
		if r := in.RejectedReason; r != "" && r != "NONE" {
			s += " (" + r + ")"
		}
		if in.Category != "" && !strings.EqualFold(in.Category, d.Category) {
			s += "; Meta made it " + strings.ToUpper(in.Category) + ", not " + d.Category
		}
		line(d.Name, d.Language, s)
	}
	var stale []whatsapp.TemplateInfo
	for _, in := range infos {
		if strings.HasPrefix(in.Name, "lindungi_") && !ours[key{in.Name, in.Language}] {
			stale = append(stale, in)
		}
	}
	sort.Slice(stale, func(i, j int) bool {
		return stale[i].Name < stale[j].Name || stale[i].Name == stale[j].Name && stale[i].Language < stale[j].Language
	})
	for _, in := range stale {
		line(in.Name, in.Language, in.Status+": not in locales/templates.toml (an old version?)")
	}
	statuses := make([]string, 0, len(counts))
	for s := range counts {
		statuses = append(statuses, s)
	}
	sort.Strings(statuses)
	parts := make([]string, len(statuses))
	for i, s := range statuses {
		parts[i] = fmt.Sprintf("%d %s", counts[s], s)
	}
	fmt.Fprintf(stdout, "%d templates: %s\n", len(defs), strings.Join(parts, ", "))
	return nil
}

// waLine returns a printer of "name  language  text" lines, the names
// aligned.
func waLine(defs []whatsapp.TemplateDef, w io.Writer) func(name, lang, text string) {
	width := 0
	for _, d := range defs {
		width = max(width, len(d.Name))
	}
	return func(name, lang, text string) {
		fmt.Fprintf(w, "%-*s  %-5s %s\n", width, name, lang, text)
	}
}
