package whatsapp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
)

const (
	siti      = "ID.1502576394655843"
	sitiPhone = "+6281234567890"
)

// The captured webhooks of testdata/ and the events they make.
func TestParseMessages(t *testing.T) {
	tests := []struct {
		file  string
		want  flows.Event
		in    Inbound // the fields besides Event that matter
		count int     // messages; 1 when 0
	}{
		{"text.json", flows.Event{ChatID: siti, Kind: flows.KindText, Text: "daftar", Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBMDI1RjM5QzhBRjdBNjQwQkZEAA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238453, 0)}, 0},
		// A user with a username: no number, the BSUID only.
		{"text_username.json", flows.Event{ChatID: "ID.1502576394659911", Kind: flows.KindText, Text: "sambung K7Q2MX",
			UpdateID: "wamid.HBgUSUQuMTUwMjU3NjM5NDY1OTkxMRUCABIYFDNBNzE5QjYyNzQ0MjNFMzk3RDUxAA=="},
			Inbound{UserID: "ID.1502576394659911", Username: "budi.pontianak", Name: "Budi Santoso", Sent: time.Unix(1764238461, 0)}, 0},
		// From before BSUIDs: keyed on the wa_id.
		{"text_legacy.json", flows.Event{ChatID: "6285245551234", Kind: flows.KindText, Text: "Halo 👋 saya mau daftar BPJS, bisa?",
			Phone:    "6285245551234",
			UpdateID: "wamid.HBgNNjI4NTI0NTU1MTIzNBUCABIYFDNBMjlGQjE4NkMwQzIxODQ5OEUzAA=="},
			Inbound{Phone: "+6285245551234", Name: "Ahmad", Sent: time.Unix(1764238470, 0)}, 0},
		{"button_reply.json", flows.Event{ChatID: siti, Kind: flows.KindChoice, Choice: "dob:ok", Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBOTlDQjQ4MDY1NDFFRjYzQTc0AA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238460, 0),
				Context: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ0RjU3MDlBMUQyNkM5RkQ5QwA="}, 0},
		{"list_reply.json", flows.Event{ChatID: siti, Kind: flows.KindChoice, Choice: "reg:61.71", Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBNTZEMTY2QTI3NkQ4RjkxQjlBAA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238465, 0),
				Context: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjg2MTVDMzBBQzU0QjE3OEVGQwA="}, 0},
		// A template's quick-reply button: its payload is the choice.
		{"template_button.json", flows.Event{ChatID: siti, Kind: flows.KindChoice, Choice: "bayar:LD2611-7K3M9Q", Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBQzQ4RDg5MkY2NzVDNDhBMDFBAA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764240000, 0),
				Context: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEkE2QTlGNkIxN0Q5RjQ1QjE4QgA="}, 0},
		// The sender's own number: the contact's user is the sender.
		{"contacts.json", flows.Event{ChatID: siti, Kind: flows.KindContact, Contact: &flows.Contact{Phone: sitiPhone, UserID: siti}, Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBRjZBNTg3QjYyMjM2M0ZFNDU3AA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238480, 0)}, 0},
		// Someone else's number (an RT head shares a resident's).
		{"contacts_other.json", flows.Event{ChatID: "ID.1502576394650001", Kind: flows.KindContact,
			Contact: &flows.Contact{Phone: "+6285245559876", UserID: "6285245559876"}, Phone: "6281350001111",
			UpdateID: "wamid.HBgNNjI4MTM1MDAwMTExMRUCABIYFDNBMEQ4RjFFNDQ2QjQ4OUMyRTE5AA=="},
			Inbound{Phone: "+6281350001111", UserID: "ID.1502576394650001", Name: "Pak RT", Sent: time.Unix(1764238490, 0)}, 0},
		{"image.json", flows.Event{ChatID: siti, Kind: flows.KindMedia, Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBOEI5QTg1MzM5QkQ1NDEwNzc1AA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238500, 0)}, 0},
		{"audio.json", flows.Event{ChatID: siti, Kind: flows.KindMedia, Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBRkM3OUYzMjlFMEQ1QkQ2NDQzAA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238501, 0)}, 0},
		{"sticker.json", flows.Event{ChatID: siti, Kind: flows.KindMedia, Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBNEQ2OEJCNzY0NjQyRjc5QjVGAA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238502, 0)}, 0},
		{"video.json", flows.Event{ChatID: siti, Kind: flows.KindMedia, Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBOTE3QjQ3QjQ2NjgxMjg4RTQ4AA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238503, 0)}, 0},
		{"document.json", flows.Event{ChatID: siti, Kind: flows.KindMedia, Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBQkU3NUMyQzAxNjY0NjZBNTMyAA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238504, 0)}, 0},
		{"location.json", flows.Event{ChatID: siti, Kind: flows.KindMedia, Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBNUY0QjUyNTA4MTQ3OEU2NDZGAA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238505, 0)}, 0},
		// A poll or another type WhatsApp does not pass on: answered politely.
		{"unsupported.json", flows.Event{ChatID: siti, Kind: flows.KindMedia, Phone: "6281234567890",
			UpdateID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBRDIxNjZBNDk1RjAwQ0M2ODYyAA=="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238507, 0)}, 0},
		// A group: the flow says once that it works in private chats.
		{"group.json", flows.Event{ChatID: "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD", UserID: siti, Kind: flows.KindGroup,
			UpdateID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="},
			Inbound{Phone: sitiPhone, UserID: siti, Name: "Siti", Sent: time.Unix(1764238530, 0)}, 0},
		// Not acted on.
		{"reaction.json", flows.Event{}, Inbound{}, -1},
		{"system.json", flows.Event{}, Inbound{}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			u, err := Parse(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if tt.count < 0 {
				if len(u.Messages) != 0 || u.Ignored != 1 {
					t.Fatalf("%d messages, %d ignored; want it ignored: %+v", len(u.Messages), u.Ignored, u.Messages)
				}
				return
			}
			if len(u.Messages) != 1 {
				t.Fatalf("%d messages, want 1", len(u.Messages))
			}
			got := u.Messages[0]
			want := tt.want
			want.Channel = Channel
			if want.UserID == "" {
				want.UserID = want.ChatID
			}
			if !reflect.DeepEqual(got.Event, want) {
				t.Errorf("event\n%+v\nwant\n%+v", got.Event, want)
				if got.Event.Contact != nil && want.Contact != nil {
					t.Errorf("contact %+v, want %+v", *got.Event.Contact, *want.Contact)
				}
			}
			got.Event, got.PhoneNumberID, got.ParentUserID = flows.Event{}, "", ""
			if !reflect.DeepEqual(got, tt.in) {
				t.Errorf("inbound\n%+v\nwant\n%+v", got, tt.in)
			}
			if len(u.Statuses) != 0 || len(u.PageTurns) != 0 {
				t.Errorf("statuses %v, page turns %v", u.Statuses, u.PageTurns)
			}
		})
	}
}

// Every message of every entry and change, each chat's in timestamp order,
// each wamid once.
func TestParseBatch(t *testing.T) {
	u, err := Parse(readTestdata(t, "batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range u.Messages {
		got = append(got, m.Event.ChatID+" "+m.Event.UpdateID)
	}
	want := []string{
		"ID.1502576394650042 wamid.A1",
		siti + " wamid.B1",
		siti + " wamid.B2",
		siti + " wamid.B3",
		"ID.1502576394650042 wamid.A2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("messages\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if u.Messages[2].Event.Kind != flows.KindChoice || u.Messages[2].Event.Choice != "cs:yes" {
		t.Errorf("the button reply: %+v", u.Messages[2].Event)
	}
	if len(u.Statuses) != 1 || u.Statuses[0].WAMID != "wamid.OUT1" || u.Statuses[0].ChatID != "6285245551234" {
		t.Errorf("statuses %+v", u.Statuses)
	}
	if evs := u.Events(); len(evs) != 5 || evs[0].UpdateID != "wamid.A1" {
		t.Errorf("Events() = %+v", evs)
	}
}

func TestParseStatuses(t *testing.T) {
	tests := []struct {
		file string
		want []Status
		kind bot.Failure // of the first status's error; 0: none
	}{
		{"status_sent.json", []Status{{WAMID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ0RjU3MDlBMUQyNkM5RkQ5QwA=", Status: "sent",
			At: time.Unix(1764238455, 0), ChatID: siti, UserID: siti, Phone: sitiPhone, Category: "service", Pricing: "PMP"}}, 0},
		// Out of order: read first, then delivered. Rank keeps read.
		{"status_read_before_delivered.json", []Status{
			{WAMID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ0RjU3MDlBMUQyNkM5RkQ5QwA=", Status: "read", At: time.Unix(1764238470, 0),
				ChatID: siti, UserID: siti, Phone: sitiPhone},
			{WAMID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ0RjU3MDlBMUQyNkM5RkQ5QwA=", Status: "delivered", At: time.Unix(1764238458, 0),
				ChatID: siti, UserID: siti, Phone: sitiPhone, Category: "service", Pricing: "PMP"}}, 0},
		// The example of WHATSAPP.md: failed outside the window, no contacts.
		{"status_failed.json", []Status{{WAMID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEkQzQTc2NjE3MUQ0RUMzRjJBQgA=", Status: "failed",
			At: time.Unix(1764238500, 0), ChatID: "6281234567890", Phone: sitiPhone, Billable: true, Category: "utility", Pricing: "PMP",
			Errors: []*Error{{Code: 131047, Title: "Re-engagement message", Message: "Re-engagement message",
				Details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}}},
			bot.Permanent},
		{"status_undeliverable.json", []Status{{WAMID: "wamid.HBgNNjI4MTI5OTk5OTk5ORUCABEYEjVGRjEyQTM0QjU2Qzc4OUQwRQA=", Status: "failed",
			At: time.Unix(1764238600, 0), ChatID: "ID.1502576394650077", UserID: "ID.1502576394650077",
			Errors: []*Error{{Code: 131026, Title: "Message undeliverable", Message: "Message undeliverable", Details: "Message Undeliverable."}}}},
			bot.Unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			u, err := Parse(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(u.Statuses, tt.want) {
				t.Errorf("statuses\n%+v\nwant\n%+v", u.Statuses, tt.want)
			}
			if len(u.Messages) != 0 {
				t.Errorf("messages %+v", u.Messages)
			}
			if tt.kind != 0 {
				if !u.Statuses[0].Failed() || u.Statuses[0].Err().Kind() != tt.kind {
					t.Errorf("failed %v, kind %v, want %v", u.Statuses[0].Failed(), u.Statuses[0].Err().Kind(), tt.kind)
				}
			} else if u.Statuses[0].Err() != nil {
				t.Errorf("error %v", u.Statuses[0].Err())
			}
		})
	}
	if !(Rank("read") > Rank("delivered") && Rank("delivered") > Rank("sent") && Rank("failed") > Rank("read") && Rank("x") == 0) {
		t.Error("Rank does not order sent < delivered < read < failed")
	}
}

func TestParseOthers(t *testing.T) {
	u, err := Parse(readTestdata(t, "page_turn.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []PageTurn{{ChatID: siti, Key: "AbC123xYz-_9", Page: 1, WAMID: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBRTI3QjkwOEJFQzI5NzZBRkU5AA==",
		Context: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjFBMkIzQzRENUU2RjcwODE5MgA="}}
	if !reflect.DeepEqual(u.PageTurns, want) || len(u.Messages) != 0 {
		t.Errorf("page turns %+v, messages %+v", u.PageTurns, u.Messages)
	}

	u, err = Parse(readTestdata(t, "value_errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Errors) != 1 || u.Errors[0].Code != 131000 || u.Errors[0].Kind() != bot.Retryable {
		t.Errorf("errors %+v", u.Errors)
	}

	u, err = Parse(readTestdata(t, "template_status.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []TemplateUpdate{{ID: "594425479261596", Name: "iuran_jatuh_tempo", Language: "id", Event: "APPROVED", Reason: "NONE"}}; !reflect.DeepEqual(u.Templates, want) {
		t.Errorf("template updates %+v", u.Templates)
	}

	if _, err := Parse(readTestdata(t, "not_whatsapp.json")); !errors.Is(err, ErrNotWhatsApp) {
		t.Errorf("another product's webhook: %v", err)
	}
	for _, bad := range []string{"", "{", `{"object":"whatsapp_business_account","entry":"x"}`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	// One unreadable message does not lose the others of the delivery.
	u, err = Parse([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[` +
		`{"from":"6281234567890","id":"wamid.bad","timestamp":"soon","type":"text","text":{"body":"x"}},` +
		`{"from":"6281234567890","id":"wamid.good","timestamp":"1764238453","type":"text","text":{"body":"y"}}],` +
		`"statuses":[{"id":"wamid.s","status":7}]}},{"field":"messages","value":[]}]}]}`))
	if err != nil || len(u.Messages) != 1 || u.Messages[0].Event.UpdateID != "wamid.good" || len(u.Unreadable) != 3 {
		t.Errorf("%v: messages %+v, unreadable %v", err, u.Messages, u.Unreadable)
	}
}

// FuzzWebhook: the parser never panics on a body, and what it makes is
// always an event the engine can take.
func FuzzWebhook(f *testing.F) {
	for _, name := range []string{"text.json", "text_username.json", "button_reply.json", "list_reply.json", "template_button.json",
		"contacts.json", "contacts_other.json", "image.json", "location.json", "batch.json", "status_failed.json",
		"status_read_before_delivered.json", "page_turn.json", "group.json", "system.json", "template_status.json", "value_errors.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"w","timestamp":1,"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"wa:pg::-1"}}}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := Parse(body)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for i, m := range u.Messages {
			ev := m.Event
			if ev.Channel != Channel || ev.ChatID == "" || ev.UserID == "" || ev.UpdateID == "" || ev.Kind == "" {
				t.Fatalf("message %d: event %+v", i, ev)
			}
			if seen[ev.UpdateID] {
				t.Fatalf("wamid %s twice", ev.UpdateID)
			}
			seen[ev.UpdateID] = true
			if i > 0 && m.Sent.Before(u.Messages[i-1].Sent) {
				t.Fatalf("message %d out of order", i)
			}
			if (ev.Kind == flows.KindChoice) != (ev.Choice != "") || (ev.Kind == flows.KindContact) != (ev.Contact != nil) || (ev.Phone != "" && !isPhone(ev.Phone)) {
				t.Fatalf("event %+v", ev)
			}
			if _, _, turn := parsePageID(ev.Choice); turn {
				t.Fatalf("a page turn as a choice: %+v", ev)
			}
		}
		for _, p := range u.PageTurns {
			if p.ChatID == "" || p.Key == "" || p.Page < 0 || p.WAMID == "" {
				t.Fatalf("page turn %+v", p)
			}
		}
	})
}
