package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/lindungi/lindungi/bot/whatsapp"
	"github.com/lindungi/lindungi/bot/whatsapp/whatsapptest"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
)

// templateData are the one-tap data the flows take whatever the chat is
// doing (flows/remind.go payNowData, engine.go resumeData, register.go's
// "go:"+Button…): the only payloads a template's button may carry.
var templateData = []string{"go:" + flows.ButtonPay, "go:" + flows.ButtonStatus, "go:" + flows.ButtonCard, "go:resume"}

var (
	templateParam = regexp.MustCompile(`\{\{(\d+)\}\}`)
	templateName  = regexp.MustCompile(`^lindungi_[a-z0-9_]{1,503}$`)
)

func loadTestTemplates(t *testing.T) *locales.Templates {
	t.Helper()
	tpl, err := locales.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// Every notice kind has a template in Indonesian and English that Meta's
// rules let through, with the notice's parameters; every template is of a
// notice kind. (The locales package checks the same rules on its own: this
// is the cross-check with flows, which locales may not import.)
func TestTemplatesForEveryNotice(t *testing.T) {
	tpl := loadTestTemplates(t)
	names := map[string]map[string]string{} // language → name → kind
	for _, kind := range tpl.Kinds() {
		if _, ok := flows.NoticeKinds[kind]; !ok {
			t.Errorf("templates.toml has %q, which is not a notice kind (flows.NoticeKinds)", kind)
		}
	}
	for kind, params := range flows.NoticeKinds {
		for _, lang := range []string{"id", "en"} {
			t.Run(kind+"."+lang, func(t *testing.T) {
				tt, ok := tpl.For(kind, lang)
				if !ok || tt.Lang != lang {
					t.Fatalf("no template (got %q, %v)", tt.Lang, ok)
				}
				if !templateName.MatchString(tt.Name) {
					t.Errorf("name %q: want lindungi_ and lowercase letters, digits, underscores", tt.Name)
				}
				if names[lang] == nil {
					names[lang] = map[string]string{}
				}
				if other, ok := names[lang][tt.Name]; ok {
					t.Errorf("name %q is %s's too", tt.Name, other)
				}
				names[lang][tt.Name] = kind
				if tt.Category != "UTILITY" {
					t.Errorf("category %q, want UTILITY", tt.Category)
				}
				body := tt.Body
				if n := utf8.RuneCountInString(body); n > 1024 {
					t.Errorf("body of %d characters, at most 1024", n)
				}
				locs := templateParam.FindAllStringSubmatchIndex(body, -1)
				if len(locs) != params || tt.Params() != params || len(tt.Examples) != params {
					t.Fatalf("%d parameters ({{n}}), %d examples; the notice has %d", len(locs), len(tt.Examples), params)
				}
				word := func(s string) bool {
					return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
				}
				for i, l := range locs {
					if n, _ := strconv.Atoi(body[l[2]:l[3]]); n != i+1 {
						t.Errorf("parameter %d is {{%d}}: want 1..n in order", i+1, n)
					}
					before := body[:l[0]]
					if i > 0 {
						before = body[locs[i-1][1]:l[0]]
					}
					if !word(before) {
						t.Errorf("nothing but spaces or punctuation before {{%d}}: %q", i+1, before)
					}
				}
				if last := locs[len(locs)-1]; !word(body[last[1]:]) {
					t.Errorf("the body ends with a parameter: %q", body[last[0]:])
				}
				for _, e := range tt.Examples {
					if e == "" || strings.ContainsAny(e, "\n\t") {
						t.Errorf("example %q: want one line", e)
					}
				}
				for _, b := range tt.Buttons {
					if n := utf8.RuneCountInString(b.Label); n == 0 || n > 20 {
						t.Errorf("button %q: %d characters, 1 to 20", b.Label, n)
					}
					if !slices.Contains(templateData, b.Payload) {
						t.Errorf("button %q sends %q, which the flows do not take (want one of %q)", b.Label, b.Payload, templateData)
					}
				}
				// A broadcast's button is the one its template is named for.
				if button, ok := strings.CutPrefix(kind, flows.NoticeBroadcast+"_"); ok {
					if len(tt.Buttons) != 1 || tt.Buttons[0].Payload != "go:"+button {
						t.Errorf("buttons %+v, want one that sends go:%s", tt.Buttons, button)
					}
				}
			})
		}
	}
}

func TestWhatsAppTemplatesJSON(t *testing.T) {
	tpl := loadTestTemplates(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"lindungi", "whatsapp", "templates"}, func(string) string { return "" }, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	dec.DisallowUnknownFields()
	var defs []whatsapp.TemplateDef
	if err := dec.Decode(&defs); err != nil {
		t.Fatalf("the output is not an array of message_templates objects: %v\n%s", err, out.String())
	}
	if want := waTemplateDefs(tpl); !reflect.DeepEqual(defs, want) {
		t.Errorf("printed %+v\nwant %+v", defs, want)
	}
	if len(defs) != 2*len(tpl.Kinds()) {
		t.Errorf("%d templates, want %d (every kind in id and en)", len(defs), 2*len(tpl.Kinds()))
	}
	again, err := json.MarshalIndent(defs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(out.Bytes()), bytes.ReplaceAll(again, []byte(`\u0026`), []byte("&"))) {
		t.Errorf("the output does not round-trip:\n%s\nagain:\n%s", out.String(), again)
	}
	for _, d := range defs {
		tt, _ := tpl.For(kindOf(t, tpl, d.Name), d.Language)
		if d.Category != "UTILITY" || len(d.Components) == 0 {
			t.Fatalf("%s (%s): %+v", d.Name, d.Language, d)
		}
		body := d.Components[0]
		if body.Type != "BODY" || body.Text != tt.Body || body.Example == nil || !reflect.DeepEqual(body.Example.BodyText, [][]string{tt.Examples}) {
			t.Errorf("%s (%s): body %+v, want the text with its examples", d.Name, d.Language, body)
		}
		var labels []string
		for _, c := range d.Components[1:] {
			if c.Type != "BUTTONS" {
				t.Errorf("%s (%s): component %q", d.Name, d.Language, c.Type)
			}
			for _, b := range c.Buttons {
				if b.Type != "QUICK_REPLY" {
					t.Errorf("%s (%s): button %+v", d.Name, d.Language, b)
				}
				labels = append(labels, b.Text)
			}
		}
		var want []string
		for _, b := range tt.Buttons {
			want = append(want, b.Label)
		}
		if !slices.Equal(labels, want) {
			t.Errorf("%s (%s): buttons %q, want %q", d.Name, d.Language, labels, want)
		}
	}
}

// kindOf finds the notice kind of a template name.
func kindOf(t *testing.T, tpl *locales.Templates, name string) string {
	t.Helper()
	for _, tt := range tpl.All() {
		if tt.Name == name {
			return tt.Kind
		}
	}
	t.Fatalf("no template %q", name)
	return ""
}

// waEnv is the configuration for the fake Cloud API.
func waEnv(srv *whatsapptest.Server, drop ...string) func(string) string {
	env := map[string]string{
		"WHATSAPP_ACCESS_TOKEN": whatsapptest.AccessToken, "WHATSAPP_PHONE_NUMBER_ID": whatsapptest.PhoneNumberID,
		"WHATSAPP_APP_SECRET": whatsapptest.AppSecret, "WHATSAPP_VERIFY_TOKEN": whatsapptest.VerifyToken,
		"WHATSAPP_BUSINESS_ACCOUNT_ID": whatsapptest.BusinessAccountID, "LINDUNGI_LOG_LEVEL": "error",
	}
	if srv != nil {
		env["WHATSAPP_API_URL"] = srv.URL()
	}
	for _, k := range drop {
		delete(env, k)
	}
	return func(k string) string { return env[k] }
}

// waRun runs `lindungi whatsapp templates args…` and returns its lines.
func waRun(t *testing.T, getenv func(string) string, args ...string) ([]string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"lindungi", "whatsapp", "templates"}, args...), getenv, strings.NewReader(""), &out)
	return strings.Split(strings.TrimRight(out.String(), "\n"), "\n"), err
}

// lineOf finds the line of a template in a command's output.
func lineOf(lines []string, name, lang string) string {
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == name && f[1] == lang {
			return l
		}
	}
	return ""
}

func TestWhatsAppTemplatesSubmit(t *testing.T) {
	tpl := loadTestTemplates(t)
	defs := waTemplateDefs(tpl)
	dup := defs[3]
	for _, tt := range []struct {
		name    string
		fail    *whatsapptest.Failure
		times   int
		wantErr string            // "" for none
		lines   int               // lines printed
		want    map[string]string // name/lang → in its line
	}{
		{name: "all", lines: len(defs), want: map[string]string{
			defs[0].Name + "/id": "PENDING", defs[1].Name + "/en": "PENDING", dup.Name + "/" + dup.Language: "exists already",
		}},
		{name: "one refused", times: 1, fail: &whatsapptest.Failure{Status: 400, Code: 100, Subcode: 2388040, Message: "Invalid parameter",
			Details: "The body text is too long."}, wantErr: "refused 1 of", lines: len(defs),
			want: map[string]string{defs[0].Name + "/id": "REFUSED", defs[1].Name + "/en": "PENDING", dup.Name + "/" + dup.Language: "exists already"}},
		{name: "token expired", times: -1, fail: &whatsapptest.TokenExpired, wantErr: "stopped at 1 of", lines: 1,
			want: map[string]string{defs[0].Name + "/id": "error (stopped here): "}},
		{name: "server error", times: -1, fail: &whatsapptest.InternalError, wantErr: "unknown error", lines: 1,
			want: map[string]string{defs[0].Name + "/id": "error (stopped here): "}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := whatsapptest.NewServer(t)
			srv.AddTemplate(dup.Name, dup.Language, 1) // submitted before
			if tt.fail != nil {
				srv.Fail("message_templates", "", tt.times, *tt.fail)
			}
			lines, err := waRun(t, waEnv(srv), "--submit")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v\n%s", err, strings.Join(lines, "\n"))
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one with %q\n%s", err, tt.wantErr, strings.Join(lines, "\n"))
			}
			if len(lines) != tt.lines {
				t.Errorf("%d lines, want %d:\n%s", len(lines), tt.lines, strings.Join(lines, "\n"))
			}
			for key, want := range tt.want {
				name, lang, _ := strings.Cut(key, "/")
				if l := lineOf(lines, name, lang); !strings.Contains(l, want) {
					t.Errorf("%s (%s): line %q, want %q in it", name, lang, l, want)
				}
			}
			if strings.Contains(strings.Join(lines, "\n"), whatsapptest.AccessToken) {
				t.Error("the output shows the access token")
			}
			// What was posted is what is printed without --submit.
			reqs := srv.Requests("message_templates")
			if len(reqs) != tt.lines {
				t.Fatalf("%d requests, want %d", len(reqs), tt.lines)
			}
			for i, r := range reqs {
				var d whatsapp.TemplateDef
				if r.Method != "POST" || !strings.HasSuffix(r.Path, "/"+whatsapptest.BusinessAccountID+"/message_templates") || json.Unmarshal(r.Body, &d) != nil {
					t.Fatalf("request %s %s %s", r.Method, r.Path, r.Body)
				}
				if !reflect.DeepEqual(d, defs[i]) {
					t.Errorf("posted %+v, want %+v", d, defs[i])
				}
			}
		})
	}
}

func TestWhatsAppTemplatesStatus(t *testing.T) {
	tpl := loadTestTemplates(t)
	defs := waTemplateDefs(tpl)
	srv := whatsapptest.NewServer(t)
	if _, err := waRun(t, waEnv(srv), "--submit"); err != nil {
		t.Fatal(err)
	}
	srv.SetTemplateStatus(defs[0].Name, defs[0].Language, "APPROVED")
	srv.SetTemplateStatus(defs[1].Name, defs[1].Language, "REJECTED")
	srv.AddTemplate("lindungi_iuran_lama", "id", 2) // an old version, defined here no more
	srv.AddTemplate("hello_world", "en_US", 0)      // not ours
	lines, err := waRun(t, waEnv(srv), "--status")
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	for _, tt := range []struct{ name, lang, want string }{
		{defs[0].Name, defs[0].Language, "APPROVED"},
		{defs[1].Name, defs[1].Language, "REJECTED"},
		{defs[2].Name, defs[2].Language, "PENDING"},
		{"lindungi_iuran_lama", "id", "not in locales/templates.toml"},
	} {
		if l := lineOf(lines, tt.name, tt.lang); !strings.Contains(l, tt.want) {
			t.Errorf("%s (%s): line %q, want %q in it", tt.name, tt.lang, l, tt.want)
		}
	}
	if l := lineOf(lines, "hello_world", "en_US"); l != "" {
		t.Errorf("a template not ours is listed: %q", l)
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "1 APPROVED") || !strings.Contains(last, "1 REJECTED") || !strings.Contains(last, strconv.Itoa(len(defs)-2)+" PENDING") {
		t.Errorf("summary %q", last)
	}

	t.Run("missing at Meta", func(t *testing.T) {
		srv := whatsapptest.NewServer(t)
		srv.AddTemplate(defs[0].Name, defs[0].Language, 4)
		lines, err := waRun(t, waEnv(srv), "--status")
		if err != nil {
			t.Fatal(err)
		}
		if l := lineOf(lines, defs[0].Name, defs[0].Language); !strings.Contains(l, "APPROVED") {
			t.Errorf("line %q", l)
		}
		for _, d := range defs[1:] {
			if l := lineOf(lines, d.Name, d.Language); !strings.Contains(l, "MISSING") {
				t.Errorf("%s (%s): line %q, want MISSING", d.Name, d.Language, l)
			}
		}
	})
	t.Run("the list fails", func(t *testing.T) {
		srv := whatsapptest.NewServer(t)
		srv.Fail("message_templates", "", 1, whatsapptest.InternalError)
		if _, err := waRun(t, waEnv(srv), "--status"); err == nil || !strings.Contains(err.Error(), "--status") {
			t.Fatalf("error %v, want the failed call", err)
		}
	})
}

func TestWhatsAppTemplatesConfig(t *testing.T) {
	srv := whatsapptest.NewServer(t)
	for _, tt := range []struct {
		name   string
		args   []string
		getenv func(string) string
		want   string // in the error
		not    string // not in the error
	}{
		{"nothing set", []string{"--submit"}, func(string) string { return "" }, "not set: WHATSAPP_ACCESS_TOKEN, WHATSAPP_BUSINESS_ACCOUNT_ID", ""},
		{"no business account", []string{"--status"}, waEnv(srv, "WHATSAPP_BUSINESS_ACCOUNT_ID"), "not set: WHATSAPP_BUSINESS_ACCOUNT_ID", "not set: WHATSAPP_ACCESS_TOKEN"},
		{"no token", []string{"--submit"}, waEnv(srv, "WHATSAPP_ACCESS_TOKEN"), "not set: WHATSAPP_ACCESS_TOKEN", "WHATSAPP_BUSINESS_ACCOUNT_ID,"},
		{"no phone number id", []string{"--submit"}, waEnv(srv, "WHATSAPP_PHONE_NUMBER_ID"), "WHATSAPP_PHONE_NUMBER_ID", ""},
		{"a wrong token", []string{"--status"}, func(k string) string {
			if k == "WHATSAPP_ACCESS_TOKEN" {
				return "EAAGwrong"
			}
			return waEnv(srv)(k)
		}, "190", ""},
		{"both flags", []string{"--submit", "--status"}, waEnv(srv), "not both", ""},
		{"an argument", []string{"all"}, waEnv(srv), `unexpected "all"`, ""},
		{"an unknown flag", []string{"--delete"}, waEnv(srv), "-delete", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := waRun(t, tt.getenv, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || tt.not != "" && strings.Contains(err.Error(), tt.not) {
				t.Fatalf("error %v, want one with %q (and without %q)", err, tt.want, tt.not)
			}
		})
	}
	if n := len(srv.Requests("message_templates")); n != 1 {
		t.Errorf("%d calls to message_templates, want the wrong token's only", n)
	}
}

func TestWhatsAppHelp(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range []string{"whatsapp -h", "whatsapp --help", "whatsapp templates -h", "whatsapp templates --submit --help", "help"} {
		t.Run(args, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"lindungi"}, strings.Fields(args)...), none, strings.NewReader(""), &out)
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "usage") || !strings.Contains(out.String(), "whatsapp templates") {
				t.Errorf("no usage of whatsapp templates:\n%s", out.String())
			}
		})
	}
	if _, err := waRun(t, none, "nothing"); err == nil {
		t.Error("an unknown argument was taken")
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"lindungi", "whatsapp", "temples"}, none, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("lindungi whatsapp temples: %v, want the usage", err)
	}
}

func TestWhatsAppTemplateFor(t *testing.T) {
	tpl := loadTestTemplates(t)
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadTemplates(cat); err != nil {
		t.Fatalf("loadTemplates: %v", err)
	}
	// Every template Meta approved, as the fake has it.
	srv := whatsapptest.NewServer(t)
	for _, d := range waTemplateDefs(tpl) {
		tt, _ := tpl.For(kindOf(t, tpl, d.Name), d.Language)
		srv.AddTemplate(d.Name, d.Language, tt.Params())
	}
	client, err := whatsapp.New(whatsapp.Options{AccessToken: whatsapptest.AccessToken, PhoneNumberID: whatsapptest.PhoneNumberID,
		BusinessAccountID: whatsapptest.BusinessAccountID, APIURL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	params := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "nilai " + strconv.Itoa(i+1)
		}
		return out
	}
	type want struct {
		name, lang string
		payloads   []string
	}
	for _, tt := range []struct {
		notice flows.Notice
		want   *want // nil: no template
	}{
		{flows.Notice{Kind: flows.NoticeRemindBefore, Lang: "id", Params: params(4)}, &want{"lindungi_iuran_pengingat", "id", []string{"go:pay"}}},
		{flows.Notice{Kind: flows.NoticeRemindBefore, Lang: "en", Params: params(4)}, &want{"lindungi_iuran_pengingat", "en", []string{"go:pay"}}},
		{flows.Notice{Kind: flows.NoticeRemindBefore, Params: params(4)}, &want{"lindungi_iuran_pengingat", "id", []string{"go:pay"}}},
		{flows.Notice{Kind: flows.NoticeRemindBefore, Lang: "jv", Params: params(4)}, &want{"lindungi_iuran_pengingat", "id", []string{"go:pay"}}},
		{flows.Notice{Kind: flows.NoticeRemindLapsed, Lang: "id", Params: params(3)}, &want{"lindungi_iuran_berakhir", "id", []string{"go:pay"}}},
		{flows.Notice{Kind: flows.NoticeRemindArrears, Lang: "en", Params: params(4)}, &want{"lindungi_iuran_tunggakan", "en", []string{"go:pay"}}},
		{flows.Notice{Kind: flows.NoticeNudge, Lang: "id", Params: params(1)}, &want{"lindungi_daftar_belum_selesai", "id", []string{"go:resume"}}},
		{flows.Notice{Kind: flows.NoticePaid, Lang: "id", Params: params(3)}, &want{"lindungi_iuran_diterima", "id", []string{"go:card"}}},
		{flows.Notice{Kind: flows.NoticePaidJHT, Lang: "en", Params: params(2)}, &want{"lindungi_jht_diterima", "en", nil}},
		{flows.Notice{Kind: flows.NoticeAgentPaid, Lang: "id", Params: params(2)}, &want{"lindungi_agen_iuran_diterima", "id", nil}},
		{flows.Notice{Kind: flows.NoticeKPJ, Lang: "id", Params: params(3)}, &want{"lindungi_kpj", "id", []string{"go:card"}}},
		{flows.Notice{Kind: flows.NoticeKPJAgent, Lang: "en", Params: params(3)}, &want{"lindungi_kpj_warga", "en", nil}},
		{flows.Notice{Kind: flows.NoticeBroadcast, Lang: "id", Params: params(1)}, &want{"lindungi_pengumuman", "id", nil}},
		{flows.Notice{Kind: flows.NoticeBroadcast + "_" + flows.ButtonPay, Lang: "id", Params: params(1)}, &want{"lindungi_pengumuman_bayar", "id", []string{"go:pay"}}},
		{flows.Notice{Kind: flows.NoticeBroadcast + "_" + flows.ButtonStatus, Lang: "en", Params: params(1)}, &want{"lindungi_pengumuman_status", "en", []string{"go:status"}}},
		{flows.Notice{Kind: flows.NoticeBroadcast + "_" + flows.ButtonCard, Lang: "id", Params: params(1)}, &want{"lindungi_pengumuman_kartu", "id", []string{"go:card"}}},
		{flows.Notice{Kind: flows.NoticeAgent, Lang: "id", Params: params(1)}, &want{"lindungi_pemberitahuan_agen", "id", nil}},
		{flows.Notice{Kind: "message", Lang: "en", Params: params(1)}, &want{"lindungi_pesan", "en", nil}},
		{flows.Notice{Kind: flows.NoticeRemindBefore, Lang: "id", Params: params(3)}, nil}, // a parameter missing
		{flows.Notice{Kind: flows.NoticeNudge, Lang: "id", Params: params(2)}, nil},        // one too many
		{flows.Notice{Kind: flows.NoticeBroadcast, Lang: "id"}, nil},
		{flows.Notice{Kind: "no_such_kind", Lang: "id", Params: params(1)}, nil},
		{flows.Notice{}, nil},
	} {
		t.Run(tt.notice.Kind+"."+tt.notice.Lang+"."+strconv.Itoa(len(tt.notice.Params)), func(t *testing.T) {
			got, ok := waTemplateFor(tpl, tt.notice)
			if tt.want == nil {
				if ok {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if !ok || got.Name != tt.want.name || got.Lang != tt.want.lang || !slices.Equal(got.Body, tt.notice.Params) || !slices.Equal(got.Payloads, tt.want.payloads) {
				t.Fatalf("got %+v, %v; want %+v with the params", got, ok, *tt.want)
			}
			// The fake Cloud API takes it: the name and language exist, the parameters fit.
			if _, err := client.SendTemplateMessage(context.Background(), "6281234567890", got); err != nil {
				t.Fatalf("send: %v", err)
			}
			msgs := srv.Messages("6281234567890")
			sent := msgs[len(msgs)-1].Template
			if sent == nil || sent.Name != got.Name || !slices.Equal(sent.Payloads, got.Payloads) {
				t.Errorf("sent %+v", sent)
			}
		})
	}
	// Every kind: covered above, or at least found.
	for kind, n := range flows.NoticeKinds {
		if _, ok := waTemplateFor(tpl, flows.Notice{Kind: kind, Params: params(n)}); !ok {
			t.Errorf("no template for the notice %q", kind)
		}
	}
}
