package locales

import (
	"fmt"
	"strings"
	"testing"
)

func TestTemplatesLoad(t *testing.T) {
	ts, err := LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	all := ts.All()
	if len(all) != len(ts.Kinds())*len(langs) {
		t.Errorf("%d templates for %d kinds in %d languages", len(all), len(ts.Kinds()), len(langs))
	}
	for _, kind := range ts.Kinds() {
		id, _ := ts.For(kind, "id")
		for _, lang := range langs {
			tt, ok := ts.For(kind, lang)
			if !ok || tt.Lang != lang || tt.Kind != kind {
				t.Errorf("For(%q, %q) = %+v, %v", kind, lang, tt, ok)
				continue
			}
			if tt.Name != id.Name || tt.Category != "UTILITY" {
				t.Errorf("%s.%s: name %q, category %q; want %q (the Indonesian one's), UTILITY", kind, lang, tt.Name, tt.Category, id.Name)
			}
		}
	}
	if first := all[0]; first.Kind != "remind_before" || first.Lang != Default {
		t.Errorf("All starts with %s.%s, want the file's first, remind_before.id", first.Kind, first.Lang)
	}
}

func TestTemplatesFor(t *testing.T) {
	ts, err := LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		kind, lang string
		ok         bool
		wantLang   string
	}{
		{"remind_before", "id", true, "id"},
		{"remind_before", "en", true, "en"},
		{"remind_before", "", true, "id"},   // no language: Indonesian
		{"remind_before", "fr", true, "id"}, // a language without templates: Indonesian
		{"nudge", "en", true, "en"},
		{"no_such_kind", "id", false, ""},
		{"", "id", false, ""},
	} {
		got, ok := ts.For(tt.kind, tt.lang)
		if ok != tt.ok || got.Lang != tt.wantLang {
			t.Errorf("For(%q, %q) = lang %q, %v; want %q, %v", tt.kind, tt.lang, got.Lang, ok, tt.wantLang, tt.ok)
		}
	}
	// What For and All return is a copy.
	a, _ := ts.For("remind_before", "id")
	a.Examples[0], a.Buttons[0].Payload = "changed", "changed"
	all := ts.All()
	all[0].Examples[0] = "changed"
	if b, _ := ts.For("remind_before", "id"); b.Examples[0] == "changed" || b.Buttons[0].Payload == "changed" {
		t.Error("changing what For or All returned changed the templates")
	}
}

// templateTOML makes a templates file of one kind from its languages' tables.
func templateTOML(name, id, en string) string {
	return fmt.Sprintf("[paid]\nname = %q\ncategory = \"UTILITY\"\n\n[paid.id]\n%s\n\n[paid.en]\n%s\n", name, id, en)
}

const (
	goodID = `body = "Iuran untuk {{1}} sudah kami terima. Perlindungan berlaku sampai {{2}}. Terima kasih."
examples = ["Siti Aminah", "10 Juni 2027"]
buttons = [{ label = "Lihat kartu", payload = "go:card" }]`
	goodEN = `body = "We have received the contribution for {{1}}. The protection lasts until {{2}}. Thank you."
examples = ["Siti Aminah", "10 June 2027"]
buttons = [{ label = "See card", payload = "go:card" }]`
)

// withBody is a language's table with another body (and examples for n
// parameters).
func withBody(body string, n int) string {
	ex := make([]string, n)
	for i := range ex {
		ex[i] = fmt.Sprintf("%q", fmt.Sprint("contoh ", i+1))
	}
	return fmt.Sprintf("body = %q\nexamples = [%s]", body, strings.Join(ex, ", "))
}

// withButtons is goodID with other buttons.
func withButtons(buttons string) string {
	return strings.Replace(goodID, `[{ label = "Lihat kartu", payload = "go:card" }]`, buttons, 1)
}

func TestTemplateRules(t *testing.T) {
	for _, tt := range []struct {
		name string
		toml string
		want string // in the error; "" for none
	}{
		{"valid", templateTOML("lindungi_iuran_diterima", goodID, goodEN), ""},
		{"valid with line breaks", templateTOML("lindungi_iuran_diterima", withBody("Pesan dari Lindungi:\n\n{{1}}\n\nKetik /berhenti untuk berhenti.", 1),
			withBody("A message from Lindungi:\n\n{{1}}\n\nType /stop to stop them.", 1)), ""},
		{"name without the prefix", templateTOML("iuran_diterima", goodID, goodEN), "name"},
		{"name in capitals", templateTOML("lindungi_Iuran", goodID, goodEN), "name"},
		{"name with a dash", templateTOML("lindungi_iuran-diterima", goodID, goodEN), "name"},
		{"no name", templateTOML("", goodID, goodEN), "name"},
		{"category", strings.Replace(templateTOML("lindungi_x", goodID, goodEN), "UTILITY", "AUTHENTICATION", 1), "category"},
		{"no English", "[paid]\nname = \"lindungi_x\"\ncategory = \"UTILITY\"\n[paid.id]\n" + goodID, "no template in en"},
		{"a language unknown", templateTOML("lindungi_x", goodID, goodEN) + "[paid.fr]\n" + goodEN, `unknown key "fr"`},
		{"a key misspelt", templateTOML("lindungi_x", goodID, strings.Replace(goodEN, "examples", "exemples", 1)), "exemples"},
		{"a kind's key misspelt", strings.Replace(templateTOML("lindungi_x", goodID, goodEN), "category", "categori", 1), "categori"},
		{"parameter at the start", templateTOML("lindungi_x", withBody("{{1}} sudah membayar iuran bulan ini, terima kasih banyak.", 1), goodEN), "starts with a parameter"},
		{"parameter at the end", templateTOML("lindungi_x", withBody("Iuran sudah kami terima dan berlaku sampai {{1}}.", 1), goodEN), "ends with a parameter"},
		{"parameter at the end, in brackets", templateTOML("lindungi_x", withBody("Iuran sudah kami terima dan berlaku sampai ({{1}})", 1), goodEN), "ends with a parameter"},
		{"parameters adjacent", templateTOML("lindungi_x", withBody("Iuran untuk {{1}} {{2}} sudah kami terima. Terima kasih banyak.", 2), goodEN), "next to each other"},
		{"parameters with a comma between", templateTOML("lindungi_x", withBody("Iuran untuk {{1}}, {{2}} sudah kami terima. Terima kasih banyak.", 2), goodEN), "next to each other"},
		{"parameters out of order", templateTOML("lindungi_x", withBody("Iuran untuk {{2}} sudah kami terima sampai {{1}}. Terima kasih.", 2), goodEN), "want {{1}}"},
		{"a parameter skipped", templateTOML("lindungi_x", withBody("Iuran untuk {{1}} sudah kami terima sampai {{3}}. Terima kasih.", 2), goodEN), "want {{2}}"},
		{"a parameter twice", templateTOML("lindungi_x", withBody("Iuran untuk {{1}} sudah kami terima, {{1}} terlindungi. Terima kasih.", 2), goodEN), "want {{2}}"},
		{"a parameter with spaces", templateTOML("lindungi_x", withBody("Iuran untuk {{ 1 }} sudah kami terima. Terima kasih.", 1), goodEN), "want {{1}}"},
		{"a named parameter", templateTOML("lindungi_x", withBody("Iuran untuk {{.Name}} sudah kami terima. Terima kasih.", 1), goodEN), "want {{1}}"},
		{"a stray brace", templateTOML("lindungi_x", withBody("Iuran untuk {{1}} sudah kami terima {{ . Terima kasih.", 1), goodEN), "not a parameter"},
		{"too few words", templateTOML("lindungi_x", withBody("Halo {{1}} dan {{2}} ya", 2), goodEN), "too many parameters"},
		{"body too long", templateTOML("lindungi_x", withBody("Iuran untuk {{1}} sudah kami terima. "+strings.Repeat("Terima kasih. ", 80)+"Salam.", 1), goodEN), "at most 1024"},
		{"body empty", templateTOML("lindungi_x", withBody("", 0), goodEN), "no body"},
		{"body with a leading space", templateTOML("lindungi_x", withBody(" Iuran untuk {{1}} sudah kami terima. Terima kasih.", 1), goodEN), "starts or ends"},
		{"body with two empty lines", templateTOML("lindungi_x", withBody("Pesan dari Lindungi:\n\n\n{{1}}\n\nTerima kasih banyak.", 1), goodEN), "more than one empty line"},
		{"body with a tab", templateTOML("lindungi_x", withBody("Iuran untuk\t{{1}} sudah kami terima. Terima kasih.", 1), goodEN), "tab"},
		{"an example missing", templateTOML("lindungi_x", strings.Replace(goodID, `, "10 Juni 2027"`, "", 1), goodEN), "1 examples for 2 parameters"},
		{"an example too many", templateTOML("lindungi_x", strings.Replace(goodID, `"10 Juni 2027"`, `"10 Juni 2027", "3"`, 1), goodEN), "3 examples for 2 parameters"},
		{"an example on two lines", templateTOML("lindungi_x", strings.Replace(goodID, `"Siti Aminah"`, `"Siti\nAminah"`, 1), goodEN), "line break"},
		{"an example empty", templateTOML("lindungi_x", strings.Replace(goodID, `"Siti Aminah"`, `" "`, 1), goodEN), "empty"},
		{"an example with an emoji", templateTOML("lindungi_x", strings.Replace(goodID, `"Siti Aminah"`, `"Siti 😀"`, 1), goodEN), "emoji"},
		{"a label too long", templateTOML("lindungi_x", withButtons(`[{ label = "Lihat kartu peserta Anda", payload = "go:card" }]`), goodEN), "at most 20"},
		{"a label of 20 characters", templateTOML("lindungi_x", withButtons(`[{ label = "Kartu peserta: lihat", payload = "go:card" }]`), goodEN), ""},
		{"a label with an emoji", templateTOML("lindungi_x", withButtons(`[{ label = "📄 Kartu", payload = "go:card" }]`), goodEN), "emoji"},
		{"a label empty", templateTOML("lindungi_x", withButtons(`[{ label = "", payload = "go:card" }]`), goodEN), "empty"},
		{"two labels the same", templateTOML("lindungi_x", withButtons(`[{ label = "Kartu", payload = "go:card" }, { label = "Kartu", payload = "go:pay" }]`),
			strings.Replace(goodEN, `{ label = "See card", payload = "go:card" }`, `{ label = "Card", payload = "go:card" }, { label = "Pay", payload = "go:pay" }`, 1)), "two buttons"},
		{"four buttons", templateTOML("lindungi_x", withButtons(`[{ label = "A", payload = "a" }, { label = "B", payload = "b" }, { label = "C", payload = "c" }, { label = "D", payload = "d" }]`), goodEN), "at most 3"},
		{"a payload empty", templateTOML("lindungi_x", withButtons(`[{ label = "Kartu", payload = "" }]`), goodEN), "payload"},
		{"a payload with a space", templateTOML("lindungi_x", withButtons(`[{ label = "Kartu", payload = "go: card" }]`), goodEN), "payload"},
		{"payloads differ between languages", templateTOML("lindungi_x", withButtons(`[{ label = "Bayar", payload = "go:pay" }]`), goodEN), "a tap must mean the same"},
		{"buttons in one language only", templateTOML("lindungi_x", withButtons(`[]`), goodEN), "a tap must mean the same"},
		{"parameters differ between languages", templateTOML("lindungi_x", goodID, withBody("We have received the contribution for {{1}}. Thank you very much.", 1)+
			"\nbuttons = [{ label = \"See card\", payload = \"go:card\" }]"), "1 parameters, but 2 in id"},
		{"two kinds with one name", templateTOML("lindungi_x", goodID, goodEN) + strings.ReplaceAll(templateTOML("lindungi_x",
			strings.Replace(goodID, "Terima kasih.", "Salam.", 1), strings.Replace(goodEN, "Thank you.", "Regards.", 1)), "paid", "kpj"), `"lindungi_x" is already`},
		{"two kinds with one body", templateTOML("lindungi_x", goodID, goodEN) + strings.ReplaceAll(templateTOML("lindungi_y", goodID, goodEN), "paid", "kpj"), "the same body"},
		{"not TOML", "[paid", "toml"},
		{"empty", "", "no templates"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := parseTemplates([]byte(tt.toml))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("error %v\n%s", err, tt.toml)
			case tt.want == "":
				if len(ts.All()) == 0 {
					t.Fatal("no templates")
				}
			case err == nil:
				t.Fatalf("no error, want one with %q\n%s", tt.want, tt.toml)
			case !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q, want one with %q", err, tt.want)
			}
		})
	}
}

// The embedded templates are plain (no emoji: Meta's utility templates
// read best without) and say who writes (Lindungi, BPJS Ketenagakerjaan).
func TestTemplateTexts(t *testing.T) {
	ts, err := LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range ts.All() {
		if strings.ContainsFunc(tt.Body, isEmoji) {
			t.Errorf("%s.%s: the body has an emoji", tt.Kind, tt.Lang)
		}
		if !strings.Contains(tt.Body, "BPJS Ketenagakerjaan") && !strings.Contains(tt.Body, "Lindungi") && !strings.Contains(tt.Body, "JHT") {
			t.Errorf("%s.%s: the body does not say who writes (Lindungi, BPJS Ketenagakerjaan)", tt.Kind, tt.Lang)
		}
	}
}
