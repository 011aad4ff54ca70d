package midtranstest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

func TestStoreAndQRISChargeAnswers(t *testing.T) {
	srv := midtranstest.NewServer(t)
	charge := func(body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL()+"/v2/charge", strings.NewReader(body))
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(midtranstest.ServerKey+":")))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
			t.Fatalf("HTTP %d, %v", resp.StatusCode, err)
		}
		return m
	}
	for _, store := range []string{"alfamart", "Indomaret"} {
		m := charge(`{"payment_type":"cstore","transaction_details":{"order_id":"LDG-` + store + `","gross_amount":50400},"cstore":{"store":"` + store + `","message":"Iuran"}}`)
		code, _ := m["payment_code"].(string)
		if m["status_code"] != "201" || m["payment_type"] != "cstore" || m["store"] != strings.ToLower(store) || len(code) != 16 || m["status_message"] != "Success, cstore transaction is successful" {
			t.Errorf("%s: %v", store, m)
		}
	}
	m := charge(`{"payment_type":"qris","transaction_details":{"order_id":"LDG-qris","gross_amount":50400},"qris":{"acquirer":"gopay"}}`)
	qr, _ := m["qr_string"].(string)
	if err := payments.CheckQRString(qr); err != nil || !strings.Contains(qr, "COM.GO-JEK.WWW") || !strings.Contains(qr, "540550400") {
		t.Errorf("qr_string %q: %v", qr, err)
	}
	actions, _ := m["actions"].([]any)
	if len(actions) != 1 || actions[0].(map[string]any)["name"] != "generate-qr-code" || m["acquirer"] != "gopay" || m["status_code"] != "201" {
		t.Errorf("QRIS answer %v", m)
	}
	if ch := srv.Charges(); len(ch) != 3 || ch[2].QRString != qr || ch[2].VANumber != "" || ch[1].Bank != "indomaret" {
		t.Errorf("charges %+v", ch)
	}
	// Notifications carry the store and payment code, or the acquirer.
	_, body := srv.Notify("LDG-alfamart", "settlement", 50400)
	if !strings.Contains(string(body), `"store":"alfamart"`) || !strings.Contains(string(body), `"payment_code":"8127`) || !strings.Contains(string(body), `"payment_type":"cstore"`) {
		t.Errorf("cstore notification %s", body)
	}
	_, body = srv.Notify("LDG-qris", "settlement", 50400)
	if !strings.Contains(string(body), `"acquirer":"gopay"`) || strings.Contains(string(body), "qr_string") {
		t.Errorf("qris notification %s", body)
	}
}
