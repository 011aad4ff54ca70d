package markup

import (
	"strings"
	"testing"
)

func TestHTML(t *testing.T) {
	tests := map[string]string{
		"Batas *15 Desember*.":      "Batas <b>15 Desember</b>.",
		"_Terima kasih_ <3 & salam": "<i>Terima kasih</i> &lt;3 &amp; salam",
		"5 * 3 = 15":                "5 * 3 = 15",
		"a_b_c":                     "a<i>b</i>c",
		"**":                        "**",
		"*tebal\nbaris lain*":       "*tebal\nbaris lain*",
		"nama_file dan *x*":         "nama_file dan <b>x</b>",
		"<script>alert(1)</script>": "&lt;script&gt;alert(1)&lt;/script&gt;",
		"*<b>*":                     "<b>&lt;b&gt;</b>",
	}
	for in, want := range tests {
		if got := HTML(in); got != want {
			t.Errorf("HTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzHTML(f *testing.F) {
	for _, s := range []string{"*a*", "_b_", "<&>", "*_x_*", "**__", "é*ü*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTML(s)
		for _, tag := range []string{"b", "i"} {
			if strings.Count(out, "<"+tag+">") != strings.Count(out, "</"+tag+">") {
				t.Fatalf("HTML(%q) = %q: unbalanced <%s>", s, out, tag)
			}
		}
		stripped := strings.NewReplacer("<b>", "", "</b>", "", "<i>", "", "</i>", "").Replace(out)
		if strings.ContainsAny(stripped, "<>") {
			t.Fatalf("HTML(%q) = %q: markup left unescaped", s, out)
		}
	})
}
