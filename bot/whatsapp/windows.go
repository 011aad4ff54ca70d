package whatsapp

import (
	"sync"
	"time"

	"github.com/lindungi/lindungi/clock"
)

// Windows remembers when chats last wrote, as this process's webhook saw
// them, so that a send needs no read of the database to know its chat's
// window is open. It knows only what reached this process: a chat it does
// not know, or whose time is old, is asked of the database. Safe for
// concurrent use; a nil *Windows knows nothing.
type Windows struct {
	mu   sync.Mutex
	last map[string]time.Time
	now  func() time.Time
}

// maxWindows bounds the chats remembered: past it, the closed ones go.
const maxWindows = 200000

// NewWindows makes an empty memory of windows.
func NewWindows(now func() time.Time) *Windows {
	if now == nil {
		now = clock.Now
	}
	return &Windows{last: map[string]time.Time{}, now: now}
}

// Heard records that the chat wrote at at.
func (w *Windows) Heard(chatID string, at time.Time) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if at.After(w.last[chatID]) {
		w.last[chatID] = at
	}
	if len(w.last) > maxWindows {
		cut := w.now().Add(-Window)
		for k, t := range w.last {
			if t.Before(cut) {
				delete(w.last, k)
			}
		}
	}
}

// Closed forgets the chat: Meta said its window closed.
func (w *Windows) Closed(chatID string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	delete(w.last, chatID)
	w.mu.Unlock()
}

// Open reports when the chat last wrote if that is inside the window.
func (w *Windows) Open(chatID string) (time.Time, bool) {
	if w == nil {
		return time.Time{}, false
	}
	w.mu.Lock()
	t, ok := w.last[chatID]
	w.mu.Unlock()
	return t, ok && w.now().Sub(t) < Window
}
