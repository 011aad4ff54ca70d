// Package markup holds the chat's text marks: *bold* and _italic_, as
// Telegram and WhatsApp show them. Telegram's sender and the dashboard's
// broadcast preview both read them here.
package markup

import (
	"html"
	"strings"
)

// HTML turns a text marked with *bold* and _italic_ into HTML with <b>
// and <i>, as Telegram's HTML mode and WhatsApp show the marks:
// everything else is escaped, and a mark without its pair stays as typed.
func HTML(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '*' || r == '_' {
			// The closing mark on the same line, with text between.
			j := i + 1
			for j < len(rs) && rs[j] != r && rs[j] != '\n' {
				j++
			}
			if j < len(rs) && rs[j] == r && j > i+1 {
				tag := "b"
				if r == '_' {
					tag = "i"
				}
				b.WriteString("<" + tag + ">" + html.EscapeString(string(rs[i+1:j])) + "</" + tag + ">")
				i = j
				continue
			}
		}
		b.WriteString(html.EscapeString(string(r)))
	}
	return b.String()
}
