package kode

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := New(8)
		if len(c) != 8 || strings.Trim(c, Alphabet) != "" {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("%q twice in 1000", c)
		}
		seen[c] = true
	}
	for _, bad := range "ILOU" {
		if strings.ContainsRune(Alphabet, bad) {
			t.Errorf("alphabet has %c", bad)
		}
	}
}
