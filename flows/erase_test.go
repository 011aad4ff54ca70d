package flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
)

// outboxTexts are the texts queued for a chat, delivered or not.
func outboxTexts(t *testing.T, chat string) []string {
	t.Helper()
	var texts []string
	if err := testDB.SQL().Select(&texts, `SELECT payload->>'text' FROM outbox WHERE channel = 'test' AND chat_id = $1 ORDER BY id`, chat); err != nil {
		t.Fatal(err)
	}
	return texts
}

// Security review M6: /hapus erases what it promises. The chat's replies not
// yet delivered are dropped, and what admins and agents were sent about the
// person (delivered or not) leaves the outbox too; the chat's last reply
// tells the channel to forget its copy of the conversation.
func TestEraseLeavesNoRepliesBehind(t *testing.T) {
	// An agent's application: the admins are told, an admin opens it.
	admin := newAgentChat(t, adminID)
	applicant := newAgentChat(t, "")
	applicant.apply(freshNIK(), "Yosef Lumbantobing")
	admin.send(flows.Event{Kind: flows.KindText, Text: "/agen_setujui"}) // read, so delivered
	var about int
	testDB.SQL().Get(&about, `SELECT count(*) FROM outbox WHERE chat_id = $1 AND payload::text LIKE '%Yosef Lumbantobing%'`, adminID)
	if about < 2 {
		t.Fatalf("%d admin replies name the applicant: the test sees nothing", about)
	}
	// The applicant asks for their data and, before it is delivered, erases it.
	ctx := context.Background()
	for i, text := range []string{"/dataku", "/hapus"} {
		if _, err := applicant.e.Handle(ctx, flows.Event{Channel: "test", ChatID: applicant.id, UserID: applicant.id, UpdateID: applicant.id + text, Kind: flows.KindText, Text: text}); err != nil {
			t.Fatal(i, err)
		}
	}
	if _, err := applicant.e.Handle(ctx, flows.Event{Channel: "test", ChatID: applicant.id, UserID: applicant.id, UpdateID: applicant.id + "yes", Kind: flows.KindChoice, Choice: "cf:yes"}); err != nil {
		t.Fatal(err)
	}
	left := outboxTexts(t, applicant.id)
	if len(left) != 1 || !strings.Contains(left[0], "Data Anda sudah dihapus") {
		t.Fatalf("the erased chat's outbox holds %q", left)
	}
	var forget bool
	testDB.SQL().Get(&forget, `SELECT (payload->>'forget')::bool FROM outbox WHERE channel = 'test' AND chat_id = $1`, applicant.id)
	if !forget {
		t.Error("the erasure's reply does not tell the channel to forget")
	}
	for _, text := range outboxTexts(t, adminID) {
		if strings.Contains(text, "Yosef Lumbantobing") {
			t.Errorf("the admin's outbox still names the erased applicant: %q", text)
		}
	}

	// A resident an agent registered erases their own registration: the
	// agent's list and view of them go from the agent's outbox.
	a := newAgent(t, admin, "Sri Wahyuni")
	n := freshNIK()
	ref := a.registerResident(n, "Rina Kartika", "")
	a.press("ah:list")
	must(t, a.press("al:"+ref), "Rina Kartika")
	must(t, a.press("rs:code"), "Rina Kartika")
	code := strings.Fields(strings.SplitN(a.last[0].Text, ": ", 2)[1])[0]
	r := newAgentChat(t, "")
	r.text("/start klaim-" + code)
	r.text(n)
	r.text("Rina Kartika")
	must(t, r.said(), "sekarang tersambung")
	r.press("cc:yes")
	r.text("/hapus")
	must(t, r.press("cf:yes"), "Data Anda sudah dihapus")
	for _, text := range outboxTexts(t, a.id) {
		if strings.Contains(text, "Rina Kartika") {
			t.Errorf("the agent's outbox still names the erased resident: %q", text)
		}
	}
}
