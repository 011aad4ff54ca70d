package sponsor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/iuran"
	"github.com/lindungi/lindungi/roster"
	"github.com/lindungi/lindungi/sponsor"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name string
		e    sponsor.Existing
		want sponsor.Outcome
	}{
		{"registered, never paid or its coverage ended", sponsor.Existing{}, sponsor.Attach},
		{"protected today", sponsor.Existing{Protected: true}, sponsor.Active},
		{"another sponsor's", sponsor.Existing{OtherBatch: true}, sponsor.Other},
		{"another sponsor's, protected", sponsor.Existing{OtherBatch: true, Protected: true}, sponsor.Active},
		{"this batch's (a re-run)", sponsor.Existing{ThisBatch: true}, sponsor.Already},
		{"this batch's, protected (paid since)", sponsor.Existing{ThisBatch: true, Protected: true}, sponsor.Already},
		{"erased", sponsor.Existing{Erased: true}, sponsor.Already},
		{"erased, this batch's", sponsor.Existing{Erased: true, ThisBatch: true}, sponsor.Already},
		{"erased, another sponsor's", sponsor.Existing{Erased: true, OtherBatch: true}, sponsor.Other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sponsor.Decide(tt.e); got != tt.want {
				t.Errorf("Decide(%+v) = %s, want %s", tt.e, got, tt.want)
			}
		})
	}
}

// tariffs has two brackets: up to Rp1 juta, and above.
func tariffs(t *testing.T) *iuran.Table {
	t.Helper()
	tab, err := iuran.Parse(strings.NewReader("income_min,income_max,base,jkk,jkm,jht\n0,1000000,1000000,10000,6800,20000\n1000001,99999999,3000000,30000,6800,60000\n"))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestNewRow(t *testing.T) {
	tests := []struct {
		name       string
		income     int64
		occupation string
		jht        bool
		want       sponsor.Row // the decided fields only
	}{
		{"no income: the lowest bracket", 0, "petani", false, sponsor.Row{Bracket: 0, Base: 1000000, Monthly: 16800}},
		{"no occupation: lainnya", 800000, "", false, sponsor.Row{Bracket: 0, Base: 1000000, Monthly: 16800}},
		{"the second bracket", 2500000, "nelayan", false, sponsor.Row{Bracket: 1, Base: 3000000, Monthly: 36800}},
		{"with JHT", 2500000, "nelayan", true, sponsor.Row{Bracket: 1, Base: 3000000, Monthly: 96800}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := roster.Worker{Line: 7, NIK: nik(7), Name: "Sari Dewi", Income: tt.income, Occupation: tt.occupation}
			got := sponsor.NewRow(w, tariffs(t), tt.jht)
			wantOcc := tt.occupation
			if wantOcc == "" {
				wantOcc = "lainnya"
			}
			if got.Bracket != tt.want.Bracket || got.Base != tt.want.Base || got.Monthly != tt.want.Monthly || got.Occupation != wantOcc {
				t.Errorf("NewRow: bracket %d, base %d, monthly %d, occupation %q; want %d, %d, %d, %q",
					got.Bracket, got.Base, got.Monthly, got.Occupation, tt.want.Bracket, tt.want.Base, tt.want.Monthly, wantOcc)
			}
			if got.Line != 7 || got.NIK != w.NIK || got.Name != w.Name || got.Income != tt.income {
				t.Errorf("NewRow changed the worker: %+v", got.Worker)
			}
		})
	}
}

// StoreRows notes every NIK registered already with Decide's outcome and
// asks the store to attach exactly the unpaid ones.
func TestStoreRows(t *testing.T) {
	st := newMemStore()
	b, _, _ := st.OpenBatch(context.Background(), sponsor.BatchSpec{Sponsor: "Pemkot Pontianak", FileSHA: "a"})
	st.register(nik(2), memReg{})                // registered in chat, unpaid
	st.register(nik(3), memReg{protected: true}) // paid
	st.register(nik(4), memReg{batch: 99})       // another sponsor's
	st.register(nik(5), memReg{batch: b.ID})     // this batch's
	var ws []roster.Worker
	for line := 2; line <= 6; line++ {
		ws = append(ws, roster.Worker{Line: line, NIK: nik(line), Name: "Pekerja"})
	}
	got, err := sponsor.ImportChunk(context.Background(), st, b, ws, tariffs(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "{{1 1} [{2 attach} {3 active} {4 other} {5 already}]}"
	if fmt.Sprint(got) != want {
		t.Errorf("ImportChunk: %v, want %s", got, want)
	}
	if st.regs[nik(2)].batch != b.ID || st.regs[nik(3)].batch != 0 || st.regs[nik(4)].batch != 99 || st.regs[nik(6)].batch != b.ID {
		t.Errorf("registrations after the chunk: %v", st.regs)
	}
}
