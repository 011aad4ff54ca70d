package sponsor

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/roster"
)

// ChunkRows is how many checked rows go to the database in one transaction
// unless Options say otherwise: an interrupted import keeps what it
// committed, and a re-run finishes the rest.
const ChunkRows = 20_000

// writers is how many chunks are written at once.
const writers = 2

// MemoryLimit is the heap an import aims to stay under, whatever the file's
// size (a soft limit: the collector works harder near it; the command sets
// it unless GOMEMLIMIT does). Up to four chunks are in memory at once (two
// being written, one waiting, one being filled) beside the region data.
const MemoryLimit = 200 << 20

// Source is a list's rows, one at a time (roster.Reader); io.EOF after the
// last.
type Source interface {
	Next() (roster.Row, error)
}

// Options are what an import is told.
type Options struct {
	Batch   BatchSpec         // the batch to import into; its FileName names the file in errors
	DryRun  bool              // check every row and report, store nothing (no batch)
	Check   *roster.Validator // the chat's rules for a row
	Tariffs *iuran.Table      // the contribution brackets
	Catalog *locales.Catalog
	Lang    string // of the report, the progress and the file's errors: a language of Catalog
	// Report receives the CSV of the rows not imported, with the reason;
	// nil: none.
	Report io.Writer
	// Progress receives the batch opened, rows/s and the time left while
	// the file is read, and the time it took; nil: nowhere.
	Progress io.Writer
	Terminal bool  // Progress is a terminal: a bar redrawn in place, not a line every few seconds
	Size     int64 // the file's size in bytes, for the progress (0: unknown)
	// Offset is how many bytes of the file were read so far, for the
	// progress (nil: unknown).
	Offset    func() int64
	ChunkRows int // rows stored per transaction; 0: ChunkRows
}

// Summary is what an import did.
type Summary struct {
	Batch    Batch // as opened, with the counts of earlier runs; zero on a dry run
	Created  bool  // the batch was opened by this run
	Read     int   // data rows read
	Valid    int   // rows that passed every check, their NIK first in the file
	Imported int   // new registrations
	Before   int   // this batch's already: imported by an earlier run
	Attached int   // registered already, unpaid: this batch pays for them now
	Active   int   // registered already and protected today: left alone
	Other    int   // another sponsor pays for them: left alone
}

// Rejected is how many rows failed a check or repeat a NIK of the file.
func (s Summary) Rejected() int { return s.Read - s.Valid }

// NotImported is how many rows the report lists as not imported: those
// rejected and those registered already and left alone.
func (s Summary) NotImported() int { return s.Rejected() + s.Active + s.Other }

// ReportError is a failure to write the report of the rows not imported.
type ReportError struct{ Err error }

func (e *ReportError) Error() string { return "report: " + e.Err.Error() }

// Unwrap returns the write's error.
func (e *ReportError) Unwrap() error { return e.Err }

// report lists the rows of a file that were not imported and why.
type report struct {
	mu sync.Mutex // the checking loop and the writers both add
	w  *csv.Writer
}

func (r *report) add(line int, column, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w != nil {
		r.w.Write([]string{strconv.Itoa(line), column, reason}) //nolint:errcheck // checked at Flush
	}
}

// Import reads a sponsor's list from src and stores its valid rows in the
// batch o.Batch names, opened first (nothing is stored on a dry run). Every
// row is checked by o.Check; a NIK seen on an earlier line is refused; the
// valid rows are stored by two writers at once, ChunkRows a transaction,
// while the next ones are checked, and a NIK registered already is decided
// by Decide. The rows not imported go to o.Report with the reason, and the
// progress to o.Progress. A cancelled ctx stops the reading; the chunks
// handed over are written first. An error of the file is rendered in
// o.Lang after the file's name.
func Import(ctx context.Context, st Store, src Source, o Options) (Summary, error) {
	T := texts(o.Catalog, o.Lang)
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	chunkRows := o.ChunkRows
	if chunkRows <= 0 {
		chunkRows = ChunkRows
	}
	rep := &report{}
	if o.Report != nil {
		rep.w = csv.NewWriter(o.Report)
		rep.w.Write([]string{T("import.report_line"), T("import.report_column"), T("import.report_reason")}) //nolint:errcheck // checked at Flush
		defer rep.w.Flush()
	}

	var batch Batch
	created := false
	if !o.DryRun {
		b, isNew, err := st.OpenBatch(ctx, o.Batch)
		if err != nil {
			return Summary{}, err
		}
		batch, created = b, isNew
		if !created {
			fmt.Fprintln(o.Progress, T("import.batch_again", "ID", b.ID, "Sponsor", b.Sponsor, "Imported", locales.Number(o.Lang, int64(b.Imported)),
				"Attached", locales.Number(o.Lang, int64(b.Attached))))
		} else {
			fmt.Fprintln(o.Progress, T("import.batch_opened", "ID", b.ID, "Sponsor", b.Sponsor))
		}
	}

	nikColumn := roster.ColNIK.Text(o.Catalog, o.Lang) // the report's column for a row's NIK
	var read, valid int
	var stored Summary    // what the writers did: Imported, Before, Attached, Active, Other
	var counts sync.Mutex // the writers add to stored
	write := func(c []Row) error {
		res, err := StoreRows(context.WithoutCancel(ctx), st, batch, c)
		if err != nil {
			return err
		}
		counts.Lock()
		defer counts.Unlock()
		stored.Imported += res.Imported
		stored.Attached += res.Attached
		for _, n := range res.Notes {
			switch n.Outcome {
			case Already:
				stored.Before++
			case Active:
				stored.Active++
				rep.add(n.Line, nikColumn, T("import.active"))
			case Other:
				stored.Other++
				rep.add(n.Line, nikColumn, T("import.other_sponsor"))
			case Attach:
				rep.add(n.Line, nikColumn, T("import.attached"))
			}
		}
		return nil
	}
	prog := newProgress(o.Progress, o.Terminal, o.Size, o.Lang, T)
	// NIK (as a number) → its first line, for duplicates within the file: 12
	// bytes a row, where a string key and an int took 32.
	seen := make(map[uint64]int32, 1<<16)
	var chunk []Row
	var writeErr atomic.Pointer[error] // the first chunk that failed stops the reading too
	// The database writes chunks (two at once: different NIKs, so they never
	// wait for each other) while the next ones are checked.
	chunks := make(chan []Row, 1)
	written := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for c := range chunks {
					if writeErr.Load() != nil {
						continue
					}
					if err := write(c); err != nil {
						writeErr.CompareAndSwap(nil, &err)
					}
				}
			})
		}
		wg.Wait()
		var failed error
		if p := writeErr.Load(); p != nil {
			failed = *p
		}
		written <- failed
	}()
	flush := func() error {
		if len(chunk) == 0 || o.DryRun {
			chunk = chunk[:0]
			return nil
		}
		if p := writeErr.Load(); p != nil {
			return *p
		}
		chunks <- chunk
		chunk = make([]Row, 0, chunkRows)
		return nil
	}
	finished := false
	finish := func() error {
		finished = true
		close(chunks)
		return <-written
	}
	// Whatever stops the loop, the chunks handed over are written (or fail) first.
	defer func() {
		if !finished {
			finish() //nolint:errcheck // the loop's own error is returned
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return Summary{}, fmt.Errorf("%s: %w", T("import.stopped", "Read", locales.Number(o.Lang, int64(read))), err)
		}
		raw, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Summary{}, fmt.Errorf("%s: %w", o.Batch.FileName, roster.Explain(o.Catalog, o.Lang, err))
		}
		read++
		w, problem := o.Check.Check(raw)
		if problem != nil {
			rep.add(problem.Line, problem.ColumnText(o.Catalog, o.Lang), problem.Msg.Text(o.Catalog, o.Lang))
		} else if k := roster.Key(w); seen[k] != 0 {
			rep.add(w.Line, nikColumn, T("import.duplicate", "Line", seen[k]))
		} else {
			seen[k] = int32(min(w.Line, math.MaxInt32))
			valid++
			chunk = append(chunk, NewRow(w, o.Tariffs, o.Batch.JHT))
			if len(chunk) == chunkRows {
				if err := flush(); err != nil {
					return Summary{}, err
				}
			}
		}
		var offset int64
		if o.Offset != nil {
			offset = o.Offset()
		}
		prog.update(read, offset)
	}
	if err := flush(); err != nil {
		return Summary{}, err
	}
	if err := finish(); err != nil {
		return Summary{}, err
	}
	prog.done(read)
	if rep.w != nil {
		rep.w.Flush()
		if err := rep.w.Error(); err != nil {
			return Summary{}, &ReportError{Err: err}
		}
	}
	sum := stored // the writers are done
	sum.Batch, sum.Created, sum.Read, sum.Valid = batch, created, read, valid
	if o.DryRun {
		return sum, nil
	}
	if err := st.FinishBatch(ctx, batch.ID, read, sum.Rejected()); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// texts renders the catalogue's texts in lang, each with its values given
// as name, value pairs.
func texts(cat *locales.Catalog, lang string) func(key string, kv ...any) string {
	return func(key string, kv ...any) string {
		data := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[kv[i].(string)] = kv[i+1]
		}
		return cat.T(lang, key, data)
	}
}
