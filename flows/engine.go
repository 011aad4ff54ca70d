package flows

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/telepon"
	"github.com/lindungi/lindungi/wilayah"
)

// Flow names.
const (
	FlowRegister = "register" // the self-registration flow
	FlowGroup    = "group"    // a group chat: told once that the bot works in private chats
)

// Config holds what a deployment decides.
type Config struct {
	Province       string         // dotted province code offered first, e.g. "61"
	DraftTTL       time.Duration  // an unfinished draft older than this is discarded when the worker next writes
	MinAge, MaxAge int            // age limits at registration
	Location       *time.Location // the deployment's time zone
	ConsentVersion string         // version of the consent text shown
	AttestVersion  string         // version of the agent's attestation text
	// SandboxPayURL, for the development payment provider, is the test bank's
	// page of a payment code ("%s" stands for the code); "" in production.
	SandboxPayURL string
	// DashboardURL is the staff dashboard's sign-in link, %s for its
	// secret; "" when there is no dashboard.
	DashboardURL string
	// Admins are the channel-qualified user ids ("telegram:123456789") the
	// environment names: always admins, never removable in chat.
	Admins []string
	// PerisaiFeeBP is the Perisai agents' fee in basis points of what they
	// collect (750 = 7.5%), and PerisaiAgentShare the agent's percentage of it
	// (the rest goes to their institution).
	PerisaiFeeBP      int
	PerisaiAgentShare int
	// BotUsername gives the Telegram bot's username, for claim deep links
	// (known once the Bot API answered getMe); nil or "" when Telegram is not served.
	BotUsername func() string
	// WhatsAppNumber is the business number people write to on WhatsApp
	// (WHATSAPP_DISPLAY_NUMBER, digits with the country code: 62811000000),
	// for wa.me links; "" when WhatsApp is not served.
	WhatsAppNumber string
	// ClaimCodeTTL is how long an agent's claim code stays valid.
	ClaimCodeTTL time.Duration
	// QuietFrom and QuietTo ("21:00", "07:00", local time) bound the quiet
	// hours when broadcasts and reminders wait; "" for none.
	QuietFrom, QuietTo string
}

// DefaultConfig is the configuration used when nothing is set.
func DefaultConfig() Config {
	loc, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		loc = time.FixedZone("WIB", 7*3600)
	}
	return Config{Province: "61", DraftTTL: 7 * 24 * time.Hour, MinAge: 15, MaxAge: 65, Location: loc, ConsentVersion: "2026-11-v1",
		PerisaiFeeBP: 750, PerisaiAgentShare: 90, ClaimCodeTTL: 7 * 24 * time.Hour, AttestVersion: "2026-11-a1",
		QuietFrom: "21:00", QuietTo: "07:00"}
}

// Engine runs flows. It holds no per-chat state: every event loads the chat's
// session from the Store and saves it back in the same transaction.
type Engine struct {
	store     Store
	cat       *locales.Catalog
	templates *locales.Templates
	regions   *wilayah.Data
	tariffs   *iuran.Table
	cfg       Config
	now       func() time.Time
	log       *slog.Logger
	payer     Payer
	discounts *iuran.Discounts
	ids       func() string
	autodebit *AutoDebits // nil: auto-debit not offered (see SetAutoDebits)
	*machines
}

// Payer issues payment codes (a payment provider).
type Payer interface {
	Create(ctx context.Context, inv payments.Invoice) (payments.Instruction, error)
}

// Deps are the engine's collaborators.
type Deps struct {
	Store   Store
	Catalog *locales.Catalog
	Regions *wilayah.Data
	Tariffs *iuran.Table
	// Templates are the WhatsApp templates notices go as (the broadcast
	// composer shows the one a broadcast will go as); nil: none shown.
	Templates *locales.Templates
	Now       func() time.Time // nil means clock.Now
	Log       *slog.Logger     // nil means slog.Default()
	// Payer issues payment codes; nil means paying is not offered. Its
	// calls are bounded (payGuard): a few at once, a timeout, a break
	// after failures in a row.
	Payer Payer
	// Discounts are dated contribution discounts; nil means none.
	Discounts *iuran.Discounts
	// NewID makes the random part of payment order ids; nil means crypto/rand.
	NewID func() string
}

// New builds an engine.
func New(d Deps, cfg Config) *Engine {
	if d.Now == nil {
		d.Now = clock.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if cfg.Location == nil {
		cfg.Location = DefaultConfig().Location
	}
	var payer Payer
	if d.Payer != nil {
		payer = newPayGuard(d.Payer, d.Now, defaultPayCalls, defaultPayTimeout)
	}
	return &Engine{store: d.Store, cat: d.Catalog, templates: d.Templates, regions: d.Regions, tariffs: d.Tariffs, cfg: cfg, now: d.Now, log: d.Log,
		payer: payer, discounts: d.Discounts, ids: d.NewID, machines: newMachines()}
}

// Handle processes one inbound event: exactly once per UpdateID, in one
// transaction with the chat's session locked. It returns the replies it
// queued in the outbox (none for a duplicate), for channels that want them
// at once; delivery itself goes through the outbox.
func (e *Engine) Handle(ctx context.Context, ev Event) ([]Reply, error) {
	start := clock.Start()
	var state State
	var out []Reply
	dup := false
	err := e.store.Atomically(ctx, ev.Channel, ev.ChatID, func(ctx context.Context, tx Tx) error {
		out = nil
		s, ok, err := tx.Begin(ctx, ev.UpdateID)
		if err != nil {
			return err
		}
		if !ok {
			dup = true
			return nil
		}
		tx.Identify(ev.UserID)
		t := &turn{Engine: e, tx: tx, s: s, ev: ev, now: e.now().In(e.cfg.Location)}
		mark := t.funnelMark()
		if err := t.run(ctx); err != nil {
			return err
		}
		if err := t.trackFunnel(ctx, mark); err != nil {
			return err
		}
		if err := tx.SaveSession(ctx, s); err != nil {
			return err
		}
		for i := range t.out {
			if len(t.about) > 0 {
				t.out[i].About = t.about
			}
			t.out[i].Answers = ev.Received
		}
		if t.rotate && len(t.out) > 0 {
			t.out[len(t.out)-1].Rotate = true
		}
		state, out = s.State, t.out
		return tx.Send(ctx, t.out)
	})
	if err != nil {
		return nil, fmt.Errorf("handle %s update %q of chat %s: %w", ev.Channel, ev.UpdateID, ev.ChatID, err)
	}
	if e.log.Enabled(ctx, slog.LevelDebug) {
		e.log.Debug("handled", "channel", ev.Channel, "chat_id", ev.ChatID, "flow", FlowRegister, "state", state,
			"duplicate", dup, "took", start.Elapsed())
	}
	return out, nil
}

// turn is the work of one event: the session it changes and the replies it makes.
type turn struct {
	*Engine
	tx  Tx
	s   *Session
	ev  Event
	now time.Time
	out []Reply
	// shown is the personal data of residents the last prompt showed an
	// agent: ask writes it to the audit log.
	shown *shownRecords
	// about names the other people this turn's replies quote (Reply.About).
	about []string
	// rotate: this turn changed what the chat may see (consent, a claim,
	// an erasure); its last reply says so (Reply.Rotate).
	rotate bool

	// The user's agent record and residents, read once per event (see
	// agent and myResidents); a write that changes them clears them.
	agentRec  *Agent
	agentRead bool
	res       []Resident
	resRead   bool
}

// T renders a text in the chat's language. While an agent registers a
// resident, a "resident." variant of the key, phrased for a third person, is
// taken when there is one.
func (t *turn) T(key string, data map[string]any) string {
	if t.s.Data.Agent {
		if k := "resident." + key; t.cat.Has(t.s.Lang, k) {
			return t.cat.T(t.s.Lang, k, data)
		}
	}
	return t.cat.T(t.s.Lang, key, data)
}

func (t *turn) say(r Reply) {
	// Region names are the data's own: cut to fit a button (up to 3
	// choices) or a list row.
	limit := maxListLabel
	if len(r.Choices) <= maxButtons {
		limit = maxButtonLabel
	}
	for i, c := range r.Choices {
		if regionPrefixes[c.Data[:strings.IndexByte(c.Data+":", ':')]] {
			r.Choices[i].Label = fitLabel(c.Label, limit)
		}
	}
	t.out = append(t.out, r)
}

// regionPrefixes are the button prefixes whose labels are region names.
var regionPrefixes = map[string]bool{"pv": true, "rg": true, "ds": true, "vl": true, "nv": true, "aa": true}

// mentions notes that this turn's replies quote other people's data (keys
// from AboutRegistration, AboutAgent), so their erasure deletes them.
func (t *turn) mentions(keys ...string) {
	for _, k := range keys {
		if !slices.Contains(t.about, k) {
			t.about = append(t.about, k)
		}
	}
}

func (t *turn) sayText(key string, data map[string]any) {
	t.say(Reply{Text: t.T(key, data), Input: InputNone})
}

// ask sends the current question, with an optional note (an error, a
// confirmation) above it in the same message.
func (t *turn) ask(ctx context.Context, note string) error {
	t.shown = nil
	r, err := t.prompt(ctx)
	if err != nil {
		return err
	}
	if sh := t.shown; sh != nil {
		t.shown = nil
		if err := t.tx.AuditOn(ctx, sh.action, sh.subject, sh.detail); err != nil {
			return err
		}
	}
	if note != "" {
		r.Text = note + "\n\n" + r.Text
	}
	t.say(r)
	return nil
}

// askNote is ask with a note rendered from a key.
func (t *turn) askNote(ctx context.Context, key string, data map[string]any) error {
	if err := t.funnelError(ctx, key); err != nil {
		return err
	}
	return t.ask(ctx, t.T(key, data))
}

func (t *turn) run(ctx context.Context) error {
	s := t.s
	if t.ev.Kind == KindGroup {
		if s.Flow != FlowGroup {
			s.Flow, s.State = FlowGroup, ""
			if s.Lang == "" {
				s.Lang = locales.Default
			}
			t.sayText("group.private_only", nil)
		}
		return nil
	}
	if s.Lang == "" || !t.cat.Supported(s.Lang) {
		s.Lang = locales.Default
		if t.ev.Lang != "" && t.cat.Supported(t.ev.Lang) {
			s.Lang = t.ev.Lang
		}
	}
	if s.Flow == "" {
		s.Flow = FlowRegister
	}
	if s.State == "" {
		s.State = StWelcome
	}
	if t.ev.UserID != "" {
		s.UserID = t.ev.UserID
	}
	if t.ev.Phone != "" {
		if p, err := telepon.Normalize(t.ev.Phone); err == nil {
			s.Data.SenderPhone = p
		}
	}
	if (t.isDraft() || slices.Contains(applyStates, s.State)) && !s.New && t.cfg.DraftTTL > 0 && t.now.Sub(s.UpdatedAt) > t.cfg.DraftTTL {
		agent := s.Data.Agent
		s.Data = Answers{}
		s.Pending = ""
		s.State = StWelcome
		t.sayText("draft.expired", map[string]any{"Days": int(t.cfg.DraftTTL.Hours() / 24)})
		if agent {
			s.State = StAgHome
			return t.ask(ctx, "")
		}
		if !isStart(t.ev) {
			return t.startOver(ctx)
		}
	}
	if text := strings.TrimSpace(t.ev.Text); t.ev.Kind == KindText && !strings.HasPrefix(text, "/") {
		// A link's text typed without its slash ("sambung K7Q2M9XA", as
		// a wa.me link or a poster gives it) is the command; where a name
		// is asked, only when no name could read so ("Sambung Rahayu" is
		// a name).
		if l, ok := readLink(text); ok && (!slices.Contains(nameStates, s.State) || l.notAName(text)) {
			t.ev.Text = "/" + text
		}
	}
	if w := strings.ToLower(strings.TrimSpace(t.ev.Text)); t.ev.Kind == KindText && bareCommands[w] {
		// Cancel, back and help typed without the slash are the commands
		// wherever an answer is typed: no NIK, name or village reads so.
		t.ev.Text = "/" + w
	}
	if t.ev.Kind == KindText {
		if name, ok := parseCommand(t.ev.Text); ok {
			return t.command(ctx, name, commandArg(t.ev.Text))
		}
	}
	if strings.HasPrefix(s.Pending, pendingAdminsPfx) {
		return t.adminPending(ctx)
	}
	if strings.HasPrefix(s.Pending, pendingAutoDebitPfx) {
		return t.autoDebitPending(ctx)
	}
	if s.Pending != "" {
		return t.confirmPending(ctx)
	}
	if t.ev.Kind == KindMedia {
		return t.askNote(ctx, "media.unsupported", nil)
	}
	return t.answer(ctx)
}

// bareCommands are the commands understood without their slash.
var bareCommands = map[string]bool{"batal": true, "kembali": true, "bantuan": true, "cancel": true, "back": true, "help": true}

// nameStates ask for a person's name.
var nameStates = []State{StName, StAgName}

func (t *turn) isDraft() bool {
	for _, st := range draftStates {
		if st == t.s.State {
			return true
		}
	}
	return false
}

func isStart(ev Event) bool {
	if ev.Kind != KindText {
		return false
	}
	name, ok := parseCommand(ev.Text)
	return ok && name == cmdStart
}

// fire moves the session along the FSM and asks the next question.
func (t *turn) fire(ctx context.Context, event, note string) error {
	next, err := t.machines.transition(ctx, t.s.State, event)
	if err != nil {
		return err
	}
	t.enter(next)
	return t.ask(ctx, note)
}

// enter sets the state and resets what belongs to one question.
func (t *turn) enter(state State) {
	if state == StReview || state == StDone || state == StWelcome {
		t.s.Data.Editing = false
	}
	t.s.State = state
	t.s.Data.Page = 0
	t.s.Data.Matches = nil
}

// forward is the event that follows an accepted answer: back to the review
// when the worker is changing one answer, else the next question.
func (t *turn) forward() string {
	if t.s.Data.Editing && can(t.s.State, EvReview) {
		return EvReview
	}
	return EvNext
}

// startOver begins a new registration from the consent question.
func (t *turn) startOver(ctx context.Context) error {
	t.s.Data = Answers{}
	t.s.Pending = ""
	next, err := t.machines.transition(ctx, t.s.State, EvRestart)
	if err != nil {
		return err
	}
	t.enter(next)
	if err := t.tx.PlanJobs(ctx, []Job{NudgeJob(t.s.Channel, t.s.ChatID, t.now.Add(NudgeAfter))}); err != nil {
		return err
	}
	return t.ask(ctx, "")
}

// NudgeAfter is how long an unfinished registration waits before the worker
// is reminded of it.
const NudgeAfter = 3 * 24 * time.Hour

// resumeData is the button of a nudge: back to the question the chat is at.
const resumeData = "go:resume"

// NudgeReplies remind a worker of an unfinished registration, which is
// deleted on expires if it stays untouched.
func (e *Engine) NudgeReplies(lang string, expires time.Time) []Reply {
	if !e.cat.Supported(lang) {
		lang = locales.Default
	}
	date := e.cat.Date(lang, expires.In(e.cfg.Location))
	return []Reply{{Text: e.cat.T(lang, "nudge.unfinished", map[string]any{"Date": date}),
		Input: InputText, Choices: []Choice{{Label: e.cat.T(lang, "nudge.resume", nil), Data: resumeData}},
		Notice: &Notice{Kind: NoticeNudge, Lang: lang, Params: []string{date}}}}
}

// DraftTTL is how long an untouched draft is kept.
func (e *Engine) DraftTTL() time.Duration { return e.cfg.DraftTTL }

// Commands, by canonical name.
const (
	cmdStart    = "start"
	cmdCancel   = "cancel"
	cmdBack     = "back"
	cmdHelp     = "help"
	cmdLanguage = "language"
	cmdStatus   = "status"
	cmdMyData   = "mydata"
	cmdDelete   = "delete"
	cmdPay      = "pay"
	cmdCard     = "card"
	cmdStopSub  = "unsubscribe"
	cmdAgent    = "agent"
	cmdClaim    = "claim"
	cmdOptOut   = "optout"
	cmdOptIn    = "optin"
)

var commandAliases = map[string]string{
	"start": cmdStart, "mulai": cmdStart,
	"batal": cmdCancel, "cancel": cmdCancel,
	"kembali": cmdBack, "back": cmdBack,
	"bantuan": cmdHelp, "help": cmdHelp,
	"bahasa": cmdLanguage, "language": cmdLanguage,
	"status": cmdStatus,
	"dataku": cmdMyData, "mydata": cmdMyData,
	"hapus": cmdDelete, "delete": cmdDelete,
	"bayar": cmdPay, "pay": cmdPay,
	"kartu": cmdCard, "card": cmdCard,
	"stoplangganan": cmdStopSub, "unsubscribe": cmdStopSub,
	"tabung": cmdSave, "save": cmdSave, "saldo": cmdBalance, "balance": cmdBalance,
	"stopotomatis": cmdStopAuto, "stopauto": cmdStopAuto,
	"berhenti": cmdOptOut, "stop": cmdOptOut, "aktifkan": cmdOptIn, "resume": cmdOptIn,
	"agen": cmdAgent, "agent": cmdAgent,
	// "sambung": link a registration someone else made to this chat; /klaim
	// stays as a hidden alias ("klaim" is BPJS's word for a benefit claim).
	"sambung": cmdClaim, "link": cmdClaim, "klaim": cmdClaim, "claim": cmdClaim, "sudahdidaftarkan": cmdClaim,
	// admins only
	"admin": cmdAdmin, "agen_setujui": cmdApprove, "approve_agents": cmdApprove, "agen_daftar": cmdAgentList, "agents": cmdAgentList,
	"nik_pindah": cmdMoveNIK, "move_nik": cmdMoveNIK, "admin_tambah": cmdAdminAdd, "admin_add": cmdAdminAdd,
	"admin_hapus": cmdAdminRemove, "admin_remove": cmdAdminRemove, "admin_daftar": cmdAdminList, "admin_list": cmdAdminList,
	"siaran": cmdBroadcast, "broadcast": cmdBroadcast, "siaran_daftar": cmdBroadcastList, "broadcasts": cmdBroadcastList,
	"statistik": cmdStats, "stats": cmdStats,
	// admins and staff with a role on the dashboard
	"dasbor": cmdDashboard, "dashboard": cmdDashboard,
}

// commandArg is what follows a command's name: "/start klaim-AB12" → "klaim-AB12".
func commandArg(text string) string {
	f := strings.Fields(strings.TrimSpace(text))
	if len(f) < 2 {
		return ""
	}
	return strings.Join(f[1:], " ")
}

// parseCommand reads "/name", "/name@bot" or "/name args"; it reports false
// for text that is not a command at all. An unknown command gives name "".
func parseCommand(text string) (string, bool) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return "", false
	}
	word := strings.Fields(text[1:])
	if len(word) == 0 {
		return "", true
	}
	w := strings.ToLower(word[0])
	if i := strings.IndexByte(w, '@'); i >= 0 {
		w = w[:i]
	}
	return commandAliases[w], true
}
