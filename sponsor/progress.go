package sponsor

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/locales"
)

// progress shows rows/s and the time left: a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise.
type progress struct {
	w        io.Writer
	text     func(key string, kv ...any) string // renders an "import." text
	lang     string                             // for its numbers
	tty      bool
	size     int64
	start    clock.Stopwatch
	last     clock.Stopwatch // the last line written
	interval time.Duration
}

func newProgress(w io.Writer, tty bool, size int64, lang string, T func(string, ...any) string) *progress {
	p := &progress{w: w, text: T, lang: lang, tty: tty, size: size, start: clock.Start(), interval: 5 * time.Second}
	if tty {
		p.interval = 200 * time.Millisecond
	}
	return p
}

func (p *progress) update(rows int, offset int64) {
	if p.last.Elapsed() < p.interval {
		return
	}
	p.last = clock.Start()
	elapsed := p.start.Elapsed().Seconds()
	rate := locales.Decimal(p.lang, float64(rows)/max(elapsed, 0.001), 0)
	frac := 0.0
	if p.size > 0 && offset > 0 {
		frac = min(1, float64(offset)/float64(p.size))
	}
	eta := "?"
	if frac > 0 {
		eta = (time.Duration(elapsed*(1-frac)/frac) * time.Second).Round(time.Second).String()
	}
	if p.tty {
		fmt.Fprint(p.w, "\r"+p.text("import.progress_bar", "Bar", bar(frac, 30), "Rows", locales.Number(p.lang, int64(rows)), "Rate", rate, "ETA", eta))
		return
	}
	fmt.Fprintln(p.w, p.text("import.progress", "Rows", locales.Number(p.lang, int64(rows)), "Percent", locales.Decimal(p.lang, 100*frac, 0),
		"Rate", rate, "ETA", eta))
}

func (p *progress) done(rows int) {
	if p.tty {
		fmt.Fprintln(p.w)
	}
	fmt.Fprintln(p.w, p.text("import.done", "Rows", locales.Number(p.lang, int64(rows)), "Seconds", locales.Decimal(p.lang, p.start.Elapsed().Seconds(), 1)))
}

// bar draws frac (0–1) as a bar width characters wide and its percentage.
func bar(frac float64, width int) string {
	n := int(frac * float64(width))
	return fmt.Sprintf("[%s%s] %3.0f%%", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac)
}
