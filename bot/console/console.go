// Package console is the terminal channel: a person (or a script, with the
// JSON-lines protocol) talks to the same engine and database as the other
// channels.
package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/locales"
)

// Channel is the channel name sessions and the outbox use for the terminal.
const Channel = "console"

// Handler processes one inbound event (the flows engine).
type Handler = bot.Handler

// Outbox gives the replies waiting for a chat and marks them delivered.
type Outbox interface {
	PendingFor(ctx context.Context, channel, chatID string) ([]flows.Outgoing, error)
	MarkSent(ctx context.Context, ids []int64) error
	LastChoices(ctx context.Context, channel, chatID string) ([]flows.Choice, error)
}

// Options configure a console session.
type Options struct {
	ChatID  string // the chat (and user) id, "1" by default
	JSONL   bool   // speak the JSON-lines protocol instead of plain text
	Lang    string // language of the console's own hints
	Handler Handler
	Outbox  Outbox
	Catalog *locales.Catalog
	// Photos draws the images replies name; they are written to PhotoDir
	// (default: lindungi-photos in the system's temporary folder).
	Photos   bot.Photos
	PhotoDir string
}

// Run reads lines from in until EOF and writes the replies to out.
func Run(ctx context.Context, in io.Reader, out io.Writer, o Options) error {
	if o.ChatID == "" {
		o.ChatID = "1"
	}
	if o.Lang == "" {
		o.Lang = locales.Default
	}
	c := &console{Options: o, out: bufio.NewWriter(out)}
	defer c.out.Flush()
	last, err := o.Outbox.LastChoices(ctx, Channel, o.ChatID)
	if err != nil {
		return err
	}
	c.last = last
	if !o.JSONL {
		fmt.Fprintln(c.out, o.Catalog.T(o.Lang, "console.hello", nil))
		fmt.Fprint(c.out, "> ")
		c.out.Flush()
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		line := strings.TrimSpace(sc.Text())
		if line != "" {
			if _, err := o.Handler.Handle(ctx, c.event(line)); err != nil {
				return err
			}
		}
		if err := c.flush(ctx); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	if !o.JSONL {
		fmt.Fprintln(c.out)
	}
	return nil
}

type console struct {
	Options
	out  *bufio.Writer
	last []flows.Choice // choices of the most recent reply that had some
}

// event turns a typed line into an event: a number, label or data of the
// most recent choices is a button press; anything else is text.
func (c *console) event(line string) flows.Event {
	ev := flows.Event{Channel: Channel, ChatID: c.ChatID, UserID: c.ChatID, Kind: flows.KindText, Text: line}
	if strings.HasPrefix(line, "/") {
		return ev
	}
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(c.last) {
		return c.choice(c.last[n-1])
	}
	for _, ch := range c.last {
		if strings.EqualFold(ch.Label, line) || ch.Data == line {
			return c.choice(ch)
		}
	}
	return ev
}

func (c *console) choice(ch flows.Choice) flows.Event {
	return flows.Event{Channel: Channel, ChatID: c.ChatID, UserID: c.ChatID, Kind: flows.KindChoice, Choice: ch.Data}
}

// jsonReply is one reply on the JSON-lines protocol.
type jsonReply struct {
	Text    string         `json:"text"`
	Choices []flows.Choice `json:"choices,omitempty"`
	Input   flows.Input    `json:"input,omitempty"`
	Photo   string         `json:"photo,omitempty"`
}

// flush prints every reply waiting for this chat and marks them sent.
func (c *console) flush(ctx context.Context) error {
	pending, err := c.Outbox.PendingFor(ctx, Channel, c.ChatID)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(pending))
	enc := json.NewEncoder(c.out)
	enc.SetEscapeHTML(false)
	for _, p := range pending {
		r := p.Reply
		if len(r.Choices) > 0 {
			c.last = r.Choices
		}
		photo := ""
		if r.Photo != "" && c.Photos != nil {
			path, err := c.writePhoto(ctx, r.Photo)
			if err != nil {
				return err
			}
			photo = path
		}
		if c.JSONL {
			if err := enc.Encode(jsonReply{Text: r.Text, Choices: r.Choices, Input: r.Input, Photo: photo}); err != nil {
				return fmt.Errorf("write reply: %w", err)
			}
		} else {
			fmt.Fprintln(c.out)
			fmt.Fprintln(c.out, r.Text)
			if photo != "" {
				fmt.Fprintln(c.out, "📄 "+photo)
			}
			for i, ch := range r.Choices {
				fmt.Fprintf(c.out, "  %d. %s\n", i+1, ch.Label)
			}
			if r.Input == flows.InputContact {
				fmt.Fprintln(c.out, c.Catalog.T(c.Lang, "console.contact_hint", nil))
			}
		}
		ids = append(ids, p.ID)
	}
	if c.JSONL {
		fmt.Fprintln(c.out, `{"waiting": true}`)
	} else {
		fmt.Fprint(c.out, "\n> ")
	}
	if err := c.out.Flush(); err != nil {
		return fmt.Errorf("write reply: %w", err)
	}
	return c.Outbox.MarkSent(ctx, ids)
}

// writePhoto draws the named image into a file and returns its path.
func (c *console) writePhoto(ctx context.Context, name string) (string, error) {
	img, err := c.Photos.Photo(ctx, name)
	if err != nil {
		return "", fmt.Errorf("draw %s: %w", name, err)
	}
	dir := c.PhotoDir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "lindungi-photos")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, name)
	path := filepath.Join(dir, safe+".png")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		return "", err
	}
	return path, nil
}
