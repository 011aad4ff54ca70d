package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/store"
	"github.com/lindungi/lindungi/store/pgtest"
	"github.com/lindungi/lindungi/vault"
)

// ownDatabase makes a database for one test: the package's is shared, and
// other tests count the registrations in it.
func ownDatabase(t *testing.T) string {
	t.Helper()
	u, drop, err := pgtest.Create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return u
}

// storeAt opens the database dsn with a clock stopped at now, to make rows
// dated then.
func storeAt(t *testing.T, dsn string, now time.Time) *store.DB {
	t.Helper()
	key, err := vault.ParseKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dsn, v, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

var seq atomic.Int64

// testRegistration is a registration in Darat Sekip, Pontianak, with a NIK
// and phone number of its own.
func testRegistration() flows.Registration {
	n := seq.Add(1)
	return flows.Registration{NIK: fmt.Sprintf("61710545089%05d", 20000+n), Phone: fmt.Sprintf("+62813555%05d", n), Name: "Rina Ekspor",
		BirthDate: time.Date(1990, 8, 5, 0, 0, 0, 0, time.UTC), Female: true, Province: "61", Regency: "61.71", District: "61.71.05",
		Village: "61.71.05.1002", Occupation: "nelayan", Income: 1000000, JHT: true, MonthlyIuran: 36800}
}

// registerIn stores a registration made in a console chat (whose session
// speaks lang, "" for none) and returns its reference.
func registerIn(t *testing.T, db *store.DB, chatID, lang string, r flows.Registration) string {
	t.Helper()
	var ref string
	err := db.Atomically(context.Background(), "console", chatID, func(ctx context.Context, tx flows.Tx) error {
		if lang != "" {
			s, _, err := tx.Begin(ctx, "")
			if err != nil {
				return err
			}
			s.Lang = lang
			if err := tx.SaveSession(ctx, s); err != nil {
				return err
			}
		}
		var err error
		ref, err = tx.CreateRegistration(ctx, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// payFor issues a payment for the registrations and settles it.
func payFor(t *testing.T, db *store.DB, order string, refs ...string) {
	t.Helper()
	var lines []flows.PaymentLine
	for _, ref := range refs {
		lines = append(lines, flows.PaymentLine{RegistrationRef: ref, Months: 3, JKK: 30000, JKM: 20400, JHT: 60000, Discount: 1000, Amount: 109400})
	}
	ctx := context.Background()
	_, err := db.CreatePayment(ctx, store.NewPayment{
		Instruction: payments.Instruction{Provider: "sandbox", OrderID: order, Bank: payments.BNI, VANumber: "8" + order, Amount: 109400 * int64(len(refs))},
		PayerKind:   store.PayerWorker, PayerRef: "console:x", Items: lines,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := payments.Notification{Provider: "sandbox", OrderID: order, Status: payments.Paid, Amount: 109400 * int64(len(refs)), PaidAt: clock.Now(), Raw: []byte(`{}`)}
	if _, err := flows.ApplyPayment(ctx, db, n, time.UTC, db.Now, nil); err != nil {
		t.Fatal(err)
	}
}

// export runs `lindungi export` on the database dsn as the operator
// "tester" and parses the CSV.
func export(t *testing.T, dsn string, args ...string) ([]string, [][]string, string) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"lindungi", "export"}, args...), testEnv(map[string]string{"USER": "tester", "DATABASE_URL": dsn}),
		strings.NewReader(""), &out)
	if err != nil {
		t.Fatalf("export %v: %v\n%s", args, err, out.String())
	}
	recs, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("export %v is not CSV with a header: %v\n%s", args, err, out.String())
	}
	return recs[0], recs[1:], out.String()
}

// byColumn maps each row's value of column to the row as column → value.
func byColumn(header []string, rows [][]string, column string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, r := range rows {
		m := map[string]string{}
		for i, h := range header {
			m[h] = r[i]
		}
		out[m[column]] = m
	}
	return out
}

func auditDetails(t *testing.T, db *sqlx.DB, actor, action string) []string {
	t.Helper()
	var out []string
	if err := db.Select(&out, `SELECT subject || ' ' || detail FROM audit_log WHERE actor = $1 AND action = $2 ORDER BY id`, actor, action); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExportRegistrations(t *testing.T) {
	may, june := time.Date(2039, 5, 10, 9, 0, 0, 0, time.UTC), time.Date(2039, 6, 10, 9, 0, 0, 0, time.UTC)
	dsn := ownDatabase(t)
	dbMay, dbJune := storeAt(t, dsn, may), storeAt(t, dsn, june)
	a, b, c := testRegistration(), testRegistration(), testRegistration()
	refA := registerIn(t, dbMay, "exp-a", "", a)
	refC := registerIn(t, dbMay, "exp-c", "", c)
	if err := dbMay.Atomically(context.Background(), "console", "exp-c", func(ctx context.Context, tx flows.Tx) error {
		_, err := tx.Forget(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b.Name, b.Occupation, b.OccupationOther, b.JHT = "Budi Juni", "lainnya", "=HYPERLINK(\"x\")", false
	refB := registerIn(t, dbJune, "exp-b", "", b)
	payFor(t, dbJune, "exp-pay-b", refB)

	wantHeader := []string{"reference", "kpj", "name", "birth_date", "sex", "province_code", "province", "regency_code", "regency",
		"district_code", "district", "village_code", "village", "occupation", "occupation_name", "occupation_other", "income_base",
		"jkk", "jkm", "jht", "monthly_iuran", "status", "covered_from", "covered_to", "registered_at", "registered_by", "channel"}
	header, rows, raw := export(t, dsn, "--what", "registrations", "--format", "csv", "--since", "2039-05-01")
	if !slices.Equal(header, wantHeader) {
		t.Errorf("header:\n%q\nwant\n%q", header, wantHeader)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows since 2039-05-01, want 3:\n%s", len(rows), raw)
	}
	got := byColumn(header, rows, "reference")
	wantA := map[string]string{"reference": refA, "kpj": "", "name": "Rina Ekspor", "birth_date": "1990-08-05", "sex": "female",
		"province_code": "61", "province": "Kalimantan Barat", "regency_code": "61.71", "regency": "Kota Pontianak",
		"district_code": "61.71.05", "district": "Pontianak Kota", "village_code": "61.71.05.1002", "village": "Darat Sekip",
		"occupation": "nelayan", "occupation_name": "Nelayan", "occupation_other": "", "income_base": "1000000", "jkk": "yes", "jkm": "yes",
		"jht": "yes", "monthly_iuran": "36800", "status": "menunggu_pembayaran", "covered_from": "", "covered_to": "",
		"registered_at": may.In(time.FixedZone("WIB", 7*3600)).Format(time.DateTime), "registered_by": "self", "channel": "console"}
	for k, want := range wantA {
		if got[refA][k] != want {
			t.Errorf("%s of %s = %q, want %q", k, refA, got[refA][k], want)
		}
	}
	if g := got[refB]; g["status"] != "aktif" || g["covered_to"] == "" || g["jht"] != "no" || g["occupation_other"] != `'=HYPERLINK("x")` {
		t.Errorf("paid registration: %v", g)
	}
	if g := got[refC]; g["status"] != "dihapus" || g["name"] != "" || g["birth_date"] != "" || g["sex"] != "" || g["village"] != "" ||
		g["regency"] != "Kota Pontianak" {
		t.Errorf("deleted registration, not pseudonymised: %v", g)
	}
	for _, r := range []flows.Registration{a, b, c} {
		for _, secret := range []string{r.NIK, r.NIK[:6] + " ", strings.TrimPrefix(r.Phone, "+62"), r.Phone} {
			if strings.Contains(raw, secret) {
				t.Errorf("the export without --with-nik holds %q:\n%s", secret, raw)
			}
		}
	}

	// --since a later day: only June's.
	_, rows, _ = export(t, dsn, "--what", "registrations", "--since", "2039-06-01")
	if len(rows) != 1 || rows[0][0] != refB {
		t.Errorf("since 2039-06-01: %q", rows)
	}

	// --with-nik to a file: the NIK and phone columns, a file only its owner reads.
	file := filepath.Join(t.TempDir(), "peserta.csv")
	_, _, said := export(t, dsn, "--what", "registrations", "--since", "2039-05-01", "--with-nik", "--out", file)
	if !strings.Contains(said, "3 registrations written to "+file) {
		t.Errorf("export --out said %q", said)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the file: %v %v", st, err)
	}
	body, _ := os.ReadFile(file)
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	withHeader := slices.Insert(slices.Clone(wantHeader), 3, "nik")
	withHeader = slices.Insert(withHeader, 6, "phone")
	if !slices.Equal(recs[0], withHeader) {
		t.Errorf("header with NIK:\n%q\nwant\n%q", recs[0], withHeader)
	}
	full := byColumn(recs[0], recs[1:], "reference")
	if full[refA]["nik"] != a.NIK || full[refA]["phone"] != a.Phone || full[refB]["nik"] != b.NIK {
		t.Errorf("with NIK: %v / %v", full[refA], full[refB])
	}
	if full[refC]["nik"] != "" || full[refC]["phone"] != "" || strings.Contains(string(body), c.NIK) {
		t.Errorf("a deleted registration's NIK exported: %v", full[refC])
	}

	db := sqlx.MustConnect("postgres", dsn)
	defer db.Close()
	wantAudit := []string{" rows=3 since=2039-05-01 with_nik=false out=stdout", " rows=1 since=2039-06-01 with_nik=false out=stdout",
		" rows=3 since=2039-05-01 with_nik=true out=" + file}
	if got := auditDetails(t, db, "cli:tester", "export:registrations"); !slices.Equal(got, wantAudit) {
		t.Errorf("export audit:\n%q\nwant\n%q", got, wantAudit)
	}
	if got := auditDetails(t, db, "cli:tester", "export:with_nik"); !slices.Equal(got, []string{"registrations what=registrations rows=3"}) {
		t.Errorf("with-nik audit: %q", got)
	}

	// Payments: one row per item, the items add up to the payment.
	refD := registerIn(t, dbJune, "exp-d", "", testRegistration())
	payFor(t, dbJune, "exp-pay-bd", refB, refD)
	header, rows, _ = export(t, dsn, "--what", "payments", "--since", "2039-06-01")
	wantPay := []string{"order_id", "provider", "method", "payer_kind", "payer_ref", "agent_id", "payment_amount", "status", "flag",
		"paid_at", "applied_at", "created_at", "item", "items", "registration_ref", "months", "jkk", "jkm", "jht", "discount", "item_amount"}
	if !slices.Equal(header, wantPay) {
		t.Errorf("payments header:\n%q\nwant\n%q", header, wantPay)
	}
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join(slices.Concat(r[:9], r[12:]), ","))
	}
	refsBD := []string{refB, refD} // in the order they were stored
	wantLines := []string{
		"exp-pay-b,sandbox,bni,worker,console:x,,109400,paid,,1,1," + refB + ",3,30000,20400,60000,1000,109400",
		"exp-pay-bd,sandbox,bni,worker,console:x,,218800,paid,,1,2," + refsBD[0] + ",3,30000,20400,60000,1000,109400",
		"exp-pay-bd,sandbox,bni,worker,console:x,,218800,paid,,2,2," + refsBD[1] + ",3,30000,20400,60000,1000,109400",
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("payments:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
	}
	if rows[0][9] == "" || rows[0][10] == "" || rows[0][11] != june.In(time.FixedZone("WIB", 7*3600)).Format(time.DateTime) {
		t.Errorf("payment times: %q", rows[0])
	}
	if err := run(context.Background(), []string{"lindungi", "export", "--what", "payments", "--with-nik"}, testEnv(map[string]string{"DATABASE_URL": dsn}), strings.NewReader(""),
		&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "no NIK") {
		t.Errorf("payments --with-nik: %v", err)
	}
}

func TestExportAgents(t *testing.T) {
	july := time.Date(2039, 7, 10, 9, 0, 0, 0, time.UTC)
	dsn := ownDatabase(t)
	db := storeAt(t, dsn, july)
	var id int64
	err := db.Atomically(context.Background(), "console", "exp-agent", func(ctx context.Context, tx flows.Tx) error {
		var err error
		id, err = tx.ApplyAgent(ctx, flows.Agent{Role: "ketua_rt", NIK: "6171054508977001", Name: "Pak Rt", Phone: "+6281377700001",
			Village: "61.71.05.1002", RT: "003", RW: "007"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	header, rows, raw := export(t, dsn, "--what", "agents", "--since", "2039-07-01")
	want := []string{"id", "role", "name", "village_code", "village", "rt", "rw", "institution", "status", "decided_at", "decided_by",
		"applied_at", "residents_registered", "residents_active", "collected"}
	if !slices.Equal(header, want) {
		t.Errorf("agents header:\n%q\nwant\n%q", header, want)
	}
	wantRow := []string{fmt.Sprint(id), "ketua_rt", "Pak Rt", "61.71.05.1002", "Darat Sekip", "003", "007", "", "pending", "", "",
		july.In(time.FixedZone("WIB", 7*3600)).Format(time.DateTime), "0", "0", "0"}
	if len(rows) != 1 || !slices.Equal(rows[0], wantRow) {
		t.Errorf("agents:\n%q\nwant\n%q", rows, wantRow)
	}
	if strings.Contains(raw, "6171054508977001") || strings.Contains(raw, "81377700001") {
		t.Errorf("agents without --with-nik:\n%s", raw)
	}
	header, rows, _ = export(t, dsn, "--what", "agents", "--since", "2039-07-01", "--with-nik")
	if !slices.Equal(header[:5], []string{"id", "role", "name", "nik", "phone"}) || rows[0][3] != "6171054508977001" || rows[0][4] != "+6281377700001" {
		t.Errorf("agents with NIK: %q %q", header, rows)
	}
}
