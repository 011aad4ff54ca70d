package web

import (
	"github.com/lindungi/lindungi/flows"

	"sync"
)

// hub wakes the event streams and polls of a chat when this process has
// handled a message of it, and hands each reply to every one of them: a
// chat open in two tabs shows its replies in both (each tab's page drops a
// reply it has shown by id).
type hub struct {
	mu    sync.Mutex
	chats map[string]*chatState
}

type chatState struct {
	deliver sync.Mutex // held while reading the replies and handing them out
	mu      sync.Mutex // guards subs and what each listener was handed
	subs    map[*listener]bool
	refs    int // under hub.mu
}

// listener is one event stream or poll of a chat: its wake-up, and the
// replies handed to it and not yet written (under chatState.mu).
type listener struct {
	wake   chan struct{}
	handed map[int64]bool // the waiting replies handed to it already
	inbox  []flows.Outgoing
}

func newHub() *hub { return &hub{chats: map[string]*chatState{}} }

// join registers a listener for chat; leave must be called when done.
func (h *hub) join(chat string) (cs *chatState, me *listener, leave func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs = h.chats[chat]
	if cs == nil {
		cs = &chatState{subs: map[*listener]bool{}}
		h.chats[chat] = cs
	}
	cs.refs++
	me = &listener{wake: make(chan struct{}, 1)}
	cs.mu.Lock()
	cs.subs[me] = true
	cs.mu.Unlock()
	return cs, me, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		cs.mu.Lock()
		delete(cs.subs, me)
		cs.mu.Unlock()
		if cs.refs--; cs.refs == 0 {
			delete(h.chats, chat)
		}
	}
}

// notify wakes every listener of chat.
func (h *hub) notify(chat string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cs := h.chats[chat]; cs != nil {
		cs.mu.Lock()
		for l := range cs.subs {
			l.poke()
		}
		cs.mu.Unlock()
	}
}

// notifyAll wakes every listener of every chat (the notifications may
// have been missed).
func (h *hub) notifyAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, cs := range h.chats {
		cs.mu.Lock()
		for l := range cs.subs {
			l.poke()
		}
		cs.mu.Unlock()
	}
}

// poke wakes the listener (at most one wake-up waits).
func (l *listener) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}
