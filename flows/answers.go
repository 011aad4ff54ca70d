package flows

import "time"

// Answers are what a registration draft has collected so far. The store keeps
// them encrypted: they hold the NIK and the phone number in clear.
type Answers struct {
	ConsentID int64  `json:"consent_id,omitempty"`
	NIK       string `json:"nik,omitempty"`
	BirthDate string `json:"birth,omitempty"` // 2006-01-02
	Female    bool   `json:"female,omitempty"`
	Name      string `json:"name,omitempty"`
	Phone     string `json:"phone,omitempty"` // E.164
	// SenderPhone is the number the worker writes from, when the channel
	// says (E.164): the phone question confirms it instead of asking.
	SenderPhone     string `json:"sender_phone,omitempty"`
	PhoneOther      bool   `json:"phone_other,omitempty"` // "Nomor lain": typed after all
	Province        string `json:"province,omitempty"`
	Regency         string `json:"regency,omitempty"`
	District        string `json:"district,omitempty"`
	Village         string `json:"village,omitempty"`
	Occupation      string `json:"occupation,omitempty"`
	OccupationOther string `json:"occupation_other,omitempty"`
	Bracket         *int   `json:"bracket,omitempty"`
	JHT             *bool  `json:"jht,omitempty"`

	// The region being picked; copied to Province…Village only when the
	// village is chosen, so a half-changed address never reaches the review.
	SelProvince string `json:"sel_province,omitempty"`
	SelRegency  string `json:"sel_regency,omitempty"`
	SelDistrict string `json:"sel_district,omitempty"`

	PayRef    string `json:"pay_ref,omitempty"`    // the registration being paid for
	PayMonths int    `json:"pay_months,omitempty"` // how many months
	PaySub    bool   `json:"pay_sub,omitempty"`    // langganan: the next invoices come by themselves
	Saving    bool   `json:"saving,omitempty"`     // tabungan iuran: the registration picked is topped up
	SaveTopUp int64  `json:"save_topup,omitempty"` // the amount of the top-up, in Rupiah

	// An agent registering a resident: the questions are phrased for a third
	// person, the phone is optional, and the agent's attestation replaces the consent.
	// The registration funnel (the dashboard's drop-off view): the Monday
	// of the week this conversation began registering and its furthest
	// step so far. Kept when the answers are reset, until registered.
	FunnelWeek string `json:"funnel_week,omitempty"`
	FunnelStep string `json:"funnel_step,omitempty"`

	Agent    bool  `json:"agent,omitempty"`
	AttestID int64 `json:"attest_id,omitempty"`
	NoPhone  bool  `json:"no_phone,omitempty"` // the resident has no phone (agents only)

	// An agent application (with NIK, Name, Phone, Village above).
	Role        string `json:"role,omitempty"`
	RT          string `json:"rt,omitempty"`
	RW          string `json:"rw,omitempty"`
	Institution string `json:"institution,omitempty"`

	// The agent's work: the residents picked to pay for, the search typed in
	// Warga saya, and the resident opened.
	Picks  []string `json:"picks,omitempty"`
	Query  string   `json:"query,omitempty"`
	Focus  string   `json:"focus,omitempty"`
	Linked string   `json:"linked,omitempty"` // the registration just linked to this chat
	// ClaimCode is the code a claim link brought: checked with the NIK and
	// name asked next, never alone.
	ClaimCode string `json:"claim_code,omitempty"`

	// A broadcast being composed (admins): who, which filter is being
	// picked, the message and its button.
	Seg      *Segment `json:"seg,omitempty"`
	Dim      string   `json:"dim,omitempty"`
	BcText   string   `json:"bc_text,omitempty"`
	BcButton string   `json:"bc_button,omitempty"`

	Editing bool     `json:"editing,omitempty"` // changing one answer from the review
	Page    int      `json:"page,omitempty"`    // page of the current list of buttons
	Matches []string `json:"matches,omitempty"` // codes offered after a typed search
}

func (a Answers) birth() time.Time {
	d, err := time.Parse(time.DateOnly, a.BirthDate)
	if err != nil {
		return time.Time{}
	}
	return d
}

// registration turns the answers into the record to store.
func (a Answers) registration(e *Engine) Registration {
	r := Registration{
		NIK: a.NIK, Name: a.Name, BirthDate: a.birth(), Female: a.Female, Phone: a.Phone,
		Province: a.Province, Regency: a.Regency, District: a.District, Village: a.Village,
		Occupation: a.Occupation, OccupationOther: a.OccupationOther, ConsentID: a.ConsentID,
	}
	if a.Bracket != nil {
		if b, ok := e.tariffs.Bracket(*a.Bracket); ok {
			r.Bracket = b.Index
			r.Income = b.Base
			r.JHT = a.JHT != nil && *a.JHT
			r.MonthlyIuran = b.Monthly(r.JHT)
		}
	}
	return r
}
