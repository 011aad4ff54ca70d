package nama

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Match reports whether two names are the same person's name as people
// write it: case, spacing, punctuation and accents ignored ("Nur'aini" =
// "NURAINI" = "Nur Aini"), a small typo per word (one letter in words of 4–7
// letters, two from 8: "Muhamad" = "Muhammad"), an initial for a word ("M.
// Rahman" = "Muhammad Rahman"), and at most one extra word on one side
// ("Siti Aminah" = "Siti Aminah Binti Umar" is not: two extra words). A
// single word matches a single word only: "Siti" alone never matches "Siti
// Aminah".
func Match(a, b string) bool {
	ta, tb := words(a), words(b)
	if len(ta) == 0 || len(tb) == 0 {
		return false
	}
	if strings.Join(ta, "") == strings.Join(tb, "") {
		return true
	}
	if len(ta) > len(tb) {
		ta, tb = tb, ta
	}
	if len(tb)-len(ta) > 1 || len(ta) == 1 && len(tb) > 1 {
		return false
	}
	// Each word of the shorter name matches a distinct word of the longer, in order.
	j := 0
	for _, w := range ta {
		found := false
		for ; j < len(tb); j++ {
			if wordMatch(w, tb[j]) {
				found = true
				j++
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// words lowers a name, drops accents and everything but letters, and splits it.
func words(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'' || r == '’':
			// accents and apostrophes join what they sit in
		case unicode.IsLetter(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

func wordMatch(a, b string) bool {
	if a == b {
		return true
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 1 || len(rb) == 1 {
		return ra[0] == rb[0] // an initial
	}
	n := min(len(ra), len(rb))
	k := 0
	switch {
	case n >= 8:
		k = 2
	case n >= 4:
		k = 1
	}
	return k > 0 && distance(ra, rb) <= k
}

// distance is the edit distance (insert, delete, substitute, swap of neighbours).
func distance(a, b []rune) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
