package store_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/dashboard"
	"github.com/lindungi/lindungi/sponsor"
)

// An uploaded list is kept sealed (it holds NIKs and phone numbers), read
// back whole, started once however often it is asked, held by one process
// at a time, and dropped when its import is done.
func TestDashboardUploads(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	file := []byte("NIK,Nama,Desa,Kecamatan,Kabupaten\n6171051506850001,Siti Rahayu,Darat Sekip,Pontianak Kota,Kota Pontianak\n")
	u := sponsor.Upload{Spec: sponsor.BatchSpec{Sponsor: "Uji Unggah " + t.Name(), FileName: "pekerja.csv", FileSHA: "ab12", Months: 12,
		PublicFunds: true, CreatedBy: "telegram:42"}, Lang: "id", Read: 1, Valid: 1}
	if _, err := db.CreateUpload(ctx, u, nil, nil); err == nil {
		t.Error("an empty file was stored")
	}
	if _, err := db.CreateUpload(ctx, u, make([]byte, sponsor.MaxUpload+1), nil); err == nil {
		t.Error("a file over the limit was stored")
	}
	report := []byte("baris,kolom,alasan\n")
	id, err := db.CreateUpload(ctx, u, file, report)
	if err != nil {
		t.Fatal(err)
	}
	var sealed []byte
	if err := db.SQL().Get(&sealed, `SELECT file_sealed FROM dashboard_imports WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("6171051506850001")) || bytes.Contains(sealed, []byte("Siti")) {
		t.Error("the file is stored in clear")
	}
	got, back, err := db.UploadFile(ctx, id)
	if err != nil || !bytes.Equal(back, file) {
		t.Fatalf("file back: %q, %v", back, err)
	}
	if got.Status != sponsor.UploadChecked || got.Spec.Sponsor != u.Spec.Sponsor || got.Size != int64(len(file)) || !got.Spec.PublicFunds || got.Before != 0 {
		t.Errorf("upload %+v", got)
	}
	if r, err := db.UploadReport(ctx, id, false); err != nil || !bytes.Equal(r, report) {
		t.Errorf("report %q, %v", r, err)
	}
	if _, err := db.Upload(ctx, id+1000); !errors.Is(err, dashboard.ErrNotFound) {
		t.Errorf("a missing upload: %v", err)
	}

	// Many presses at once: one start.
	var wg sync.WaitGroup
	var mu sync.Mutex
	started := 0
	for range 8 {
		wg.Go(func() {
			ok, err := db.StartUpload(ctx, id, "telegram:42")
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				started++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if started != 1 {
		t.Fatalf("started %d times, want once", started)
	}
	running, err := db.RunningUploads(ctx)
	if err != nil || !slices.Contains(running, id) {
		t.Errorf("running uploads %v (%v), want %d among them", running, err, id)
	}

	release, ok, err := db.LeaseUpload(ctx, id)
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if _, again, err := db.LeaseUpload(ctx, id); again || err != nil {
		t.Errorf("a second lease while held: %v %v", again, err)
	}
	release()
	release2, ok, err := db.LeaseUpload(ctx, id)
	if err != nil || !ok {
		t.Fatalf("lease after release: %v %v", ok, err)
	}
	release2()

	if err := db.UploadProgress(ctx, id, 1); err != nil {
		t.Fatal(err)
	}
	b, _, err := db.OpenBatch(ctx, u.Spec)
	if err != nil {
		t.Fatal(err)
	}
	res := sponsor.UploadResult{Read: 1, Imported: 1}
	if err := db.FinishUpload(ctx, id, b.ID, res, report); err != nil {
		t.Fatal(err)
	}
	got, back, err = db.UploadFile(ctx, id)
	if err != nil || back != nil || got.Status != sponsor.UploadDone || got.BatchID != b.ID || got.Result != res {
		t.Errorf("done: %+v, file %q, %v", got, back, err)
	}
	if ok, err := db.StartUpload(ctx, id, "telegram:42"); ok || err != nil {
		t.Errorf("a done upload started again: %v %v", ok, err)
	}
	// The same file again is told of the batch it filled.
	again, err := db.CreateUpload(ctx, u, file, report)
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := db.Upload(ctx, again); g.Before != b.ID {
		t.Errorf("the same file again: before %d, want batch %d", g.Before, b.ID)
	}
	var audited int
	if err := db.SQL().Get(&audited, `SELECT count(*) FROM audit_log WHERE subject = $1 AND action IN ('dasbor:import_upload', 'dasbor:import_start', 'dasbor:import_done')`,
		"upload:"+strconv.FormatInt(id, 10)); err != nil || audited != 3 {
		t.Errorf("%d audit lines for the upload, want 3 (%v)", audited, err)
	}
}

// A list never imported goes after its retention: a checked or failed
// upload untouched since before; a running or imported one stays.
func TestPruneUploads(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	file := []byte("NIK,Nama\n6171051506850001,Siti Rahayu\n")
	mk := func(name string) int64 {
		u := sponsor.Upload{Spec: sponsor.BatchSpec{Sponsor: "Uji Pangkas " + name, FileName: name + ".csv", FileSHA: "cd34" + name, Months: 12,
			CreatedBy: "telegram:42"}, Lang: "id", Read: 1, Valid: 1}
		id, err := db.CreateUpload(ctx, u, file, []byte("baris,kolom,alasan\n"))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	checked, running := mk("checked"), mk("running")
	if ok, err := db.StartUpload(ctx, running, "telegram:42"); err != nil || !ok {
		t.Fatalf("start: %v %v", ok, err)
	}
	now := clock.Now()
	if n, err := db.PruneUploads(ctx, now.Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("pruned %d fresh uploads (%v), want none", n, err)
	}
	if _, err := db.PruneUploads(ctx, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Upload(ctx, checked); !errors.Is(err, dashboard.ErrNotFound) {
		t.Errorf("the checked upload is still there: %v", err)
	}
	if u, err := db.Upload(ctx, running); err != nil || u.Status != sponsor.UploadRunning {
		t.Errorf("the running upload: %+v, %v", u, err)
	}
}
