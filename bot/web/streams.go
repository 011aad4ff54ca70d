package web

import (
	"container/list"
	"context"
	"sync"
)

// streams caps the open event streams: at most perAddr from one client
// address and max in all; a new one past a cap closes the oldest first
// (of that address, else of all), so a page that reconnects always gets
// its stream and nobody can hold the slots.
type streams struct {
	mu      sync.Mutex
	perAddr int
	max     int
	all     *list.List // *stream, oldest first
	byAddr  map[string]*list.List
}

type stream struct {
	addr  string
	close context.CancelFunc
	inAll *list.Element
	inMe  *list.Element
}

func newStreams(perAddr, max int) *streams {
	return &streams{perAddr: perAddr, max: max, all: list.New(), byAddr: map[string]*list.List{}}
}

// open registers a stream from addr whose context close cancels; done
// must be called when it ends.
func (ss *streams) open(addr string, close context.CancelFunc) (done func()) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	mine := ss.byAddr[addr]
	if mine == nil {
		mine = list.New()
		ss.byAddr[addr] = mine
	}
	if mine.Len() >= ss.perAddr {
		ss.drop(mine.Front().Value.(*stream))
	}
	if ss.all.Len() >= ss.max {
		ss.drop(ss.all.Front().Value.(*stream))
	}
	st := &stream{addr: addr, close: close}
	st.inAll = ss.all.PushBack(st)
	st.inMe = ss.byAddr[addr].PushBack(st)
	return func() {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if st.inAll != nil {
			ss.drop(st)
		}
	}
}

// drop closes a stream and forgets it (under mu).
func (ss *streams) drop(st *stream) {
	st.close()
	ss.all.Remove(st.inAll)
	if mine := ss.byAddr[st.addr]; mine != nil {
		mine.Remove(st.inMe)
		if mine.Len() == 0 {
			delete(ss.byAddr, st.addr)
		}
	}
	st.inAll, st.inMe = nil, nil
}
