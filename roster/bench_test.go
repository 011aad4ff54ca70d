package roster

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// seedRows is the size of the seed case: Kalimantan Barat's 75,489
// vulnerable workers.
const seedRows = 75_489

// benchBadEvery gives about 2% bad rows, as in make bench.
const benchBadEvery = 50

func BenchmarkGenerate1M(b *testing.B) {
	d := regions(b)
	var size int64
	for b.Loop() {
		cw := &countWriter{}
		if err := Generate(cw, 1_000_000, 1, d, benchBadEvery); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "rows/s")
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkCheck validates the seed-sized list (read once, outside the
// timer) with a fresh Validator per pass, so its address cache starts cold.
func BenchmarkCheck(b *testing.B) {
	d := regions(b)
	var buf bytes.Buffer
	if err := Generate(&buf, seedRows, 1, d, benchBadEvery); err != nil {
		b.Fatal(err)
	}
	rd, err := Open(&buf, "gen.csv")
	if err != nil {
		b.Fatal(err)
	}
	var rows []Row
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, r)
	}
	rejected := 0
	for b.Loop() {
		v := NewValidator(d, "61", today, minAge, maxAge)
		rejected = 0
		for _, r := range rows {
			if _, p := v.Check(r); p != nil {
				rejected++
			}
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(rows))/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rejected), "rejected")
}

// peakHeap samples the heap while a reader runs.
type peakHeap struct {
	ms   runtime.MemStats
	heap uint64 // highest HeapAlloc seen
	sys  uint64 // highest Sys (memory obtained from the OS) seen
}

func (p *peakHeap) sample() {
	runtime.ReadMemStats(&p.ms)
	p.heap = max(p.heap, p.ms.HeapAlloc)
	p.sys = max(p.sys, p.ms.Sys)
}

func (p *peakHeap) report(b *testing.B) {
	b.ReportMetric(float64(p.heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(p.sys)/(1<<20), "sys-MB")
}

// readFile streams a file through Open and Next (and Check if v is set),
// sampling the heap every 8192 rows.
func readFile(b *testing.B, path string, v *Validator, peak *peakHeap) (rows, rejected int) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rd, err := Open(f, filepath.Base(path))
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		rows++
		if v != nil {
			if _, p := v.Check(r); p != nil {
				rejected++
			}
		}
		if rows%8192 == 0 {
			peak.sample()
		}
	}
	peak.sample()
	return rows, rejected
}

func genFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "workers.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := Generate(f, n, 1, regions(b), benchBadEvery); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkRead1M reads a generated 1,000,000-row CSV (about 120 MB) from
// disk: "read" only parses rows, "check" also validates them (one
// goroutine). peak-heap-MB is the largest live heap seen while reading.
func BenchmarkRead1M(b *testing.B) {
	path := genFile(b, 1_000_000)
	for _, check := range []bool{false, true} {
		name := "read"
		if check {
			name = "check"
		}
		b.Run(name, func(b *testing.B) {
			var peak peakHeap
			runtime.GC()
			rows, rejected := 0, 0
			for b.Loop() {
				var v *Validator
				if check {
					v = NewValidator(regions(b), "61", today, minAge, maxAge)
				}
				rows, rejected = readFile(b, path, v, &peak)
			}
			b.ReportMetric(float64(b.N)*float64(rows)/b.Elapsed().Seconds(), "rows/s")
			if check {
				b.ReportMetric(float64(rejected), "rejected")
			}
			peak.report(b)
		})
	}
}

// BenchmarkReadXLSX reads (and checks) the seed-sized list saved as XLSX
// the way Excel saves it: one sheet, every text in the shared strings table
// (excelize keeps that table in memory while it is under 16 MB of XML).
func BenchmarkReadXLSX(b *testing.B) {
	path := filepath.Join(b.TempDir(), "workers.xlsx")
	writeXLSX(b, genFile(b, seedRows), path)
	st, _ := os.Stat(path)
	var peak peakHeap
	runtime.GC()
	rows, rejected := 0, 0
	for b.Loop() {
		rows, rejected = readFile(b, path, NewValidator(regions(b), "61", today, minAge, maxAge), &peak)
	}
	b.ReportMetric(float64(b.N)*float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rejected), "rejected")
	b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	peak.report(b)
}

// writeXLSX converts a generated CSV (its known columns) to a minimal
// workbook with a shared strings table, as Excel writes one.
func writeXLSX(b *testing.B, csvPath, xlsxPath string) {
	b.Helper()
	in, err := os.Open(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	rd, err := Open(bufio.NewReader(in), "x.csv")
	if err != nil {
		b.Fatal(err)
	}
	defer rd.Close()
	out, err := os.Create(xlsxPath)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	part := func(name, body string) {
		w, err := zw.Create(name)
		if err == nil {
			_, err = io.WriteString(w, xml.Header+body)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = `http://schemas.openxmlformats.org/officeDocument/2006/relationships`
	const pkg = `http://schemas.openxmlformats.org/package/2006/relationships`
	const ct = `application/vnd.openxmlformats-officedocument.spreadsheetml.`
	part("[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="`+ct+`sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="`+ct+`worksheet+xml"/>`+
		`<Override PartName="/xl/sharedStrings.xml" ContentType="`+ct+`sharedStrings+xml"/></Types>`)
	part("_rels/.rels", `<Relationships xmlns="`+pkg+`"><Relationship Id="rId1" Type="`+rel+`/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<workbook `+ns+` xmlns:r="`+rel+`"><sheets><sheet name="Daftar" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<Relationships xmlns="`+pkg+`">`+
		`<Relationship Id="rId1" Type="`+rel+`/worksheet" Target="worksheets/sheet1.xml"/>`+
		`<Relationship Id="rId2" Type="`+rel+`/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)

	sst := map[string]int{}
	var strs []string
	count := 0
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header + `<worksheet ` + ns + `><sheetData>`)
	writeRow := func(line int, cells []string) {
		fmt.Fprintf(bw, `<row r="%d">`, line)
		for i, s := range cells {
			if s == "" {
				continue
			}
			idx, ok := sst[s]
			if !ok {
				idx = len(strs)
				sst[s] = idx
				strs = append(strs, s)
			}
			count++
			fmt.Fprintf(bw, `<c r="%s%d" t="s"><v>%d</v></c>`, ColumnLetter(i), line, idx)
		}
		bw.WriteString(`</row>`)
	}
	header := make([]string, NumColumns)
	for c := range NumColumns {
		header[c] = c.String()
	}
	writeRow(1, header)
	for line := 2; ; line++ {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		writeRow(line, r.Cells[:])
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	w, err = zw.Create("xl/sharedStrings.xml")
	if err != nil {
		b.Fatal(err)
	}
	bw = bufio.NewWriter(w)
	fmt.Fprintf(bw, xml.Header+`<sst %s count="%d" uniqueCount="%d">`, ns, count, len(strs))
	for _, s := range strs {
		bw.WriteString(`<si><t xml:space="preserve">`)
		xml.EscapeText(bw, []byte(s))
		bw.WriteString(`</t></si>`)
	}
	bw.WriteString(`</sst>`)
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
}
