package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the raw COPY baseline

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/wilayah"
)

type importResult struct {
	rows     int
	fileMB   float64
	genTime  time.Duration
	rawCopy  time.Duration // the same rows, as text, COPY'd into a plain table
	imported time.Duration // `lindungi import`, end to end
	floor    time.Duration // the imported rows, as stored, COPY'd straight into registrations
	maxRSSMB float64
	output   string // its last line
}

// benchImport generates a realistic sponsor's list of rows (about one in 50
// bad), times a raw COPY of it into a plain table, then `lindungi import` of
// it as a separate process (built now), with that process's peak memory.
func benchImport(ctx context.Context, rows int) (importResult, error) {
	res := importResult{rows: rows}
	dir, err := os.MkdirTemp("", "lindungi-import-bench")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	regions, err := wilayah.Load()
	if err != nil {
		return res, err
	}
	list := filepath.Join(dir, "pekerja.csv")
	f, err := os.Create(list)
	if err != nil {
		return res, err
	}
	start := clock.Start()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := roster.Generate(bw, rows, 1, regions, 50); err != nil {
		return res, err
	}
	if err := bw.Flush(); err != nil {
		return res, err
	}
	f.Close()
	res.genTime = start.Elapsed()
	if st, err := os.Stat(list); err == nil {
		res.fileMB = float64(st.Size()) / (1 << 20)
	}

	bin, dsn, drop, err := lindungiOnNewDB(ctx, dir)
	if err != nil {
		return res, err
	}
	defer drop()
	env := append(os.Environ(), "DATABASE_URL="+dsn, "LINDUNGI_LOG_LEVEL=error",
		"LINDUNGI_DATA_KEY="+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("b", 32))))
	migrate := exec.CommandContext(ctx, bin, "migrate")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		return res, fmt.Errorf("migrate: %v\n%s", err, out)
	}

	if res.rawCopy, err = rawCopy(ctx, dsn, list); err != nil {
		return res, err
	}

	imp := exec.CommandContext(ctx, bin, "import", list, "--sponsor", "Pemprov Kalimantan Barat", "--funding", "apbd", "--months", "12")
	imp.Env = env
	start = clock.Start()
	out, err := imp.CombinedOutput()
	res.imported = start.Elapsed()
	if err != nil {
		return res, fmt.Errorf("import: %v\n%s", err, out)
	}
	if rows <= floorMaxRows {
		if res.floor, err = floorCopy(ctx, dsn); err != nil {
			return res, err
		}
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	res.output = lines[len(lines)-1]
	if ru, ok := imp.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.maxRSSMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return res, nil
}

// rawCopy is the floor: the file's rows as text into a table without
// indexes or checks, in one COPY.
func rawCopy(ctx context.Context, dsn, path string) (time.Duration, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return 0, err
	}
	cols := make([]string, len(header))
	defs := make([]string, len(header))
	for i := range header {
		cols[i] = fmt.Sprintf("c%d", i)
		defs[i] = cols[i] + " text"
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE raw_rows ("+strings.Join(defs, ", ")+")"); err != nil {
		return 0, err
	}
	start := clock.Start()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck
	stmt, err := tx.PrepareContext(ctx, "COPY raw_rows ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(header))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		for i := range vals {
			vals[i] = nil
			if i < len(rec) {
				vals[i] = rec[i]
			}
		}
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return 0, err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return 0, err
	}
	if err := stmt.Close(); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return start.Elapsed(), nil
}

// floorMaxRows bounds the floor measurement, which holds the rows in memory.
const floorMaxRows = 200_000

// floorCopy is what any import must pay on top of reading its file: the
// rows the import stored, exactly as stored, put back into registrations
// (its indexes and foreign keys) with one COPY on each of two connections,
// as the import's two writers do; no checks, no staging, no conflicts.
func floorCopy(ctx context.Context, dsn string) (time.Duration, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	cols := []string{"ref", "channel", "chat_id", "nik_sealed", "nik_hash", "phone_sealed", "phone_hash", "name", "birth_date", "female",
		"province", "regency", "district", "village", "occupation", "occupation_other", "income_bracket", "income_base", "jht",
		"monthly_iuran", "kpj", "status", "created_at", "updated_at", "sponsor_batch_id"}
	sel := strings.Replace(strings.Join(cols, ", "), "birth_date", "birth_date::text", 1)
	rs, err := db.QueryContext(ctx, "SELECT "+sel+" FROM registrations ORDER BY id")
	if err != nil {
		return 0, err
	}
	var all [][]any
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			rs.Close()
			return 0, err
		}
		all = append(all, vals)
	}
	if err := rs.Err(); err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, "TRUNCATE registrations CASCADE"); err != nil {
		return 0, err
	}
	copyIn := "COPY registrations (" + strings.Join(cols, ", ") + ") FROM STDIN"
	half := len(all) / 2
	start := clock.Start()
	errs := make(chan error, 2)
	for _, part := range [][][]any{all[:half], all[half:]} {
		go func() {
			errs <- func() error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback() //nolint:errcheck
				stmt, err := tx.PrepareContext(ctx, copyIn)
				if err != nil {
					return err
				}
				for _, vals := range part {
					if _, err := stmt.ExecContext(ctx, vals...); err != nil {
						return err
					}
				}
				if _, err := stmt.ExecContext(ctx); err != nil {
					return err
				}
				if err := stmt.Close(); err != nil {
					return err
				}
				return tx.Commit()
			}()
		}()
	}
	for range 2 {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return start.Elapsed(), err
}

func reportImport(w io.Writer, r importResult) {
	tw := &table{w: w}
	tw.head("import of a generated sponsor's list: %d rows (%.1f MB CSV, ~2%% bad), generated in %.1f s\n", r.rows, r.fileMB, r.genTime.Seconds())
	tw.row("  raw COPY into a plain table", "%.2f s\n", r.rawCopy.Seconds())
	tw.row("  lindungi import, end to end", "%.2f s (%.0f rows/s)\n", r.imported.Seconds(), float64(r.rows)/r.imported.Seconds())
	tw.row("  import ÷ raw COPY", "%.1f× (target ≤ 5×)\n", r.imported.Seconds()/r.rawCopy.Seconds())
	if r.floor > 0 {
		tw.row("  floor: stored rows COPY'd back", "%.2f s (%.1f× raw COPY): the same rows as stored, straight into\n", r.floor.Seconds(), r.floor.Seconds()/r.rawCopy.Seconds())
		tw.row("", "registrations by 2 writers, no checks or staging: its indexes\n")
		tw.row("", "and foreign keys alone, the least any import of these rows costs\n")
	}
	tw.row("  peak memory (max RSS)", "%.0f MB (target < 300 MB)\n", r.maxRSSMB)
	tw.row("  its summary", "%s\n", r.output)
	if r.maxRSSMB >= 300 {
		fmt.Fprintln(w, "!!! the import's peak memory is above 300 MB")
	}
}

// lindungiOnNewDB builds the lindungi binary into dir and makes a
// throwaway database for it to run against.
func lindungiOnNewDB(ctx context.Context, dir string) (bin, dsn string, drop func(), err error) {
	bin = filepath.Join(dir, "lindungi")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/lindungi/lindungi/cmd/lindungi").CombinedOutput(); err != nil {
		return "", "", nil, fmt.Errorf("build lindungi: %v\n%s", err, out)
	}
	dsn, drop, err = pgtest.Create(ctx)
	return bin, dsn, drop, err
}
