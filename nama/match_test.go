package nama

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Siti Aminah", "siti aminah", true},
		{"SITI  AMINAH", "Siti Aminah.", true},
		{"Nur'aini", "Nuraini", true},
		{"Nur Aini", "Nuraini", true},
		{"Muhamad Rahman", "Muhammad Rahman", true},
		{"M. Rahman", "Muhammad Rahman", true},
		{"José Ramos", "Jose Ramos", true},
		{"Siti Aminah", "Siti Aminah Umar", true},
		{"Siti Aminah", "Sitti Aminah", true},
		{"Siti", "Siti Aminah", false},
		{"Siti Aminah", "Siti Aminah Binti Umar", false},
		{"Siti Aminah", "Budi Santoso", false},
		{"Budi", "Bayu", false},
		{"Ani", "Ana", false}, // three letters: exact only
		{"Aminah Siti", "Siti Aminah", false},
		{"", "Siti", false},
		{"...", "...", false},
	}
	for _, tt := range tests {
		if got := Match(tt.a, tt.b); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := Match(tt.b, tt.a); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v (swapped)", tt.b, tt.a, got, tt.want)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"Siti Aminah", "M. Rahman", "Nur'aini", "", "ß ẞ", "a\u0301"} {
		f.Add(s, "Siti Aminah")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if Match(a, b) != Match(b, a) {
			t.Fatalf("Match not symmetric for %q, %q", a, b)
		}
		if len(words(a)) > 0 && !Match(a, a) {
			t.Fatalf("%q does not match itself", a)
		}
	})
}
