package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lindungi/lindungi/about"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/nama"
	"github.com/lindungi/lindungi/nik"
	"github.com/lindungi/lindungi/tanggal"
	"github.com/lindungi/lindungi/telepon"
	"github.com/lindungi/lindungi/wilayah"
)

// States of the self-registration flow.
const (
	StWelcome         State = "welcome" // nothing asked yet
	StConsent         State = "consent"
	StNIK             State = "nik"
	StName            State = "name"
	StBirthConfirm    State = "birth_confirm"
	StBirthEntry      State = "birth_entry"
	StPhone           State = "phone"
	StNIKVillage      State = "nik_village" // the villages of the NIK's kecamatan, or "I live elsewhere"
	StRegency         State = "regency"
	StProvince        State = "province"
	StDistrict        State = "district"
	StVillage         State = "village"
	StOccupation      State = "occupation"
	StOccupationOther State = "occupation_other"
	StIncome          State = "income"      // the common case in one tap: lowest bracket, with or without JHT
	StIncomeList      State = "income_list" // every bracket
	StPrograms        State = "programs"
	StReview          State = "review"
	StEdit            State = "edit" // which answer to change
	StDone            State = "done"
)

// Events of the self-registration flow.
const (
	EvReview   = "review"    // while editing: the changed answer returns to the review
	EvAskJHT   = "ask_jht"   // a typed income: its bracket is taken, JHT is asked next
	EvOpenEdit = "open_edit" // the review's "Ubah data": the list of answers
)

// Edit events, one per field group, from the review.
const (
	EvEditNIK        = "edit_nik"
	EvEditName       = "edit_name"
	EvEditBirth      = "edit_birth"
	EvEditPhone      = "edit_phone"
	EvEditAddress    = "edit_address"
	EvEditOccupation = "edit_occupation"
	EvEditIncome     = "edit_income"
	EvEditPrograms   = "edit_programs"
)

// draftStates hold an unfinished registration.
var draftStates = []State{StConsent, StNIK, StName, StBirthConfirm, StBirthEntry, StPhone, StNIKVillage, StRegency,
	StProvince, StDistrict, StVillage, StOccupation, StOccupationOther, StIncome, StIncomeList, StPrograms, StReview, StEdit}

// DraftStates lists the states of an unfinished registration.
func DraftStates() []State { return slices.Clone(draftStates) }

// registerEvents is the single source of truth for how the registration moves.
var registerEvents = table{
	// forward: the NIK gives the birth date, the sex and the kecamatan
	{EvNext, []State{StWelcome}, StConsent},
	{EvNext, []State{StConsent}, StNIK},
	{EvNext, []State{StNIK}, StName},
	{EvNext, []State{StBirthConfirm, StBirthEntry}, StName},
	{EvNext, []State{StName}, StPhone},
	{EvNext, []State{StPhone}, StNIKVillage},
	{EvNext, []State{StNIKVillage}, StOccupation},
	{EvNext, []State{StProvince}, StRegency},
	{EvNext, []State{StRegency}, StDistrict},
	{EvNext, []State{StDistrict}, StVillage},
	{EvNext, []State{StVillage}, StOccupation},
	{EvNext, []State{StOccupation, StOccupationOther}, StIncome},
	{EvNext, []State{StIncome, StPrograms}, StReview},
	{EvNext, []State{StIncomeList}, StPrograms},
	{EvConfirm, []State{StReview}, StDone},
	// branches
	{EvAlt, []State{StNIK}, StBirthConfirm},        // the NIK's age is outside the limits
	{EvAlt, []State{StBirthConfirm}, StBirthEntry}, // "Salah": type the date
	{EvAlt, []State{StPhone, StNIKVillage}, StRegency},
	{EvAlt, []State{StRegency}, StProvince},
	{EvAlt, []State{StOccupation}, StOccupationOther},
	{EvAlt, []State{StIncome}, StIncomeList},
	{EvAskJHT, []State{StIncome}, StPrograms},
	// back
	{EvBack, []State{StNIK}, StConsent},
	{EvBack, []State{StName, StBirthConfirm}, StNIK},
	{EvBack, []State{StBirthEntry}, StBirthConfirm},
	{EvBack, []State{StPhone}, StName},
	{EvBack, []State{StNIKVillage}, StPhone},
	{EvBack, []State{StRegency}, StNIKVillage},
	{EvBack, []State{StProvince}, StRegency},
	{EvBack, []State{StDistrict}, StRegency},
	{EvBack, []State{StVillage}, StDistrict},
	{EvBack, []State{StOccupation}, StNIKVillage},
	{EvBack, []State{StOccupationOther}, StOccupation},
	{EvBack, []State{StIncome}, StOccupation},
	{EvBack, []State{StIncomeList, StPrograms}, StIncome},
	{EvBack, []State{StReview}, StIncome},
	{EvBack, []State{StEdit}, StReview},
	// edit from the review (its "Ubah data" list; the review's own old
	// buttons still work), and the way back to it
	{EvOpenEdit, []State{StReview}, StEdit},
	{EvEditNIK, []State{StReview, StEdit}, StNIK},
	{EvEditName, []State{StReview, StEdit}, StName},
	{EvEditBirth, []State{StReview, StEdit}, StBirthEntry},
	{EvEditPhone, []State{StReview, StEdit}, StPhone},
	{EvEditAddress, []State{StReview, StEdit}, StNIKVillage},
	{EvEditOccupation, []State{StReview, StEdit}, StOccupation},
	{EvEditIncome, []State{StReview, StEdit}, StIncome},
	{EvEditPrograms, []State{StReview, StEdit}, StPrograms},
	{EvReview, []State{StNIK, StName, StBirthConfirm, StBirthEntry, StPhone, StNIKVillage, StRegency, StProvince,
		StDistrict, StVillage, StOccupation, StOccupationOther, StIncome, StIncomeList, StPrograms}, StReview},
	// leaving
	{EvCancel, draftStates, StWelcome},
	{EvRestart, append(append([]State{StWelcome, StDone}, draftStates...), append(applyStates, append(agentStates, claimStates...)...)...), StConsent},
}

// pageSize is how many list buttons one message shows (8 + ‹ › fits a
// WhatsApp list of 10 rows).
const pageSize = 8

// matchLimit is how many search results are offered as buttons.
const matchLimit = 6

// registerQuestions are the registration's questions (see question).
func registerQuestions() map[State]question {
	return map[State]question{
		StWelcome:         {"wl", (*turn).promptRegister, (*turn).answerWelcome},
		StConsent:         {"cs", (*turn).promptRegister, (*turn).answerConsent},
		StNIK:             {"", (*turn).promptRegister, (*turn).answerNIK},
		StName:            {"", (*turn).promptRegister, (*turn).answerName},
		StBirthConfirm:    {"bc", (*turn).promptRegister, (*turn).answerBirthConfirm},
		StBirthEntry:      {"", (*turn).promptRegister, (*turn).answerBirthEntry},
		StPhone:           {"ph", (*turn).promptRegister, (*turn).answerPhone},
		StNIKVillage:      {"nv", (*turn).promptRegister, (*turn).answerNIKVillage},
		StProvince:        {"pv", (*turn).promptRegister, (*turn).answerProvince},
		StRegency:         {"rg", (*turn).promptRegister, (*turn).answerRegency},
		StDistrict:        {"ds", (*turn).promptRegister, (*turn).answerDistrict},
		StVillage:         {"vl", (*turn).promptRegister, (*turn).answerVillage},
		StOccupation:      {"oc", (*turn).promptRegister, (*turn).answerOccupation},
		StOccupationOther: {"", (*turn).promptRegister, (*turn).answerOccupationOther},
		StIncome:          {"in", (*turn).promptRegister, (*turn).answerIncome},
		StIncomeList:      {"il", (*turn).promptRegister, (*turn).answerIncomeList},
		StPrograms:        {"pr", (*turn).promptRegister, (*turn).answerPrograms},
		StReview:          {"rv", (*turn).promptRegister, (*turn).answerReview},
		StEdit:            {"ed", (*turn).promptRegister, (*turn).answerEdit},
		StDone:            {"dn", (*turn).promptRegister, (*turn).answerDone},
	}
}

// Occupations offered in the picker (DOMAIN.md §1); labels live in locales.
var Occupations = []string{
	"petani", "nelayan", "peternak", "pedagang_pasar", "pedagang_kaki_lima", "ojek", "sopir", "kurir",
	"buruh_harian", "tukang_bangunan", "pekerja_rumah_tangga", "penjahit", "montir", "pengrajin",
	"pekerja_keagamaan", "rt_rw", "perangkat_desa", "kader_posyandu", "relawan_damkar", "umkm",
	"penjual_daring", "seniman", "lainnya",
}

const occupationOther = "lainnya"

// promptRegister renders the questions of the registration.
func (t *turn) promptRegister(ctx context.Context) (Reply, error) {
	s := t.s
	d := &s.Data
	switch s.State {
	case StWelcome:
		return Reply{Text: t.T("welcome.again", nil), Choices: []Choice{{Label: t.T("welcome.start", nil), Data: "wl:start"},
			{Label: t.T("start.claim", nil), Data: "wl:claim"}, {Label: t.T("start.agent", nil), Data: "wl:agent"}}, Input: InputText}, nil
	case StConsent:
		abroad := ""
		if app, ok := chatApps[s.Channel]; ok {
			abroad = t.T("consent.abroad_line", map[string]any{"App": app})
		}
		// The welcome and the consent are one message: what Lindungi is,
		// what it keeps and why, and the question.
		r := Reply{Text: t.T("consent.ask", map[string]any{"Abroad": abroad}), Input: InputText, Choices: []Choice{
			{Label: t.T("consent.yes", nil), Data: "cs:yes"}, {Label: t.T("consent.no", nil), Data: "cs:no"}}}
		if d.Agent {
			r.Text = t.T("consent.ask", nil) // the attestation
		}
		if t.isFreshConsent() {
			// The start menu: someone an agent registered, or an agent.
			r.Choices = append(r.Choices, Choice{Label: t.T("start.claim", nil), Data: "cs:claim"}, Choice{Label: t.T("start.agent", nil), Data: "cs:agent"})
		}
		return r, nil
	case StNIK:
		return Reply{Text: t.T("nik.ask", nil), Input: InputNumber}, nil
	case StName:
		return Reply{Text: t.T("name.ask", nil), Input: InputText}, nil
	case StBirthConfirm:
		// Asked only when the NIK's date gives an age outside the limits.
		birth := d.birth()
		return Reply{Text: t.T("birth.confirm_age", map[string]any{"Date": t.cat.Date(s.Lang, birth), "Sex": t.sexLabel(d.Female),
			"Age": tanggal.Age(birth, t.now), "MinAge": t.cfg.MinAge, "MaxAge": t.cfg.MaxAge}),
			Input: InputText, Choices: []Choice{{Label: t.T("birth.yes", nil), Data: "bc:yes"}, {Label: t.T("birth.no", nil), Data: "bc:no"}}}, nil
	case StBirthEntry:
		return Reply{Text: t.T("birth.ask", nil), Input: InputText}, nil
	case StPhone:
		if d.Agent {
			return Reply{Text: t.T("phone.ask", nil), Input: InputText, Choices: []Choice{{Label: t.T("phone.skip", nil), Data: "ph:skip"}}}, nil
		}
		if d.SenderPhone != "" && !d.PhoneOther {
			// The number the worker writes from: confirmed with a tap.
			return Reply{Text: t.T("phone.confirm", map[string]any{"Phone": telepon.Mask(d.SenderPhone)}), Input: InputText, Choices: []Choice{
				{Label: t.T("phone.this", nil), Data: "ph:this"}, {Label: t.T("phone.other", nil), Data: "ph:other"}}}, nil
		}
		key := "phone.ask"
		if sharesContact[s.Channel] {
			key = "phone.ask_share"
		}
		return Reply{Text: t.T(key, map[string]any{"Button": t.T("phone.share", nil)}), Input: InputContact, InputLabel: t.T("phone.share", nil)}, nil
	case StNIKVillage:
		return t.promptNIKVillage(), nil
	case StProvince:
		return Reply{Text: t.T("province.ask", nil), Input: InputText, Choices: t.regionChoices(t.regions.Provinces())}, nil
	case StRegency:
		choices := t.regionChoices(t.regions.Children(t.province()))
		choices = append(choices, Choice{Label: t.T("regency.other_province", nil), Data: "rg:prov"})
		return Reply{Text: t.T("regency.ask", map[string]any{"Province": t.regionName(t.province())}), Input: InputText, Choices: choices}, nil
	case StDistrict:
		return Reply{Text: t.T("district.ask", map[string]any{"Regency": t.regionName(d.SelRegency)}), Input: InputText,
			Choices: t.regionChoices(t.regions.Children(d.SelRegency))}, nil
	case StVillage:
		villages := t.regions.Children(d.SelDistrict)
		example := ""
		if len(villages) > 0 {
			example = villages[0].Name
		}
		r := Reply{Text: t.T("village.ask", map[string]any{"District": t.regionName(d.SelDistrict), "Example": example}), Input: InputText}
		switch {
		case len(d.Matches) > 0:
			r.Choices = t.regionChoices(nil)
			r.Choices = append(r.Choices, Choice{Label: t.T("village.list", nil), Data: "vl:pg:1"})
		case d.Page > 0:
			// Page 1 is the first page of the full list (page 0 means "type the name").
			r.Choices = t.pageChoices("vl", len(villages), regionChoice("vl", villages), d.Page-1, 1, 0)
		default:
			r.Choices = []Choice{{Label: t.T("village.list", nil), Data: "vl:pg:1"}}
		}
		return r, nil
	case StOccupation:
		if len(d.Matches) > 0 { // a typed word that fits several
			var choices []Choice
			for _, o := range d.Matches {
				choices = append(choices, Choice{Label: t.T("occupation."+o, nil), Data: "oc:" + o})
			}
			return Reply{Text: t.T("occupation.ask", nil), Input: InputText, Choices: choices}, nil
		}
		return Reply{Text: t.T("occupation.ask", nil), Input: InputText, Choices: t.pageChoices("oc", len(Occupations), func(i int) Choice {
			return Choice{Label: t.T("occupation."+Occupations[i], nil), Data: "oc:" + Occupations[i]}
		}, d.Page, 0, 0)}, nil
	case StOccupationOther:
		return Reply{Text: t.T("occupation.other_ask", nil), Input: InputText}, nil
	case StIncome:
		// Most workers earn under the first bracket's top: one tap for them.
		low, _ := t.tariffs.Bracket(0)
		base, jht := t.monthly(0, false, d.Occupation), t.monthly(0, true, d.Occupation)
		return Reply{Text: t.T("income.quick", map[string]any{"Below": t.juta(low.IncomeMax + 1000), "Total": rupiahOf(base.Totals.Total),
			"JHT": rupiahOf(jht.Totals.JHT), "TotalJHT": rupiahOf(jht.Totals.Total), "Discount": t.discountNote(base)}),
			Input: InputText, Choices: []Choice{
				{Label: t.T("income.quick_base", map[string]any{"Total": rupiahOf(base.Totals.Total)}), Data: "in:base"},
				{Label: t.T("income.quick_jht", map[string]any{"Total": rupiahOf(jht.Totals.Total)}), Data: "in:jht"},
				{Label: t.T("income.quick_more", nil), Data: "in:more"},
			}}, nil
	case StIncomeList:
		brackets := t.tariffs.Brackets()
		return Reply{Text: t.T("income.ask", map[string]any{"Discount": t.discountNote(t.monthly(0, false, d.Occupation))}), Input: InputText,
			Choices: t.pageChoices("il", len(brackets), func(i int) Choice {
				b := brackets[i]
				return Choice{Label: t.T("income.choice", map[string]any{"Range": t.bracketShort(b),
					"Iuran": rupiahOf(t.monthly(b.Index, false, d.Occupation).Totals.Total)}), Data: "il:" + strconv.Itoa(b.Index)}
			}, d.Page, 0, 0)}, nil
	case StPrograms:
		b := t.bracket()
		base, jht := t.monthly(b.Index, false, d.Occupation), t.monthly(b.Index, true, d.Occupation)
		return Reply{Text: t.T("programs.ask", map[string]any{"JHT": rupiahOf(jht.Totals.JHT), "Total": rupiahOf(base.Totals.Total),
			"TotalJHT": rupiahOf(jht.Totals.Total)}),
			Input: InputText, Choices: []Choice{
				{Label: t.T("programs.choice_base", map[string]any{"Total": rupiahOf(base.Totals.Total)}), Data: "pr:base"},
				{Label: t.T("programs.choice_jht", map[string]any{"Total": rupiahOf(jht.Totals.Total)}), Data: "pr:jht"},
			}}, nil
	case StReview:
		return Reply{Text: t.T("review.ask", map[string]any{"Summary": t.summary(d.registration(t.Engine))}), Input: InputText,
			Choices: []Choice{{Label: t.T("review.confirm", nil), Data: "rv:ok"}, {Label: t.T("review.edit", nil), Data: "rv:edit"}}}, nil
	case StEdit:
		var choices []Choice
		for _, e := range reviewEdits {
			choices = append(choices, Choice{Label: t.T(e.label, nil), Data: "ed:" + strings.TrimPrefix(e.data, "rv:")})
		}
		choices = append(choices, Choice{Label: t.T("edit.back", nil), Data: "ed:back"})
		return Reply{Text: t.T("edit.ask", nil), Input: InputText, Choices: choices}, nil
	case StDone:
		choices := []Choice{{Label: t.T("done.new", nil), Data: "dn:new"}, {Label: t.T("done.status", nil), Data: "dn:status"}}
		if t.payer != nil {
			choices = append([]Choice{{Label: t.T("done.pay", nil), Data: "dn:pay"}}, choices...)
		}
		return Reply{Text: t.T("done.menu", nil), Input: InputText, Choices: choices}, nil
	}
	return Reply{}, fmt.Errorf("no question for state %q", s.State)
}

// answer takes the worker's answer to the current question.
func (t *turn) answer(ctx context.Context) error {
	s := t.s
	if t.ev.Kind == KindText {
		// A button's label typed out is that button.
		if data, ok := t.typedChoice(ctx); ok {
			t.ev.Kind, t.ev.Choice = KindChoice, data
		}
	}
	if t.ev.Kind == KindChoice && t.ev.Choice == resumeData {
		return t.askNote(ctx, "start.resume", nil)
	}
	if t.ev.Kind == KindChoice && t.ev.Choice == payNowData {
		// A reminder's "Bayar sekarang", pressed whatever the chat is doing.
		return t.startPay(ctx)
	}
	if t.ev.Kind == KindChoice {
		// Buttons that work whatever the chat is doing: an admin's decision
		// on an agent or a broadcast, an admin menu entry, a broadcast's button.
		switch c := t.ev.Choice; {
		case strings.HasPrefix(c, "ap:"):
			return t.adminChoice(ctx)
		case strings.HasPrefix(c, "bx:"):
			return t.broadcastChoice(ctx)
		case strings.HasPrefix(c, "ad:"):
			return t.adminCommand(ctx, strings.TrimPrefix(c, "ad:"), "")
		case strings.HasPrefix(c, "au:"):
			return t.autoDebitChoice(ctx)
		case c == "go:"+ButtonStatus:
			return t.status(ctx)
		case c == "go:"+ButtonCard:
			return t.cards(ctx)
		}
	}
	if t.ev.Kind == KindChoice {
		prefix, rest, _ := strings.Cut(t.ev.Choice, ":")
		if prefix != t.prefix() {
			return t.askNote(ctx, "choice.stale", nil)
		}
		if p, ok := strings.CutPrefix(rest, "pg:"); ok {
			n, err := strconv.Atoi(p)
			if err == nil && n >= 0 {
				s.Data.Page = n
				s.Data.Matches = nil
			}
			return t.ask(ctx, "")
		}
	}
	q, ok := t.questions[s.State]
	if !ok {
		return fmt.Errorf("unknown state %q", s.State)
	}
	return q.answer(t, ctx)
}

func (t *turn) answerWelcome(ctx context.Context) error {
	switch t.ev.Choice {
	case "wl:claim":
		return t.startClaim(ctx)
	case "wl:agent":
		return t.startApply(ctx)
	}
	return t.startOver(ctx)
}

func (t *turn) answerProvince(ctx context.Context) error {
	return t.answerRegion(ctx, wilayah.Province, "", func(code string) { t.s.Data.SelProvince = code }, EvNext)
}

func (t *turn) answerRegency(ctx context.Context) error {
	if t.ev.Choice == "rg:prov" {
		return t.fire(ctx, EvAlt, "")
	}
	return t.answerRegion(ctx, wilayah.Regency, t.province(), func(code string) {
		t.s.Data.SelRegency = code
		t.s.Data.SelProvince = parentCode(code)
	}, EvNext)
}

func (t *turn) answerDistrict(ctx context.Context) error {
	return t.answerRegion(ctx, wilayah.District, t.s.Data.SelRegency, func(code string) { t.s.Data.SelDistrict = code }, EvNext)
}

func (t *turn) answerVillage(ctx context.Context) error {
	d := &t.s.Data
	return t.answerRegion(ctx, wilayah.Village, d.SelDistrict, func(code string) {
		d.Village = code
		d.District = d.SelDistrict
		d.Regency = d.SelRegency
		d.Province = parentCode(d.SelRegency)
	}, t.forward())
}

func (t *turn) answerDone(ctx context.Context) error {
	switch t.ev.Choice {
	case "dn:new":
		return t.startOver(ctx)
	case "dn:status":
		return t.status(ctx)
	case "dn:pay":
		return t.startPay(ctx)
	}
	return t.ask(ctx, "")
}

func (t *turn) answerConsent(ctx context.Context) error {
	if t.isFreshConsent() {
		switch t.ev.Choice {
		case "cs:claim":
			return t.startClaim(ctx)
		case "cs:agent":
			return t.startApply(ctx)
		}
	}
	yes, ok := t.yesNoAnswer("cs")
	switch {
	case !ok:
		return t.askNote(ctx, "consent.unclear", nil)
	case !yes:
		return t.askNote(ctx, "consent.declined", nil)
	}
	if t.s.Data.Agent {
		// The agent attests that the resident agreed (UU PDP).
		id, err := t.tx.RecordAttestation(ctx, Attestation{TextVersion: t.cfg.AttestVersion, UpdateID: t.ev.UpdateID, GivenAt: t.now})
		if errors.Is(err, ErrNotAgent) {
			_, _, err = t.approvedAgent(ctx)
			return err
		}
		if err != nil {
			return err
		}
		t.s.Data.AttestID = id
		return t.fire(ctx, EvNext, t.T("consent.thanks", nil))
	}
	t.rotate = true
	id, err := t.tx.RecordConsent(ctx, Consent{
		Channel: t.s.Channel, ChatID: t.s.ChatID, UserID: t.ev.UserID,
		TextVersion: t.cfg.ConsentVersion, UpdateID: t.ev.UpdateID, GivenAt: t.now,
	})
	if err != nil {
		return err
	}
	t.s.Data.ConsentID = id
	return t.fire(ctx, EvNext, t.T("consent.thanks", nil))
}

func (t *turn) text() string { return strings.TrimSpace(t.ev.Text) }

// needText answers a button or contact where typed text is expected.
func (t *turn) needText(ctx context.Context) (string, bool, error) {
	if t.ev.Kind != KindText || t.text() == "" {
		return "", false, t.askNote(ctx, "input.need_text", nil)
	}
	return t.text(), true, nil
}

// typedNIK reads a NIK typed as the answer (the age limits decide its
// century); ok is false when the answer was refused with a message.
func (t *turn) typedNIK(ctx context.Context, minAge, maxAge int) (nik.NIK, bool, error) {
	in, ok, err := t.needText(ctx)
	if !ok {
		return nik.NIK{}, false, err
	}
	if digitsOf(in) == ExampleNIK {
		return nik.NIK{}, false, t.askNote(ctx, "nik.err.example", nil)
	}
	n, err := nik.Parse(in, t.regions, t.now, minAge, maxAge)
	if err != nil {
		return nik.NIK{}, false, t.reject(ctx, "nik", err)
	}
	return n, true, nil
}

// ExampleNIK is the NIK the questions show as an example: one no KTP can
// carry (serial 0000), so a worker who copies it registers nobody, and is
// told it is only the example.
const ExampleNIK = "6171054508900000"

// digitsOf keeps the digits of s.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// typedName reads a full name typed as the answer; ok is false when the
// answer was refused with a message.
func (t *turn) typedName(ctx context.Context) (string, bool, error) {
	in, ok, err := t.needText(ctx)
	if !ok {
		return "", false, err
	}
	name, err := nama.Parse(in)
	if err != nil {
		return "", false, t.reject(ctx, "name", err)
	}
	return name, true, nil
}

func (t *turn) answerNIK(ctx context.Context) error {
	n, ok, err := t.typedNIK(ctx, t.cfg.MinAge, t.cfg.MaxAge)
	if !ok {
		return err
	}
	taken, err := t.tx.NIKRegistered(ctx, n.Digits)
	if err != nil {
		return err
	}
	if taken {
		return t.askNote(ctx, "nik.taken", map[string]any{"NIK": nik.Mask(n.Digits)})
	}
	d := &t.s.Data
	old := dotted(d.NIK)
	d.NIK = n.Digits
	d.BirthDate = n.BirthDate.Format(time.DateOnly)
	d.Female = n.Female
	if d.Editing && d.District != "" && d.District == old && old != dotted(n.District) {
		// The address was the old NIK's kecamatan and the new NIK has
		// another: it is asked again, from the new NIK's villages.
		d.Village, d.District, d.Regency, d.Province = "", "", "", ""
	}
	if t.ageProblem(n.BirthDate) != "" {
		return t.fire(ctx, EvAlt, "") // asked whether the NIK's date is right
	}
	note := t.T("nik.ok", map[string]any{"Date": t.cat.Date(t.s.Lang, n.BirthDate), "Sex": t.sexLabel(n.Female)})
	if d.Editing && d.Village == "" {
		t.enter(StNIKVillage)
		return t.ask(ctx, note)
	}
	return t.fire(ctx, t.forward(), note)
}

func (t *turn) answerName(ctx context.Context) error {
	name, ok, err := t.typedName(ctx)
	if !ok {
		return err
	}
	t.s.Data.Name = name
	return t.fire(ctx, t.forward(), "")
}

func (t *turn) answerBirthConfirm(ctx context.Context) error {
	yes, ok := t.yesNoAnswer("bc")
	if !ok {
		// A typed date is taken as the correction.
		if t.ev.Kind == KindText {
			if _, err := tanggal.Parse(t.text(), t.now, t.cfg.MinAge, t.cfg.MaxAge); err == nil {
				return t.answerBirthEntry(ctx)
			}
		}
		return t.askNote(ctx, "birth.confirm_unclear", nil)
	}
	if !yes {
		return t.fire(ctx, EvAlt, "")
	}
	if note := t.ageProblem(t.s.Data.birth()); note != "" {
		return t.ask(ctx, note)
	}
	return t.afterBirth(ctx, "")
}

// afterBirth goes on from the birth date: to the name, or past it when the
// name is known already (a session saved when the name came first).
func (t *turn) afterBirth(ctx context.Context, note string) error {
	ev := t.forward()
	if ev == EvReview || t.s.Data.Name == "" {
		return t.fire(ctx, ev, note)
	}
	next, err := t.machines.transition(ctx, t.s.State, ev)
	if err != nil {
		return err
	}
	if next == StName {
		if next, err = t.machines.transition(ctx, next, EvNext); err != nil {
			return err
		}
	}
	t.enter(next)
	return t.ask(ctx, note)
}

// dotted writes a NIK's kecamatan digits ("617105") as a region code ("61.71.05").
func dotted(digits string) string {
	if len(digits) < 6 {
		return ""
	}
	return digits[0:2] + "." + digits[2:4] + "." + digits[4:6]
}

// nikDistrict is the kecamatan the NIK was issued in ("61.71.05"), if the
// region data knows it (under its current code or a pre-2022 one).
func (t *turn) nikDistrict() (wilayah.Region, bool) {
	code := dotted(t.s.Data.NIK)
	if code == "" {
		return wilayah.Region{}, false
	}
	if r, ok := t.regions.Get(code); ok && r.Level == wilayah.District {
		return r, true
	}
	if r, ok := t.regions.Pre2022(code); ok && r.Level == wilayah.District {
		return r, true
	}
	return wilayah.Region{}, false
}

// promptNIKVillage offers the villages of the NIK's kecamatan at once: most
// people live where their KTP was made. "Tinggal di tempat lain" asks the
// kabupaten and kecamatan as before.
func (t *turn) promptNIKVillage() Reply {
	d := &t.s.Data
	elsewhere := Choice{Label: t.T("nik_village.elsewhere", nil), Data: "nv:else"}
	dist, ok := t.nikDistrict()
	if !ok {
		return Reply{Text: t.T("nik_village.unknown", nil), Input: InputText, Choices: []Choice{elsewhere}}
	}
	villages := t.regions.Children(dist.Code)
	r := Reply{Text: t.T("nik_village.ask", map[string]any{"District": dist.Name, "Regency": t.regionName(dist.Parent)}), Input: InputText}
	if len(d.Matches) > 0 {
		r.Choices = t.regionChoices(nil)
	} else {
		r.Choices = t.pageChoices("nv", len(villages), regionChoice("nv", villages), d.Page, 0, 1)
	}
	r.Choices = append(r.Choices, elsewhere)
	return r
}

func (t *turn) answerNIKVillage(ctx context.Context) error {
	d := &t.s.Data
	dist, ok := t.nikDistrict()
	if t.ev.Choice == "nv:else" || !ok {
		d.SelProvince, d.SelRegency, d.SelDistrict = "", "", ""
		return t.fire(ctx, EvAlt, "")
	}
	return t.answerRegion(ctx, wilayah.Village, dist.Code, func(code string) {
		d.Village = code
		d.District = dist.Code
		d.Regency = dist.Parent
		d.Province = parentCode(dist.Parent)
		d.SelProvince, d.SelRegency, d.SelDistrict = d.Province, d.Regency, d.District
	}, t.forward())
}

// ageProblem explains why a birth date is outside the programme's limits, or "".
func (t *turn) ageProblem(birth time.Time) string {
	age := tanggal.Age(birth, t.now)
	if age < t.cfg.MinAge || age > t.cfg.MaxAge {
		return t.T("birth.err.age", map[string]any{"Age": age, "MinAge": t.cfg.MinAge, "MaxAge": t.cfg.MaxAge,
			"Date": t.cat.Date(t.s.Lang, birth)})
	}
	return ""
}

func (t *turn) answerBirthEntry(ctx context.Context) error {
	in, ok, err := t.needText(ctx)
	if !ok {
		return err
	}
	d, err := tanggal.Parse(in, t.now, t.cfg.MinAge, t.cfg.MaxAge)
	if err != nil {
		return t.reject(ctx, "birth", err)
	}
	if note := t.ageProblem(d); note != "" {
		return t.ask(ctx, note)
	}
	t.s.Data.BirthDate = d.Format(time.DateOnly)
	// From the confirmation too, a typed correction answers it.
	return t.afterBirth(ctx, t.T("birth.ok", map[string]any{"Date": t.cat.Date(t.s.Lang, d)}))
}

func (t *turn) answerPhone(ctx context.Context) error {
	var raw string
	switch t.ev.Kind {
	case KindContact:
		c := t.ev.Contact
		if c == nil || c.Phone == "" {
			return t.askNote(ctx, "phone.err.contact_empty", nil)
		}
		if t.s.Data.Agent {
			// The resident's phone, not the agent's own.
			if c.UserID != "" && c.UserID == t.ev.UserID {
				return t.askNote(ctx, "phone.err.own", nil)
			}
		} else if c.UserID != "" && c.UserID != t.ev.UserID {
			return t.askNote(ctx, "phone.err.not_own", nil)
		}
		raw = c.Phone
	case KindChoice:
		d := &t.s.Data
		switch {
		case t.ev.Choice == "ph:skip" && d.Agent:
			d.Phone = ""
			d.NoPhone = true
			return t.afterPhone(ctx, "")
		case t.ev.Choice == "ph:this" && d.SenderPhone != "" && !d.Agent:
			d.Phone, d.NoPhone = d.SenderPhone, false
			return t.afterPhone(ctx, t.T("phone.ok", map[string]any{"Phone": telepon.Mask(d.Phone)}))
		case t.ev.Choice == "ph:other" && !d.Agent:
			d.PhoneOther = true
			return t.ask(ctx, "")
		}
		return t.askNote(ctx, "choice.stale", nil)
	case KindText:
		raw = t.text()
	default:
		return t.askNote(ctx, "input.need_text", nil)
	}
	p, err := telepon.Normalize(raw)
	if err != nil {
		return t.reject(ctx, "phone", err)
	}
	t.s.Data.Phone = p
	t.s.Data.NoPhone = false
	return t.afterPhone(ctx, t.T("phone.ok", map[string]any{"Phone": telepon.Mask(p)}))
}

// afterPhone goes on from the phone: to the villages of the NIK's
// kecamatan, or to the kabupaten when the region data does not know it.
func (t *turn) afterPhone(ctx context.Context, note string) error {
	if ev := t.forward(); ev == EvReview {
		return t.fire(ctx, ev, note)
	}
	if _, ok := t.nikDistrict(); !ok {
		return t.fire(ctx, EvAlt, note)
	}
	return t.fire(ctx, EvNext, note)
}

// province is the province whose regencies are offered.
func (t *turn) province() string {
	if t.s.Data.SelProvince != "" {
		return t.s.Data.SelProvince
	}
	return t.cfg.Province
}

func parentCode(code string) string {
	if i := strings.LastIndexByte(code, '.'); i >= 0 {
		return code[:i]
	}
	return ""
}

// answerRegion takes a region picked by button or typed (part of) its name.
func (t *turn) answerRegion(ctx context.Context, level wilayah.Level, parent string, set func(code string), event string) error {
	prefix := t.prefix()
	if t.ev.Kind == KindChoice {
		code := strings.TrimPrefix(t.ev.Choice, prefix+":")
		r, ok := t.regions.Get(code)
		if !ok || r.Level != level || (parent != "" && r.Parent != parent && level != wilayah.Regency) {
			return t.askNote(ctx, "choice.stale", nil)
		}
		set(code)
		return t.fire(ctx, event, "")
	}
	in, ok, err := t.needText(ctx)
	if !ok {
		return err
	}
	matches := t.regions.Search(parent, level, in, matchLimit)
	if len(matches) == 0 && level == wilayah.Regency {
		// Not in the deployment's province: look across the country.
		matches = t.regions.Search("", level, in, matchLimit)
	}
	if len(matches) == 0 {
		return t.askNote(ctx, "region.none", map[string]any{"Query": quote(in), "Where": t.regionWhere(parent)})
	}
	// One match, or the name typed out in full, is taken at once; otherwise
	// the matches become buttons.
	if len(matches) == 1 || labelKey(matches[0].Name) == labelKey(in) {
		set(matches[0].Code)
		return t.fire(ctx, event, "")
	}
	t.s.Data.Matches = t.s.Data.Matches[:0]
	for _, m := range matches {
		t.s.Data.Matches = append(t.s.Data.Matches, m.Code)
	}
	return t.askNote(ctx, "region.matches", map[string]any{"Query": in, "Count": len(matches)})
}

// regionWhere names a region with its level word where its name has none:
// "Kecamatan Pontianak Kota", "Provinsi Kalimantan Barat" ("Kota Pontianak"
// and "Kabupaten Sanggau" say it already).
func (t *turn) regionWhere(code string) string {
	r, ok := t.regions.Get(code)
	if !ok {
		return t.regionName(code)
	}
	switch r.Level {
	case wilayah.Province:
		return t.T("region.in_province", map[string]any{"Name": r.Name})
	case wilayah.District:
		return t.T("region.in_district", map[string]any{"Name": r.Name})
	}
	return r.Name
}

func (t *turn) regionName(code string) string {
	if code == "" {
		return t.T("region.indonesia", nil)
	}
	r, ok := t.regions.Get(code)
	if !ok {
		return code
	}
	return r.Name
}

// addressLine is the address for display, with its level words: "Kel. Darat Sekip, Kec. Pontianak Kota, Kota Pontianak".
func (t *turn) addressLine(village, district, regency string) string {
	var parts []string
	if village != "" {
		// A village code's last part starts with 1 for a kelurahan, 2 for a desa.
		key := "address.desa"
		if strings.HasPrefix(village[strings.LastIndexByte(village, '.')+1:], "1") {
			key = "address.kelurahan"
		}
		parts = append(parts, t.T(key, map[string]any{"Name": t.regionName(village)}))
	}
	if district != "" {
		parts = append(parts, t.T("address.district", map[string]any{"Name": t.regionName(district)}))
	}
	if regency != "" {
		parts = append(parts, t.regionName(regency))
	}
	return strings.Join(parts, ", ")
}

func (t *turn) answerOccupation(ctx context.Context) error {
	d := &t.s.Data
	code := ""
	switch t.ev.Kind {
	case KindChoice:
		code = strings.TrimPrefix(t.ev.Choice, "oc:")
	case KindText:
		matches := t.matchOccupation(t.text())
		switch {
		case len(matches) > 1:
			d.Matches = matches
			return t.askNote(ctx, "occupation_matches", map[string]any{"Query": quote(t.text())})
		case len(matches) == 1:
			code = matches[0]
		default:
			// Not one of the list: taken as the worker wrote it.
			return t.answerOccupationOther(ctx)
		}
	default:
		return t.askNote(ctx, "input.need_text", nil)
	}
	if !slices.Contains(Occupations, code) {
		return t.askNote(ctx, "choice.stale", nil)
	}
	if code == occupationOther {
		return t.fire(ctx, EvAlt, "")
	}
	d.Occupation = code
	d.OccupationOther = ""
	return t.fire(ctx, t.forward(), "")
}

// matchOccupation finds the occupations whose label contains the typed
// words: the one named exactly, else every one that fits.
func (t *turn) matchOccupation(in string) []string {
	q := wilayah.Normalize(in)
	if q == "" {
		return nil
	}
	var found []string
	for _, o := range Occupations {
		if o == occupationOther {
			continue
		}
		label := wilayah.Normalize(t.T("occupation."+o, nil))
		if label == q || wilayah.Normalize(o) == q {
			return []string{o}
		}
		if strings.Contains(label, q) {
			found = append(found, o)
		}
	}
	return found
}

func (t *turn) answerOccupationOther(ctx context.Context) error {
	in, ok, err := t.needText(ctx)
	if !ok {
		return err
	}
	n := len([]rune(in))
	if n < 3 || n > 60 {
		return t.askNote(ctx, "occupation.err.length", map[string]any{"Got": n})
	}
	t.s.Data.Occupation = occupationOther
	t.s.Data.OccupationOther = in
	return t.fire(ctx, t.forward(), "")
}

func (t *turn) occupationLabel(code, other string) string {
	if code == "" {
		return ""
	}
	if code == occupationOther && other != "" {
		return other
	}
	return t.T("occupation."+code, nil)
}

// answerIncome takes the common case in one tap (the lowest bracket, with
// or without JHT), "my income is higher" (the full list), or a typed amount
// (its bracket; JHT is asked next).
func (t *turn) answerIncome(ctx context.Context) error {
	d := &t.s.Data
	switch t.ev.Choice {
	case "in:base", "in:jht":
		low, jht := 0, t.ev.Choice == "in:jht"
		d.Bracket, d.JHT = &low, &jht
		return t.fire(ctx, EvNext, "")
	case "in:more":
		d.Page = 0
		return t.fire(ctx, EvAlt, "")
	}
	return t.takeIncome(ctx, EvAskJHT)
}

// answerIncomeList takes a bracket pressed or an amount typed.
func (t *turn) answerIncomeList(ctx context.Context) error { return t.takeIncome(ctx, EvNext) }

// takeIncome takes a bracket button ("il:3") or a typed amount, then fires
// event (JHT is asked next), or goes back to the review when editing and
// JHT is answered already.
func (t *turn) takeIncome(ctx context.Context, event string) error {
	var b iuran.Bracket
	switch t.ev.Kind {
	case KindChoice:
		_, data, _ := strings.Cut(t.ev.Choice, ":")
		i, err := strconv.Atoi(data)
		var ok bool
		if b, ok = t.tariffs.Bracket(i); err != nil || !ok {
			return t.askNote(ctx, "choice.stale", nil)
		}
	case KindText:
		amount, err := iuran.ParseAmount(t.text())
		if err != nil {
			return t.reject(ctx, "income", err)
		}
		b = t.tariffs.ForIncome(amount)
	default:
		return t.askNote(ctx, "input.need_text", nil)
	}
	idx := b.Index
	t.s.Data.Bracket = &idx
	note := t.T("income.ok", map[string]any{"Range": t.bracketRange(b)})
	return t.fire(ctx, event, note)
}

// bracketShort labels an income bracket on a button: "1,1–1,3 jt".
func (t *turn) bracketShort(b iuran.Bracket) string {
	all := t.tariffs.Brackets()
	switch {
	case b.Index == 0:
		return t.T("income.short_below", map[string]any{"To": t.juta(b.IncomeMax + 1000)})
	case b.Index == len(all)-1:
		return t.T("income.short_above", map[string]any{"From": t.juta(b.IncomeMin)})
	default:
		return t.T("income.short_range", map[string]any{"From": t.juta(b.IncomeMin), "To": t.juta(b.IncomeMax + 1000)})
	}
}

// bracketRange writes an income bracket in a sentence: "Rp1,1–1,3 juta".
func (t *turn) bracketRange(b iuran.Bracket) string {
	all := t.tariffs.Brackets()
	switch {
	case b.Index == 0:
		return t.T("income.below", map[string]any{"To": t.juta(b.IncomeMax + 1000)})
	case b.Index == len(all)-1:
		return t.T("income.above", map[string]any{"From": t.juta(b.IncomeMin)})
	default:
		return t.T("income.range", map[string]any{"From": t.juta(b.IncomeMin), "To": t.juta(b.IncomeMax + 1000)})
	}
}

// juta writes an amount in millions: 1.100.000 → "1,1" (Indonesian) or "1.1".
func (t *turn) juta(n int64) string {
	s := strconv.FormatFloat(float64(n)/1e6, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if t.s.Lang == "id" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func rupiahOf(n int64) string { return locales.Rupiah(n) }

func (t *turn) answerPrograms(ctx context.Context) error {
	var jht bool
	switch {
	case t.ev.Choice == "pr:base":
	case t.ev.Choice == "pr:jht":
		jht = true
	case t.ev.Kind == KindText:
		in := strings.ToLower(t.text())
		switch {
		case strings.Contains(in, "jht") || strings.Contains(in, "hari tua") || strings.Contains(in, "old"):
			jht = true
		case strings.Contains(in, "jkk") || strings.Contains(in, "jkm") || strings.Contains(in, "tanpa") || strings.Contains(in, "without"):
		default:
			return t.askNote(ctx, "programs.err.unknown", nil)
		}
	default:
		return t.askNote(ctx, "choice.stale", nil)
	}
	t.s.Data.JHT = &jht
	return t.fire(ctx, t.forward(), "")
}

var reviewEdits = []struct{ data, event, label string }{
	{"rv:nik", EvEditNIK, "review.edit_nik"},
	{"rv:name", EvEditName, "review.edit_name"},
	{"rv:birth", EvEditBirth, "review.edit_birth"},
	{"rv:phone", EvEditPhone, "review.edit_phone"},
	{"rv:address", EvEditAddress, "review.edit_address"},
	{"rv:job", EvEditOccupation, "review.edit_occupation"},
	{"rv:income", EvEditIncome, "review.edit_income"},
	{"rv:prog", EvEditPrograms, "review.edit_programs"},
}

func (t *turn) answerReview(ctx context.Context) error {
	if t.ev.Kind == KindChoice {
		switch t.ev.Choice {
		case "rv:ok":
			return t.confirm(ctx)
		case "rv:edit":
			return t.fire(ctx, EvOpenEdit, "")
		}
		// The review's own buttons of before "Ubah data" still work.
		if ok, err := t.openEdit(ctx, strings.TrimPrefix(t.ev.Choice, "rv:")); ok || err != nil {
			return err
		}
		return t.askNote(ctx, "choice.stale", nil)
	}
	if yes, ok := t.yesNoAnswer("rv"); ok && yes {
		return t.confirm(ctx)
	}
	return t.askNote(ctx, "review.unclear", nil)
}

// answerEdit takes the answer to change, from the review's list.
func (t *turn) answerEdit(ctx context.Context) error {
	if t.ev.Choice == "ed:back" {
		return t.fire(ctx, EvBack, "")
	}
	if t.ev.Kind == KindChoice {
		if ok, err := t.openEdit(ctx, strings.TrimPrefix(t.ev.Choice, "ed:")); ok || err != nil {
			return err
		}
	}
	return t.askNote(ctx, "edit.unclear", nil)
}

// openEdit goes to the question of one answer (reviewEdits' name, "nik"),
// to come back to the review once it is answered.
func (t *turn) openEdit(ctx context.Context, name string) (bool, error) {
	for _, e := range reviewEdits {
		if e.data != "rv:"+name {
			continue
		}
		next, err := t.machines.transition(ctx, t.s.State, e.event)
		if err != nil {
			return true, err
		}
		t.enter(next)
		t.s.Data.Editing = true
		return true, t.ask(ctx, "")
	}
	return false, nil
}

// confirm stores the registration.
func (t *turn) confirm(ctx context.Context) error {
	reg := t.s.Data.registration(t.Engine)
	reg.Channel, reg.ChatID = t.s.Channel, t.s.ChatID
	if missing := t.missingAnswer(reg); missing != "" {
		return t.askNote(ctx, "review.incomplete", map[string]any{"Field": t.T(missing, nil)})
	}
	if t.s.Data.Agent {
		return t.confirmResident(ctx, reg)
	}
	ref, err := t.tx.CreateRegistration(ctx, reg)
	if errors.Is(err, ErrDuplicate) {
		return t.askNote(ctx, "nik.taken", map[string]any{"NIK": nik.Mask(reg.NIK)})
	}
	if err != nil {
		return err
	}
	next, err := t.machines.transition(ctx, t.s.State, EvConfirm)
	if err != nil {
		return err
	}
	t.enter(next)
	t.s.Data = Answers{}
	done := t.T("done.registered", map[string]any{"Ref": ref, "Name": displayName(reg.Name)})
	if t.payer != nil {
		// Straight on to paying for it, in the same message: how many months.
		t.s.Data.PayRef = ref
		return t.fire(ctx, EvPayOne, done)
	}
	return t.ask(ctx, done)
}

// missingAnswer is the field label key of the first answer a registration
// still lacks, or "".
func (t *turn) missingAnswer(reg Registration) string {
	d := &t.s.Data
	switch {
	case reg.NIK == "":
		return "review.edit_nik"
	case reg.Name == "":
		return "review.edit_name"
	case reg.BirthDate.IsZero():
		return "review.edit_birth"
	case reg.Phone == "" && !d.NoPhone:
		return "review.edit_phone"
	case reg.Village == "":
		return "review.edit_address"
	case reg.Occupation == "":
		return "review.edit_occupation"
	case d.Bracket == nil:
		return "review.edit_income"
	case d.JHT == nil:
		return "review.edit_programs"
	}
	return ""
}

// confirmResident stores a registration an agent made, and goes back to the agent's menu.
func (t *turn) confirmResident(ctx context.Context, reg Registration) error {
	if !t.s.Data.NoPhone && reg.Phone == "" || t.s.Data.AttestID == 0 {
		return t.askNote(ctx, "review.incomplete", map[string]any{"Field": t.T("review.edit_phone", nil)})
	}
	reg.Channel, reg.ChatID = "", ""
	ref, err := t.tx.CreateResident(ctx, reg, t.s.Data.AttestID)
	t.changed()
	switch {
	case errors.Is(err, ErrDuplicate):
		return t.askNote(ctx, "nik.taken", map[string]any{"NIK": nik.Mask(reg.NIK)})
	case errors.Is(err, ErrNotAgent):
		_, _, err = t.approvedAgent(ctx)
		return err
	case err != nil:
		return err
	}
	t.s.Data = Answers{}
	t.mentions(about.Registration(ref))
	total := rupiahOf(t.monthly(reg.Bracket, reg.JHT, reg.Occupation).Totals.Total)
	return t.fire(ctx, EvHome, t.T("agent.registered", map[string]any{"Ref": ref, "Name": displayName(reg.Name), "Total": total}))
}

func displayName(n string) string { return nama.Display(n) }

// typedChoice finds the current question's button whose label was typed.
func (t *turn) typedChoice(ctx context.Context) (string, bool) {
	if t.prefix() == "" || t.s.State == StWelcome {
		return "", false
	}
	r, err := t.prompt(ctx)
	if err != nil {
		return "", false
	}
	in := labelKey(t.ev.Text)
	if in == "" {
		return "", false
	}
	for _, c := range r.Choices {
		if labelKey(c.Label) == in {
			return c.Data, true
		}
	}
	return "", false
}

// labelKey reduces a label to its lower-case letters and digits, so "✅ Kirim"
// and "kirim" compare equal.
func labelKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quote prepares typed text to be quoted back to the worker: at most 40
// characters, and any number of 6 or more digits (a NIK or phone number typed
// in the wrong place, spaced or not) hidden, so it never lands in the outbox
// in clear.
func quote(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		r = append(r[:40], '…')
	}
	for i := 0; i < len(r); i++ {
		if !unicode.IsDigit(r[i]) {
			continue
		}
		// A number: digits, possibly split by single spaces, dots or dashes.
		j, digits := i, 0
		for j < len(r) {
			if unicode.IsDigit(r[j]) {
				digits++
				j++
				continue
			}
			if (r[j] == ' ' || r[j] == '.' || r[j] == '-') && j+1 < len(r) && unicode.IsDigit(r[j+1]) {
				j++
				continue
			}
			break
		}
		if digits >= 6 {
			for k := i; k < j; k++ {
				if unicode.IsDigit(r[k]) {
					r[k] = '•'
				}
			}
		}
		i = j
	}
	return string(r)
}

// fieldError is what the domain parsers return for a typed answer that
// breaks a rule: a code and its details.
type fieldError interface {
	error
	Fields() (code string, got int, char string)
}

var (
	_ fieldError = (*nik.Error)(nil)
	_ fieldError = (*nama.Error)(nil)
	_ fieldError = (*tanggal.Error)(nil)
	_ fieldError = (*telepon.Error)(nil)
	_ fieldError = (*iuran.AmountError)(nil)
)

// reject answers a rule broken by a typed answer with the message for that
// rule ("<field>.err.<code>") and the question again.
func (t *turn) reject(ctx context.Context, field string, err error) error {
	var fe fieldError
	if !errors.As(err, &fe) {
		return fmt.Errorf("parse %s: %w", field, err)
	}
	code, got, char := fe.Fields()
	return t.askNote(ctx, field+".err."+code, map[string]any{"Got": got, "Char": char})
}
