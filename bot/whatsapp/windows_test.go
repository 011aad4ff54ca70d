package whatsapp

import (
	"testing"
	"time"
)

func TestWindows(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	w := NewWindows(func() time.Time { return now })
	if _, ok := w.Open("ID.1"); ok {
		t.Fatal("a chat never heard is open")
	}
	w.Heard("ID.1", now.Add(-23*time.Hour))
	w.Heard("ID.1", now.Add(-30*time.Hour)) // an older message, late: the newer stays
	if at, ok := w.Open("ID.1"); !ok || !at.Equal(now.Add(-23*time.Hour)) {
		t.Fatalf("open %v %v", at, ok)
	}
	now = now.Add(2 * time.Hour)
	if _, ok := w.Open("ID.1"); ok {
		t.Fatal("open 25 hours after the chat wrote")
	}
	w.Heard("ID.2", now)
	w.Closed("ID.2")
	if _, ok := w.Open("ID.2"); ok {
		t.Fatal("open after Meta said it closed")
	}
	var none *Windows
	none.Heard("ID.3", now)
	if _, ok := none.Open("ID.3"); ok {
		t.Fatal("a nil memory knows a chat")
	}
}
