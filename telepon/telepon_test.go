package telepon

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestNormalizeAccepted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"081234567890", "+6281234567890"},
		{"+6281234567890", "+6281234567890"},
		{"6281234567890", "+6281234567890"},
		{"81234567890", "+6281234567890"},
		{"(0812) 3456-7890", "+6281234567890"},
		{"0812-3456-7890", "+6281234567890"},
		{"0812.3456.7890", "+6281234567890"},
		{"0812 3456 7890", "+6281234567890"},
		{"  +62 812-3456-7890  ", "+6281234567890"},
		{"+62 (0)812 3456 7890", "+6281234567890"},
		{"+62 0812 3456 7890", "+6281234567890"},
		{"62-0812-3456-7890", "+6281234567890"},
		{"0812\u00a03456\t7890", "+6281234567890"},
		// every allowed second digit
		{"0811234567", "+62811234567"},
		{"0821234567", "+62821234567"},
		{"0831234567", "+62831234567"},
		{"0851234567", "+62851234567"},
		{"0861234567", "+62861234567"},
		{"0871234567", "+62871234567"},
		{"0881234567", "+62881234567"},
		{"0891234567", "+62891234567"},
		// length limits: 10 and 13 digits with the leading 0
		{"0812345678", "+62812345678"},
		{"0812345678901", "+62812345678901"},
		{"+62812345678901", "+62812345678901"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeRejected(t *testing.T) {
	tests := []struct {
		in   string
		want Error
	}{
		{"", Error{Code: Empty}},
		{"   ", Error{Code: Empty}},
		{"()- .", Error{Code: Empty}},
		{"+", Error{Code: Empty}},
		{"0812-3456-789O", Error{Code: Chars, Char: "O"}},
		{"hp 081234567890", Error{Code: Chars, Char: "h"}},
		{"0812/3456/7890", Error{Code: Chars, Char: "/"}},
		{"0812+34567890", Error{Code: Chars, Char: "+"}},
		{"++6281234567890", Error{Code: Chars, Char: "+"}},
		{"０８１２34567890", Error{Code: Chars, Char: "０"}},
		{"0812\xff34567890", Error{Code: Chars, Char: "\uFFFD"}},
		{"021-5551234", Error{Code: NotMobile}},
		{"(021) 555 1234", Error{Code: NotMobile}},
		{"0561-734567", Error{Code: NotMobile}},
		{"0841234567", Error{Code: NotMobile}},
		{"0801234567", Error{Code: NotMobile}},
		{"+6591234567", Error{Code: NotMobile}},
		{"+1 415 555 2671", Error{Code: NotMobile}},
		{"+622150001234", Error{Code: NotMobile}},
		{"1234567890", Error{Code: NotMobile}},
		{"0", Error{Code: TooShort, Got: 1}},
		{"08", Error{Code: TooShort, Got: 2}},
		{"+6", Error{Code: TooShort, Got: 1}},
		{"+62", Error{Code: TooShort, Got: 1}},
		{"0812", Error{Code: TooShort, Got: 4}},
		{"081234567", Error{Code: TooShort, Got: 9}},
		{"+6281234567", Error{Code: TooShort, Got: 9}},
		{"08123456789012", Error{Code: TooLong, Got: 14}},
		{"0812 3456 7890 0812 3456 7890", Error{Code: TooLong, Got: 24}},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Normalize(%q) = %q, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if *e != tt.want {
			t.Errorf("Normalize(%q) error = %+v, want %+v", tt.in, *e, tt.want)
		}
		if e.Error() == "" {
			t.Errorf("Normalize(%q): empty error text", tt.in)
		}
	}
}

func TestFormatAndMask(t *testing.T) {
	tests := []struct{ in, format, mask string }{
		{"+6281234567890", "0812-3456-7890", "0812-••••-7890"},
		{"+62812345678", "0812-3456-78", "0812-••-5678"},
		{"+628123456789", "0812-3456-789", "0812-•••-6789"},
		{"+62812345678901", "0812-3456-78901", "0812-•••••-8901"},
		// not normalised: Format leaves it, Mask hides every digit
		{"081234567890", "081234567890", "••••••••••••"},
		{"+6521234567", "+6521234567", "+••••••••••"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.format {
			t.Errorf("Format(%q) = %q, want %q", tt.in, got, tt.format)
		}
		if got := Mask(tt.in); got != tt.mask {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.mask)
		}
	}
}

var (
	e164RE   = regexp.MustCompile(`^\+628[1-35-9]\d{7,10}$`)
	formatRE = regexp.MustCompile(`^08[1-35-9]\d-\d{4}-\d{2,5}$`)
	maskRE   = regexp.MustCompile(`^08[1-35-9]\d-•{2,5}-\d{4}$`)
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"081234567890", "+6281234567890", "6281234567890", "81234567890", "(0812) 3456-7890",
		"0812.3456.7890", "+62 (0)812 3456 7890", "0812345678", "0812345678901", "021-5551234",
		"0841234567", "+6591234567", "081234567", "08123456789012", "0812-3456-789O", "",
		"+", "+62", "++62812", "0812\u00a03456\t7890", "\xff", "6208123456789",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if m := Mask(in); strings.ContainsAny(m, "0123456789") {
			if _, err := Normalize(in); err != nil || !strings.HasPrefix(in, "+62") {
				t.Fatalf("Mask(%q) = %q shows digits of a non-E.164 input", in, m)
			}
		}
		got, err := Normalize(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Normalize(%q): error %T is not *Error", in, err)
			}
			return
		}
		if !e164RE.MatchString(got) {
			t.Fatalf("Normalize(%q) = %q", in, got)
		}
		if again, err := Normalize(got); err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, again = %q, %v", in, got, again, err)
		}
		fm := Format(got)
		if !formatRE.MatchString(fm) {
			t.Fatalf("Format(%q) = %q", got, fm)
		}
		if again, err := Normalize(fm); err != nil || again != got {
			t.Fatalf("Normalize(Format(%q)) = %q, %v", got, again, err)
		}
		m := Mask(got)
		if !maskRE.MatchString(m) || m[:4] != fm[:4] || m[len(m)-4:] != got[len(got)-4:] ||
			strings.Count(m, "•") != len(got)-3-7 {
			t.Fatalf("Mask(%q) = %q", got, m)
		}
	})
}
