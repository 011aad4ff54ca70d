// Package sponsor holds a sponsor's batches of workers and `lindungi
// import`, the use case that fills one from the sponsor's list: the batch
// opened (the same file again is the same batch), every row checked with the
// chat's rules (roster.Validator) and against the rows before it (a NIK twice
// in the file), the valid rows stored in chunks of one transaction each by
// two writers while the next rows are checked, a report of the rows not
// imported and why, the progress, and the counts of the summary.
//
// The package decides what the store only records: each worker's tariff
// bracket and month's contribution, the occupation of a row that gives none,
// and what becomes of a NIK registered already (Decide). It does no I/O of
// its own: the store is the Store interface it declares (store.DB), the file
// a Source (roster.Reader), the report and the progress writers.
package sponsor

import (
	"context"
	"time"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/roster"
)

// BatchSpec is a sponsor's list about to be imported.
type BatchSpec struct {
	Sponsor   string
	FileName  string
	FileSHA   string // hex SHA-256 of the file: the same file again is the same batch
	JHT       bool
	Months    int       // 1, 3, 6 or 12
	Start     time.Time // the agreement's start; zero: the day after payment
	CreatedBy string    // "cli:<user>"
	// PublicFunds: JKK and JKM are paid from APBN or APBD, so the PP
	// 50/2025 discount does not apply (full price).
	PublicFunds bool
}

// Batch is an imported (or importing) sponsor's list.
type Batch struct {
	ID       int64
	Sponsor  string
	FileName string
	FileSHA  string
	JHT      bool
	Months   int
	Start    time.Time // zero: the day after payment
	// PublicFunds: paid from APBN or APBD, at full price (no discount).
	// A batch imported before the import asked is taken as such.
	PublicFunds bool
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  time.Time // zero until the whole file was read
	RowsRead    int
	Imported    int
	Attached    int
	Rejected    int
	PaymentRef  string
	PaidAt      time.Time
	ClaimToken  string
	// Counted from the registrations when the store reads the batch.
	Workers int   // registrations the batch pays for
	Claimed int   // linked to their own chat
	Active  int   // protected today
	Monthly int64 // the batch's contribution per month
}

// Store keeps the batches and their workers (store.DB).
type Store interface {
	// OpenBatch finds the batch of the spec's sponsor and file, or starts
	// a new one; created says which.
	OpenBatch(ctx context.Context, spec BatchSpec) (b Batch, created bool, err error)
	// ImportRows stores rows of batch b in one transaction: each new NIK
	// becomes a registration of the batch, waiting for the sponsor's
	// payment; for the rows whose NIK is registered already it calls decide,
	// inside the transaction, with what it found (in the order of the
	// lines), and gives the batch the registrations of exactly the lines
	// decide returns. Storing the same rows again inserts nothing twice.
	ImportRows(ctx context.Context, b Batch, rows []Row, decide func([]Existing) []int) (Stored, error)
	// FinishBatch records that the whole file was read.
	FinishBatch(ctx context.Context, id int64, rowsRead, rejected int) error
}

// Row is a checked worker as a batch stores it, its contribution decided:
// Occupation is never "".
type Row struct {
	roster.Worker
	Bracket int   // the tariff bracket's index
	Base    int64 // the income the contribution is computed on
	Monthly int64 // the month's contribution, JHT included when the batch pays it
}

// defaultOccupation is the occupation of a worker whose row gives none: the
// chat's "other".
const defaultOccupation = "lainnya"

// NewRow is a checked worker of a batch paying JHT or not: the tariff
// bracket of the worker's income (the lowest when the list gives none), its
// month's contribution, and "lainnya" when the list names no occupation.
func NewRow(w roster.Worker, tariffs *iuran.Table, jht bool) Row {
	b := tariffs.ForIncome(w.Income)
	if w.Occupation == "" {
		w.Occupation = defaultOccupation
	}
	return Row{Worker: w, Bracket: b.Index, Base: b.Base, Monthly: b.Monthly(jht)}
}

// Existing is what the store found of the registration a valid row's NIK
// has already.
type Existing struct {
	Line       int  // the row's line in the file
	ThisBatch  bool // the batch being imported pays for it (an earlier run imported it)
	OtherBatch bool // another sponsor's batch pays for it
	Protected  bool // its coverage runs today or later (covered_to ≥ today)
	Erased     bool // erased at the worker's request
}

// Outcome is what becomes of a valid row whose NIK is registered already.
type Outcome string

// The outcomes of Decide.
const (
	Already Outcome = "already" // this batch's already (a re-run): left alone
	Active  Outcome = "active"  // protected today: left alone
	Other   Outcome = "other"   // another sponsor pays for it: left alone
	Attach  Outcome = "attach"  // unpaid: this batch pays for it from now on
)

// Decide says what becomes of a row whose NIK is registered already: a
// registration of this batch stays as it is (the file was imported before);
// one protected today, or another sponsor's, is left alone; an unpaid one
// is attached, the batch paying for it from now on. An erased registration
// whose NIK is still known is left alone like one imported before: a list
// never brings back what a worker had erased.
func Decide(e Existing) Outcome {
	switch {
	case e.ThisBatch:
		return Already
	case e.Protected:
		return Active
	case e.OtherBatch:
		return Other
	case e.Erased:
		return Already
	}
	return Attach
}

// Stored is what the store did with one chunk of rows.
type Stored struct {
	Imported int // new registrations
	Attached int // registered already, unpaid: the batch pays for them now
}

// Note is what became of a valid row that was not inserted.
type Note struct {
	Line    int
	Outcome Outcome
}

// Chunk is what storing one chunk of rows did.
type Chunk struct {
	Stored
	Notes []Note // the rows not inserted, by line
}

// StoreRows stores rows of batch b in one transaction of st, each row whose
// NIK is registered already decided by Decide.
func StoreRows(ctx context.Context, st Store, b Batch, rows []Row) (Chunk, error) {
	var notes []Note
	stored, err := st.ImportRows(ctx, b, rows, func(found []Existing) []int {
		notes = make([]Note, 0, len(found))
		var attach []int
		for _, e := range found {
			o := Decide(e)
			notes = append(notes, Note{Line: e.Line, Outcome: o})
			if o == Attach {
				attach = append(attach, e.Line)
			}
		}
		return attach
	})
	if err != nil {
		return Chunk{}, err
	}
	return Chunk{Stored: stored, Notes: notes}, nil
}

// ImportChunk stores checked workers of batch b in one transaction of st,
// as the import stores each of its chunks (NewRow, then StoreRows): for a
// caller that has a few workers in hand rather than a file.
func ImportChunk(ctx context.Context, st Store, b Batch, ws []roster.Worker, tariffs *iuran.Table) (Chunk, error) {
	rows := make([]Row, len(ws))
	for i, w := range ws {
		rows[i] = NewRow(w, tariffs, b.JHT)
	}
	return StoreRows(ctx, st, b, rows)
}
