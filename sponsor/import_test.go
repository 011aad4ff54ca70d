package sponsor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/locales"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/vault"
	"github.com/lindungi/lindungi/wilayah"
)

// wib is the deployment's zone in these tests.
var wib = time.FixedZone("WIB", 7*3600)

var dsn string // the real store's database (TestImportIntoStore)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &dsn)) }

// nik is a valid NIK of Pontianak Kota for a woman born 5 August 1990, by
// serial number.
func nik(serial int) string { return fmt.Sprintf("617105450890%04d", serial) }

// memReg is a registration as memStore keeps it.
type memReg struct {
	batch     int64 // 0: no sponsor
	protected bool
	erased    bool
	row       sponsor.Row // as imported (zero if registered otherwise)
}

// memStore is the import's Store in memory: one lock for a transaction.
type memStore struct {
	mu       sync.Mutex
	batches  []sponsor.Batch // batch i+1
	regs     map[string]memReg
	finished map[int64][2]int // rows read, rejected
	chunks   int              // ImportRows calls
	fail     error            // ImportRows fails with it
}

func newMemStore() *memStore {
	return &memStore{regs: map[string]memReg{}, finished: map[int64][2]int{}}
}

func (m *memStore) register(nik string, r memReg) { m.regs[nik] = r }

func (m *memStore) OpenBatch(_ context.Context, spec sponsor.BatchSpec) (sponsor.Batch, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range m.batches {
		if b.Sponsor == spec.Sponsor && b.FileSHA == spec.FileSHA {
			return b, false, nil
		}
	}
	b := sponsor.Batch{ID: int64(len(m.batches) + 1), Sponsor: spec.Sponsor, FileName: spec.FileName, FileSHA: spec.FileSHA, JHT: spec.JHT,
		Months: spec.Months, Start: spec.Start, CreatedBy: spec.CreatedBy}
	m.batches = append(m.batches, b)
	return b, true, nil
}

func (m *memStore) ImportRows(_ context.Context, b sponsor.Batch, rows []sponsor.Row, decide func([]sponsor.Existing) []int) (sponsor.Stored, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.chunks++
	if m.fail != nil {
		return sponsor.Stored{}, m.fail
	}
	var st sponsor.Stored
	var found []sponsor.Existing
	byLine := map[int]string{}
	for _, r := range rows {
		if reg, ok := m.regs[r.NIK]; ok {
			found = append(found, sponsor.Existing{Line: r.Line, ThisBatch: reg.batch == b.ID, OtherBatch: reg.batch != 0 && reg.batch != b.ID,
				Protected: reg.protected, Erased: reg.erased})
			byLine[r.Line] = r.NIK
			continue
		}
		m.regs[r.NIK] = memReg{batch: b.ID, row: r}
		st.Imported++
	}
	for _, line := range decide(found) {
		if n, ok := byLine[line]; ok {
			reg := m.regs[n]
			reg.batch = b.ID
			m.regs[n] = reg
			st.Attached++
		}
	}
	m.batches[b.ID-1].Imported += st.Imported
	m.batches[b.ID-1].Attached += st.Attached
	return st, nil
}

func (m *memStore) FinishBatch(_ context.Context, id int64, rowsRead, rejected int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.finished[id] = [2]int{rowsRead, rejected}
	return nil
}

var loadRegions = sync.OnceValues(wilayah.Load)

var loadCatalog = sync.OnceValues(locales.Load)

// options are an import's options in English, its report in report.
func options(t *testing.T, report io.Writer, progress io.Writer) sponsor.Options {
	t.Helper()
	regions, err := loadRegions()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return sponsor.Options{
		Batch:    sponsor.BatchSpec{Sponsor: "Pemkot Pontianak", FileName: "pekerja.csv", FileSHA: "sha-1", Months: 12, CreatedBy: "test"},
		Check:    roster.NewValidator(regions, "61", clock.Now().In(wib), 15, 65),
		Tariffs:  tariffs(t),
		Catalog:  cat,
		Lang:     "en",
		Report:   report,
		Progress: progress,
	}
}

// list is a sponsor's CSV list of the given NIKs (a 15-digit one is refused).
func list(t *testing.T, niks ...string) *roster.Reader {
	t.Helper()
	var b strings.Builder
	b.WriteString("NIK,Nama,Desa,Kecamatan,Kabupaten,Pekerjaan,Penghasilan\n")
	for _, n := range niks {
		b.WriteString(n + ",Sari Dewi,Darat Sekip,Pontianak Kota,Kota Pontianak,,2500000\n")
	}
	rd, err := roster.Open(strings.NewReader(b.String()), "pekerja.csv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	return rd
}

func TestImport(t *testing.T) {
	const header = "line,column,reason\n"
	tests := []struct {
		name     string
		dryRun   bool
		setup    func(m *memStore) // before the import
		niks     []string          // the list, from line 2
		want     sponsor.Summary   // Batch and Created aside
		created  bool
		report   string // after the header
		progress string // the first line
	}{
		{
			name: "a new list", niks: []string{nik(1), nik(2), nik(1)[:15], nik(1)},
			want:    sponsor.Summary{Read: 4, Valid: 2, Imported: 2},
			created: true,
			report: "4,NIK,A NIK has 16 digits; this one has 15.\n" +
				"5,NIK,Same NIK as line 2: only the first row is imported\n",
			progress: "batch 1 for Pemkot Pontianak",
		},
		{
			name: "a dry run", dryRun: true, niks: []string{nik(1), nik(1)[:15]},
			want:     sponsor.Summary{Read: 2, Valid: 1},
			report:   "3,NIK,A NIK has 16 digits; this one has 15.\n",
			progress: "1 rows read",
		},
		{
			name: "the same list again",
			setup: func(m *memStore) {
				b, _, _ := m.OpenBatch(context.Background(), sponsor.BatchSpec{Sponsor: "Pemkot Pontianak", FileSHA: "sha-1"})
				m.ImportRows(context.Background(), b, []sponsor.Row{{Worker: roster.Worker{Line: 2, NIK: nik(1)}}}, //nolint:errcheck // memory
					func([]sponsor.Existing) []int { return nil })
			},
			niks:     []string{nik(1), nik(2)},
			want:     sponsor.Summary{Read: 2, Valid: 2, Imported: 1, Before: 1},
			progress: "batch 1: this file was imported for Pemkot Pontianak before (1 imported, 0 attached); rows already in are not added again",
		},
		{
			name: "registered already",
			setup: func(m *memStore) {
				m.register(nik(1), memReg{})
				m.register(nik(2), memReg{protected: true})
				m.register(nik(3), memReg{batch: 42})
			},
			niks:    []string{nik(1), nik(2), nik(3), nik(4)},
			want:    sponsor.Summary{Read: 4, Valid: 4, Imported: 1, Attached: 1, Active: 1, Other: 1},
			created: true,
			report: "2,NIK,NIK already registered but not paid: its contribution is now covered by this sponsor\n" +
				"3,NIK,NIK already registered and its contribution paid: not changed\n" +
				"4,NIK,NIK already sponsored by someone else: not changed\n",
			progress: "batch 1 for Pemkot Pontianak",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			if tt.setup != nil {
				tt.setup(st)
			}
			var report, progress bytes.Buffer
			o := options(t, &report, &progress)
			o.DryRun = tt.dryRun
			got, err := sponsor.Import(context.Background(), st, list(t, tt.niks...), o)
			if err != nil {
				t.Fatal(err)
			}
			if got.Created != tt.created {
				t.Errorf("created %v, want %v", got.Created, tt.created)
			}
			got.Batch, got.Created = sponsor.Batch{}, false
			if got != tt.want {
				t.Errorf("summary %+v, want %+v", got, tt.want)
			}
			if report.String() != header+tt.report {
				t.Errorf("report:\n%s\nwant:\n%s%s", report.String(), header, tt.report)
			}
			if first, _, _ := strings.Cut(progress.String(), "\n"); !strings.HasPrefix(first, tt.progress) {
				t.Errorf("progress starts %q, want %q", first, tt.progress)
			}
			if !strings.Contains(progress.String(), fmt.Sprintf("%d rows in ", tt.want.Read)) {
				t.Errorf("progress without the time it took: %q", progress.String())
			}
			wantFinished := map[int64][2]int{1: {tt.want.Read, tt.want.Rejected()}}
			if tt.dryRun {
				wantFinished = map[int64][2]int{}
				if len(st.batches) != 0 || len(st.regs) != 0 {
					t.Errorf("a dry run stored %d batches, %d registrations", len(st.batches), len(st.regs))
				}
			}
			if !maps.Equal(st.finished, wantFinished) {
				t.Errorf("finished %v, want %v", st.finished, wantFinished)
			}
		})
	}
}

// The rows are stored ChunkRows at a time, each with its bracket decided:
// every valid row once, none lost between the two writers.
func TestImportChunks(t *testing.T) {
	st := newMemStore()
	var niks []string
	for i := 1; i <= 50; i++ {
		niks = append(niks, nik(i))
	}
	o := options(t, nil, io.Discard)
	o.ChunkRows = 7
	o.Batch.JHT = true
	got, err := sponsor.Import(context.Background(), st, list(t, niks...), o)
	if err != nil {
		t.Fatal(err)
	}
	if got.Read != 50 || got.Valid != 50 || got.Imported != 50 || st.chunks != 8 || len(st.regs) != 50 {
		t.Fatalf("summary %+v, %d chunks, %d registrations", got, st.chunks, len(st.regs))
	}
	for n, r := range st.regs {
		if r.row.Bracket != 1 || r.row.Monthly != 96800 || r.row.Occupation != "lainnya" || r.row.NIK != n {
			t.Fatalf("%s stored as %+v", n, r.row)
		}
	}
}

// On a terminal the progress is a bar redrawn in place, ended by a new line.
func TestImportProgressOnATerminal(t *testing.T) {
	var progress bytes.Buffer
	o := options(t, nil, &progress)
	o.DryRun, o.Terminal, o.Size, o.Offset = true, true, 1000, func() int64 { return 1000 }
	if _, err := sponsor.Import(context.Background(), newMemStore(), list(t, nik(1), nik(2)), o); err != nil {
		t.Fatal(err)
	}
	bar, done, _ := strings.Cut(progress.String(), "\n")
	if !strings.HasPrefix(bar, "\r[##############################] 100%  1 rows  ") || !strings.HasSuffix(bar, "ETA 0s ") {
		t.Errorf("progress bar %q", bar)
	}
	if !strings.HasPrefix(done, "2 rows in ") {
		t.Errorf("after the bar: %q", done)
	}
}

// errSource is a list whose reading fails after its rows.
type errSource struct {
	rows []roster.Row
	err  error
}

func (s *errSource) Next() (roster.Row, error) {
	if len(s.rows) == 0 {
		return roster.Row{}, s.err
	}
	r := s.rows[0]
	s.rows = s.rows[1:]
	return r, nil
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestImportFails(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		src    func(t *testing.T) sponsor.Source
		store  error // ImportRows fails with it
		report io.Writer
		is     error  // errors.Is the error
		msg    string // the error's message starts so
	}{
		{"the store fails", context.Background(), func(t *testing.T) sponsor.Source { return list(t, nik(1)) }, errors.New("connection lost"), nil,
			nil, "connection lost"},
		{"stopped", cancelled, func(t *testing.T) sponsor.Source { return list(t, nik(1)) }, nil, nil,
			context.Canceled, "import stopped after 0 rows (re-run the same command to finish): context canceled"},
		{"the file breaks", context.Background(), func(*testing.T) sponsor.Source { return &errSource{err: roster.ErrHTML} }, nil, nil,
			roster.ErrHTML, "pekerja.csv: This file is a web page (HTML)"},
		{"the report cannot be written", context.Background(), func(t *testing.T) sponsor.Source { return list(t, nik(1)) }, nil, failWriter{},
			nil, "report: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			st.fail = tt.store
			o := options(t, tt.report, io.Discard)
			_, err := sponsor.Import(tt.ctx, st, tt.src(t), o)
			if err == nil || !strings.HasPrefix(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %q…", err, tt.msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v is not %v", err, tt.is)
			}
			if tt.store != nil && !errors.Is(err, tt.store) {
				t.Errorf("%v is not the store's %v", err, tt.store)
			}
			if tt.report != nil {
				if re := (*sponsor.ReportError)(nil); !errors.As(err, &re) {
					t.Errorf("%v is not a ReportError", err)
				}
			}
			if len(st.finished) != 0 {
				t.Errorf("a failed import finished its batch: %v", st.finished)
			}
		})
	}
}

// The pipeline on the real store: a generated list imported, run again,
// then imported for two other sponsors once some of its workers paid or
// lost their sponsor.
func TestImportIntoStore(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	regions, err := loadRegions()
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := roster.Generate(&file, 300, 11, regions, 25); err != nil {
		t.Fatal(err)
	}
	run := func(sponsorName string) (sponsor.Summary, string) {
		t.Helper()
		rd, err := roster.Open(bytes.NewReader(file.Bytes()), "pekerja.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		var report bytes.Buffer
		o := options(t, &report, io.Discard)
		o.Batch.Sponsor, o.Tariffs, o.ChunkRows = sponsorName, iuran.Default(), 64
		o.Check = roster.NewValidator(regions, "61", clock.Now().In(wib), 15, 65)
		sum, err := sponsor.Import(ctx, db, rd, o)
		if err != nil {
			t.Fatal(err)
		}
		return sum, report.String()
	}
	first, _ := run("Pemprov Kalimantan Barat")
	if !first.Created || first.Read != 300 || first.Valid < 250 || first.Imported != first.Valid || first.Batch.ID == 0 {
		t.Fatalf("first import: %+v", first)
	}
	var stored struct {
		Rows     int   `db:"rows"`
		Monthly  int64 `db:"monthly"`
		Read     int   `db:"rows_read"`
		Rejected int   `db:"rejected"`
	}
	if err := db.SQL().Get(&stored, `SELECT count(*) AS rows, sum(monthly_iuran) AS monthly, b.rows_read, b.rejected
		FROM registrations r JOIN sponsor_batches b ON b.id = r.sponsor_batch_id WHERE b.id = $1 GROUP BY b.id`, first.Batch.ID); err != nil {
		t.Fatal(err)
	}
	if stored.Rows != first.Imported || stored.Read != 300 || stored.Rejected != first.Rejected() || stored.Monthly < int64(first.Imported)*16800 {
		t.Errorf("stored %+v after %+v", stored, first)
	}
	again, _ := run("Pemprov Kalimantan Barat")
	if again.Created || again.Batch.ID != first.Batch.ID || again.Imported != 0 || again.Before != first.Valid {
		t.Errorf("the same file again: %+v", again)
	}
	other, _ := run("Pemkab Sambas")
	if !other.Created || other.Imported != 0 || other.Other != first.Valid {
		t.Errorf("another sponsor's import: %+v", other)
	}
	// Ten workers lose their sponsor, five of those paid for themselves.
	var refs []string
	if err := db.SQL().Select(&refs, `SELECT ref FROM registrations WHERE sponsor_batch_id = $1 ORDER BY id LIMIT 10`, first.Batch.ID); err != nil {
		t.Fatal(err)
	}
	for i, ref := range refs {
		db.SQL().MustExec(`UPDATE registrations SET sponsor_batch_id = NULL WHERE ref = $1`, ref)
		if i%2 == 0 {
			db.SQL().MustExec(`UPDATE registrations SET covered_from = $2::date, covered_to = $2::date + 30, status = 'aktif' WHERE ref = $1`,
				ref, clock.Now().In(wib).Format(time.DateOnly))
		}
	}
	third, report := run("CSR Bank Kalbar")
	if third.Attached != 5 || third.Active != 5 || third.Other != first.Valid-10 || third.Imported != 0 {
		t.Errorf("a third sponsor's import: %+v", third)
	}
	var attached []string
	if err := db.SQL().Select(&attached, `SELECT ref FROM registrations WHERE sponsor_batch_id = $1 ORDER BY ref`, third.Batch.ID); err != nil {
		t.Fatal(err)
	}
	var unpaid []string
	for i, ref := range refs {
		if i%2 == 1 {
			unpaid = append(unpaid, ref)
		}
	}
	slices.Sort(unpaid)
	if !slices.Equal(attached, unpaid) {
		t.Errorf("attached %v, want the unpaid ones %v", attached, unpaid)
	}
	if n := strings.Count(report, "its contribution is now covered by this sponsor"); n != 5 {
		t.Errorf("%d rows reported attached:\n%s", n, report)
	}
}

// openStore is the real store on this package's database, migrated.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	v, err := vault.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dsn, v, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
