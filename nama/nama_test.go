package nama

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseAccepted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Siti Nur'aini", "Siti Nur'aini"},
		{"SITI NUR'AINI", "SITI NUR'AINI"},
		{"siti nur’aini", "siti nur’aini"},
		{"  Muhammad   A.  Rahman  ", "Muhammad A. Rahman"},
		{"muhammad\ta.\nrahman", "muhammad a. rahman"},
		{"Siti\u00a0Aminah", "Siti Aminah"},
		{"Siti-Aminah", "Siti-Aminah"},
		{"Abd. Rahman", "Abd. Rahman"},
		{"Sukarno", "Sukarno"},
		{"Ani", "Ani"},
		{"I Gede Ngurah", "I Gede Ngurah"},
		{"Ni Luh Putu", "Ni Luh Putu"},
		{"R.A. Kartini", "R.A. Kartini"},
		{"Lie Ω", "Lie Ω"},
		{"José", "José"},
		{"Jose\u0301", "Jose\u0301"},     // decomposed accent
		{"Re\u0301-Ana", "Re\u0301-Ana"}, // mark before a hyphen
		{"ꦱꦸꦏꦂꦤ", "ꦱꦸꦏꦂꦤ"},               // Javanese script
		{"Ngo", "Ngo"},
		{" A  l ", "A l"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	long := strings.Repeat("a", MaxLen)
	if got, err := Parse(" " + long + " "); err != nil || got != long {
		t.Errorf("Parse(100 letters) = %q, %v", got, err)
	}
}

func TestParseRejected(t *testing.T) {
	tests := []struct {
		in   string
		want Error
	}{
		{"", Error{Code: Empty}},
		{" \t\n ", Error{Code: Empty}},
		{"Siti2", Error{Code: Chars, Char: "2"}},
		{"081234567890", Error{Code: Chars, Char: "0"}},
		{"siti@mail.com", Error{Code: Chars, Char: "@"}},
		{"Siti, S.H.", Error{Code: Chars, Char: ","}},
		{"Budi (Ucok)", Error{Code: Chars, Char: "("}},
		{"Budi 😀", Error{Code: Chars, Char: "😀"}},
		{"Budi\u200bSantoso", Error{Code: Chars, Char: "\u200b"}},
		{"Budi\xffSantoso", Error{Code: Chars, Char: "\uFFFD"}},
		{"-Budi", Error{Code: Chars, Char: "-"}},
		{"Budi-", Error{Code: Chars, Char: "-"}},
		{"Siti - Aminah", Error{Code: Chars, Char: "-"}},
		{"Siti--Aminah", Error{Code: Chars, Char: "-"}},
		{"Siti.-Aminah", Error{Code: Chars, Char: "-"}},
		{"\u0301abc", Error{Code: Chars, Char: "\u0301"}},
		{"a", Error{Code: TooShort, Got: 1}},
		{"Al", Error{Code: TooShort, Got: 2}},
		{strings.Repeat("a", MaxLen+1), Error{Code: TooLong, Got: MaxLen + 1}},
		{strings.Repeat("ab ", 40), Error{Code: TooLong, Got: 119}},
		{"...", Error{Code: NoLetters}},
		{"A. '", Error{Code: NoLetters}},
		{"’.’", Error{Code: NoLetters}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %q, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if *e != tt.want {
			t.Errorf("Parse(%q) error = %+v, want %+v", tt.in, *e, tt.want)
		}
		if e.Error() == "" {
			t.Errorf("Parse(%q): empty error text", tt.in)
		}
	}
}

func TestDisplay(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SITI nur'AINI", "Siti Nur'aini"},
		{"siti nur’aini", "Siti Nur’aini"},
		{"muhammad a. rahman", "Muhammad A. Rahman"},
		{"MUHAMMAD A. RAHMAN", "Muhammad A. Rahman"},
		{"siti-AMINAH", "Siti-Aminah"},
		{"r.a. kartini", "R.A. Kartini"},
		{"i gede ngurah", "I Gede Ngurah"},
		{"JOSÉ", "José"},
		{"E\u0301VA", "E\u0301va"},
		{"ǆemal", "ǅemal"},
		{"Siti Aminah", "Siti Aminah"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Display(tt.in); got != tt.want {
			t.Errorf("Display(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Siti Nur'aini", "SITI nur'AINI", "muhammad a. rahman", "  Muhammad   A.  Rahman  ",
		"Siti-Aminah", "siti nur’aini", "José", "Jose\u0301", "ꦱꦸꦏꦂꦤ", "Ani", "Al", "Siti2",
		"siti@mail.com", "-Budi", "Siti - Aminah", "...", "A. '", "", " ", "\xff", "ǆemal",
		"Budi\u200bSantoso", strings.Repeat("a", 101), "İbrahim", "ß", "ﬁona",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Parse(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q): error %T is not *Error", in, err)
			}
			return
		}
		if n := utf8.RuneCountInString(got); n < MinLen || n > MaxLen {
			t.Fatalf("Parse(%q) = %q: %d runes", in, got, n)
		}
		if got != strings.TrimSpace(got) || strings.Contains(got, "  ") || strings.ContainsAny(got, "\t\n\r0123456789") {
			t.Fatalf("Parse(%q) = %q: bad spacing or characters", in, got)
		}
		if again, err := Parse(got); err != nil || again != got {
			t.Fatalf("Parse(%q) = %q, again = %q, %v", in, got, again, err)
		}
		d := Display(got)
		if utf8.RuneCountInString(d) != utf8.RuneCountInString(got) {
			t.Fatalf("Display(%q) = %q changes the length", got, d)
		}
		if dd := Display(d); dd != d {
			t.Fatalf("Display(%q) = %q, Display again = %q", got, d, dd)
		}
		if again, err := Parse(d); err != nil || again != d {
			t.Fatalf("Parse(Display(%q)) = %q, %v", got, again, err)
		}
	})
}
