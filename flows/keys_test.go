package flows_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/tanggal"
	"github.com/lindungi/lindungi/telepon"
)

// dynamicKeys are the keys the code builds from a prefix and a value.
func dynamicKeys() []string {
	var keys []string
	add := func(prefix string, values ...string) {
		for _, v := range values {
			keys = append(keys, prefix+v)
		}
	}
	add("nik.err.", string(nik.Empty), string(nik.NotDigits), string(nik.Length), string(nik.Province),
		string(nik.Regency), string(nik.District), string(nik.BirthDate), string(nik.Serial))
	add("name.err.", string(nama.Empty), string(nama.Chars), string(nama.TooShort), string(nama.TooLong), string(nama.NoLetters))
	add("birth.err.", string(tanggal.Empty), string(tanggal.Format), string(tanggal.Month), string(tanggal.Day), string(tanggal.Future))
	add("phone.err.", string(telepon.Empty), string(telepon.Chars), string(telepon.NotMobile), string(telepon.TooShort), string(telepon.TooLong))
	add("income.err.", string(iuran.AmountEmpty), string(iuran.AmountChars), string(iuran.AmountFormat), string(iuran.AmountTooLarge))
	add("occupation.", flows.Occupations...)
	add("status.", flows.StatusAwaitingPayment, flows.StatusActive, flows.StatusDeleted)
	for _, st := range flows.States() {
		add("help.", string(st))
	}
	for _, m := range append(append(payments.Methods(), payments.StoreMethods()...), payments.QRIS) {
		add("bank.", string(m))
		add("pay.steps.", string(m))
	}
	add("bank.", "gopay") // an auto-debit charge's method (flows/autodebit_charge.go)
	add("sandbox.status.", "paid", "expired", "pending", "other")
	add("remind.", flows.RemindBefore, flows.RemindLapsed, flows.RemindArrears)
	add("agent.role.", flows.AgentRoles...)
	add("agent.rtrw_ask.", "rt", "rw", "opt")
	add("agent.rtrw_err.", "rt", "rw", "opt")
	add("standing.", "awaiting", "active", "arrears", "ended")
	add("agent.reminder.", "awaiting", "active", "arrears")
	add("admin.status.", flows.AgentPending, flows.AgentApproved, flows.AgentRejected, flows.AgentSuspended, flows.AgentErased)
	add("admin.decided.", flows.AgentApproved, flows.AgentRejected, flows.AgentSuspended)
	add("broadcast.jht.", "with", "without")
	add("broadcast.who.", "workers", "agents")
	add("broadcast.who_button.", "workers", "agents")
	add("broadcast.channel.", flows.BroadcastChannels...)
	add("broadcast.standing.", flows.StandingAwaiting, flows.StandingActive, flows.StandingDue, flows.StandingArrears, flows.StandingEnded)
	add("broadcast.payer.", flows.PayerSelf, flows.PayerAgent, flows.PayerSponsor)
	add("broadcast.dim.", "reg", "dist", "st", "oc", "jht", "pay", "ch")
	add("broadcast.pick.", "reg", "dist", "st", "oc", "jht", "pay", "ch")
	add("broadcast.button_choice.", "none", flows.ButtonPay, flows.ButtonStatus, flows.ButtonCard)
	add("broadcast.button.", flows.ButtonPay, flows.ButtonStatus, flows.ButtonCard)
	add("broadcast.now.", flows.BroadcastPaused, flows.BroadcastRunning, flows.BroadcastCancelled)
	for m := 1; m <= 12; m++ {
		add("month.", strconv.Itoa(m))
	}
	// The dashboard's templates (printf "dasbor.role.%s" and the like).
	add("dasbor.role.", "", "admin", "staf", "supervisor", "sponsor")
	add("dasbor.lang.", "id", "en")
	add("dasbor.source.", "", "telegram", "whatsapp", "web", "console", "agent", "import")
	add("dasbor.coverage.", "regencies", "districts")
	add("dasbor.step.", flows.FunnelSteps...)
	add("dasbor.standing.", "", flows.StandingAwaiting, flows.StandingActive, flows.StandingArrears, flows.StandingEnded)
	add("dasbor.event.", "payment", "reminder", "claim", "consent", "audit", "registered", "savings")
	add("dasbor.agent.done.", "setujui", "tolak", "tangguhkan", "pulihkan")
	add("correction.field.", flows.CorrectFields...)
	add("dasbor.bc.c.", "total", "queued", "sent", "delivered", "read", "failed", "blocked", "opted_out", "unknown")
	add("dasbor.bc.st.", flows.BroadcastScheduled, flows.BroadcastRunning, flows.BroadcastPaused, flows.BroadcastCancelled, flows.BroadcastDone)
	add("dasbor.bc.now.", flows.BroadcastPaused, flows.BroadcastRunning, flows.BroadcastCancelled)
	// Audit actions named in words on a record's history (the action's
	// colon as a dot); any other shows as its code.
	add("dasbor.action.", "dasbor.view_record", "dasbor.reveal_nik", "dasbor.correct", "dasbor.export_nik", "admin.view_registration",
		"admin.move_registration", "agent.register", "agent.pay", "agent.remind", "agent.erase", "agent.claim_code", "claim.attempt",
		"claim.failed", "claim.linked", "claim.locked")
	return keys
}

// quotedKey is a key quoted in a template: "dasbor.nav.overview".
var quotedKey = regexp.MustCompile(`"([a-z_]+\.[a-z_.]+)"`)

// literals collects every string literal in the repository's non-test Go files.
func literals(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".html") {
			// The dashboard's templates name their keys in quotes.
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range quotedKey.FindAllStringSubmatch(string(b), -1) {
				out[m[1]] = true
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out[s] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLocaleKeys fails when the code needs a key a language lacks, or a
// language has a key nothing uses.
func TestLocaleKeys(t *testing.T) {
	used := literals(t)
	dynamic := dynamicKeys()
	for _, k := range dynamic {
		used[k] = true
	}
	// A "resident." key is the third-person variant of the key after the
	// prefix (flows' turn.T): used when that key is, and only if it exists.
	for _, k := range cat.Keys("id") {
		if base, ok := strings.CutPrefix(k, "resident."); ok {
			if !cat.Has("id", base) {
				t.Errorf("%q varies %q, which does not exist", k, base)
			}
			used[k] = used[base]
		}
	}
	// A roster problem names its key without the "roster." prefix (roster.Msg;
	// roster's own test checks those literals against the catalogue).
	for _, k := range cat.Keys("id") {
		if rest, ok := strings.CutPrefix(k, "roster."); ok && used[rest] {
			used[k] = true
		}
	}
	for _, lang := range cat.Langs() {
		for _, k := range dynamic {
			if !cat.Has(lang, k) {
				t.Errorf("%s lacks key %q", lang, k)
			}
		}
		for _, k := range cat.Keys(lang) {
			if !used[k] {
				t.Errorf("%s key %q is not used by any code", lang, k)
			}
		}
	}
	// Every literal that looks like one of our keys must exist.
	prefixes := map[string]bool{}
	for _, k := range cat.Keys("id") {
		prefixes[strings.SplitN(k, ".", 2)[0]] = true
	}
	for s := range used {
		parts := strings.SplitN(s, ".", 2)
		if len(parts) != 2 || !prefixes[parts[0]] || strings.ContainsAny(s, " /%") || strings.HasSuffix(s, ".") {
			continue
		}
		for _, lang := range cat.Langs() {
			if !cat.Has(lang, s) && !strings.HasSuffix(s, ".go") {
				t.Errorf("%s lacks key %q used in code", lang, s)
			}
		}
	}
}
