package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditAs records an action of an actor outside any chat (the CLI:
// "cli:<user>").
func (d *DB) AuditAs(ctx context.Context, actor, action, subject, detail string) error {
	return audit(ctx, d.db, d.now(), actor, action, subject, detail)
}

// ExportOptions choose what an export holds.
type ExportOptions struct {
	Since time.Time // only what was created at or after it; zero for everything
	// WithPersonal opens the NIK and the phone number (registrations and
	// agents); without it they are not even read.
	WithPersonal bool
	// Start is called with the number of rows the export will give, before
	// the first row (to audit the export before any data leaves). An error
	// stops the export.
	Start func(total int) error
}

// ExportRegistration is one registration as `lindungi export` writes it. A
// deleted registration keeps only what is pseudonymous (reference, status,
// dates, province and regency, income base, programmes): the rest is empty.
type ExportRegistration struct {
	Ref             string
	KPJ             string
	Name            string
	NIK             string // opened with WithPersonal
	Phone           string // E.164, opened with WithPersonal
	BirthDate       time.Time
	Female          sql.NullBool
	Province        string
	Regency         string
	District        string
	Village         string
	Occupation      string
	OccupationOther string
	IncomeBase      int64
	JHT             bool
	MonthlyIuran    int64
	Status          string
	CoveredFrom     time.Time // a calendar date
	CoveredTo       time.Time
	CreatedAt       time.Time
	AgentID         sql.NullInt64
	Sponsored       bool
	Channel         string // "" for an agent's resident who has not linked a chat
}

// exportRegistrationRow is ExportRegistration as scanned.
type exportRegistrationRow struct {
	registrationRow
	Sponsored bool `db:"sponsored"`
}

func (r exportRegistrationRow) value() ExportRegistration {
	return ExportRegistration{Ref: r.Ref, KPJ: r.KPJ, Name: r.Name, BirthDate: r.BirthDate.Time, Female: r.Female,
		Province: r.Province, Regency: r.Regency, District: r.District, Village: r.Village, Occupation: r.Occupation,
		OccupationOther: r.OccupationOther, IncomeBase: r.Income, JHT: r.JHT, MonthlyIuran: r.MonthlyIuran, Status: r.Status,
		CoveredFrom: r.CoveredFrom.Time, CoveredTo: r.CoveredTo.Time, CreatedAt: r.CreatedAt, AgentID: r.AgentID,
		Sponsored: r.Sponsored, Channel: r.Channel}
}

// ExportRegistrations streams the registrations, oldest first, to each.
// It returns the number of rows given.
func (d *DB) ExportRegistrations(ctx context.Context, opt ExportOptions, each func(ExportRegistration) error) (int, error) {
	personal := `NULL::bytea AS nik_sealed, NULL::bytea AS phone_sealed`
	if opt.WithPersonal {
		personal = `r.nik_sealed, r.phone_sealed`
	}
	// A deleted registration is pseudonymous whatever its columns still hold.
	q := `SELECT r.ref, ` + live(`r.kpj`, `''`) + ` AS kpj, ` + live(`r.name`, `''`) + ` AS name, ` + personal + `,
			` + live(`r.birth_date`, `NULL`) + ` AS birth_date, ` + live(`r.female`, `NULL`) + ` AS female,
			r.province, r.regency, ` + live(`r.district`, `''`) + ` AS district, ` + live(`r.village`, `''`) + ` AS village,
			` + live(`r.occupation`, `''`) + ` AS occupation, ` + live(`r.occupation_other`, `''`) + ` AS occupation_other,
			r.income_base, r.jht, r.monthly_iuran, r.status, r.covered_from, r.covered_to, r.created_at, r.agent_id,
			` + sqlSponsored + ` AS sponsored, r.channel
		FROM registrations r WHERE r.created_at >= $1 ORDER BY r.id`
	count := `SELECT count(*) FROM registrations r WHERE r.created_at >= $1`
	return d.export(ctx, opt, count, q, []any{opt.Since}, func(rows *sqlx.Rows) error {
		var row exportRegistrationRow
		if err := rows.StructScan(&row); err != nil {
			return err
		}
		r := row.value()
		if opt.WithPersonal {
			var err error
			if r.NIK, r.Phone, err = d.unseal(r.Ref, row.NIKSealed, row.PhoneSealed); err != nil {
				return err
			}
		}
		return each(r)
	})
}

// live is column for a live registration r, else the value instead.
func live(column, instead string) string {
	return `CASE WHEN r.deleted_at IS NULL THEN ` + column + ` ELSE ` + instead + ` END`
}

// ExportPaymentItem is one item of a payment (one registration it pays for)
// with its payment's columns: the items' amounts add up to the payment's
// (CreatePayment refuses anything else), and each item's amount is JKK + JKM
// + JHT − discount over its months.
type ExportPaymentItem struct {
	OrderID         string        `db:"order_id"`
	Provider        string        `db:"provider"`
	Method          string        `db:"method"`
	PayerKind       string        `db:"payer_kind"`
	PayerRef        string        `db:"payer_ref"`
	AgentID         sql.NullInt64 `db:"agent_id"`
	PaymentAmount   int64         `db:"payment_amount"`
	Status          string        `db:"status"`
	Flag            string        `db:"flag"`
	PaidAt          time.Time     `db:"-"`
	AppliedAt       time.Time     `db:"-"` // set once the payment extended coverage: money counted as collected
	CreatedAt       time.Time     `db:"created_at"`
	Item            int           `db:"item"`  // 1, 2, … within the payment
	Items           int           `db:"items"` // how many the payment has
	RegistrationRef string        `db:"registration_ref"`
	Months          int           `db:"months"`
	JKK             int64         `db:"jkk"`
	JKM             int64         `db:"jkm"`
	JHT             int64         `db:"jht"`
	Discount        int64         `db:"discount"`
	Amount          int64         `db:"amount"`
}

// exportPaymentItemRow is ExportPaymentItem as scanned.
type exportPaymentItemRow struct {
	ExportPaymentItem
	PaidAt    sql.NullTime `db:"paid_at"`
	AppliedAt sql.NullTime `db:"applied_at"`
}

func (r exportPaymentItemRow) value() ExportPaymentItem {
	v := r.ExportPaymentItem
	v.PaidAt = r.PaidAt.Time
	v.AppliedAt = r.AppliedAt.Time
	return v
}

// ExportPayments streams the payment items, by payment (oldest first) and
// registration, to each. It returns the number of rows given.
func (d *DB) ExportPayments(ctx context.Context, opt ExportOptions, each func(ExportPaymentItem) error) (int, error) {
	q := `SELECT p.order_id, p.provider, p.method, p.payer_kind, p.payer_ref, p.agent_id, p.amount AS payment_amount, p.status, p.flag,
			p.paid_at, p.applied_at, p.created_at,
			row_number() OVER (PARTITION BY p.id ORDER BY i.registration_id) AS item, count(*) OVER (PARTITION BY p.id) AS items,
			r.ref AS registration_ref, i.months, i.jkk, i.jkm, i.jht, i.discount, i.amount
		FROM payments p JOIN payment_items i ON i.payment_id = p.id JOIN registrations r ON r.id = i.registration_id
		WHERE p.created_at >= $1 ORDER BY p.id, i.registration_id`
	count := `SELECT count(*) FROM payments p JOIN payment_items i ON i.payment_id = p.id WHERE p.created_at >= $1`
	return d.export(ctx, opt, count, q, []any{opt.Since}, func(rows *sqlx.Rows) error {
		var row exportPaymentItemRow
		if err := rows.StructScan(&row); err != nil {
			return err
		}
		return each(row.value())
	})
}

// ExportAgent is one agent as `lindungi export` writes it, with what they did.
type ExportAgent struct {
	ID          int64     `db:"id"`
	Role        string    `db:"role"`
	Name        string    `db:"name"`
	NIKSealed   []byte    `db:"nik_sealed"`
	PhoneSealed []byte    `db:"phone_sealed"`
	NIK         string    `db:"-"` // opened with WithPersonal
	Phone       string    `db:"-"`
	Village     string    `db:"village"`
	RT          string    `db:"rt"`
	RW          string    `db:"rw"`
	Institution string    `db:"institution"`
	Status      string    `db:"status"`
	DecidedAt   time.Time `db:"-"`
	DecidedBy   string    `db:"decided_by"`
	CreatedAt   time.Time `db:"created_at"`
	// Registered counts the registrations the agent made, deleted ones too
	// (as the registrations export lists them); Active those live and
	// covered today; Collected sums the agent's payments that settled and
	// extended coverage.
	Registered int   `db:"registered"`
	Active     int   `db:"active"`
	Collected  int64 `db:"collected"`
}

// exportAgentRow is ExportAgent as scanned.
type exportAgentRow struct {
	ExportAgent
	DecidedAt sql.NullTime `db:"decided_at"`
}

func (r exportAgentRow) value() ExportAgent {
	v := r.ExportAgent
	v.DecidedAt = r.DecidedAt.Time
	return v
}

// ExportAgents streams the agents, by number, to each. It returns the
// number of rows given.
func (d *DB) ExportAgents(ctx context.Context, opt ExportOptions, each func(ExportAgent) error) (int, error) {
	personal := `NULL::bytea AS nik_sealed, NULL::bytea AS phone_sealed`
	if opt.WithPersonal {
		personal = `a.nik_sealed, a.phone_sealed`
	}
	q := `SELECT a.id, a.role, a.name, ` + personal + `, a.village, a.rt, a.rw, a.institution, a.status, a.decided_at, a.decided_by,
			a.created_at,
			(SELECT count(*) FROM registrations r WHERE r.agent_id = a.id) AS registered,
			(SELECT count(*) FROM registrations r WHERE r.agent_id = a.id AND r.deleted_at IS NULL AND r.covered_to >= $2::date) AS active,
			(SELECT coalesce(sum(p.amount), 0) FROM payments p
				WHERE p.agent_id = a.id AND p.status = 'paid' AND p.applied_at IS NOT NULL) AS collected
		FROM agents a WHERE a.created_at >= $1 ORDER BY a.id`
	count := `SELECT count(*) FROM agents a WHERE a.created_at >= $1`
	today := d.today(d.now()).Format(time.DateOnly)
	return d.export(ctx, opt, count, q, []any{opt.Since, today}, func(rows *sqlx.Rows) error {
		var row exportAgentRow
		if err := rows.StructScan(&row); err != nil {
			return err
		}
		a := row.value()
		if opt.WithPersonal {
			var err error
			if a.NIK, a.Phone, err = d.unseal(agentSubject(a.ID), a.NIKSealed, a.PhoneSealed); err != nil {
				return err
			}
		}
		a.NIKSealed, a.PhoneSealed = nil, nil
		return each(a)
	})
}

// export counts and then streams the rows of q in one read-only snapshot,
// so the count given to opt.Start is exactly the number of rows that follow.
// count takes q's first argument only.
func (d *DB) export(ctx context.Context, opt ExportOptions, count, q string, args []any, scan func(*sqlx.Rows) error) (int, error) {
	tx, err := d.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	// A large export written to a slow pipe may take longer than the usual
	// statement timeout.
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = '30min'`); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	var total int
	if err := tx.GetContext(ctx, &total, count, args[0]); err != nil {
		return 0, fmt.Errorf("export: count: %w", err)
	}
	if opt.Start != nil {
		if err := opt.Start(total); err != nil {
			return 0, err
		}
	}
	rows, err := tx.QueryxContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := scan(rows); err != nil {
			return n, fmt.Errorf("export: row %d: %w", n+1, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}
