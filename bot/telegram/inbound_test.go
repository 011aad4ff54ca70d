package telegram

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/lindungi/lindungi/flows"
)

func loadUpdate(t *testing.T, name string) tgbotapi.Update {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(b, &u); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return u
}

func TestToEvent(t *testing.T) {
	const chat = "5511223344"
	ev := func(id string, kind flows.Kind, lang string, f func(*flows.Event)) flows.Event {
		e := flows.Event{Channel: Channel, ChatID: chat, UserID: chat, UpdateID: id, Kind: kind, Lang: lang}
		if f != nil {
			f(&e)
		}
		return e
	}
	tests := []struct {
		file string
		want flows.Event
		ok   bool
	}{
		{"text.json", ev("731245101", flows.KindText, "id", func(e *flows.Event) { e.Text = "halo" }), true},
		{"command_botname.json", ev("731245102", flows.KindText, "en", func(e *flows.Event) { e.Text = "/mulai@lindungi_bot" }), true},
		{"contact_own.json", ev("731245103", flows.KindContact, "id", func(e *flows.Event) {
			e.Contact = &flows.Contact{Phone: "6281234567890", UserID: chat}
		}), true},
		{"contact_other.json", ev("731245104", flows.KindContact, "id", func(e *flows.Event) {
			e.Contact = &flows.Contact{Phone: "+6285299887766"}
		}), true},
		{"callback.json", ev("731245105", flows.KindChoice, "id", func(e *flows.Event) { e.Choice = "cs:yes" }), true},
		{"sticker.json", ev("731245106", flows.KindMedia, "id", nil), true},
		{"photo.json", ev("731245107", flows.KindMedia, "", nil), true}, // a caption is not an answer; "fr" is no language of ours
		{"location.json", ev("731245108", flows.KindMedia, "id", nil), true},
		{"voice.json", ev("731245109", flows.KindMedia, "id", nil), true},
		{"group.json", ev("731245110", flows.KindGroup, "id", func(e *flows.Event) { e.ChatID = "-1001987654321" }), true},
		{"group_added.json", ev("731245111", flows.KindGroup, "id", func(e *flows.Event) { e.ChatID = "-4012345678" }), true},
		{"edited_message.json", flows.Event{}, false},
		{"my_chat_member.json", flows.Event{}, false},
		{"pinned.json", flows.Event{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, ok := ToEvent(loadUpdate(t, tt.file))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (event %+v)", ok, tt.ok, got)
			}
			if ok && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
				if got.Contact != nil && tt.want.Contact != nil {
					t.Errorf("contact got %+v want %+v", *got.Contact, *tt.want.Contact)
				}
			}
		})
	}
}

func TestLang(t *testing.T) {
	for in, want := range map[string]string{
		"en": "en", "en-GB": "en", "EN-us": "en", "id": "id", "id-ID": "id", "in": "id", "in-ID": "id",
		"": "", "fr": "", "ms": "", "eng": "", "ind": "",
	} {
		if got := Lang(in); got != want {
			t.Errorf("Lang(%q) = %q, want %q", in, got, want)
		}
	}
}
