package bot

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// SplitText cuts text into parts of at most limit UTF-16 units (how
// Telegram and WhatsApp count), at line breaks where it can, else at a
// space, else between characters. Parts that would be blank are dropped:
// the platforms refuse an empty text.
func SplitText(text string, limit int) []string {
	var parts []string
	add := func(s string) {
		if strings.TrimSpace(s) != "" {
			parts = append(parts, strings.TrimRight(s, "\n"))
		}
	}
	if TextUnits(text) <= limit {
		add(text)
		return parts
	}
	var cur strings.Builder
	curLen := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		l := TextUnits(line)
		if curLen > 0 && curLen+l > limit {
			add(cur.String())
			cur.Reset()
			curLen = 0
		}
		for l > limit {
			head, rest := cutLine(line, limit)
			add(head)
			line, l = rest, TextUnits(rest)
		}
		cur.WriteString(line)
		curLen += l
	}
	add(cur.String())
	return parts
}

// cutLine splits one over-long line at the last space that keeps the head
// within limit UTF-16 units, or at the last character boundary within it.
func cutLine(line string, limit int) (head, rest string) {
	n, end, space := 0, 0, -1
	for i, r := range line {
		w := runeUnits(r)
		if n+w > limit {
			break
		}
		n += w
		end = i + utf8.RuneLen(r)
		if r == ' ' {
			space = end
		}
	}
	if end == 0 { // cannot happen with limit ≥ 2; keep progress anyway
		_, size := utf8.DecodeRuneInString(line)
		end = size
	}
	if space > 0 {
		end = space
	}
	return line[:end], line[end:]
}

// TextUnits is the length of s in UTF-16 code units.
func TextUnits(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

func runeUnits(r rune) int {
	if w := utf16.RuneLen(r); w > 0 {
		return w
	}
	return 1 // invalid UTF-8 is sent as U+FFFD
}
