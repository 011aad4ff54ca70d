package whatsapp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lindungi/lindungi/flows"
)

// A list holds at most 10 rows, so a reply with more choices goes out in
// pages. The scheme:
//
//   - page 0 shows choices 1–9 and a row "Berikutnya ›";
//   - each later page shows "‹ Sebelumnya" after the next 8 choices, and
//     "Berikutnya ›" after them unless the choices end (the last page holds
//     up to 9);
//   - the list's button counts the pages ("Pilih (2/3)");
//   - a page row's id is "wa:pg:<key>:<page>": key (12 characters of
//     base64url) names the reply, a hash of the chat, its text and its
//     choices, so the same reply sent again has the same key; the "wa:"
//     prefix is the channel's own and never a flow's choice data.
//
// Before a paged list goes out the reply is kept in Menus under (chat, key).
// A tap on a page row is not an event for the flows: the webhook hands it
// (a PageTurn) to Client.TurnPage, which sends that page of the kept reply
// at once. When the reply is not kept (another process's memory, or it
// expired) TurnPage says ErrNoMenu and the webhook hands the tap to the
// flows as a choice they do not know, which makes them ask their question
// again.

// pagePrefix starts the id of a row that turns a list's page.
const pagePrefix = "wa:pg:"

// Menus keeps the replies sent as lists in pages. The store is shared by
// the process that sends (the deliverer) and the ones that take webhooks.
// The replies may quote personal data (an agent's residents): a store
// keeps them no longer than it must, and one with a method
// Forget(chatID string) is told when a chat's data is erased (a reply with
// Forget set).
type Menus interface {
	// SaveMenu keeps r under key for the chat; saving the same key again
	// is not an error.
	SaveMenu(ctx context.Context, chatID, key string, r flows.Reply) error
	// Menu returns the reply kept under key for the chat, ErrNoMenu when
	// there is none.
	Menu(ctx context.Context, chatID, key string) (flows.Reply, error)
}

// ErrNoMenu is Menus.Menu's answer for a reply it does not keep.
var ErrNoMenu = errors.New("whatsapp: the list's pages are not kept")

// PageTurn is a tap on a row that turns a list's page.
type PageTurn struct {
	ChatID string // whom the list went to
	Key    string // the reply's key (see Menus)
	Page   int    // the page asked for, from 0
	WAMID  string // the tap's own message id
	// Context is the wamid of the list message tapped.
	Context string
}

// pageID is the id of a row that shows page of the reply key.
func pageID(key string, page int) string { return pagePrefix + key + ":" + strconv.Itoa(page) }

// parsePageID reads a page row's id.
func parsePageID(id string) (key string, page int, ok bool) {
	rest, ok := strings.CutPrefix(id, pagePrefix)
	if !ok {
		return "", 0, false
	}
	key, p, ok := strings.Cut(rest, ":")
	if !ok || key == "" {
		return "", 0, false
	}
	page, err := strconv.Atoi(p)
	if err != nil || page < 0 || page > 1000 {
		return "", 0, false
	}
	return key, page, true
}

// menuKey names a reply to a chat: a hash of the chat, the text and the
// choices, 12 characters of base64url.
func menuKey(chatID string, r flows.Reply) string {
	h := sha256.New()
	h.Write([]byte(chatID))
	h.Write([]byte{0})
	h.Write([]byte(r.Text))
	for _, ch := range r.Choices {
		h.Write([]byte{0})
		h.Write([]byte(ch.Label))
		h.Write([]byte{1})
		h.Write([]byte(ch.Data))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:12]
}

// pageLayout is what one page of a list shows: choices[from:to], and
// whether it has the ‹ and › rows.
type pageLayout struct {
	page, pages int
	from, to    int
	prev, next  bool
}

// layout places n choices on pages (see the scheme above); page is clamped
// to the pages there are.
func layout(n, page int) pageLayout {
	if n <= maxRows {
		return pageLayout{page: 0, pages: 1, from: 0, to: n}
	}
	// Page starts: 0, 9, 17, 25, …: the first page holds 9 and ›, the
	// middle ones ‹, 8 and ›, the last ‹ and up to 9.
	starts := []int{0}
	start := maxRows - 1
	for n-start > maxRows-1 {
		starts = append(starts, start)
		start += maxRows - 2
	}
	starts = append(starts, start)
	pages := len(starts)
	page = max(0, min(page, pages-1))
	l := pageLayout{page: page, pages: pages, from: starts[page], prev: page > 0, next: page < pages-1}
	if l.next {
		l.to = starts[page+1]
	} else {
		l.to = n
	}
	return l
}

// TurnPage sends the page a tap on a page row asks for: the kept reply's
// list at that page (its text's body again, not the parts before it nor its
// card). ErrNoMenu when the reply is not kept.
func (c *Client) TurnPage(ctx context.Context, p PageTurn) error {
	r, err := c.menus.Menu(ctx, p.ChatID, p.Key)
	if err != nil {
		if errors.Is(err, ErrNoMenu) {
			return err
		}
		return fmt.Errorf("whatsapp: the kept list of %s: %w", who(p.ChatID), err)
	}
	msgs, _ := c.build(p.ChatID, r, p.Page)
	if len(msgs) == 0 || msgs[len(msgs)-1].Interactive == nil {
		return ErrNoMenu
	}
	if _, err := c.sendMessage(ctx, msgs[len(msgs)-1]); err != nil {
		return classify(fmt.Errorf("whatsapp: send page %d to %s: %w", p.Page+1, who(p.ChatID), err))
	}
	return nil
}

// MemoryMenus keeps menus in this process's memory: at most limit of them,
// each for ttl, the oldest forgotten first. Right for a deployment of one
// process; several need a shared store.
type MemoryMenus struct {
	limit int
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	menus map[string]memMenu
	order []string // keys, oldest first (may hold keys already gone)
}

type memMenu struct {
	r     flows.Reply
	saved time.Time
}

// NewMemoryMenus makes an in-memory Menus; now is the clock the ttl runs on.
func NewMemoryMenus(limit int, ttl time.Duration, now func() time.Time) *MemoryMenus {
	return &MemoryMenus{limit: max(limit, 1), ttl: ttl, now: now, menus: map[string]memMenu{}}
}

// SaveMenu keeps r.
func (m *MemoryMenus) SaveMenu(_ context.Context, chatID, key string, r flows.Reply) error {
	k := chatID + "\x00" + key
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.menus[k]; !ok {
		m.order = append(m.order, k)
	}
	m.menus[k] = memMenu{r: r, saved: m.now()}
	for len(m.menus) > m.limit && len(m.order) > 0 {
		delete(m.menus, m.order[0])
		m.order = m.order[1:]
	}
	if len(m.order) > 2*m.limit { // forget the keys of menus gone
		kept := make([]string, 0, len(m.menus))
		for _, o := range m.order {
			if _, ok := m.menus[o]; ok {
				kept = append(kept, o)
			}
		}
		m.order = kept
	}
	return nil
}

// Menu returns the reply kept, ErrNoMenu when none (or it expired).
func (m *MemoryMenus) Menu(_ context.Context, chatID, key string) (flows.Reply, error) {
	k := chatID + "\x00" + key
	m.mu.Lock()
	defer m.mu.Unlock()
	mm, ok := m.menus[k]
	if !ok || m.now().Sub(mm.saved) > m.ttl {
		delete(m.menus, k)
		return flows.Reply{}, ErrNoMenu
	}
	return mm.r, nil
}

// Forget drops the chat's menus (its data was erased).
func (m *MemoryMenus) Forget(chatID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.menus {
		if strings.HasPrefix(k, chatID+"\x00") {
			delete(m.menus, k)
		}
	}
}
